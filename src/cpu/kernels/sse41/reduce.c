/* SSE4.1 f32 row reductions: 8 x 4 lanes in the reference order of
 * cpu/reduce_kernels.h (bit-identical to the scalar kernels). */
#include <math.h>
#include <smmintrin.h>
#include <string.h>

#include "cpu/reduce_kernels.h"

/* Fold lanes 0..31 held in a[0..7] (4 each) exactly as bni_fold32. */
static inline float fold(const __m128 *a) {
    __m128 b0 = _mm_add_ps(a[0], a[4]), b1 = _mm_add_ps(a[1], a[5]);
    __m128 b2 = _mm_add_ps(a[2], a[6]), b3 = _mm_add_ps(a[3], a[7]);
    __m128 c0 = _mm_add_ps(b0, b2), c1 = _mm_add_ps(b1, b3);
    __m128 d = _mm_add_ps(c0, c1);
    __m128 e = _mm_add_ps(d, _mm_movehl_ps(d, d));
    __m128 f = _mm_add_ss(e, _mm_shuffle_ps(e, e, 1));
    return _mm_cvtss_f32(f);
}

#define BLOCK_FN(name, LOAD)                                                    \
    static float name(const float *x, size_t n) {                              \
        __m128 a[8];                                                            \
        for (int k = 0; k < 8; k++) a[k] = _mm_setzero_ps();                    \
        size_t i = 0;                                                           \
        for (; i + 32 <= n; i += 32)                                            \
            for (int k = 0; k < 8; k++) a[k] = _mm_add_ps(a[k], LOAD(x + i + 4 * k)); \
        if (i < n) {                                                            \
            float t[32] = {0};                                                  \
            memcpy(t, x + i, (n - i) * sizeof(float));                          \
            for (int k = 0; k < 8; k++) a[k] = _mm_add_ps(a[k], LOAD(t + 4 * k)); \
        }                                                                       \
        return fold(a);                                                         \
    }

static inline __m128 sq(__m128 v) { return _mm_mul_ps(v, v); }
#define LD(p) _mm_loadu_ps(p)
#define LDSQ(p) sq(_mm_loadu_ps(p))

BLOCK_FN(block_sum, LD)
BLOCK_FN(block_sumsq, LDSQ)

float bni_sum_f32_sse41(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sum); }

float bni_sumsq_f32_sse41(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sumsq); }

#define MINMAX_FN(name, OP, SCAL)                                                   \
    float name(const float *x, size_t n) {                                          \
        size_t i = 0;                                                               \
        float m = x[0];                                                             \
        if (n >= 8) {                                                               \
            __m128 m0 = _mm_loadu_ps(x), m1 = _mm_loadu_ps(x + 4);                  \
            __m128 nan = _mm_setzero_ps();                                          \
            for (i = 0; i + 8 <= n; i += 8) {                                       \
                __m128 v0 = _mm_loadu_ps(x + i), v1 = _mm_loadu_ps(x + i + 4);      \
                nan = _mm_or_ps(nan, _mm_cmpunord_ps(v0, v1));                      \
                m0 = OP(m0, v0);                                                    \
                m1 = OP(m1, v1);                                                    \
            }                                                                       \
            if (_mm_movemask_ps(nan)) return NAN;                                   \
            m0 = OP(m0, m1);                                                        \
            float t[4];                                                             \
            _mm_storeu_ps(t, m0);                                                   \
            m = t[0];                                                               \
            for (int j = 1; j < 4; j++) m = SCAL(m, t[j]);                          \
        }                                                                           \
        for (; i < n; i++) {                                                        \
            if (isnan(x[i])) return x[i];                                           \
            m = SCAL(m, x[i]);                                                      \
        }                                                                           \
        return m;                                                                   \
    }

static inline float smax(float a, float b) { return b > a ? b : a; }
static inline float smin(float a, float b) { return b < a ? b : a; }

MINMAX_FN(bni_max_f32_sse41, _mm_max_ps, smax)
MINMAX_FN(bni_min_f32_sse41, _mm_min_ps, smin)
