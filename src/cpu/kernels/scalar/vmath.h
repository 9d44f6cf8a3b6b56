/* Scalar vector layer (one lane) for vmath_impl.h: the portable reference
 * of exp, tanh, erf and the activations. No fused multiply-add. */
#ifndef BITNET_KERNELS_SCALAR_VMATH_H
#define BITNET_KERNELS_SCALAR_VMATH_H

#include <stdint.h>
#include <string.h>

typedef float bnv_f;
typedef int32_t bnv_i;
typedef int bnv_m;
#define BNV_W 1

static inline bnv_f bnv_set1(float x) { return x; }
static inline bnv_f bnv_loadu(const float *p) { return *p; }
static inline void bnv_storeu(float *p, bnv_f v) { *p = v; }
/* Non-temporal store of a vector to p aligned to BNV_W floats (a plain store where the ISA has none). */
static inline void bnv_stream(float *p, bnv_f v) { *p = v; }
/* Orders the non-temporal stores before later stores (call after a streaming loop). */
static inline void bnv_stream_fence(void) { }
static inline bnv_f bnv_add(bnv_f a, bnv_f b) { return a + b; }
static inline bnv_f bnv_sub(bnv_f a, bnv_f b) { return a - b; }
static inline bnv_f bnv_mul(bnv_f a, bnv_f b) { return a * b; }
static inline bnv_f bnv_div(bnv_f a, bnv_f b) { return a / b; }
static inline bnv_f bnv_fmadd(bnv_f a, bnv_f b, bnv_f c) { return a * b + c; }
/* x86 semantics: the second operand when either is NaN */
static inline bnv_f bnv_min(bnv_f a, bnv_f b) { return a < b ? a : b; }
static inline bnv_f bnv_max(bnv_f a, bnv_f b) { return a > b ? a : b; }
static inline uint32_t bnv_bits_(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bnv_float_(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline bnv_f bnv_abs(bnv_f a) { return bnv_float_(bnv_bits_(a) & 0x7FFFFFFFu); }
static inline bnv_f bnv_neg(bnv_f a) { return bnv_float_(bnv_bits_(a) ^ 0x80000000u); }
static inline bnv_f bnv_copysign(bnv_f mag, bnv_f sgn) {
    return bnv_float_((bnv_bits_(mag) & 0x7FFFFFFFu) | (bnv_bits_(sgn) & 0x80000000u));
}
static inline bnv_f bnv_and_bits(bnv_f a, int32_t mask) { return bnv_float_(bnv_bits_(a) & (uint32_t)mask); }
static inline bnv_f bnv_sqrt(bnv_f a) { return __builtin_sqrtf(a); }
static inline bnv_i bnv_cvt_f2i(bnv_f a) { return (int32_t)a; } /* a integral and in range */
static inline bnv_i bnv_i_set1(int32_t x) { return x; }
static inline bnv_i bnv_i_add(bnv_i a, bnv_i b) { return a + b; }
static inline bnv_i bnv_i_sub(bnv_i a, bnv_i b) { return a - b; }
static inline bnv_i bnv_i_srai1(bnv_i a) { return a >= 0 ? a / 2 : -((1 - a) / 2); } /* floor(a / 2) */
static inline bnv_i bnv_i_shl23(bnv_i a) { return (int32_t)((uint32_t)a << 23); }
static inline bnv_f bnv_cast_i2f(bnv_i a) { return bnv_float_((uint32_t)a); }
static inline bnv_m bnv_isnan(bnv_f a) { return a != a; }
static inline bnv_m bnv_lt(bnv_f a, bnv_f b) { return a < b; }
static inline bnv_m bnv_gt(bnv_f a, bnv_f b) { return a > b; }
static inline bnv_f bnv_select(bnv_m m, bnv_f t, bnv_f f) { return m ? t : f; }

#include "cpu/kernels/vmath_impl.h"

#endif
