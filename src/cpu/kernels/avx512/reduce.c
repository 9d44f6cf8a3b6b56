/* AVX-512 f32 row reductions: 2 x 16 lanes in the reference order of
 * cpu/reduce_kernels.h (bit-identical to the scalar kernels). */
#include <immintrin.h>
#include <math.h>

#include "cpu/reduce_kernels.h"

/* Fold lanes 0..15 (a0) and 16..31 (a1) exactly as bni_fold32. */
static inline float fold(__m512 a0, __m512 a1) {
    __m512 b = _mm512_add_ps(a0, a1);
    __m256 c = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
    __m128 d = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
    __m128 e = _mm_add_ps(d, _mm_movehl_ps(d, d));
    __m128 f = _mm_add_ss(e, _mm_shuffle_ps(e, e, 1));
    return _mm_cvtss_f32(f);
}

static inline __m512 id(__m512 v) { return v; }
static inline __m512 sq(__m512 v) { return _mm512_mul_ps(v, v); }

/* Masked tail loads give zeros, the same as the reference's missing elements. */
#define BLOCK_FN(name, F)                                                                       \
    static float name(const float *x, size_t n) {                                              \
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;                                               \
        size_t i = 0;                                                                           \
        for (; i + 32 <= n; i += 32) {                                                          \
            a0 = _mm512_add_ps(a0, F(_mm512_loadu_ps(x + i)));                                  \
            a1 = _mm512_add_ps(a1, F(_mm512_loadu_ps(x + i + 16)));                             \
        }                                                                                       \
        if (i < n) {                                                                            \
            size_t r = n - i;                                                                   \
            __mmask16 k0 = (__mmask16)(r >= 16 ? 0xFFFFu : ((1u << r) - 1));                    \
            __mmask16 k1 = (__mmask16)(r <= 16 ? 0u : ((1u << (r - 16)) - 1));                 \
            a0 = _mm512_add_ps(a0, F(_mm512_maskz_loadu_ps(k0, x + i)));                        \
            a1 = _mm512_add_ps(a1, F(_mm512_maskz_loadu_ps(k1, x + i + 16)));                   \
        }                                                                                       \
        return fold(a0, a1);                                                                    \
    }

BLOCK_FN(block_sum, id)
BLOCK_FN(block_sumsq, sq)

float bni_sum_f32_avx512(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sum); }

float bni_sumsq_f32_avx512(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sumsq); }

#define MINMAX_FN(name, OP, RED, INIT)                                                          \
    float name(const float *x, size_t n) {                                                      \
        __m512 m0 = _mm512_set1_ps(INIT), m1 = m0;                                              \
        __mmask16 nan = 0;                                                                      \
        size_t i = 0;                                                                           \
        for (; i + 32 <= n; i += 32) {                                                          \
            __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);               \
            nan |= _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q);                                    \
            m0 = OP(m0, v0);                                                                    \
            m1 = OP(m1, v1);                                                                    \
        }                                                                                       \
        for (; i < n; i += 16) {                                                                \
            size_t r = n - i;                                                                   \
            __mmask16 k = (__mmask16)(r >= 16 ? 0xFFFFu : ((1u << r) - 1));                     \
            __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(INIT), k, x + i);                    \
            nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);                                      \
            m0 = OP(m0, v);                                                                     \
        }                                                                                       \
        if (nan) return NAN;                                                                    \
        return RED(OP(m0, m1));                                                                 \
    }

MINMAX_FN(bni_max_f32_avx512, _mm512_max_ps, _mm512_reduce_max_ps, -INFINITY)
MINMAX_FN(bni_min_f32_avx512, _mm512_min_ps, _mm512_reduce_min_ps, INFINITY)
