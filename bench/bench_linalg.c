/* bench_linalg: bn_matmul_into beside a direct CBLAS call on the same
 * buffers, in the same run, and a few LAPACK functions beside a direct
 * LAPACKE call; on 1 and 2 threads.
 *
 *   bench_linalg [--max-n N (default 2048)] [--threads 1,2] [--lapack-n N (default 512)] [common options]
 *
 * Square f32 products C = A B at n = 256, 512, ... up to --max-n, and the
 * BitNet b1.58 2B-4T projections y = x Wᵀ with W stored [out, in] as in
 * the checkpoints (in x out = 2560x2560, 2560x6912, 6912x2560) for 1 and
 * 128 rows of activations: we pass Wᵀ as a transposed view, so the product
 * goes to BLAS with a transpose flag. The direct baseline is the call our
 * code makes (cblas_sgemm; cblas_sgemv for one row), plus cblas_sgemm for
 * one row for reference. Ours and the baseline are timed alternately,
 * repetition by repetition (in alternating order), so machine noise hits
 * both alike; overhead_pct is the median over repetitions of
 * ours_i / direct_i - 1, robust to load bursts that span a pair. */
#include <cblas.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "harness.h"

typedef struct job {
    bn_tensor *a, *b, *c; /* ours: a [m,k], b [k,n] (maybe a transposed view), c [m,n] */
    int m, k, n, bt;      /* bt: b is Wᵀ of a row-major W [n, k] */
    int direct_gemv;      /* baseline: sgemv instead of sgemm (one row) */
    /* LAPACK */
    int op;               /* 0 matmul, 1 solve, 2 cholesky, 3 svd values */
    bn_tensor *x;
    float *s1, *s2, *s3;
    lapack_int *ipiv;
} job;

static void run_ours(void *arg) {
    job *j = arg;
    bn_tensor *o1 = NULL, *o2 = NULL;
    switch (j->op) {
    case 0: bn_matmul_into(j->a, j->b, j->c); break;
    case 1: bn_linalg_solve(j->a, j->b, &o1); break;
    case 2: bn_linalg_cholesky(j->a, BN_LOWER, &o1); break;
    default: bn_linalg_svd(j->a, BN_SVD_VALUES, NULL, &o1, &o2); break;
    }
    bn_tensor_free(o1);
    bn_tensor_free(o2);
}

static void run_direct(void *arg) {
    job *j = arg;
    const float *a = bn_tensor_data(j->a), *b = bn_tensor_data(j->b);
    float *c = j->op == 0 ? bn_tensor_data(j->c) : NULL;
    int n = j->n;
    switch (j->op) {
    case 0:
        if (j->direct_gemv) /* y[n] = W x, W [n, k] row-major */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, j->k, 1.0f, b, j->k, a, 1, 0.0f, c, 1);
        else if (j->bt)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->m, n, j->k, 1.0f, a, j->k, b, j->k, 0.0f, c, n);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->m, n, j->k, 1.0f, a, j->k, b, n, 0.0f, c, n);
        break;
    case 1: /* LAPACK overwrites: copy, then solve (the transpose system: same work) */
        memcpy(j->s1, a, sizeof(float) * (size_t)n * (size_t)n);
        memcpy(j->s2, b, sizeof(float) * (size_t)n);
        LAPACKE_sgesv_work(LAPACK_COL_MAJOR, n, 1, j->s1, n, j->ipiv, j->s2, n);
        break;
    case 2:
        memcpy(j->s1, a, sizeof(float) * (size_t)n * (size_t)n);
        LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'L', n, j->s1, n);
        break;
    default: {
        memcpy(j->s1, a, sizeof(float) * (size_t)n * (size_t)n);
        float q;
        LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', n, n, j->s1, n, j->s2, NULL, 1, NULL, 1, &q, -1, j->ipiv);
        lapack_int lw = (lapack_int)q + 1;
        float *w = malloc(sizeof(float) * (size_t)lw);
        LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', n, n, j->s1, n, j->s2, NULL, 1, NULL, 1, w, lw, j->ipiv);
        free(w);
        break;
    }
    }
}

/* Ours and direct alternately: warm-up, then reps pairs. */
static void measure_pair(const bnb_options *opt, job *j, bnb_result *ours, bnb_result *direct, double *ratio) {
    double *so = malloc(sizeof(double) * (size_t)opt->reps), *sd = malloc(sizeof(double) * (size_t)opt->reps);
    double *sr = malloc(sizeof(double) * (size_t)opt->reps);
    for (int i = 0; i < opt->warmup; i++) {
        run_ours(j);
        run_direct(j);
    }
    for (int i = 0; i < opt->reps; i++) {
        double t0 = bnb_now();
        if (i % 2 == 0) {
            run_ours(j);
            double t1 = bnb_now();
            run_direct(j);
            so[i] = t1 - t0;
            sd[i] = bnb_now() - t1;
        } else {
            run_direct(j);
            double t1 = bnb_now();
            run_ours(j);
            sd[i] = t1 - t0;
            so[i] = bnb_now() - t1;
        }
    }
    for (int i = 0; i < opt->reps; i++) sr[i] = so[i] / sd[i];
    *ours = bnb_summarize(so, opt->reps);
    *direct = bnb_summarize(sd, opt->reps);
    *ratio = bnb_summarize(sr, opt->reps).median;
    free(so);
    free(sd);
    free(sr);
}

static void report_pair(bnb_options *opt, const char *name, const char *shape, int threads, double flops,
                        const bnb_result *ro, const bnb_result *rd, double ratio, const char *direct_name) {
    double over = 100.0 * (ratio - 1.0);
    bnb_field fo[] = {BNB_TXT("impl", "bitnet"), BNB_TXT("shape", shape), BNB_NUM("threads", threads),
                      BNB_NUM("gflop_s", flops / ro->median * 1e-9), BNB_NUM("overhead_pct", over)};
    bnb_field fd[] = {BNB_TXT("impl", direct_name), BNB_TXT("shape", shape), BNB_NUM("threads", threads),
                      BNB_NUM("gflop_s", flops / rd->median * 1e-9)};
    bnb_report(opt, name, ro, fo, 5);
    bnb_report(opt, name, rd, fd, 4);
}

static int bench_matmul(bnb_options *opt, bn_ctx *ctx, int threads, int m, int k, int n, int wt) {
    char name[64] = "linalg/matmul", shape[96];
    snprintf(shape, sizeof shape, wt ? "%dx%d @ W[%d,%d]^T" : "%dx%d @ %dx%d", m, k, wt ? n : k, wt ? k : n);
    if (!bnb_selected(opt, name) && !bnb_selected(opt, shape)) return 0;
    job j;
    memset(&j, 0, sizeof j);
    int64_t as[2] = {m, k}, bs[2] = {wt ? n : k, wt ? k : n}, cs[2] = {m, n};
    bn_tensor *w = NULL;
    if (bn_tensor_randn(ctx, BN_DTYPE_F32, 2, as, 0, 1, &j.a) || bn_tensor_randn(ctx, BN_DTYPE_F32, 2, bs, 0, 1, &w) ||
        bn_tensor_zeros(ctx, BN_DTYPE_F32, 2, cs, &j.c)) {
        fprintf(stderr, "bench_linalg: %s\n", bn_last_error());
        return 1;
    }
    if (wt) {
        bn_tensor_transpose(w, 0, 1, &j.b);
        bn_tensor_free(w);
    } else {
        j.b = w;
    }
    j.m = m;
    j.k = k;
    j.n = n;
    j.bt = wt;
    j.direct_gemv = wt && m == 1;
    openblas_set_num_threads(threads);
    bnb_result ro, rd;
    double ratio;
    measure_pair(opt, &j, &ro, &rd, &ratio);
    double flops = 2.0 * m * (double)k * n;
    report_pair(opt, name, shape, threads, flops, &ro, &rd, ratio, j.direct_gemv ? "cblas_sgemv" : "cblas_sgemm");
    if (j.direct_gemv) { /* the same one-row product through sgemm, for reference */
        j.direct_gemv = 0;
        bnb_result r2 = bnb_measure(opt, run_direct, &j);
        bnb_field f[] = {BNB_TXT("impl", "cblas_sgemm"), BNB_TXT("shape", shape), BNB_NUM("threads", threads),
                         BNB_NUM("gflop_s", flops / r2.median * 1e-9)};
        bnb_report(opt, name, &r2, f, 4);
    }
    bn_tensor_free(j.a);
    bn_tensor_free(j.b);
    bn_tensor_free(j.c);
    return 0;
}

static int bench_lapack(bnb_options *opt, bn_ctx *ctx, int threads, int op, int n) {
    static const char *names[] = {"", "linalg/solve", "linalg/cholesky", "linalg/svd_values"};
    static const char *direct[] = {"", "LAPACKE_sgesv", "LAPACKE_spotrf", "LAPACKE_sgesdd"};
    if (!bnb_selected(opt, names[op])) return 0;
    job j;
    memset(&j, 0, sizeof j);
    j.op = op;
    j.n = n;
    int64_t s[2] = {n, n}, v[1] = {n};
    bn_tensor *r = NULL;
    if (bn_tensor_randn(ctx, BN_DTYPE_F32, 2, s, 0, 1, &r)) return 1;
    if (op == 2) { /* SPD: R Rᵀ + n I */
        bn_tensor *rt = NULL, *p = NULL;
        bn_tensor_transpose(r, 0, 1, &rt);
        bn_matmul(r, rt, &p);
        float *pd = bn_tensor_data(p);
        for (int i = 0; i < n; i++) pd[(size_t)i * (size_t)n + (size_t)i] += (float)n;
        bn_tensor_free(rt);
        bn_tensor_free(r);
        r = p;
    }
    j.a = r;
    if (bn_tensor_randn(ctx, BN_DTYPE_F32, 1, v, 0, 1, &j.b)) return 1;
    j.s1 = malloc(sizeof(float) * (size_t)n * (size_t)n);
    j.s2 = malloc(sizeof(float) * (size_t)n);
    j.ipiv = malloc(sizeof(lapack_int) * (size_t)n * 8);
    openblas_set_num_threads(threads);
    bnb_result ro, rd;
    double ratio;
    measure_pair(opt, &j, &ro, &rd, &ratio);
    double nn = n, flops = op == 1 ? 2.0 / 3.0 * nn * nn * nn : op == 2 ? nn * nn * nn / 3.0 : 8.0 / 3.0 * nn * nn * nn;
    char shape[32];
    snprintf(shape, sizeof shape, "%dx%d", n, n);
    report_pair(opt, names[op], shape, threads, flops, &ro, &rd, ratio, direct[op]);
    free(j.s1);
    free(j.s2);
    free(j.ipiv);
    bn_tensor_free(j.a);
    bn_tensor_free(j.b);
    return 0;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            printf("usage: bench_linalg [--max-n N (default 2048)] [--threads LIST (default 1,2)] "
                   "[--lapack-n N (default 512; 0 = skip)] [common options]\n\n");
    bnb_options opt;
    int rest = bnb_parse_args(&opt, argc, argv);
    if (rest < 0) return 2;
    int max_n = 2048, lapack_n = 512, threads[8] = {1, 2}, nthreads = 2;
    for (int i = rest; i < argc; i++) {
        if (strcmp(argv[i], "--max-n") == 0 && i + 1 < argc) {
            max_n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--lapack-n") == 0 && i + 1 < argc) {
            lapack_n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = 0;
            for (char *p = argv[++i]; *p && nthreads < 8;) {
                threads[nthreads++] = (int)strtol(p, &p, 10);
                if (*p == ',') p++;
                else if (*p) break;
            }
        } else {
            fprintf(stderr, "bench_linalg: unknown argument '%s' (own options: --max-n N, --threads LIST, "
                            "--lapack-n N)\n", argv[i]);
            return 2;
        }
    }
    for (int ti = 0; ti < nthreads; ti++) {
        int t = threads[ti];
        if (t < 1) {
            fprintf(stderr, "bench_linalg: bad thread count %d\n", t);
            return 2;
        }
        bn_ctx_options o;
        bn_ctx_options_default(&o);
        o.num_threads = t;
        o.seed = 1;
        bn_ctx *ctx = NULL;
        if (bn_ctx_new(&o, &ctx) != BN_OK) {
            fprintf(stderr, "bench_linalg: %s\n", bn_last_error());
            return 1;
        }
        int err = 0;
        for (int n = 256; n <= max_n && !err; n *= 2) err = bench_matmul(&opt, ctx, t, n, n, n, 0);
        static const int shapes[3][2] = {{2560, 2560}, {2560, 6912}, {6912, 2560}}; /* in x out */
        for (int s = 0; s < 3 && !err; s++)
            for (int rows = 1; rows <= 128 && !err; rows *= 128)
                err = bench_matmul(&opt, ctx, t, rows, shapes[s][0], shapes[s][1], 1);
        if (lapack_n > 0)
            for (int op = 1; op <= 3 && !err; op++) err = bench_lapack(&opt, ctx, t, op, lapack_n);
        bn_ctx_free(ctx);
        if (err) return 1;
    }
    return bnb_finish(&opt);
}
