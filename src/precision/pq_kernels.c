/* Scalar quantize kernels (the reference) and the per-ISA choice. */
#include "precision/pq_kernels.h"

#include <math.h>

float bni_pq_absmax_scalar(const float *x, int64_t n, int *nan) {
    float mx = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a != a) *nan = 1;
        else if (a > mx) mx = a;
    }
    return mx;
}

void bni_pq_codes_scalar(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes) {
    for (int64_t i = 0; i < n; i++) {
        float q = x[i] / scale;
        float c = q > lo - 1.0f ? q : lo - 1.0f;
        c = c < hi + 1.0f ? c : hi + 1.0f;
        c = (c + 12582912.0f) - 12582912.0f; /* rint for |c| < 2^22 */
        c = c > lo ? c : lo;
        c = c < hi ? c : hi;
        codes[i] = (int8_t)(int)(q == q ? c : 0.0f);
    }
}

static const bni_pq_kernels k_scalar = {bni_pq_absmax_scalar, bni_pq_codes_scalar, "scalar"};
#if defined(__x86_64__) || defined(_M_X64)
static const bni_pq_kernels k_avx2 = {bni_pq_absmax_avx2, bni_pq_codes_avx2, "avx2"};
#endif

const bni_pq_kernels *bni_pq_kernels_for_isa(bn_isa isa) {
    if (!bn_cpu_supports_isa(isa)) return NULL;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == BN_ISA_AVX2 || isa == BN_ISA_AVX512) return &k_avx2;
#endif
    return &k_scalar;
}

const bni_pq_kernels *bni_pq_kernels_get(void) {
    const bni_pq_kernels *k = bni_pq_kernels_for_isa(bn_cpu_isa());
    return k ? k : &k_scalar;
}
