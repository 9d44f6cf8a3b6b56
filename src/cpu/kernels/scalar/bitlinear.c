/* BitLinear kernels in portable C (the reference every other kernel is
 * tested against, together with a layout-independent int64 reference in the
 * tests), and, on AArch64, the baseline NEON kernel for CPUs without the
 * dotprod extension. That one lives here because this directory is
 * compiled with the baseline flags (ARMv8-A, which always has NEON), while
 * kernels/neon/ is compiled with +dotprod: nothing in this file can reach a
 * dotprod instruction. Layout and overflow bounds: cpu/bitlinear_kernels.h. */
#include <math.h>

#include "cpu/bitlinear_kernels.h"

void bni_bl_quant_scalar(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum) {
    float amax = 0.0f;
    for (int64_t i = 0; i < k; i++) amax = fmaxf(amax, fabsf(x[i])); /* fmaxf skips NaN */
    const float s = (1.0f / fmaxf(amax, 1e-5f)) * 127.0f; /* torch: 127 / t is t.reciprocal() * 127 */
    int32_t acc = 0;
    for (int64_t i = 0; i < k; i++) {
        float v = rintf(x[i] * s); /* half to even in the default rounding mode */
        if (v != v) v = 0.0f;      /* NaN gives code 0, as quant.h */
        if (v < -128.0f) v = -128.0f;
        if (v > 127.0f) v = 127.0f;
        q[i] = (int8_t)(int)v;
        acc += q[i];
    }
    for (int64_t i = k; i < kp; i++) q[i] = 0;
    *scale = s;
    *sum = acc;
}

void bni_bl_gemm_scalar(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1) {
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *wb = a->w + b * a->ktiles * BNI_BL_TILE;
        for (int64_t m = m0; m < m1; m++) {
            const int8_t *xm = a->x + m * a->ldx;
            int32_t acc[BNI_BL_ROWS] = {0};
            for (int64_t t = 0; t < a->ktiles; t++) {
                const uint8_t *tile = wb + t * BNI_BL_TILE;
                const int8_t *xt = xm + t * BNI_BL_KT;
                for (int l = 0; l < BNI_BL_ROWS; l++) {
                    int32_t s = 0;
                    for (int j = 0; j < 4; j++) {
                        const unsigned byte = tile[4 * l + j];
                        s += (int32_t)(byte & 3) * xt[j] + (int32_t)((byte >> 2) & 3) * xt[4 + j] +
                             (int32_t)((byte >> 4) & 3) * xt[8 + j] + (int32_t)(byte >> 6) * xt[12 + j];
                    }
                    acc[l] += s;
                }
            }
            for (int l = 0; l < BNI_BL_ROWS; l++) {
                const int64_t row = b * BNI_BL_ROWS + l;
                if (row < a->n) a->y[m * a->ldy + row] = bni_bl_out(acc[l] - a->xsum[m], a->wscale[row], a->xscale[m]);
            }
        }
    }
}

#if defined(__aarch64__)
#include <arm_neon.h>

void bni_bl_quant_neon(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum) {
    float32x4_t mx = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= k; i += 4) mx = vmaxnmq_f32(mx, vabsq_f32(vld1q_f32(x + i))); /* maxnm skips NaN */
    float amax = vmaxnmvq_f32(mx);
    for (; i < k; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float s = (1.0f / fmaxf(amax, 1e-5f)) * 127.0f; /* torch: 127 / t is t.reciprocal() * 127 */
    const float32x4_t vs = vdupq_n_f32(s), lo = vdupq_n_f32(-128.0f), hi = vdupq_n_f32(127.0f);
    int32x4_t vsum = vdupq_n_s32(0);
    for (i = 0; i + 4 <= k; i += 4) {
        float32x4_t v = vrndnq_f32(vmulq_f32(vld1q_f32(x + i), vs));
        /* clamp, then convert: NaN converts to 0 (FCVTZS), as the scalar code */
        v = vminq_f32(vmaxq_f32(v, lo), hi);
        int32x4_t c = vcvtq_s32_f32(v);
        vsum = vaddq_s32(vsum, c);
        int16x4_t h = vmovn_s32(c);
        int8x8_t b = vmovn_s16(vcombine_s16(h, h));
        vst1_lane_s32((int32_t *)(void *)(q + i), vreinterpret_s32_s8(b), 0);
    }
    int32_t acc = vaddvq_s32(vsum);
    for (; i < k; i++) {
        float v = rintf(x[i] * s);
        if (v != v) v = 0.0f;
        if (v < -128.0f) v = -128.0f;
        if (v > 127.0f) v = 127.0f;
        q[i] = (int8_t)(int)v;
        acc += q[i];
    }
    for (i = k; i < kp; i++) q[i] = 0;
    *scale = s;
    *sum = acc;
}

/* Without dotprod: products of codes (0..2) and activations (-128..127)
 * by vmull_s8/vmlal_s8 into i16, four per lane per tile:
 * |sum| <= 4 * 2 * 128 = 1024 < 2^15; then pairwise into i32 (vpadalq). */
void bni_bl_gemm_neon(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1) {
    const uint8x16_t three = vdupq_n_u8(3);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *wb = a->w + b * a->ktiles * BNI_BL_TILE;
        for (int64_t m = m0; m < m1; m++) {
            const int8_t *xm = a->x + m * a->ldx;
            int32x4_t alo[4], ahi[4];
            for (int q = 0; q < 4; q++) alo[q] = ahi[q] = vdupq_n_s32(0);
            for (int64_t t = 0; t < a->ktiles; t++) {
                const uint8_t *tile = wb + t * BNI_BL_TILE;
                const int32x4_t xv = vreinterpretq_s32_s8(vld1q_s8(xm + t * BNI_BL_KT));
                const int8x16_t x0 = vreinterpretq_s8_s32(vdupq_laneq_s32(xv, 0));
                const int8x16_t x1 = vreinterpretq_s8_s32(vdupq_laneq_s32(xv, 1));
                const int8x16_t x2 = vreinterpretq_s8_s32(vdupq_laneq_s32(xv, 2));
                const int8x16_t x3 = vreinterpretq_s8_s32(vdupq_laneq_s32(xv, 3));
                for (int q = 0; q < 4; q++) {
                    const uint8x16_t v = vld1q_u8(tile + 16 * q);
                    const int8x16_t u0 = vreinterpretq_s8_u8(vandq_u8(v, three));
                    const int8x16_t u1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 2), three));
                    const int8x16_t u2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 4), three));
                    const int8x16_t u3 = vreinterpretq_s8_u8(vshrq_n_u8(v, 6));
                    int16x8_t pl = vmull_s8(vget_low_s8(u0), vget_low_s8(x0));
                    int16x8_t ph = vmull_high_s8(u0, x0);
                    pl = vmlal_s8(pl, vget_low_s8(u1), vget_low_s8(x1));
                    ph = vmlal_high_s8(ph, u1, x1);
                    pl = vmlal_s8(pl, vget_low_s8(u2), vget_low_s8(x2));
                    ph = vmlal_high_s8(ph, u2, x2);
                    pl = vmlal_s8(pl, vget_low_s8(u3), vget_low_s8(x3));
                    ph = vmlal_high_s8(ph, u3, x3);
                    alo[q] = vpadalq_s16(alo[q], pl);
                    ahi[q] = vpadalq_s16(ahi[q], ph);
                }
            }
            const int32x4_t xs = vdupq_n_s32(a->xsum[m]);
            const float xsc = a->xscale[m];
            for (int q = 0; q < 4; q++) {
                /* [lo0+lo1, lo2+lo3, hi0+hi1, hi2+hi3] = rows 4q .. 4q+3 */
                const int32x4_t d = vsubq_s32(vpaddq_s32(alo[q], ahi[q]), xs);
                const int64_t row0 = b * BNI_BL_ROWS + 4 * q;
                const float32x4_t ws = vld1q_f32(a->wscale + row0);
                const float32x4_t f = vmulq_f32(vcvtq_f32_s32(d), vdivq_f32(ws, vdupq_n_f32(xsc)));
                float *yr = a->y + m * a->ldy + row0;
                if (row0 + 4 <= a->n) {
                    vst1q_f32(yr, f);
                } else {
                    float tmp[4];
                    vst1q_f32(tmp, f);
                    for (int l = 0; l < 4 && row0 + l < a->n; l++) yr[l] = tmp[l];
                }
            }
        }
    }
}
#endif
