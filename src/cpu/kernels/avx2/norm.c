/* avx2 RMSNorm row: the reference's operations (cpu/kernels/scalar/norm.c)
 * with the products vectorized; results equal the scalar kernel's. */
#include <math.h>
#include <immintrin.h>

#include "cpu/reduce_kernels.h"

void bni_rms_norm_f32_avx2(const float *x, const float *w, float eps, float *y, size_t n) {
    float var = bni_sumsq_f32_avx2(x, n) / (float)n;
    float r = 1.0f / sqrtf(var + eps);
    __m256 vr = _mm256_set1_ps(r);
    size_t i = 0;
    if (w) {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(w + i), _mm256_mul_ps(_mm256_loadu_ps(x + i), vr)));
        for (; i < n; i++) {
            float h = x[i] * r;
            y[i] = w[i] * h;
        }
    } else {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vr));
        for (; i < n; i++) y[i] = x[i] * r;
    }
}
