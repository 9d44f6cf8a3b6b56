/* Reference f32 row reductions: the summation order every ISA follows
 * (see cpu/reduce_kernels.h). */
#include <math.h>

#include "cpu/reduce_kernels.h"

static float block_sum(const float *x, size_t n) {
    float l[BNI_SUM_LANES] = {0};
    for (size_t i = 0; i < n; i++) l[i % BNI_SUM_LANES] += x[i];
    return bni_fold32(l);
}

static float block_sumsq(const float *x, size_t n) {
    float l[BNI_SUM_LANES] = {0};
    for (size_t i = 0; i < n; i++) {
        float sq = x[i] * x[i];
        l[i % BNI_SUM_LANES] += sq;
    }
    return bni_fold32(l);
}

float bni_sum_f32_scalar(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sum); }

float bni_sumsq_f32_scalar(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sumsq); }

float bni_max_f32_scalar(const float *x, size_t n) {
    float m = x[0];
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return x[i];
        if (x[i] > m) m = x[i];
    }
    return m;
}

float bni_min_f32_scalar(const float *x, size_t n) {
    float m = x[0];
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return x[i];
        if (x[i] < m) m = x[i];
    }
    return m;
}
