/* bench_linalg: bn_matmul_into beside a direct CBLAS call on the same
 * buffers, in the same run, and every LAPACK-backed function beside the
 * direct LAPACKE calls that give the same result; on 1 and 2 threads.
 *
 *   bench_linalg [--max-n N (default 2048)] [--threads LIST (default 1,2)]
 *                [--lapack-n LIST (default 512; 0 = skip)] [--dtypes f32,f64 (default f32)]
 *                [--lapack-only] [--max-seconds S (default 3)] [common options]
 *
 * Square f32 products C = A B at n = 256, 512, ... up to --max-n, and the
 * BitNet b1.58 2B-4T projections y = x Wᵀ with W stored [out, in] as in
 * the checkpoints (in x out = 2560x2560, 2560x6912, 6912x2560) for 1 and
 * 128 rows of activations: we pass Wᵀ as a transposed view, so the product
 * goes to BLAS with a transpose flag. The direct baseline is the call our
 * code makes (cblas_sgemm; cblas_sgemv for one row), plus cblas_sgemm for
 * one row for reference.
 *
 * LAPACK: solve (b [n]), cholesky (lower, upper), qr (reduced), svd
 * (values, thin), eigh (with vectors, values), eig (values), inv, det,
 * slogdet, lstsq (b [n]), pinv, matrix_rank and cond of an n x n row-major
 * matrix (random; R Rᵀ + n I where it must be SPD) at each n of --lapack-n,
 * in f32 and/or f64. Names are linalg/<function>/<dtype>; the direct
 * baseline of each is named in the `vs` field and described in
 * direct_f32/f64 below: a copy of A into a buffer allocated once (LAPACK
 * overwrites its input), then the LAPACKE_?xxx_work routines with a
 * workspace queried once, outside the timing. Repetitions are cut so that
 * one case takes about --max-seconds (at least 3 pairs).
 *
 * Ours and the baseline are timed alternately, repetition by repetition
 * (in alternating order), so machine noise hits both alike; overhead_pct
 * is the median over repetitions of ours_i / direct_i - 1, robust to load
 * bursts that span a pair. */
#ifndef BENCH_LA_T /* the program; the #else part is the direct calls, included twice below */
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "harness.h"

typedef struct job {
    bn_tensor *a, *b, *c; /* ours: a [m,k], b [k,n] (maybe a transposed view), c [m,n] */
    int m, k, n, bt;      /* bt: b is Wᵀ of a row-major W [n, k] */
    int direct_gemv;      /* baseline: sgemv instead of sgemm (one row) */
} job;

static void run_ours(void *arg) {
    job *j = arg;
    bn_matmul_into(j->a, j->b, j->c);
}

static void run_direct(void *arg) {
    job *j = arg;
    const float *a = bn_tensor_data(j->a), *b = bn_tensor_data(j->b);
    float *c = bn_tensor_data(j->c);
    int n = j->n;
    if (j->direct_gemv) /* y[n] = W x, W [n, k] row-major */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, j->k, 1.0f, b, j->k, a, 1, 0.0f, c, 1);
    else if (j->bt)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->m, n, j->k, 1.0f, a, j->k, b, j->k, 0.0f, c, n);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->m, n, j->k, 1.0f, a, j->k, b, n, 0.0f, c, n);
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

/* ---- LAPACK functions -------------------------------------------------- */

/* Each function is timed beside the direct LAPACKE calls a user would make
 * to get the same result from the same row-major matrix, on buffers
 * allocated once: a copy of A (LAPACK overwrites its input), then the
 * LAPACKE_?xxx_work routines with a workspace queried once at set-up. See
 * the comment of each case in direct_f32/f64 for what it does. */
enum {
    OP_SOLVE, OP_CHOL_L, OP_CHOL_U, OP_QR, OP_SVD_VALUES, OP_SVD_THIN, OP_EIGH, OP_EIGH_VALUES, OP_EIG_VALUES,
    OP_INV, OP_DET, OP_SLOGDET, OP_LSTSQ, OP_PINV, OP_RANK, OP_COND, OP_COUNT
};
static const char *op_names[OP_COUNT] = {
    "linalg/solve", "linalg/cholesky_lower", "linalg/cholesky_upper", "linalg/qr", "linalg/svd_values",
    "linalg/svd_thin", "linalg/eigh", "linalg/eigh_values", "linalg/eig_values", "linalg/inv", "linalg/det",
    "linalg/slogdet", "linalg/lstsq", "linalg/pinv", "linalg/matrix_rank", "linalg/cond"};
/* The direct calls (p = s or d). */
static const char *op_direct[OP_COUNT] = {
    "memcpy+?getrf+?getrs(T)", "memcpy+?potrf(U)", "memcpy+?potrf(L)", "memcpy+?geqrf+R+?orgqr",
    "memcpy+?gesdd(N)", "memcpy+?gesdd(S)", "memcpy+?syevd(V)", "memcpy+?syevd(N)", "memcpy+?geev(N,N)",
    "memcpy+?getrf+?getri", "memcpy+?getrf+prod", "memcpy+?getrf+logsum", "memcpy+?gelsd(row-major)",
    "memcpy+?gesdd(S)+scale+?gemm", "memcpy+?gesdd(N)", "memcpy+?gesdd(N)"};

typedef struct lajob {
    int op, n, dbl, variant; /* cholesky_lower: 3 baselines (direct_f32) */
    bn_tensor *a, *b;        /* ours: a [n, n], b [n] */
    void *s1, *s2, *s3, *s4, *work;
    lapack_int *ipiv, *iwork, lwork, liwork;
    volatile double sink; /* keeps det/slogdet/rank/cond results alive */
} lajob;

/* The direct baseline's buffers: 64-byte aligned, as a careful caller's
 * (and as our pool's blocks) are, so that alignment plays no part. */
static void *amalloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

static void direct_f32(lajob *j);
static void direct_f64(lajob *j);
static int setup_f32(lajob *j);
static int setup_f64(lajob *j);

static void la_ours(void *arg) {
    lajob *j = arg;
    bn_tensor *o1 = NULL, *o2 = NULL, *o3 = NULL;
    bn_status st;
    switch (j->op) {
    case OP_SOLVE: st = bn_linalg_solve(j->a, j->b, &o1); break;
    case OP_CHOL_L: st = bn_linalg_cholesky(j->a, BN_LOWER, &o1); break;
    case OP_CHOL_U: st = bn_linalg_cholesky(j->a, BN_UPPER, &o1); break;
    case OP_QR: st = bn_linalg_qr(j->a, BN_QR_REDUCED, &o1, &o2); break;
    case OP_SVD_VALUES: st = bn_linalg_svd(j->a, BN_SVD_VALUES, NULL, &o1, NULL); break;
    case OP_SVD_THIN: st = bn_linalg_svd(j->a, BN_SVD_THIN, &o1, &o2, &o3); break;
    case OP_EIGH: st = bn_linalg_eigh(j->a, BN_LOWER, &o1, &o2); break;
    case OP_EIGH_VALUES: st = bn_linalg_eigh(j->a, BN_LOWER, &o1, NULL); break;
    case OP_EIG_VALUES: st = bn_linalg_eig(j->a, &o1, NULL); break;
    case OP_INV: st = bn_linalg_inv(j->a, &o1); break;
    case OP_DET: st = bn_linalg_det(j->a, &o1); break;
    case OP_SLOGDET: st = bn_linalg_slogdet(j->a, &o1, &o2); break;
    case OP_LSTSQ: st = bn_linalg_lstsq(j->a, j->b, -1.0, &o1); break;
    case OP_PINV: st = bn_linalg_pinv(j->a, -1.0, &o1); break;
    case OP_RANK: st = bn_linalg_matrix_rank(j->a, -1.0, &o1); break;
    default: st = bn_linalg_cond(j->a, &o1); break;
    }
    if (st != BN_OK) {
        fprintf(stderr, "bench_linalg: %s\n", bn_last_error());
        exit(1);
    }
    bn_tensor_free(o1);
    bn_tensor_free(o2);
    bn_tensor_free(o3);
}

static void la_direct(void *arg) {
    lajob *j = arg;
    if (j->dbl) direct_f64(j);
    else direct_f32(j);
}

/* Ours and direct alternately (as measure_pair), with the repetitions cut
 * so that one (op, n) takes about max_s seconds (at least 3 pairs). */
static void la_measure(const bnb_options *opt, lajob *j, double max_s, bnb_result *ro, bnb_result *rd,
                       double *ratio) {
    double t0 = bnb_now();
    la_ours(j);
    la_direct(j);
    double pair = bnb_now() - t0;
    bnb_options o = *opt;
    int fit = pair > 0 ? (int)(max_s / pair) : o.reps;
    if (fit < o.reps) o.reps = fit < 3 ? 3 : fit;
    if (pair * o.warmup > max_s / 4) o.warmup = 0; /* the pair above warmed up */
    double *so = malloc(sizeof(double) * (size_t)o.reps), *sd = malloc(sizeof(double) * (size_t)o.reps);
    double *sr = malloc(sizeof(double) * (size_t)o.reps);
    for (int i = 0; i < o.warmup; i++) {
        la_ours(j);
        la_direct(j);
    }
    for (int i = 0; i < o.reps; i++) {
        double a = bnb_now();
        if (i % 2 == 0) {
            la_ours(j);
            double b = bnb_now();
            la_direct(j);
            so[i] = b - a;
            sd[i] = bnb_now() - b;
        } else {
            la_direct(j);
            double b = bnb_now();
            la_ours(j);
            sd[i] = b - a;
            so[i] = bnb_now() - b;
        }
    }
    for (int i = 0; i < o.reps; i++) sr[i] = so[i] / sd[i];
    *ro = bnb_summarize(so, o.reps);
    *rd = bnb_summarize(sd, o.reps);
    *ratio = bnb_summarize(sr, o.reps).median;
    free(so);
    free(sd);
    free(sr);
}

static int bench_lapack(bnb_options *opt, bn_ctx *ctx, int threads, int op, int n, int dbl, double max_s) {
    char name[64];
    snprintf(name, sizeof name, "%s/%s", op_names[op], dbl ? "f64" : "f32");
    if (!bnb_selected(opt, name)) return 0;
    lajob j;
    memset(&j, 0, sizeof j);
    j.op = op;
    j.n = n;
    j.dbl = dbl;
    bn_dtype dt = dbl ? BN_DTYPE_F64 : BN_DTYPE_F32;
    size_t es = dbl ? sizeof(double) : sizeof(float), nn = (size_t)n * (size_t)n;
    int64_t s[2] = {n, n}, v[1] = {n};
    bn_tensor *r = NULL;
    if (bn_tensor_randn(ctx, dt, 2, s, 0, 1, &r)) return 1;
    if (op == OP_CHOL_L || op == OP_CHOL_U || op == OP_EIGH || op == OP_EIGH_VALUES) { /* SPD: R Rᵀ + n I */
        bn_tensor *rt = NULL, *p = NULL;
        bn_tensor_transpose(r, 0, 1, &rt);
        bn_matmul(r, rt, &p);
        char *pd = bn_tensor_data(p);
        for (int i = 0; i < n; i++) {
            if (dbl) ((double *)pd)[(size_t)i * (size_t)n + (size_t)i] += n;
            else ((float *)pd)[(size_t)i * (size_t)n + (size_t)i] += (float)n;
        }
        bn_tensor_free(rt);
        bn_tensor_free(r);
        r = p;
    }
    j.a = r;
    if (bn_tensor_randn(ctx, dt, 1, v, 0, 1, &j.b)) return 1;
    j.s1 = amalloc(es * nn);
    j.s2 = amalloc(es * nn);
    j.s3 = amalloc(es * nn);
    j.s4 = amalloc(es * nn);
    j.ipiv = malloc(sizeof(lapack_int) * (size_t)n * 8);
    if (!j.s1 || !j.s2 || !j.s3 || !j.s4 || !j.ipiv || (dbl ? setup_f64(&j) : setup_f32(&j))) {
        fprintf(stderr, "bench_linalg: set-up of %s failed\n", name);
        return 1;
    }
    openblas_set_num_threads(threads);
    char shape[32];
    snprintf(shape, sizeof shape, "%dx%d", n, n);
    for (int variant = 0; variant < (op == OP_CHOL_L ? 3 : 1); variant++) {
        j.variant = variant;
        bnb_result ro, rd;
        double ratio;
        la_measure(opt, &j, max_s, &ro, &rd, &ratio);
        char dname[64];
        snprintf(dname, sizeof dname, "%s",
                 variant == 1 ? "memcpy+?potrf(row-major,L)" : variant == 2 ? "memcpy+?potrf(L)" : op_direct[op]);
        for (char *p = dname; *p; p++)
            if (*p == '?') *p = dbl ? 'd' : 's';
        double over = 100.0 * (ratio - 1.0);
        bnb_field fo[] = {BNB_TXT("impl", "bitnet"), BNB_TXT("shape", shape), BNB_NUM("threads", threads),
                          BNB_NUM("overhead_pct", over), BNB_TXT("vs", dname)};
        bnb_field fd[] = {BNB_TXT("impl", dname), BNB_TXT("shape", shape), BNB_NUM("threads", threads)};
        bnb_report(opt, name, &ro, fo, 5);
        bnb_report(opt, name, &rd, fd, 3);
    }
    free(j.s1);
    free(j.s2);
    free(j.s3);
    free(j.s4);
    free(j.ipiv);
    free(j.work);
    free(j.iwork);
    bn_tensor_free(j.a);
    bn_tensor_free(j.b);
    return 0;
}

/* A comma-separated list of up to max positive integers. */
static int parse_list(const char *s, int *out, int max) {
    int k = 0;
    for (char *p = (char *)s; *p && k < max;) {
        out[k++] = (int)strtol(p, &p, 10);
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return k;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            printf("usage: bench_linalg [--max-n N (default 2048)] [--threads LIST (default 1,2)]\n"
                   "                    [--lapack-n LIST (default 512; 0 = skip)] [--dtypes f32,f64 (default f32)]\n"
                   "                    [--lapack-only] [--max-seconds S (per LAPACK case, default 3)] "
                   "[common options]\n\n");
    bnb_options opt;
    int rest = bnb_parse_args(&opt, argc, argv);
    if (rest < 0) return 2;
    int max_n = 2048, lapack_n[8] = {512}, nlapack = 1, threads[8] = {1, 2}, nthreads = 2, lapack_only = 0;
    int dtypes[2] = {0}, ndtypes = 1;
    double max_s = 3.0;
    for (int i = rest; i < argc; i++) {
        if (strcmp(argv[i], "--max-n") == 0 && i + 1 < argc) {
            max_n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--lapack-n") == 0 && i + 1 < argc) {
            nlapack = parse_list(argv[++i], lapack_n, 8);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = parse_list(argv[++i], threads, 8);
        } else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
            max_s = atof(argv[++i]);
        } else if (strcmp(argv[i], "--lapack-only") == 0) {
            lapack_only = 1;
        } else if (strcmp(argv[i], "--dtypes") == 0 && i + 1 < argc) {
            const char *d = argv[++i];
            ndtypes = 0;
            if (strstr(d, "f32")) dtypes[ndtypes++] = 0;
            if (strstr(d, "f64")) dtypes[ndtypes++] = 1;
        } else {
            fprintf(stderr, "bench_linalg: unknown argument '%s' (own options: --max-n N, --threads LIST, "
                            "--lapack-n LIST, --dtypes LIST, --lapack-only, --max-seconds S)\n", argv[i]);
            return 2;
        }
    }
    if (nlapack < 0 || nthreads <= 0 || ndtypes == 0) {
        fprintf(stderr, "bench_linalg: bad --lapack-n, --threads or --dtypes list\n");
        return 2;
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
        if (!lapack_only) {
            for (int n = 256; n <= max_n && !err; n *= 2) err = bench_matmul(&opt, ctx, t, n, n, n, 0);
            static const int shapes[3][2] = {{2560, 2560}, {2560, 6912}, {6912, 2560}}; /* in x out */
            for (int s = 0; s < 3 && !err; s++)
                for (int rows = 1; rows <= 128 && !err; rows *= 128)
                    err = bench_matmul(&opt, ctx, t, rows, shapes[s][0], shapes[s][1], 1);
        }
        for (int li = 0; li < nlapack && !err; li++)
            for (int di = 0; di < ndtypes && !err && lapack_n[li] > 0; di++)
                for (int op = 0; op < OP_COUNT && !err; op++)
                    err = bench_lapack(&opt, ctx, t, op, lapack_n[li], dtypes[di], max_s);
        bn_ctx_free(ctx);
        if (err) return 1;
    }
    return bnb_finish(&opt);
}

/* The direct LAPACKE calls in single and double precision: this file again,
 * with BENCH_LA_T defined. */
#define BENCH_LA_T float
#define BENCH_LA_P(x) LAPACKE_s##x##_work
#define BENCH_LA_FN(x) x##_f32
#define BENCH_LA_GEMM cblas_sgemm
#define BENCH_LA_EPS FLT_EPSILON
#include __FILE__
#undef BENCH_LA_T
#undef BENCH_LA_P
#undef BENCH_LA_FN
#undef BENCH_LA_GEMM
#undef BENCH_LA_EPS
#define BENCH_LA_T double
#define BENCH_LA_P(x) LAPACKE_d##x##_work
#define BENCH_LA_FN(x) x##_f64
#define BENCH_LA_GEMM cblas_dgemm
#define BENCH_LA_EPS DBL_EPSILON
#include __FILE__

#else /* BENCH_LA_T: the direct calls in precision BENCH_LA_T */

/* Workspace queries (not timed). */
static int BENCH_LA_FN(setup)(lajob *j) {
    typedef BENCH_LA_T T;
    int n = j->n;
    T q = 0, q2 = 0, *a = j->s1, *s2 = j->s2, *s3 = j->s3, *s4 = j->s4;
    lapack_int iq = 0, rank = 0;
    j->liwork = 8 * n;
    j->iwork = malloc(sizeof(lapack_int) * (size_t)j->liwork);
    if (!j->iwork) return 1;
    switch (j->op) {
    case OP_QR:
        BENCH_LA_P(geqrf)(LAPACK_COL_MAJOR, n, n, a, n, s3, &q, -1);
        BENCH_LA_P(orgqr)(LAPACK_COL_MAJOR, n, n, n, a, n, s3, &q2, -1);
        if (q2 > q) q = q2;
        break;
    case OP_SVD_VALUES:
    case OP_RANK:
    case OP_COND:
        BENCH_LA_P(gesdd)(LAPACK_COL_MAJOR, 'N', n, n, a, n, s2, NULL, 1, NULL, 1, &q, -1, j->iwork);
        break;
    case OP_SVD_THIN:
    case OP_PINV:
        BENCH_LA_P(gesdd)(LAPACK_COL_MAJOR, 'S', n, n, a, n, s2, s3, n, s4, n, &q, -1, j->iwork);
        break;
    case OP_EIGH:
    case OP_EIGH_VALUES:
        BENCH_LA_P(syevd)(LAPACK_COL_MAJOR, j->op == OP_EIGH ? 'V' : 'N', 'U', n, a, n, s2, &q, -1, &iq, -1);
        break;
    case OP_EIG_VALUES:
        BENCH_LA_P(geev)(LAPACK_COL_MAJOR, 'N', 'N', n, a, n, s2, s3, NULL, 1, NULL, 1, &q, -1);
        break;
    case OP_INV: BENCH_LA_P(getri)(LAPACK_COL_MAJOR, n, a, n, j->ipiv, &q, -1); break;
    case OP_LSTSQ:
        BENCH_LA_P(gelsd)(LAPACK_ROW_MAJOR, n, n, 1, a, n, s2, 1, s3, (T)n * BENCH_LA_EPS, &rank, &q, -1, &iq);
        break;
    default: break;
    }
    if (iq > j->liwork) {
        free(j->iwork);
        j->liwork = iq;
        if (!(j->iwork = malloc(sizeof(lapack_int) * (size_t)iq))) return 1;
    }
    j->lwork = (lapack_int)((double)q * (1.0 + 1e-6)) + 1;
    j->work = amalloc(sizeof(T) * (size_t)j->lwork);
    return j->work == NULL;
}

/* What a user does with LAPACKE to get our result from the row-major
 * matrix A (and b): copy A (LAPACK overwrites it), then the routines.
 * LAPACK sees the row-major copy as column-major, i.e. as Aᵀ; where the
 * problem allows, the call is set up so that this gives A's result
 * directly (solve: getrs with 'T'; cholesky: the other triangle; svd: U
 * and Vᵀ swap roles; inv: inv(Aᵀ) = inv(A)ᵀ; det(Aᵀ) = det(A); eigh of a
 * symmetric A). qr, eigh's vectors and pinv are computed for Aᵀ (the same
 * flops; the result is the transpose of what was asked), lstsq uses
 * LAPACKE's row-major interface (which transposes). */
static void BENCH_LA_FN(direct)(lajob *j) {
    typedef BENCH_LA_T T;
    int n = j->n;
    size_t nn = (size_t)n * (size_t)n;
    const T *a = bn_tensor_data(j->a), *b = bn_tensor_data(j->b);
    T *s1 = j->s1, *s2 = j->s2, *s3 = j->s3, *s4 = j->s4, *w = j->work;
    lapack_int *ipiv = j->ipiv, lw = j->lwork, rank = 0;
    double acc = 0;
    memcpy(s1, a, sizeof(T) * nn);
    switch (j->op) {
    case OP_SOLVE:
        memcpy(s2, b, sizeof(T) * (size_t)n);
        BENCH_LA_P(getrf)(LAPACK_COL_MAJOR, n, n, s1, n, ipiv);
        BENCH_LA_P(getrs)(LAPACK_COL_MAJOR, 'T', n, 1, s1, n, ipiv, s2, n);
        break;
    case OP_CHOL_L: /* the same row-major L: ?potrf('U') on the copy, or LAPACKE's row-major interface
                     * (which transposes into a scratch copy and back); variant 2: ?potrf('L'), the routine
                     * we call, which leaves the row-major upper factor (a reference, not the same result) */
        if (j->variant == 1) BENCH_LA_P(potrf)(LAPACK_ROW_MAJOR, 'L', n, s1, n);
        else BENCH_LA_P(potrf)(LAPACK_COL_MAJOR, j->variant ? 'L' : 'U', n, s1, n);
        break;
    case OP_CHOL_U: BENCH_LA_P(potrf)(LAPACK_COL_MAJOR, 'L', n, s1, n); break;
    case OP_QR:
        BENCH_LA_P(geqrf)(LAPACK_COL_MAJOR, n, n, s1, n, s3, w, lw);
        for (int c = 0; c < n; c++) memcpy(s2 + (size_t)c * (size_t)n, s1 + (size_t)c * (size_t)n, sizeof(T) * (size_t)(c + 1));
        BENCH_LA_P(orgqr)(LAPACK_COL_MAJOR, n, n, n, s1, n, s3, w, lw);
        break;
    case OP_SVD_VALUES:
    case OP_RANK:
    case OP_COND:
        BENCH_LA_P(gesdd)(LAPACK_COL_MAJOR, 'N', n, n, s1, n, s2, NULL, 1, NULL, 1, w, lw, j->iwork);
        acc = s2[0] / s2[n - 1];
        break;
    case OP_SVD_THIN:
        BENCH_LA_P(gesdd)(LAPACK_COL_MAJOR, 'S', n, n, s1, n, s2, s3, n, s4, n, w, lw, j->iwork);
        break;
    case OP_PINV: {
        BENCH_LA_P(gesdd)(LAPACK_COL_MAJOR, 'S', n, n, s1, n, s2, s3, n, s4, n, w, lw, j->iwork);
        double cut = (double)n * BENCH_LA_EPS * (double)s2[0];
        for (int i = 0; i < n; i++) {
            T f = (double)s2[i] > cut ? (T)(1.0 / (double)s2[i]) : (T)0;
            for (int c = 0; c < n; c++) s4[i + (size_t)c * (size_t)n] *= f;
        }
        BENCH_LA_GEMM(CblasColMajor, CblasTrans, CblasTrans, n, n, n, (T)1, s4, n, s3, n, (T)0, s1, n);
        break;
    }
    case OP_EIGH:
    case OP_EIGH_VALUES:
        BENCH_LA_P(syevd)(LAPACK_COL_MAJOR, j->op == OP_EIGH ? 'V' : 'N', 'U', n, s1, n, s2, w, lw, j->iwork,
                          j->liwork);
        break;
    case OP_EIG_VALUES: BENCH_LA_P(geev)(LAPACK_COL_MAJOR, 'N', 'N', n, s1, n, s2, s3, NULL, 1, NULL, 1, w, lw); break;
    case OP_INV:
        BENCH_LA_P(getrf)(LAPACK_COL_MAJOR, n, n, s1, n, ipiv);
        BENCH_LA_P(getri)(LAPACK_COL_MAJOR, n, s1, n, ipiv, w, lw);
        break;
    case OP_DET:
    case OP_SLOGDET:
        BENCH_LA_P(getrf)(LAPACK_COL_MAJOR, n, n, s1, n, ipiv);
        acc = j->op == OP_DET ? 1.0 : 0.0;
        for (int i = 0; i < n; i++) {
            double d = (double)s1[(size_t)i * (size_t)(n + 1)];
            if (j->op == OP_DET) acc *= ipiv[i] != i + 1 ? -d : d;
            else acc += log(fabs(d));
        }
        break;
    case OP_LSTSQ:
        memcpy(s2, b, sizeof(T) * (size_t)n);
        BENCH_LA_P(gelsd)(LAPACK_ROW_MAJOR, n, n, 1, s1, n, s2, 1, s3, (T)n * BENCH_LA_EPS, &rank, w, lw, j->iwork);
        break;
    default: break;
    }
    j->sink = acc;
}

#endif /* BENCH_LA_T */
