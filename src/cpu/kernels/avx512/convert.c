/* AVX-512 conversion kernels (F/BW/VL; the BF16 instruction when present).
 * Compiled with AVX-512 flags; only entered through the kernel table when
 * the CPU has them. Tails use masked loads and stores. */
#include <immintrin.h>

#include "bitnet/tensor.h"
#include "cpu/kernels.h"

static inline __mmask16 tail_mask(size_t left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

void bni_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, src + i);
        __m256i h = _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_mask_storeu_epi16(dst + i, m, h);
    }
}

void bni_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m256i h = _mm256_maskz_loadu_epi16(m, src + i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(h));
    }
}

static inline __m256i bf16_rne16(__m512i x) {
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    __m512i ax = _mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(ax, _mm512_set1_epi32(0x7F800000));
    __m512i q = _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(r, nan, q));
}

void bni_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512i x = _mm512_maskz_loadu_epi32(m, src + i);
        _mm256_mask_storeu_epi16(dst + i, m, bf16_rne16(x));
    }
}

/* VCVTNEPS2BF16 rounds to nearest even and quiets NaN exactly as the scalar
 * rule ((bits >> 16) | 0x40), but treats denormal inputs as zero. Lanes with
 * a denormal input take the integer result instead. */
void bni_f32_to_bf16_avx512bf16(const float *src, uint16_t *dst, size_t n) {
    const __m512i expmask = _mm512_set1_epi32(0x7F800000);
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, src + i);
        __m512i xi = _mm512_castps_si512(x);
        __m256bh hb = _mm512_cvtneps_pbh(x);
        __m256i h;
        __builtin_memcpy(&h, &hb, sizeof h);
        __mmask16 den = _mm512_testn_epi32_mask(xi, expmask) & _mm512_test_epi32_mask(xi, absmask);
        if (den) h = _mm256_mask_mov_epi16(h, den, bf16_rne16(xi));
        _mm256_mask_storeu_epi16(dst + i, m, h);
    }
}

void bni_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512i w = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, src + i));
        _mm512_mask_storeu_epi32(dst + i, m, _mm512_slli_epi32(w, 16));
    }
}
