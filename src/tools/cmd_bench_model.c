/* `bitnet bench model`: prefill and decode tokens/s of a BitNet model, the
 * bytes of weights one decode step reads, and the bandwidth floor. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitnet/bitnet.h"
#include "bitnet/model.h"
#include "cli.h"
#include "cmd_generate.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct read_job {
    const float *a;
    size_t n;
    float *part; /* one per thread slot, 64 floats apart */
} read_job;

static void read_task(void *arg, size_t begin, size_t end, int thread) {
    read_job *j = arg;
    float acc[8] = {0};
    for (size_t i = begin * 4096; i < end * 4096 && i < j->n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += j->a[i + (size_t)k];
    j->part[thread * 16] += acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7];
}

/* Read bandwidth in bytes/s over 1 GiB on the context's threads (best of 3). */
static double read_bandwidth(bn_ctx *ctx) {
    size_t n = ((size_t)1 << 30) / sizeof(float);
    float *a = malloc(n * sizeof(float));
    float *part = calloc(64 * 16, sizeof(float));
    if (!a || !part) { free(a); free(part); return 0; }
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 7);
    read_job j = {a, n, part};
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = now_s();
        bn_ctx_parallel_for(ctx, n / 4096, 64, read_task, &j);
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    volatile float sink = part[0];
    (void)sink;
    free(a);
    free(part);
    return (double)(n * sizeof(float)) / best;
}

int bn_cli_bench_model(int argc, char **argv) {
    const char *model = NULL, *random_like = NULL, *threads = NULL, *pstr = NULL, *dstr = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (cli_is_help(a)) {
            printf("usage: bitnet bench model (-m MODEL | --random-like 2b-4t|tiny) [--threads N] [--prefill N] "
                   "[--decode N] [--json]\n\n"
                   "prefill tokens/s (one forward of --prefill tokens, default 128), decode tokens/s (--decode\n"
                   "tokens one at a time from an empty cache, default 128), bytes of weights read per decode\n"
                   "token, the read bandwidth measured here (1 GiB on the same threads) and the floor\n"
                   "bandwidth / bytes_per_token. --json: one object with prefill_tps, decode_tps,\n"
                   "bytes_per_token, bandwidth_gbps, floor_tps, threads, device.\n");
            return 0;
        }
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) dst = &model;
        else if (strcmp(a, "--random-like") == 0) dst = &random_like;
        else if (strcmp(a, "--threads") == 0) dst = &threads;
        else if (strcmp(a, "--prefill") == 0) dst = &pstr;
        else if (strcmp(a, "--decode") == 0) dst = &dstr;
        else return cli_usage_error("bench model", "unknown option '%s'", a);
        if (i + 1 >= argc) return cli_usage_error("bench model", "%s needs a value", a);
        *dst = argv[++i];
    }
    if (!model == !random_like) return cli_usage_error("bench model", "give one of -m MODEL and --random-like NAME");
    long np = pstr ? strtol(pstr, NULL, 10) : 128, nd = dstr ? strtol(dstr, NULL, 10) : 128;
    if (np < 1 || nd < 1 || np > 100000 || nd > 100000) return cli_usage_error("bench model", "bad --prefill/--decode");
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    if (threads) {
        long t = strtol(threads, NULL, 10);
        if (t < 1 || t > 1024) return cli_usage_error("bench model", "bad --threads '%s'", threads);
        o.num_threads = (int)t;
    }
    bn_ctx *ctx = NULL;
    bn_model *m = NULL;
    int32_t *ids = NULL;
    float *lg = NULL;
    int rc = 0;
    bn_status st = bn_ctx_new(&o, &ctx);
    if (st) return cli_lib_error("bn_ctx_new", st);
    bn_model_options mo;
    bn_cli_model_options(&mo);
    mo.max_seq = (np > nd ? np : nd) + 1;
    mo.max_batch = np;
    if (model) {
        st = bn_model_load(ctx, model, &mo, &m);
        if (st) { rc = cli_lib_error("bn_model_load", st); goto done; }
    } else {
        bn_bitnet_config cfg;
        st = bn_model_config_preset(random_like, &cfg);
        if (!st) st = bn_model_new_random(ctx, &cfg, &mo, 1, &m);
        if (st) { rc = cli_lib_error("bn_model_new_random", st); goto done; }
    }
    int64_t V = bn_model_vocab_size(m);
    ids = malloc((size_t)np * sizeof(int32_t));
    lg = malloc((size_t)V * sizeof(float));
    if (!ids || !lg) { rc = cli_usage_error("bench model", "out of memory"); goto done; }
    for (long i = 0; i < np; i++) ids[i] = (int32_t)((i * 7919 + 13) % V);
    /* prefill: best of 3 */
    double pbest = 1e30;
    for (int r = 0; r < 3; r++) {
        bn_model_reset(m);
        double t0 = now_s();
        st = bn_model_forward(m, ids, np, lg, 0);
        double t = now_s() - t0;
        if (st) { rc = cli_lib_error("bn_model_forward", st); goto done; }
        if (t < pbest) pbest = t;
    }
    /* decode: nd tokens one at a time from an empty cache, best of 2 */
    double dbest = 1e30;
    for (int r = 0; r < 2; r++) {
        bn_model_reset(m);
        int32_t t = ids[0];
        double t0 = now_s();
        for (long i = 0; i < nd; i++) {
            st = bn_model_forward(m, &t, 1, lg, 0);
            if (st) { rc = cli_lib_error("bn_model_forward", st); goto done; }
            t = ids[(i + 1) % np];
        }
        double el = now_s() - t0;
        if (el < dbest) dbest = el;
    }
    double bw = read_bandwidth(ctx);
    size_t bpt = bn_model_bytes_per_token(m);
    double ptps = (double)np / pbest, dtps = (double)nd / dbest, floor_tps = bpt ? bw / (double)bpt : 0;
    int nth = bn_ctx_num_threads(ctx);
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_str(&j, "model", model ? model : random_like);
        cli_json_num(&j, "prefill_tokens", (double)np);
        cli_json_num(&j, "decode_tokens", (double)nd);
        cli_json_num(&j, "prefill_tps", ptps);
        cli_json_num(&j, "decode_tps", dtps);
        cli_json_num(&j, "bytes_per_token", (double)bpt);
        cli_json_num(&j, "bandwidth_gbps", bw / 1e9);
        cli_json_num(&j, "floor_tps", floor_tps);
        cli_json_num(&j, "decode_of_floor", floor_tps > 0 ? dtps / floor_tps : 0);
        cli_json_num(&j, "threads", nth);
        cli_json_str(&j, "device", "cpu");
        cli_json_end(&j);
    } else {
        printf("model %s, %d thread(s), cpu\n", model ? model : random_like, nth);
        printf("prefill %ld tokens: %.1f tok/s\n", np, ptps);
        printf("decode %ld tokens: %.2f tok/s\n", nd, dtps);
        printf("weights read per token: %.1f MB; read bandwidth %.2f GB/s; floor %.2f tok/s (decode at %.0f%%)\n",
               (double)bpt / 1e6, bw / 1e9, floor_tps, floor_tps > 0 ? 100.0 * dtps / floor_tps : 0);
    }
done:
    free(ids);
    free(lg);
    bn_model_free(m);
    bn_ctx_free(ctx);
    return rc;
}
