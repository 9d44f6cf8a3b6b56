/* `bitnet logits`: float32 [T, vocab] logits of one forward pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "bitnet/model.h"
#include "cli.h"
#include "cmd_generate.h"

int bn_cli_cmd_logits(int argc, char **argv) {
    const char *model = NULL, *model_l = NULL, *tokens = NULL, *out = NULL, *out_l = NULL, *threads = NULL;
    const cli_option opts[] = {{"-m", NULL, &model},      {"--model", NULL, &model_l},   {"--tokens", NULL, &tokens},
                               {"-o", NULL, &out},        {"--output", NULL, &out_l},    {"--threads", NULL, &threads},
                               {NULL, NULL, NULL}};
    const cli_command *cmd = cli_find("logits");
    int rc = cli_parse(cmd, argc, argv, opts);
    if (rc >= 0) return rc;
    if (!model) model = model_l;
    if (!out) out = out_l;
    if (!model || !tokens || !out) return cli_usage_error("logits", "-m MODEL, --tokens IDS and -o OUT are required");
    int64_t n = 0;
    int32_t *ids = bn_cli_parse_ids(tokens, &n);
    if (!ids || n == 0) {
        free(ids);
        return cli_usage_error("logits", "--tokens '%s' is not a list of token ids", tokens);
    }
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    if (threads) {
        char *end;
        long t = strtol(threads, &end, 10);
        if (*end || t < 1 || t > 1024) {
            free(ids);
            return cli_usage_error("logits", "--threads '%s' is not a thread count", threads);
        }
        o.num_threads = (int)t;
    }
    bn_ctx *ctx = NULL;
    bn_model *m = NULL;
    float *lg = NULL;
    bn_status st = bn_ctx_new(&o, &ctx);
    if (st) { rc = cli_lib_error("bn_ctx_new", st); goto done; }
    bn_model_options mo;
    bn_cli_model_options(&mo);
    if (n > 4096) mo.max_seq = n;
    st = bn_model_load(ctx, model, &mo, &m);
    if (st) { rc = cli_lib_error("bn_model_load", st); goto done; }
    int64_t V = bn_model_vocab_size(m);
    lg = malloc((size_t)n * (size_t)V * sizeof(float));
    if (!lg) { rc = cli_usage_error("logits", "out of memory for %lld x %lld logits", (long long)n, (long long)V); goto done; }
    st = bn_model_forward(m, ids, n, lg, 1);
    if (st) { rc = cli_lib_error("bn_model_forward", st); goto done; }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(lg, sizeof(float), (size_t)(n * V), f) != (size_t)(n * V)) {
        if (f) fclose(f);
        fprintf(stderr, "bitnet logits: cannot write '%s'\n", out);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (fclose(f) != 0) { fprintf(stderr, "bitnet logits: cannot write '%s'\n", out); rc = CLI_EXIT_FAIL; goto done; }
    fprintf(stderr, "bitnet logits: wrote %lld x %lld float32 to %s\n", (long long)n, (long long)V, out);
    rc = 0;
done:
    free(lg);
    free(ids);
    bn_model_free(m);
    bn_ctx_free(ctx);
    return rc;
}
