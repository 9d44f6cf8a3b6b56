/* NEON f32 row reductions: 8 x 4 lanes in the reference order of
 * cpu/reduce_kernels.h (bit-identical to the scalar kernels). */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "cpu/reduce_kernels.h"

/* Fold lanes 0..31 held in a[0..7] (4 each) exactly as bni_fold32. */
static inline float fold(const float32x4_t *a) {
    float32x4_t b0 = vaddq_f32(a[0], a[4]), b1 = vaddq_f32(a[1], a[5]);
    float32x4_t b2 = vaddq_f32(a[2], a[6]), b3 = vaddq_f32(a[3], a[7]);
    float32x4_t c0 = vaddq_f32(b0, b2), c1 = vaddq_f32(b1, b3);
    float32x4_t d = vaddq_f32(c0, c1);
    float32x2_t e = vadd_f32(vget_low_f32(d), vget_high_f32(d));
    return vget_lane_f32(e, 0) + vget_lane_f32(e, 1);
}

static inline float32x4_t id(float32x4_t v) { return v; }
static inline float32x4_t sq(float32x4_t v) { return vmulq_f32(v, v); }

#define BLOCK_FN(name, F)                                                                \
    static float name(const float *x, size_t n) {                                       \
        float32x4_t a[8];                                                                \
        for (int k = 0; k < 8; k++) a[k] = vdupq_n_f32(0.0f);                            \
        size_t i = 0;                                                                    \
        for (; i + 32 <= n; i += 32)                                                     \
            for (int k = 0; k < 8; k++) a[k] = vaddq_f32(a[k], F(vld1q_f32(x + i + 4 * k))); \
        if (i < n) {                                                                     \
            float t[32] = {0};                                                           \
            memcpy(t, x + i, (n - i) * sizeof(float));                                   \
            for (int k = 0; k < 8; k++) a[k] = vaddq_f32(a[k], F(vld1q_f32(t + 4 * k))); \
        }                                                                                \
        return fold(a);                                                                  \
    }

BLOCK_FN(block_sum, id)
BLOCK_FN(block_sumsq, sq)

float bni_sum_f32_neon(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sum); }

float bni_sumsq_f32_neon(const float *x, size_t n) { return bni_pairwise_f32(x, n, block_sumsq); }

#define MINMAX_FN(name, OP, RED, SCAL)                                                   \
    float name(const float *x, size_t n) {                                               \
        size_t i = 0;                                                                    \
        float m = x[0];                                                                  \
        if (n >= 8) {                                                                    \
            float32x4_t m0 = vld1q_f32(x), m1 = vld1q_f32(x + 4);                        \
            uint32x4_t ok = vdupq_n_u32(0xFFFFFFFFu);                                    \
            for (i = 0; i + 8 <= n; i += 8) {                                            \
                float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);            \
                ok = vandq_u32(ok, vandq_u32(vceqq_f32(v0, v0), vceqq_f32(v1, v1)));     \
                m0 = OP(m0, v0);                                                         \
                m1 = OP(m1, v1);                                                         \
            }                                                                            \
            if (vminvq_u32(ok) == 0) return NAN;                                         \
            m = RED(OP(m0, m1));                                                         \
        }                                                                                \
        for (; i < n; i++) {                                                             \
            if (isnan(x[i])) return x[i];                                                \
            m = SCAL(m, x[i]);                                                           \
        }                                                                                \
        return m;                                                                        \
    }

static inline float smax(float a, float b) { return b > a ? b : a; }
static inline float smin(float a, float b) { return b < a ? b : a; }

MINMAX_FN(bni_max_f32_neon, vmaxq_f32, vmaxvq_f32, smax)
MINMAX_FN(bni_min_f32_neon, vminq_f32, vminvq_f32, smin)
