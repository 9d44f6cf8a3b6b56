/* sse41 RMSNorm row: the reference's operations (cpu/kernels/scalar/norm.c)
 * with the products vectorized; results equal the scalar kernel's. */
#include <math.h>
#include <smmintrin.h>

#include "cpu/reduce_kernels.h"

void bni_rms_norm_f32_sse41(const float *x, const float *w, float eps, float *y, size_t n) {
    float var = bni_sumsq_f32_sse41(x, n) / (float)n;
    float r = 1.0f / sqrtf(var + eps);
    __m128 vr = _mm_set1_ps(r);
    size_t i = 0;
    if (w) {
        for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_mul_ps(_mm_loadu_ps(w + i), _mm_mul_ps(_mm_loadu_ps(x + i), vr)));
        for (; i < n; i++) {
            float h = x[i] * r;
            y[i] = w[i] * h;
        }
    } else {
        for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_mul_ps(_mm_loadu_ps(x + i), vr));
        for (; i < n; i++) y[i] = x[i] * r;
    }
}
