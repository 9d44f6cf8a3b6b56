/* `bitnet precision`: bn_precision_report over a safetensors checkpoint. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/io.h"
#include "bitnet/precision.h"
#include "cli.h"
#include "cmd_precision.h"

static int is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16 || d == BN_DTYPE_F64;
}

/* 1 when path is a file that starts with the GGUF magic. */
static int is_gguf(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    char magic[4];
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    return n == 4 && memcmp(magic, "GGUF", 4) == 0;
}

/* Warns on stderr for every override of p that matches no tensor of sf. */
static void warn_unmatched_overrides(const bn_precision_policy *p, bn_safetensors *sf) {
    size_t count = bn_safetensors_count(sf), nov = bn_precision_policy_override_count(p);
    for (size_t o = 0; o < nov; o++) {
        const char *pat = NULL;
        if (bn_precision_policy_override_at(p, o, &pat, NULL) != BN_OK) continue;
        int hit = 0;
        for (size_t i = 0; i < count && !hit; i++) {
            bn_st_tensor t;
            if (bn_safetensors_get(sf, i, &t) == BN_OK && bn_precision_override_matches(pat, t.name)) hit = 1;
        }
        if (!hit)
            fprintf(stderr, "warning: override \"%s\" matches no tensor of the model (patterns match the whole name, "
                    "or the name without a trailing .weight or .bias)\n", pat);
    }
}

int bn_cli_cmd_precision(int argc, char **argv) {
    const char *model = NULL, *policy_arg = "balanced", *filter = NULL, *save = NULL;
    const cli_option opts[] = {
        {"-m", NULL, &model},        {"--model", NULL, &model}, {"--policy", NULL, &policy_arg},
        {"--filter", NULL, &filter}, {"--save", NULL, &save},   {NULL, NULL, NULL},
    };
    int rc = cli_parse(cli_find("precision"), argc, argv, opts);
    if (rc >= 0) return rc;
    if (model == NULL) return cli_usage_error("precision", "-m MODEL is required");
    if (is_gguf(model)) {
        fprintf(stderr, "bitnet: precision failed: %s: GGUF models are not supported by bitnet precision yet; give a "
                "Hugging Face directory (config.json and safetensors)\n", model);
        return CLI_EXIT_FAIL;
    }

    bn_precision_policy *policy = NULL;
    bn_precision_preset preset;
    bn_status st;
    if (bn_precision_preset_from_name(policy_arg, &preset) == BN_OK) st = bn_precision_policy_new(preset, &policy);
    else st = bn_precision_policy_load(policy_arg, &policy);
    if (st) return cli_lib_error("loading the policy", st);
    if (save && (st = bn_precision_policy_save(policy, save))) {
        bn_precision_policy_free(policy);
        return cli_lib_error("saving the policy", st);
    }
    char vrep[4096];
    int nw = 0;
    bn_device cpu = {BN_DEVICE_CPU, 0};
    st = bn_precision_policy_validate(policy, cpu, vrep, sizeof vrep, &nw);
    if (vrep[0]) fputs(vrep, stderr);
    if (st) {
        bn_precision_policy_free(policy);
        return cli_lib_error("validating the policy", st);
    }

    bn_ctx *ctx = NULL;
    bn_safetensors *sf = NULL;
    bn_precision_named_tensor *nt = NULL;
    bn_tensor **handles = NULL;
    bn_precision_report *rep = NULL;
    size_t n = 0, skipped = 0;
    rc = CLI_EXIT_OK;
    if ((st = bn_ctx_new(NULL, &ctx))) {
        rc = cli_lib_error("creating a context", st);
        goto done;
    }
    if ((st = bn_safetensors_open(model, &sf))) {
        rc = cli_lib_error("opening the model", st);
        goto done;
    }
    warn_unmatched_overrides(policy, sf);
    size_t count = bn_safetensors_count(sf);
    nt = calloc(count ? count : 1, sizeof *nt);
    handles = calloc(count ? count : 1, sizeof *handles);
    if (nt == NULL || handles == NULL) {
        fprintf(stderr, "bitnet precision: out of memory\n");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        bn_st_tensor t;
        if ((st = bn_safetensors_get(sf, i, &t))) {
            rc = cli_lib_error("reading the model", st);
            goto done;
        }
        if (filter && strstr(t.name, filter) == NULL) continue;
        size_t len = strlen(t.name);
        if (len >= 6 && strcmp(t.name + len - 6, "_scale") == 0) {
            printf("skipped %s (a quantization scale: kept as it is)\n", t.name);
            skipped++;
            continue;
        }
        if (!is_float(t.dtype)) {
            printf("skipped %s (%s: not floating point)\n", t.name, bn_dtype_name(t.dtype));
            skipped++;
            continue;
        }
        /* a read-only view of the mapped bytes: the report only reads them */
        if ((st = bn_tensor_wrap(ctx, t.dtype, t.ndim, t.shape, NULL, (void *)(uintptr_t)t.data, t.nbytes, NULL,
                                 NULL, &handles[n]))) {
            rc = cli_lib_error(t.name, st);
            goto done;
        }
        nt[n].name = t.name;
        nt[n].tensor = handles[n];
        n++;
    }
    if ((st = bn_precision_report_new(nt, n, policy, &rep))) {
        rc = cli_lib_error("the report", st);
        goto done;
    }
    printf("policy: %s; %zu tensors%s\n", policy_arg, n, skipped ? " (others skipped)" : "");
    bn_precision_report_print(rep, stdout);
done:
    bn_precision_report_free(rep);
    for (size_t i = 0; handles && i < n; i++) bn_tensor_free(handles[i]);
    free(handles);
    free(nt);
    bn_safetensors_close(sf);
    bn_ctx_free(ctx);
    bn_precision_policy_free(policy);
    return rc;
}
