/* BitLinear with AVX2. A 64-byte tile is two 32-byte halves: rows 0-7 and
 * rows 8-15. For each s, (half >> 2s) & 3 holds in 32-bit lane l the codes
 * of row l at k = 16t + 4s .. +3; vpmaddubsw against the 4 activations
 * broadcast to every lane gives i16 pairs c0 x0 + c1 x1 (codes 0..2 as u8,
 * activations as s8: |pair| <= 2 * 2 * 128 = 512, no saturation).
 * The pairs are summed in i16 over at most 8 tiles (4 s each: 32 pairs,
 * |sum| <= 32 * 512 = 16384 < 2^15), then widened with vpmaddwd against
 * ones (i16 pairs -> i32: the 4 products of a lane meet there) and added
 * to int32 sums (|acc| <= 2^28, bitlinear_kernels.h). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/bitlinear_kernels.h"

#define BL_INLINE static inline __attribute__((always_inline))
#define BL_CHUNK 8 /* tiles summed in i16 before widening */

BL_INLINE __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

BL_INLINE void store8(const bni_bl_args *a, int64_t row0, int64_t m, __m256i acc) {
    if (row0 >= a->n) return;
    const __m256i d = _mm256_sub_epi32(acc, _mm256_set1_epi32(a->xsum[m]));
    const __m256 ws = _mm256_loadu_ps(a->wscale + row0);
    const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(d), _mm256_div_ps(ws, _mm256_set1_ps(a->xscale[m])));
    float *y = a->y + m * a->ldy + row0;
    if (row0 + 8 <= a->n) {
        _mm256_storeu_ps(y, f);
    } else {
        float tmp[8];
        _mm256_storeu_ps(tmp, f);
        for (int64_t l = 0; row0 + l < a->n; l++) y[l] = tmp[l];
    }
}

/* T tokens (1..4) of one row block. */
BL_INLINE void mk(const bni_bl_args *a, int64_t b, int64_t m, const int T) {
    const __m256i m3 = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    const uint8_t *wp = a->w + b * a->ktiles * BNI_BL_TILE;
    const int8_t *xp = a->x + m * a->ldx;
    const int64_t ldx = a->ldx;
    __m256i acc[4][2];
    for (int t = 0; t < T; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
    for (int64_t k0 = 0; k0 < a->ktiles; k0 += BL_CHUNK) {
        const int64_t k1 = k0 + BL_CHUNK < a->ktiles ? k0 + BL_CHUNK : a->ktiles;
        __m256i h[4][2];
        for (int t = 0; t < T; t++) h[t][0] = h[t][1] = _mm256_setzero_si256();
        for (int64_t kt = k0; kt < k1; kt++) {
            const __m256i vl = _mm256_loadu_si256((const __m256i *)(const void *)(wp + kt * BNI_BL_TILE));
            const __m256i vh = _mm256_loadu_si256((const __m256i *)(const void *)(wp + kt * BNI_BL_TILE + 32));
            const int8_t *x = xp + kt * BNI_BL_KT;
#define BL_STEP(S, UL, UH)                                                            \
    do {                                                                              \
        const __m256i ul = (UL), uh = (UH);                                           \
        for (int t = 0; t < T; t++) {                                                 \
            const __m256i xb = bcast4(x + t * ldx + 4 * (S));                         \
            h[t][0] = _mm256_add_epi16(h[t][0], _mm256_maddubs_epi16(ul, xb));        \
            h[t][1] = _mm256_add_epi16(h[t][1], _mm256_maddubs_epi16(uh, xb));        \
        }                                                                             \
    } while (0)
            BL_STEP(0, _mm256_and_si256(vl, m3), _mm256_and_si256(vh, m3));
            BL_STEP(1, _mm256_and_si256(_mm256_srli_epi16(vl, 2), m3), _mm256_and_si256(_mm256_srli_epi16(vh, 2), m3));
            BL_STEP(2, _mm256_and_si256(_mm256_srli_epi16(vl, 4), m3), _mm256_and_si256(_mm256_srli_epi16(vh, 4), m3));
            BL_STEP(3, _mm256_and_si256(_mm256_srli_epi16(vl, 6), m3), _mm256_and_si256(_mm256_srli_epi16(vh, 6), m3));
#undef BL_STEP
        }
        for (int t = 0; t < T; t++) {
            acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(h[t][0], ones));
            acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(h[t][1], ones));
        }
    }
    for (int t = 0; t < T; t++) {
        store8(a, b * BNI_BL_ROWS, m + t, acc[t][0]);
        store8(a, b * BNI_BL_ROWS + 8, m + t, acc[t][1]);
    }
}

static void mk1(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 1); }
static void mk2(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 2); }
static void mk3(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 3); }
static void mk4(const bni_bl_args *a, int64_t b, int64_t m) { mk(a, b, m, 4); }

void bni_bl_gemm_avx2(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1) {
    for (int64_t b = b0; b < b1; b++) {
        int64_t m = m0;
        for (; m + 4 <= m1; m += 4) mk4(a, b, m);
        switch (m1 - m) {
        case 3: mk3(a, b, m); break;
        case 2: mk2(a, b, m); break;
        case 1: mk1(a, b, m); break;
        default: break;
        }
    }
}

void bni_bl_quant_avx2(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 mx = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) mx = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), absmask), mx);
    float lanes[8];
    _mm256_storeu_ps(lanes, mx);
    float amax = 0.0f;
    for (int l = 0; l < 8; l++) amax = fmaxf(amax, lanes[l]);
    for (; i < k; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float s = (1.0f / fmaxf(amax, 1e-5f)) * 127.0f; /* torch: 127 / t is t.reciprocal() * 127 */
    const __m256 vs = _mm256_set1_ps(s), lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i vsum = _mm256_setzero_si256();
    for (i = 0; i + 32 <= k; i += 32) {
        __m256i c[4];
        for (int j = 0; j < 4; j++) {
            __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), vs),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            const __m256 ok = _mm256_cmp_ps(v, v, _CMP_ORD_Q); /* NaN -> 0 */
            v = _mm256_and_ps(ok, _mm256_min_ps(_mm256_max_ps(v, lo), hi));
            c[j] = _mm256_cvtps_epi32(v);
            vsum = _mm256_add_epi32(vsum, c[j]);
        }
        const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
        _mm256_storeu_si256((__m256i *)(void *)(q + i), _mm256_permutevar8x32_epi32(p, perm));
    }
    int32_t lanes_i[8];
    _mm256_storeu_si256((__m256i *)(void *)lanes_i, vsum);
    int32_t acc = 0;
    for (int l = 0; l < 8; l++) acc += lanes_i[l];
    for (; i < k; i++) {
        float v = rintf(x[i] * s);
        if (v != v) v = 0.0f;
        if (v < -128.0f) v = -128.0f;
        if (v > 127.0f) v = 127.0f;
        q[i] = (int8_t)(int)v;
        acc += q[i];
    }
    if (kp > k) memset(q + k, 0, (size_t)(kp - k));
    *scale = s;
    *sum = acc;
}
