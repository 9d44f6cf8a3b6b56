/* Tokenizer encode throughput in MB/s of input text.
 *
 *   bench_tokenizer -t TOKENIZER.json -f TEXT [--threads N] [common options]
 *
 * Figures (median over the repetitions):
 *   tokenizer/encode_whole    the whole file as one text, one thread
 *   tokenizer/encode_lines    the file's lines one call each, one thread
 *   tokenizer/encode_batch    the lines as one batch on a context of 1 and
 *                             of N threads (default 2): bn_tokenizer_encode_batch
 * The text is read once; MB/s = input bytes / median seconds / 1e6.
 * bench/tokenizer_reference.py measures Hugging Face tokenizers and tiktoken
 * on the same file for comparison (docs/tokenizer.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "harness.h"

typedef struct job {
    const bn_tokenizer *tok;
    bn_ctx *ctx;
    const char *text;
    size_t len;
    size_t nlines;
    const char **lines;
    size_t *lens;
    int32_t **ids;
    size_t *n;
    size_t tokens;
    int failed;
} job;

static void run_whole(void *arg) {
    job *j = arg;
    int32_t *ids = NULL;
    size_t n = 0;
    if (bn_tokenizer_encode(j->tok, j->text, j->len, 0, &ids, &n) != BN_OK) j->failed = 1;
    j->tokens = n;
    bn_tokenizer_ids_free(ids);
}

static void run_lines(void *arg) {
    job *j = arg;
    size_t total = 0;
    for (size_t i = 0; i < j->nlines; i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        if (bn_tokenizer_encode(j->tok, j->lines[i], j->lens[i], 0, &ids, &n) != BN_OK) j->failed = 1;
        total += n;
        bn_tokenizer_ids_free(ids);
    }
    j->tokens = total;
}

static void run_batch(void *arg) {
    job *j = arg;
    if (bn_tokenizer_encode_batch(j->tok, j->ctx, j->nlines, j->lines, j->lens, 0, j->ids, j->n) != BN_OK) {
        j->failed = 1;
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < j->nlines; i++) {
        total += j->n[i];
        bn_tokenizer_ids_free(j->ids[i]);
    }
    j->tokens = total;
}

int bn_bench_tokenizer_main(int argc, char **argv);

static int fail(const char *what) {
    fprintf(stderr, "bench_tokenizer: %s: %s\n", what, bn_last_error());
    return 1;
}

static void report(bnb_options *opt, const char *name, const bnb_result *r, const job *j, int threads) {
    double mb_s = r->median > 0 ? (double)j->len / r->median * 1e-6 : 0.0;
    double tok_s = r->median > 0 ? (double)j->tokens / r->median : 0.0;
    char th[16];
    snprintf(th, sizeof th, "%d", threads);
    bnb_field f[] = {BNB_TXT("threads", th), BNB_NUM("bytes", (double)j->len), BNB_NUM("tokens", (double)j->tokens),
                     BNB_NUM("mb_s", mb_s), BNB_NUM("mtok_s", tok_s * 1e-6)};
    bnb_report(opt, name, r, f, (int)(sizeof f / sizeof f[0]));
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int bn_bench_tokenizer_main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            printf("usage: bench_tokenizer -t TOKENIZER.json -f TEXT [--threads N (default 2)] [common options]\n\n");
    bnb_options opt;
    int rest = bnb_parse_args(&opt, argc, argv);
    if (rest < 0) return 2;
    const char *tok_path = NULL, *text_path = NULL;
    int threads = 2;
    for (int i = rest; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) tok_path = argv[++i];
        else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) text_path = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "bench_tokenizer: unknown argument '%s' (own options: -t FILE, -f FILE, --threads N)\n",
                    argv[i]);
            return 2;
        }
    }
    if (!tok_path || !text_path) {
        fprintf(stderr, "bench_tokenizer: -t TOKENIZER.json and -f TEXT are required\n");
        return 2;
    }
    job j;
    memset(&j, 0, sizeof j);
    char *text = read_all(text_path, &j.len);
    if (!text) {
        fprintf(stderr, "bench_tokenizer: cannot read '%s'\n", text_path);
        return 1;
    }
    j.text = text;
    bn_tokenizer *tok = NULL;
    double t0 = bnb_now();
    if (bn_tokenizer_load(tok_path, NULL, &tok) != BN_OK) {
        free(text);
        return fail("loading the tokenizer");
    }
    double load_s = bnb_now() - t0;
    j.tok = tok;
    /* lines, each with its newline */
    for (size_t i = 0; i < j.len; i++)
        if (text[i] == '\n') j.nlines++;
    j.nlines++;
    j.lines = calloc(j.nlines, sizeof *j.lines);
    j.lens = calloc(j.nlines, sizeof *j.lens);
    j.ids = calloc(j.nlines, sizeof *j.ids);
    j.n = calloc(j.nlines, sizeof *j.n);
    size_t k = 0, start = 0;
    for (size_t i = 0; i < j.len; i++)
        if (text[i] == '\n') {
            j.lines[k] = text + start;
            j.lens[k++] = i + 1 - start;
            start = i + 1;
        }
    if (start < j.len) {
        j.lines[k] = text + start;
        j.lens[k++] = j.len - start;
    }
    j.nlines = k;
    if (!opt.json)
        printf("%s: %zu bytes, %zu lines; tokenizer %s loaded in %.3f s\n", text_path, j.len, j.nlines, tok_path,
               load_s);
    int rc = 0;
    if (bnb_selected(&opt, "tokenizer/encode_whole")) {
        bnb_result r = bnb_measure(&opt, run_whole, &j);
        if (j.failed) rc = fail("encode");
        else report(&opt, "tokenizer/encode_whole", &r, &j, 1);
    }
    if (!rc && bnb_selected(&opt, "tokenizer/encode_lines")) {
        bnb_result r = bnb_measure(&opt, run_lines, &j);
        if (j.failed) rc = fail("encode");
        else report(&opt, "tokenizer/encode_lines", &r, &j, 1);
    }
    int counts[2] = {1, threads};
    for (int c = 0; c < 2 && !rc; c++) {
        if (c == 1 && threads == 1) break;
        if (!bnb_selected(&opt, "tokenizer/encode_batch")) break;
        bn_ctx_options co;
        bn_ctx_options_default(&co);
        co.num_threads = counts[c];
        if (bn_ctx_new(&co, &j.ctx) != BN_OK) {
            rc = fail("bn_ctx_new");
            break;
        }
        bnb_result r = bnb_measure(&opt, run_batch, &j);
        bn_ctx_free(j.ctx);
        j.ctx = NULL;
        if (j.failed) rc = fail("encode_batch");
        else report(&opt, "tokenizer/encode_batch", &r, &j, counts[c]);
    }
    bn_tokenizer_free(tok);
    free(j.lines);
    free(j.lens);
    free(j.ids);
    free(j.n);
    free(text);
    int reg = bnb_finish(&opt);
    return rc ? rc : reg;
}

#ifndef BNB_NO_MAIN
int main(int argc, char **argv) { return bn_bench_tokenizer_main(argc, argv); }
#endif
