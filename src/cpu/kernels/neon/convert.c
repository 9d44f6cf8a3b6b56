/* ARM64 NEON conversion kernels (FCVT rounds to nearest even under the
 * default FPCR and quiets NaN keeping the top payload bits, as the scalar
 * rules do). */
#include <arm_neon.h>

#include "bitnet/tensor.h"
#include "cpu/kernels.h"

void bni_f32_to_f16_neon(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(dst + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
    for (; i < n; i++) dst[i] = bn_f32_to_f16(src[i]);
}

void bni_f16_to_f32_neon(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(dst + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(src + i))));
    for (; i < n; i++) dst[i] = bn_f16_to_f32(src[i]);
}

void bni_f32_to_bf16_neon(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    const uint32x4_t one = vdupq_n_u32(1), bias = vdupq_n_u32(0x7FFF);
    const uint32x4_t absm = vdupq_n_u32(0x7FFFFFFF), inf = vdupq_n_u32(0x7F800000);
    const uint32x4_t quiet = vdupq_n_u32(0x400000);
    for (; i + 4 <= n; i += 4) {
        uint32x4_t x = vreinterpretq_u32_f32(vld1q_f32(src + i));
        uint32x4_t lsb = vandq_u32(vshrq_n_u32(x, 16), one);
        uint32x4_t r = vaddq_u32(vaddq_u32(x, bias), lsb);
        uint32x4_t nan = vcgtq_u32(vandq_u32(x, absm), inf);
        r = vbslq_u32(nan, vorrq_u32(x, quiet), r);
        vst1_u16(dst + i, vshrn_n_u32(r, 16));
    }
    for (; i < n; i++) dst[i] = bn_f32_to_bf16(src[i]);
}

void bni_bf16_to_f32_neon(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(dst + i, vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(src + i), 16)));
    for (; i < n; i++) dst[i] = bn_bf16_to_f32(src[i]);
}
