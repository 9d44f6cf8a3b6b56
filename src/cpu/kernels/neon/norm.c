/* neon RMSNorm row: the reference's operations (cpu/kernels/scalar/norm.c)
 * with the products vectorized; results equal the scalar kernel's. */
#include <math.h>
#include <arm_neon.h>

#include "cpu/reduce_kernels.h"

void bni_rms_norm_f32_neon(const float *x, const float *w, float eps, float *y, size_t n) {
    float var = bni_sumsq_f32_neon(x, n) / (float)n;
    float r = 1.0f / sqrtf(var + eps);
    float32x4_t vr = vdupq_n_f32(r);
    size_t i = 0;
    if (w) {
        for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(w + i), vmulq_f32(vld1q_f32(x + i), vr)));
        for (; i < n; i++) {
            float h = x[i] * r;
            y[i] = w[i] * h;
        }
    } else {
        for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(x + i), vr));
        for (; i < n; i++) y[i] = x[i] * r;
    }
}
