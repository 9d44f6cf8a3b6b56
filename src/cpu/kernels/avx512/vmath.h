/* AVX-512F vector layer (16 lanes, mask registers) for vmath_impl.h. */
#ifndef BITNET_KERNELS_AVX512_VMATH_H
#define BITNET_KERNELS_AVX512_VMATH_H

#include <immintrin.h>
#include <stdint.h>

typedef __m512 bnv_f;
typedef __m512i bnv_i;
typedef __mmask16 bnv_m;
#define BNV_W 16
#define BNV_HAVE_MASKED_TAIL 1

static inline bnv_f bnv_set1(float x) { return _mm512_set1_ps(x); }
static inline bnv_f bnv_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void bnv_storeu(float *p, bnv_f v) { _mm512_storeu_ps(p, v); }
/* Non-temporal store of a vector to p aligned to BNV_W floats (a plain store where the ISA has none). */
static inline void bnv_stream(float *p, bnv_f v) { _mm512_stream_ps(p, v); }
/* Orders the non-temporal stores before later stores (call after a streaming loop). */
static inline void bnv_stream_fence(void) { _mm_sfence(); }
static inline bnv_f bnv_load_n(const float *p, size_t n) {
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
static inline void bnv_store_n(float *p, bnv_f v, size_t n) {
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
static inline bnv_f bnv_add(bnv_f a, bnv_f b) { return _mm512_add_ps(a, b); }
static inline bnv_f bnv_sub(bnv_f a, bnv_f b) { return _mm512_sub_ps(a, b); }
static inline bnv_f bnv_mul(bnv_f a, bnv_f b) { return _mm512_mul_ps(a, b); }
static inline bnv_f bnv_div(bnv_f a, bnv_f b) { return _mm512_div_ps(a, b); }
static inline bnv_f bnv_fmadd(bnv_f a, bnv_f b, bnv_f c) { return _mm512_fmadd_ps(a, b, c); }
static inline bnv_f bnv_min(bnv_f a, bnv_f b) { return _mm512_min_ps(a, b); }
static inline bnv_f bnv_max(bnv_f a, bnv_f b) { return _mm512_max_ps(a, b); }
static inline bnv_f bnv_abs(bnv_f a) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7FFFFFFF)));
}
static inline bnv_f bnv_neg(bnv_f a) {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int32_t)0x80000000u)));
}
static inline bnv_f bnv_copysign(bnv_f mag, bnv_f sgn) {
    /* bit-select: sign bit from sgn, the rest from mag */
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_set1_epi32(0x7FFFFFFF), _mm512_castps_si512(mag),
                                                         _mm512_castps_si512(sgn), 0xCA));
}
static inline bnv_f bnv_and_bits(bnv_f a, int32_t mask) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(mask)));
}
static inline bnv_f bnv_sqrt(bnv_f a) { return _mm512_sqrt_ps(a); }
static inline bnv_i bnv_cvt_f2i(bnv_f a) { return _mm512_cvtps_epi32(a); }
static inline bnv_i bnv_i_set1(int32_t x) { return _mm512_set1_epi32(x); }
static inline bnv_i bnv_i_add(bnv_i a, bnv_i b) { return _mm512_add_epi32(a, b); }
static inline bnv_i bnv_i_sub(bnv_i a, bnv_i b) { return _mm512_sub_epi32(a, b); }
static inline bnv_i bnv_i_srai1(bnv_i a) { return _mm512_srai_epi32(a, 1); }
static inline bnv_i bnv_i_shl23(bnv_i a) { return _mm512_slli_epi32(a, 23); }
static inline bnv_f bnv_cast_i2f(bnv_i a) { return _mm512_castsi512_ps(a); }
static inline bnv_m bnv_isnan(bnv_f a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline bnv_m bnv_lt(bnv_f a, bnv_f b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline bnv_m bnv_gt(bnv_f a, bnv_f b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline bnv_f bnv_select(bnv_m m, bnv_f t, bnv_f f) { return _mm512_mask_blend_ps(m, f, t); }

#include "cpu/kernels/vmath_impl.h"

#endif
