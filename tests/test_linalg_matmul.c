/* bn_matmul, bn_matmul_into, bn_dot, bn_outer against a naive f64 triple
 * loop (element reads through bn_tensor_get, broadcasting by its own index
 * arithmetic), on random shapes: 1-D operands, broadcast batches,
 * transposed, strided, negative-stride and expanded views, every float
 * dtype; outputs that are transposed or strided views; no scratch copies
 * for views BLAS can take by transpose flag and leading dimension.
 *
 * Tolerance: the error bound of a k-term dot product computed in
 * precision u (unit roundoff, eps/2) is |c - ĉ| <= γ_k Σ_p |a_ip||b_pj|,
 * γ_k = k u / (1 - k u) (Higham, Accuracy and Stability, §3.5). We allow
 *     tol = 2 k eps_acc Σ|a||b| + eps_out |c| + tiny,
 * eps_acc the accumulation precision (f32 for f32/f16/bf16, f64 for f64)
 * and eps_out the output's own rounding (f16/bf16 round once at the end). */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static bn_ctx *g_ctx;
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

static double eps_of(bn_dtype dt) {
    switch (dt) {
    case BN_DTYPE_F64: return DBL_EPSILON;
    case BN_DTYPE_F16: return 0x1p-10;
    case BN_DTYPE_BF16: return 0x1p-7;
    default: return FLT_EPSILON;
    }
}

/* A random tensor of the given shape, seen through a random kind of view
 * with that same logical shape: contiguous, transposed last two dims,
 * sliced with step 2, reversed (negative stride) or expanded from size 1
 * along a batch dimension. */
static bn_tensor *random_view(bn_dtype dt, int ndim, const int64_t *shape, int kind) {
    int64_t s[BN_MAX_DIMS];
    for (int d = 0; d < ndim; d++) s[d] = shape[d];
    bn_tensor *base = NULL, *v = NULL;
    if (kind == 1 && ndim >= 2) { /* transposed: make [.., n, m] and swap */
        s[ndim - 1] = shape[ndim - 2];
        s[ndim - 2] = shape[ndim - 1];
        if (bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &base) != BN_OK) return NULL;
        bn_tensor_transpose(base, -1, -2, &v);
    } else if (kind == 2) { /* every other element along the last dim */
        s[ndim - 1] = shape[ndim - 1] * 2;
        if (bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &base) != BN_OK) return NULL;
        bn_tensor_slice(base, ndim - 1, 1, INT64_MAX, 2, &v);
    } else if (kind == 3) { /* reversed along the first dim */
        if (bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &base) != BN_OK) return NULL;
        bn_tensor_slice(base, 0, INT64_MAX, INT64_MIN, -1, &v);
    } else if (kind == 4 && ndim >= 3) { /* broadcast along dim 0 */
        s[0] = 1;
        if (bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &base) != BN_OK) return NULL;
        bn_tensor_expand(base, ndim, shape, &v);
    } else if (kind == 5 && ndim >= 2) { /* slice of rows: ld larger than the row */
        s[ndim - 1] = shape[ndim - 1] + 3;
        if (bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &base) != BN_OK) return NULL;
        bn_tensor_slice(base, ndim - 1, 2, shape[ndim - 1] + 2, 1, &v);
    } else {
        bn_tensor_randn(g_ctx, dt, ndim, s, 0.0, 1.0, &v);
        return v;
    }
    bn_tensor_free(base);
    return v;
}

/* Element of t at the result's batch index (right-aligned, size-1 broadcast)
 * and matrix index (i, p); vec: t is 1-D and only p counts. */
static double get_at(const bn_tensor *t, int nb, const int64_t *bidx, int64_t i, int64_t p, int row_side) {
    int nd = bn_tensor_ndim(t);
    const int64_t *sh = bn_tensor_shape(t);
    int64_t idx[BN_MAX_DIMS];
    double v = 0;
    if (nd == 1) {
        idx[0] = p;
    } else {
        int tnb = nd - 2;
        for (int d = 0; d < tnb; d++) {
            int64_t bi = bidx[nb - tnb + d];
            idx[d] = sh[d] == 1 ? 0 : bi;
        }
        idx[nd - 2] = row_side ? i : p;
        idx[nd - 1] = row_side ? p : i;
    }
    bn_tensor_get(t, idx, &v);
    return v;
}

/* Check out == a @ b elementwise with the tolerance of the file comment. */
static int check_product(const bn_tensor *a, const bn_tensor *b, const bn_tensor *out, const char *what) {
    int an = bn_tensor_ndim(a), bnd = bn_tensor_ndim(b);
    const int64_t *as = bn_tensor_shape(a), *bs = bn_tensor_shape(b);
    int64_t k = as[an - 1];
    int64_t m = an == 1 ? 1 : as[an - 2], n = bnd == 1 ? 1 : bs[bnd - 1];
    int on = bn_tensor_ndim(out);
    const int64_t *os = bn_tensor_shape(out);
    int nb = on - (an == 1 ? 0 : 1) - (bnd == 1 ? 0 : 1);
    int64_t nbatch = 1;
    for (int d = 0; d < nb; d++) nbatch *= os[d];
    bn_dtype dt = bn_tensor_dtype(out);
    double eacc = dt == BN_DTYPE_F64 ? DBL_EPSILON : FLT_EPSILON, eout = dt == BN_DTYPE_F64 ? 0 : eps_of(dt);
    int bad = 0;
    for (int64_t bi = 0; bi < nbatch && !bad; bi++) {
        int64_t bidx[BN_MAX_DIMS], r = bi;
        for (int d = nb - 1; d >= 0; d--) {
            bidx[d] = r % os[d];
            r /= os[d];
        }
        for (int64_t i = 0; i < m && !bad; i++)
            for (int64_t j = 0; j < n && !bad; j++) {
                double ref = 0, abs = 0;
                for (int64_t p = 0; p < k; p++) {
                    double x = get_at(a, nb, bidx, i, p, 1), y = get_at(b, nb, bidx, j, p, 0);
                    ref += x * y;
                    abs += fabs(x * y);
                }
                int64_t oidx[BN_MAX_DIMS];
                for (int d = 0; d < nb; d++) oidx[d] = bidx[d];
                int o = nb;
                if (an != 1) oidx[o++] = i;
                if (bnd != 1) oidx[o++] = j;
                double got = NAN;
                bn_tensor_get(out, oidx, &got);
                double tol = 2.0 * (double)k * eacc * abs + eout * fabs(ref) + 1e-300;
                if (!(fabs(got - ref) <= tol)) {
                    char msg[256];
                    snprintf(msg, sizeof msg, "%s: batch %lld [%lld,%lld]: got %.10g, want %.10g (tol %.3g)", what,
                             (long long)bi, (long long)i, (long long)j, got, ref, tol);
                    bt_fail(__FILE__, __LINE__, msg);
                    bad = 1;
                }
            }
    }
    if (!bad) bt_passed++;
    return !bad;
}

static void describe(char *buf, size_t size, const bn_tensor *a, const bn_tensor *b) {
    char da[128], db[128];
    bn_tensor_describe(a, da, sizeof da);
    bn_tensor_describe(b, db, sizeof db);
    snprintf(buf, size, "%s @ %s", da, db);
}

static void test_random(void) {
    static const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16};
    for (int trial = 0; trial < 400; trial++) {
        bn_dtype dt = dts[trial % 4];
        int64_t m = rnd_in(1, 24), k = rnd_in(1, 40), n = rnd_in(1, 24);
        if (trial % 17 == 0) m = 1;
        if (trial % 19 == 0) n = 1;
        int av = (int)(rnd() % 6 == 0), bv = (int)(rnd() % 6 == 0);
        int64_t as[BN_MAX_DIMS], bs[BN_MAX_DIMS];
        int an = 0, bnd = 0;
        int batch = (int)(rnd() % 4); /* 0: none, 1: same, 2: broadcast, 3: only one side */
        if (!av) {
            if (batch == 1 || batch == 2 || batch == 3) as[an++] = batch == 2 ? 1 : 3;
            if (batch == 2) as[an++] = 2;
            as[an++] = m;
        }
        as[an++] = k;
        if (!bv) {
            if (batch == 1) bs[bnd++] = 3;
            if (batch == 2) {
                bs[bnd++] = 4;
                bs[bnd++] = 1;
                bs[bnd++] = 2;
            }
            bs[bnd++] = k;
            bs[bnd++] = n;
        } else {
            bs[bnd++] = k;
        }
        bn_tensor *a = random_view(dt, an, as, (int)(rnd() % 6));
        bn_tensor *b = random_view(dt, bnd, bs, (int)(rnd() % 6));
        bn_tensor *c = NULL;
        char what[400];
        describe(what, sizeof what, a, b);
        CHECK(a && b);
        bn_status st = bn_matmul(a, b, &c);
        if (st != BN_OK) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: %s", what, bn_last_error());
            bt_fail(__FILE__, __LINE__, msg);
        } else {
            check_product(a, b, c, what);
        }
        bn_tensor_free(a);
        bn_tensor_free(b);
        bn_tensor_free(c);
    }
}

/* Outputs that are views: transposed (column-major C), strided (scratch),
 * reversed, and _into over a contiguous tensor. */
static void test_into_views(void) {
    static const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_BF16};
    for (int t = 0; t < 3; t++) {
        bn_dtype dt = dts[t];
        int64_t as[2] = {7, 5}, bs[2] = {5, 9};
        bn_tensor *a = random_view(dt, 2, as, 0), *b = random_view(dt, 2, bs, 1);
        /* out as the transpose of a [9, 7] tensor */
        int64_t ts[2] = {9, 7}, ws[2] = {7, 18}, cs[2] = {7, 9};
        bn_tensor *base = NULL, *ct = NULL, *wide = NULL, *cw = NULL, *rev = NULL, *cr = NULL;
        CHECK_OK(bn_tensor_zeros(g_ctx, dt, 2, ts, &base));
        CHECK_OK(bn_tensor_transpose(base, 0, 1, &ct));
        CHECK_OK(bn_matmul_into(a, b, ct));
        check_product(a, b, ct, "into transposed out");
        CHECK_OK(bn_tensor_zeros(g_ctx, dt, 2, ws, &wide));
        CHECK_OK(bn_tensor_slice(wide, 1, 0, INT64_MAX, 2, &cw));
        CHECK_OK(bn_matmul_into(a, b, cw));
        check_product(a, b, cw, "into strided out");
        bn_tensor *rbase = NULL;
        CHECK_OK(bn_tensor_zeros(g_ctx, dt, 2, cs, &rbase));
        CHECK_OK(bn_tensor_slice(rbase, 0, INT64_MAX, INT64_MIN, -1, &rev));
        CHECK_OK(bn_matmul_into(a, b, rev));
        check_product(a, b, rev, "into reversed out");
        /* 1-D results: a column written with a stride */
        int64_t vs[1] = {5};
        bn_tensor *x = random_view(dt, 1, vs, 0), *y = NULL;
        CHECK_OK(bn_tensor_slice(wide, 1, 3, 4, 1, &cr)); /* [7, 1] */
        CHECK_OK(bn_tensor_squeeze(cr, 1, &y));         /* [7] with stride 18 */
        CHECK_OK(bn_matmul_into(a, x, y));
        check_product(a, x, y, "into strided vector out");
        bn_tensor_free(x);
        bn_tensor_free(y);
        bn_tensor_free(cr);
        bn_tensor_free(rbase);
        bn_tensor_free(rev);
        bn_tensor_free(cw);
        bn_tensor_free(wide);
        bn_tensor_free(ct);
        bn_tensor_free(base);
        bn_tensor_free(a);
        bn_tensor_free(b);
    }
}

/* No scratch allocation when the views are BLAS-expressible: with every
 * allocation made to fail, bn_matmul_into must still succeed on
 * transposed and row-sliced operands, and fail cleanly (out unchanged) on
 * an operand that needs a copy. */
static void test_no_copies(void) {
    int64_t as[3] = {2, 6, 4}, bs[2] = {4, 5}, cs[3] = {2, 6, 5};
    bn_tensor *a = random_view(BN_DTYPE_F32, 3, as, 1), *b = random_view(BN_DTYPE_F32, 2, bs, 5);
    bn_tensor *c = NULL, *r = NULL, *cb = NULL, *ct = NULL;
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_F32, 3, cs, 7.0, &c));
    int64_t ts[3] = {2, 5, 6};
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 3, ts, &cb));
    CHECK_OK(bn_tensor_transpose(cb, 1, 2, &ct));
    CHECK_OK(bn_tensor_slice(b, 0, INT64_MAX, INT64_MIN, -1, &r)); /* negative row stride: copied */
    bn_matmul_into(a, b, c); /* OpenBLAS's first call sets up its own buffers */
    bn_debug_fail_nth_alloc(1);
    bn_status s1 = bn_matmul_into(a, b, c);
    bn_status s2 = bn_matmul_into(a, b, ct);
    long count = bn_debug_alloc_count();
    bn_debug_fail_nth_alloc(0);
    CHECK(s1 == BN_OK);
    CHECK(s2 == BN_OK);
    CHECK(count == 0);
    check_product(a, b, c, "no-copy product");
    check_product(a, b, ct, "no-copy product into transposed out");
    bn_tensor *c2 = NULL;
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_F32, 3, cs, 7.0, &c2));
    bn_debug_fail_nth_alloc(1);
    bn_status s3 = bn_matmul_into(a, r, c2);
    bn_debug_fail_nth_alloc(0);
    CHECK(s3 == BN_ERR_OUT_OF_MEMORY);
    double v = 0;
    int64_t z[3] = {1, 5, 4};
    CHECK_OK(bn_tensor_get(c2, z, &v));
    CHECK(v == 7.0);
    CHECK_OK(bn_matmul_into(a, r, c2));
    check_product(a, r, c2, "copied operand");
    bn_tensor_free(c2);
    bn_tensor_free(r);
    bn_tensor_free(ct);
    bn_tensor_free(cb);
    bn_tensor_free(c);
    bn_tensor_free(a);
    bn_tensor_free(b);
}

static void test_dot_outer_edges(void) {
    int64_t s7[1] = {7}, s3[1] = {3};
    for (int t = 0; t < 3; t++) {
        bn_dtype dt = t == 0 ? BN_DTYPE_F32 : t == 1 ? BN_DTYPE_F64 : BN_DTYPE_F16;
        bn_tensor *x = random_view(dt, 1, s7, t == 2 ? 3 : 2), *y = random_view(dt, 1, s7, 0);
        bn_tensor *z = random_view(dt, 1, s3, 0), *d = NULL, *o = NULL, *mm = NULL;
        CHECK_OK(bn_dot(x, y, &d));
        CHECK(d && bn_tensor_ndim(d) == 0);
        if (d) check_product(x, y, d, "dot");
        CHECK_OK(bn_matmul(x, y, &mm));
        CHECK(mm && bn_tensor_ndim(mm) == 0);
        CHECK_OK(bn_outer(x, z, &o));
        if (o) {
            CHECK(bn_tensor_ndim(o) == 2 && bn_tensor_shape(o)[0] == 7 && bn_tensor_shape(o)[1] == 3);
            int bad = 0;
            for (int64_t i = 0; i < 7; i++)
                for (int64_t j = 0; j < 3; j++) {
                    double xi, zj, v;
                    int64_t ii[1] = {i}, jj[1] = {j}, ij[2] = {i, j};
                    bn_tensor_get(x, ii, &xi);
                    bn_tensor_get(z, jj, &zj);
                    bn_tensor_get(o, ij, &v);
                    if (fabs(v - xi * zj) > eps_of(dt) * fabs(xi * zj)) bad++;
                }
            CHECK(bad == 0);
        }
        CHECK_ERR(bn_dot(x, z, &d), BN_ERR_SHAPE, "bn_dot: a is [7], b is [3]");
        bn_tensor_free(x);
        bn_tensor_free(y);
        bn_tensor_free(z);
        bn_tensor_free(d);
        bn_tensor_free(o);
        bn_tensor_free(mm);
    }
    /* k = 0 gives zeros; m = 0 gives an empty result */
    int64_t a0[2] = {3, 0}, b0[2] = {0, 4}, am[3] = {2, 0, 5}, bm[2] = {5, 4};
    bn_tensor *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F32, 2, a0, &a));
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F32, 2, b0, &b));
    CHECK_OK(bn_matmul(a, b, &c));
    double sum = 1;
    if (c) {
        sum = 0;
        for (int64_t i = 0; i < 12; i++) sum += fabs((double)((float *)bn_tensor_data(c))[i]);
    }
    CHECK(sum == 0);
    bn_tensor_free(a);
    bn_tensor_free(b);
    bn_tensor_free(c);
    c = NULL;
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F64, 3, am, &a));
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F64, 2, bm, &b));
    CHECK_OK(bn_matmul(a, b, &c));
    CHECK(c && bn_tensor_numel(c) == 0 && bn_tensor_ndim(c) == 3);
    bn_tensor_free(a);
    bn_tensor_free(b);
    bn_tensor_free(c);
}

static void test_errors(void) {
    int64_t s23[2] = {2, 3}, s45[2] = {4, 5}, s32[2] = {3, 2}, s22[2] = {2, 2};
    bn_tensor *a = NULL, *b = NULL, *bi = NULL, *bd = NULL, *c = NULL, *out = NULL, *s0 = NULL, *ab = NULL;
    bn_tensor *wrong = NULL, *ov = NULL;
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s23, &a));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s45, &b));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_I32, 2, s32, &bi));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F64, 2, s32, &bd));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 0, NULL, &s0));
    CHECK_ERR(bn_matmul(a, b, &c), BN_ERR_SHAPE, "bn_matmul: inner dimensions differ: a is [2,3], b is [4,5]");
    CHECK(c == NULL);
    CHECK_ERR(bn_matmul(a, bi, &c), BN_ERR_DTYPE, "b is i32");
    CHECK_ERR(bn_matmul(a, bd, &c), BN_ERR_DTYPE, "a is f32 and b is f64");
    CHECK_ERR(bn_matmul(a, s0, &c), BN_ERR_SHAPE, "at least 1 dimension");
    CHECK_ERR(bn_matmul(NULL, b, &c), BN_ERR_INVALID_ARGUMENT, "bn_matmul");
    int64_t b1[3] = {2, 3, 2}, b2[3] = {3, 3, 2};
    bn_tensor *x1 = NULL, *x2 = NULL;
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 3, b1, &x1));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 3, b2, &x2));
    bn_tensor *x1t = NULL;
    CHECK_OK(bn_tensor_transpose(x1, 1, 2, &x1t)); /* [2,2,3] */
    CHECK_ERR(bn_matmul(x1t, x2, &c), BN_ERR_SHAPE, "batch dimensions do not broadcast");
    CHECK(c == NULL);
    /* _into: shape, dtype, overlap */
    int64_t s33[2] = {3, 3};
    bn_tensor *a32 = NULL;
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s32, &a32));
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 2, s33, &wrong));
    CHECK_ERR(bn_matmul_into(a, a32, wrong), BN_ERR_SHAPE, "out is [3,3] but the product is [2,2]");
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F64, 2, s22, &out));
    CHECK_ERR(bn_matmul_into(a, a32, out), BN_ERR_DTYPE, "out is f64");
    /* out overlapping a: a view of a's own storage */
    int64_t s66[2] = {6, 6};
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 2, s66, &ab));
    bn_tensor *sq = NULL, *o2 = NULL;
    CHECK_OK(bn_tensor_slice(ab, 0, 0, 3, 1, &sq)); /* [3,6] */
    CHECK_OK(bn_tensor_slice(ab, 1, 0, 6, 1, &o2));
    bn_tensor *w1 = NULL, *w2 = NULL;
    CHECK_OK(bn_tensor_slice(sq, 1, 0, 3, 1, &w1));  /* rows 0..2, cols 0..2 */
    CHECK_OK(bn_tensor_slice(o2, 0, 1, 4, 1, &w2));  /* rows 1..3 */
    CHECK_OK(bn_tensor_slice(w2, 1, 0, 3, 1, &ov));  /* [3,3] overlapping w1 */
    CHECK_ERR(bn_matmul_into(w1, w1, ov), BN_ERR_INVALID_ARGUMENT, "out overlaps a");
    CHECK_ERR(bn_matmul_into(w1, w1, w1), BN_ERR_INVALID_ARGUMENT, "cannot be written over");
    CHECK_ERR(bn_outer(a, a, &c), BN_ERR_SHAPE, "two 1-D tensors");
    bn_tensor *vs[] = {a, b, bi, bd, c, out, s0, ab, wrong, ov, x1, x2, x1t, a32, sq, o2, w1, w2};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) bn_tensor_free(vs[i]);
}

/* Thread counts: the same product on 1 and 2 threads. */
static void test_threads(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    bn_ctx *c2 = NULL;
    CHECK_OK(bn_ctx_new(&o, &c2));
    if (!c2) return;
    int64_t s[2] = {150, 130}, t[2] = {130, 170};
    bn_tensor *a = NULL, *b = NULL, *x = NULL, *y = NULL;
    CHECK_OK(bn_tensor_randn(c2, BN_DTYPE_F64, 2, s, 0, 1, &a));
    CHECK_OK(bn_tensor_randn(c2, BN_DTYPE_F64, 2, t, 0, 1, &b));
    CHECK_OK(bn_matmul(a, b, &x));
    check_product(a, b, x, "2 threads");
    bn_tensor *a1 = NULL, *b1 = NULL;
    CHECK_OK(bn_tensor_clone(a, &a1));
    CHECK_OK(bn_tensor_clone(b, &b1));
    /* a tensor of a 1-thread context */
    bn_tensor *a_1 = NULL, *b_1 = NULL;
    CHECK_OK(bn_tensor_cast(a, BN_DTYPE_F64, &a_1));
    CHECK_OK(bn_tensor_cast(b, BN_DTYPE_F64, &b_1));
    CHECK_OK(bn_matmul(a_1, b_1, &y));
    check_product(a, b, y, "again");
    bn_tensor *vs[] = {a, b, x, y, a1, b1, a_1, b_1};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) bn_tensor_free(vs[i]);
    bn_ctx_free(c2);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    o.seed = 42;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_random();
    test_into_views();
    test_no_copies();
    test_dot_outer_edges();
    test_errors();
    test_threads();
    bn_ctx_free(g_ctx);
    return bt_summary("test_linalg_matmul");
}
