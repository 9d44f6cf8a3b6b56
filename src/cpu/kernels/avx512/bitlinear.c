/* BitLinear with AVX-512 VNNI (vpdpbusd: u8 x s8 -> i32, 4 products per
 * 32-bit lane). A 64-byte tile of the kernel layout gives, after
 * (v >> 2s) & 3, the 16 rows' codes at k = 16t + 4s .. +3 in lane order, so
 * one vpdpbusd against the 4 activations broadcast to all lanes
 * ({1to16}) adds them to 16 row sums. Overflow: see bitlinear_kernels.h
 * (|acc| <= 2^28 in int32). Only entered when the CPU has F/BW/VL/VNNI. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/bitlinear_kernels.h"

#define BL_INLINE static inline __attribute__((always_inline))

BL_INLINE __m512i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

BL_INLINE void store_out(const bni_bl_args *a, int64_t b, int64_t m, __m512i acc) {
    const __m512i d = _mm512_sub_epi32(acc, _mm512_set1_epi32(a->xsum[m]));
    const __m512 ws = _mm512_loadu_ps(a->wscale + b * BNI_BL_ROWS);
    const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(d), _mm512_div_ps(ws, _mm512_set1_ps(a->xscale[m])));
    const int64_t left = a->n - b * BNI_BL_ROWS;
    const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    _mm512_mask_storeu_ps(a->y + m * a->ldy + b * BNI_BL_ROWS, mask, f);
}

/* Few tokens (T <= 3): one accumulator per token and per s, so the four
 * vpdpbusd of a tile are independent. The codes of s = 1 and s = 2 are not
 * shifted down: v & 0x0C and v & 0x30 are 4 and 16 times the codes (still
 * valid u8), so acc1 and acc2 collect exactly 4x and 16x their sums and
 * are shifted right by 2 and 4 (exact: multiples of 4 and 16) at the end.
 * Bounds for K <= 2^20 (K/4 products per lane each): |acc1| <= 4 * 2 * 128
 * * 2^18 = 2^28, |acc2| <= 16 * 2 * 128 * 2^18 = 2^30 < 2^31. Two
 * shifts fewer per tile (no speed change measured: the GEMV is bound by
 * L2/L3/DRAM bandwidth, ~35 GB/s on one Zen 4 core). */
BL_INLINE void mk_small(const bni_bl_args *a, int64_t b, int64_t m, const int T) {
    const __m512i m3 = _mm512_set1_epi8(3), m12 = _mm512_set1_epi8(12), m48 = _mm512_set1_epi8(48);
    const uint8_t *wp = a->w + b * a->ktiles * BNI_BL_TILE;
    const int8_t *xp = a->x + m * a->ldx;
    const int64_t ldx = a->ldx;
    __m512i acc[3][4];
    for (int t = 0; t < T; t++)
        for (int s = 0; s < 4; s++) acc[t][s] = _mm512_setzero_si512();
    for (int64_t kt = 0; kt < a->ktiles; kt++) {
        const __m512i v = _mm512_loadu_si512((const void *)(wp + kt * BNI_BL_TILE));
        const __m512i u0 = _mm512_and_si512(v, m3);
        const __m512i u1 = _mm512_and_si512(v, m12);
        const __m512i u2 = _mm512_and_si512(v, m48);
        const __m512i u3 = _mm512_and_si512(_mm512_srli_epi16(v, 6), m3);
        for (int t = 0; t < T; t++) {
            const int8_t *x = xp + t * ldx + kt * BNI_BL_KT;
            acc[t][0] = _mm512_dpbusd_epi32(acc[t][0], u0, bcast4(x));
            acc[t][1] = _mm512_dpbusd_epi32(acc[t][1], u1, bcast4(x + 4));
            acc[t][2] = _mm512_dpbusd_epi32(acc[t][2], u2, bcast4(x + 8));
            acc[t][3] = _mm512_dpbusd_epi32(acc[t][3], u3, bcast4(x + 12));
        }
    }
    for (int t = 0; t < T; t++) {
        const __m512i s = _mm512_add_epi32(_mm512_add_epi32(acc[t][0], _mm512_srai_epi32(acc[t][1], 2)),
                                           _mm512_add_epi32(_mm512_srai_epi32(acc[t][2], 4), acc[t][3]));
        store_out(a, b, m + t, s);
    }
}

/* Many tokens (T = 4..16): one accumulator per token; the four unpacked
 * weight vectors of a tile are reused by all T tokens. */
BL_INLINE void mk_big(const bni_bl_args *a, int64_t b, int64_t m, const int T) {
    const __m512i m3 = _mm512_set1_epi8(3);
    const uint8_t *wp = a->w + b * a->ktiles * BNI_BL_TILE;
    const int8_t *xp = a->x + m * a->ldx;
    const int64_t ldx = a->ldx;
    __m512i acc[16];
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_si512();
    for (int64_t kt = 0; kt < a->ktiles; kt++) {
        const __m512i v = _mm512_loadu_si512((const void *)(wp + kt * BNI_BL_TILE));
        const __m512i u0 = _mm512_and_si512(v, m3);
        const __m512i u1 = _mm512_and_si512(_mm512_srli_epi16(v, 2), m3);
        const __m512i u2 = _mm512_and_si512(_mm512_srli_epi16(v, 4), m3);
        const __m512i u3 = _mm512_and_si512(_mm512_srli_epi16(v, 6), m3);
        const int8_t *x = xp + kt * BNI_BL_KT;
        for (int t = 0; t < T; t++) {
            __m512i c = _mm512_dpbusd_epi32(acc[t], u0, bcast4(x + t * ldx));
            c = _mm512_dpbusd_epi32(c, u1, bcast4(x + t * ldx + 4));
            c = _mm512_dpbusd_epi32(c, u2, bcast4(x + t * ldx + 8));
            acc[t] = _mm512_dpbusd_epi32(c, u3, bcast4(x + t * ldx + 12));
        }
    }
    for (int t = 0; t < T; t++) store_out(a, b, m + t, acc[t]);
}

#define BL_SMALL(T) \
    static void mk_small_##T(const bni_bl_args *a, int64_t b, int64_t m) { mk_small(a, b, m, T); }
#define BL_BIG(T) \
    static void mk_big_##T(const bni_bl_args *a, int64_t b, int64_t m) { mk_big(a, b, m, T); }
BL_SMALL(1)
BL_SMALL(2)
BL_SMALL(3)
BL_BIG(4)
BL_BIG(5)
BL_BIG(6)
BL_BIG(7)
BL_BIG(8)
BL_BIG(9)
BL_BIG(10)
BL_BIG(11)
BL_BIG(12)
BL_BIG(13)
BL_BIG(14)
BL_BIG(15)
BL_BIG(16)

typedef void (*mk_fn)(const bni_bl_args *a, int64_t b, int64_t m);
static const mk_fn k_mk[17] = {NULL,      mk_small_1, mk_small_2, mk_small_3, mk_big_4,  mk_big_5,
                               mk_big_6,  mk_big_7,   mk_big_8,   mk_big_9,   mk_big_10, mk_big_11,
                               mk_big_12, mk_big_13,  mk_big_14,  mk_big_15,  mk_big_16};

/* Blocking: chunks of row blocks whose weights fit in ~256 KiB (L2), and
 * within a chunk, token groups of 16 outside the blocks, so that a group's
 * activations (16 K bytes) stay in L2 while the chunk's tiles are reused by
 * every group. */
void bni_bl_gemm_avx512vnni(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1) {
    int64_t chunk = (int64_t)262144 / (a->ktiles * BNI_BL_TILE);
    if (chunk < 1) chunk = 1;
    for (int64_t c0 = b0; c0 < b1; c0 += chunk) {
        const int64_t c1 = c0 + chunk < b1 ? c0 + chunk : b1;
        int64_t m = m0;
        for (; m + 16 <= m1; m += 16)
            for (int64_t b = c0; b < c1; b++) mk_big_16(a, b, m);
        if (m < m1)
            for (int64_t b = c0; b < c1; b++) k_mk[m1 - m](a, b, m);
    }
}

void bni_bl_quant_avx512(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum) {
    __m512 mx = _mm512_setzero_ps();
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (int64_t i = 0; i < k; i += 16) {
        const int64_t left = k - i;
        const __mmask16 mk = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        const __m512 v = _mm512_and_ps(_mm512_maskz_loadu_ps(mk, x + i), absmask);
        mx = _mm512_max_ps(v, mx); /* a NaN in v gives mx: NaN skipped as fmaxf does */
    }
    const float amax = _mm512_reduce_max_ps(mx);
    const float s = (1.0f / fmaxf(amax, 1e-5f)) * 127.0f; /* torch: 127 / t is t.reciprocal() * 127 */
    const __m512 vs = _mm512_set1_ps(s), lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    __m512i vsum = _mm512_setzero_si512();
    for (int64_t i = 0; i < k; i += 16) {
        const int64_t left = k - i;
        const __mmask16 mk = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + i), vs);
        v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __mmask16 ok = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q); /* NaN -> 0 */
        v = _mm512_maskz_mov_ps(ok, _mm512_min_ps(_mm512_max_ps(v, lo), hi));
        const __m512i c = _mm512_cvtps_epi32(v);
        vsum = _mm512_add_epi32(vsum, c);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, mk, c);
    }
    if (kp > k) memset(q + k, 0, (size_t)(kp - k));
    *scale = s;
    *sum = _mm512_reduce_add_epi32(vsum);
}
