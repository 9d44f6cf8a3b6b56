/* Errors of the linear-algebra functions, never silent NaN: singular
 * matrices (with LAPACK's pivot), matrices that are not positive definite
 * (with the order of the failing minor; BitNet-Rust's own case, Cholesky of
 * the singular all-ones matrix, included), non-square and 1-D inputs, NaN
 * and infinite inputs refused before LAPACK, overflowing inverses, dtypes,
 * bad arguments; outputs untouched on failure; the failing matrix of a
 * batch named; and an allocation-failure walk over every function. */
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static bn_ctx *g_ctx;
static bn_tensor *const SENTINEL = (bn_tensor *)(uintptr_t)0x5a5a5a5a;

static bn_tensor *make(bn_dtype dt, int ndim, const int64_t *shape, const double *vals) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    bn_tensor *t64 = NULL, *t = NULL;
    if (bn_tensor_from_data(g_ctx, BN_DTYPE_F64, ndim, shape, vals, sizeof(double) * (size_t)n, &t64) != BN_OK)
        return NULL;
    bn_tensor_cast(t64, dt, &t);
    bn_tensor_free(t64);
    return t;
}

static void test_cholesky(void) {
    for (int t = 0; t < 2; t++) {
        bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
        /* BitNet-Rust's test: the all-ones matrix is singular (rank 1) */
        double ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        int64_t s3[2] = {3, 3}, s2[2] = {2, 2};
        bn_tensor *a = make(dt, 2, s3, ones), *out = SENTINEL;
        CHECK_ERR(bn_linalg_cholesky(a, BN_LOWER, &out), BN_ERR_SINGULAR,
                  "bn_linalg_cholesky: batch matrix 0 is not positive definite: its leading minor of order 2");
        CHECK(out == SENTINEL);
        CHECK_ERR(bn_linalg_cholesky(a, BN_UPPER, &out), BN_ERR_SINGULAR, "leading minor of order 2");
        CHECK(out == SENTINEL);
        /* indefinite: order 2; negative diagonal: order 1 */
        double ind[4] = {1, 2, 2, 1}, neg[4] = {-1, 0, 0, 1};
        bn_tensor *b = make(dt, 2, s2, ind), *c = make(dt, 2, s2, neg);
        CHECK_ERR(bn_linalg_cholesky(b, BN_LOWER, &out), BN_ERR_SINGULAR, "order 2");
        CHECK_ERR(bn_linalg_cholesky(c, BN_LOWER, &out), BN_ERR_SINGULAR, "order 1");
        CHECK(out == SENTINEL);
        bn_tensor_free(a);
        bn_tensor_free(b);
        bn_tensor_free(c);
    }
}

/* Cholesky of large matrices (n >= 1024 takes the in-place path for the
 * lower factor too): the failing minor's order, NaN named by row and column. */
static void test_cholesky_large(void) {
    int64_t n = 1024, sh[2] = {n, n};
    double *I = calloc((size_t)(n * n), sizeof(double));
    for (int64_t i = 0; i < n; i++) I[i * n + i] = 1;
    I[700 * n + 700] = -1;
    bn_tensor *a = make(BN_DTYPE_F32, 2, sh, I), *out = SENTINEL;
    I[700 * n + 700] = 1;
    I[900 * n + 3] = NAN; /* lower triangle */
    bn_tensor *an = make(BN_DTYPE_F64, 2, sh, I);
    for (int up = 0; up < 2; up++) {
        bn_uplo uplo = up ? BN_UPPER : BN_LOWER;
        CHECK_ERR(bn_linalg_cholesky(a, uplo, &out), BN_ERR_SINGULAR, "its leading minor of order 701 is not");
    }
    CHECK_ERR(bn_linalg_cholesky(an, BN_LOWER, &out), BN_ERR_INVALID_ARGUMENT, "a has NaN at row 900, column 3");
    CHECK(out == SENTINEL);
    CHECK_OK(bn_linalg_cholesky(an, BN_UPPER, &out)); /* the NaN is outside the upper triangle */
    if (out != SENTINEL) bn_tensor_free(out);
    bn_tensor_free(a);
    bn_tensor_free(an);
    free(I);
}

static void test_singular(void) {
    for (int t = 0; t < 2; t++) {
        bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
        /* GEPP: pivot row 2, then row 3; row 1 becomes exactly zero: U(3,3) = 0 */
        double z[9] = {1, 2, 3, 2, 4, 6, 1, 1, 1}, zero[4] = {0, 0, 0, 0}, b3[3] = {1, 2, 3};
        int64_t s3[2] = {3, 3}, s2[2] = {2, 2}, v3[1] = {3};
        bn_tensor *a = make(dt, 2, s3, z), *zz = make(dt, 2, s2, zero), *b = make(dt, 1, v3, b3);
        bn_tensor *out = SENTINEL;
        CHECK_ERR(bn_linalg_solve(a, b, &out), BN_ERR_SINGULAR, "U(3,3) of its LU factorization is exactly zero");
        CHECK_ERR(bn_linalg_inv(a, &out), BN_ERR_SINGULAR, "bn_linalg_inv: batch matrix 0 is singular: pivot U(3,3)");
        CHECK_ERR(bn_linalg_inv(zz, &out), BN_ERR_SINGULAR, "U(1,1)");
        CHECK(out == SENTINEL);
        /* det and slogdet of a singular matrix are answers, not errors */
        bn_tensor *d = NULL;
        CHECK_OK(bn_linalg_det(a, &d));
        bn_tensor_free(d);
        /* an inverse that overflows the dtype */
        double tiny[1] = {t ? 1e-320 : 1e-39};
        int64_t s1[2] = {1, 1};
        bn_tensor *ti = make(dt, 2, s1, tiny);
        CHECK_ERR(bn_linalg_inv(ti, &out), BN_ERR_SINGULAR, "numerically singular: its inverse overflows");
        CHECK(out == SENTINEL);
        /* the failing matrix of a batch is named */
        double batch[12] = {1, 0, 0, 1, 2, 0, 0, 2, 1, 1, 1, 1};
        int64_t s322[3] = {3, 2, 2};
        bn_tensor *bt = make(dt, 3, s322, batch);
        CHECK_ERR(bn_linalg_inv(bt, &out), BN_ERR_SINGULAR, "batch matrix 2 is singular: pivot U(2,2)");
        CHECK_ERR(bn_linalg_cholesky(bt, BN_LOWER, &out), BN_ERR_SINGULAR, "batch matrix 2 is not positive definite");
        CHECK(out == SENTINEL);
        bn_tensor_free(a);
        bn_tensor_free(zz);
        bn_tensor_free(b);
        bn_tensor_free(ti);
        bn_tensor_free(bt);
    }
}

static void test_shapes_and_args(void) {
    int64_t s23[2] = {2, 3}, s3[1] = {3}, s33[2] = {3, 3}, s0[2] = {0, 3};
    bn_tensor *a = NULL, *v = NULL, *sq = NULL, *ai = NULL, *e = NULL, *out = SENTINEL, *o2 = SENTINEL;
    bn_tensor *sq64 = NULL, *b2 = NULL;
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s23, &a));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 1, s3, &v));
    CHECK_OK(bn_tensor_eye(g_ctx, BN_DTYPE_F32, 3, 3, &sq));
    CHECK_OK(bn_tensor_eye(g_ctx, BN_DTYPE_F64, 3, 3, &sq64));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_I32, 2, s33, &ai));
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F32, 2, s0, &e));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s23, &b2));
    CHECK_ERR(bn_linalg_inv(a, &out), BN_ERR_SHAPE, "bn_linalg_inv: a is [2,3]; square matrices [..., n, n] are needed");
    CHECK_ERR(bn_linalg_det(a, &out), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_cholesky(a, BN_LOWER, &out), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_eigh(a, BN_LOWER, &out, NULL), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_eig(a, &out, NULL), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_slogdet(a, &out, &o2), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_solve(a, v, &out), BN_ERR_SHAPE, "a is [2,3]");
    CHECK_ERR(bn_linalg_svd(v, BN_SVD_VALUES, NULL, &out, NULL), BN_ERR_SHAPE, "a is [3]; it needs at least 2");
    CHECK_ERR(bn_linalg_qr(v, BN_QR_REDUCED, &out, &o2), BN_ERR_SHAPE, "at least 2 dimensions");
    CHECK_ERR(bn_linalg_inv(ai, &out), BN_ERR_DTYPE, "bn_linalg_inv: a is i32");
    CHECK_ERR(bn_linalg_solve(sq, b2, &out), BN_ERR_SHAPE, "b must be [3] or [..., 3, k]");
    CHECK_ERR(bn_linalg_solve(sq64, v, &out), BN_ERR_DTYPE, "a is f64 and b is f32");
    CHECK_ERR(bn_linalg_lstsq(sq, b2, -1, &out), BN_ERR_SHAPE, "b must be");
    CHECK_ERR(bn_linalg_svd(sq, BN_SVD_FULL, NULL, &out, NULL), BN_ERR_INVALID_ARGUMENT, "u and vh are needed");
    CHECK_ERR(bn_linalg_svd(sq, (bn_svd_mode)7, &o2, &out, &o2), BN_ERR_INVALID_ARGUMENT, "mode 7");
    CHECK_ERR(bn_linalg_qr(sq, (bn_qr_mode)9, &out, &o2), BN_ERR_INVALID_ARGUMENT, "mode 9");
    CHECK_ERR(bn_linalg_cholesky(sq, (bn_uplo)5, &out), BN_ERR_INVALID_ARGUMENT, "uplo 5");
    CHECK_ERR(bn_linalg_cond(e, &out), BN_ERR_SHAPE, "condition number of an empty matrix");
    CHECK_ERR(bn_linalg_pinv(sq, NAN, &out), BN_ERR_INVALID_ARGUMENT, "tolerance is NaN");
    CHECK_ERR(bn_linalg_inv(NULL, &out), BN_ERR_INVALID_ARGUMENT, "bn_linalg_inv");
    CHECK_ERR(bn_linalg_inv(sq, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK(out == SENTINEL && o2 == SENTINEL);
    bn_tensor *all[] = {a, v, sq, ai, e, sq64, b2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) bn_tensor_free(all[i]);
}

/* NaN and infinities are refused before LAPACK sees them, naming where. */
static void test_nonfinite(void) {
    for (int t = 0; t < 3; t++) {
        bn_dtype dt = t == 0 ? BN_DTYPE_F32 : t == 1 ? BN_DTYPE_F64 : BN_DTYPE_BF16;
        double m[9] = {2, 0, 0, 0, 2, 0, 0, 0, 2};
        int64_t s3[2] = {3, 3}, v3[1] = {3};
        m[1 * 3 + 0] = NAN;
        bn_tensor *a = make(dt, 2, s3, m), *out = SENTINEL, *o2 = SENTINEL, *o3 = SENTINEL;
        m[1 * 3 + 0] = 0;
        m[2 * 3 + 2] = -INFINITY;
        bn_tensor *ainf = make(dt, 2, s3, m);
        m[2 * 3 + 2] = 2;
        bn_tensor *ok = make(dt, 2, s3, m);
        double bv[3] = {1, NAN, 3};
        bn_tensor *bn = make(dt, 1, v3, bv);
        const char *want = "a has NaN at row 1, column 0 of batch matrix 0; LAPACK needs finite input";
        CHECK_ERR(bn_linalg_svd(a, BN_SVD_THIN, &out, &o2, &o3), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_qr(a, BN_QR_REDUCED, &out, &o2), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_cholesky(a, BN_LOWER, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_eigh(a, BN_LOWER, &out, &o2), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_eig(a, &out, &o2), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_solve(a, bn, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_lstsq(a, bn, -1, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_inv(a, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_det(a, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_slogdet(a, &out, &o2), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_matrix_rank(a, -1, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_pinv(a, -1, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_cond(a, &out), BN_ERR_INVALID_ARGUMENT, want);
        CHECK_ERR(bn_linalg_inv(ainf, &out), BN_ERR_INVALID_ARGUMENT, "a has an infinity at row 2, column 2");
        CHECK_ERR(bn_linalg_solve(ok, bn, &out), BN_ERR_INVALID_ARGUMENT, "b has NaN at row 1, column 0");
        CHECK(out == SENTINEL && o2 == SENTINEL && o3 == SENTINEL);
        /* Cholesky and eigh read only the named triangle: NaN in the other
         * one is never seen; in the named upper one it is named, also
         * through a transposed view (the copy then gathers) */
        bn_tensor *ch = NULL, *w = NULL, *at = NULL;
        CHECK_OK(bn_linalg_cholesky(a, BN_UPPER, &ch));
        CHECK_OK(bn_linalg_eigh(a, BN_UPPER, &w, NULL));
        bn_tensor_free(ch);
        bn_tensor_free(w);
        CHECK_OK(bn_tensor_transpose(a, 0, 1, &at)); /* NaN now at row 0, column 1: upper */
        CHECK_ERR(bn_linalg_cholesky(at, BN_UPPER, &out), BN_ERR_INVALID_ARGUMENT, "a has NaN at row 0, column 1");
        CHECK_ERR(bn_linalg_eigh(at, BN_UPPER, &out, NULL), BN_ERR_INVALID_ARGUMENT, "a has NaN at row 0, column 1");
        CHECK_ERR(bn_linalg_solve(at, bn, &out), BN_ERR_INVALID_ARGUMENT, "a has NaN at row 0, column 1");
        CHECK_ERR(bn_linalg_inv(at, &out), BN_ERR_INVALID_ARGUMENT, "a has NaN at row 0, column 1");
        ch = NULL;
        w = NULL;
        CHECK_OK(bn_linalg_cholesky(at, BN_LOWER, &ch));
        CHECK_OK(bn_linalg_eigh(at, BN_LOWER, &w, NULL));
        bn_tensor_free(ch);
        bn_tensor_free(w);
        bn_tensor_free(at);
        CHECK(out == SENTINEL);
        bn_tensor_free(a);
        bn_tensor_free(ainf);
        bn_tensor_free(ok);
        bn_tensor_free(bn);
    }
}

/* Allocation failures: for every N until a call sees none, fail the N-th
 * allocation; each call must succeed or return BN_ERR_OUT_OF_MEMORY with
 * its outputs untouched (leaks are caught by the sanitizer build). */
static int g_bad;

static void oom_walk(const char *name, bn_status (*fn)(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2,
                                                        bn_tensor **o3),
                     bn_tensor *a, bn_tensor *b) {
    for (long n = 1; n < 200; n++) {
        bn_tensor *o1 = SENTINEL, *o2 = SENTINEL, *o3 = SENTINEL;
        bn_debug_fail_nth_alloc(n);
        bn_status st = fn(a, b, &o1, &o2, &o3);
        bn_debug_fail_nth_alloc(0);
        if (st == BN_OK) {
            if (o1 != SENTINEL) bn_tensor_free(o1);
            if (o2 != SENTINEL) bn_tensor_free(o2);
            if (o3 != SENTINEL) bn_tensor_free(o3);
            bt_passed++;
            return;
        }
        if (st != BN_ERR_OUT_OF_MEMORY || o1 != SENTINEL || o2 != SENTINEL || o3 != SENTINEL) {
            fprintf(stderr, "%s: allocation %ld: %s (%s)\n", name, n, bn_status_str(st), bn_last_error());
            g_bad++;
            return;
        }
    }
    fprintf(stderr, "%s: still failing after 200 allocations\n", name);
    g_bad++;
}

static bn_status w_svd(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    return bn_linalg_svd(a, BN_SVD_FULL, o1, o2, o3);
}
static bn_status w_qr(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o3;
    return bn_linalg_qr(a, BN_QR_COMPLETE, o1, o2);
}
static bn_status w_eigh(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o3;
    return bn_linalg_eigh(a, BN_UPPER, o1, o2);
}
static bn_status w_eig(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o3;
    return bn_linalg_eig(a, o1, o2);
}
static bn_status w_chol(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o2;
    (void)o3;
    return bn_linalg_cholesky(a, BN_LOWER, o1);
}
static bn_status w_solve(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)o2;
    (void)o3;
    return bn_linalg_solve(a, b, o1);
}
static bn_status w_lstsq(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)o2;
    (void)o3;
    return bn_linalg_lstsq(a, b, -1, o1);
}
static bn_status w_inv(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o2;
    (void)o3;
    return bn_linalg_inv(a, o1);
}
static bn_status w_slogdet(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o3;
    return bn_linalg_slogdet(a, o1, o2);
}
static bn_status w_pinv(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o2;
    (void)o3;
    return bn_linalg_pinv(a, -1, o1);
}
static bn_status w_rank(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)b;
    (void)o2;
    (void)o3;
    return bn_linalg_matrix_rank(a, -1, o1);
}
static bn_status w_matmul(bn_tensor *a, bn_tensor *b, bn_tensor **o1, bn_tensor **o2, bn_tensor **o3) {
    (void)o2;
    (void)o3;
    return bn_matmul(a, b, o1);
}

static void test_oom(void) {
    double m[2 * 16];
    for (int b = 0; b < 2; b++) /* symmetric, diagonally dominant: SPD */
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) m[b * 16 + i * 4 + j] = i == j ? 5.0 : 0.25 * (double)((i + j + b) % 3);
    int64_t s[3] = {2, 4, 4}, sb[3] = {2, 4, 2};
    for (int t = 0; t < 3; t++) {
        bn_dtype dt = t == 0 ? BN_DTYPE_F32 : t == 1 ? BN_DTYPE_F64 : BN_DTYPE_F16;
        bn_tensor *a = make(dt, 3, s, m), *b = make(dt, 3, sb, m), *at = NULL, *sym = NULL;
        bn_tensor_transpose(a, 1, 2, &at); /* a strided operand: matmul needs scratch */
        bn_tensor_cast(a, dt, &sym);
        g_bad = 0;
        oom_walk("svd", w_svd, a, NULL);
        oom_walk("qr", w_qr, a, NULL);
        oom_walk("eigh", w_eigh, a, NULL);
        oom_walk("eig", w_eig, a, NULL);
        oom_walk("cholesky", w_chol, a, NULL);
        oom_walk("solve", w_solve, a, b);
        oom_walk("lstsq", w_lstsq, a, b);
        oom_walk("inv", w_inv, a, NULL);
        oom_walk("slogdet", w_slogdet, a, NULL);
        oom_walk("pinv", w_pinv, a, NULL);
        oom_walk("rank", w_rank, a, NULL);
        oom_walk("matmul", w_matmul, at, b);
        CHECK(g_bad == 0);
        bn_tensor_free(a);
        bn_tensor_free(b);
        bn_tensor_free(at);
        bn_tensor_free(sym);
    }
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_cholesky();
    test_singular();
    test_cholesky_large();
    test_shapes_and_args();
    test_nonfinite();
    test_oom();
    bn_ctx_free(g_ctx);
    return bt_summary("test_linalg_errors");
}
