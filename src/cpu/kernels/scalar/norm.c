/* Reference RMSNorm row (transformers' LlamaRMSNorm in f32). */
#include <math.h>

#include "cpu/reduce_kernels.h"

void bni_rms_norm_f32_scalar(const float *x, const float *w, float eps, float *y, size_t n) {
    float var = bni_sumsq_f32_scalar(x, n) / (float)n;
    float r = 1.0f / sqrtf(var + eps);
    if (w) {
        for (size_t i = 0; i < n; i++) {
            float h = x[i] * r;
            y[i] = w[i] * h;
        }
    } else {
        for (size_t i = 0; i < n; i++) y[i] = x[i] * r;
    }
}
