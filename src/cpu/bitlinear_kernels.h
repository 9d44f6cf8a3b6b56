/* Internal: BitLinear kernels (ternary weights x int8 activations).
 *
 * Kernel layout (made once by bni_bl_pack): the weights W [N, K] are cut
 * into blocks of 16 output rows (N padded to Np = 16 * nblk with rows of
 * w = 0) and, along k, into tiles of 16 (K padded to Kp = 16 * ktiles with
 * w = 0). Tile (b, t) is 64 bytes at packed + (b * ktiles + t) * 64, so the
 * tiles of one block are contiguous along k. Byte 4*l + j of a tile holds,
 * in bits 2s..2s+1, the code w[16b + l][16t + 4s + j] + 1 (0, 1, 2).
 *
 * Loading a tile and taking (byte >> 2s) & 3 gives, for each s, 16 lanes of
 * 32 bits where lane l holds the 4 codes of row l at k = 16t + 4s .. +3:
 * the operand of a 4-way int8 dot product (vpdpbusd, pmaddubsw+pmaddwd,
 * sdot) against the 4 activations at those k broadcast to every lane.
 * Since the codes are w + 1, the kernels compute
 *     acc = sum_k (w + 1) q = dot + sum_k q
 * and subtract sum_k q (computed with the activations) at the end.
 *
 * Overflow (int32, K <= Kp <= 2^20): |w + 1| <= 2 and |q| <= 128, so
 * |acc| <= 2 * 128 * 2^20 = 2^28 and |sum q| <= 2^27; acc - sum q lies in
 * [-2^28 - 2^27, 2^28 + 2^27] subset of int32. The i16 intermediates of the
 * AVX2 and no-dotprod NEON kernels, and the AVX-512 GEMV's scaled partial
 * sums (|.| <= 2^30), are bounded where they are formed (see those files).
 * tests/test_bitlinear.c runs the extremes at K = 2^20. */
#ifndef BITNET_CPU_BITLINEAR_KERNELS_H
#define BITNET_CPU_BITLINEAR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/device.h"

#define BNI_BL_ROWS 16     /* output rows per block */
#define BNI_BL_KT 16       /* k per tile */
#define BNI_BL_TILE 64     /* bytes per tile */

/* One forward's operands, shared by every kernel. */
typedef struct bni_bl_args {
    const uint8_t *w;      /* packed weights, nblk * ktiles tiles */
    int64_t ktiles;        /* Kp / 16 */
    const int8_t *x;       /* activations [M][ldx], zero in k >= K */
    int64_t ldx;           /* >= Kp, multiple of 16 */
    const int32_t *xsum;   /* per token: sum_k x */
    const float *xscale;   /* per token: s_m (y uses w_scale / s_m) */
    const float *wscale;   /* Np scales (rows >= N: anything finite) */
    float *y;              /* output [M][ldy] */
    int64_t ldy;
    int64_t n;             /* real N: rows >= n are not written */
} bni_bl_args;

/* Rows blocks [b0, b1) for tokens [m0, m1): y[m][16b + l] for 16b+l < n. */
typedef void (*bni_bl_gemm_fn)(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);

/* One token: x [k] f32 -> q [kp] int8 (zero for k..kp-1), *scale = s,
 * *sum = sum q. Every implementation gives identical codes. */
typedef void (*bni_bl_quant_fn)(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum);

typedef struct bni_bl_kernels {
    const char *name;
    bni_bl_gemm_fn gemm;
    bni_bl_quant_fn quant;
} bni_bl_kernels;

/* The kernels for bn_cpu_isa() (honours BITNET_ISA); never NULL. */
const bni_bl_kernels *bni_bl_kernels_get(void);

/* Every kernel set this CPU can run (scalar first), for tests and
 * benchmarks; returns the count (at most max written). */
int bni_bl_kernels_all(const bni_bl_kernels **list, int max);

/* Kernel set by name, or NULL when absent or not runnable here. */
const bni_bl_kernels *bni_bl_kernels_by_name(const char *name);

/* The scalar formula of one output, shared by every kernel's epilogue
 * (vector epilogues compute the same two f32 operations). */
static inline float bni_bl_out(int32_t dot, float wscale, float xscale) {
    return (float)dot * (wscale / xscale);
}

/* Layout helpers (src/cpu/bitlinear_kernels.c). */
void bni_bl_pack(const int8_t *w, int64_t n, int64_t k, uint8_t *packed);
void bni_bl_unpack(const uint8_t *packed, int64_t n, int64_t k, int8_t *w);

/* ---- implementations ---- */
void bni_bl_gemm_scalar(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);
void bni_bl_quant_scalar(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum);

#if defined(__x86_64__) || defined(_M_X64)
#define BNI_BL_HAVE_X86 1
void bni_bl_gemm_avx2(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);
void bni_bl_quant_avx2(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum);
void bni_bl_gemm_avx512vnni(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);
void bni_bl_quant_avx512(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum);
#endif

#if defined(__aarch64__)
#define BNI_BL_HAVE_NEON 1
/* Baseline ARMv8 NEON (no dotprod): in kernels/scalar/bitlinear.c, which is
 * compiled without the +dotprod flags of kernels/neon/. */
void bni_bl_gemm_neon(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);
void bni_bl_quant_neon(const float *x, int64_t k, int64_t kp, int8_t *q, float *scale, int32_t *sum);
void bni_bl_gemm_neon_dotprod(const bni_bl_args *a, int64_t b0, int64_t b1, int64_t m0, int64_t m1);
#endif

#endif
