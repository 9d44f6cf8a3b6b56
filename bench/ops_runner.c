/* The element-wise ops benchmark (see ops_runner.h).
 *
 * Kernel figures (add, mul, gelu) call each ISA's kernel table directly on
 * contiguous f32 arrays, split over 1 or 2 threads of a context with
 * bn_ctx_parallel_for, so every ISA is measured in one run. softmax,
 * rmsnorm and sum go through the public API (bn_softmax_into,
 * bn_rms_norm_into, bn_reduce_into), so they run at the process's ISA
 * (BITNET_ISA); their scalar_gbps is measured only when that ISA is scalar
 * and is otherwise reported as 0 (unknown).
 *
 * GB/s counts the bytes an op must move: add/mul 12 bytes per element (two
 * reads, one write), gelu/softmax/rmsnorm 8, sum 4. copy_gbps is memcpy of
 * n f32 (8 bytes moved per element) on the same thread count, in the same
 * run. */
#include "ops_runner.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cpu/ew_kernels.h"
#include "harness.h"

typedef struct kjob {
    const float *a, *b;
    float *o;
    size_t n;
    bni_ew_binary_fn bin;
    bni_ew_unary_fn un;
    const char *src;
    char *dst;
} kjob;

static void krange(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    const kjob *j = arg;
    size_t b = begin * 64, e = end * 64;
    if (e > j->n) e = j->n;
    if (b >= e) return;
    if (j->bin) j->bin(j->a + b, j->b + b, j->o + b, e - b);
    else if (j->un) j->un(j->a + b, j->o + b, e - b);
    else memcpy(j->dst + b * 4, j->src + b * 4, (e - b) * 4);
}

typedef struct run_arg {
    bn_ctx *ctx;
    kjob j;
    int iters;
    /* public-API ops */
    int api; /* 0 kernel, 1 softmax, 2 rmsnorm, 3 sum, 4 add_into */
    bn_tensor *x, *w, *y;
} run_arg;

static void run_once(void *p) {
    run_arg *r = p;
    for (int i = 0; i < r->iters; i++) {
        switch (r->api) {
        case 0: {
            size_t blocks = (r->j.n + 63) / 64;
            /* grain: one chunk per thread above 16K elements */
            bn_ctx_parallel_for(r->ctx, blocks, 256, krange, &r->j);
            break;
        }
        case 1: bn_softmax_into(r->x, -1, r->y); break;
        case 2: bn_rms_norm_into(r->x, r->w, 1e-5, r->y); break;
        case 3: bn_reduce_into(BN_REDUCE_SUM, r->x, NULL, 0, 0, 0, r->y); break;
        default: bn_binary_into(BN_OP_ADD, r->x, r->x, r->y); break;
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
    if (!opt.json) printf("# element-wise ops; kernels: %s", bni_ew_kernels_describe());
    for (int si = 0; si < 3; si++) {
        size_t n = sizes[si];
        if (n > max_n) continue;
        float *a = malloc(n * 4), *b = malloc(n * 4), *o = malloc(n * 4);
        if (!a || !b || !o) {
            fprintf(stderr, "bench ops: out of memory for n = %zu\n", n);
            free(a), free(b), free(o);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            a[i] = (float)((i * 2654435761u) % 2000) / 250.0f - 4.0f;
            b[i] = 1.0f + (float)(i % 7) * 0.125f;
            o[i] = 0;
        }
        for (int ti = 0; ti < 2; ti++) {
            bn_ctx *ctx = ctxs[ti];
            int threads = thread_counts[ti];
            run_arg r;
            memset(&r, 0, sizeof r);
            r.ctx = ctx;
            r.j = (kjob){a, b, o, n, NULL, NULL, (const char *)a, (char *)o};
            double copy_s = measure(&opt, &r, n);
            double copy_gbps = (double)n * 8 / copy_s / 1e9;
            const char *ops[3] = {"add", "mul", "gelu"};
            double scalar_gbps[3] = {0, 0, 0};
            for (int isa = 0; isa < 5; isa++) {
                const bni_ew_kernels *k = bni_ew_kernels_for_isa((bn_isa)isa);
                if (!k) continue;
                for (int oi = 0; oi < 3; oi++) {
                    r.j.bin = oi == 0 ? k->binary[BNI_EW_ADD][BNI_EW_VV] : oi == 1 ? k->binary[BNI_EW_MUL][BNI_EW_VV] : NULL;
                    r.j.un = oi == 2 ? k->unary[BNI_EWU_GELU] : NULL;
                    double bpe = oi == 2 ? 8 : 12;
                    double s = measure(&opt, &r, n);
                    if (isa == 0) scalar_gbps[oi] = (double)n * bpe / s / 1e9;
                    report(&opt, ops[oi], n, threads, bn_isa_name((bn_isa)isa), s, bpe, scalar_gbps[oi], copy_gbps);
                }
            }
            /* the other half, through the public API at the process's ISA */
            bn_isa cur = bn_cpu_isa();
            int64_t rows = n >= 4096 ? (int64_t)(n / 4096) : 1, cols = (int64_t)n / rows;
            int64_t shp[2] = {rows, cols};
            bn_tensor *x = NULL, *y = NULL, *w = NULL, *s0 = NULL;
            if (bn_tensor_wrap(ctx, BN_DTYPE_F32, 2, shp, NULL, a, n * 4, NULL, NULL, &x) == BN_OK &&
                bn_tensor_wrap(ctx, BN_DTYPE_F32, 2, shp, NULL, o, n * 4, NULL, NULL, &y) == BN_OK &&
                bn_tensor_wrap(ctx, BN_DTYPE_F32, 1, &cols, NULL, b, (size_t)cols * 4, NULL, NULL, &w) == BN_OK &&
                bn_tensor_zeros(ctx, BN_DTYPE_F32, 0, NULL, &s0) == BN_OK) {
                const char *names[3] = {"softmax", "rmsnorm", "sum"};
                const double bpe[3] = {8, 8, 4};
                for (int api = 1; api <= 3; api++) {
                    r.api = api;
                    r.x = x;
                    r.y = api == 3 ? s0 : y;
                    r.w = w;
                    double s = measure(&opt, &r, n);
                    double g = (double)n * bpe[api - 1] / s / 1e9;
                    report(&opt, names[api - 1], n, threads, bn_isa_name(cur), s, bpe[api - 1],
                           cur == BN_ISA_SCALAR ? g : 0, copy_gbps);
                }
                r.api = 0;
            }
            bn_tensor_free(x);
            bn_tensor_free(y);
            bn_tensor_free(w);
            bn_tensor_free(s0);
        }
        free(a);
        free(b);
        free(o);
    }
    /* dispatch overhead: bn_binary_into(BN_OP_ADD) on 1 and 1K contiguous f32 elements */
    for (int k = 0; k < 2; k++) {
        int64_t n = k == 0 ? 1 : 1024;
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
        char name[64];
        snprintf(name, sizeof name, "ops/dispatch/add_into/%d", (int)n);
        if (bnb_selected(&opt, name)) {
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
