/* Internal: the quantize kernels of the precision engine (f32 -> qint8,
 * qint4, ternary, binary). Each must give exactly the tensor module's
 * results (src/tensor/convert.c: absmax per group, code = clamp(rint(x /
 * scale)), NaN -> 0; ternary clamp(rint(x * inv), -1, 1); binary x >= 0);
 * the scalar versions are the reference, and every ISA's table is compared
 * with them bit for bit (tests/test_precision.c test_pq_kernels). */
#ifndef BITNET_PRECISION_PQ_KERNELS_H
#define BITNET_PRECISION_PQ_KERNELS_H

#include <stdint.h>

#include "bitnet/device.h"

/* max |x| over n values, NaN ignored; *nan set to 1 when one was seen. */
typedef float (*bni_pq_absmax_fn)(const float *x, int64_t n, int *nan);
/* codes[i] = clamp(rint(x[i] / scale), lo, hi), NaN -> 0. */
typedef void (*bni_pq_codes_fn)(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
/* Ternary codes of n values (n a multiple of 4), packed 4 to a byte as the
 * tensor module packs them (element k of a byte in bits 2k..2k+1, code + 1):
 * code = clamp(rint(x[i] * inv), -1, 1), NaN -> 0. Writes n / 4 bytes. */
typedef void (*bni_pq_ternary_fn)(const float *x, int64_t n, float inv, uint8_t *dst);
/* Binary codes of n values (n a multiple of 8), 8 to a byte (element k in
 * bit k): 1 for x >= 0 (+0 and -0 included), 0 otherwise (NaN included).
 * Writes n / 8 bytes. */
typedef void (*bni_pq_binary_fn)(const float *x, int64_t n, uint8_t *dst);

typedef struct bni_pq_kernels {
    bni_pq_absmax_fn absmax;
    bni_pq_codes_fn codes;
    bni_pq_ternary_fn ternary;
    bni_pq_binary_fn binary;
    const char *isa;
} bni_pq_kernels;

/* The kernels for level @p isa (NULL when this CPU or build cannot run
 * them; SSE4.1 gets the scalar ones). */
const bni_pq_kernels *bni_pq_kernels_for_isa(bn_isa isa);
/* The kernels for bn_cpu_isa(). */
const bni_pq_kernels *bni_pq_kernels_get(void);

/* Spread the 32 bits of m to the even bits of a 64-bit word (bit k -> 2k). */
static inline uint64_t bni_pq_spread32(uint32_t m) {
    uint64_t x = m;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
    x = (x | (x << 2)) & 0x3333333333333333ull;
    x = (x | (x << 1)) & 0x5555555555555555ull;
    return x;
}
/* 32 packed ternary codes from the masks of x*inv > 0.5 (g) and < -0.5 (l):
 * the 2-bit field is 2 (code +1), 1 (code 0) or 0 (code -1). */
static inline uint64_t bni_pq_ternary_word(uint32_t g, uint32_t l) {
    return bni_pq_spread32(g) << 1 | bni_pq_spread32(~(g | l));
}

float bni_pq_absmax_scalar(const float *x, int64_t n, int *nan);
void bni_pq_codes_scalar(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
void bni_pq_ternary_scalar(const float *x, int64_t n, float inv, uint8_t *dst);
void bni_pq_binary_scalar(const float *x, int64_t n, uint8_t *dst);
#if defined(__x86_64__) || defined(_M_X64)
float bni_pq_absmax_avx2(const float *x, int64_t n, int *nan);
void bni_pq_codes_avx2(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
void bni_pq_ternary_avx2(const float *x, int64_t n, float inv, uint8_t *dst);
void bni_pq_binary_avx2(const float *x, int64_t n, uint8_t *dst);
float bni_pq_absmax_avx512(const float *x, int64_t n, int *nan);
void bni_pq_codes_avx512(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
void bni_pq_ternary_avx512(const float *x, int64_t n, float inv, uint8_t *dst);
void bni_pq_binary_avx512(const float *x, int64_t n, uint8_t *dst);
#endif
#if defined(__aarch64__)
float bni_pq_absmax_neon(const float *x, int64_t n, int *nan);
void bni_pq_codes_neon(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
void bni_pq_ternary_neon(const float *x, int64_t n, float inv, uint8_t *dst);
void bni_pq_binary_neon(const float *x, int64_t n, uint8_t *dst);
#endif

#endif
