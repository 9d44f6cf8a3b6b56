/* Internal: the CPU kernel table. Each family has a function pointer and
 * the name of the ISA level its implementation was built for. The table is
 * filled once from bn_cpu_isa() (which honours BITNET_ISA), and only with
 * kernels the CPU can run. */
#ifndef BITNET_CPU_KERNELS_H
#define BITNET_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/device.h"

typedef void (*bni_f32_to_u16_fn)(const float *src, uint16_t *dst, size_t n);
typedef void (*bni_u16_to_f32_fn)(const uint16_t *src, float *dst, size_t n);

typedef struct bni_cpu_kernels {
    bn_isa isa;                    /* the level the table was built for */
    bni_f32_to_u16_fn f32_to_f16;  /* round to nearest even, as bn_f32_to_f16 */
    const char *f32_to_f16_isa;
    bni_u16_to_f32_fn f16_to_f32;  /* exact, NaN quieted, as bn_f16_to_f32 */
    const char *f16_to_f32_isa;
    bni_f32_to_u16_fn f32_to_bf16; /* round to nearest even, as bn_f32_to_bf16 */
    const char *f32_to_bf16_isa;
    bni_u16_to_f32_fn bf16_to_f32;
    const char *bf16_to_f32_isa;
} bni_cpu_kernels;

/* The table for bn_cpu_isa(); never NULL. Thread-safe (pthread_once). */
const bni_cpu_kernels *bni_cpu_kernels_get(void);

/* A table built for level @p isa, or NULL when this CPU (or this build)
 * cannot run it. For tests that compare each ISA with the scalar kernels. */
const bni_cpu_kernels *bni_cpu_kernels_for_isa(bn_isa isa);

/* ---- the implementations (call only through the table) ---- */
void bni_f32_to_f16_scalar(const float *src, uint16_t *dst, size_t n);
void bni_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_bf16_scalar(const float *src, uint16_t *dst, size_t n);
void bni_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);

#if defined(__x86_64__) || defined(_M_X64)
#define BNI_HAVE_X86_KERNELS 1
void bni_f32_to_f16_sse41(const float *src, uint16_t *dst, size_t n);
void bni_f16_to_f32_sse41(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_bf16_sse41(const float *src, uint16_t *dst, size_t n);
void bni_bf16_to_f32_sse41(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n);
void bni_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_bf16_avx2(const float *src, uint16_t *dst, size_t n);
void bni_bf16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n);
void bni_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t n);
void bni_f32_to_bf16_avx512bf16(const float *src, uint16_t *dst, size_t n);
void bni_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
#endif

#if defined(__aarch64__)
#define BNI_HAVE_NEON_KERNELS 1
void bni_f32_to_f16_neon(const float *src, uint16_t *dst, size_t n);
void bni_f16_to_f32_neon(const uint16_t *src, float *dst, size_t n);
void bni_f32_to_bf16_neon(const float *src, uint16_t *dst, size_t n);
void bni_bf16_to_f32_neon(const uint16_t *src, float *dst, size_t n);
#endif

#endif
