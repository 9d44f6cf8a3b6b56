/* Casts: f16/bf16 rounding against hand-computed values and an independent
 * reference, every f16 pattern round-tripping, float->int and int->int
 * saturation, bool, quantized packing, every pair of dtypes through
 * contiguous and strided views, overlapping copies, and each SIMD
 * conversion kernel against the scalar one. */
#include <stdint.h>
#include <stdlib.h>

#include "cpu/kernels.h"
#include "tensor/tensor_internal.h"
#include "test_util.h"

static bn_ctx *g_ctx, *g_ctx2;

static uint32_t fbits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static float bitsf(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Independent f16 decoding: sign * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * m/1024. */
static double f16_ref(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 31) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp((double)m, -24);
    else v = ldexp(1024.0 + m, e - 25);
    return s ? -v : v;
}

/* Independent f32 -> f16 by search: the nearest finite half (ties to even
 * mantissa), infinity past 65520. */
static uint16_t f16_from_ref(float x) {
    if (isnan(x)) return 0x7E00;
    double a = fabs((double)x);
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    if (a >= 65520.0) return sign | 0x7C00;
    /* binary search over the monotone positive patterns 0..0x7BFF */
    uint16_t lo = 0, hi = 0x7BFF;
    while (lo < hi) {
        uint16_t mid = (uint16_t)((lo + hi + 1) / 2);
        if (f16_ref(mid) <= a) lo = mid;
        else hi = (uint16_t)(mid - 1);
    }
    uint16_t best = lo;
    if (lo < 0x7BFF) {
        double d0 = a - f16_ref(lo), d1 = f16_ref((uint16_t)(lo + 1)) - a;
        if (d1 < d0 || (d1 == d0 && (lo & 1))) best = (uint16_t)(lo + 1);
    } else if (a - f16_ref(lo) > 0) {
        best = lo; /* below 65520 */
    }
    return sign | best;
}

static void test_f16_all_patterns(void) {
    int bad_identity = 0, bad_value = 0, bad_nan = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = bn_f16_to_f32((uint16_t)h);
        double want = f16_ref((uint16_t)h);
        if (isnan(want)) {
            if (!isnan(f)) bad_nan++;
            uint16_t back = bn_f32_to_f16(f);
            if ((back & 0x7C00) != 0x7C00 || !(back & 0x3FF) || (back & 0x8000) != (h & 0x8000)) bad_nan++;
            if ((back | 0x0200) != (h | 0x0200)) bad_nan++; /* payload kept, quiet bit set */
        } else {
            if ((double)f != want || !!signbit(f) != !!signbit(want)) bad_value++;
            if (bn_f32_to_f16(f) != h) bad_identity++;
        }
    }
    CHECK(bad_identity == 0);
    CHECK(bad_value == 0);
    CHECK(bad_nan == 0);
}

static void test_f16_rounding(void) {
    CHECK(bn_f32_to_f16(1.0f) == 0x3C00);
    CHECK(bn_f32_to_f16(-2.0f) == 0xC000);
    CHECK(bn_f32_to_f16(-0.0f) == 0x8000);
    CHECK(bn_f32_to_f16(65504.0f) == 0x7BFF);
    CHECK(bn_f32_to_f16(65519.996f) == 0x7BFF);
    CHECK(bn_f32_to_f16(65520.0f) == 0x7C00);   /* tie to even = overflow */
    CHECK(bn_f32_to_f16(1e10f) == 0x7C00);
    CHECK(bn_f32_to_f16(-INFINITY) == 0xFC00);
    CHECK(bn_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00);        /* tie, even down */
    CHECK(bn_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3C02);    /* tie, even up */
    CHECK(bn_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3C01);
    CHECK(bn_f32_to_f16(0x1p-24f) == 0x0001);                /* smallest subnormal */
    CHECK(bn_f32_to_f16(0x1p-25f) == 0x0000);                /* tie to even zero */
    CHECK(bn_f32_to_f16(bitsf(0x33000001)) == 0x0001);       /* just above the tie */
    CHECK(bn_f32_to_f16(3 * 0x1p-25f) == 0x0002);            /* 1.5 ulp -> 2 */
    CHECK(bn_f32_to_f16(1023 * 0x1p-24f) == 0x03FF);         /* largest subnormal */
    CHECK(bn_f32_to_f16(0x1p-14f) == 0x0400);                /* smallest normal */
    CHECK(bn_f32_to_f16(0x1p-14f - 0x1p-26f) == 0x0400);     /* rounds up into the normals */
    CHECK(bn_f32_to_f16(bitsf(0x00000001)) == 0x0000);       /* f32 subnormal */
    CHECK(bn_f32_to_f16(-0x1p-24f) == 0x8001);
    uint16_t n = bn_f32_to_f16(NAN);
    CHECK((n & 0x7C00) == 0x7C00 && (n & 0x3FF) != 0);
    CHECK(bn_f32_to_f16(bitsf(0x7F800001)) == 0x7E00);      /* signalling NaN is quieted */
    CHECK(bn_f32_to_f16(bitsf(0xFF812345)) == 0xFE09);
    CHECK(fbits(bn_f16_to_f32(0x7C01)) == 0x7FC02000);
    CHECK(bn_f16_to_f32(0x7C00) == INFINITY && bn_f16_to_f32(0xFC00) == -INFINITY);
    CHECK(bn_f16_to_f32(0x0001) == 0x1p-24f);

    /* many random f32 patterns against the search reference */
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t b = (uint32_t)rnd();
        if (i & 1) b = (b & 0x8FFFFFFFu) | 0x30000000u; /* bias toward the f16 range */
        float x = bitsf(b);
        if (isnan(x)) continue;
        if (bn_f32_to_f16(x) != f16_from_ref(x)) bad++;
#if defined(__FLT16_MAX__) && !defined(__clang__)
        _Float16 c = (_Float16)x;
        uint16_t cb;
        memcpy(&cb, &c, 2);
        if (bn_f32_to_f16(x) != cb) bad++;
#endif
    }
    CHECK(bad == 0);
    /* f64 -> f16 must round once: 1 + 2^-11 + 2^-40 is above the tie */
    CHECK(bni_f64_to_f16(1.0 + 0x1p-11 + 0x1p-40) == 0x3C01);
    CHECK(bni_f64_to_f16(1.0 + 0x1p-11) == 0x3C00);
    CHECK(bni_f64_to_f16(65519.99999999) == 0x7BFF);
    CHECK(bni_f64_to_f16(1e300) == 0x7C00);
}

static void test_bf16_rounding(void) {
    CHECK(bn_f32_to_bf16(1.0f) == 0x3F80);
    CHECK(bn_f32_to_bf16(1.0f + 0x1p-8f) == 0x3F80);          /* tie, even down */
    CHECK(bn_f32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);      /* tie, even up */
    CHECK(bn_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3F81);
    CHECK(bn_f32_to_bf16(bitsf(0x7F7FFFFF)) == 0x7F80);       /* FLT_MAX rounds to infinity */
    CHECK(bn_f32_to_bf16(INFINITY) == 0x7F80);
    CHECK(bn_f32_to_bf16(-INFINITY) == 0xFF80);
    CHECK(bn_f32_to_bf16(bitsf(0x7F800001)) == 0x7FC0);
    CHECK(bn_f32_to_bf16(bitsf(0xFF812345)) == 0xFFC1);
    CHECK(bn_f32_to_bf16(bitsf(0x00018000)) == 0x0002);       /* subnormal, tie to even up */
    CHECK(bn_f32_to_bf16(bitsf(0x00008000)) == 0x0000);       /* subnormal, tie to even down */
    CHECK(bn_f32_to_bf16(bitsf(0x00008001)) == 0x0001);
    CHECK(bn_f32_to_bf16(-0.0f) == 0x8000);
    CHECK(fbits(bn_bf16_to_f32(0x3F81)) == 0x3F810000);
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = bn_bf16_to_f32((uint16_t)h);
        if (fbits(f) != h << 16) bad++;
        uint16_t back = bn_f32_to_bf16(f);
        if (isnan(f) ? (back | 0x40) != (h | 0x40) : back != h) bad++;
    }
    CHECK(bad == 0);
    /* random: bf16 RNE equals the nearest of the two neighbours */
    bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t b = (uint32_t)rnd();
        float x = bitsf(b);
        if (isnan(x) || isinf(x)) continue;
        uint32_t lo = b & 0xFFFF0000u, rem = b & 0xFFFFu;
        uint32_t want = lo >> 16;
        if (rem > 0x8000u || (rem == 0x8000u && (want & 1))) want++;
        if (bn_f32_to_bf16(x) != (uint16_t)want) bad++;
    }
    CHECK(bad == 0);
    /* f64 -> bf16 rounds once */
    CHECK(bni_f64_to_bf16(1.0 + 0x1p-8 + 0x1p-40) == 0x3F81);
}

/* ---- tensor casts ---------------------------------------------------- */

static bn_tensor *from(bn_dtype dt, int64_t n, const void *data) {
    bn_tensor *t = NULL;
    size_t nb = 0;
    bn_dtype_storage_bytes(dt, n, &nb);
    CHECK_OK(bn_tensor_from_data(g_ctx, dt, 1, &n, data, nb, &t));
    return t;
}

static void test_float_to_int(void) {
    double src[] = {3.9, -3.9, 300, -300, NAN, INFINITY, -INFINITY, 127.5, -128.9, -0.5, 0.99, -1.0};
    int64_t n = 12;
    bn_tensor *t = from(BN_DTYPE_F64, n, src), *o = NULL;
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I8, &o));
    int8_t want_i8[] = {3, -3, 127, -128, 0, 127, -128, 127, -128, 0, 0, -1};
    CHECK(o && memcmp(bn_tensor_data(o), want_i8, sizeof want_i8) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U8, &o));
    uint8_t want_u8[] = {3, 0, 255, 0, 0, 255, 0, 127, 0, 0, 0, 0};
    CHECK(o && memcmp(bn_tensor_data(o), want_u8, sizeof want_u8) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I32, &o));
    int32_t want_i32[] = {3, -3, 300, -300, 0, INT32_MAX, INT32_MIN, 127, -128, 0, 0, -1};
    CHECK(o && memcmp(bn_tensor_data(o), want_i32, sizeof want_i32) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);

    double big[] = {1e19, -1e19, 9223372036854775808.0, 9223372036854774784.0, -9223372036854775808.0,
                    18446744073709551616.0, 18446744073709549568.0, 4294967295.9, 4294967296.0};
    t = from(BN_DTYPE_F64, 9, big);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I64, &o));
    int64_t want_i64[] = {INT64_MAX, INT64_MIN, INT64_MAX, 9223372036854774784LL, INT64_MIN, INT64_MAX, INT64_MAX,
                          4294967295LL, 4294967296LL};
    CHECK(o && memcmp(bn_tensor_data(o), want_i64, sizeof want_i64) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U64, &o));
    uint64_t want_u64[] = {10000000000000000000ull, 0, 9223372036854775808ull, 9223372036854774784ull, 0, UINT64_MAX,
                           18446744073709549568ull, 4294967295ull, 4294967296ull};
    CHECK(o && memcmp(bn_tensor_data(o), want_u64, sizeof want_u64) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U32, &o));
    uint32_t want_u32[] = {UINT32_MAX, 0, UINT32_MAX, UINT32_MAX, 0, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
    CHECK(o && memcmp(bn_tensor_data(o), want_u32, sizeof want_u32) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);

    /* f16 and bf16 sources saturate too */
    uint16_t h[] = {0x7C00, 0xFC00, 0x7E00, 0x5BD0 /* 250 */, 0xC100 /* -2.5 */};
    t = from(BN_DTYPE_F16, 5, h);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I8, &o));
    int8_t want_h[] = {127, -128, 0, 127, -2};
    CHECK(o && memcmp(bn_tensor_data(o), want_h, sizeof want_h) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);
}

static void test_int_to_int(void) {
    int64_t src[] = {-1, 300, -300, INT64_MAX, INT64_MIN, 65535, 65536, 127, -128};
    bn_tensor *t = from(BN_DTYPE_I64, 9, src), *o = NULL;
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U8, &o));
    uint8_t w1[] = {0, 255, 0, 255, 0, 255, 255, 127, 0};
    CHECK(o && memcmp(bn_tensor_data(o), w1, sizeof w1) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I16, &o));
    int16_t w2[] = {-1, 300, -300, INT16_MAX, INT16_MIN, INT16_MAX, INT16_MAX, 127, -128};
    CHECK(o && memcmp(bn_tensor_data(o), w2, sizeof w2) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U64, &o));
    uint64_t w3[] = {0, 300, 0, (uint64_t)INT64_MAX, 0, 65535, 65536, 127, 0};
    CHECK(o && memcmp(bn_tensor_data(o), w3, sizeof w3) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_U16, &o));
    uint16_t w4[] = {0, 300, 0, 65535, 0, 65535, 65535, 127, 0};
    CHECK(o && memcmp(bn_tensor_data(o), w4, sizeof w4) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);

    uint64_t us[] = {UINT64_MAX, 128, 127, (uint64_t)INT64_MAX + 1};
    t = from(BN_DTYPE_U64, 4, us);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I8, &o));
    int8_t w5[] = {127, 127, 127, 127};
    CHECK(o && memcmp(bn_tensor_data(o), w5, sizeof w5) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I64, &o));
    int64_t w6[] = {INT64_MAX, 128, 127, INT64_MAX};
    CHECK(o && memcmp(bn_tensor_data(o), w6, sizeof w6) == 0);
    bn_tensor_free(o);
    /* u64 -> bf16 / f32 / f64 round once */
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_BF16, &o));
    uint16_t w7[] = {0x5F80, 0x4300, 0x42FE, 0x5F00};
    CHECK(o && memcmp(bn_tensor_data(o), w7, sizeof w7) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);

    /* i64 -> bf16: 2^60 + 2^52 + 1 is above the tie (a double rounding would give 2^60) */
    int64_t tie[] = {(1LL << 60) + (1LL << 52) + 1, (1LL << 60) + (1LL << 52), -((1LL << 60) + (1LL << 52) + 1)};
    t = from(BN_DTYPE_I64, 3, tie);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_BF16, &o));
    uint16_t w8[] = {0x5D81, 0x5D80, 0xDD81};
    CHECK(o && memcmp(bn_tensor_data(o), w8, sizeof w8) == 0);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_F16, &o));
    uint16_t w9[] = {0x7C00, 0x7C00, 0xFC00};
    CHECK(o && memcmp(bn_tensor_data(o), w9, sizeof w9) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);
}

static void test_bool(void) {
    float src[] = {0.0f, -0.0f, 0.5f, NAN, -3.0f, 1e-45f};
    bn_tensor *t = from(BN_DTYPE_F32, 6, src), *o = NULL, *b = NULL;
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_BOOL, &o));
    uint8_t w[] = {0, 0, 1, 1, 1, 1};
    CHECK(o && memcmp(bn_tensor_data(o), w, sizeof w) == 0);
    bn_tensor_free(o);
    bn_tensor_free(t);
    uint8_t raw[] = {0, 1, 2, 255};
    t = from(BN_DTYPE_BOOL, 4, raw);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_F32, &o));
    float wf[] = {0, 1, 1, 1};
    CHECK(o && memcmp(bn_tensor_data(o), wf, sizeof wf) == 0);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_I64, &b));
    int64_t wi[] = {0, 1, 1, 1};
    CHECK(b && memcmp(bn_tensor_data(b), wi, sizeof wi) == 0);
    bn_tensor_free(b);
    bn_tensor_free(o);
    bn_tensor_free(t);
}

/* ---- quantized ------------------------------------------------------- */

static void test_quantized(void) {
    float x[] = {0.5f, -1.5f, 0.1f, 2.0f};
    bn_tensor *t = from(BN_DTYPE_F32, 4, x), *q = NULL, *back = NULL;
    double v;
    int64_t i0[1] = {0}, i1[1] = {1}, i3[1] = {3};
    /* ternary: mean|x| = 1.025, codes rint(x / 1.025) = 0, -1, 0, 1 (2 bits each: 1, 0, 1, 2) */
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_TERNARY, &q));
    CHECK(q && ((uint8_t *)bn_tensor_data(q))[0] == 0x91);
    CHECK_NEAR(bn_tensor_scales(q)[0], 1.025, 1e-6);
    CHECK(bn_tensor_group_size(q) == 4);
    CHECK_OK(bn_tensor_get(q, i1, &v));
    CHECK_NEAR(v, -1.025, 1e-6);
    CHECK_OK(bn_tensor_get(q, i0, &v));
    CHECK(v == 0.0);
    CHECK_OK(bn_tensor_cast(q, BN_DTYPE_F32, &back));
    float *bf = back ? (float *)bn_tensor_data(back) : NULL;
    CHECK(bf && bf[0] == 0.0f && bf[1] == -bn_tensor_scales(q)[0] && bf[3] == bn_tensor_scales(q)[0]);
    CHECK_ERR(bn_tensor_set(q, i0, 1.0), BN_ERR_NOT_SUPPORTED, "bn_tensor_set");
    bn_tensor_free(back);
    bn_tensor_free(q);

    /* binary: scale mean|x| = 1.025, bits x >= 0 */
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_BINARY, &q));
    CHECK(q && (((uint8_t *)bn_tensor_data(q))[0] & 0xF) == 0xD);
    CHECK_NEAR(bn_tensor_scales(q)[0], 1.025, 1e-6);
    CHECK_OK(bn_tensor_get(q, i1, &v));
    CHECK_NEAR(v, -1.025, 1e-6);
    bn_tensor_free(q);

    /* qint4: absmax 2 -> scale 2/7, codes rint(x * 3.5) = 2 (1.75), -5 (-5.25), 0 (0.35), 7 */
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_QINT4, &q));
    CHECK_NEAR(bn_tensor_scales(q)[0], 2.0 / 7.0, 1e-7);
    uint8_t *qb = (uint8_t *)bn_tensor_data(q);
    CHECK(qb[0] == (uint8_t)(0x2 | (0xB << 4)) && qb[1] == (uint8_t)(0x0 | (0x7 << 4)));
    CHECK_OK(bn_tensor_get(q, i3, &v));
    CHECK_NEAR(v, 2.0, 1e-6);
    bn_tensor_free(q);

    /* qint8: absmax 2 -> scale 2/127 */
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_QINT8, &q));
    int8_t *q8 = (int8_t *)bn_tensor_data(q);
    CHECK(q8[0] == 32 && q8[1] == -95 && q8[2] == 6 && q8[3] == 127);
    bn_tensor_free(q);
    bn_tensor_free(t);

    /* all zero: qint scale 1, ternary scale 1e-5, binary scale 0 */
    float z[8] = {0};
    t = from(BN_DTYPE_F32, 8, z);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_QINT8, &q));
    CHECK(bn_tensor_scales(q)[0] == 1.0f && ((int8_t *)bn_tensor_data(q))[5] == 0);
    bn_tensor_free(q);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_TERNARY, &q));
    CHECK(bn_tensor_scales(q)[0] == 1e-5f && ((uint8_t *)bn_tensor_data(q))[1] == 0x55);
    bn_tensor_free(q);
    bn_tensor_free(t);

    /* int4: saturating integers, no scale */
    float i4[] = {7.9f, -9.0f, 3.5f, NAN, -8.0f, -0.7f};
    t = from(BN_DTYPE_F32, 6, i4);
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_INT4, &q));
    CHECK(bn_tensor_scales(q) == NULL && bn_tensor_group_size(q) == 0);
    CHECK_OK(bn_tensor_cast(q, BN_DTYPE_I32, &back));
    int32_t w4[] = {7, -8, 3, 0, -8, 0};
    CHECK(back && memcmp(bn_tensor_data(back), w4, sizeof w4) == 0);
    int64_t i5[1] = {5};
    CHECK_OK(bn_tensor_set(q, i5, 100.0));
    CHECK_OK(bn_tensor_get(q, i5, &v));
    CHECK(v == 7.0);
    bn_tensor_free(back);
    bn_tensor_free(q);
    bn_tensor_free(t);

    /* random round trips with groups: error within half a step, scales per group */
    int64_t shape[2] = {6, 64};
    bn_tensor *r = NULL;
    CHECK_OK(bn_tensor_randn(g_ctx, BN_DTYPE_F32, 2, shape, 0.0, 1.0, &r));
    const float *rx = (const float *)bn_tensor_data(r);
    bn_dtype qd[] = {BN_DTYPE_QINT8, BN_DTYPE_QINT4, BN_DTYPE_TERNARY, BN_DTYPE_BINARY};
    for (int k = 0; k < 4; k++) {
        int64_t group = 32;
        CHECK_OK(bn_tensor_cast_quantized(r, qd[k], group, &q));
        if (!q) continue;
        CHECK(bn_tensor_group_size(q) == 32);
        const float *sc = bn_tensor_scales(q);
        int bad = 0;
        for (int64_t g = 0; g < 12; g++) {
            double mx = 0, mean = 0;
            for (int j = 0; j < 32; j++) {
                double a = fabs(rx[g * 32 + j]);
                mx = a > mx ? a : mx;
                mean += a / 32;
            }
            double want = qd[k] == BN_DTYPE_QINT8 ? mx / 127 : qd[k] == BN_DTYPE_QINT4 ? mx / 7 : mean;
            if (fabs(sc[g] - want) > 1e-5 * want) bad++;
            for (int j = 0; j < 32; j++) {
                int64_t idx[2] = {(g * 32 + j) / 64, (g * 32 + j) % 64};
                double got;
                bn_tensor_get(q, idx, &got);
                double xv = rx[g * 32 + j], s = sc[g];
                double code = qd[k] == BN_DTYPE_BINARY ? (xv >= 0 ? 1 : -1) : rint(xv / s);
                if (qd[k] == BN_DTYPE_TERNARY) code = code > 1 ? 1 : code < -1 ? -1 : code;
                if (qd[k] == BN_DTYPE_QINT4) code = code > 7 ? 7 : code < -8 ? -8 : code;
                if (fabs(got - code * s) > 1e-6 * fabs(code * s) + 1e-12) {
                    if (bad < 3) fprintf(stderr, "%s: x %.9g scale %.9g code %g got %.9g\n", bn_dtype_name(qd[k]),
                                         xv, s, code, got);
                    bad++;
                }
                if (qd[k] == BN_DTYPE_QINT8 && fabs(got - xv) > s / 2 + 1e-6) bad++;
            }
        }
        CHECK(bad == 0);
        /* dequantize matches get; clone keeps the bytes */
        bn_tensor *c = NULL, *d = NULL;
        CHECK_OK(bn_tensor_clone(q, &c));
        CHECK(c && memcmp(bn_tensor_data(c), bn_tensor_data(q), bn_tensor_nbytes(q)) == 0 &&
              memcmp(bn_tensor_scales(c), sc, 12 * sizeof(float)) == 0);
        CHECK_OK(bn_tensor_cast(q, BN_DTYPE_F64, &d));
        if (d) {
            int64_t idx[2] = {5, 63};
            double a, b2;
            bn_tensor_get(q, idx, &a);
            bn_tensor_get(d, idx, &b2);
            CHECK(a == b2);
        }
        /* packed views: rows of whole groups */
        bn_tensor *rows = NULL, *cr = NULL;
        CHECK_OK(bn_tensor_slice(q, 0, 2, 4, 1, &rows));
        if (rows) {
            CHECK(bn_tensor_scales(rows) == sc + 4);
            CHECK_OK(bn_tensor_cast(rows, BN_DTYPE_F32, &cr));
            int64_t ia[2] = {1, 7}, ib[2] = {3, 7};
            double a, b2;
            bn_tensor_get(cr, ia, &a);
            bn_tensor_get(q, ib, &b2);
            CHECK(a == b2);
        }
        CHECK_ERR(bn_tensor_transpose(q, 0, 1, &cr), BN_ERR_NOT_SUPPORTED, "packed layout");
        bn_tensor_free(cr);
        bn_tensor_free(rows);
        bn_tensor_free(c);
        bn_tensor_free(d);
        bn_tensor_free(q);
        q = NULL;
    }
    CHECK_ERR(bn_tensor_cast_quantized(r, BN_DTYPE_QINT8, 7, &q), BN_ERR_SHAPE, "group size 7");
    CHECK_ERR(bn_tensor_cast_quantized(r, BN_DTYPE_INT4, 32, &q), BN_ERR_DTYPE, "int4");
    CHECK(q == NULL);
    bn_tensor_free(r);
}

/* ---- all pairs ------------------------------------------------------- */

static double expect_cast(double v, bn_dtype d) {
    const bn_dtype_info *in = bn_dtype_get_info(d);
    if (in->kind == BN_KIND_FLOAT) return v;
    if (in->kind == BN_KIND_BOOL) return v != 0;
    double t = trunc(v);
    if (in->kind == BN_KIND_UNSIGNED && t < 0) return 0;
    return t == 0 ? 0 : t;
}

static void test_all_pairs(bn_ctx *ctx, int64_t rows, int64_t cols) {
    int bad = 0;
    int64_t shape[2] = {rows, cols};
    for (int s = 0; s <= BN_DTYPE_BOOL; s++) {
        for (int d = 0; d <= BN_DTYPE_BOOL; d++) {
            bn_tensor *a = NULL, *at = NULL, *o = NULL;
            if (bn_tensor_empty(ctx, (bn_dtype)s, 2, shape, &a) != BN_OK) {
                bad++;
                continue;
            }
            const bn_dtype_info *si = bn_dtype_get_info((bn_dtype)s);
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < cols; j++) {
                    int64_t idx[2] = {i, j};
                    double v = (double)((i * 7 + j * 3) % 25) * 0.25 - 3.0; /* -3 .. 3 step 0.25 */
                    if (si->kind == BN_KIND_SIGNED) v = trunc(v);
                    if (si->kind == BN_KIND_UNSIGNED) v = fabs(trunc(v));
                    if (si->kind == BN_KIND_BOOL) v = v > 0;
                    bn_tensor_set(a, idx, v);
                }
            /* contiguous and transposed (strided) sources */
            for (int pass = 0; pass < 2; pass++) {
                const bn_tensor *src = a;
                if (pass == 1) {
                    if (bn_tensor_transpose(a, 0, 1, &at) != BN_OK) { bad++; break; }
                    src = at;
                }
                if (bn_tensor_cast(src, (bn_dtype)d, &o) != BN_OK) {
                    bad++;
                    continue;
                }
                for (int64_t k = 0; k < rows * cols; k += 1 + (rows * cols) / 997) {
                    int64_t idx[2] = {k / bn_tensor_dim(src, 1), k % bn_tensor_dim(src, 1)};
                    double v, w;
                    bn_tensor_get(src, idx, &v);
                    bn_tensor_get(o, idx, &w);
                    if (w != expect_cast(v, (bn_dtype)d)) bad++;
                }
                bn_tensor_free(o);
                o = NULL;
            }
            bn_tensor_free(at);
            bn_tensor_free(a);
        }
    }
    CHECK(bad == 0);
}

/* ---- copies: broadcast, overlap, errors ------------------------------ */

static void test_copy(void) {
    bn_tensor *a = NULL, *x = NULL, *y = NULL, *b = NULL;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 10, 1, &a));
    CHECK_OK(bn_tensor_slice(a, 0, 2, 10, 1, &x));
    CHECK_OK(bn_tensor_slice(a, 0, 0, 8, 1, &y));
    CHECK_OK(bn_tensor_copy(x, y)); /* overlapping shift right */
    const float *ad = (const float *)bn_tensor_data(a);
    float w1[] = {0, 1, 0, 1, 2, 3, 4, 5, 6, 7};
    CHECK(memcmp(ad, w1, sizeof w1) == 0);
    bn_tensor_free(x);
    bn_tensor_free(y);
    CHECK_OK(bn_tensor_slice(a, 0, INT64_MAX, INT64_MIN, -1, &x)); /* reversed view */
    CHECK_OK(bn_tensor_copy(a, x));
    float w2[] = {7, 6, 5, 4, 3, 2, 1, 0, 1, 0};
    CHECK(memcmp(ad, w2, sizeof w2) == 0);
    bn_tensor_free(x);
    x = NULL;

    /* broadcast [3] into [2,3], with a cast */
    int64_t s23[2] = {2, 3}, s3 = 3, s4 = 4;
    int32_t row[3] = {5, -6, 7};
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_I32, 1, &s3, row, sizeof row, &y));
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F64, 2, s23, &b));
    CHECK_OK(bn_tensor_copy(b, y));
    const double *bd = (const double *)bn_tensor_data(b);
    CHECK(bd[0] == 5 && bd[1] == -6 && bd[2] == 7 && bd[3] == 5 && bd[5] == 7);
    bn_tensor_free(y);
    /* not broadcastable: error names both shapes, dst unchanged */
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 1, &s4, &y));
    CHECK_ERR(bn_tensor_copy(b, y), BN_ERR_SHAPE, "[4]");
    CHECK(strstr(bn_last_error(), "[2,3]") != NULL);
    CHECK(bd[0] == 5 && bd[4] == -6);
    /* writing to an expanded view is refused */
    bn_tensor *e = NULL;
    int64_t s43[2] = {4, 3};
    CHECK_OK(bn_tensor_expand(y, 2, (int64_t[]){3, 4}, &e));
    CHECK_ERR(bn_tensor_copy(e, b), BN_ERR_SHAPE, "bn_tensor_copy");
    bn_tensor_free(e);
    e = NULL;
    bn_tensor *c1 = NULL;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 1, &s3, &c1));
    CHECK_OK(bn_tensor_expand(c1, 2, s43, &e));
    CHECK_ERR(bn_tensor_copy(e, e), BN_ERR_INVALID_ARGUMENT, "share memory");
    CHECK_ERR(bn_tensor_copy(NULL, b), BN_ERR_INVALID_ARGUMENT, "dst is NULL");
    CHECK_ERR(bn_tensor_cast(b, (bn_dtype)99, &x), BN_ERR_INVALID_ARGUMENT, "dtype");
    CHECK(x == NULL);
    bn_tensor_free(e);
    bn_tensor_free(c1);
    bn_tensor_free(y);
    bn_tensor_free(b);
    bn_tensor_free(a);

    /* big strided copies run across threads: same result as one thread */
    int64_t big[3] = {64, 48, 40};
    bn_tensor *r = NULL, *p = NULL, *c = NULL, *h = NULL;
    CHECK_OK(bn_tensor_rand(g_ctx2, BN_DTYPE_F32, 3, big, -1, 1, &r));
    CHECK_OK(bn_tensor_permute(r, (int[]){2, 0, 1}, &p));
    CHECK_OK(bn_tensor_contiguous(p, &c));
    CHECK_OK(bn_tensor_cast(p, BN_DTYPE_F16, &h));
    int bad = 0;
    for (int k = 0; k < 2000; k++) {
        int64_t idx[3] = {(int64_t)(rnd() % 40), (int64_t)(rnd() % 64), (int64_t)(rnd() % 48)};
        int64_t ri[3] = {idx[1], idx[2], idx[0]};
        double v1, v2, v3;
        bn_tensor_get(r, ri, &v1);
        bn_tensor_get(c, idx, &v2);
        bn_tensor_get(h, idx, &v3);
        if (v1 != v2 || bn_f16_to_f32(bn_f32_to_f16((float)v1)) != (float)v3) {
            if (bad < 3) fprintf(stderr, "permute copy [%lld,%lld,%lld]: %g %g %g\n", (long long)idx[0],
                                 (long long)idx[1], (long long)idx[2], v1, v2, v3);
            bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(bn_tensor_is_contiguous(c) && !bn_tensor_shares_storage(c, r));
    /* tiled walk with a negative stride: flip(transpose(x)) into contiguous f64 */
    bn_tensor *x2 = NULL, *xt = NULL, *xf = NULL, *xc = NULL;
    int64_t s2[2] = {70, 90};
    CHECK_OK(bn_tensor_rand(g_ctx, BN_DTYPE_F32, 2, s2, -1, 1, &x2));
    CHECK_OK(bn_tensor_transpose(x2, 0, 1, &xt));
    CHECK_OK(bn_tensor_slice(xt, 1, INT64_MAX, INT64_MIN, -1, &xf));
    CHECK_OK(bn_tensor_cast(xf, BN_DTYPE_F64, &xc));
    for (int64_t i = 0; xc && i < 90; i++)
        for (int64_t j = 0; j < 70; j++) {
            int64_t ic[2] = {i, j}, ix[2] = {69 - j, i};
            double v1, v2;
            bn_tensor_get(xc, ic, &v1);
            bn_tensor_get(x2, ix, &v2);
            if (v1 != v2) bad++;
        }
    CHECK(bad == 0);
    bn_tensor_free(xc);
    bn_tensor_free(xf);
    bn_tensor_free(xt);
    bn_tensor_free(x2);
    bn_tensor_free(h);
    bn_tensor_free(c);
    bn_tensor_free(p);
    bn_tensor_free(r);
}

/* ---- SIMD kernels against the scalar ones ---------------------------- */

/* Every f16 and bf16 pattern through each ISA table's kernels, both ways,
 * against the scalar table: the widening kernels on all 65,536 patterns;
 * the narrowing kernels on every f32 that is a half (resp. bf16) value, its
 * neighbours, and the rounding boundaries around every pattern (midpoints
 * between adjacent halves and one f32 ulp either side; bf16 low halves
 * 0x7FFF, 0x8000, 0x8001, 0xFFFF), NaN payloads included. Each array runs
 * at two offsets so every element goes once through the vector body and
 * the tail sits at different positions. */
static void test_kernels_exhaustive(const bni_cpu_kernels *ref) {
    enum { NH = 65536, PER = 8, NF = NH * PER + 16 };
    uint16_t *hin = malloc(NH * sizeof *hin), *ho = malloc(NF * sizeof *ho), *hr = malloc(NF * sizeof *hr);
    float *fo = malloc(NF * sizeof *fo), *fr = malloc(NF * sizeof *fr);
    uint32_t *f16in = malloc(NF * sizeof *f16in), *bfin = malloc(NF * sizeof *bfin);
    for (uint32_t h = 0; h < NH; h++) hin[h] = (uint16_t)h;
    size_t nf = 0, nb = 0;
    for (uint32_t h = 0; h < NH; h++) {
        uint32_t b = fbits(bn_f16_to_f32((uint16_t)h));
        f16in[nf++] = b;
        f16in[nf++] = b + 1;
        f16in[nf++] = b - 1;
        uint32_t e = (h >> 10) & 31;
        if (e != 31 && (h & 0x7FFF) != 0x7BFF) { /* midpoint to the next half of the same sign */
            uint32_t m = fbits((bn_f16_to_f32((uint16_t)h) + bn_f16_to_f32((uint16_t)(h + 1))) * 0.5f);
            f16in[nf++] = m;
            f16in[nf++] = m + 1;
            f16in[nf++] = m - 1;
        }
        uint32_t x = h << 16;
        bfin[nb++] = x;
        bfin[nb++] = x | 0x7FFF;
        bfin[nb++] = x | 0x8000;
        bfin[nb++] = x | 0x8001;
        bfin[nb++] = x | 0xFFFF;
    }
    const uint32_t extra[] = {0x477FF000u, 0x477FEFFFu, 0x477FF001u, 0xC77FF000u, 0x33000000u, 0x33000001u,
                              0x32FFFFFFu, 0x387FF000u, 0x387FEFFFu, 0x00000001u, 0x80400000u, 0x7F800001u};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) f16in[nf++] = extra[i];
    int tested = 0;
    for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
        const bni_cpu_kernels *k = bni_cpu_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        tested++;
        int bad = 0;
        for (size_t off = 0; off <= 3; off += 3) {
            k->f16_to_f32(hin + off, fo, NH - off);
            ref->f16_to_f32(hin + off, fr, NH - off);
            if (memcmp(fo, fr, (NH - off) * sizeof *fo)) bad++;
            k->bf16_to_f32(hin + off, fo, NH - off);
            ref->bf16_to_f32(hin + off, fr, NH - off);
            if (memcmp(fo, fr, (NH - off) * sizeof *fo)) bad++;
            k->f32_to_f16((const float *)(const void *)(f16in + off), ho, nf - off);
            ref->f32_to_f16((const float *)(const void *)(f16in + off), hr, nf - off);
            if (memcmp(ho, hr, (nf - off) * sizeof *ho)) bad++;
            k->f32_to_bf16((const float *)(const void *)(bfin + off), ho, nb - off);
            ref->f32_to_bf16((const float *)(const void *)(bfin + off), hr, nb - off);
            if (memcmp(ho, hr, (nb - off) * sizeof *ho)) bad++;
        }
        if (bad) fprintf(stderr, "exhaustive f16/bf16 check for %s (%s, %s, %s, %s): %d mismatches\n",
                         bn_isa_name((bn_isa)isa), k->f32_to_f16_isa, k->f16_to_f32_isa, k->f32_to_bf16_isa,
                         k->bf16_to_f32_isa, bad);
        CHECK(bad == 0);
    }
    CHECK(tested >= 1);
    /* the scalar table itself against the independent f16 reference on the same inputs */
    ref->f32_to_f16((const float *)(const void *)f16in, hr, nf);
    int bad_ref = 0;
    for (size_t i = 0; i < nf; i++) {
        float x = bitsf(f16in[i]);
        if (!isnan(x) && hr[i] != f16_from_ref(x)) bad_ref++;
    }
    CHECK(bad_ref == 0);
    free(hin);
    free(ho);
    free(hr);
    free(fo);
    free(fr);
    free(f16in);
    free(bfin);
}

static void test_kernels(void) {
    const bni_cpu_kernels *cur = bni_cpu_kernels_get();
    CHECK(cur != NULL && cur->f32_to_f16 != NULL);
    const char *desc = bn_cpu_kernels_describe();
    CHECK(strstr(desc, "f32_to_f16") != NULL && strstr(desc, "bf16_to_f32") != NULL);
    printf("kernels (BITNET_ISA=%s):\n%s", getenv("BITNET_ISA") ? getenv("BITNET_ISA") : "", desc);
    const bni_cpu_kernels *ref = bni_cpu_kernels_for_isa(BN_ISA_SCALAR);
    CHECK(ref != NULL);
    enum { BIG = 100003 };
    float *f = malloc((BIG + 16) * sizeof *f), *fo = malloc((BIG + 16) * sizeof *fo),
          *fr = malloc((BIG + 16) * sizeof *fr);
    uint16_t *h = malloc((BIG + 16) * sizeof *h), *ho = malloc((BIG + 16) * sizeof *ho),
             *hr = malloc((BIG + 16) * sizeof *hr);
    for (size_t i = 0; i < BIG + 16; i++) {
        uint32_t b = (uint32_t)rnd();
        switch (i % 5) {
        case 0: b &= 0x807FFFFFu; break;                      /* subnormals */
        case 1: b = (b & 0x8FFFFFFFu) | 0x30000000u; break;   /* f16 range */
        case 2: b = (b & 0x80FFFFFFu) | 0x7F000000u; break;   /* huge, inf, NaN */
        default: break;
        }
        f[i] = bitsf(b);
        h[i] = (uint16_t)rnd();
    }
    int tested = 0;
    for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
        const bni_cpu_kernels *k = bni_cpu_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        tested++;
        int bad = 0;
        for (size_t n = 0; n <= 101; n++) {
            size_t lens[1] = {n == 101 ? (size_t)BIG : n};
            size_t len = lens[0];
            for (size_t off = 0; off < 4; off++) {
                memset(ho, 0xAB, (BIG + 16) * 2);
                memset(hr, 0xAB, (BIG + 16) * 2);
                k->f32_to_f16(f + off, ho + off, len);
                ref->f32_to_f16(f + off, hr + off, len);
                if (memcmp(ho, hr, (BIG + 16) * 2)) bad++;
                memset(ho, 0xAB, (BIG + 16) * 2);
                memset(hr, 0xAB, (BIG + 16) * 2);
                k->f32_to_bf16(f + off, ho + off, len);
                ref->f32_to_bf16(f + off, hr + off, len);
                if (memcmp(ho, hr, (BIG + 16) * 2)) bad++;
                memset(fo, 0xAB, (BIG + 16) * 4);
                memset(fr, 0xAB, (BIG + 16) * 4);
                k->f16_to_f32(h + off, fo + off, len);
                ref->f16_to_f32(h + off, fr + off, len);
                if (memcmp(fo, fr, (BIG + 16) * 4)) bad++;
                memset(fo, 0xAB, (BIG + 16) * 4);
                memset(fr, 0xAB, (BIG + 16) * 4);
                k->bf16_to_f32(h + off, fo + off, len);
                ref->bf16_to_f32(h + off, fr + off, len);
                if (memcmp(fo, fr, (BIG + 16) * 4)) bad++;
                if (len == BIG) break;
            }
        }
        if (bad) fprintf(stderr, "kernels for %s (%s/%s) differ from scalar: %d\n", bn_isa_name((bn_isa)isa),
                         k->f32_to_f16_isa, k->f32_to_bf16_isa, bad);
        CHECK(bad == 0);
    }
    CHECK(tested >= 1);
    test_kernels_exhaustive(ref);
    /* the table in use runs only what the CPU has, at the level bn_cpu_isa() allows */
    CHECK(bn_cpu_supports_isa(cur->isa) && cur->isa <= bn_cpu_isa());
    free(f);
    free(fo);
    free(fr);
    free(h);
    free(ho);
    free(hr);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx2) != BN_OK) return 1;
    test_f16_all_patterns();
    test_f16_rounding();
    test_bf16_rounding();
    test_float_to_int();
    test_int_to_int();
    test_bool();
    test_quantized();
    test_all_pairs(g_ctx, 5, 7);
    test_all_pairs(g_ctx2, 300, 257);
    test_copy();
    test_kernels();
    bn_ctx_free(g_ctx2);
    bn_ctx_free(g_ctx);
    return bt_summary("test_cast");
}
