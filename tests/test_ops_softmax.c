/* Softmax and log-softmax against a float64 reference: f32, f64, f16 and
 * bf16 on random shapes and axes, contiguous, strided, transposed and
 * broadcast inputs, rows not a multiple of the vector width; -inf masks,
 * huge values, in place and into other dtypes; errors. */
#include <stdlib.h>

#include "cpu/reduce_kernels.h"
#include "reduce_test_util.h"

static bn_ctx *g_ctx;

static void ref_row(const double *x, int64_t n, int log, double *y) {
    double m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += exp(x[i] - m);
    for (int64_t i = 0; i < n; i++) y[i] = log ? x[i] - m - log1p(s - 1) : exp(x[i] - m) / s;
}

/* Compare y with the reference along axis of x. */
static int compare(const bn_tensor *x, const bn_tensor *y, int axis, int log, double tol_rel) {
    /* f16 results below 2^-14 are subnormal: absolute spacing 2^-24 */
    double tol_abs = bn_tensor_dtype(y) == BN_DTYPE_F16 ? 0x1p-24 : 1e-37;
    int nd = bn_tensor_ndim(x);
    const int64_t *sh = bn_tensor_shape(x);
    int64_t n = nd ? sh[axis] : 1, rows = 1, total = bn_tensor_numel(x);
    if (n == 0 || total == 0) return 1;
    rows = total / n;
    double *xv = malloc((size_t)n * 8), *rv = malloc((size_t)n * 8);
    int ok = 1;
    for (int64_t r = 0; r < rows && ok; r++) {
        int64_t idx[BN_MAX_DIMS], rem = r;
        for (int d = nd - 1; d >= 0; d--) {
            if (d == axis) continue;
            idx[d] = rem % sh[d];
            rem /= sh[d];
        }
        for (int64_t i = 0; i < n; i++) {
            if (nd) idx[axis] = i;
            bn_tensor_get(x, idx, &xv[i]);
        }
        ref_row(xv, n, log, rv);
        for (int64_t i = 0; i < n; i++) {
            if (nd) idx[axis] = i;
            double got;
            bn_tensor_get(y, idx, &got);
            double tol = log ? tol_rel * (fabs(rv[i]) + 1) : tol_rel * rv[i] + tol_abs;
            if (!(fabs(got - rv[i]) <= tol) && got != rv[i]) { /* equal infinities pass */
                printf("  row %lld i %lld: got %.9g want %.9g\n", (long long)r, (long long)i, got, rv[i]);
                ok = 0;
                break;
            }
        }
    }
    free(xv);
    free(rv);
    return ok;
}

static void test_random(void) {
    const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16};
    int cases = 0;
    for (int di = 0; di < 4; di++) {
        bn_dtype dt = dts[di];
        double tol = dt == BN_DTYPE_F32 ? 3e-6 : dt == BN_DTYPE_F64 ? 1e-13 : dt == BN_DTYPE_F16 ? 2e-3 : 1.6e-2;
        for (int rep = 0; rep < 60; rep++) {
            int nd = 1 + rt_int(4);
            int64_t sh[BN_MAX_DIMS];
            for (int i = 0; i < nd; i++) sh[i] = rt_int(8) == 0 ? 1 + rt_int(2) : 1 + rt_int(9);
            if (rep % 5 == 0) sh[nd - 1] = 1 + rt_int(300); /* longer rows: tails of every width */
            if (rep % 17 == 0) sh[0] = 0;
            int axis = rt_int(nd);
            int kind = rt_int(4);
            double scale = rep % 3 == 0 ? 30 : 4;
            bn_tensor *x = rt_view(g_ctx, dt, nd, sh, kind, -scale, scale, 0, 0);
            for (int log = 0; log < 2; log++) {
                bn_tensor *y = NULL;
                bn_status st = log ? bn_log_softmax(x, axis - (rep % 2) * nd, &y) : bn_softmax(x, axis, &y);
                CHECK(st == BN_OK);
                if (st == BN_OK) {
                    int ok = compare(x, y, axis, log, tol);
                    if (!ok)
                        printf("  %s %s nd %d axis %d kind %d\n", log ? "log_softmax" : "softmax", bn_dtype_name(dt),
                               nd, axis, kind);
                    CHECK(ok);
                    CHECK(bn_tensor_dtype(y) == dt);
                }
                bn_tensor_free(y);
                cases++;
            }
            bn_tensor_free(x);
        }
    }
    printf("%d random cases\n", cases);
}

static void test_special(void) {
    /* -inf masks (causal attention), huge values, a single element */
    float v[6] = {1, -INFINITY, 1000, 999, -INFINITY, 0};
    int64_t n = 6;
    bn_tensor *x = NULL, *y = NULL;
    bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &n, v, sizeof v, &x);
    CHECK_OK(bn_softmax(x, 0, &y));
    const float *p = (const float *)bn_tensor_data(y);
    CHECK(p[1] == 0 && p[4] == 0);
    CHECK_NEAR(p[2], 1 / (1 + exp(-1.0)), 1e-6);
    CHECK(!isnan(p[0]) && p[0] >= 0);
    bn_tensor_free(y);
    CHECK_OK(bn_log_softmax(x, -1, &y));
    p = (const float *)bn_tensor_data(y);
    CHECK(isinf(p[1]) && p[1] < 0);
    CHECK_NEAR(p[2], -log1p(exp(-1.0)), 1e-5);
    bn_tensor_free(y);
    /* in place */
    CHECK_OK(bn_softmax_into(x, 0, x));
    double s = 0;
    for (int i = 0; i < 6; i++) s += ((const float *)bn_tensor_data(x))[i];
    CHECK_NEAR(s, 1.0, 1e-6);
    bn_tensor_free(x);
    /* into an f64 tensor from f16 input */
    int64_t sh[2] = {3, 5};
    bn_tensor *h = rt_tensor(g_ctx, BN_DTYPE_F16, 2, sh, -3, 3, 0, 0), *o = NULL;
    bn_tensor_empty(g_ctx, BN_DTYPE_F64, 2, sh, &o);
    CHECK_OK(bn_softmax_into(h, 1, o));
    CHECK(compare(h, o, 1, 0, 3e-7)); /* computed in f32, not rounded to f16 */
    /* a transposed out view */
    bn_tensor *ot = NULL, *o2 = NULL;
    int64_t shT[2] = {5, 3};
    bn_tensor_empty(g_ctx, BN_DTYPE_F32, 2, shT, &o2);
    bn_tensor_transpose(o2, 0, 1, &ot);
    CHECK_OK(bn_log_softmax_into(h, 0, ot));
    CHECK(compare(h, ot, 0, 1, 1e-6));
    bn_tensor_free(ot);
    bn_tensor_free(o2);
    /* errors */
    bn_tensor *i32 = rt_tensor(g_ctx, BN_DTYPE_I32, 2, sh, 0, 0, -3, 3);
    CHECK_ERR(bn_softmax(i32, 0, &y), BN_ERR_DTYPE, "i32");
    CHECK_ERR(bn_softmax(h, 2, &y), BN_ERR_INVALID_ARGUMENT, "axis 2");
    CHECK_ERR(bn_softmax(h, -3, &y), BN_ERR_INVALID_ARGUMENT, "axis -3");
    bn_tensor *oi = NULL;
    bn_tensor_empty(g_ctx, BN_DTYPE_I32, 2, sh, &oi);
    CHECK_ERR(bn_softmax_into(h, 0, oi), BN_ERR_DTYPE, "");
    bn_tensor *sl = NULL;
    bn_tensor_slice(h, 1, 0, 3, 1, &sl);
    CHECK_ERR(bn_softmax_into(sl, 0, h), BN_ERR_SHAPE, ""); /* shapes differ */
    bn_tensor *hs = NULL;
    bn_tensor_slice(h, 0, 1, 3, 1, &hs);
    bn_tensor *hs2 = NULL;
    bn_tensor_slice(h, 0, 0, 2, 1, &hs2);
    CHECK_ERR(bn_softmax_into(hs, 1, hs2), BN_ERR_INVALID_ARGUMENT, ""); /* partial overlap */
    bn_tensor_free(hs);
    bn_tensor_free(hs2);
    bn_tensor_free(sl);
    bn_tensor_free(oi);
    bn_tensor_free(i32);
    bn_tensor_free(o);
    bn_tensor_free(h);
    /* 0-d: softmax of a scalar is 1 */
    bn_tensor *z = NULL;
    bn_tensor_full(g_ctx, BN_DTYPE_F32, 0, NULL, 7, &z);
    CHECK_OK(bn_softmax(z, 0, &y));
    CHECK(y && ((float *)bn_tensor_data(y))[0] == 1.0f);
    bn_tensor_free(y);
    bn_tensor_free(z);
    /* a long row (vocabulary-sized), 1 thread vs 4 threads the same */
    int64_t big[2] = {3, 128256};
    bn_tensor *b = rt_tensor(g_ctx, BN_DTYPE_F32, 2, big, -20, 20, 0, 0);
    CHECK_OK(bn_softmax(b, 1, &y));
    CHECK(compare(b, y, 1, 0, 3e-6));
    bn_tensor_free(y);
    bn_tensor_free(b);
}

/* Rows of several 512-element blocks (the kernels' blocked pass): masked
 * blocks, block maxima 100 apart, NaN and +inf in one block, all -inf, and
 * rows past the block table (the three-pass path), against the f64
 * reference. */
static void test_blocks(void) {
    const int64_t lens[] = {513, 1024, 1500, 4096, 5000, 131072, 131073, 200000};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        int64_t n = lens[li];
        for (int kind = 0; kind < 6; kind++) {
            float *v = malloc((size_t)n * 4);
            for (int64_t i = 0; i < n; i++) v[i] = (float)rt_unif(-10, 10);
            int64_t masked = n > 1024 ? 1024 : 512;
            if (kind == 1) /* whole blocks of -inf (attention masks) */
                for (int64_t i = 0; i < masked; i++) v[i] = -INFINITY;
            if (kind == 2) /* block maxima far apart: the first block near -90 */
                for (int64_t i = 0; i < 512; i++) v[i] -= 80.0f;
            if (kind == 3) v[n - 1 - n / 3] = NAN;
            if (kind == 4) v[n / 2] = INFINITY;
            if (kind == 5)
                for (int64_t i = 0; i < n; i++) v[i] = -INFINITY;
            bn_tensor *x = NULL, *y = NULL, *yl = NULL;
            CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &n, v, (size_t)n * 4, &x));
            CHECK_OK(bn_softmax(x, 0, &y));
            CHECK_OK(bn_log_softmax(x, 0, &yl));
            const float *p = (const float *)bn_tensor_data(y), *pl = (const float *)bn_tensor_data(yl);
            if (kind >= 3) { /* NaN everywhere, as PyTorch */
                int all = 1;
                for (int64_t i = 0; i < n; i++) all &= isnan(p[i]) && isnan(pl[i]);
                CHECK(all);
            } else {
                CHECK(compare(x, y, 0, 0, 3e-6));
                CHECK(compare(x, yl, 0, 1, 3e-6));
                if (kind == 1) CHECK(p[0] == 0 && p[masked - 1] == 0 && isinf(pl[0]) && pl[0] < 0);
            }
            bn_tensor_free(x);
            bn_tensor_free(y);
            bn_tensor_free(yl);
            free(v);
        }
    }
}

/* An output of 64 MiB (4096 rows of 4096 f32) takes the streaming,
 * software-pipelined multi-row kernel on 2 threads; it must give the bits
 * of the one-row kernel of the same ISA, in place too. */
static void test_streamed(void) {
    int64_t sh[2] = {4096, 4096};
    size_t n = 4096, total = n * n;
    bn_tensor *x = rt_tensor(g_ctx, BN_DTYPE_F32, 2, sh, -20, 20, 0, 0), *y = NULL;
    CHECK(x != NULL);
    if (!x) return;
    CHECK_OK(bn_softmax(x, 1, &y));
    const float *xp = (const float *)bn_tensor_data(x), *yp = y ? (const float *)bn_tensor_data(y) : NULL;
    float *ref = malloc(n * 4), *copy = malloc(total * 4);
    const bni_reduce_kernels *k = bni_reduce_kernels_get();
    int bad = 0;
    for (size_t r = 0; yp && r < n; r++) {
        k->softmax_f32(xp + r * n, ref, n);
        if (memcmp(ref, yp + r * n, n * 4)) bad++;
    }
    CHECK(yp && bad == 0);
    memcpy(copy, xp, total * 4);
    CHECK_OK(bn_softmax_into(x, 1, x));
    bad = 0;
    for (size_t r = 0; r < n; r++) {
        k->softmax_f32(copy + r * n, ref, n);
        if (memcmp(ref, xp + r * n, n * 4)) bad++;
    }
    CHECK(bad == 0);
    free(ref);
    free(copy);
    bn_tensor_free(y);
    bn_tensor_free(x);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_random();
    test_special();
    test_blocks();
    test_streamed();
    bn_ctx_free(g_ctx);
    return bt_summary("test_ops_softmax");
}
