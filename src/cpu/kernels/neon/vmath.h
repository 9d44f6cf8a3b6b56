/* NEON vector layer (4 lanes, fused multiply-add) for vmath_impl.h. min
 * and max follow the x86 convention (the second operand when either is
 * NaN) so that the shared algorithms behave the same on every ISA. */
#ifndef BITNET_KERNELS_NEON_VMATH_H
#define BITNET_KERNELS_NEON_VMATH_H

#include <arm_neon.h>
#include <stdint.h>

typedef float32x4_t bnv_f;
typedef int32x4_t bnv_i;
typedef uint32x4_t bnv_m;
#define BNV_W 4

static inline bnv_f bnv_set1(float x) { return vdupq_n_f32(x); }
static inline bnv_f bnv_loadu(const float *p) { return vld1q_f32(p); }
static inline void bnv_storeu(float *p, bnv_f v) { vst1q_f32(p, v); }
/* Non-temporal store of a vector to p aligned to BNV_W floats (a plain store where the ISA has none). */
static inline void bnv_stream(float *p, bnv_f v) { vst1q_f32(p, v); }
/* Orders the non-temporal stores before later stores (call after a streaming loop). */
static inline void bnv_stream_fence(void) { }
static inline bnv_f bnv_add(bnv_f a, bnv_f b) { return vaddq_f32(a, b); }
static inline bnv_f bnv_sub(bnv_f a, bnv_f b) { return vsubq_f32(a, b); }
static inline bnv_f bnv_mul(bnv_f a, bnv_f b) { return vmulq_f32(a, b); }
static inline bnv_f bnv_div(bnv_f a, bnv_f b) { return vdivq_f32(a, b); }
static inline bnv_f bnv_fmadd(bnv_f a, bnv_f b, bnv_f c) { return vfmaq_f32(c, a, b); }
static inline bnv_f bnv_min(bnv_f a, bnv_f b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline bnv_f bnv_max(bnv_f a, bnv_f b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline bnv_f bnv_abs(bnv_f a) { return vabsq_f32(a); }
static inline bnv_f bnv_neg(bnv_f a) { return vnegq_f32(a); }
static inline bnv_f bnv_copysign(bnv_f mag, bnv_f sgn) { return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, mag); }
static inline bnv_f bnv_and_bits(bnv_f a, int32_t mask) {
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32((uint32_t)mask)));
}
static inline bnv_f bnv_sqrt(bnv_f a) { return vsqrtq_f32(a); }
static inline bnv_i bnv_cvt_f2i(bnv_f a) { return vcvtnq_s32_f32(a); }
static inline bnv_i bnv_i_set1(int32_t x) { return vdupq_n_s32(x); }
static inline bnv_i bnv_i_add(bnv_i a, bnv_i b) { return vaddq_s32(a, b); }
static inline bnv_i bnv_i_sub(bnv_i a, bnv_i b) { return vsubq_s32(a, b); }
static inline bnv_i bnv_i_srai1(bnv_i a) { return vshrq_n_s32(a, 1); }
static inline bnv_i bnv_i_shl23(bnv_i a) { return vshlq_n_s32(a, 23); }
static inline bnv_f bnv_cast_i2f(bnv_i a) { return vreinterpretq_f32_s32(a); }
static inline bnv_m bnv_isnan(bnv_f a) { return vmvnq_u32(vceqq_f32(a, a)); }
static inline bnv_m bnv_lt(bnv_f a, bnv_f b) { return vcltq_f32(a, b); }
static inline bnv_m bnv_gt(bnv_f a, bnv_f b) { return vcgtq_f32(a, b); }
static inline bnv_f bnv_select(bnv_m m, bnv_f t, bnv_f f) { return vbslq_f32(m, t, f); }

#include "cpu/kernels/vmath_impl.h"

#endif
