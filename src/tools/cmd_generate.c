/* `bitnet generate`: a prompt through a BitNet model, tokens streamed to
 * stdout. A thin layer over include/bitnet/model.h (and tokenizer.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitnet/bitnet.h"
#include "bitnet/model.h"
#include "cli.h"
#include "cmd_generate.h"

int32_t *bn_cli_parse_ids(const char *text, int64_t *n) {
    size_t cap = 64, k = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) return NULL;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX) {
            free(ids);
            return NULL;
        }
        if (k == cap) {
            int32_t *q = realloc(ids, cap * 2 * sizeof *ids);
            if (!q) { free(ids); return NULL; }
            ids = q;
            cap *= 2;
        }
        ids[k++] = (int32_t)v;
        p = end;
    }
    *n = (int64_t)k;
    return ids;
}

static char *read_all(FILE *f) {
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    if (!b) return NULL;
    for (;;) {
        if (n == cap) {
            char *q = realloc(b, cap * 2 + 1);
            if (!q) { free(b); return NULL; }
            b = q;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    b[n] = 0;
    return b;
}

typedef struct stream {
    int32_t *ids;
    int64_t n;
#ifdef BITNET_HAVE_TOKENIZER
    const bn_tokenizer *tok;
#endif
    size_t printed;
    int32_t stop_id;
} stream;

static int on_token(int32_t t, void *user) {
    stream *s = user;
    s->ids[s->n++] = t;
#ifdef BITNET_HAVE_TOKENIZER
    if (s->tok) {
        char *text = NULL;
        size_t len = 0;
        if (bn_tokenizer_decode(s->tok, s->ids, (size_t)s->n, BN_TOK_SKIP_SPECIAL, &text, &len) == BN_OK) {
            /* hold back an incomplete UTF-8 character (decoded as U+FFFD at the end) */
            size_t upto = len;
            if (len >= 3 && (unsigned char)text[len - 3] == 0xEF && (unsigned char)text[len - 2] == 0xBF &&
                (unsigned char)text[len - 1] == 0xBD)
                upto = len - 3;
            if (upto > s->printed) {
                fwrite(text + s->printed, 1, upto - s->printed, stdout);
                s->printed = upto;
            }
            bn_tokenizer_text_free(text);
        }
        fflush(stdout);
        return s->stop_id >= 0 && t == s->stop_id;
    }
#endif
    printf("%d\n", (int)t);
    fflush(stdout);
    return s->stop_id >= 0 && t == s->stop_id;
}

void bn_cli_load_progress(void *user, int64_t done, int64_t total) {
    (void)user;
    int w = 30, f = total > 0 ? (int)(w * done / total) : w;
    fprintf(stderr, "\rloading [%.*s%*s] %lld/%lld layers", f, "##############################", w - f, "",
            (long long)done, (long long)total);
    if (done == total) fprintf(stderr, "\r%*s\r", w + 40, "");
    fflush(stderr);
}

void bn_cli_model_options(bn_model_options *o) {
    bn_model_options_default(o);
    if (isatty(STDERR_FILENO)) o->progress = bn_cli_load_progress;
}

static bn_ctx *make_ctx(const char *threads, const char *cmd, int *rc) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    if (threads) {
        char *end;
        long t = strtol(threads, &end, 10);
        if (*end || t < 1 || t > 1024) {
            *rc = cli_usage_error(cmd, "--threads '%s' is not a thread count", threads);
            return NULL;
        }
        o.num_threads = (int)t;
    }
    bn_ctx *ctx = NULL;
    bn_status st = bn_ctx_new(&o, &ctx);
    if (st) {
        *rc = cli_lib_error("bn_ctx_new", st);
        return NULL;
    }
    return ctx;
}

static int parse_num(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out) {
    if (!v) return 0;
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || !(d >= lo && d <= hi)) return cli_usage_error(cmd, "%s '%s' out of range", opt, v);
    *out = d;
    return 0;
}

int bn_cli_cmd_generate(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL, *nstr = NULL, *temp = NULL, *topk = NULL, *topp = NULL, *seed = NULL,
               *threads = NULL, *rep = NULL, *system = NULL, *model_l = NULL, *prompt_l = NULL,
               *device = NULL;
    int chat = 0, ids_mode = 0;
    const cli_option opts[] = {{"-m", NULL, &model},         {"--model", NULL, &model_l},   {"-p", NULL, &prompt},
                               {"--prompt", NULL, &prompt_l}, {"-n", NULL, &nstr},         {"--temp", NULL, &temp},
                               {"--top-k", NULL, &topk},     {"--top-p", NULL, &topp},      {"--seed", NULL, &seed},
                               {"--threads", NULL, &threads}, {"--repeat-penalty", NULL, &rep},
                               {"--system", NULL, &system},  {"--chat", &chat, NULL},       {"--ids", &ids_mode, NULL},
                               {"--device", NULL, &device},  {NULL, NULL, NULL}};
    const cli_command *cmd = cli_find("generate");
    int rc = cli_parse(cmd, argc, argv, opts);
    if (rc >= 0) return rc;
    if (!model) model = model_l;
    if (!prompt) prompt = prompt_l;
    if (!model) return cli_usage_error("generate", "-m MODEL is required");
    if (device && strcmp(device, "cpu") != 0) {
        if (strcmp(device, "cuda") == 0) {
            fprintf(stderr, "bitnet generate: the model runs on the CPU only in this build (--device cuda)\n");
            return CLI_EXIT_FAIL;
        }
        return cli_usage_error("generate", "--device '%s' (cpu or cuda)", device);
    }
    bn_sampler_params sp;
    bn_sampler_params_default(&sp);
    double v = 0;
    int64_t max_new = 128;
    if (nstr) { if ((rc = parse_num("generate", "-n", nstr, 0, 1e9, &v))) return rc; max_new = (int64_t)v; }
    if (temp) { if ((rc = parse_num("generate", "--temp", temp, 0, 1e6, &v))) return rc; sp.temperature = (float)v; }
    if (topk) { if ((rc = parse_num("generate", "--top-k", topk, 0, 1e9, &v))) return rc; sp.top_k = (int)v; }
    if (topp) { if ((rc = parse_num("generate", "--top-p", topp, 1e-9, 1, &v))) return rc; sp.top_p = (float)v; }
    if (rep) { if ((rc = parse_num("generate", "--repeat-penalty", rep, 1e-6, 1e6, &v))) return rc; sp.repetition_penalty = (float)v; }
    if (seed) { if ((rc = parse_num("generate", "--seed", seed, 0, 1.8e19, &v))) return rc; sp.seed = (uint64_t)v; }

    char *stdin_text = NULL;
    if (!prompt) {
        stdin_text = read_all(stdin);
        if (!stdin_text) return cli_usage_error("generate", "cannot read the prompt from stdin");
        prompt = stdin_text;
    }
    rc = 0;
    bn_ctx *ctx = make_ctx(threads, "generate", &rc);
    if (!ctx) { free(stdin_text); return rc; }
    bn_model *m = NULL;
    int32_t *ids = NULL;
    int64_t n = 0;
    stream s;
    memset(&s, 0, sizeof s);
    s.stop_id = -1;
#ifdef BITNET_HAVE_TOKENIZER
    bn_tokenizer *tok = NULL;
#endif
    bn_model_options mo;
    bn_cli_model_options(&mo);
    bn_status st = bn_model_load(ctx, model, &mo, &m);
    if (st) { rc = cli_lib_error("bn_model_load", st); goto done; }
#ifdef BITNET_HAVE_TOKENIZER
    if (!ids_mode) {
        /* tokenizer.json inside a Hugging Face directory, or beside a GGUF file */
        char tpath[4096];
        struct stat sb;
        if (stat(model, &sb) == 0 && S_ISREG(sb.st_mode)) {
            const char *slash = strrchr(model, '/');
            int dirlen = slash ? (int)(slash - model) : 1;
            snprintf(tpath, sizeof tpath, "%.*s/tokenizer.json", dirlen, slash ? model : ".");
        } else {
            snprintf(tpath, sizeof tpath, "%s/tokenizer.json", model);
        }
        if (stat(tpath, &sb) == 0) {
            bn_tokenizer_options to;
            bn_tokenizer_options_default(&to);
            to.add_bos = 1;
            st = bn_tokenizer_load(tpath, &to, &tok);
            if (st) { rc = cli_lib_error("bn_tokenizer_load", st); goto done; }
        }
    }
    if (tok) {
        size_t len = strlen(prompt) + (system ? strlen(system) : 0) + 64;
        char *text = malloc(len);
        if (!text) { rc = cli_usage_error("generate", "out of memory"); goto done; }
        if (chat && system)
            snprintf(text, len, "System: %s<|eot_id|>User: %s<|eot_id|>Assistant: ", system, prompt);
        else if (chat)
            snprintf(text, len, "User: %s<|eot_id|>Assistant: ", prompt);
        else
            snprintf(text, len, "%s", prompt);
        size_t nn = 0;
        st = bn_tokenizer_encode(tok, text, strlen(text), BN_TOK_ADD_SPECIAL, &ids, &nn);
        free(text);
        if (st) { rc = cli_lib_error("bn_tokenizer_encode", st); ids = NULL; goto done; }
        n = (int64_t)nn;
        if (chat) {
            int32_t *eot = NULL;
            size_t ne = 0;
            if (bn_tokenizer_encode(tok, "<|eot_id|>", 10, 0, &eot, &ne) == BN_OK) {
                if (ne == 1) s.stop_id = eot[0];
                bn_tokenizer_ids_free(eot);
            }
        }
        s.tok = tok;
    } else
#endif
    {
        (void)chat;
        (void)system;
        int64_t k = 0;
        int32_t *p = bn_cli_parse_ids(prompt, &k);
        if (!p) { rc = cli_usage_error("generate", "the prompt must be token ids (the model has no tokenizer.json)"); goto done; }
        /* keep ids in a buffer we own the same way either way */
        ids = p;
        n = k;
        if (n == 0) { rc = cli_usage_error("generate", "empty prompt"); goto done; }
    }
    if (n < 1) { rc = cli_usage_error("generate", "empty prompt"); goto done; }
    s.ids = malloc((size_t)(max_new + 1) * sizeof(int32_t));
    if (!s.ids) { rc = cli_usage_error("generate", "out of memory"); goto done; }
    int64_t made = 0;
    st = bn_model_generate(m, ids, n, max_new, &sp, on_token, &s, NULL, &made);
    if (st) { rc = cli_lib_error("bn_model_generate", st); goto done; }
#ifdef BITNET_HAVE_TOKENIZER
    if (tok) printf("\n");
#endif
done:
#ifdef BITNET_HAVE_TOKENIZER
    if (tok) { bn_tokenizer_ids_free(ids); ids = NULL; }
    bn_tokenizer_free(tok);
#endif
    free(ids);
    free(s.ids);
    bn_model_free(m);
    bn_ctx_free(ctx);
    free(stdin_text);
    return rc;
}
