/* BitLinear: every kernel bit-exact against an int64 reference computed
 * from the int8 weights (independent of the packed layout), on random and
 * adversarial inputs, shapes that are not multiples of the tile or vector
 * width, 1..20 and 128 tokens, 1 and 2 threads; the int32 worst case at
 * K = 2^20; activation quantization against hand-computed values (ties at
 * .5 to even); absmean weights; the tensor wrapper; argument errors.
 *
 * Run without BITNET_ISA it checks every kernel set the CPU can run; with
 * BITNET_ISA (tests/isa_tests.cmake) the scalar one and the one chosen for
 * that level, and that the dispatch picked it. */
#include <stdint.h>
#include <stdlib.h>

#include "cpu/bitlinear_kernels.h"
#include "quant/bitlinear_internal.h"
#include "test_util.h"

static bn_ctx *g_ctx1, *g_ctx2;
static const bni_bl_kernels *g_kern[8];
static int g_nkern;

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static float frand(void) { return (float)((double)(rnd() >> 11) * 0x1.0p-53 * 2.0 - 1.0); }

/* ---- reference ---------------------------------------------------------- */

static void ref_forward(const int8_t *w, const float *ws, int per_row, int64_t n, int64_t k, const int8_t *q,
                        const float *xs, int64_t m, float *y) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t r = 0; r < n; r++) {
            int64_t dot = 0;
            for (int64_t c = 0; c < k; c++) dot += (int64_t)w[r * k + c] * q[i * k + c];
            y[i * n + r] = bni_bl_out((int32_t)dot, ws[per_row ? r : 0], xs[i]);
        }
}

/* Reference activation quantization, written out from the formula. */
static void ref_quant(const float *x, int64_t k, int8_t *q, float *s_out) {
    float amax = 0.0f;
    for (int64_t i = 0; i < k; i++)
        if (fabsf(x[i]) > amax) amax = fabsf(x[i]);
    const float s = (1.0f / (amax > 1e-5f ? amax : 1e-5f)) * 127.0f; /* as torch */
    for (int64_t i = 0; i < k; i++) {
        float v = nearbyintf(x[i] * s);
        q[i] = (int8_t)(v < -128.0f ? -128 : v > 127.0f ? 127 : (int)v);
    }
    *s_out = s;
}

/* ---- helpers ------------------------------------------------------------ */

enum { W_RANDOM, W_PLUS, W_MINUS, W_ZERO, W_SPARSE };
enum { X_RANDOM, X_MIN, X_MAX, X_ZERO, X_SINGLE, X_FLOAT };

static void fill_w(int8_t *w, int64_t n, int64_t k, int kind) {
    for (int64_t i = 0; i < n * k; i++) {
        switch (kind) {
        case W_PLUS: w[i] = 1; break;
        case W_MINUS: w[i] = -1; break;
        case W_ZERO: w[i] = 0; break;
        case W_SPARSE: w[i] = (int8_t)((rnd() % 16) == 0 ? ((rnd() & 1) ? 1 : -1) : 0); break;
        default: w[i] = (int8_t)((int)(rnd() % 3) - 1); break;
        }
    }
}

static void fill_q(int8_t *q, int64_t m, int64_t k, int kind) {
    for (int64_t i = 0; i < m * k; i++) {
        switch (kind) {
        case X_MIN: q[i] = -128; break;
        case X_MAX: q[i] = 127; break;
        case X_ZERO: q[i] = 0; break;
        case X_SINGLE: q[i] = (i % k) == (k / 2) ? (int8_t)-77 : 0; break;
        default: q[i] = (int8_t)(rnd() & 0xFF); break;
        }
    }
}

typedef struct case_buf {
    int8_t *w, *q;
    float *ws, *xs, *x, *y, *yref;
    void *work;
    size_t work_bytes;
} case_buf;

static void case_alloc(case_buf *b, int64_t n, int64_t k, int64_t m) {
    b->w = malloc((size_t)(n * k));
    b->q = malloc((size_t)(m * k));
    b->ws = malloc((size_t)n * sizeof(float));
    b->xs = malloc((size_t)m * sizeof(float));
    b->x = malloc((size_t)(m * k) * sizeof(float));
    b->y = malloc((size_t)(m * n) * sizeof(float));
    b->yref = malloc((size_t)(m * n) * sizeof(float));
    b->work = NULL;
    b->work_bytes = 0;
}

static void case_free(case_buf *b) {
    free(b->w);
    free(b->q);
    free(b->ws);
    free(b->xs);
    free(b->x);
    free(b->y);
    free(b->yref);
    free(b->work);
}

static int g_reported;

/* Check one shape with weights of @p wkind and activations of @p xkind, on
 * every kernel set; X_FLOAT runs the f32 path (quantization fused). */
static void check_case(int64_t n, int64_t k, int64_t m, int wkind, int xkind, int per_row) {
    case_buf b;
    case_alloc(&b, n, k, m);
    fill_w(b.w, n, k, wkind);
    for (int64_t r = 0; r < n; r++) b.ws[r] = 0.5f + 0.75f * fabsf(frand());
    if (xkind == X_FLOAT) {
        for (int64_t i = 0; i < m * k; i++) b.x[i] = frand() * (float)(1 + (i % 7));
        for (int64_t i = 0; i < m; i++) ref_quant(b.x + i * k, k, b.q + i * k, &b.xs[i]);
    } else {
        fill_q(b.q, m, k, xkind);
        for (int64_t i = 0; i < m; i++) b.xs[i] = 1.0f + 0.25f * (float)(i % 5);
    }
    ref_forward(b.w, b.ws, per_row, n, k, b.q, b.xs, m, b.yref);

    bn_bitlinear *bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_ternary(g_ctx1, b.w, n, k, b.ws, per_row, &bl));
    if (bl == NULL) {
        case_free(&b);
        return;
    }
    b.work_bytes = bn_bitlinear_workspace_size(bl, m);
    b.work = malloc(b.work_bytes);
    for (int i = 0; i < g_nkern; i++) {
        memset(b.y, 0xFF, (size_t)(m * n) * sizeof(float));
        bn_status st = xkind == X_FLOAT
                           ? bni_bitlinear_forward_with(g_ctx1, bl, g_kern[i], b.x, NULL, NULL, m, b.y, b.work,
                                                        b.work_bytes)
                           : bni_bitlinear_forward_with(g_ctx1, bl, g_kern[i], NULL, b.q, b.xs, m, b.y, b.work,
                                                        b.work_bytes);
        int ok = st == BN_OK && memcmp(b.y, b.yref, (size_t)(m * n) * sizeof(float)) == 0;
        CHECK(ok);
        if (!ok && g_reported++ < 10) {
            int64_t bad = 0;
            while (bad < m * n && memcmp(&b.y[bad], &b.yref[bad], 4) == 0) bad++;
            fprintf(stderr, "  kernel %s n=%lld k=%lld m=%lld w=%d x=%d per_row=%d: y[%lld] = %.9g, want %.9g\n",
                    g_kern[i]->name, (long long)n, (long long)k, (long long)m, wkind, xkind, per_row,
                    (long long)bad, bad < m * n ? b.y[bad] : 0.0, bad < m * n ? b.yref[bad] : 0.0);
        }
    }
    bn_bitlinear_free(bl);
    case_free(&b);
}

/* ---- tests -------------------------------------------------------------- */

static void test_small_shapes(void) {
    static const int64_t ns[] = {1, 3, 15, 16, 17, 31, 33, 70};
    for (int64_t k = 1; k <= 70; k++) {
        const int64_t n = ns[k % 8];
        const int64_t m = 1 + (k % 20);
        check_case(n, k, m, W_RANDOM, X_RANDOM, (int)(k & 1));
        check_case(ns[(k + 3) % 8], k, 1 + ((k * 7) % 20), W_RANDOM, X_FLOAT, (int)((k >> 1) & 1));
    }
    for (int64_t m = 1; m <= 20; m++) check_case(37, 45, m, W_RANDOM, X_RANDOM, 1);
    check_case(37, 45, 128, W_RANDOM, X_RANDOM, 0);
    check_case(70, 70, 128, W_RANDOM, X_FLOAT, 1);
}

static void test_adversarial(void) {
    static const int xk[] = {X_MIN, X_MAX, X_ZERO, X_SINGLE, X_RANDOM};
    static const int wk[] = {W_PLUS, W_MINUS, W_ZERO, W_SPARSE, W_RANDOM};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            check_case(19, 53, 5, wk[j], xk[i], 0);
            check_case(16, 64, 17, wk[j], xk[i], 1);
        }
}

static void test_large_shapes(void) {
    check_case(33, 2560, 1, W_RANDOM, X_FLOAT, 0);
    check_case(33, 2560, 20, W_RANDOM, X_RANDOM, 1);
    check_case(21, 6912, 3, W_RANDOM, X_FLOAT, 0);
    check_case(21, 6912, 128, W_MINUS, X_MIN, 0);
    check_case(2560, 24, 18, W_RANDOM, X_RANDOM, 1);
    check_case(6912, 40, 2, W_RANDOM, X_FLOAT, 0);
    check_case(130, 2560, 128, W_RANDOM, X_FLOAT, 1);
}

/* The int32 worst case: K = 2^20, codes w + 1 = 2 against -128 (the
 * kernels' raw sum reaches -2^28), and w = -1 against +127. */
static void test_overflow(void) {
    const int64_t k = BN_BITLINEAR_MAX_K, n = 17;
    int8_t *w = malloc((size_t)(n * k));
    int8_t *q = malloc((size_t)k);
    float y[17], one = 1.0f;
    for (int pass = 0; pass < 2; pass++) {
        memset(w, pass == 0 ? 1 : -1, (size_t)(n * k));
        memset(q, pass == 0 ? -128 : 127, (size_t)k);
        bn_bitlinear *bl = NULL;
        CHECK_OK(bn_bitlinear_new_from_ternary(g_ctx1, w, n, k, &one, 0, &bl));
        if (bl == NULL) break;
        size_t wb = bn_bitlinear_workspace_size(bl, 1);
        void *work = malloc(wb);
        const float want = pass == 0 ? -134217728.0f : -133169152.0f; /* -128 * 2^20, -127 * 2^20 */
        for (int i = 0; i < g_nkern; i++) {
            memset(y, 0, sizeof y);
            CHECK_OK(bni_bitlinear_forward_with(g_ctx1, bl, g_kern[i], NULL, q, &one, 1, y, work, wb));
            int ok = 1;
            for (int r = 0; r < n; r++) ok &= y[r] == want;
            CHECK(ok);
            if (!ok) fprintf(stderr, "  overflow pass %d kernel %s: y[0] = %.9g, want %.9g\n", pass,
                             g_kern[i]->name, y[0], want);
        }
        free(work);
        bn_bitlinear_free(bl);
    }
    /* K above 2^20 is refused. */
    bn_bitlinear *bl = NULL;
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, w, 1, k + 1, &one, 0, &bl), BN_ERR_SHAPE, "2^20");
    free(w);
    free(q);
}

static void test_quant_hand(void) {
    /* absmax 127 gives s = 1: codes are rint(x), ties to even. */
    const float x[] = {127.0f, 2.5f, 3.5f, -0.5f, -1.5f, 0.49999997f, -2.5f, 126.5f, 0.5f, -127.0f};
    const int8_t want[] = {127, 2, 4, 0, -2, 0, -2, 126, 0, -127};
    int8_t q[16];
    float s;
    for (int i = 0; i < g_nkern; i++) {
        int32_t sum;
        g_kern[i]->quant(x, 10, 10, q, &s, &sum);
        CHECK(memcmp(q, want, 10) == 0);
        CHECK(s == 1.0f);
        CHECK(sum == 127 + 2 + 4 + 0 - 2 + 0 - 2 + 126 + 0 - 127);
    }
    CHECK_OK(bn_bitlinear_quantize_activations(x, 1, 10, q, &s));
    CHECK(memcmp(q, want, 10) == 0);
    /* absmax 254 gives s = 0.5: 5 -> 2.5 -> 2, 7 -> 3.5 -> 4, -3 -> -1.5 -> -2. */
    const float x2[] = {254.0f, 5.0f, 7.0f, -3.0f, 1.0f, -254.0f, 0.0f};
    const int8_t want2[] = {127, 2, 4, -2, 0, -127, 0};
    CHECK_OK(bn_bitlinear_quantize_activations(x2, 1, 7, q, &s));
    CHECK(memcmp(q, want2, 7) == 0);
    CHECK(s == 0.5f);
    /* all zeros: s = 127 / 1e-5, codes 0; tiny values scale up to 127 */
    const float z[3] = {0.0f, 0.0f, 0.0f};
    CHECK_OK(bn_bitlinear_quantize_activations(z, 1, 3, q, &s));
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0 && s == (1.0f / 1e-5f) * 127.0f);
    const float t[2] = {1e-3f, -1e-3f};
    CHECK_OK(bn_bitlinear_quantize_activations(t, 1, 2, q, &s));
    CHECK(q[0] == 127 && q[1] == -127);
    /* every kernel agrees with the formula on random rows of odd lengths, with padding zeroed */
    for (int64_t k = 1; k <= 100; k += 3) {
        float xr[100];
        int8_t qr[112], qw[112];
        float sr, sw;
        for (int64_t i = 0; i < k; i++) xr[i] = frand() * 3.0f;
        if (k > 5) xr[k / 2] = 0.5f * (float)(k % 4); /* occasional exact ties */
        ref_quant(xr, k, qr, &sr);
        for (int i = 0; i < g_nkern; i++) {
            int32_t sum, want_sum = 0;
            memset(qw, 0x55, sizeof qw);
            g_kern[i]->quant(xr, k, (k + 15) / 16 * 16, qw, &sw, &sum);
            for (int64_t j = 0; j < k; j++) want_sum += qr[j];
            int pad_ok = 1;
            for (int64_t j = k; j < (k + 15) / 16 * 16; j++) pad_ok &= qw[j] == 0;
            CHECK(memcmp(qw, qr, (size_t)k) == 0 && sw == sr && sum == want_sum && pad_ok);
        }
    }
    /* NaN gives code 0 and is skipped by the max */
    const float xn[4] = {NAN, 127.0f, -64.0f, 1.0f};
    for (int i = 0; i < g_nkern; i++) {
        int32_t sum;
        g_kern[i]->quant(xn, 4, 16, q, &s, &sum);
        CHECK(q[0] == 0 && q[1] == 127 && q[2] == -64 && q[3] == 1 && s == 1.0f);
    }
}

static void test_threads_equal(void) {
    static const int64_t shapes[][3] = {{640, 2560, 1}, {257, 700, 128}, {1000, 96, 7}, {48, 4000, 33}};
    for (int s = 0; s < 4; s++) {
        const int64_t n = shapes[s][0], k = shapes[s][1], m = shapes[s][2];
        float *x = malloc((size_t)(m * k) * sizeof(float));
        float *y1 = malloc((size_t)(m * n) * sizeof(float)), *y2 = malloc((size_t)(m * n) * sizeof(float));
        int8_t *w = malloc((size_t)(n * k));
        fill_w(w, n, k, W_RANDOM);
        for (int64_t i = 0; i < m * k; i++) x[i] = frand();
        float ws = 0.37f;
        bn_bitlinear *bl = NULL;
        CHECK_OK(bn_bitlinear_new_from_ternary(g_ctx1, w, n, k, &ws, 0, &bl));
        if (bl) {
            CHECK_OK(bn_bitlinear_forward(g_ctx1, bl, x, m, y1));
            CHECK_OK(bn_bitlinear_forward(g_ctx2, bl, x, m, y2));
            CHECK(memcmp(y1, y2, (size_t)(m * n) * sizeof(float)) == 0);
            /* and against the reference */
            int8_t *q = malloc((size_t)(m * k));
            float *xs = malloc((size_t)m * sizeof(float)), *yr = malloc((size_t)(m * n) * sizeof(float));
            for (int64_t i = 0; i < m; i++) ref_quant(x + i * k, k, q + i * k, &xs[i]);
            ref_forward(w, &ws, 0, n, k, q, xs, m, yr);
            CHECK(memcmp(y1, yr, (size_t)(m * n) * sizeof(float)) == 0);
            /* caller workspace, and pre-quantized activations, give the same */
            size_t wb = bn_bitlinear_workspace_size(bl, m);
            void *work = malloc(wb);
            memset(y2, 0, (size_t)(m * n) * sizeof(float));
            CHECK_OK(bn_bitlinear_forward_ws(g_ctx2, bl, x, m, y2, work, wb));
            CHECK(memcmp(y1, y2, (size_t)(m * n) * sizeof(float)) == 0);
            memset(y2, 0, (size_t)(m * n) * sizeof(float));
            CHECK_OK(bn_bitlinear_forward_q8(g_ctx2, bl, q, xs, m, y2, NULL, 0));
            CHECK(memcmp(y1, y2, (size_t)(m * n) * sizeof(float)) == 0);
            memset(y2, 0, (size_t)(m * n) * sizeof(float));
            CHECK_OK(bn_bitlinear_forward_q8(g_ctx1, bl, q, xs, m, y2, work, wb));
            CHECK(memcmp(y1, y2, (size_t)(m * n) * sizeof(float)) == 0);
            CHECK_ERR(bn_bitlinear_forward_ws(g_ctx1, bl, x, m, y2, work, wb - 1), BN_ERR_INVALID_ARGUMENT,
                      "workspace");
            free(work);
            free(q);
            free(xs);
            free(yr);
        }
        bn_bitlinear_free(bl);
        free(x);
        free(y1);
        free(y2);
        free(w);
    }
}

static void test_from_f32(void) {
    /* mean |W| = (0.2 + 0.6 + 1.0 + 0 + 0.3 + 0.9) / 6 = 0.5: s = 2,
     * W * s = 0.4, -1.2, 2.0, 0, 0.6, -1.8 -> 0, -1, 1, 0, 1, -1 */
    const float wf[6] = {0.2f, -0.6f, 1.0f, 0.0f, 0.3f, -0.9f};
    const int8_t want[6] = {0, -1, 1, 0, 1, -1};
    bn_bitlinear *bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_f32(g_ctx1, wf, 2, 3, 0, &bl));
    if (bl) {
        int8_t v[6];
        float sc = 0.0f;
        CHECK_OK(bn_bitlinear_to_ternary(bl, v, &sc));
        CHECK(memcmp(v, want, 6) == 0);
        CHECK(sc == 1.0f / (1.0f / 0.5f));
        CHECK(bn_bitlinear_rows(bl) == 2 && bn_bitlinear_cols(bl) == 3 && !bn_bitlinear_per_row(bl));
        bn_bitlinear_free(bl);
    }
    /* per row: row 0 mean 0.6 (s = 1/0.6), row 1 mean 0.4 (s = 2.5):
     * row 0: 0.333, -1, 1.667 -> 0, -1, 1; row 1: 0, 0.75, -2.25 -> 0, 1, -1 */
    CHECK_OK(bn_bitlinear_new_from_f32(g_ctx1, wf, 2, 3, 1, &bl));
    if (bl) {
        int8_t v[6];
        float sc[2];
        CHECK_OK(bn_bitlinear_to_ternary(bl, v, sc));
        const int8_t want2[6] = {0, -1, 1, 0, 1, -1};
        CHECK(memcmp(v, want2, 6) == 0);
        CHECK(bn_bitlinear_per_row(bl));
        CHECK(sc[0] == 1.0f / (1.0f / fmaxf((float)((0.2 + 0.6 + 1.0) / 3.0), 1e-5f)));
        bn_bitlinear_free(bl);
    }
    const float bad[2] = {1.0f, NAN};
    CHECK_ERR(bn_bitlinear_new_from_f32(g_ctx1, bad, 1, 2, 0, &bl), BN_ERR_INVALID_ARGUMENT, "not finite");
}

static void test_tensor_and_errors(void) {
    const int64_t n = 24, k = 40;
    int8_t w[24 * 40];
    fill_w(w, n, k, W_RANDOM);
    float ws = 2.0f;
    bn_bitlinear *bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_ternary(g_ctx2, w, n, k, &ws, 0, &bl));
    if (bl == NULL) return;
    const int64_t shape[3] = {2, 3, 40};
    bn_tensor *x = NULL, *y = NULL;
    CHECK_OK(bn_tensor_randn(g_ctx2, BN_DTYPE_F32, 3, shape, 0.0, 1.0, &x));
    CHECK_OK(bn_bitlinear_forward_tensor(g_ctx2, bl, x, &y));
    if (y) {
        CHECK(bn_tensor_ndim(y) == 3 && bn_tensor_dim(y, 0) == 2 && bn_tensor_dim(y, 1) == 3 &&
              bn_tensor_dim(y, 2) == 24);
        float yd[6 * 24];
        CHECK_OK(bn_bitlinear_forward(g_ctx2, bl, (const float *)bn_tensor_data(x), 6, yd));
        CHECK(memcmp(yd, bn_tensor_data(y), sizeof yd) == 0);
        bn_tensor_free(y);
        y = NULL;
    }
    /* a strided view: transpose the first two dimensions */
    bn_tensor *xt = NULL;
    CHECK_OK(bn_tensor_transpose(x, 0, 1, &xt));
    if (xt) {
        CHECK_OK(bn_bitlinear_forward_tensor(g_ctx2, bl, xt, &y));
        if (y) {
            float yd[24];
            const float *xd = (const float *)bn_tensor_data(x);
            CHECK_OK(bn_bitlinear_forward(g_ctx2, bl, xd + 1 * 40, 1, yd)); /* x[0][1] -> y[1][0] */
            CHECK(memcmp(yd, (const float *)bn_tensor_data(y) + 2 * 24, sizeof yd) == 0);
            bn_tensor_free(y);
            y = NULL;
        }
        bn_tensor_free(xt);
    }
    const int64_t bad_shape[2] = {2, 41};
    bn_tensor *xb = NULL, *xi = NULL;
    CHECK_OK(bn_tensor_zeros(g_ctx2, BN_DTYPE_F32, 2, bad_shape, &xb));
    CHECK_ERR(bn_bitlinear_forward_tensor(g_ctx2, bl, xb, &y), BN_ERR_SHAPE, "[..., 40]");
    CHECK_OK(bn_tensor_zeros(g_ctx2, BN_DTYPE_I32, 2, shape + 1, &xi));
    CHECK_ERR(bn_bitlinear_forward_tensor(g_ctx2, bl, xi, &y), BN_ERR_DTYPE, "want f32");
    bn_tensor_free(xb);
    bn_tensor_free(xi);
    bn_tensor_free(x);

    float xf[40] = {0}, yf[24];
    CHECK_ERR(bn_bitlinear_forward(NULL, bl, xf, 1, yf), BN_ERR_INVALID_ARGUMENT, "ctx");
    CHECK_ERR(bn_bitlinear_forward(g_ctx1, NULL, xf, 1, yf), BN_ERR_INVALID_ARGUMENT, "w is NULL");
    CHECK_ERR(bn_bitlinear_forward(g_ctx1, bl, xf, -1, yf), BN_ERR_SHAPE, "m = -1");
    CHECK_OK(bn_bitlinear_forward(g_ctx1, bl, NULL, 0, NULL));
    const int8_t q8[40] = {0};
    const float zero = 0.0f;
    CHECK_ERR(bn_bitlinear_forward_q8(g_ctx1, bl, q8, &zero, 1, yf, NULL, 0), BN_ERR_INVALID_ARGUMENT, "non-zero");
    CHECK_OK(bn_bitlinear_reserve(bl, 64));
    bn_bitlinear_free(bl);

    bn_bitlinear *b2 = NULL;
    w[5] = 2;
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, w, n, k, &ws, 0, &b2), BN_ERR_INVALID_ARGUMENT, "w[5] = 2");
    w[5] = 0;
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, w, 0, k, &ws, 0, &b2), BN_ERR_SHAPE, "n = 0");
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, w, n, 0, &ws, 0, &b2), BN_ERR_SHAPE, "k = 0");
    const float inf = INFINITY;
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, w, n, k, &inf, 0, &b2), BN_ERR_INVALID_ARGUMENT, "finite");
    CHECK_ERR(bn_bitlinear_new_from_ternary(g_ctx1, NULL, n, k, &ws, 0, &b2), BN_ERR_INVALID_ARGUMENT, "w is NULL");
    CHECK(b2 == NULL);
    bn_bitlinear_free(NULL);
}

static void test_dispatch(void) {
    const char *env = getenv("BITNET_ISA");
    const char *name = bn_bitlinear_kernel_name();
    CHECK(name != NULL && bni_bl_kernels_by_name(name) == bni_bl_kernels_get());
    if (env == NULL) return;
    const bn_isa isa = bn_cpu_isa();
    if (isa == BN_ISA_SCALAR || isa == BN_ISA_SSE41) CHECK(strcmp(name, "scalar") == 0);
    if (isa == BN_ISA_AVX2) CHECK(strcmp(name, "avx2") == 0);
    if (isa == BN_ISA_AVX512)
        CHECK(strcmp(name, "avx512vnni") == 0 || ((bn_cpu_features() & BN_CPU_AVX512VNNI) == 0 &&
                                                  strcmp(name, "avx2") == 0));
    if (isa == BN_ISA_NEON) CHECK(strncmp(name, "neon", 4) == 0);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx1) != BN_OK) return 1;
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx2) != BN_OK) return 1;
    if (getenv("BITNET_ISA") != NULL) {
        g_kern[g_nkern++] = bni_bl_kernels_by_name("scalar");
        if (bni_bl_kernels_get() != g_kern[0]) g_kern[g_nkern++] = bni_bl_kernels_get();
    } else {
        g_nkern = bni_bl_kernels_all(g_kern, 8);
    }
    printf("kernels:");
    for (int i = 0; i < g_nkern; i++) printf(" %s", g_kern[i]->name);
    printf("\n");
    test_dispatch();
    test_quant_hand();
    test_small_shapes();
    test_adversarial();
    test_large_shapes();
    test_overflow();
    test_threads_equal();
    test_from_f32();
    test_tensor_and_errors();
    bn_ctx_free(g_ctx1);
    bn_ctx_free(g_ctx2);
    return bt_summary("test_bitlinear");
}
