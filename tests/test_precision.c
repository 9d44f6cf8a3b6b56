/* Mixed precision, the conversion engine: every bf16 pattern through f32
 * and back (engine paths and every ISA kernel), f16 patterns through the
 * in-place and streaming paths, int8/int4/ternary/binary quantize-dequantize
 * against hand-computed values, in-place, streaming and batched conversions
 * equal to the plain one, zero-copy views, and the report. */
#include <stdint.h>
#include <stdlib.h>

#include "cpu/kernels.h"
#include "precision/pq_kernels.h"
#include "test_util.h"

static bn_ctx *g_ctx;

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static float rndf(void) { return (float)((double)(rnd() >> 11) / 9007199254740992.0 * 4.0 - 2.0); }

static uint32_t fbits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static bn_tensor *rand_f32(int ndim, const int64_t *shape) {
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F32, ndim, shape, &t));
    float *d = (float *)bn_tensor_data(t);
    int64_t n = bn_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) d[i] = rndf() * (i % 97 == 0 ? 8.0f : 1.0f);
    return t;
}

/* Same dtype, shape, bytes and scales. */
static int same_tensor(const bn_tensor *a, const bn_tensor *b) {
    if (bn_tensor_dtype(a) != bn_tensor_dtype(b) || bn_tensor_numel(a) != bn_tensor_numel(b)) return 0;
    if (bn_tensor_ndim(a) != bn_tensor_ndim(b)) return 0;
    for (int i = 0; i < bn_tensor_ndim(a); i++)
        if (bn_tensor_shape(a)[i] != bn_tensor_shape(b)[i]) return 0;
    size_t nb = bn_tensor_nbytes(a);
    if (nb != bn_tensor_nbytes(b) || memcmp(bn_tensor_data(a), bn_tensor_data(b), nb) != 0) return 0;
    const float *sa = bn_tensor_scales(a), *sb = bn_tensor_scales(b);
    if ((sa == NULL) != (sb == NULL)) return 0;
    if (sa) {
        int64_t ga = bn_tensor_group_size(a), gb = bn_tensor_group_size(b);
        if (ga != gb) return 0;
        int64_t ns = ga ? bn_tensor_numel(a) / ga : 1;
        if (ns == 0) ns = 1;
        if (memcmp(sa, sb, (size_t)ns * 4) != 0) return 0;
    }
    return 1;
}

static bn_precision_spec sp(bn_dtype d, bn_precision_granularity g, int64_t b) {
    bn_precision_spec s = {d, g, b};
    return s;
}

/* ---- bf16 and f16 bit patterns ---------------------------------------------- */

static void test_bf16_all_patterns(void) {
    int64_t n = 65536;
    uint16_t *bits = malloc(65536 * 2);
    for (int i = 0; i < 65536; i++) bits[i] = (uint16_t)i;
    bn_tensor *b = NULL, *f = NULL, *back = NULL, *fs = NULL, *backs = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_BF16, 1, &n, bits, 65536 * 2, &b));
    bn_precision_spec f32 = bn_precision_spec_of(BN_DTYPE_F32), bf = bn_precision_spec_of(BN_DTYPE_BF16);
    CHECK_OK(bn_precision_convert(b, &f32, &f, NULL));
    CHECK_OK(bn_precision_convert(f, &bf, &back, NULL));
    CHECK_OK(bn_precision_convert_stream(b, &f32, 4096, &fs));
    CHECK_OK(bn_precision_convert_stream(fs, &bf, 4096, &backs));
    const float *fv = bn_tensor_data(f);
    const uint16_t *bv = bn_tensor_data(back), *bsv = bn_tensor_data(backs);
    int bad_exact = 0, bad_round = 0, bad_stream = 0;
    for (int i = 0; i < 65536; i++) {
        /* bf16 -> f32 is exact: the top half of the f32 */
        int is_nan = ((i >> 7) & 0xFF) == 0xFF && (i & 0x7F);
        uint32_t want = (uint32_t)i << 16;
        if (is_nan) want |= 0x00400000u; /* quieted */
        if (fbits(fv[i]) != want && !(is_nan && isnan(fv[i]))) bad_exact++;
        /* and back: the same pattern (NaN quieted, sign kept) */
        uint16_t w = is_nan ? (uint16_t)(i | 0x40) : (uint16_t)i;
        if (bv[i] != w && !(is_nan && (bv[i] & 0x7F80) == 0x7F80 && (bv[i] & 0x7F) && (bv[i] >> 15) == (i >> 15)))
            bad_round++;
        if (bsv[i] != bv[i]) bad_stream++;
    }
    CHECK(bad_exact == 0);
    CHECK(bad_round == 0);
    CHECK(bad_stream == 0);
    CHECK(memcmp(bn_tensor_data(fs), fv, 65536 * 4) == 0);
    /* in place: f32 -> bf16 in the first half of the same buffer */
    bn_tensor *ip = NULL;
    CHECK_OK(bn_tensor_clone(f, &ip));
    void *p0 = bn_tensor_data(ip);
    CHECK_OK(bn_precision_convert_inplace(ip, &bf));
    CHECK(bn_tensor_data(ip) == p0 && bn_tensor_dtype(ip) == BN_DTYPE_BF16);
    CHECK(memcmp(bn_tensor_data(ip), bv, 65536 * 2) == 0);
    /* raw array API == the scalar conversions */
    float *raw = malloc(65536 * 4);
    uint16_t *raw2 = malloc(65536 * 2);
    bn_precision_bf16_to_f32(bits, raw, 65536);
    bn_precision_f32_to_bf16(raw, raw2, 65536);
    int bad_raw = 0;
    for (int i = 0; i < 65536; i++) {
        if (fbits(raw[i]) != fbits(bn_bf16_to_f32(bits[i])) && !isnan(raw[i])) bad_raw++;
        if (raw2[i] != bn_f32_to_bf16(raw[i])) bad_raw++;
    }
    CHECK(bad_raw == 0);
    /* every ISA table: bf16 -> f32 of every pattern and f32 -> bf16 of random and edge f32 */
    const bni_cpu_kernels *ref = bni_cpu_kernels_for_isa(BN_ISA_SCALAR);
    float *rf = malloc(65536 * 4), *kf = malloc(65536 * 4), *src = malloc(65536 * 4);
    uint16_t *rb = malloc(65536 * 2), *kb = malloc(65536 * 2);
    for (int i = 0; i < 65536; i++) {
        uint32_t u = (uint32_t)rnd();
        if (i % 4 == 0) u = ((uint32_t)i << 16) | 0x8000u; /* exact ties */
        if (i % 4 == 1) u = ((uint32_t)i << 16) | 0x7FFFu;
        memcpy(&src[i], &u, 4);
    }
    ref->bf16_to_f32(bits, rf, 65536);
    ref->f32_to_bf16(src, rb, 65536);
    for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
        const bni_cpu_kernels *k = bni_cpu_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        k->bf16_to_f32(bits, kf, 65536);
        k->f32_to_bf16(src, kb, 65536);
        int bad = 0;
        for (int i = 0; i < 65536; i++) {
            if (fbits(kf[i]) != fbits(rf[i]) && !(isnan(kf[i]) && isnan(rf[i]))) bad++;
            if (kb[i] != rb[i]) bad++;
        }
        if (bad) printf("ISA %s: %d bf16 mismatches\n", bn_isa_name((bn_isa)isa), bad);
        CHECK(bad == 0);
    }
    free(rf), free(kf), free(src), free(rb), free(kb), free(raw), free(raw2), free(bits);
    bn_tensor_free(b), bn_tensor_free(f), bn_tensor_free(back), bn_tensor_free(fs), bn_tensor_free(backs);
    bn_tensor_free(ip);
}

/* f16 through the engine's own paths (test_cast covers the cast itself). */
static void test_f16_engine_paths(void) {
    int64_t n = 65536;
    uint16_t *bits = malloc(65536 * 2);
    for (int i = 0; i < 65536; i++) bits[i] = (uint16_t)i;
    bn_tensor *h = NULL, *f = NULL, *fs = NULL, *back = NULL, *ip = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F16, 1, &n, bits, 65536 * 2, &h));
    bn_precision_spec f32 = bn_precision_spec_of(BN_DTYPE_F32), hf = bn_precision_spec_of(BN_DTYPE_F16);
    CHECK_OK(bn_precision_convert(h, &f32, &f, NULL));
    CHECK_OK(bn_precision_convert_stream(h, &f32, 5000, &fs));
    CHECK(same_tensor(f, fs));
    CHECK_OK(bn_precision_convert_stream(f, &hf, 5000, &back));
    CHECK_OK(bn_tensor_clone(f, &ip));
    CHECK_OK(bn_precision_convert_inplace(ip, &hf));
    CHECK(same_tensor(back, ip));
    const uint16_t *bv = bn_tensor_data(back);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        int is_nan = ((i >> 10) & 31) == 31 && (i & 1023);
        if (is_nan ? !((bv[i] & 0x7C00) == 0x7C00 && (bv[i] & 1023)) : bv[i] != i) bad++;
    }
    CHECK(bad == 0);
    /* f16 <-> bf16 in place (same size) equals the plain conversion */
    bn_tensor *hb = NULL, *hb_ip = NULL;
    bn_precision_spec bf = bn_precision_spec_of(BN_DTYPE_BF16);
    CHECK_OK(bn_precision_convert(h, &bf, &hb, NULL));
    CHECK_OK(bn_tensor_clone(h, &hb_ip));
    CHECK_OK(bn_precision_convert_inplace(hb_ip, &bf));
    CHECK(same_tensor(hb, hb_ip));
    free(bits);
    bn_tensor_free(h), bn_tensor_free(f), bn_tensor_free(fs), bn_tensor_free(back), bn_tensor_free(ip);
    bn_tensor_free(hb), bn_tensor_free(hb_ip);
}

/* ---- hand-computed quantization ---------------------------------------------- */

static bn_tensor *from_f32(int ndim, const int64_t *shape, const float *v, size_t n) {
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, ndim, shape, v, n * 4, &t));
    return t;
}

static void check_codes(const bn_tensor *q, const float *want_deq, int64_t n, const char *what) {
    bn_tensor *d = NULL;
    CHECK_OK(bn_tensor_cast(q, BN_DTYPE_F32, &d));
    const float *dv = bn_tensor_data(d);
    for (int64_t i = 0; i < n; i++)
        if (fabsf(dv[i] - want_deq[i]) > 1e-6f * (1.0f + fabsf(want_deq[i]))) {
            printf("%s: element %lld is %.9g, want %.9g\n", what, (long long)i, dv[i], want_deq[i]);
            CHECK(0);
        }
    bn_tensor_free(d);
}

static void test_hand_values(void) {
    /* qint8 per tensor: absmax 127 -> scale 1; ties to even */
    {
        float x[6] = {127.0f, -3.5f, 2.5f, 0.4f, -0.5f, 1.5f};
        int64_t n = 6;
        bn_tensor *t = from_f32(1, &n, x, 6), *q = NULL;
        bn_precision_spec s = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_TENSOR, 0);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        const int8_t *c = bn_tensor_data(q);
        CHECK(c[0] == 127 && c[1] == -4 && c[2] == 2 && c[3] == 0 && c[4] == 0 && c[5] == 2);
        CHECK(bn_tensor_scales(q)[0] == 1.0f);
        float want[6] = {127, -4, 2, 0, 0, 2};
        check_codes(q, want, 6, "qint8/tensor");
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* qint8 per row: row 0 scale 1, row 1 scale 2 */
    {
        float x[8] = {127.0f, 63.5f, 1.5f, -0.5f, 254.0f, 1.0f, 3.0f, -254.0f};
        int64_t sh[2] = {2, 4};
        bn_tensor *t = from_f32(2, sh, x, 8), *q = NULL;
        bn_precision_spec s = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        const int8_t *c = bn_tensor_data(q);
        CHECK(c[0] == 127 && c[1] == 64 && c[2] == 2 && c[3] == 0);
        CHECK(c[4] == 127 && c[5] == 0 && c[6] == 2 && c[7] == -127);
        CHECK(bn_tensor_scales(q)[0] == 1.0f && bn_tensor_scales(q)[1] == 2.0f);
        float want[8] = {127, 64, 2, 0, 254, 0, 4, -254};
        check_codes(q, want, 8, "qint8/row");
        /* per block of 2: [127, 63.5] scale 1; [1.5, -0.5] scale 1.5/127, -0.5 -> -42 */
        bn_tensor *qb = NULL;
        bn_precision_spec sb = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 2);
        CHECK_OK(bn_precision_convert(t, &sb, &qb, NULL));
        const int8_t *cb = bn_tensor_data(qb);
        CHECK(cb[0] == 127 && cb[1] == 64 && cb[2] == 127 && cb[3] == -42);
        CHECK(bn_tensor_scales(qb)[1] == 1.5f / 127.0f);
        CHECK(bn_tensor_group_size(qb) == 2);
        bn_tensor_free(t), bn_tensor_free(q), bn_tensor_free(qb);
    }
    /* qint4: absmax 14 -> scale 2; 5/2 = 2.5 -> 2, -3/2 = -1.5 -> -2 */
    {
        float x[4] = {14.0f, 5.0f, -3.0f, 1.0f};
        int64_t n = 4;
        bn_tensor *t = from_f32(1, &n, x, 4), *q = NULL;
        bn_precision_spec s = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_TENSOR, 0);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        const uint8_t *c = bn_tensor_data(q);
        CHECK(c[0] == (uint8_t)(0x7 | (0x2 << 4))); /* 7, 2 */
        CHECK(c[1] == (uint8_t)(0xE | (0x0 << 4))); /* -2, 0 */
        CHECK(bn_tensor_scales(q)[0] == 2.0f);
        float want[4] = {14, 4, -4, 0};
        check_codes(q, want, 4, "qint4");
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* int4 without scale: truncation and saturation */
    {
        float x[4] = {1.9f, -1.9f, 300.0f, -9.0f};
        int64_t n = 4;
        bn_tensor *t = from_f32(1, &n, x, 4), *q = NULL;
        bn_precision_spec s = bn_precision_spec_of(BN_DTYPE_INT4);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        float want[4] = {1, -1, 7, -8};
        check_codes(q, want, 4, "int4");
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* i8 (no scale): truncation, saturation, NaN -> 0 */
    {
        float x[4] = {1.9f, -1.9f, 300.0f, NAN};
        int64_t n = 4;
        bn_tensor *t = from_f32(1, &n, x, 4), *q = NULL;
        bn_precision_spec s = bn_precision_spec_of(BN_DTYPE_I8);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        const int8_t *c = bn_tensor_data(q);
        CHECK(c[0] == 1 && c[1] == -1 && c[2] == 127 && c[3] == 0);
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* ternary absmean: mean|x| = 0.875 */
    {
        float x[4] = {0.9f, -0.1f, 0.5f, -2.0f};
        int64_t n = 4;
        bn_tensor *t = from_f32(1, &n, x, 4), *q = NULL;
        bn_precision_spec s = bn_precision_spec_of(BN_DTYPE_TERNARY);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        CHECK(bn_tensor_scales(q)[0] == 0.875f);
        float want[4] = {0.875f, 0.0f, 0.875f, -0.875f};
        check_codes(q, want, 4, "ternary");
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* binary: scale mean|x| = 0.5; 0 and -0 give +1 */
    {
        float x[4] = {0.5f, -1.5f, 0.0f, -0.0f};
        int64_t n = 4;
        bn_tensor *t = from_f32(1, &n, x, 4), *q = NULL;
        bn_precision_spec s = bn_precision_spec_of(BN_DTYPE_BINARY);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        float want[4] = {0.5f, -0.5f, 0.5f, 0.5f};
        check_codes(q, want, 4, "binary");
        bn_tensor_free(t), bn_tensor_free(q);
    }
    /* f16 rounding: 1 + 2^-11 is a tie -> 1.0; 65520 -> inf */
    {
        float x[3] = {1.0f + 0x1p-11f, 1.0f + 0x1.8p-11f, 65520.0f};
        int64_t n = 3;
        bn_tensor *t = from_f32(1, &n, x, 3), *q = NULL;
        bn_precision_spec s = bn_precision_spec_of(BN_DTYPE_F16);
        CHECK_OK(bn_precision_convert(t, &s, &q, NULL));
        const uint16_t *h = bn_tensor_data(q);
        CHECK(h[0] == 0x3C00 && h[1] == 0x3C01 && h[2] == 0x7C00);
        bn_tensor_free(t), bn_tensor_free(q);
    }
}

/* ---- engine paths equal the plain conversion ------------------------------------ */

static const bn_precision_spec *all_specs(int *count) {
    static bn_precision_spec s[14];
    int i = 0;
    s[i++] = sp(BN_DTYPE_F16, 0, 0);
    s[i++] = sp(BN_DTYPE_BF16, 0, 0);
    s[i++] = sp(BN_DTYPE_I8, 0, 0);
    s[i++] = sp(BN_DTYPE_INT4, 0, 0);
    s[i++] = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_TENSOR, 0);
    s[i++] = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    s[i++] = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 32);
    s[i++] = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_ROW, 0);
    s[i++] = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 64);
    s[i++] = sp(BN_DTYPE_TERNARY, BN_PRECISION_PER_TENSOR, 0);
    s[i++] = sp(BN_DTYPE_TERNARY, BN_PRECISION_PER_ROW, 0);
    s[i++] = sp(BN_DTYPE_BINARY, BN_PRECISION_PER_TENSOR, 0);
    s[i++] = sp(BN_DTYPE_BINARY, BN_PRECISION_PER_BLOCK, 32);
    s[i++] = sp(BN_DTYPE_F32, 0, 0);
    *count = i;
    return s;
}

static void test_inplace_and_stream_equal_plain(void) {
    int ns;
    const bn_precision_spec *specs = all_specs(&ns);
    int64_t shapes[3][2] = {{7, 320}, {3, 5120}, {1, 40960}};
    size_t budgets[3] = {4096, 50000, (size_t)1 << 20};
    for (int si = 0; si < 3; si++) {
        bn_tensor *x = rand_f32(2, shapes[si]);
        /* a transposed view and f64 / bf16 copies as sources too */
        bn_tensor *xt = NULL, *x64 = NULL, *xbf = NULL;
        CHECK_OK(bn_tensor_transpose(x, 0, 1, &xt));
        CHECK_OK(bn_tensor_cast(x, BN_DTYPE_F64, &x64));
        CHECK_OK(bn_tensor_cast(x, BN_DTYPE_BF16, &xbf));
        for (int k = 0; k < ns; k++) {
            char name[48];
            bn_precision_spec_format(&specs[k], name, sizeof name);
            bn_tensor *plain = NULL;
            CHECK_OK(bn_precision_convert(x, &specs[k], &plain, NULL));
            /* in place */
            bn_tensor *ip = NULL;
            CHECK_OK(bn_tensor_clone(x, &ip));
            void *p0 = bn_tensor_data(ip);
            CHECK_OK(bn_precision_convert_inplace(ip, &specs[k]));
            if (!same_tensor(plain, ip)) printf("in place %s differs (shape %d)\n", name, si);
            CHECK(same_tensor(plain, ip));
            CHECK(bn_tensor_data(ip) == p0);
            /* and after in place, reading values works as for the plain one */
            bn_tensor *d1 = NULL, *d2 = NULL;
            CHECK_OK(bn_tensor_cast(ip, BN_DTYPE_F32, &d1));
            CHECK_OK(bn_tensor_cast(plain, BN_DTYPE_F32, &d2));
            CHECK(memcmp(bn_tensor_data(d1), bn_tensor_data(d2), bn_tensor_nbytes(d1)) == 0);
            bn_tensor_free(d1), bn_tensor_free(d2), bn_tensor_free(ip);
            /* streaming under several budgets */
            for (int b = 0; b < 3; b++) {
                bn_tensor *st = NULL;
                CHECK_OK(bn_precision_convert_stream(x, &specs[k], budgets[b], &st));
                if (!same_tensor(plain, st)) printf("stream %s budget %zu differs (shape %d)\n", name, budgets[b], si);
                CHECK(same_tensor(plain, st));
                CHECK(!bn_tensor_shares_storage(st, x));
                bn_tensor_free(st);
            }
            /* a budget larger than the tensor allocates only what it needs */
            bn_tensor *big = NULL;
            CHECK_OK(bn_precision_convert_stream(x, &specs[k], SIZE_MAX, &big));
            CHECK(same_tensor(plain, big));
            bn_tensor_free(big);
            /* strided and other-dtype sources */
            const bn_tensor *srcs[3] = {xt, x64, xbf};
            for (int v = 0; v < 3; v++) {
                bn_tensor *a = NULL, *b = NULL;
                if (specs[k].granularity == BN_PRECISION_PER_ROW && v == 0) {
                    /* rows of the transpose: fine as long as the row divides */
                }
                bn_status s1 = bn_precision_convert(srcs[v], &specs[k], &a, NULL);
                bn_status s2 = bn_precision_convert_stream(srcs[v], &specs[k], 4096, &b);
                CHECK(s1 == s2);
                if (s1 == BN_OK && s2 == BN_OK) {
                    if (!same_tensor(a, b)) printf("stream %s source %d differs (shape %d)\n", name, v, si);
                    CHECK(same_tensor(a, b));
                }
                bn_tensor_free(a), bn_tensor_free(b);
            }
            bn_tensor_free(plain);
        }
        bn_tensor_free(x), bn_tensor_free(xt), bn_tensor_free(x64), bn_tensor_free(xbf);
    }
}

static void test_inplace_refusals(void) {
    int64_t sh[2] = {4, 8};
    bn_tensor *x = rand_f32(2, sh), *v = NULL, *h = NULL;
    bn_precision_spec f16 = bn_precision_spec_of(BN_DTYPE_F16), f32 = bn_precision_spec_of(BN_DTYPE_F32);
    /* another handle shares the storage */
    CHECK_OK(bn_tensor_reshape(x, 1, (int64_t[]){32}, &v));
    CHECK_ERR(bn_precision_convert_inplace(x, &f16), BN_ERR_NOT_SUPPORTED, "handles share the storage");
    CHECK(bn_tensor_dtype(x) == BN_DTYPE_F32);
    bn_tensor_free(v);
    /* a larger target */
    CHECK_OK(bn_tensor_cast(x, BN_DTYPE_F16, &h));
    CHECK_ERR(bn_precision_convert_inplace(h, &f32), BN_ERR_NOT_SUPPORTED, "larger than f16");
    /* scaled target from f16 */
    bn_precision_spec q8 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    CHECK_ERR(bn_precision_convert_inplace(h, &q8), BN_ERR_NOT_SUPPORTED, "needs an f32 source");
    /* a scale per element does not fit beside the codes */
    bn_precision_spec q1 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 1);
    CHECK_ERR(bn_precision_convert_inplace(x, &q1), BN_ERR_NOT_SUPPORTED, "do not fit");
    CHECK(bn_tensor_dtype(x) == BN_DTYPE_F32);
    /* a non-contiguous view */
    bn_tensor *t = NULL, *tx = NULL;
    CHECK_OK(bn_tensor_clone(x, &tx));
    CHECK_OK(bn_tensor_transpose(tx, 0, 1, &t));
    bn_tensor_free(tx);
    CHECK_ERR(bn_precision_convert_inplace(t, &f16), BN_ERR_NOT_SUPPORTED, "contiguous");
    bn_tensor_free(t);
    /* a block that does not divide */
    bn_precision_spec b3 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 3);
    CHECK_ERR(bn_precision_convert_inplace(x, &b3), BN_ERR_SHAPE, "does not divide");
    bn_precision_spec b0 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 0);
    CHECK_ERR(bn_precision_convert_inplace(x, &b0), BN_ERR_INVALID_ARGUMENT, "must be > 0");
    bn_tensor_free(x), bn_tensor_free(h);
}

static void test_zero_copy(void) {
    int64_t sh[2] = {4, 64};
    bn_tensor *x = rand_f32(2, sh), *h = NULL, *v = NULL, *q = NULL, *qv = NULL, *qc = NULL;
    bn_precision_spec f16 = bn_precision_spec_of(BN_DTYPE_F16);
    int is_view = -1;
    CHECK_OK(bn_precision_convert(x, &f16, &h, &is_view));
    CHECK(is_view == 0 && !bn_tensor_shares_storage(x, h));
    CHECK_OK(bn_precision_convert(h, &f16, &v, &is_view));
    CHECK(is_view == 1 && bn_tensor_shares_storage(h, v) && bn_tensor_data(h) == bn_tensor_data(v));
    bn_precision_spec row = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    bn_precision_spec blk64 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 64);
    bn_precision_spec blk32 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 32);
    CHECK_OK(bn_precision_convert(x, &row, &q, NULL));
    CHECK_OK(bn_precision_convert(q, &blk64, &qv, &is_view)); /* same groups: rows of 64 */
    CHECK(is_view == 1 && bn_tensor_shares_storage(q, qv));
    CHECK_OK(bn_precision_convert(q, &blk32, &qc, &is_view)); /* other groups: requantized */
    CHECK(is_view == 0 && !bn_tensor_shares_storage(q, qc) && bn_tensor_group_size(qc) == 32);
    /* a transposed view is not contiguous: copied */
    bn_tensor *t = NULL, *tc = NULL;
    bn_precision_spec f32 = bn_precision_spec_of(BN_DTYPE_F32);
    CHECK_OK(bn_tensor_transpose(x, 0, 1, &t));
    CHECK_OK(bn_precision_convert(t, &f32, &tc, &is_view));
    CHECK(is_view == 0 && bn_tensor_is_contiguous(tc));
    bn_tensor_free(x), bn_tensor_free(h), bn_tensor_free(v), bn_tensor_free(q), bn_tensor_free(qv);
    bn_tensor_free(qc), bn_tensor_free(t), bn_tensor_free(tc);
}

static void test_batched(void) {
    enum { N = 24 };
    bn_tensor *src[N], *par[N], *seq[N];
    bn_precision_spec specs[N];
    int ns;
    const bn_precision_spec *all = all_specs(&ns);
    for (int i = 0; i < N; i++) {
        int64_t sh[2] = {1 + i % 5, 64 * (1 + i % 3)};
        src[i] = rand_f32(2, sh);
        specs[i] = all[i % ns];
        CHECK_OK(bn_precision_convert(src[i], &specs[i], &seq[i], NULL));
    }
    CHECK_OK(bn_precision_convert_batch(g_ctx, (const bn_tensor *const *)src, specs, 0, N, par));
    int bad = 0;
    for (int i = 0; i < N; i++) bad += !same_tensor(par[i], seq[i]);
    CHECK(bad == 0);
    for (int i = 0; i < N; i++) bn_tensor_free(par[i]);
    /* one spec for all */
    bn_precision_spec one = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    CHECK_OK(bn_precision_convert_batch(g_ctx, (const bn_tensor *const *)src, &one, 1, N, par));
    for (int i = 0; i < N; i++) {
        bn_tensor *s = NULL;
        CHECK_OK(bn_precision_convert(src[i], &one, &s, NULL));
        CHECK(same_tensor(s, par[i]));
        bn_tensor_free(s), bn_tensor_free(par[i]);
    }
    /* a failure names the first tensor that failed; nothing is kept */
    specs[5] = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 7);
    specs[9] = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 7);
    for (int i = 0; i < N; i++) par[i] = NULL;
    CHECK_ERR(bn_precision_convert_batch(g_ctx, (const bn_tensor *const *)src, specs, 0, N, par), BN_ERR_SHAPE,
              "tensor 5");
    for (int i = 0; i < N; i++) CHECK(par[i] == NULL);
    for (int i = 0; i < N; i++) bn_tensor_free(src[i]), bn_tensor_free(seq[i]);
}

static void test_specs(void) {
    bn_precision_spec s;
    char buf[48];
    CHECK_OK(bn_precision_spec_parse("qint4/block32", &s));
    CHECK(s.dtype == BN_DTYPE_QINT4 && s.granularity == BN_PRECISION_PER_BLOCK && s.block == 32);
    CHECK_OK(bn_precision_spec_format(&s, buf, sizeof buf));
    CHECK(strcmp(buf, "qint4/block32") == 0);
    CHECK_OK(bn_precision_spec_parse("bf16", &s));
    CHECK(s.dtype == BN_DTYPE_BF16);
    CHECK_OK(bn_precision_spec_parse("ternary/row", &s));
    CHECK(s.granularity == BN_PRECISION_PER_ROW);
    CHECK_ERR(bn_precision_spec_parse("f17", &s), BN_ERR_INVALID_ARGUMENT, "unknown dtype \"f17\"");
    CHECK_ERR(bn_precision_spec_parse("f16/row", &s), BN_ERR_INVALID_ARGUMENT, "has no scales");
    CHECK_ERR(bn_precision_spec_parse("qint8/col", &s), BN_ERR_INVALID_ARGUMENT, "granularity \"col\"");
    CHECK_ERR(bn_precision_spec_parse("qint8/block0", &s), BN_ERR_INVALID_ARGUMENT, "granularity");
    /* bytes with scales */
    int64_t sh[2] = {4, 64};
    size_t nb;
    bn_precision_spec q = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 32);
    CHECK_OK(bn_precision_bytes(&q, 2, sh, &nb));
    CHECK(nb == 128 + 8 * 4);
    bn_precision_spec t = sp(BN_DTYPE_TERNARY, BN_PRECISION_PER_TENSOR, 0);
    CHECK_OK(bn_precision_bytes(&t, 2, sh, &nb));
    CHECK(nb == 64 + 4);
    int64_t g;
    bn_precision_spec r = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    CHECK_OK(bn_precision_group_size(&r, 2, sh, &g));
    CHECK(g == 64);
    CHECK_ERR(bn_precision_group_size(&r, 0, NULL, &g), BN_ERR_SHAPE, "rank >= 1");
}

static void test_report(void) {
    int64_t sh[2] = {16, 64};
    bn_tensor *w = rand_f32(2, sh), *n = NULL, *e = NULL;
    int64_t n1 = 64;
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 1, &n1, &n));
    CHECK_OK(bn_tensor_cast(w, BN_DTYPE_BF16, &e));
    bn_precision_named_tensor nt[3] = {{"model.layers.0.mlp.down_proj.weight", w},
                                       {"model.layers.0.input_layernorm.weight", n},
                                       {"model.embed_tokens.weight", e}};
    bn_precision_policy *p = NULL;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_BALANCED, &p));
    bn_precision_spec q8 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.down_proj.*", &q8));
    bn_precision_report *r = NULL;
    CHECK_OK(bn_precision_report_new(nt, 3, p, &r));
    CHECK(bn_precision_report_count(r) == 3);
    const bn_precision_report_row *r0 = bn_precision_report_row_at(r, 0), *r1 = bn_precision_report_row_at(r, 1),
                                  *r2 = bn_precision_report_row_at(r, 2);
    CHECK(r0->kind == BN_LAYER_LINEAR && r0->spec.dtype == BN_DTYPE_QINT8 && r0->matched != NULL);
    CHECK(r0->bytes == 16 * 64 + 16 * 4 && r0->bytes_f32 == 16 * 64 * 4);
    CHECK(r0->error.cosine > 0.999 && r0->error.sqnr_db > 30 && r0->error.mse > 0);
    /* the same metric bn_quant_error gives */
    bn_tensor *qq = NULL, *dq = NULL;
    bn_quant_metrics m;
    CHECK_OK(bn_precision_convert(w, &q8, &qq, NULL));
    CHECK_OK(bn_tensor_cast(qq, BN_DTYPE_F32, &dq));
    CHECK_OK(bn_quant_error(w, dq, &m));
    CHECK(m.mse == r0->error.mse && m.max_abs_err == r0->error.max_abs_err);
    CHECK(r1->kind == BN_LAYER_NORM && r1->spec.dtype == BN_DTYPE_F32 && r1->error.mse == 0.0 &&
          r1->error.cosine == 1.0 && r1->matched == NULL);
    CHECK(r2->kind == BN_LAYER_EMBEDDING && r2->spec.dtype == BN_DTYPE_BF16 && r2->error.mse == 0.0);
    CHECK(bn_precision_report_row_at(r, 3) == NULL);
    FILE *f = tmpfile();
    CHECK_OK(bn_precision_report_print(r, f));
    rewind(f);
    char text[4096] = {0};
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    CHECK(got > 0 && strstr(text, "qint8/row") && strstr(text, "sqnr_db") && strstr(text, "total: 3 tensors"));
    bn_precision_report_free(r);
    /* a non-float tensor is refused by name */
    bn_tensor *i8 = NULL;
    CHECK_OK(bn_tensor_cast(w, BN_DTYPE_I8, &i8));
    bn_precision_named_tensor bad[1] = {{"x.weight", i8}};
    CHECK_ERR(bn_precision_report_new(bad, 1, p, &r), BN_ERR_DTYPE, "\"x.weight\" is i8");
    /* a block that does not divide is named */
    bn_precision_spec b7 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 7);
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.0.mlp.down_proj.weight", &b7));
    CHECK_ERR(bn_precision_report_new(nt, 3, p, &r), BN_ERR_SHAPE, "down_proj.weight");
    bn_precision_policy_free(p);
    bn_tensor_free(w), bn_tensor_free(n), bn_tensor_free(e), bn_tensor_free(qq), bn_tensor_free(dq);
    bn_tensor_free(i8);
}

/* Adversarial f32 values for the quantize kernels: random, ties of
 * x / scale and x * inv (k + 0.5, +-0.5, +-1.5), values next to the ties,
 * NaN (both signs, payloads), infinities, zeros of both signs, subnormals
 * and huge values. */
static void pq_fill(float *x, int n, int kind) {
    static const float special[] = {0.5f, -0.5f, 1.5f, -1.5f, 0.25f, -0.25f, 2.5f, -2.5f, 0.0f, -0.0f, 1e-45f,
                                    -1e-45f, 1.17549435e-38f, 3.4e38f, -3.4e38f, INFINITY, -INFINITY, 127.5f,
                                    -128.5f, 7.5f, -8.5f, 0.4375f, 0.875f, -0.4375f, 1e30f, -1e-30f};
    const int ns = (int)(sizeof special / sizeof special[0]);
    for (int i = 0; i < n; i++) {
        float v = rndf() * (kind == 1 ? 1.0f : 100.0f);
        switch (rnd() % 8) {
        case 0: v = special[rnd() % (uint64_t)ns]; break;
        case 1: v = (float)((int)(rnd() % 301) - 150) + 0.5f; break; /* ties of x / 1 */
        case 2: v = nextafterf(special[rnd() % 8], (rnd() & 1) ? INFINITY : -INFINITY); break;
        case 3: v = (float)((int)(rnd() % 7) - 3) * 0.25f; break; /* ties of x * 2 */
        default: break;
        }
        x[i] = v;
    }
    if (kind == 2) /* NaNs of both signs and with payloads */
        for (int i = 0; i < n; i += 7) {
            uint32_t b = 0x7FC00000u | (uint32_t)(rnd() & 0x3FFFFF) | (uint32_t)(rnd() & 1) << 31;
            if (i % 3 == 0) b = 0x7F800001u; /* signalling */
            memcpy(&x[i], &b, 4);
        }
    if (kind == 3)
        for (int i = 0; i < n; i++) x[i] = 0.0f;
}

/* The quantize kernels of every ISA equal the scalar ones (absmax, qint
 * codes, packed ternary and binary) on adversarial values, lengths 0..130
 * and 4099, and unaligned starts; the engine's threaded f32 -> qint8 /
 * qint4 / ternary / binary paths (plain, streaming, in place) equal the
 * tensor module's cast. */
static void test_pq_kernels(void) {
    enum { N = 4099, PAD = 8 };
    float *x = malloc((N + PAD) * 4);
    int8_t *a = malloc(N + PAD), *b = malloc(N + PAD);
    uint8_t *pa = malloc(N + PAD), *pb = malloc(N + PAD);
    const bni_pq_kernels *ref = bni_pq_kernels_for_isa(BN_ISA_SCALAR);
    CHECK(ref != NULL && strcmp(ref->isa, "scalar") == 0);
    const float scales[] = {1.0f, 0.37f, 1e-30f, NAN, 1.0f / 127.0f, 2.0f, 1e30f, INFINITY, 1e-45f};
    const float invs[] = {1.0f, 2.0f, 1.0f / 0.875f, 4.0f, NAN, INFINITY, 1e-30f, 1e30f, 100000.0f};
    int tables = 0;
    for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
        const bni_pq_kernels *k = bni_pq_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        tables++;
        /* a level with its own kernels names itself (SSE4.1 has none: scalar) */
        if (isa == BN_ISA_AVX2 || isa == BN_ISA_AVX512 || isa == BN_ISA_NEON)
            CHECK(strcmp(k->isa, bn_isa_name((bn_isa)isa)) == 0);
        int bad_max = 0, bad_codes = 0, bad_tern = 0, bad_bin = 0;
        for (int kind = 0; kind < 4; kind++) {
            pq_fill(x, N + PAD, kind);
            for (int off = 0; off < 4; off++) {
                const float *xs = x + off;
                for (int len = 0; len <= 131; len++) {
                    int n = len == 131 ? N : len;
                    int n1 = 0, n2 = 0;
                    float m1 = ref->absmax(xs, n, &n1), m2 = k->absmax(xs, n, &n2);
                    bad_max += fbits(m1) != fbits(m2) || n1 != n2;
                    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++)
                        for (int q = 0; q < 2; q++) {
                            float lo = q ? -8.0f : -128.0f, hi = q ? 7.0f : 127.0f;
                            memset(a, 0x55, (size_t)n + PAD), memset(b, 0x55, (size_t)n + PAD);
                            ref->codes(xs, n, scales[si], lo, hi, a);
                            k->codes(xs, n, scales[si], lo, hi, b);
                            bad_codes += memcmp(a, b, (size_t)n + PAD) != 0; /* nothing written past n */
                        }
                    int n4 = n / 4 * 4, n8 = n / 8 * 8;
                    for (size_t ii = 0; ii < sizeof invs / sizeof invs[0]; ii++) {
                        memset(pa, 0xAA, (size_t)n / 4 + PAD), memset(pb, 0xAA, (size_t)n / 4 + PAD);
                        ref->ternary(xs, n4, invs[ii], pa);
                        k->ternary(xs, n4, invs[ii], pb);
                        bad_tern += memcmp(pa, pb, (size_t)n / 4 + PAD) != 0;
                    }
                    memset(pa, 0xAA, (size_t)n / 8 + PAD), memset(pb, 0xAA, (size_t)n / 8 + PAD);
                    ref->binary(xs, n8, pa);
                    k->binary(xs, n8, pb);
                    bad_bin += memcmp(pa, pb, (size_t)n / 8 + PAD) != 0;
                }
            }
        }
        if (bad_max + bad_codes + bad_tern + bad_bin)
            printf("pq kernels %s: %d absmax, %d codes, %d ternary, %d binary mismatches\n", k->isa, bad_max,
                   bad_codes, bad_tern, bad_bin);
        CHECK(bad_max == 0 && bad_codes == 0 && bad_tern == 0 && bad_bin == 0);
    }
    CHECK(tables >= 1);
    /* the scalar kernels against hand-computed codes */
    {
        float t[8] = {0.5f, -0.5f, 0.51f, -0.51f, 1.5f, NAN, -0.0f, -3.0f};
        uint8_t tb[2] = {0, 0}, bb = 0;
        ref->ternary(t, 8, 1.0f, tb);
        /* codes 0, 0, 1, -1 | 1, 0, 0, -1 -> fields 1, 1, 2, 0 | 2, 1, 1, 0 */
        CHECK(tb[0] == (1 | 1 << 2 | 2 << 4 | 0 << 6) && tb[1] == (2 | 1 << 2 | 1 << 4 | 0 << 6));
        ref->binary(t, 8, &bb);
        /* >= 0: 0.5, 0.51, 1.5, -0 */
        CHECK(bb == (1 | 4 | 16 | 64));
        int8_t c[4];
        float q[4] = {2.5f, -2.5f, 3.5f, 1000.0f};
        ref->codes(q, 4, 1.0f, -8.0f, 7.0f, c);
        CHECK(c[0] == 2 && c[1] == -2 && c[2] == 4 && c[3] == 7);
    }
    /* engine (threaded, kernel) vs the tensor module's cast */
    pq_fill(x, N, 0);
    x[5] = NAN;
    int64_t shapes[4][2] = {{1, N}, {3, 1366}, {2, 2049}, {5, 7}};
    for (int si = 0; si < 4; si++) {
        for (int kind = 0; kind < 3; kind++) {
            pq_fill(x, N, kind == 1 ? 1 : 0);
            if (kind == 2) x[si] = NAN;
            bn_tensor *t = NULL;
            size_t cnt = (size_t)(shapes[si][0] * shapes[si][1]);
            CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 2, shapes[si], x, cnt * 4, &t));
            bn_dtype ds[4] = {BN_DTYPE_QINT8, BN_DTYPE_QINT4, BN_DTYPE_TERNARY, BN_DTYPE_BINARY};
            for (int d = 0; d < 4; d++)
                for (int g = 0; g < 3; g++) {
                    if (g == 2 && cnt % 2) continue; /* blocks of 2 need an even count */
                    bn_precision_spec s = {ds[d], (bn_precision_granularity)g, 2};
                    int64_t group;
                    CHECK_OK(bn_precision_group_size(&s, 2, shapes[si], &group));
                    bn_tensor *c = NULL;
                    CHECK_OK(bn_tensor_cast_quantized(t, ds[d], group, &c));
                    int bits = bn_dtype_get_info(ds[d])->bits;
                    for (int path = 0; path < 4; path++) {
                        bn_tensor *e = NULL;
                        if (path == 0) CHECK_OK(bn_precision_convert(t, &s, &e, NULL));
                        if (path == 1) CHECK_OK(bn_precision_convert_stream(t, &s, 4096, &e));
                        if (path == 2) {
                            CHECK_OK(bn_tensor_clone(t, &e));
                            if (bn_precision_convert_inplace(e, &s) != BN_OK) { /* scales that do not fit */
                                bn_tensor_free(e);
                                continue;
                            }
                        }
                        if (path == 3) CHECK_OK(bn_precision_convert_stream(t, &s, 1, &e)); /* two passes */
                        /* a last byte shared with no element: compare the used bits only */
                        size_t nb = bn_tensor_nbytes(e);
                        size_t used = cnt * (size_t)bits % 8;
                        if (used) {
                            nb--;
                            unsigned mask = (1u << used) - 1u;
                            CHECK((((const uint8_t *)bn_tensor_data(e))[nb] & mask) ==
                                  (((const uint8_t *)bn_tensor_data(c))[nb] & mask));
                        }
                        if (memcmp(bn_tensor_data(e), bn_tensor_data(c), nb) != 0) {
                            printf("engine path %d %s group %lld shape %lldx%lld: codes differ from the cast\n",
                                   path, bn_dtype_name(ds[d]), (long long)group, (long long)shapes[si][0],
                                   (long long)shapes[si][1]);
                            CHECK(0);
                        }
                        int64_t ns = group ? (int64_t)cnt / group : 1;
                        int sbad = 0;
                        for (int64_t i = 0; i < ns; i++) {
                            float u = bn_tensor_scales(e)[i], v = bn_tensor_scales(c)[i];
                            sbad += !(fbits(u) == fbits(v) || (isnan(u) && isnan(v)));
                        }
                        CHECK(sbad == 0);
                        bn_tensor_free(e);
                    }
                    bn_tensor_free(c);
                }
            bn_tensor_free(t);
        }
    }
    free(x), free(a), free(b), free(pa), free(pb);
}

/* The plain path from strided and non-f32 sources (an f32 temporary, then
 * the kernels) equals the tensor module's cast. */
static void test_pq_sources(void) {
    int64_t sh[2] = {6, 333};
    bn_tensor *x = rand_f32(2, sh);
    float *d = bn_tensor_data(x);
    d[3] = NAN, d[10] = 0.5f, d[11] = -0.5f, d[12] = -0.0f, d[700] = INFINITY;
    bn_tensor *srcs[4] = {NULL, NULL, NULL, NULL};
    CHECK_OK(bn_tensor_transpose(x, 0, 1, &srcs[0]));
    CHECK_OK(bn_tensor_cast(x, BN_DTYPE_F64, &srcs[1]));
    CHECK_OK(bn_tensor_cast(x, BN_DTYPE_BF16, &srcs[2]));
    CHECK_OK(bn_tensor_cast(x, BN_DTYPE_F16, &srcs[3]));
    bn_dtype ds[4] = {BN_DTYPE_QINT8, BN_DTYPE_QINT4, BN_DTYPE_TERNARY, BN_DTYPE_BINARY};
    int bad = 0;
    for (int si = 0; si < 4; si++)
        for (int di = 0; di < 4; di++)
            for (int g = 0; g < 3; g++) {
                bn_precision_spec s = {ds[di], (bn_precision_granularity)g, 9};
                const bn_tensor *src = srcs[si];
                int64_t group;
                CHECK_OK(bn_precision_group_size(&s, 2, bn_tensor_shape(src), &group));
                bn_tensor *e = NULL, *c = NULL;
                CHECK_OK(bn_precision_convert(src, &s, &e, NULL));
                CHECK_OK(bn_tensor_cast_quantized(src, ds[di], group, &c));
                size_t nb = bn_tensor_nbytes(e);
                size_t used = (size_t)bn_tensor_numel(e) * (size_t)bn_dtype_get_info(ds[di])->bits % 8;
                if (used) {
                    nb--;
                    unsigned mask = (1u << used) - 1u;
                    bad += (((const uint8_t *)bn_tensor_data(e))[nb] & mask) !=
                           (((const uint8_t *)bn_tensor_data(c))[nb] & mask);
                }
                bad += memcmp(bn_tensor_data(e), bn_tensor_data(c), nb) != 0;
                int64_t ns = group ? bn_tensor_numel(e) / group : 1;
                for (int64_t i = 0; i < ns; i++) {
                    float u = bn_tensor_scales(e)[i], v = bn_tensor_scales(c)[i];
                    bad += !(fbits(u) == fbits(v) || (isnan(u) && isnan(v)));
                }
                bn_tensor_free(e), bn_tensor_free(c);
            }
    if (bad) printf("pq sources: %d mismatches\n", bad);
    CHECK(bad == 0);
    for (int i = 0; i < 4; i++) bn_tensor_free(srcs[i]);
    bn_tensor_free(x);
}

/* Large contiguous float conversions run on the thread pool: same bytes as the cast. */
static void test_parallel_float(void) {
    int64_t sh[2] = {3, 100003};
    bn_tensor *x = rand_f32(2, sh);
    float *d = bn_tensor_data(x);
    d[7] = NAN;
    d[100000] = 1e30f;
    d[200000] = -1e-42f;
    bn_dtype to[5] = {BN_DTYPE_F16, BN_DTYPE_BF16, BN_DTYPE_I8, BN_DTYPE_F64, BN_DTYPE_I32};
    for (int i = 0; i < 5; i++) {
        bn_precision_spec s = bn_precision_spec_of(to[i]);
        bn_tensor *a = NULL, *b = NULL, *c = NULL, *e = NULL;
        CHECK_OK(bn_precision_convert(x, &s, &a, NULL));
        CHECK_OK(bn_tensor_cast(x, to[i], &b));
        CHECK(same_tensor(a, b));
        /* and back to f32 from the converted tensor */
        bn_precision_spec f32 = bn_precision_spec_of(BN_DTYPE_F32);
        CHECK_OK(bn_precision_convert(a, &f32, &c, NULL));
        CHECK_OK(bn_tensor_cast(a, BN_DTYPE_F32, &e));
        CHECK(same_tensor(c, e));
        bn_tensor_free(a), bn_tensor_free(b), bn_tensor_free(c), bn_tensor_free(e);
    }
    bn_tensor_free(x);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 4;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) {
        printf("no context: %s\n", bn_last_error());
        return 1;
    }
    test_bf16_all_patterns();
    test_f16_engine_paths();
    test_hand_values();
    test_pq_kernels();
    test_pq_sources();
    test_parallel_float();
    test_specs();
    test_inplace_and_stream_equal_plain();
    test_inplace_refusals();
    test_zero_copy();
    test_batched();
    test_report();
    bn_ctx_free(g_ctx);
    return bt_summary("test_precision");
}
