/* Quantization: ternary absmean weights and per-token absmax int8
 * activations against hand-computed values (ties at .5, the 1e-5 floor,
 * per-row scales, -128 saturation), rounding against rintf, the
 * transformers fixture, the tensor-level functions (dtypes, strides, errors)
 * and the error metrics. */
#include <stdint.h>
#include <stdlib.h>

#include "quant/quant_internal.h"
#include "tensor/tensor_internal.h"
#include "test_util.h"

static bn_ctx *g_ctx;

static uint64_t g_rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static float urand(float lo, float hi) { return lo + (hi - lo) * (float)((rnd() >> 40) / 16777216.0); }

/* torch's 127 / absmax: reciprocal, then times 127 */
static float act_s(float absmax) {
    volatile float inv = 1.0f / absmax;
    return inv * 127.0f;
}

static uint32_t fbits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void *read_file(const char *name, size_t *size) {
    char path[512];
    snprintf(path, sizeof path, "%s/quant/%s", BITNET_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* ---- rounding ------------------------------------------------------------ */

static int ref_round_clamp(float v, float lo, float hi) {
    if (isnan(v)) return 0;
    float r = rintf(v);
    return (int)(r < lo ? lo : r > hi ? hi : r);
}

static void test_rounding(void) {
    /* ties go to even: never roundf */
    const float x[] = {2.5f, 3.5f, -0.5f, 0.5f, 1.5f, -1.5f, -2.5f, 126.5f, 127.5f, -127.5f, -128.5f, -129.0f,
                       200.0f, -200.0f, 0.49999997f, -3.5f, NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
    const int8_t want[] = {2, 4, 0, 0, 2, -2, -2, 126, 127, -128, -128, -128, 127, -128, 0, -4, 0, 127, -128,
                           127, -128};
    int n = (int)(sizeof x / sizeof x[0]);
    int8_t q[32];
    CHECK_OK(bn_quantize_i8_f32(x, n, 1.0f, q));
    for (int i = 0; i < n; i++) {
        if (q[i] != want[i]) fprintf(stderr, "x = %g: got %d, want %d\n", (double)x[i], q[i], want[i]);
        CHECK(q[i] == want[i]);
    }
    /* -0.5 -> -0 -> code 0 */
    CHECK(bni_quant_round_clamp(-0.5f, -128.0f, 127.0f) == 0);
    /* every quarter step from -300 to 300 and random values: the magic-number
     * rounding equals rintf */
    int bad = 0;
    for (int i = -1200; i <= 1200; i++) {
        float v = (float)i * 0.25f;
        bad += bni_quant_round_clamp(v, -128.0f, 127.0f) != ref_round_clamp(v, -128.0f, 127.0f);
        bad += bni_quant_round_clamp(v, -1.0f, 1.0f) != ref_round_clamp(v, -1.0f, 1.0f);
    }
    for (int i = 0; i < 200000; i++) {
        float v = urand(-300.0f, 300.0f);
        if (i % 4 == 0) v = nextafterf(rintf(v) + 0.5f, (i & 8) ? 1e9f : -1e9f); /* next to a tie */
        bad += bni_quant_round_clamp(v, -128.0f, 127.0f) != ref_round_clamp(v, -128.0f, 127.0f);
        bad += bni_quant_round_clamp(v, -1.0f, 1.0f) != ref_round_clamp(v, -1.0f, 1.0f);
    }
    CHECK(bad == 0);
}

/* ---- weights --------------------------------------------------------------- */

static void test_weights_hand(void) {
    int8_t q[8];
    float s[4];
    /* mean |W| = 1, s = 1: 0.5 -> 0 and -0.5 -> 0 (ties to even), 1.5 -> 2 -> 1 */
    const float w1[] = {0.5f, -0.5f, 1.5f, -1.5f};
    CHECK_OK(bn_quantize_weights_f32(w1, 1, 4, BN_QUANT_PER_TENSOR, q, s));
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 1 && q[3] == -1);
    CHECK(s[0] == 1.0f);
    /* 2.5 * s with s = 1 / 1.25: 0.8 -> 1, 0.4 -> 0, 2 -> 1 */
    const float w2[] = {1.0f, -1.0f, 0.5f, 2.5f};
    CHECK_OK(bn_quantize_weights_f32(w2, 2, 2, BN_QUANT_PER_TENSOR, q, s));
    CHECK(q[0] == 1 && q[1] == -1 && q[2] == 0 && q[3] == 1);
    CHECK(fbits(s[0]) == fbits(1.0f / (1.0f / 1.25f)));
    /* per row vs per tensor */
    const float w3[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.0f, 2.0f, -2.0f, 2.0f};
    CHECK_OK(bn_quantize_weights_f32(w3, 2, 4, BN_QUANT_PER_ROW, q, s));
    const int8_t want_row[] = {0, 0, 1, -1, 1, 1, -1, 1};
    CHECK(memcmp(q, want_row, 8) == 0);
    CHECK(s[0] == 1.0f && s[1] == 2.0f);
    CHECK_OK(bn_quantize_weights_f32(w3, 2, 4, BN_QUANT_PER_TENSOR, q, s));
    const int8_t want_t[] = {0, 0, 1, -1, 1, 1, -1, 1}; /* s = 1/1.5: 0.33 -> 0, 1.0 -> 1, 1.33 -> 1 */
    CHECK(memcmp(q, want_t, 8) == 0);
    CHECK(fbits(s[0]) == fbits(1.0f / (1.0f / 1.5f)));
    /* all zero: the 1e-5 floor, codes 0 */
    const float z[4] = {0};
    CHECK_OK(bn_quantize_weights_f32(z, 1, 4, BN_QUANT_PER_TENSOR, q, s));
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0 && q[3] == 0);
    CHECK(fbits(s[0]) == fbits(1.0f / (1.0f / 1e-5f)));
    CHECK_NEAR(s[0], 1e-5, 1e-11);
    /* below the floor: mean 2.5e-6 -> s = 1e5: 0.1 -> 0, -0.3 -> 0, 0.6 -> 1 */
    const float tiny[] = {1e-6f, -3e-6f, 6e-6f, 0.0f};
    CHECK_OK(bn_quantize_weights_f32(tiny, 1, 4, BN_QUANT_PER_TENSOR, q, s));
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 1 && q[3] == 0);
    /* per row with one zero row: that row gets the floor */
    const float w4[] = {0, 0, 0, 0, 1, -3, 0, 0};
    CHECK_OK(bn_quantize_weights_f32(w4, 2, 4, BN_QUANT_PER_ROW, q, s));
    CHECK(fbits(s[0]) == fbits(1.0f / (1.0f / 1e-5f)) && s[1] == 1.0f);
    CHECK(q[4] == 1 && q[5] == -1 && q[6] == 0);
    /* NaN is skipped by the mean and quantizes to 0 */
    const float wn[] = {NAN, 2.0f, -2.0f, 0.0f};
    CHECK_OK(bn_quantize_weights_f32(wn, 1, 4, BN_QUANT_PER_TENSOR, q, s));
    CHECK(q[0] == 0 && q[1] == 1 && q[2] == -1 && q[3] == 0);
    CHECK(s[0] == 1.0f);
    /* empty */
    CHECK_OK(bn_quantize_weights_f32(NULL, 0, 5, BN_QUANT_PER_TENSOR, NULL, s));
    CHECK_OK(bn_quantize_weights_f32(NULL, 3, 0, BN_QUANT_PER_ROW, NULL, s));
    /* errors */
    CHECK_ERR(bn_quantize_weights_f32(w1, -1, 4, BN_QUANT_PER_TENSOR, q, s), BN_ERR_INVALID_ARGUMENT, "n = -1");
    CHECK_ERR(bn_quantize_weights_f32(w1, 1, 4, (bn_quant_granularity)7, q, s), BN_ERR_INVALID_ARGUMENT,
              "granularity 7");
    CHECK_ERR(bn_quantize_weights_f32(NULL, 1, 4, BN_QUANT_PER_TENSOR, q, s), BN_ERR_INVALID_ARGUMENT, "w is NULL");
    CHECK_ERR(bn_quantize_weights_f32(w1, 1, 4, BN_QUANT_PER_TENSOR, q, NULL), BN_ERR_INVALID_ARGUMENT,
              "scales is NULL");
    CHECK_ERR(bn_quantize_weights_f32(w1, INT64_MAX, 4, BN_QUANT_PER_TENSOR, q, s), BN_ERR_OVERFLOW, "overflows");
    /* dequantize */
    float out[8];
    const int8_t dq[] = {1, -1, 0, 1, -1, -1, 0, 1};
    const float dsc[] = {0.5f, 3.0f};
    CHECK_OK(bn_dequantize_weights_f32(dq, 8, dsc, 4, out));
    CHECK(out[0] == 0.5f && out[1] == -0.5f && out[2] == 0.0f && out[4] == -3.0f && out[7] == 3.0f);
    CHECK_ERR(bn_dequantize_weights_f32(dq, 8, dsc, 3, out), BN_ERR_SHAPE, "group 3");
    CHECK_ERR(bn_dequantize_weights_f32(dq, 8, dsc, 0, out), BN_ERR_INVALID_ARGUMENT, "group 0");
}

/* Random matrices: the codes are exactly clamp(rintf(W * (1/m)), -1, 1)
 * with m from an f64 sum, and the result agrees with the tensor module's
 * ternary cast (same codes; its scale is m itself). */
static void test_weights_random(void) {
    enum { N = 37, K = 301 };
    float *w = malloc(sizeof(float) * N * K);
    int8_t *q = malloc(N * K);
    float s[N];
    for (int i = 0; i < N * K; i++) w[i] = urand(-0.05f, 0.05f);
    w[5] = 0.0f;
    CHECK_OK(bn_quantize_weights_f32(w, N, K, BN_QUANT_PER_ROW, q, s));
    int bad = 0;
    for (int r = 0; r < N; r++) {
        double acc = 0;
        for (int i = 0; i < K; i++) acc += fabs((double)w[r * K + i]);
        float m = (float)(acc / K);
        float inv = 1.0f / m;
        bad += fbits(s[r]) != fbits(1.0f / inv);
        for (int i = 0; i < K; i++) bad += q[r * K + i] != ref_round_clamp(w[r * K + i] * inv, -1.0f, 1.0f);
    }
    CHECK(bad == 0);

    CHECK_OK(bn_quantize_weights_f32(w, N, K, BN_QUANT_PER_TENSOR, q, s));
    int64_t shape[2] = {N, K};
    bn_tensor *t = NULL, *tern = NULL, *back = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 2, shape, w, sizeof(float) * N * K, &t));
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_TERNARY, &tern));
    CHECK_OK(bn_tensor_cast(tern, BN_DTYPE_F32, &back));
    if (back) {
        const float *b = (const float *)bn_tensor_data(back);
        float ts = bn_tensor_scales(tern)[0];
        bad = 0;
        for (int i = 0; i < N * K; i++) bad += b[i] != (float)q[i] * ts;
        CHECK(bad == 0);
        CHECK(fabsf(ts - s[0]) <= 1.2e-7f * ts);
    }
    bn_tensor_free(back);
    bn_tensor_free(tern);
    bn_tensor_free(t);
    free(w);
    free(q);
}

/* The fixture's codes and scale (tools/make_quant_fixtures.py). */
static void test_weights_fixture(void) {
    const char *names[] = {"m2x256", "m3x512"};
    const int64_t ns[] = {2, 3}, ks[] = {256, 512};
    for (int c = 0; c < 2; c++) {
        char f[64];
        size_t sw, sq, ss;
        snprintf(f, sizeof f, "%s.w.f32", names[c]);
        float *w = read_file(f, &sw);
        snprintf(f, sizeof f, "%s.q.i8", names[c]);
        int8_t *qw = read_file(f, &sq);
        snprintf(f, sizeof f, "%s.scale.f32", names[c]);
        float *sc = read_file(f, &ss);
        CHECK(w && qw && sc);
        if (!w || !qw || !sc) continue;
        int64_t n = ns[c], k = ks[c];
        CHECK(sw == sizeof(float) * (size_t)(n * k) && sq == (size_t)(n * k) && ss == 4);
        int8_t *q = malloc((size_t)(n * k));
        float s;
        CHECK_OK(bn_quantize_weights_f32(w, n, k, BN_QUANT_PER_TENSOR, q, &s));
        CHECK(memcmp(q, qw, (size_t)(n * k)) == 0);
        CHECK(fbits(s) == fbits(sc[0]));
        free(q);
        free(w);
        free(qw);
        free(sc);
    }
}

/* ---- activations ----------------------------------------------------------- */

static void test_activations_hand(void) {
    int8_t q[8];
    float s;
    /* absmax 127 -> s = 1: 2.5 -> 2, 3.5 -> 4, -0.5 -> 0, -2.5 -> -2, 0.5 -> 0 */
    const float x1[] = {127.0f, 2.5f, 3.5f, -0.5f, -2.5f, 0.5f};
    CHECK_OK(bn_quantize_activations_f32(x1, 6, q, &s));
    CHECK(s == 1.0f);
    const int8_t w1[] = {127, 2, 4, 0, -2, 0};
    CHECK(memcmp(q, w1, 6) == 0);
    /* absmax 4: s = 31.75; -63.5 -> -64 (even), 15.875 -> 16 */
    const float x2[] = {1.0f, -2.0f, 0.5f, 4.0f};
    CHECK_OK(bn_quantize_activations_f32(x2, 4, q, &s));
    CHECK(s == 31.75f);
    CHECK(q[0] == 32 && q[1] == -64 && q[2] == 16 && q[3] == 127);
    /* a negative absmax gives -127, not -128 */
    const float x3[] = {-4.0f, 1.0f};
    CHECK_OK(bn_quantize_activations_f32(x3, 2, q, &s));
    CHECK(q[0] == -127 && q[1] == 32);
    /* all zero: the floor 127 / 1e-5, codes 0 */
    const float z[3] = {0};
    CHECK_OK(bn_quantize_activations_f32(z, 3, q, &s));
    CHECK(fbits(s) == fbits(act_s(1e-5f)));
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0);
    /* below the floor: the scale stays 127 / 1e-5 */
    const float t[] = {5e-6f, -1e-6f};
    CHECK_OK(bn_quantize_activations_f32(t, 2, q, &s));
    CHECK(fbits(s) == fbits(act_s(1e-5f)));
    CHECK(q[0] == ref_round_clamp(5e-6f * s, -128, 127) && q[1] == ref_round_clamp(-1e-6f * s, -128, 127));
    /* NaN ignored by the max, quantized to 0 */
    const float xn[] = {NAN, 127.0f, -1.5f};
    CHECK_OK(bn_quantize_activations_f32(xn, 3, q, &s));
    CHECK(s == 1.0f && q[0] == 0 && q[1] == 127 && q[2] == -2);
    /* with a caller's scale, -128 saturation */
    const float xs[] = {-1000.0f, -128.4f, -128.5f, -128.6f, 127.4f, 127.6f, 1000.0f};
    CHECK_OK(bn_quantize_i8_f32(xs, 7, 1.0f, q));
    CHECK(q[0] == -128 && q[1] == -128 && q[2] == -128 && q[3] == -128 && q[4] == 127 && q[5] == 127 &&
          q[6] == 127);
    /* k == 0 */
    CHECK_OK(bn_quantize_activations_f32(NULL, 0, NULL, &s));
    CHECK(fbits(s) == fbits(act_s(1e-5f)));
    /* dequantize: q / s */
    const int8_t dq[] = {127, -64, 3, 0};
    const float dsc[] = {31.75f, 3.0f};
    float out[4];
    CHECK_OK(bn_dequantize_activations_f32(dq, 2, 2, dsc, out));
    CHECK(out[0] == 127.0f / 31.75f && out[1] == -64.0f / 31.75f && out[2] == 1.0f && out[3] == 0.0f);
    /* errors */
    CHECK_ERR(bn_quantize_activations_f32(x1, -2, q, &s), BN_ERR_INVALID_ARGUMENT, "k = -2");
    CHECK_ERR(bn_quantize_activations_f32(x1, 6, q, NULL), BN_ERR_INVALID_ARGUMENT, "scale is NULL");
    CHECK_ERR(bn_quantize_activations_rows_f32(x1, 2, 3, 2, q, &s), BN_ERR_INVALID_ARGUMENT, "ldx = 2");
    CHECK_ERR(bn_quantize_i8_f32(NULL, 3, 1.0f, q), BN_ERR_INVALID_ARGUMENT, "x is NULL");
}

static void test_activations_random(void) {
    enum { M = 9, K = 517, LD = 530 };
    float *x = malloc(sizeof(float) * M * LD);
    int8_t *q = malloc(M * K), *q1 = malloc(K);
    float s[M], s1;
    for (int i = 0; i < M * LD; i++) x[i] = urand(-3.0f, 3.0f) * (float)(1 + i / LD);
    CHECK_OK(bn_quantize_activations_rows_f32(x, M, K, LD, q, s));
    int bad = 0, minq = 0;
    for (int r = 0; r < M; r++) {
        CHECK_OK(bn_quantize_activations_f32(x + r * LD, K, q1, &s1));
        bad += memcmp(q1, q + r * K, K) != 0 || fbits(s1) != fbits(s[r]);
        float mx = 0;
        for (int i = 0; i < K; i++) mx = fmaxf(mx, fabsf(x[r * LD + i]));
        float sr = act_s(mx);
        bad += fbits(sr) != fbits(s[r]);
        for (int i = 0; i < K; i++) {
            bad += q[r * K + i] != ref_round_clamp(x[r * LD + i] * sr, -128.0f, 127.0f);
            if (q[r * K + i] < minq) minq = q[r * K + i];
        }
    }
    CHECK(bad == 0);
    CHECK(minq >= -127);
    free(x);
    free(q);
    free(q1);
}

/* torch's ActQuant on two rows where its scale (reciprocal(absmax) * 127)
 * is not the correctly rounded 127 / absmax (make_quant_fixtures.py --torch). */
static void test_activations_torch(void) {
    const int ks[] = {2560, 2048};
    for (int c = 0; c < 2; c++) {
        char f[64];
        size_t sx, sq, ss;
        snprintf(f, sizeof f, "torch_act%d.f32", c);
        float *x = read_file(f, &sx);
        snprintf(f, sizeof f, "torch_act%d.q.i8", c);
        int8_t *qt = read_file(f, &sq);
        snprintf(f, sizeof f, "torch_act%d.s.f32", c);
        float *st = read_file(f, &ss);
        CHECK(x && qt && st);
        if (x && qt && st) {
            int k = ks[c];
            CHECK(sx == sizeof(float) * (size_t)k && sq == (size_t)k && ss == 4);
            int8_t *q = malloc((size_t)k);
            float s;
            CHECK_OK(bn_quantize_activations_f32(x, k, q, &s));
            CHECK(fbits(s) == fbits(st[0]));
            CHECK(fbits(s) != fbits(127.0f / bni_quant_absmax_f32(x, k)));
            CHECK(memcmp(q, qt, (size_t)k) == 0);
            free(q);
        }
        free(x);
        free(qt);
        free(st);
    }
}

/* ---- tensors --------------------------------------------------------------- */

static void test_tensors(void) {
    const float w[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.0f, 2.0f, -2.0f, 2.0f};
    int64_t shape[2] = {2, 4};
    bn_tensor *t = NULL, *q = NULL, *s = NULL, *d = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 2, shape, w, sizeof w, &t));
    CHECK_OK(bn_quantize_weights(t, BN_QUANT_PER_ROW, &q, &s));
    if (q && s) {
        CHECK(bn_tensor_dtype(q) == BN_DTYPE_I8 && bn_tensor_ndim(s) == 2 && bn_tensor_dim(s, 0) == 2 &&
              bn_tensor_dim(s, 1) == 1);
        const int8_t want[] = {0, 0, 1, -1, 1, 1, -1, 1};
        CHECK(memcmp(bn_tensor_data(q), want, 8) == 0);
        CHECK(((float *)bn_tensor_data(s))[0] == 1.0f && ((float *)bn_tensor_data(s))[1] == 2.0f);
        CHECK_OK(bn_dequantize_weights(q, s, &d));
        if (d) {
            const float *dv = (const float *)bn_tensor_data(d);
            CHECK(dv[0] == 0.0f && dv[2] == 1.0f && dv[3] == -1.0f && dv[4] == 2.0f && dv[6] == -2.0f);
        }
        bn_tensor_free(d);
        d = NULL;
    }
    bn_tensor_free(q);
    bn_tensor_free(s);
    q = s = NULL;
    CHECK_OK(bn_quantize_weights(t, BN_QUANT_PER_TENSOR, &q, &s));
    if (s) CHECK(bn_tensor_ndim(s) == 1 && bn_tensor_numel(s) == 1);
    bn_tensor_free(q);
    bn_tensor_free(s);
    q = s = NULL;

    /* a transposed (strided) bf16 view gives the same as its contiguous f32 copy */
    bn_tensor *bf = NULL, *tr = NULL, *trc = NULL, *q2 = NULL, *s2 = NULL;
    CHECK_OK(bn_tensor_cast(t, BN_DTYPE_BF16, &bf));
    CHECK_OK(bn_tensor_transpose(bf, 0, 1, &tr));
    CHECK_OK(bn_tensor_cast(tr, BN_DTYPE_F32, &trc));
    CHECK_OK(bn_quantize_weights(tr, BN_QUANT_PER_ROW, &q, &s));
    CHECK_OK(bn_quantize_weights(trc, BN_QUANT_PER_ROW, &q2, &s2));
    if (q && q2) {
        CHECK(memcmp(bn_tensor_data(q), bn_tensor_data(q2), 8) == 0);
        CHECK(memcmp(bn_tensor_data(s), bn_tensor_data(s2), 4 * 4) == 0);
    }
    bn_tensor_free(q);
    bn_tensor_free(s);
    bn_tensor_free(q2);
    bn_tensor_free(s2);
    q = s = q2 = s2 = NULL;

    /* activations on [2, 4] (rows of 4) and a 3-d tensor */
    CHECK_OK(bn_quantize_activations(t, &q, &s));
    if (q && s) {
        CHECK(bn_tensor_dim(s, 0) == 2 && bn_tensor_dim(s, 1) == 1);
        const float *sv = (const float *)bn_tensor_data(s);
        CHECK(sv[0] == act_s(1.5f) && sv[0] != 127.0f / 1.5f && sv[1] == 63.5f);
        const int8_t *qv = (const int8_t *)bn_tensor_data(q);
        CHECK(qv[4] == 127 && qv[6] == -127);
        CHECK_OK(bn_dequantize_activations(q, s, &d));
        if (d) CHECK(((float *)bn_tensor_data(d))[4] == 127.0f / 63.5f);
        bn_tensor_free(d);
        d = NULL;
    }
    bn_tensor_free(q);
    bn_tensor_free(s);
    q = s = NULL;
    int64_t s3[3] = {2, 3, 5};
    bn_tensor *x3 = NULL;
    CHECK_OK(bn_tensor_randn(g_ctx, BN_DTYPE_F16, 3, s3, 0.0, 1.0, &x3));
    CHECK_OK(bn_quantize_activations(x3, &q, &s));
    if (s) CHECK(bn_tensor_ndim(s) == 3 && bn_tensor_dim(s, 2) == 1 && bn_tensor_numel(s) == 6);
    bn_tensor_free(q);
    bn_tensor_free(s);
    q = s = NULL;

    /* errors */
    bn_tensor *ti = NULL, *t0 = NULL;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_I32, 2, shape, &ti));
    CHECK_ERR(bn_quantize_weights(ti, BN_QUANT_PER_TENSOR, &q, &s), BN_ERR_DTYPE, "i32");
    CHECK_ERR(bn_quantize_activations(ti, &q, &s), BN_ERR_DTYPE, "i32");
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 0, NULL, &t0));
    CHECK_ERR(bn_quantize_weights(t0, BN_QUANT_PER_ROW, &q, &s), BN_ERR_SHAPE, "0-d");
    CHECK_ERR(bn_quantize_weights(t, (bn_quant_granularity)3, &q, &s), BN_ERR_INVALID_ARGUMENT, "granularity");
    CHECK_ERR(bn_quantize_weights(NULL, BN_QUANT_PER_ROW, &q, &s), BN_ERR_INVALID_ARGUMENT, "w is NULL");
    bn_tensor *qi = NULL, *s3t = NULL;
    int64_t one = 3;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_I8, 2, shape, &qi));
    CHECK_OK(bn_tensor_ones(g_ctx, BN_DTYPE_F32, 1, &one, &s3t));
    CHECK_ERR(bn_dequantize_weights(qi, s3t, &d), BN_ERR_SHAPE, "do not divide");
    CHECK_ERR(bn_dequantize_activations(qi, s3t, &d), BN_ERR_SHAPE, "2 rows");
    CHECK_ERR(bn_dequantize_weights(t, s3t, &d), BN_ERR_DTYPE, "f32");
    bn_tensor_free(qi);
    bn_tensor_free(s3t);
    bn_tensor_free(ti);
    bn_tensor_free(t0);
    bn_tensor_free(x3);
    bn_tensor_free(bf);
    bn_tensor_free(tr);
    bn_tensor_free(trc);
    bn_tensor_free(t);
}

/* ---- metrics --------------------------------------------------------------- */

static void test_metrics(void) {
    bn_quant_metrics m;
    const float a[] = {1, 2, 3, 4}, b[] = {1, 2, 3, 5}, z[] = {0, 0, 0, 0};
    CHECK_OK(bn_quant_error_f32(a, b, 4, &m));
    CHECK(m.count == 4);
    CHECK_NEAR(m.mse, 0.25, 1e-15);
    CHECK_NEAR(m.sqnr_db, 10.0 * log10(30.0), 1e-12);
    CHECK_NEAR(m.cosine, 34.0 / (sqrt(30.0) * sqrt(39.0)), 1e-15);
    CHECK(m.max_abs_err == 1.0);
    CHECK_OK(bn_quant_error_f32(a, a, 4, &m));
    CHECK(m.mse == 0.0 && isinf(m.sqnr_db) && m.sqnr_db > 0 && fabs(m.cosine - 1.0) < 1e-15 && m.max_abs_err == 0);
    CHECK_OK(bn_quant_error_f32(z, z, 4, &m));
    CHECK(m.cosine == 1.0 && isinf(m.sqnr_db) && m.sqnr_db > 0);
    CHECK_OK(bn_quant_error_f32(z, a, 4, &m));
    CHECK(m.cosine == 0.0 && isinf(m.sqnr_db) && m.sqnr_db < 0 && m.max_abs_err == 4.0);
    CHECK_OK(bn_quant_error_f32(a, z, 4, &m));
    CHECK(m.cosine == 0.0 && m.sqnr_db == 0.0);
    const float n[] = {1, NAN, 3, 4};
    CHECK_OK(bn_quant_error_f32(a, n, 4, &m));
    CHECK(isnan(m.mse) && isnan(m.cosine) && isnan(m.sqnr_db) && isnan(m.max_abs_err));
    CHECK_OK(bn_quant_error_f32(NULL, NULL, 0, &m));
    CHECK(m.count == 0 && m.mse == 0.0);
    CHECK_ERR(bn_quant_error_f32(a, b, -1, &m), BN_ERR_INVALID_ARGUMENT, "-1");
    CHECK_ERR(bn_quant_error_f32(a, b, 4, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");

    /* a Gaussian matrix and its ternary form; the tensor version over
     * different dtypes and strides agrees with the raw one */
    enum { N = 64, K = 256 };
    float *w = malloc(sizeof(float) * N * K), *deq = malloc(sizeof(float) * N * K);
    int8_t *q = malloc(N * K);
    float s;
    for (int i = 0; i < N * K; i++) {
        float u1 = urand(1e-7f, 1.0f), u2 = urand(0.0f, 1.0f);
        w[i] = 0.02f * sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
    }
    CHECK_OK(bn_quantize_weights_f32(w, N, K, BN_QUANT_PER_TENSOR, q, &s));
    CHECK_OK(bn_dequantize_weights_f32(q, N * K, &s, N * K, deq));
    CHECK_OK(bn_quant_error_f32(w, deq, N * K, &m));
    /* ternary absmean on a Gaussian: about 0.89 cosine, 5.8 dB */
    CHECK(m.cosine > 0.8 && m.cosine < 0.92);
    CHECK(m.sqnr_db > 4.0 && m.sqnr_db < 7.0);
    int64_t shape[2] = {N, K};
    bn_tensor *tw = NULL, *td = NULL, *tw64 = NULL, *twt = NULL, *tdt = NULL, *tdc = NULL;
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 2, shape, w, sizeof(float) * N * K, &tw));
    CHECK_OK(bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 2, shape, deq, sizeof(float) * N * K, &td));
    CHECK_OK(bn_tensor_cast(tw, BN_DTYPE_F64, &tw64));
    bn_quant_metrics m2;
    CHECK_OK(bn_quant_error(tw64, td, &m2));
    CHECK(m2.mse == m.mse && m2.cosine == m.cosine && m2.max_abs_err == m.max_abs_err && m2.count == N * K);
    CHECK_OK(bn_tensor_transpose(tw, 0, 1, &twt));
    CHECK_OK(bn_tensor_transpose(td, 0, 1, &tdt));
    CHECK_OK(bn_quant_error(twt, tdt, &m2));
    CHECK_NEAR(m2.mse, m.mse, 1e-12 * m.mse);
    CHECK(m2.max_abs_err == m.max_abs_err);
    CHECK_ERR(bn_quant_error(tw, tdt, &m2), BN_ERR_SHAPE, "[64,256]");
    CHECK_OK(bn_tensor_cast(td, BN_DTYPE_TERNARY, &tdc));
    CHECK_ERR(bn_quant_error(tw, tdc, &m2), BN_ERR_DTYPE, "ternary");
    bn_tensor_free(tw);
    bn_tensor_free(td);
    bn_tensor_free(tw64);
    bn_tensor_free(twt);
    bn_tensor_free(tdt);
    bn_tensor_free(tdc);
    free(w);
    free(deq);
    free(q);
}

/* Out-of-memory walk: fail the n-th allocation for n = 1, 2, ... over the
 * tensor-level functions and bn_quant_convert; every failure is reported
 * as out of memory and leaves no pool block behind. */
static void test_oom(void) {
    int64_t shape[2] = {4, 256};
    bn_tensor *w = NULL, *wt = NULL;
    CHECK_OK(bn_tensor_randn(g_ctx, BN_DTYPE_BF16, 2, shape, 0.0, 0.02, &w));
    CHECK_OK(bn_tensor_transpose(w, 0, 1, &wt));
    int8_t v[4 * 256];
    for (int i = 0; i < 4 * 256; i++) v[i] = (int8_t)(i % 3 - 1);
    float sc = 0.5f;
    uint8_t tq[4 * 66], i2[4 * 64 + 32];
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ2_0, 4, 256, v, &sc, 1024, tq, sizeof tq));
    bn_pool_stats st;
    bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
    size_t baseline = st.live_blocks;
    int runs = 0, bad = 0, leaks = 0;
    long n;
    for (n = 1; n < 1000; n++) {
        int failed = 0;
        bn_debug_fail_nth_alloc(n);
        bn_tensor *q = NULL, *s = NULL, *d = NULL, *q2 = NULL, *s2 = NULL;
        bn_status r[5];
        r[0] = bn_quantize_weights(wt, BN_QUANT_PER_ROW, &q, &s);
        r[1] = r[0] ? r[0] : bn_dequantize_weights(q, s, &d);
        r[2] = bn_quantize_activations(wt, &q2, &s2);
        bn_quant_metrics m;
        r[3] = bn_quant_error(w, w, &m);
        r[4] = bn_quant_convert(BN_QUANT_TQ2_0, tq, sizeof tq, BN_QUANT_I2_S, i2, sizeof i2, 4, 256, NULL);
        bn_debug_fail_nth_alloc(0);
        for (int i = 0; i < 5; i++) {
            if (r[i] != BN_OK) failed = 1;
            if (r[i] != BN_OK && r[i] != BN_ERR_OUT_OF_MEMORY) bad++;
        }
        if ((r[0] != BN_OK) != (q == NULL)) bad++;
        if ((r[2] != BN_OK) != (q2 == NULL)) bad++;
        bn_tensor_free(q);
        bn_tensor_free(s);
        bn_tensor_free(d);
        bn_tensor_free(q2);
        bn_tensor_free(s2);
        bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
        leaks += st.live_blocks != baseline;
        runs++;
        if (!failed) break;
    }
    CHECK(runs > 5 && n < 1000);
    CHECK(bad == 0);
    CHECK(leaks == 0);
    bn_tensor_free(wt);
    bn_tensor_free(w);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_rounding();
    test_weights_hand();
    test_weights_random();
    test_weights_fixture();
    test_activations_hand();
    test_activations_random();
    test_activations_torch();
    test_tensors();
    test_metrics();
    test_oom();
    bn_ctx_free(g_ctx);
    return bt_summary("test_quant");
}
