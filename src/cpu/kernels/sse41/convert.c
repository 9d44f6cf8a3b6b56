/* SSE4.1 conversion kernels (no F16C): the scalar rules of bn_f32_to_f16,
 * bn_f16_to_f32, bn_f32_to_bf16 and bn_bf16_to_f32 in 32-bit integer
 * lanes, bit-identical to them (tests/test_cast.c checks every f16 and
 * bf16 pattern and the rounding boundaries of each).
 *
 * Subnormal halves go through one f32 addition or subtraction of a power
 * of two (the "magic number" trick), which is exact or rounds to nearest
 * even under the default floating-point environment (round to nearest,
 * no flush-to-zero / denormals-are-zero), the environment the library
 * assumes everywhere. Compiled with -msse4.1; only entered through the
 * kernel table when the CPU has SSE4.1. */
#include <smmintrin.h>

#include "bitnet/tensor.h"
#include "cpu/kernels.h"

/* Four f32 bit patterns -> four f16 patterns in 32-bit lanes. */
static inline __m128i f16_rne4(__m128i x) {
    const __m128i absm = _mm_set1_epi32(0x7FFFFFFF);
    __m128i ax = _mm_and_si128(x, absm);
    __m128i sign = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(0x8000));
    /* normal halves: ax + 0xFFF + lsb, rebias, >> 13 */
    __m128i lsb = _mm_and_si128(_mm_srli_epi32(ax, 13), _mm_set1_epi32(1));
    __m128i nrm = _mm_add_epi32(_mm_add_epi32(ax, _mm_set1_epi32(0xFFF - 0x38000000)), lsb);
    nrm = _mm_srli_epi32(nrm, 13);
    /* below 2^-14: |x| + 0.5 rounds |x| to a multiple of 2^-24 (RNE), whose
     * low bits are then the subnormal half (0 for |x| <= 2^-25) */
    const __m128 magic = _mm_castsi128_ps(_mm_set1_epi32(0x3F000000));
    __m128i sub = _mm_sub_epi32(_mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(ax), magic)), _mm_castps_si128(magic));
    /* NaN: quiet, keep the top payload bits */
    __m128i nan = _mm_or_si128(_mm_set1_epi32(0x7E00), _mm_and_si128(_mm_srli_epi32(ax, 13), _mm_set1_epi32(0x3FF)));
    __m128i r = _mm_blendv_epi8(sub, nrm, _mm_cmpgt_epi32(ax, _mm_set1_epi32(0x38800000 - 1)));
    r = _mm_blendv_epi8(r, _mm_set1_epi32(0x7C00), _mm_cmpgt_epi32(ax, _mm_set1_epi32(0x477FF000 - 1)));
    r = _mm_blendv_epi8(r, nan, _mm_cmpgt_epi32(ax, _mm_set1_epi32(0x7F800000)));
    return _mm_or_si128(r, sign);
}

void bni_f32_to_f16_sse41(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = f16_rne4(_mm_loadu_si128((const __m128i *)(const void *)(src + i)));
        __m128i b = f16_rne4(_mm_loadu_si128((const __m128i *)(const void *)(src + i + 4)));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_packus_epi32(a, b));
    }
    for (; i < n; i++) dst[i] = bn_f32_to_f16(src[i]);
}

/* Four f16 patterns (zero-extended in 32-bit lanes) -> four f32 patterns. */
static inline __m128i f16_to_f32_4(__m128i h) {
    __m128i sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
    __m128i em = _mm_and_si128(h, _mm_set1_epi32(0x7FFF));
    __m128i sh = _mm_slli_epi32(em, 13);
    /* normal: rebias the exponent by 112 */
    __m128i nrm = _mm_add_epi32(sh, _mm_set1_epi32(0x38000000));
    /* infinity and NaN: exponent 255, NaN quieted */
    __m128i inf = _mm_add_epi32(sh, _mm_set1_epi32(0x70000000));
    inf = _mm_or_si128(inf, _mm_and_si128(_mm_cmpgt_epi32(em, _mm_set1_epi32(0x7C00)), _mm_set1_epi32(0x00400000)));
    /* zero and subnormal: (2^-14 + m 2^-24) - 2^-14, exact */
    const __m128 tiny = _mm_castsi128_ps(_mm_set1_epi32(0x38800000));
    __m128i sub = _mm_castps_si128(_mm_sub_ps(_mm_castsi128_ps(_mm_or_si128(sh, _mm_castps_si128(tiny))), tiny));
    __m128i r = _mm_blendv_epi8(nrm, sub, _mm_cmpgt_epi32(_mm_set1_epi32(0x0400), em));
    r = _mm_blendv_epi8(r, inf, _mm_cmpgt_epi32(em, _mm_set1_epi32(0x7C00 - 1)));
    return _mm_or_si128(r, sign);
}

void bni_f16_to_f32_sse41(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    const __m128i zero = _mm_setzero_si128();
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), f16_to_f32_4(_mm_unpacklo_epi16(h, zero)));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 4), f16_to_f32_4(_mm_unpackhi_epi16(h, zero)));
    }
    for (; i < n; i++) dst[i] = bn_f16_to_f32(src[i]);
}

static inline __m128i bf16_rne4(__m128i x) {
    __m128i lsb = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(1));
    __m128i r = _mm_srli_epi32(_mm_add_epi32(_mm_add_epi32(x, _mm_set1_epi32(0x7FFF)), lsb), 16);
    __m128i ax = _mm_and_si128(x, _mm_set1_epi32(0x7FFFFFFF));
    __m128i nan = _mm_cmpgt_epi32(ax, _mm_set1_epi32(0x7F800000));
    __m128i q = _mm_or_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(0x40));
    return _mm_blendv_epi8(r, q, nan);
}

void bni_f32_to_bf16_sse41(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = bf16_rne4(_mm_loadu_si128((const __m128i *)(const void *)(src + i)));
        __m128i b = bf16_rne4(_mm_loadu_si128((const __m128i *)(const void *)(src + i + 4)));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_packus_epi32(a, b));
    }
    for (; i < n; i++) dst[i] = bn_f32_to_bf16(src[i]);
}

void bni_bf16_to_f32_sse41(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    const __m128i zero = _mm_setzero_si128();
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_unpacklo_epi16(zero, h));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 4), _mm_unpackhi_epi16(zero, h));
    }
    for (; i < n; i++) dst[i] = bn_bf16_to_f32(src[i]);
}
