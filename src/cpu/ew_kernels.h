/* Internal: the element-wise f32 kernel table (binary arithmetic, exp-based
 * activations, relu, abs, neg, sqrt). Chosen once from bn_cpu_isa() (which
 * honours BITNET_ISA); bni_ew_kernels_for_isa gives any level this CPU can
 * run, for tests and benchmarks that compare each ISA with scalar.
 *
 * Kernels take contiguous f32 arrays; `out` may be the same array as an
 * input (exactly, not shifted). The vector-scalar (VS) and scalar-vector
 * (SV) forms read b[0] (resp. a[0]) once. */
#ifndef BITNET_CPU_EW_KERNELS_H
#define BITNET_CPU_EW_KERNELS_H

#include <stddef.h>

#include "bitnet/device.h"

typedef void (*bni_ew_binary_fn)(const float *a, const float *b, float *out, size_t n);
typedef void (*bni_ew_unary_fn)(const float *x, float *out, size_t n);

enum { BNI_EW_ADD, BNI_EW_SUB, BNI_EW_MUL, BNI_EW_DIV, BNI_EW_MIN, BNI_EW_MAX, BNI_EW_BINARY_COUNT };
enum { BNI_EW_VV, BNI_EW_VS, BNI_EW_SV, BNI_EW_FORMS };
enum {
    BNI_EWU_EXP,
    BNI_EWU_SIGMOID,
    BNI_EWU_TANH,
    BNI_EWU_SILU,
    BNI_EWU_GELU,
    BNI_EWU_GELU_TANH,
    BNI_EWU_SOFTPLUS,
    BNI_EWU_ERF,
    BNI_EWU_RELU,
    BNI_EWU_RELU2,
    BNI_EWU_ABS,
    BNI_EWU_NEG,
    BNI_EWU_SQRT,
    BNI_EWU_COUNT
};

typedef struct bni_ew_kernels {
    bn_isa isa;
    const char *binary_isa; /* level the binary kernels were built for */
    const char *unary_isa;
    bni_ew_binary_fn binary[BNI_EW_BINARY_COUNT][BNI_EW_FORMS];
    bni_ew_unary_fn unary[BNI_EWU_COUNT];
} bni_ew_kernels;

/* The table for bn_cpu_isa(); never NULL. */
const bni_ew_kernels *bni_ew_kernels_get(void);
/* The table for level isa, or NULL when this CPU or build cannot run it. */
const bni_ew_kernels *bni_ew_kernels_for_isa(bn_isa isa);
/* "ew_binary avx512\new_unary avx512\n" for bn_cpu_kernels_describe. */
const char *bni_ew_kernels_describe(void);

/* Each ISA's files fill their part of a table. */
void bni_ew_fill_binary_scalar(bni_ew_kernels *k);
void bni_ew_fill_unary_scalar(bni_ew_kernels *k);
#if defined(__x86_64__) || defined(_M_X64)
void bni_ew_fill_binary_sse41(bni_ew_kernels *k);
void bni_ew_fill_unary_sse41(bni_ew_kernels *k);
void bni_ew_fill_binary_avx2(bni_ew_kernels *k);
void bni_ew_fill_unary_avx2(bni_ew_kernels *k);
void bni_ew_fill_binary_avx512(bni_ew_kernels *k);
void bni_ew_fill_unary_avx512(bni_ew_kernels *k);
#endif
#if defined(__aarch64__)
void bni_ew_fill_binary_neon(bni_ew_kernels *k);
void bni_ew_fill_unary_neon(bni_ew_kernels *k);
#endif

#endif
