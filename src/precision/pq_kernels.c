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

/* The tensor module's rounding: rint (half to even), clamp, NaN -> 0. */
static inline int round_clamp(float q, float lo, float hi) {
    float c = q > lo - 1.0f ? q : lo - 1.0f;
    c = c < hi + 1.0f ? c : hi + 1.0f;
    c = (c + 12582912.0f) - 12582912.0f; /* rint for |c| < 2^22 */
    c = c > lo ? c : lo;
    c = c < hi ? c : hi;
    return (int)(q == q ? c : 0.0f);
}

void bni_pq_codes_scalar(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes) {
    for (int64_t i = 0; i < n; i++) codes[i] = (int8_t)round_clamp(x[i] / scale, lo, hi);
}

/* clamp(rint(q), -1, 1) + 1 with NaN -> 0, without branches: rint (half to
 * even) gives 1 or more exactly for q > 0.5 (0.5 itself rounds to 0), -1 or
 * less exactly for q < -0.5, and NaN compares false both ways. Equal to
 * round_clamp(q, -1, 1) + 1 for every q (test_pq_kernels checks it against
 * the tensor module's cast). */
static inline unsigned ternary_field(float q) { return 1u + (unsigned)(q > 0.5f) - (unsigned)(q < -0.5f); }

#define PQ_BLOCK 512 /* fields per round: simple loops the compiler can vectorize */

void bni_pq_ternary_scalar(const float *x, int64_t n, float inv, uint8_t *dst) {
    uint8_t f[PQ_BLOCK];
    n &= ~(int64_t)3;
    for (int64_t i0 = 0; i0 < n; i0 += PQ_BLOCK) {
        int m = (int)(n - i0 < PQ_BLOCK ? n - i0 : PQ_BLOCK);
        const float *xs = x + i0;
        for (int i = 0; i < m; i++) f[i] = (uint8_t)ternary_field(xs[i] * inv);
        uint8_t *d = dst + i0 / 4;
        for (int j = 0; j < m / 4; j++)
            d[j] = (uint8_t)(f[4 * j] | f[4 * j + 1] << 2 | f[4 * j + 2] << 4 | f[4 * j + 3] << 6);
    }
}

void bni_pq_binary_scalar(const float *x, int64_t n, uint8_t *dst) {
    uint8_t f[PQ_BLOCK];
    n &= ~(int64_t)7;
    for (int64_t i0 = 0; i0 < n; i0 += PQ_BLOCK) {
        int m = (int)(n - i0 < PQ_BLOCK ? n - i0 : PQ_BLOCK);
        const float *xs = x + i0;
        for (int i = 0; i < m; i++) f[i] = (uint8_t)(xs[i] >= 0.0f);
        uint8_t *d = dst + i0 / 8;
        for (int j = 0; j < m / 8; j++) {
            const uint8_t *b = f + 8 * j;
            d[j] = (uint8_t)(b[0] | b[1] << 1 | b[2] << 2 | b[3] << 3 | b[4] << 4 | b[5] << 5 | b[6] << 6 | b[7] << 7);
        }
    }
}

static const bni_pq_kernels k_scalar = {bni_pq_absmax_scalar, bni_pq_codes_scalar, bni_pq_ternary_scalar,
                                        bni_pq_binary_scalar, "scalar"};
#if defined(__x86_64__) || defined(_M_X64)
static const bni_pq_kernels k_avx2 = {bni_pq_absmax_avx2, bni_pq_codes_avx2, bni_pq_ternary_avx2, bni_pq_binary_avx2,
                                      "avx2"};
static const bni_pq_kernels k_avx512 = {bni_pq_absmax_avx512, bni_pq_codes_avx512, bni_pq_ternary_avx512,
                                        bni_pq_binary_avx512, "avx512"};
#endif
#if defined(__aarch64__)
static const bni_pq_kernels k_neon = {bni_pq_absmax_neon, bni_pq_codes_neon, bni_pq_ternary_neon, bni_pq_binary_neon,
                                      "neon"};
#endif

const bni_pq_kernels *bni_pq_kernels_for_isa(bn_isa isa) {
    if (!bn_cpu_supports_isa(isa)) return NULL;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == BN_ISA_AVX2) return &k_avx2;
    if (isa == BN_ISA_AVX512) return &k_avx512;
#endif
#if defined(__aarch64__)
    if (isa == BN_ISA_NEON) return &k_neon;
#endif
    return &k_scalar;
}

const bni_pq_kernels *bni_pq_kernels_get(void) {
    const bni_pq_kernels *k = bni_pq_kernels_for_isa(bn_cpu_isa());
    return k ? k : &k_scalar;
}
