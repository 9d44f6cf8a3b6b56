/* NEON quantize kernels: the same results as the scalar ones (IEEE
 * division, round to nearest even, the same clamps, NaN -> 0). */
#include <arm_neon.h>
#include <math.h>

#include "precision/pq_kernels.h"

float bni_pq_absmax_neon(const float *x, int64_t n, int *nan) {
    float32x4_t m0 = vdupq_n_f32(0.0f), m1 = vdupq_n_f32(0.0f);
    uint32x4_t bad = vdupq_n_u32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vabsq_f32(vld1q_f32(x + i)), b = vabsq_f32(vld1q_f32(x + i + 4));
        uint32x4_t oa = vceqq_f32(a, a), ob = vceqq_f32(b, b); /* all ones where not NaN */
        bad = vorrq_u32(bad, vmvnq_u32(vandq_u32(oa, ob)));
        /* NaN lanes become +0, which never raises the maximum */
        m0 = vmaxq_f32(m0, vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), oa)));
        m1 = vmaxq_f32(m1, vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(b), ob)));
    }
    float mx = vmaxvq_f32(vmaxq_f32(m0, m1));
    if (vmaxvq_u32(bad)) *nan = 1;
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        if (a != a) *nan = 1;
        else if (a > mx) mx = a;
    }
    return mx;
}

static inline int32x4_t codes4(float32x4_t x, float32x4_t s, float32x4_t lo, float32x4_t hi) {
    float32x4_t q = vdivq_f32(x, s);
    uint32x4_t ok = vceqq_f32(q, q);
    float32x4_t r = vminq_f32(vmaxq_f32(vrndnq_f32(q), lo), hi); /* NaN stays NaN here ... */
    r = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(r), ok)); /* ... and becomes +0 */
    return vcvtq_s32_f32(r); /* exact: r is an integer in [lo, hi] */
}

void bni_pq_codes_neon(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes) {
    const float32x4_t s = vdupq_n_f32(scale), vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int16x8_t ab = vcombine_s16(vmovn_s32(codes4(vld1q_f32(x + i), s, vlo, vhi)),
                                    vmovn_s32(codes4(vld1q_f32(x + i + 4), s, vlo, vhi)));
        int16x8_t cd = vcombine_s16(vmovn_s32(codes4(vld1q_f32(x + i + 8), s, vlo, vhi)),
                                    vmovn_s32(codes4(vld1q_f32(x + i + 12), s, vlo, vhi)));
        vst1q_s8(codes + i, vcombine_s8(vmovn_s16(ab), vmovn_s16(cd)));
    }
    if (i < n) bni_pq_codes_scalar(x + i, n - i, scale, lo, hi, codes + i);
}

/* code + 1 of 4 values as 32-bit lanes: 2 for x*inv > 0.5, 0 for < -0.5, else 1 (NaN too). */
static inline uint32x4_t tern4(const float *x, float32x4_t inv) {
    float32x4_t q = vmulq_f32(vld1q_f32(x), inv);
    uint32x4_t g = vcgtq_f32(q, vdupq_n_f32(0.5f)), l = vcltq_f32(q, vdupq_n_f32(-0.5f));
    /* masks are all ones (-1): 1 - g + l */
    return vaddq_u32(vsubq_u32(vdupq_n_u32(1), g), l);
}

void bni_pq_ternary_neon(const float *x, int64_t n, float inv, uint8_t *dst) {
    const float32x4_t vi = vdupq_n_f32(inv);
    static const int8_t sh[16] = {0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6};
    const int8x16_t shift = vld1q_s8(sh);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint16x8_t a = vcombine_u16(vmovn_u32(tern4(x + i, vi)), vmovn_u32(tern4(x + i + 4, vi)));
        uint16x8_t b = vcombine_u16(vmovn_u32(tern4(x + i + 8, vi)), vmovn_u32(tern4(x + i + 12, vi)));
        uint8x16_t t = vshlq_u8(vcombine_u8(vmovn_u16(a), vmovn_u16(b)), shift);
        t = vpaddq_u8(t, t); /* disjoint bits: the sums are ORs */
        t = vpaddq_u8(t, t); /* bytes 0..3: elements 4j .. 4j+3 */
        vst1q_lane_u32((uint32_t *)(void *)(dst + i / 4), vreinterpretq_u32_u8(t), 0);
    }
    if (i < n) bni_pq_ternary_scalar(x + i, n - i, inv, dst + i / 4);
}

void bni_pq_binary_neon(const float *x, int64_t n, uint8_t *dst) {
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t vb = vld1q_u8(bits);
    const float32x4_t z = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint16x8_t a = vcombine_u16(vmovn_u32(vcgeq_f32(vld1q_f32(x + i), z)),
                                    vmovn_u32(vcgeq_f32(vld1q_f32(x + i + 4), z)));
        uint16x8_t b = vcombine_u16(vmovn_u32(vcgeq_f32(vld1q_f32(x + i + 8), z)),
                                    vmovn_u32(vcgeq_f32(vld1q_f32(x + i + 12), z)));
        uint8x16_t t = vandq_u8(vcombine_u8(vmovn_u16(a), vmovn_u16(b)), vb);
        t = vpaddq_u8(t, t);
        t = vpaddq_u8(t, t);
        t = vpaddq_u8(t, t); /* bytes 0, 1: elements 0..7, 8..15 */
        vst1q_lane_u16((uint16_t *)(void *)(dst + i / 8), vreinterpretq_u16_u8(t), 0);
    }
    if (i < n) bni_pq_binary_scalar(x + i, n - i, dst + i / 8);
}
