/* Creation: arange / linspace counts and values as NumPy, eye, full, zeros,
 * ones, from_data, rand in range and reproducible from the Philox contract,
 * randn moments, and identical random tensors for 1 and 2 threads. */
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static bn_ctx *g_ctx;

static double at1(const bn_tensor *t, int64_t i) {
    double v = NAN;
    bn_tensor_get(t, &i, &v);
    return v;
}

static void test_arange(void) {
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F64, 0, 1, 0.1, &t));
    CHECK(t && bn_tensor_numel(t) == 10);
    int ok = 1;
    for (int i = 0; i < 10 && t; i++) ok &= at1(t, i) == 0 + i * 0.1;
    CHECK(ok);
    bn_tensor_free(t);
    struct { double a, b, s; int64_t n; double last; } c[] = {
        {0, 10, 3, 4, 9}, {10, 0, -3, 4, 1}, {0, 0, 1, 0, 0}, {5, 0, 1, 0, 0}, {1, 2, 0.3, 4, 1.9},
        {-1, 1, 0.5, 4, 0.5}, {0, 1e-9, 1, 1, 0}, {0.5, 3, 1, 3, 2.5},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        t = NULL;
        CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F32, c[i].a, c[i].b, c[i].s, &t));
        CHECK(t && bn_tensor_numel(t) == c[i].n && bn_tensor_ndim(t) == 1);
        if (t && c[i].n) CHECK_NEAR(at1(t, c[i].n - 1), c[i].last, 1e-6);
        bn_tensor_free(t);
    }
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_I32, -3, 3, 2, &t));
    CHECK(t && bn_tensor_numel(t) == 3 && at1(t, 0) == -3 && at1(t, 2) == 1);
    bn_tensor_free(t);
    t = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 1, 0, &t), BN_ERR_INVALID_ARGUMENT, "step 0");
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, NAN, 1, &t), BN_ERR_INVALID_ARGUMENT, "finite");
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 1, INFINITY, &t), BN_ERR_INVALID_ARGUMENT, "step inf");
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_BOOL, 0, 1, 1, &t), BN_ERR_DTYPE, "bool");
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_TERNARY, 0, 1, 1, &t), BN_ERR_DTYPE, "ternary");
    CHECK_ERR(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 1e300, 1e-300, &t), BN_ERR_OVERFLOW, "too many");
    CHECK_ERR(bn_tensor_arange(NULL, BN_DTYPE_F32, 0, 1, 1, &t), BN_ERR_INVALID_ARGUMENT, "ctx is NULL");
    CHECK(t == (bn_tensor *)0x1);
}

static void test_linspace(void) {
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_linspace(g_ctx, BN_DTYPE_F64, 0, 1, 5, &t));
    CHECK(t && at1(t, 0) == 0 && at1(t, 1) == 0.25 && at1(t, 3) == 0.75 && at1(t, 4) == 1);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_linspace(g_ctx, BN_DTYPE_F64, 1, 0, 11, &t));
    int ok = 1;
    for (int i = 0; i < 10 && t; i++) ok &= at1(t, i) == 1 + i * (-1.0 / 10);
    CHECK(ok && at1(t, 10) == 0.0);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_linspace(g_ctx, BN_DTYPE_F32, 2, 3, 1, &t));
    CHECK(t && bn_tensor_numel(t) == 1 && at1(t, 0) == 2);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_linspace(g_ctx, BN_DTYPE_F32, 2, 3, 0, &t));
    CHECK(t && bn_tensor_numel(t) == 0);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_linspace(g_ctx, BN_DTYPE_I16, 0, 1, 3, &t)); /* 0, 0.5, 1 truncated */
    CHECK(t && at1(t, 0) == 0 && at1(t, 1) == 0 && at1(t, 2) == 1);
    bn_tensor_free(t);
    t = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_linspace(g_ctx, BN_DTYPE_F32, 0, 1, -1, &t), BN_ERR_SHAPE, "negative count -1");
    CHECK_ERR(bn_tensor_linspace(g_ctx, BN_DTYPE_F32, 0, INFINITY, 3, &t), BN_ERR_INVALID_ARGUMENT, "finite");
    CHECK_ERR(bn_tensor_linspace(g_ctx, BN_DTYPE_BINARY, 0, 1, 3, &t), BN_ERR_DTYPE, "binary");
    CHECK(t == (bn_tensor *)0x1);
}

static void test_fills(void) {
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_eye(g_ctx, BN_DTYPE_I16, 3, 4, &t));
    int ok = 1;
    for (int64_t i = 0; i < 3 && t; i++)
        for (int64_t j = 0; j < 4; j++) {
            int64_t idx[2] = {i, j};
            double v;
            bn_tensor_get(t, idx, &v);
            ok &= v == (i == j);
        }
    CHECK(ok);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_eye(g_ctx, BN_DTYPE_F32, 0, 3, &t));
    CHECK(t && bn_tensor_numel(t) == 0);
    bn_tensor_free(t);
    t = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_eye(g_ctx, BN_DTYPE_TERNARY, 2, 2, &t), BN_ERR_DTYPE, "packed");
    CHECK_ERR(bn_tensor_eye(g_ctx, BN_DTYPE_F32, -2, 2, &t), BN_ERR_SHAPE, "negative size -2");
    CHECK(t == (bn_tensor *)0x1);

    int64_t s[2] = {7, 5};
    for (int d = 0; d < BN_DTYPE_COUNT; d++) {
        bn_tensor *z = NULL, *o = NULL, *f = NULL;
        CHECK_OK(bn_tensor_zeros(g_ctx, (bn_dtype)d, 2, s, &z));
        CHECK_OK(bn_tensor_ones(g_ctx, (bn_dtype)d, 2, s, &o));
        CHECK_OK(bn_tensor_full(g_ctx, (bn_dtype)d, 2, s, -2.75, &f));
        if (!z || !o || !f) continue;
        int good = 1;
        const bn_dtype_info *in = bn_dtype_get_info((bn_dtype)d);
        double want_f = in->kind == BN_KIND_FLOAT ? -2.75 : in->kind == BN_KIND_SIGNED ? -2
                        : in->kind == BN_KIND_BOOL ? 1 : in->kind == BN_KIND_UNSIGNED ? 0
                        : d == BN_DTYPE_BINARY ? -2.75 : d == BN_DTYPE_INT4 ? -2 : d == BN_DTYPE_TERNARY ? -2.75
                        : -2.75;
        for (int64_t k = 0; k < 35; k++) {
            int64_t idx[2] = {k / 5, k % 5};
            double a, b, c;
            bn_tensor_get(z, idx, &a);
            bn_tensor_get(o, idx, &b);
            bn_tensor_get(f, idx, &c);
            good &= a == 0.0 && fabs(b - 1.0) < 1e-6 && fabs(c - want_f) < 1e-5 * 2.75;
        }
        if (!good) fprintf(stderr, "fills wrong for %s\n", bn_dtype_name((bn_dtype)d));
        CHECK(good);
        bn_tensor_free(z);
        bn_tensor_free(o);
        bn_tensor_free(f);
    }
    /* full converts as a cast: saturation, rounding */
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_I8, 1, s, 300, &t));
    CHECK(t && ((int8_t *)bn_tensor_data(t))[4] == 127);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_F16, 1, s, 1.0 / 3.0, &t));
    CHECK(t && ((uint16_t *)bn_tensor_data(t))[6] == 0x3555);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_U64, 0, NULL, 1e30, &t));
    CHECK(t && *(uint64_t *)bn_tensor_data(t) == UINT64_MAX);
    bn_tensor_free(t);
}

static void test_from_data(void) {
    int16_t src[6] = {1, -2, 3, -4, 5, -6};
    int64_t s[2] = {2, 3};
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_I16, 2, s, src, sizeof src, &t));
    src[0] = 100; /* copied, not wrapped */
    int64_t idx[2] = {1, 2};
    double v;
    CHECK_OK(bn_tensor_get(t, idx, &v));
    CHECK(v == -6 && ((int16_t *)bn_tensor_data(t))[0] == 1);
    bn_tensor_free(t);
    t = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_from_data(g_ctx, BN_DTYPE_I16, 2, s, src, 10, &t), BN_ERR_INVALID_ARGUMENT,
              "10 bytes given for i16[2,3], which needs 12");
    CHECK_ERR(bn_tensor_from_data(g_ctx, BN_DTYPE_I16, 2, s, NULL, 12, &t), BN_ERR_INVALID_ARGUMENT, "data is NULL");
    CHECK(t == (bn_tensor *)0x1);
    uint8_t packed[2] = {0x91, 0x06}; /* ternary codes 1,0,1,2 | 2,1 */
    int64_t n6 = 6;
    t = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_TERNARY, 1, &n6, packed, 2, &t));
    CHECK(t && at1(t, 1) == -1 && at1(t, 3) == 1 && at1(t, 4) == 1 && at1(t, 5) == 0 && bn_tensor_scales(t)[0] == 1);
    bn_tensor_free(t);
}

/* ---- random ---------------------------------------------------------- */

static void philox_ref(uint64_t ctr, uint64_t seed, uint32_t w[4]) {
    uint32_t c[4] = {(uint32_t)ctr, (uint32_t)(ctr >> 32), 0, 0}, k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    bn_philox4x32_10(c, k, w);
}

static void test_rand(bn_ctx *ctx1, bn_ctx *ctx2) {
    int64_t n = 1000003;
    bn_tensor *a = NULL, *b = NULL, *c = NULL;
    bn_ctx_manual_seed(ctx1, 42);
    bn_ctx_manual_seed(ctx2, 42);
    CHECK_OK(bn_tensor_rand(ctx1, BN_DTYPE_F64, 1, &n, -2, 3, &a));
    CHECK_OK(bn_tensor_rand(ctx2, BN_DTYPE_F64, 1, &n, -2, 3, &b));
    CHECK(a && b && memcmp(bn_tensor_data(a), bn_tensor_data(b), (size_t)n * 8) == 0);
    /* the documented contract: element i uses counter first + i/4, word i%4 */
    const double *ad = (const double *)bn_tensor_data(a);
    int exact = 1;
    for (int64_t i = 0; i < n; i += 99991) {
        uint32_t w[4];
        philox_ref((uint64_t)i / 4, 42, w);
        exact &= ad[i] == -2 + 5 * ((double)w[i % 4] * 0x1p-32);
    }
    CHECK(exact);
    double sum = 0, sq = 0, mn = 1e9, mx = -1e9;
    for (int64_t i = 0; i < n; i++) {
        sum += ad[i];
        sq += ad[i] * ad[i];
        mn = ad[i] < mn ? ad[i] : mn;
        mx = ad[i] > mx ? ad[i] : mx;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    CHECK(mn >= -2 && mx < 3);
    CHECK_NEAR(mean, 0.5, 5 * sqrt(25.0 / 12 / n));
    CHECK_NEAR(var, 25.0 / 12, 0.02);
    /* the generator advanced: a second draw differs; reseeding repeats */
    CHECK_OK(bn_tensor_rand(ctx1, BN_DTYPE_F64, 1, &n, -2, 3, &c));
    CHECK(c && memcmp(bn_tensor_data(a), bn_tensor_data(c), 64) != 0);
    bn_tensor_free(c);
    bn_ctx_manual_seed(ctx1, 42);
    CHECK_OK(bn_tensor_rand(ctx1, BN_DTYPE_F64, 1, &n, -2, 3, &c));
    CHECK(c && memcmp(bn_tensor_data(a), bn_tensor_data(c), (size_t)n * 8) == 0);
    bn_tensor_free(c);
    bn_tensor_free(a);
    bn_tensor_free(b);

    /* every float dtype stays in [low, high), including narrow ranges */
    bn_dtype fl[4] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16};
    for (int k = 0; k < 4; k++) {
        int64_t m = 20000;
        double ranges[3][2] = {{0, 1}, {-1, 1.0009765625}, {100, 100.5}};
        for (int r = 0; r < 3; r++) {
            a = NULL;
            CHECK_OK(bn_tensor_rand(ctx2, fl[k], 1, &m, ranges[r][0], ranges[r][1], &a));
            int in = 1;
            for (int64_t i = 0; a && i < m; i++) {
                double v = at1(a, i);
                in &= v >= ranges[r][0] && v < ranges[r][1];
            }
            if (!in) fprintf(stderr, "rand %s out of [%g, %g)\n", bn_dtype_name(fl[k]), ranges[r][0], ranges[r][1]);
            CHECK(in);
            bn_tensor_free(a);
        }
    }
    a = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_rand(ctx1, BN_DTYPE_I32, 1, &n, 0, 1, &a), BN_ERR_DTYPE, "i32 is not a float dtype");
    CHECK_ERR(bn_tensor_rand(ctx1, BN_DTYPE_F32, 1, &n, 1, 1, &a), BN_ERR_INVALID_ARGUMENT, "low < high");
    CHECK_ERR(bn_tensor_randn(ctx1, BN_DTYPE_F32, 1, &n, 0, -1, &a), BN_ERR_INVALID_ARGUMENT, "std");
    CHECK_ERR(bn_tensor_randn(ctx1, BN_DTYPE_QINT8, 1, &n, 0, 1, &a), BN_ERR_DTYPE, "qint8");
    CHECK(a == (bn_tensor *)0x1);
}

static void test_randn(bn_ctx *ctx1, bn_ctx *ctx2) {
    int64_t s[2] = {1001, 999};
    bn_tensor *a = NULL, *b = NULL;
    bn_ctx_manual_seed(ctx1, 7);
    bn_ctx_manual_seed(ctx2, 7);
    CHECK_OK(bn_tensor_randn(ctx1, BN_DTYPE_F32, 2, s, 3, 2, &a));
    CHECK_OK(bn_tensor_randn(ctx2, BN_DTYPE_F32, 2, s, 3, 2, &b));
    int64_t n = s[0] * s[1];
    CHECK(a && b && memcmp(bn_tensor_data(a), bn_tensor_data(b), (size_t)n * 4) == 0);
    const float *d = (const float *)bn_tensor_data(a);
    double sum = 0, sq = 0, m4 = 0;
    int64_t within1 = 0;
    for (int64_t i = 0; i < n; i++) sum += d[i];
    double mean = sum / n;
    for (int64_t i = 0; i < n; i++) {
        double z = (d[i] - mean);
        sq += z * z;
        m4 += z * z * z * z;
        within1 += fabs(d[i] - 3) < 2;
    }
    double var = sq / n;
    CHECK_NEAR(mean, 3, 5 * 2 / sqrt((double)n));
    CHECK_NEAR(var, 4, 5 * 4 * sqrt(2.0 / n));
    CHECK_NEAR(m4 / n / (var * var), 3, 0.05);                 /* kurtosis of a normal */
    CHECK_NEAR((double)within1 / n, 0.682689, 0.003);       /* one-sigma mass */
    bn_tensor_free(a);
    bn_tensor_free(b);
    /* f16 / bf16 / f64 too; std 0 gives the mean */
    int64_t m = 1000;
    CHECK_OK(bn_tensor_randn(ctx2, BN_DTYPE_BF16, 1, &m, -1, 0, &a));
    CHECK(a && at1(a, 0) == -1 && at1(a, 999) == -1);
    bn_tensor_free(a);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    o.seed = 42;
    bn_ctx *ctx2 = NULL;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    o.num_threads = 2;
    if (bn_ctx_new(&o, &ctx2) != BN_OK) return 1;
    test_arange();
    test_linspace();
    test_fills();
    test_from_data();
    test_rand(g_ctx, ctx2);
    test_randn(g_ctx, ctx2);
    bn_pool_stats st;
    bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
    CHECK(st.live_blocks == 0);
    bn_pool_get_stats(bn_ctx_pool(ctx2), &st);
    CHECK(st.live_blocks == 0);
    bn_ctx_free(ctx2);
    bn_ctx_free(g_ctx);
    return bt_summary("test_tensor_create");
}
