/* RMSNorm and LayerNorm against a float64 reference on random shapes,
 * f32/f64/f16/bf16, with and without weight and bias, strided inputs and
 * rows not a multiple of the vector width; LlamaRMSNorm's rounding for
 * bf16 (normalized value rounded before the weight); in place; errors. */
#include <stdlib.h>

#include "cpu/reduce_kernels.h"
#include "reduce_test_util.h"

static bn_ctx *g_ctx;

/* Max error of y against the f64 formula, relative to max(|ref|, 1). */
static double check_norm(const bn_tensor *x, const bn_tensor *w, const bn_tensor *b, double eps, int layer,
                         const bn_tensor *y) {
    int nd = bn_tensor_ndim(x);
    int64_t d = bn_tensor_shape(x)[nd - 1], rows = d ? bn_tensor_numel(x) / d : 0;
    double *v = malloc((size_t)(d + 1) * 8), worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double s = 0, ss = 0;
        for (int64_t i = 0; i < d; i++) {
            v[i] = rt_get(x, r * d + i);
            s += v[i];
            ss += v[i] * v[i];
        }
        double mean = s / (double)d, var = 0;
        for (int64_t i = 0; i < d; i++) var += (v[i] - mean) * (v[i] - mean);
        var /= (double)d;
        for (int64_t i = 0; i < d; i++) {
            double ref = layer ? (v[i] - mean) / sqrt(var + eps) : v[i] / sqrt(ss / (double)d + eps);
            if (w) ref *= rt_get(w, i);
            if (b) ref += rt_get(b, i);
            double got = rt_get(y, r * d + i);
            double e = fabs(got - ref) / fmax(fabs(ref), 1.0);
            if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
        }
    }
    free(v);
    return worst;
}

static void test_random(void) {
    const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16};
    int cases = 0;
    for (int di = 0; di < 4; di++) {
        bn_dtype dt = dts[di];
        double tol = dt == BN_DTYPE_F32 ? 2e-6 : dt == BN_DTYPE_F64 ? 1e-13 : dt == BN_DTYPE_F16 ? 2e-3 : 1.6e-2;
        for (int rep = 0; rep < 50; rep++) {
            int nd = 1 + rt_int(3);
            int64_t sh[BN_MAX_DIMS];
            for (int i = 0; i < nd; i++) sh[i] = 1 + rt_int(6);
            sh[nd - 1] = 1 + rt_int(rep % 4 == 0 ? 700 : 70);
            if (rep % 13 == 0) sh[0] = 0;
            int kind = rt_int(4);
            bn_tensor *x = rt_view(g_ctx, dt, nd, sh, kind, -3, 3, 0, 0);
            int64_t d = sh[nd - 1];
            bn_dtype wdt = rt_int(2) ? dt : BN_DTYPE_F32;
            bn_tensor *w = rt_int(3) ? rt_view(g_ctx, wdt, 1, &d, rt_int(2), 0.5, 1.5, 0, 0) : NULL;
            bn_tensor *b = rt_int(2) ? rt_tensor(g_ctx, wdt, 1, &d, -1, 1, 0, 0) : NULL;
            double eps = rt_int(2) ? 1e-5 : 1e-6;
            for (int layer = 0; layer < 2; layer++) {
                bn_tensor *y = NULL;
                bn_status st = layer ? bn_layer_norm(x, w, b, eps, &y) : bn_rms_norm(x, w, eps, &y);
                CHECK(st == BN_OK);
                if (st == BN_OK) {
                    /* bf16/f16 RMSNorm with a weight rounds twice (as LlamaRMSNorm) */
                    double t = tol * (!layer && w && dt != BN_DTYPE_F32 && dt != BN_DTYPE_F64 ? 2 : 1);
                    double e = check_norm(x, w, layer ? b : NULL, eps, layer, y);
                    if (!(e <= t))
                        printf("  %s %s d %lld kind %d w %d: error %.3g\n", layer ? "layer_norm" : "rms_norm",
                               bn_dtype_name(dt), (long long)d, kind, w != NULL, e);
                    CHECK(e <= t);
                    CHECK(bn_tensor_dtype(y) == dt);
                }
                bn_tensor_free(y);
                cases++;
            }
            bn_tensor_free(x);
            bn_tensor_free(w);
            bn_tensor_free(b);
        }
    }
    printf("%d random cases\n", cases);
}

/* f32 RMSNorm is LlamaRMSNorm's sequence of f32 roundings: with the same
 * mean square (all ones scaled: exact), results are exact products. */
static void test_llama_rounding(void) {
    int64_t d = 4096;
    float *xv = malloc(4096 * 4), *wv = malloc(4096 * 4);
    for (int i = 0; i < 4096; i++) {
        xv[i] = (i % 2 ? -1.0f : 1.0f) * 0.5f;
        wv[i] = (float)rt_unif(0.5, 1.5);
    }
    bn_tensor *x = NULL, *w = NULL, *y = NULL;
    bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &d, xv, 4096 * 4, &x);
    bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &d, wv, 4096 * 4, &w);
    CHECK_OK(bn_rms_norm(x, w, 1e-5, &y));
    float var = 0.25f, r = 1.0f / sqrtf(var + (float)1e-5);
    int same = 1;
    for (int i = 0; i < 4096; i++) {
        float h = xv[i] * r;
        same &= ((float *)bn_tensor_data(y))[i] == wv[i] * h;
    }
    CHECK(same);
    bn_tensor_free(y);
    /* bf16 input and bf16 weight: h rounded to bf16, then w * h rounded to bf16 */
    bn_tensor *xb = NULL, *wb = NULL;
    bn_tensor_cast(x, BN_DTYPE_BF16, &xb);
    bn_tensor_cast(w, BN_DTYPE_BF16, &wb);
    CHECK_OK(bn_rms_norm(xb, wb, 1e-5, &y));
    same = 1;
    for (int i = 0; i < 4096; i++) {
        float h = bn_bf16_to_f32(bn_f32_to_bf16(xv[i] * r));
        float ww = bn_bf16_to_f32(bn_f32_to_bf16(wv[i]));
        same &= ((uint16_t *)bn_tensor_data(y))[i] == bn_f32_to_bf16(ww * h);
    }
    CHECK(same);
    bn_tensor_free(y);
    /* in place */
    CHECK_OK(bn_rms_norm_into(x, NULL, 0, x));
    CHECK_NEAR(((float *)bn_tensor_data(x))[0], 1.0, 1e-6);
    CHECK_OK(bn_layer_norm_into(xb, wb, NULL, 1e-5, xb));
    /* errors */
    int64_t d3 = 3;
    bn_tensor *w3 = NULL, *xi = NULL, *z = NULL;
    bn_tensor_ones(g_ctx, BN_DTYPE_F32, 1, &d3, &w3);
    CHECK_ERR(bn_rms_norm(x, w3, 1e-5, &y), BN_ERR_SHAPE, "[3]");
    CHECK_ERR(bn_layer_norm(x, NULL, w3, 1e-5, &y), BN_ERR_SHAPE, "bias");
    bn_tensor_ones(g_ctx, BN_DTYPE_I32, 1, &d, &xi);
    CHECK_ERR(bn_rms_norm(xi, NULL, 1e-5, &y), BN_ERR_DTYPE, "i32");
    CHECK_ERR(bn_rms_norm(x, xi, 1e-5, &y), BN_ERR_DTYPE, "weight");
    CHECK_ERR(bn_rms_norm(x, NULL, -1, &y), BN_ERR_INVALID_ARGUMENT, "eps");
    bn_tensor_full(g_ctx, BN_DTYPE_F32, 0, NULL, 1, &z);
    CHECK_ERR(bn_layer_norm(z, NULL, NULL, 1e-5, &y), BN_ERR_SHAPE, "0-d");
    CHECK_ERR(bn_rms_norm_into(x, w, 1e-5, w3), BN_ERR_SHAPE, "");
    bn_tensor_free(w3);
    bn_tensor_free(xi);
    bn_tensor_free(z);
    bn_tensor_free(xb);
    bn_tensor_free(wb);
    bn_tensor_free(x);
    bn_tensor_free(w);
    free(xv);
    free(wv);
}

/* An output of 64 MiB (4096 rows of 4096 f32) takes the streaming
 * multi-row kernel on 2 threads; it must give the one-row kernel's bits. */
static void test_streamed(void) {
    int64_t sh[2] = {4096, 4096}, d = 4096;
    size_t n = 4096;
    bn_tensor *x = rt_tensor(g_ctx, BN_DTYPE_F32, 2, sh, -3, 3, 0, 0), *w = rt_tensor(g_ctx, BN_DTYPE_F32, 1, &d, 0.5, 1.5, 0, 0);
    bn_tensor *y = NULL;
    CHECK(x != NULL && w != NULL);
    if (!x || !w) return;
    CHECK_OK(bn_rms_norm(x, w, 1e-5, &y));
    const float *xp = (const float *)bn_tensor_data(x), *wp = (const float *)bn_tensor_data(w);
    const float *yp = y ? (const float *)bn_tensor_data(y) : NULL;
    float *ref = malloc(n * 4);
    const bni_reduce_kernels *k = bni_reduce_kernels_get();
    int bad = 0;
    for (size_t r = 0; yp && r < n; r++) {
        k->rms_norm_f32(xp + r * n, wp, 1e-5f, ref, n);
        if (memcmp(ref, yp + r * n, n * 4)) bad++;
    }
    CHECK(yp && bad == 0);
    free(ref);
    bn_tensor_free(y);
    bn_tensor_free(w);
    bn_tensor_free(x);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_random();
    test_llama_rounding();
    test_streamed();
    bn_ctx_free(g_ctx);
    return bt_summary("test_ops_norm");
}
