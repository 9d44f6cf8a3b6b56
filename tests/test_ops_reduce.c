/* Reductions against a float64 reference: every op x dtype x random axis
 * sets x keepdim on random shapes with size-0 and size-1 dimensions,
 * contiguous, strided, transposed and broadcast inputs; NaN, ties, empty
 * reductions, integer wrap-around, _into forms and errors; the pairwise
 * f32 sum's error on 2^20+ elements of mixed magnitude; the same bits for
 * 1 and 2 threads; each ISA's row kernels against the scalar ones. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpu/reduce_kernels.h"
#include "reduce_test_util.h"

static bn_ctx *g_ctx, *g_ctx2;

static const bn_dtype k_dtypes[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16, BN_DTYPE_I32,
                                    BN_DTYPE_I64, BN_DTYPE_U8,  BN_DTYPE_BOOL, BN_DTYPE_I8, BN_DTYPE_U64};
#define NDT ((int)(sizeof k_dtypes / sizeof k_dtypes[0]))

static bn_dtype expect_dtype(bn_reduce_op op, bn_dtype dt) {
    int fl = rt_is_float(dt);
    switch (op) {
    case BN_REDUCE_SUM:
    case BN_REDUCE_PROD: return fl ? dt : dt == BN_DTYPE_U64 ? BN_DTYPE_U64 : BN_DTYPE_I64;
    case BN_REDUCE_MIN:
    case BN_REDUCE_MAX: return dt;
    case BN_REDUCE_ANY:
    case BN_REDUCE_ALL: return BN_DTYPE_BOOL;
    case BN_REDUCE_ARGMIN:
    case BN_REDUCE_ARGMAX: return BN_DTYPE_I64;
    default: return fl ? dt : BN_DTYPE_F32;
    }
}

/* Reference for one output: the reduced elements' values in order. */
static void reference(bn_reduce_op op, const double *v, int64_t n, double corr, double *ref, double *scale) {
    double s = 0, sa = 0, sq = 0, p = 1, mn = 0, mx = 0;
    int64_t imn = 0, imx = 0;
    int any = 0, all = 1;
    for (int64_t i = 0; i < n; i++) {
        s += v[i];
        sa += fabs(v[i]);
        sq += v[i] * v[i];
        p *= v[i];
        if (i == 0 || v[i] < mn) mn = v[i], imn = i;
        if (i == 0 || v[i] > mx) mx = v[i], imx = i;
        any |= v[i] != 0;
        all &= v[i] != 0;
    }
    double mean = s / (double)n, ss = 0;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    double div = (double)n - corr;
    if (div < 0) div = 0;
    *scale = 0;
    switch (op) {
    case BN_REDUCE_SUM: *ref = s, *scale = sa; break;
    case BN_REDUCE_MEAN: *ref = mean, *scale = n ? sa / (double)n : 0; break;
    case BN_REDUCE_VAR: *ref = n ? ss / div : NAN, *scale = n ? sq / (div > 0 ? div : 1) : 0; break;
    case BN_REDUCE_STD: *ref = n ? sqrt(ss / div) : NAN, *scale = n ? sqrt(sq / (div > 0 ? div : 1)) : 0; break;
    case BN_REDUCE_MIN: *ref = mn; break;
    case BN_REDUCE_MAX: *ref = mx; break;
    case BN_REDUCE_PROD: *ref = p, *scale = fabs(p); break;
    case BN_REDUCE_NORM_L1: *ref = sa, *scale = sa; break;
    case BN_REDUCE_NORM_L2: *ref = sqrt(sq), *scale = sqrt(sq); break;
    case BN_REDUCE_NORM_MAX: *ref = n ? fmax(fabs(mn), fabs(mx)) : 0; break;
    case BN_REDUCE_ANY: *ref = any; break;
    case BN_REDUCE_ALL: *ref = all; break;
    case BN_REDUCE_ARGMIN: *ref = (double)imn; break;
    case BN_REDUCE_ARGMAX: *ref = (double)imx; break;
    }
}

static int g_cases;

/* One random case: op, dtype, shape, axes, keepdim, view kind. */
static void one_case(bn_reduce_op op, bn_dtype dt) {
    int ndim = rt_int(5);
    int64_t shape[BN_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        int r = rt_int(10);
        shape[i] = r == 0 ? 0 : r == 1 ? 1 : 1 + rt_int(9);
    }
    if (rt_int(4) == 0) /* sometimes no empty dims at all */
        for (int i = 0; i < ndim; i++)
            if (shape[i] == 0) shape[i] = 3;
    int kind = rt_int(4);
    int keepdim = rt_int(2);
    int axes[BN_MAX_DIMS], naxes = 0, mask[BN_MAX_DIMS] = {0};
    int argop = op == BN_REDUCE_ARGMIN || op == BN_REDUCE_ARGMAX;
    if (ndim > 0 && rt_int(4) != 0) {
        int want = argop ? 1 : 1 + rt_int(ndim);
        while (naxes < want) {
            int a = rt_int(ndim);
            if (mask[a]) continue;
            mask[a] = 1;
            axes[naxes++] = rt_int(2) ? a : a - ndim; /* negative too */
        }
    } else {
        for (int i = 0; i < BN_MAX_DIMS; i++) mask[i] = 1;
    }
    int64_t rn = 1, nout = 1;
    for (int i = 0; i < ndim; i++) {
        if (mask[i]) rn *= shape[i];
        else nout *= shape[i];
    }
    double corr = rt_int(2);
    int ilo = dt == BN_DTYPE_U8 || dt == BN_DTYPE_U64 ? 0 : -3, ihi = 3;
    double lo = -2, hi = 2;
    if (op == BN_REDUCE_PROD) lo = 0.5, hi = 1.5;
    bn_tensor *x = rt_view(g_ctx, dt, ndim, shape, kind, lo, hi, ilo, ihi), *y = NULL;
    int empty_err = rn == 0 && (op == BN_REDUCE_MIN || op == BN_REDUCE_MAX || argop);
    bn_status st = bn_reduce(op, x, naxes ? axes : NULL, naxes, keepdim, corr, &y);
    g_cases++;
    if (empty_err && nout > 0) {
        CHECK(st == BN_ERR_SHAPE);
        bn_tensor_free(x);
        return;
    }
    if (st != BN_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s %s ndim %d kind %d: %s", bn_reduce_op_name(op), bn_dtype_name(dt), ndim, kind,
                 bn_last_error());
        bt_fail(__FILE__, __LINE__, msg);
        bn_tensor_free(x);
        return;
    }
    bn_dtype rdt = expect_dtype(op, dt);
    CHECK(bn_tensor_dtype(y) == rdt);
    /* result shape */
    int k = 0, shape_ok = 1;
    for (int i = 0; i < ndim; i++) {
        if (!mask[i]) shape_ok &= bn_tensor_shape(y)[k++] == shape[i];
        else if (keepdim) shape_ok &= bn_tensor_shape(y)[k++] == 1;
    }
    shape_ok &= bn_tensor_ndim(y) == k;
    CHECK(shape_ok);
    /* reference per output */
    double *vals = (double *)malloc((size_t)(rn > 0 ? rn : 1) * sizeof(double));
    int bad = 0;
    for (int64_t o = 0; o < nout && !bad; o++) {
        /* indices of the kept dims of output o */
        int64_t kidx[BN_MAX_DIMS], rem = o;
        for (int d = ndim - 1; d >= 0; d--)
            if (!mask[d]) {
                kidx[d] = rem % shape[d];
                rem /= shape[d];
            }
        for (int64_t r = 0; r < rn; r++) {
            int64_t idx[BN_MAX_DIMS], rr = r;
            for (int d = ndim - 1; d >= 0; d--) {
                if (mask[d]) {
                    idx[d] = rr % shape[d];
                    rr /= shape[d];
                } else {
                    idx[d] = kidx[d];
                }
            }
            bn_tensor_get(x, idx, &vals[r]);
        }
        double ref, scale;
        reference(op, vals, rn, corr, &ref, &scale);
        double got = rt_get(y, o);
        int ok;
        if (!rt_is_float(rdt)) {
            ok = got == ref;
        } else {
            double want = rt_round(rdt, ref);
            double accu = rt_is_float(dt) && dt != BN_DTYPE_F64 && (op == BN_REDUCE_SUM || op == BN_REDUCE_MEAN)
                              ? 64 * 0x1p-24
                              : 1e-12;
            double tol = 2 * rt_eps(rdt) * fabs(want) + accu * scale;
            ok = (isnan(want) && isnan(got)) || fabs(got - want) <= tol || got == want;
        }
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s %s ndim %d kind %d keepdim %d naxes %d out %lld: got %.17g want %.17g",
                     bn_reduce_op_name(op), bn_dtype_name(dt), ndim, kind, keepdim, naxes, (long long)o, got, ref);
            bt_fail(__FILE__, __LINE__, msg);
            bad = 1;
        }
    }
    if (!bad) bt_passed++;
    free(vals);
    bn_tensor_free(x);
    bn_tensor_free(y);
}

static void test_random(void) {
    for (int op = 0; op < BN_REDUCE_OP_COUNT; op++)
        for (int d = 0; d < NDT; d++)
            for (int rep = 0; rep < 40; rep++) one_case((bn_reduce_op)op, k_dtypes[d]);
}

static bn_tensor *vec_f32(const float *v, int64_t n) {
    bn_tensor *t = NULL;
    bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &n, v, (size_t)n * 4, &t);
    return t;
}

static double reduce1(bn_reduce_op op, const bn_tensor *x) {
    bn_tensor *y = NULL;
    double v = -12345;
    if (bn_reduce(op, x, NULL, 0, 0, 1, &y) == BN_OK) bn_tensor_get(y, NULL, &v);
    bn_tensor_free(y);
    return v;
}

static void test_nan_ties_empty(void) {
    float a[] = {3, 1, 5, 1, 5, NAN, 0, NAN};
    bn_tensor *x = vec_f32(a, 8), *x5 = vec_f32(a, 5);
    CHECK(isnan(reduce1(BN_REDUCE_MAX, x)));
    CHECK(isnan(reduce1(BN_REDUCE_MIN, x)));
    CHECK(isnan(reduce1(BN_REDUCE_SUM, x)));
    CHECK(isnan(reduce1(BN_REDUCE_NORM_MAX, x)));
    CHECK(reduce1(BN_REDUCE_ARGMAX, x) == 5); /* the first NaN, as PyTorch */
    CHECK(reduce1(BN_REDUCE_ARGMIN, x) == 5);
    CHECK(reduce1(BN_REDUCE_ARGMAX, x5) == 2); /* first of the ties */
    CHECK(reduce1(BN_REDUCE_ARGMIN, x5) == 1);
    CHECK(reduce1(BN_REDUCE_ANY, x) == 1);
    CHECK(reduce1(BN_REDUCE_ALL, x) == 0);
    CHECK(reduce1(BN_REDUCE_MAX, x5) == 5);
    CHECK_NEAR(reduce1(BN_REDUCE_VAR, x5), 4.0, 1e-6); /* mean 3, ss 16, /4 */
    CHECK_NEAR(reduce1(BN_REDUCE_NORM_L2, x5), sqrt(61.0), 1e-6);
    /* NaN past the vector width in the kernels too */
    float big[100];
    for (int i = 0; i < 100; i++) big[i] = (float)i;
    big[77] = NAN;
    bn_tensor *xb = vec_f32(big, 100);
    CHECK(isnan(reduce1(BN_REDUCE_MAX, xb)));
    CHECK(reduce1(BN_REDUCE_ARGMAX, xb) == 77);
    bn_tensor_free(xb);
    /* empty */
    int64_t z = 0;
    bn_tensor *e = vec_f32(a, 0), *y = NULL;
    (void)z;
    CHECK(reduce1(BN_REDUCE_SUM, e) == 0);
    CHECK(reduce1(BN_REDUCE_PROD, e) == 1);
    CHECK(reduce1(BN_REDUCE_ANY, e) == 0);
    CHECK(reduce1(BN_REDUCE_ALL, e) == 1);
    CHECK(isnan(reduce1(BN_REDUCE_MEAN, e)));
    CHECK(isnan(reduce1(BN_REDUCE_VAR, e)));
    CHECK_ERR(bn_reduce(BN_REDUCE_MAX, e, NULL, 0, 0, 0, &y), BN_ERR_SHAPE, "max");
    CHECK_ERR(bn_reduce(BN_REDUCE_ARGMIN, e, NULL, 0, 0, 0, &y), BN_ERR_SHAPE, "[0]");
    /* var of one element with correction 1: 0/0 */
    bn_tensor *one = vec_f32(a, 1);
    CHECK(isnan(reduce1(BN_REDUCE_VAR, one)));
    bn_tensor_free(one);
    bn_tensor_free(e);
    bn_tensor_free(x);
    bn_tensor_free(x5);
    /* L2 of f64 near overflow: scaled */
    double hugev[3] = {1e300, 1e300, -1e300};
    int64_t n3 = 3;
    bn_tensor *h = NULL;
    bn_tensor_from_data(g_ctx, BN_DTYPE_F64, 1, &n3, hugev, sizeof hugev, &h);
    CHECK_NEAR(reduce1(BN_REDUCE_NORM_L2, h) / 1e300, sqrt(3.0), 1e-15);
    bn_tensor_free(h);
    double tiny[2] = {3e-300, 4e-300};
    int64_t n2 = 2;
    bn_tensor_from_data(g_ctx, BN_DTYPE_F64, 1, &n2, tiny, sizeof tiny, &h);
    CHECK_NEAR(reduce1(BN_REDUCE_NORM_L2, h) / 1e-300, 5.0, 1e-14);
    bn_tensor_free(h);
    /* f32 L2 whose squares overflow f32 */
    float fb[2] = {3e30f, 4e30f};
    bn_tensor *fx = vec_f32(fb, 2);
    CHECK_NEAR(reduce1(BN_REDUCE_NORM_L2, fx) / 1e30, 5.0, 1e-6);
    bn_tensor_free(fx);
}

static void test_integers(void) {
    /* i64 sum wraps modulo 2^64; u64 stays unsigned; bool counts */
    int64_t v[3] = {INT64_MAX, 1, 5};
    int64_t n = 3;
    bn_tensor *x = NULL, *y = NULL;
    bn_tensor_from_data(g_ctx, BN_DTYPE_I64, 1, &n, v, sizeof v, &x);
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x, NULL, 0, 0, 0, &y));
    CHECK(y && ((int64_t *)bn_tensor_data(y))[0] == INT64_MIN + 5);
    bn_tensor_free(y);
    CHECK_OK(bn_reduce(BN_REDUCE_MAX, x, NULL, 0, 0, 0, &y));
    CHECK(y && ((int64_t *)bn_tensor_data(y))[0] == INT64_MAX); /* exact, not through double */
    bn_tensor_free(y);
    bn_tensor_free(x);
    uint64_t u[2] = {UINT64_MAX - 1, 1};
    int64_t n2 = 2;
    bn_tensor_from_data(g_ctx, BN_DTYPE_U64, 1, &n2, u, 16, &x);
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x, NULL, 0, 0, 0, &y));
    CHECK(y && bn_tensor_dtype(y) == BN_DTYPE_U64 && ((uint64_t *)bn_tensor_data(y))[0] == UINT64_MAX);
    bn_tensor_free(y);
    CHECK_OK(bn_reduce(BN_REDUCE_ARGMAX, x, NULL, 0, 0, 0, &y));
    CHECK(y && ((int64_t *)bn_tensor_data(y))[0] == 0);
    bn_tensor_free(y);
    bn_tensor_free(x);
    uint8_t b[5] = {1, 0, 1, 1, 0};
    int64_t n5 = 5;
    bn_tensor_from_data(g_ctx, BN_DTYPE_BOOL, 1, &n5, b, 5, &x);
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x, NULL, 0, 0, 0, &y));
    CHECK(y && bn_tensor_dtype(y) == BN_DTYPE_I64 && ((int64_t *)bn_tensor_data(y))[0] == 3);
    bn_tensor_free(y);
    bn_tensor_free(x);
    /* i8 prod wraps in i64, not i8 */
    int8_t c[4] = {100, 100, 100, -1};
    int64_t n4 = 4;
    bn_tensor_from_data(g_ctx, BN_DTYPE_I8, 1, &n4, c, 4, &x);
    CHECK_OK(bn_reduce(BN_REDUCE_PROD, x, NULL, 0, 0, 0, &y));
    CHECK(y && ((int64_t *)bn_tensor_data(y))[0] == -1000000);
    bn_tensor_free(y);
    bn_tensor_free(x);
}

/* Pairwise f32 sum on 2^20 + 12345 elements of mixed magnitude and sign:
 * error within a log2(n) bound, far below sequential summation's. */
static void test_pairwise_bound(void) {
    int64_t n = (1 << 20) + 12345;
    float *v = (float *)malloc((size_t)n * 4);
    double exact = 0, sabs = 0;
    for (int64_t i = 0; i < n; i++) {
        double mag = pow(10.0, rt_unif(-3, 3));
        v[i] = (float)(rt_int(3) == 0 ? -mag : mag);
        exact += v[i];
        sabs += fabs(v[i]);
    }
    /* exact in f64? sum of 1e6 floats with 2^-10..2^10 exponents: close enough to long double */
    long double ex = 0;
    for (int64_t i = 0; i < n; i++) ex += v[i];
    exact = (double)ex;
    float seq = 0;
    for (int64_t i = 0; i < n; i++) seq += v[i];
    bn_tensor *x = vec_f32(v, n), *y = NULL;
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x, NULL, 0, 0, 0, &y));
    double got = 0;
    bn_tensor_get(y, NULL, &got);
    double err = fabs(got - exact) / sabs, seq_err = fabs((double)seq - exact) / sabs;
    double bound = (BNI_SUM_BLOCK / BNI_SUM_LANES + 5 + log2((double)n / BNI_SUM_BLOCK) + 2) * 0x1p-24;
    printf("pairwise f32 sum of %lld: relative error %.3g (bound %.3g), sequential %.3g\n", (long long)n, err, bound,
           seq_err);
    CHECK(err <= bound);
    CHECK(err < seq_err || seq_err < 1e-9);
    double d = 0;
    CHECK_OK(bn_sum_all(x, &d));
    CHECK_NEAR(d, exact, 1e-9 * sabs);
    /* 1 thread and 2 threads: the same bits; a strided view gives the same bits too */
    bn_tensor *x2 = NULL, *y2 = NULL;
    bn_tensor_from_data(g_ctx2, BN_DTYPE_F32, 1, &n, v, (size_t)n * 4, &x2);
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x2, NULL, 0, 0, 0, &y2));
    CHECK(y2 && ((float *)bn_tensor_data(y2))[0] == ((float *)bn_tensor_data(y))[0]);
    bn_tensor_free(y2);
    /* the same data seen as [2, n] broadcast with the reduced axis strided */
    int64_t sh2[2] = {n, 1};
    bn_tensor *col = NULL, *colx = NULL;
    bn_tensor_reshape(x2, 2, sh2, &col);
    int64_t e2[2] = {n, 3};
    bn_tensor_expand(col, 2, e2, &colx);
    int ax0 = 0;
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, colx, &ax0, 1, 0, 0, &y2));
    CHECK(y2 && ((float *)bn_tensor_data(y2))[2] == ((float *)bn_tensor_data(y))[0]);
    bn_tensor_free(y2);
    /* var/mean/argmax/min on a split row: same for 1 and 2 threads */
    for (int op = 0; op < BN_REDUCE_OP_COUNT; op++) {
        bn_tensor *a = NULL, *b = NULL;
        bn_reduce((bn_reduce_op)op, x, NULL, 0, 0, 1, &a);
        bn_reduce((bn_reduce_op)op, x2, NULL, 0, 0, 1, &b);
        double va = 0, vb = 1;
        if (a && b) {
            bn_tensor_get(a, NULL, &va);
            bn_tensor_get(b, NULL, &vb);
        }
        CHECK(va == vb || (isnan(va) && isnan(vb)));
        bn_tensor_free(a);
        bn_tensor_free(b);
    }
    bn_tensor_free(col);
    bn_tensor_free(colx);
    bn_tensor_free(x2);
    bn_tensor_free(x);
    bn_tensor_free(y);
    free(v);
}

static void test_into_and_errors(void) {
    int64_t sh[2] = {3, 4};
    bn_tensor *x = rt_tensor(g_ctx, BN_DTYPE_F32, 2, sh, -1, 1, 0, 0), *o = NULL, *y = NULL;
    int ax1 = 1, ax01[2] = {0, 1}, rep[2] = {1, -1}, bad = 2;
    int64_t o3 = 3;
    /* into an f64 tensor: cast on write */
    bn_tensor_empty(g_ctx, BN_DTYPE_F64, 1, &o3, &o);
    CHECK_OK(bn_reduce_into(BN_REDUCE_SUM, x, &ax1, 1, 0, 0, o));
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, x, &ax1, 1, 0, 0, &y));
    int same = 1;
    for (int i = 0; i < 3; i++) same &= rt_get(o, i) == rt_get(y, i);
    CHECK(same);
    bn_tensor_free(o);
    bn_tensor_free(y);
    /* float result into an integer tensor: refused */
    bn_tensor_empty(g_ctx, BN_DTYPE_I32, 1, &o3, &o);
    CHECK_ERR(bn_reduce_into(BN_REDUCE_MEAN, x, &ax1, 1, 0, 0, o), BN_ERR_DTYPE, "");
    CHECK_OK(bn_reduce_into(BN_REDUCE_ARGMAX, x, &ax1, 1, 0, 0, o)); /* i64 into i32 ok */
    bn_tensor_free(o);
    /* wrong shape */
    int64_t o4 = 4;
    bn_tensor_empty(g_ctx, BN_DTYPE_F32, 1, &o4, &o);
    CHECK_ERR(bn_reduce_into(BN_REDUCE_SUM, x, &ax1, 1, 0, 0, o), BN_ERR_SHAPE, "");
    bn_tensor_free(o);
    /* out overlapping the input */
    bn_tensor *row = NULL;
    bn_tensor_slice(x, 1, 0, 1, 1, &row);
    bn_tensor *rowv = NULL;
    int64_t s3[1] = {3};
    bn_tensor_reshape(row, 1, s3, &rowv);
    if (rowv == NULL) { /* slice is not reshapeable: use a column view instead */
        bn_tensor_squeeze(row, 1, &rowv);
    }
    CHECK_ERR(bn_reduce_into(BN_REDUCE_SUM, x, &ax1, 1, 0, 0, rowv), BN_ERR_INVALID_ARGUMENT, "");
    bn_tensor_free(row);
    bn_tensor_free(rowv);
    CHECK_ERR(bn_reduce(BN_REDUCE_SUM, x, &bad, 1, 0, 0, &y), BN_ERR_INVALID_ARGUMENT, "axis 2");
    CHECK_ERR(bn_reduce(BN_REDUCE_SUM, x, rep, 2, 0, 0, &y), BN_ERR_INVALID_ARGUMENT, "repeated");
    CHECK_ERR(bn_reduce(BN_REDUCE_ARGMAX, x, ax01, 2, 0, 0, &y), BN_ERR_INVALID_ARGUMENT, "argmax");
    CHECK_ERR(bn_reduce((bn_reduce_op)99, x, NULL, 0, 0, 0, &y), BN_ERR_INVALID_ARGUMENT, "99");
    CHECK_ERR(bn_reduce(BN_REDUCE_VAR, x, NULL, 0, 0, -1, &y), BN_ERR_INVALID_ARGUMENT, "correction");
    CHECK_ERR(bn_reduce(BN_REDUCE_SUM, x, NULL, 0, 0, 0, NULL), BN_ERR_INVALID_ARGUMENT, "out");
    bn_tensor *t = NULL;
    bn_tensor_cast_quantized(x, BN_DTYPE_TERNARY, 0, &t);
    CHECK_ERR(bn_reduce(BN_REDUCE_SUM, t, NULL, 0, 0, 0, &y), BN_ERR_DTYPE, "ternary");
    bn_tensor_free(t);
    CHECK(strcmp(bn_reduce_op_name(BN_REDUCE_NORM_L2), "norm_l2") == 0);
    CHECK(strcmp(bn_reduce_op_name((bn_reduce_op)-1), "unknown") == 0);
    /* argmax over all with keepdim: every dim 1, flattened index */
    CHECK_OK(bn_reduce(BN_REDUCE_ARGMAX, x, NULL, 0, 1, 0, &y));
    CHECK(y && bn_tensor_ndim(y) == 2 && bn_tensor_shape(y)[0] == 1 && bn_tensor_shape(y)[1] == 1);
    bn_tensor_free(y);
    /* 0-d input */
    bn_tensor *s = NULL;
    bn_tensor_full(g_ctx, BN_DTYPE_F32, 0, NULL, 2.5, &s);
    int a0 = 0;
    CHECK_OK(bn_reduce(BN_REDUCE_SUM, s, &a0, 1, 0, 0, &y));
    CHECK(y && bn_tensor_ndim(y) == 0 && rt_get(y, 0) == 2.5);
    bn_tensor_free(y);
    bn_tensor_free(s);
    bn_tensor_free(x);
}

/* Each ISA's row kernels: sum, sumsq, min, max and RMSNorm bit-identical to
 * the scalar ones; softmax within a few ulps. */
static void test_kernels(void) {
    const bni_reduce_kernels *ref = bni_reduce_kernels_for_isa(BN_ISA_SCALAR);
    int64_t lens[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 100, 511, 512, 513, 1000, 1024, 1025, 4099, 70001};
    float *x = (float *)malloc(70001 * 4), *y0 = (float *)malloc(70001 * 4), *y1 = (float *)malloc(70001 * 4);
    float *w = (float *)malloc(70001 * 4);
    for (int i = 0; i < 70001; i++) {
        x[i] = (float)(rt_unif(-1, 1) * pow(10.0, rt_unif(-2, 2)));
        w[i] = (float)rt_unif(0.5, 1.5);
    }
    for (int isa = 0; isa < 5; isa++) {
        const bni_reduce_kernels *k = bni_reduce_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        int ok_sum = 1, ok_mm = 1, ok_rms = 1, ok_sm = 1, ok_lsm = 1;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = (size_t)lens[li];
            for (int off = 0; off < 3; off++) {
                const float *xs = x + off;
                if (n + 3 > 70001) n = 70001 - 3;
                ok_sum &= k->sum_f32(xs, n) == ref->sum_f32(xs, n);
                ok_sum &= k->sumsq_f32(xs, n) == ref->sumsq_f32(xs, n);
                ok_mm &= k->max_f32(xs, n) == ref->max_f32(xs, n);
                ok_mm &= k->min_f32(xs, n) == ref->min_f32(xs, n);
                ref->rms_norm_f32(xs, w, 1e-5f, y0, n);
                k->rms_norm_f32(xs, w, 1e-5f, y1, n);
                ok_rms &= memcmp(y0, y1, n * 4) == 0;
                ref->rms_norm_f32(xs, NULL, 1e-5f, y0, n);
                k->rms_norm_f32(xs, NULL, 1e-5f, y1, n);
                ok_rms &= memcmp(y0, y1, n * 4) == 0;
                ref->softmax_f32(xs, y0, n);
                k->softmax_f32(xs, y1, n);
                for (size_t i = 0; i < n; i++) ok_sm &= fabsf(y0[i] - y1[i]) <= 8 * FLT_EPSILON * y0[i] + 1e-30f;
                ref->log_softmax_f32(xs, y0, n);
                k->log_softmax_f32(xs, y1, n);
                for (size_t i = 0; i < n; i++) ok_lsm &= fabsf(y0[i] - y1[i]) <= 8 * FLT_EPSILON * (fabsf(y0[i]) + 1);
            }
        }
        /* the multi-row kernels (plain and streaming stores, at every
         * alignment) give the one-row kernels' bits */
        {
            const size_t rl[] = {1, 5, 16, 100, 513, 1024, 4096, 9000};
            for (size_t li = 0; li < sizeof rl / sizeof rl[0]; li++) {
                size_t n = rl[li], rows = 60000 / n < 7 ? 60000 / n : 7;
                for (int stream = 0; stream < 2; stream++)
                    for (int off = 0; off < 3; off++) {
                        const float *xs = x + off;
                        k->rms_norm_rows_f32(xs, w, 1e-5f, y1 + off, n, rows, stream);
                        for (size_t r = 0; r < rows; r++) {
                            ref->rms_norm_f32(xs + r * n, w, 1e-5f, y0, n);
                            ok_rms &= memcmp(y0, y1 + off + r * n, n * 4) == 0;
                        }
                        k->softmax_rows_f32(xs, y1 + off, n, rows, stream);
                        for (size_t r = 0; r < rows; r++) {
                            k->softmax_f32(xs + r * n, y0, n);
                            ok_sm &= memcmp(y0, y1 + off + r * n, n * 4) == 0;
                        }
                    }
            }
        }
        /* NaN anywhere */
        for (size_t pos = 0; pos < 40; pos += 13) {
            float t[40];
            memcpy(t, x, sizeof t);
            t[pos] = NAN;
            ok_mm &= isnan(k->max_f32(t, 40)) && isnan(k->min_f32(t, 40));
        }
        printf("isa %s (%s): sum %d minmax %d rms %d softmax %d log_softmax %d\n", bn_isa_name((bn_isa)isa), k->name,
               ok_sum, ok_mm, ok_rms, ok_sm, ok_lsm);
        CHECK(ok_sum);
        CHECK(ok_mm);
        CHECK(ok_rms);
        CHECK(ok_sm);
        CHECK(ok_lsm);
    }
    CHECK(strstr(bni_reduce_kernels_describe(), "sum_f32") != NULL);
    free(x);
    free(y0);
    free(y1);
    free(w);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx2) != BN_OK) return 1;
    printf("kernels: %s", bni_reduce_kernels_describe());
    test_kernels();
    test_nan_ties_empty();
    test_integers();
    test_into_and_errors();
    test_pairwise_bound();
    test_random();
    printf("%d random cases\n", g_cases);
    bn_ctx_free(g_ctx);
    bn_ctx_free(g_ctx2);
    return bt_summary("test_ops_reduce");
}
