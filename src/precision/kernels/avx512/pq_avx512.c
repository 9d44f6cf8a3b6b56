/* AVX-512 (F/BW/VL) quantize kernels: the same results as the scalar ones
 * (IEEE division, round to nearest even, the same clamps, NaN -> 0); tails
 * by masked loads and stores. */
#include <immintrin.h>
#include <string.h>

#include "precision/pq_kernels.h"

static inline __mmask16 tail_mask(int64_t r) { return (__mmask16)((1u << r) - 1u); }

float bni_pq_absmax_avx512(const float *x, int64_t n, int *nan) {
    __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
    __mmask16 bad = 0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + i));
        __m512 b = _mm512_abs_ps(_mm512_loadu_ps(x + i + 16));
        __mmask16 ua = _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), ub = _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
        bad |= (__mmask16)(ua | ub);
        m0 = _mm512_mask_max_ps(m0, (__mmask16)~ua, m0, a);
        m1 = _mm512_mask_max_ps(m1, (__mmask16)~ub, m1, b);
    }
    for (; i < n; i += 16) {
        __mmask16 t = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(t, x + i)); /* absent lanes are 0 */
        __mmask16 ua = _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
        bad |= ua;
        m0 = _mm512_mask_max_ps(m0, (__mmask16)~ua, m0, a);
    }
    if (bad) *nan = 1;
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

static inline __m512i codes16(__m512 x, __m512 s, __m512 lo, __m512 hi) {
    __m512 q = _mm512_div_ps(x, s);
    __mmask16 ok = _mm512_cmp_ps_mask(q, q, _CMP_ORD_Q);
    __m512 r = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
    return _mm512_cvtps_epi32(_mm512_maskz_mov_ps(ok, r)); /* NaN -> 0 */
}

void bni_pq_codes_avx512(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes) {
    const __m512 s = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m128i a = _mm512_cvtepi32_epi8(codes16(_mm512_loadu_ps(x + i), s, vlo, vhi));
        __m128i b = _mm512_cvtepi32_epi8(codes16(_mm512_loadu_ps(x + i + 16), s, vlo, vhi));
        __m128i c = _mm512_cvtepi32_epi8(codes16(_mm512_loadu_ps(x + i + 32), s, vlo, vhi));
        __m128i d = _mm512_cvtepi32_epi8(codes16(_mm512_loadu_ps(x + i + 48), s, vlo, vhi));
        _mm_storeu_si128((__m128i *)(void *)(codes + i), a);
        _mm_storeu_si128((__m128i *)(void *)(codes + i + 16), b);
        _mm_storeu_si128((__m128i *)(void *)(codes + i + 32), c);
        _mm_storeu_si128((__m128i *)(void *)(codes + i + 48), d);
    }
    for (; i < n; i += 16) {
        __mmask16 t = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        __m512i v = codes16(_mm512_maskz_loadu_ps(t, x + i), s, vlo, vhi);
        _mm512_mask_cvtepi32_storeu_epi8(codes + i, t, v);
    }
}

void bni_pq_ternary_avx512(const float *x, int64_t n, float inv, uint8_t *dst) {
    const __m512 vi = _mm512_set1_ps(inv), half = _mm512_set1_ps(0.5f), nhalf = _mm512_set1_ps(-0.5f);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 q0 = _mm512_mul_ps(_mm512_loadu_ps(x + i), vi);
        __m512 q1 = _mm512_mul_ps(_mm512_loadu_ps(x + i + 16), vi);
        uint32_t g = (uint32_t)_mm512_cmp_ps_mask(q0, half, _CMP_GT_OQ) |
                     (uint32_t)_mm512_cmp_ps_mask(q1, half, _CMP_GT_OQ) << 16;
        uint32_t l = (uint32_t)_mm512_cmp_ps_mask(q0, nhalf, _CMP_LT_OQ) |
                     (uint32_t)_mm512_cmp_ps_mask(q1, nhalf, _CMP_LT_OQ) << 16;
        uint64_t w = bni_pq_ternary_word(g, l);
        memcpy(dst + i / 4, &w, 8); /* little endian: byte j holds elements 4j .. 4j+3 */
    }
    if (i < n) bni_pq_ternary_scalar(x + i, n - i, inv, dst + i / 4);
}

void bni_pq_binary_avx512(const float *x, int64_t n, uint8_t *dst) {
    const __m512 z = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t m = 0;
        for (int k = 0; k < 4; k++)
            m |= (uint64_t)_mm512_cmp_ps_mask(_mm512_loadu_ps(x + i + 16 * k), z, _CMP_GE_OQ) << (16 * k);
        memcpy(dst + i / 8, &m, 8);
    }
    if (i < n) bni_pq_binary_scalar(x + i, n - i, dst + i / 8);
}
