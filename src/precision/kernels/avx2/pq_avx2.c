/* AVX2 quantize kernels: the same results as the scalar ones (IEEE
 * division, round to nearest even, the same clamps, NaN -> 0). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "precision/pq_kernels.h"

float bni_pq_absmax_avx2(const float *x, int64_t n, int *nan) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
    __m256 bad = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i));
        __m256 b = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i + 8));
        __m256 ua = _mm256_cmp_ps(a, a, _CMP_UNORD_Q), ub = _mm256_cmp_ps(b, b, _CMP_UNORD_Q);
        bad = _mm256_or_ps(bad, _mm256_or_ps(ua, ub));
        m0 = _mm256_max_ps(m0, _mm256_andnot_ps(ua, a));
        m1 = _mm256_max_ps(m1, _mm256_andnot_ps(ub, b));
    }
    m0 = _mm256_max_ps(m0, m1);
    float t[8];
    _mm256_storeu_ps(t, m0);
    float mx = 0.0f;
    for (int k = 0; k < 8; k++)
        if (t[k] > mx) mx = t[k];
    if (_mm256_movemask_ps(bad)) *nan = 1;
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        if (a != a) *nan = 1;
        else if (a > mx) mx = a;
    }
    return mx;
}

static inline __m256i codes8(__m256 x, __m256 s, __m256 lo, __m256 hi) {
    __m256 q = _mm256_div_ps(x, s);
    __m256 nanm = _mm256_cmp_ps(q, q, _CMP_UNORD_Q);
    __m256 r = _mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);
    r = _mm256_andnot_ps(nanm, r);
    return _mm256_cvtps_epi32(r);
}

void bni_pq_codes_avx2(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes) {
    const __m256 s = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a = codes8(_mm256_loadu_ps(x + i), s, vlo, vhi);
        __m256i b = codes8(_mm256_loadu_ps(x + i + 8), s, vlo, vhi);
        __m256i c = codes8(_mm256_loadu_ps(x + i + 16), s, vlo, vhi);
        __m256i d = codes8(_mm256_loadu_ps(x + i + 24), s, vlo, vhi);
        __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        __m256i p = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), perm);
        _mm256_storeu_si256((__m256i *)(void *)(codes + i), p);
    }
    if (i < n) bni_pq_codes_scalar(x + i, n - i, scale, lo, hi, codes + i);
}

/* 8 values: the masks of x*inv > 0.5 and x*inv < -0.5 (NaN in neither). */
static inline void tmask8(const float *x, __m256 inv, unsigned *g, unsigned *l) {
    __m256 q = _mm256_mul_ps(_mm256_loadu_ps(x), inv);
    *g = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(q, _mm256_set1_ps(0.5f), _CMP_GT_OQ));
    *l = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(q, _mm256_set1_ps(-0.5f), _CMP_LT_OQ));
}

void bni_pq_ternary_avx2(const float *x, int64_t n, float inv, uint8_t *dst) {
    const __m256 vi = _mm256_set1_ps(inv);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint32_t g = 0, l = 0;
        for (int k = 0; k < 4; k++) {
            unsigned gk, lk;
            tmask8(x + i + 8 * k, vi, &gk, &lk);
            g |= gk << (8 * k);
            l |= lk << (8 * k);
        }
        uint64_t w = bni_pq_ternary_word(g, l);
        memcpy(dst + i / 4, &w, 8); /* little endian: byte j holds elements 4j .. 4j+3 */
    }
    if (i < n) bni_pq_ternary_scalar(x + i, n - i, inv, dst + i / 4);
}

void bni_pq_binary_avx2(const float *x, int64_t n, uint8_t *dst) {
    const __m256 z = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint32_t m = 0;
        for (int k = 0; k < 4; k++)
            m |= (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i + 8 * k), z, _CMP_GE_OQ)) << (8 * k);
        memcpy(dst + i / 8, &m, 4);
    }
    if (i < n) bni_pq_binary_scalar(x + i, n - i, dst + i / 8);
}
