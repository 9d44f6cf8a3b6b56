/* The ops benchmark (see ops_runner.h).
 *
 * Every figure calls an ISA's kernel table directly on contiguous f32
 * arrays, so every ISA this CPU runs is measured in one run, with the
 * scalar kernel as the baseline of the same run: add, mul and gelu from
 * bni_ew_kernels_for_isa; softmax, rmsnorm and sum from
 * bni_reduce_kernels_for_isa. The work is split over 1 or 2 threads of a
 * context with bn_ctx_parallel_for the way the ops split it: element-wise
 * ops in 64-element blocks, softmax and rmsnorm by rows through the
 * multi-row kernels (rows of min(n, 4096) elements, at least 16384
 * elements per task, non-temporal stores for outputs of 64 MiB and more:
 * as src/ops/softmax.c and norm.c call them), sum in chunks of 65536 elements whose
 * partial sums are then added (as src/ops/reduce.c cuts long rows).
 *
 * GB/s counts the bytes an op must move: add/mul 12 bytes per element (two
 * reads, one write), gelu/softmax/rmsnorm 8, sum 4. copy_gbps is memcpy of
 * n f32 (8 bytes moved per element) on the same thread count, in the same
 * run; vs_copy is gbps / copy_gbps (the target: 0.8 at 64M). */
#include "ops_runner.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cpu/ew_kernels.h"
#include "cpu/reduce_kernels.h"
#include "harness.h"

enum { K_COPY, K_BIN, K_UN, K_SOFTMAX, K_RMSNORM, K_SUM };

#define ROW_MAX 4096
#define SUM_CHUNK 65536

typedef struct kjob {
    int kind;
    const float *a, *b;
    float *o;
    size_t n;
    bni_ew_binary_fn bin;
    bni_ew_unary_fn un;
    const bni_reduce_kernels *rk;
    size_t cols;    /* row length of softmax / rmsnorm */
    int stream;     /* softmax / rmsnorm: non-temporal stores, as the ops decide (bni_stream_worth) */
    float *partial; /* sum: one partial per chunk */
} kjob;

static void krange(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    const kjob *j = arg;
    switch (j->kind) {
    case K_SOFTMAX:
        j->rk->softmax_rows_f32(j->a + begin * j->cols, j->o + begin * j->cols, j->cols, end - begin, j->stream);
        return;
    case K_RMSNORM:
        j->rk->rms_norm_rows_f32(j->a + begin * j->cols, j->b, 1e-5f, j->o + begin * j->cols, j->cols, end - begin,
                                 j->stream);
        return;
    case K_SUM:
        for (size_t c = begin; c < end; c++) {
            size_t b = c * SUM_CHUNK, m = j->n - b < SUM_CHUNK ? j->n - b : SUM_CHUNK;
            j->partial[c] = j->rk->sum_f32(j->a + b, m);
        }
        return;
    default: break;
    }
    size_t b = begin * 64, e = end * 64;
    if (e > j->n) e = j->n;
    if (b >= e) return;
    if (j->kind == K_BIN) j->bin(j->a + b, j->b + b, j->o + b, e - b);
    else if (j->kind == K_UN) j->un(j->a + b, j->o + b, e - b);
    else memcpy(j->o + b, j->a + b, (e - b) * 4);
}

typedef struct run_arg {
    bn_ctx *ctx;
    kjob j;
    int iters;
    int api; /* 0 kernel, 4 add_into (dispatch overhead) */
    bn_tensor *x, *y;
} run_arg;

static void run_once(void *p) {
    run_arg *r = p;
    for (int i = 0; i < r->iters; i++) {
        if (r->api) {
            bn_binary_into(BN_OP_ADD, r->x, r->x, r->y);
            continue;
        }
        const kjob *j = &r->j;
        if (j->kind == K_SOFTMAX || j->kind == K_RMSNORM) {
            size_t rows = j->n / j->cols, grain = 16384 / j->cols;
            bn_ctx_parallel_for(r->ctx, rows, grain ? grain : 1, krange, &r->j);
        } else if (j->kind == K_SUM) {
            size_t chunks = (j->n + SUM_CHUNK - 1) / SUM_CHUNK;
            bn_ctx_parallel_for(r->ctx, chunks, 1, krange, &r->j);
            float s = 0;
            for (size_t c = 0; c < chunks; c++) s += j->partial[c];
            j->partial[chunks] = s;
        } else {
            size_t blocks = (j->n + 63) / 64;
            /* grain: one chunk per thread above 16K elements */
            bn_ctx_parallel_for(r->ctx, blocks, 256, krange, &r->j);
        }
    }
}

static int iters_for(size_t n) { return n <= 1024 ? 2000 : n <= (1u << 20) ? 10 : 1; }

static double measure(bnb_options *opt, run_arg *r, size_t n) {
    r->iters = iters_for(n);
    bnb_options o = *opt;
    if (n > (1u << 22)) {
        if (o.reps > 5) o.reps = 5;
        if (o.warmup > 1) o.warmup = 1;
    }
    bnb_result res = bnb_measure(&o, run_once, r);
    return res.median / r->iters;
}

static void report(bnb_options *opt, const char *op, size_t n, int threads, const char *isa, double sec,
                   double bytes_per_elem, double scalar_gbps, double copy_gbps) {
    char name[96];
    snprintf(name, sizeof name, "ops/%s/%zu/t%d/%s", op, n, threads, isa);
    if (!bnb_selected(opt, name)) return;
    double gbps = (double)n * bytes_per_elem / sec / 1e9;
    bnb_result r = {sec, sec, sec, sec, sec, 1};
    bnb_field f[] = {BNB_TXT("op", op),
                     BNB_TXT("isa", isa),
                     BNB_NUM("n", (double)n),
                     BNB_NUM("threads", threads),
                     BNB_NUM("gbps", gbps),
                     BNB_NUM("scalar_gbps", scalar_gbps),
                     BNB_NUM("copy_gbps", copy_gbps),
                     BNB_NUM("vs_scalar", scalar_gbps > 0 ? gbps / scalar_gbps : 0),
                     BNB_NUM("vs_copy", copy_gbps > 0 ? gbps / copy_gbps : 0)};
    bnb_report(opt, name, &r, f, (int)(sizeof f / sizeof f[0]));
}

int bnb_ops_main(int argc, char **argv) {
    bnb_options opt;
    int first = bnb_parse_args(&opt, argc, argv);
    if (first < 0) return 2;
    size_t max_n = (size_t)64 << 20;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) max_n = (size_t)1 << 20;
        else if (strcmp(argv[i], "--max-n") == 0 && i + 1 < argc) max_n = (size_t)strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "%s: unknown argument '%s' (harness flags, --quick, --max-n N)\n", argv[0], argv[i]);
            return 2;
        }
    }
    const size_t sizes[] = {1024, (size_t)1 << 20, (size_t)64 << 20};
    const int thread_counts[] = {1, 2};
    bn_ctx *ctxs[2] = {NULL, NULL};
    for (int t = 0; t < 2; t++) {
        bn_ctx_options o;
        bn_ctx_options_default(&o);
        o.num_threads = thread_counts[t];
        if (bn_ctx_new(&o, &ctxs[t]) != BN_OK) {
            fprintf(stderr, "bench ops: bn_ctx_new: %s\n", bn_last_error());
            return 1;
        }
    }
    if (!opt.json) printf("# ops; kernels in use:\n%s%s", bni_ew_kernels_describe(), bni_reduce_kernels_describe());
    enum { NOPS = 6 };
    static const char *const ops[NOPS] = {"add", "mul", "gelu", "softmax", "rmsnorm", "sum"};
    static const double bpe[NOPS] = {12, 12, 8, 8, 8, 4};
    for (int si = 0; si < 3; si++) {
        size_t n = sizes[si];
        if (n > max_n) continue;
        float *a = malloc(n * 4), *b = malloc(n * 4), *o = malloc(n * 4);
        float *partial = malloc((n / SUM_CHUNK + 2) * sizeof *partial);
        if (!a || !b || !o || !partial) {
            fprintf(stderr, "bench ops: out of memory for n = %zu\n", n);
            free(a), free(b), free(o), free(partial);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            a[i] = (float)((i * 2654435761u) % 2000) / 250.0f - 4.0f;
            b[i] = 1.0f + (float)(i % 7) * 0.125f;
            o[i] = 0;
        }
        size_t cols = n < ROW_MAX ? n : ROW_MAX;
        for (int ti = 0; ti < 2; ti++) {
            int threads = thread_counts[ti];
            run_arg r;
            memset(&r, 0, sizeof r);
            r.ctx = ctxs[ti];
            r.j = (kjob){K_COPY, a, b, o, n, NULL, NULL, NULL, cols, bni_stream_worth(n * 4), partial};
            double copy_s = measure(&opt, &r, n);
            double copy_gbps = (double)n * 8 / copy_s / 1e9;
            for (int oi = 0; oi < NOPS; oi++) {
                /* the scalar baseline runs when any ISA of the op is selected */
                int any = 0;
                char name[5][96];
                for (int isa = 0; isa < 5; isa++) {
                    snprintf(name[isa], sizeof name[isa], "ops/%s/%zu/t%d/%s", ops[oi], n, threads,
                             bn_isa_name((bn_isa)isa));
                    if (bni_ew_kernels_for_isa((bn_isa)isa) && bnb_selected(&opt, name[isa])) any = 1;
                }
                if (!any) continue;
                double scalar_gbps = 0;
                for (int isa = 0; isa < 5; isa++) {
                    const bni_ew_kernels *k = bni_ew_kernels_for_isa((bn_isa)isa);
                    const bni_reduce_kernels *rk = bni_reduce_kernels_for_isa((bn_isa)isa);
                    if (!k || !rk || (isa != 0 && !bnb_selected(&opt, name[isa]))) continue;
                    r.j.kind = oi <= 1 ? K_BIN : oi == 2 ? K_UN : oi == 3 ? K_SOFTMAX : oi == 4 ? K_RMSNORM : K_SUM;
                    r.j.bin = k->binary[oi == 0 ? BNI_EW_ADD : BNI_EW_MUL][BNI_EW_VV];
                    r.j.un = k->unary[BNI_EWU_GELU];
                    r.j.rk = rk;
                    double sec = measure(&opt, &r, n);
                    if (isa == 0) scalar_gbps = (double)n * bpe[oi] / sec / 1e9;
                    report(&opt, ops[oi], n, threads, bn_isa_name((bn_isa)isa), sec, bpe[oi], scalar_gbps,
                           copy_gbps);
                }
            }
        }
        free(a);
        free(b);
        free(o);
        free(partial);
    }
    /* dispatch overhead: bn_binary_into(BN_OP_ADD) on 1 and 1K contiguous f32 elements */
    for (int k = 0; k < 2; k++) {
        int64_t n = k == 0 ? 1 : 1024;
        char name[64];
        snprintf(name, sizeof name, "ops/dispatch/add_into/%d", (int)n);
        if (!bnb_selected(&opt, name)) continue;
        bn_tensor *x = NULL, *y = NULL;
        if (bn_tensor_ones(ctxs[0], BN_DTYPE_F32, 1, &n, &x) != BN_OK ||
            bn_tensor_zeros(ctxs[0], BN_DTYPE_F32, 1, &n, &y) != BN_OK) {
            fprintf(stderr, "bench ops: %s\n", bn_last_error());
            return 1;
        }
        run_arg r;
        memset(&r, 0, sizeof r);
        r.api = 4;
        r.x = x;
        r.y = y;
        r.iters = 20000;
        bnb_result res = bnb_measure(&opt, run_once, &r);
        double per = res.median / r.iters;
        {
            bnb_result rr = {per, res.p10 / r.iters, res.p90 / r.iters, res.min / r.iters, res.max / r.iters, res.reps};
            bnb_field f[] = {BNB_TXT("op", "add_into"), BNB_TXT("isa", bn_isa_name(bn_cpu_isa())),
                             BNB_NUM("n", (double)n), BNB_NUM("threads", 1), BNB_NUM("ops_per_s", 1.0 / per)};
            bnb_report(&opt, name, &rr, f, 5);
        }
        bn_tensor_free(x);
        bn_tensor_free(y);
    }
    bn_ctx_free(ctxs[0]);
    bn_ctx_free(ctxs[1]);
    return bnb_finish(&opt);
}
