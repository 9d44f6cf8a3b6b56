/* AVX2 f32 row reductions: 4 x 8 lanes in the reference order of
 * cpu/reduce_kernels.h (bit-identical to the scalar kernels). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/reduce_kernels.h"

/* Fold lanes 0..31 held in a0..a3 (8 each) exactly as bni_fold32. */
static inline float fold(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 b0 = _mm256_add_ps(a0, a2), b1 = _mm256_add_ps(a1, a3);
    __m256 c = _mm256_add_ps(b0, b1);
    __m128 d = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
    __m128 e = _mm_add_ps(d, _mm_movehl_ps(d, d));
    __m128 f = _mm_add_ss(e, _mm_shuffle_ps(e, e, 1));
    return _mm_cvtss_f32(f);
}

#define BLOCK_FN(name, LOAD)                                                                  \
    static float name(const float *x, size_t n) {                                            \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                           \
        size_t i = 0;                                                                         \
        for (; i + 32 <= n; i += 32) {                                                        \
            a0 = _mm256_add_ps(a0, LOAD(x + i));                                              \
            a1 = _mm256_add_ps(a1, LOAD(x + i + 8));                                          \
            a2 = _mm256_add_ps(a2, LOAD(x + i + 16));                                         \
            a3 = _mm256_add_ps(a3, LOAD(x + i + 24));                                         \
        }                                                                                     \
        if (i < n) {                                                                          \
            float t[32] = {0};                                                                \
            memcpy(t, x + i, (n - i) * sizeof(float));                                        \
            a0 = _mm256_add_ps(a0, LOAD(t));                                                  \
            a1 = _mm256_add_ps(a1, LOAD(t + 8));                                              \
            a2 = _mm256_add_ps(a2, LOAD(t + 16));                                             \
            a3 = _mm256_add_ps(a3, LOAD(t + 24));                                             \
        }                                                                                     \
        return fold(a0, a1, a2, a3);                                                          \
    }

#define LD(p) _mm256_loadu_ps(p)
#define LDSQ(p) sq(_mm256_loadu_ps(p))
static inline __m256 sq(__m256 v) { return _mm256_mul_ps(v, v); }

BLOCK_FN(block_sum, LD)
BLOCK_FN(block_sumsq, LDSQ)

float bni_sum_f32_avx2(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sum); }

float bni_sumsq_f32_avx2(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sumsq); }

#define MINMAX_FN(name, OP, SCAL)                                                             \
    float name(const float *x, size_t n) {                                                    \
        size_t i = 0;                                                                         \
        float m = x[0];                                                                       \
        if (n >= 16) {                                                                        \
            __m256 m0 = _mm256_loadu_ps(x), m1 = _mm256_loadu_ps(x + 8);                      \
            __m256 nan = _mm256_setzero_ps();                                                 \
            for (i = 0; i + 16 <= n; i += 16) {                                               \
                __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);          \
                nan = _mm256_or_ps(nan, _mm256_cmp_ps(v0, v1, _CMP_UNORD_Q));                 \
                m0 = OP(m0, v0);                                                              \
                m1 = OP(m1, v1);                                                              \
            }                                                                                 \
            if (_mm256_movemask_ps(nan)) return NAN;                                          \
            m0 = OP(m0, m1);                                                                  \
            float t[8];                                                                       \
            _mm256_storeu_ps(t, m0);                                                          \
            m = t[0];                                                                         \
            for (int j = 1; j < 8; j++) m = SCAL(m, t[j]);                                    \
        }                                                                                     \
        for (; i < n; i++) {                                                                  \
            if (isnan(x[i])) return x[i];                                                     \
            m = SCAL(m, x[i]);                                                                \
        }                                                                                     \
        return m;                                                                             \
    }

static inline float smax(float a, float b) { return b > a ? b : a; }
static inline float smin(float a, float b) { return b < a ? b : a; }

MINMAX_FN(bni_max_f32_avx2, _mm256_max_ps, smax)
MINMAX_FN(bni_min_f32_avx2, _mm256_min_ps, smin)
