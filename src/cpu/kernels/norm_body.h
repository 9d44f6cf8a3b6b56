/* RMSNorm rows for one ISA (the scalar reference included), written once
 * over that ISA's vector layer. Include after the ISA's vmath.h with
 * `#define BNV_ISA <isa>`; defines bni_rms_norm_f32_<isa> and
 * bni_rms_norm_rows_f32_<isa>.
 *
 * Per row (LlamaRMSNorm in f32): r = 1 / sqrtf(sumsq(x) / n + eps) with the
 * ISA's pairwise sum of squares (bit-identical on every ISA), then
 * y = w * (x * r), two roundings, no fused multiply-add, so every ISA gives
 * the scalar kernel's bits. The row is read from memory once: the sum of
 * squares brings it into cache (a row of 4096 f32 is 16 KiB) and the scale
 * pass reads it from there. While scaling row j the kernel prefetches row
 * j + 1, so the next sum of squares does not wait for memory; with
 * `stream` the output is written with non-temporal stores (no read for
 * ownership of lines that are only written, for outputs far larger than
 * the caches). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/reduce_kernels.h"

#define BNN_CAT_(a, b) a##_##b
#define BNN_CAT(a, b) BNN_CAT_(a, b)
#define BNN_FN(name) BNN_CAT(name, BNV_ISA)

/* y = w * (x * r) (w NULL: x * r); pf: the next row, prefetched one cache
 * line per 16 elements. */
static void norm_scale(const float *x, const float *w, float r, float *y, size_t n, int stream, const float *pf) {
    bnv_f vr = bnv_set1(r);
    size_t i = 0;
    if (stream)
        for (; i < n && ((uintptr_t)(y + i) & (BNV_W * sizeof(float) - 1)); i++) {
            float h = x[i] * r;
            y[i] = w ? w[i] * h : h;
        }
    for (; i + BNV_W <= n; i += BNV_W) {
        if (pf && (i & 15) == 0) __builtin_prefetch(pf + i, 0, 3);
        bnv_f h = bnv_mul(bnv_loadu(x + i), vr);
        if (w) h = bnv_mul(bnv_loadu(w + i), h);
        if (stream) bnv_stream(y + i, h);
        else bnv_storeu(y + i, h);
    }
    for (; i < n; i++) {
        float h = x[i] * r;
        y[i] = w ? w[i] * h : h;
    }
}

void BNN_FN(bni_rms_norm_rows_f32)(const float *x, const float *w, float eps, float *y, size_t n, size_t rows,
                                   int stream) {
    for (size_t j = 0; j < rows; j++) {
        const float *xr = x + j * n;
        float var = BNN_FN(bni_sumsq_f32)(xr, n) / (float)n;
        float r = 1.0f / sqrtf(var + eps);
        norm_scale(xr, w, r, y + j * n, n, stream, j + 1 < rows ? xr + n : NULL);
    }
    if (stream) bnv_stream_fence();
}

void BNN_FN(bni_rms_norm_f32)(const float *x, const float *w, float eps, float *y, size_t n) {
    BNN_FN(bni_rms_norm_rows_f32)(x, w, eps, y, n, 1, 0);
}
