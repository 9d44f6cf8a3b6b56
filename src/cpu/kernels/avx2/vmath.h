/* AVX2 + FMA vector layer (8 lanes) for vmath_impl.h. */
#ifndef BITNET_KERNELS_AVX2_VMATH_H
#define BITNET_KERNELS_AVX2_VMATH_H

#include <immintrin.h>
#include <stdint.h>

typedef __m256 bnv_f;
typedef __m256i bnv_i;
typedef __m256 bnv_m;
#define BNV_W 8

static inline bnv_f bnv_set1(float x) { return _mm256_set1_ps(x); }
static inline bnv_f bnv_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline void bnv_storeu(float *p, bnv_f v) { _mm256_storeu_ps(p, v); }
/* Non-temporal store of a vector to p aligned to BNV_W floats (a plain store where the ISA has none). */
static inline void bnv_stream(float *p, bnv_f v) { _mm256_stream_ps(p, v); }
/* Orders the non-temporal stores before later stores (call after a streaming loop). */
static inline void bnv_stream_fence(void) { _mm_sfence(); }
static inline bnv_f bnv_add(bnv_f a, bnv_f b) { return _mm256_add_ps(a, b); }
static inline bnv_f bnv_sub(bnv_f a, bnv_f b) { return _mm256_sub_ps(a, b); }
static inline bnv_f bnv_mul(bnv_f a, bnv_f b) { return _mm256_mul_ps(a, b); }
static inline bnv_f bnv_div(bnv_f a, bnv_f b) { return _mm256_div_ps(a, b); }
static inline bnv_f bnv_fmadd(bnv_f a, bnv_f b, bnv_f c) { return _mm256_fmadd_ps(a, b, c); }
static inline bnv_f bnv_min(bnv_f a, bnv_f b) { return _mm256_min_ps(a, b); }
static inline bnv_f bnv_max(bnv_f a, bnv_f b) { return _mm256_max_ps(a, b); }
static inline bnv_f bnv_abs(bnv_f a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline bnv_f bnv_neg(bnv_f a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
static inline bnv_f bnv_copysign(bnv_f mag, bnv_f sgn) {
    const __m256 s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
}
static inline bnv_f bnv_and_bits(bnv_f a, int32_t mask) {
    return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(mask)));
}
static inline bnv_f bnv_sqrt(bnv_f a) { return _mm256_sqrt_ps(a); }
static inline bnv_i bnv_cvt_f2i(bnv_f a) { return _mm256_cvtps_epi32(a); }
static inline bnv_i bnv_i_set1(int32_t x) { return _mm256_set1_epi32(x); }
static inline bnv_i bnv_i_add(bnv_i a, bnv_i b) { return _mm256_add_epi32(a, b); }
static inline bnv_i bnv_i_sub(bnv_i a, bnv_i b) { return _mm256_sub_epi32(a, b); }
static inline bnv_i bnv_i_srai1(bnv_i a) { return _mm256_srai_epi32(a, 1); }
static inline bnv_i bnv_i_shl23(bnv_i a) { return _mm256_slli_epi32(a, 23); }
static inline bnv_f bnv_cast_i2f(bnv_i a) { return _mm256_castsi256_ps(a); }
static inline bnv_m bnv_isnan(bnv_f a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline bnv_m bnv_lt(bnv_f a, bnv_f b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline bnv_m bnv_gt(bnv_f a, bnv_f b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline bnv_f bnv_select(bnv_m m, bnv_f t, bnv_f f) { return _mm256_blendv_ps(f, t, m); }

#include "cpu/kernels/vmath_impl.h"

#endif
