/* BitLinear with NEON dotprod (sdot). A 64-byte tile is four 16-byte
 * quarters, quarter q holding rows 4q .. 4q+3; for each s,
 * (quarter >> 2s) & 3 has in 32-bit lane i the codes of row 4q+i at
 * k = 16t + 4s .. +3, and vdotq_laneq_s32 against lane s of the 16
 * activations of the tile adds their 4 products to that row's sum.
 * Codes 0..2 are valid s8; |acc| <= 2^28 (bitlinear_kernels.h). Compiled
 * with +dotprod and only entered when the CPU has it; the baseline NEON
 * kernel lives in kernels/scalar/bitlinear.c. */
#include <arm_neon.h>

#include "cpu/bitlinear_kernels.h"

#define BL_INLINE static inline __attribute__((always_inline))

BL_INLINE void store4(const bni_bl_args *a, int64_t row0, int64_t m, int32x4_t acc) {
    if (row0 >= a->n) return;
    const int32x4_t d = vsubq_s32(acc, vdupq_n_s32(a->xsum[m]));
    const float32x4_t ws = vld1q_f32(a->wscale + row0);
    const float32x4_t f = vmulq_f32(vcvtq_f32_s32(d), vdivq_f32(ws, vdupq_n_f32(a->xscale[m])));
    float *y = a->y + m * a->ldy + row0;
    if (row0 + 4 <= a->n) {
        vst1q_f32(y, f);
    } else {
        float tmp[4];
        vst1q_f32(tmp, f);
        for (int64_t l = 0; row0 + l < a->n; l++) y[l] = tmp[l];
    }
}

/* T tokens (1..4) of one row block: 4T accumulators. */
BL_INLINE void mk(const bni_bl_args *a, int64_t b, int64_t m, const int T) {
    const uint8x16_t three = vdupq_n_u8(3);
    const uint8_t *wp = a->w + b * a->ktiles * BNI_BL_TILE;
    const int8_t *xp = a->x + m * a->ldx;
    const int64_t ldx = a->ldx;
    int32x4_t acc[4][4];
    for (int t = 0; t < T; t++)
        for (int q = 0; q < 4; q++) acc[t][q] = vdupq_n_s32(0);
    for (int64_t kt = 0; kt < a->ktiles; kt++) {
        const uint8_t *tile = wp + kt * BNI_BL_TILE;
        int8x16_t xv[4];
        for (int t = 0; t < T; t++) xv[t] = vld1q_s8(xp + t * ldx + kt * BNI_BL_KT);
        for (int q = 0; q < 4; q++) {
            const uint8x16_t v = vld1q_u8(tile + 16 * q);
            const int8x16_t u0 = vreinterpretq_s8_u8(vandq_u8(v, three));
            const int8x16_t u1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 2), three));
            const int8x16_t u2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 4), three));
            const int8x16_t u3 = vreinterpretq_s8_u8(vshrq_n_u8(v, 6));
            for (int t = 0; t < T; t++) {
                int32x4_t c = vdotq_laneq_s32(acc[t][q], u0, xv[t], 0);
                c = vdotq_laneq_s32(c, u1, xv[t], 1);
                c = vdotq_laneq_s32(c, u2, xv[t], 2);
                acc[t][q] = vdotq_laneq_s32(c, u3, xv[t], 3);
            }
        }
    }
    for (int t = 0; t < T; t++)
        for (int q = 0; q < 4; q++) store4(a, b * BNI_BL_ROWS + 4 * q, m + t, acc[t][q]);
}

static void mk1(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 1); }
static void mk2(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 2); }
static void mk3(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 3); }
static void mk4(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 4); }

void bni_bl_gemm_neon_dotprod(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1) {
    for (int64_t b = b0; b < b1; b++) {
        int64_t m = m0;
        for (; m + 4 <= m1; m += 4) mk4(a, b, m);
        switch (m1 - m) {
        case 3: mk3(a, b, m); break;
        case 2: mk2(a, b, m); break;
        case 1: mk1(a, b, m); break;
        default: break;
        }
    }
}
