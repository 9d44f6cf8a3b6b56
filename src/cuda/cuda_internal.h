/* Internal: the CUDA backend's C interface. Built only with BITNET_CUDA;
 * src/core/device.c and src/quant/bitlinear.c call it behind
 * BITNET_CUDA_BUILT. Every function sets the thread's error message. */
#ifndef BITNET_CUDA_INTERNAL_H
#define BITNET_CUDA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- runtime.c: discovery, streams, copies ---- */

/* Usable GPUs (0 when there is no driver or no GPU). The first call asks
 * the runtime; later calls return the cached answer. When none is usable,
 * *why (if not NULL) says why ("no CUDA driver was found ..."). */
int bni_cuda_device_count(const char **why);
/* Checks index against the count; message names fn. */
bn_status bni_cuda_check_index(const char *fn, int index);
bn_status bni_cuda_device_info(int index, bn_device_info *info);
/* bitnet's stream of a GPU (created on first use; index checked by caller). */
bn_status bni_cuda_stream(int index, void **stream);
/* Make index the calling thread's current GPU. */
bn_status bni_cuda_set_device(const char *fn, int index);
bn_status bni_cuda_copy(const char *fn, bn_device dst_dev, void *dst, bn_device src_dev, const void *src,
                        size_t size, void *stream, int wait);
bn_status bni_cuda_synchronize(int index);
bn_status bni_cuda_host_alloc(size_t size, void **ptr);
bn_status bni_cuda_host_free(void *ptr);
/* A failed runtime call as a bitnet error: "fn: what: <cuda message>". */
bn_status bni_cuda_fail(const char *fn, const char *what, int cuda_error);

/* ---- device_pool.c: the caching allocator, one per GPU ---- */

bn_status bni_cuda_alloc(int index, size_t size, const char *tag, void *stream, void **ptr);
bn_status bni_cuda_release(int index, void *ptr);
bn_status bni_cuda_memory_stats(int index, bn_device_memory_stats *stats);
bn_status bni_cuda_tag_usage(int index, const char *tag, size_t *bytes, size_t *blocks);
bn_status bni_cuda_set_limit(int index, size_t bytes);
bn_status bni_cuda_empty_cache(int index, size_t *released);
bn_status bni_cuda_leak_report(int index, FILE *stream, size_t *live_blocks);

/* ---- bitlinear.cu: ternary x int8 kernels ---- */

/* Weights on one GPU in the CUDA layout (see bitlinear.cu). */
typedef struct bni_cuda_bl bni_cuda_bl;

/* Upload W [n][k] (values -1, 0, 1) with one scale per row (scales[n]). */
bn_status bni_cuda_bl_upload(int index, const int8_t *w, const float *scales, int64_t n, int64_t k,
                             bni_cuda_bl **out);
void bni_cuda_bl_free(bni_cuda_bl *w);
int bni_cuda_bl_device(const bni_cuda_bl *w);
/* y [m][n] = BitLinear(x [m][k]) on stream (NULL: bitnet's stream);
 * x and y are device pointers; asynchronous. */
bn_status bni_cuda_bl_forward(const bni_cuda_bl *w, const float *x, int64_t m, float *y, void *stream);
/* Name of the kernel used for m tokens of n outputs ("cuda-gemv-dp4a-fused", ...). */
const char *bni_cuda_bl_kernel_name(int64_t m, int64_t n);
/* For tests and benchmarks (not thread-safe; set before forwards): the
 * one-token kernel m1 (0 = default fused, 1 = quantize kernel + gemv_q;
 * BNI_CUDA_M1_VARIANTS in all) and GEMM tile variant `gemm`
 * (-1 = the default choice by shape). Returns the number of GEMM variants;
 * out-of-range values change nothing. */
#define BNI_CUDA_M1_VARIANTS 2
int bni_cuda_bl_set_variant(int m1, int gemm);

#ifdef __cplusplus
}
#endif

#endif
