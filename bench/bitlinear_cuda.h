/* `bitnet bench bitlinear --device cuda` (bench/bitlinear_cuda.c; built
 * with the CUDA backend only). */
#ifndef BITNET_BENCH_BITLINEAR_CUDA_H
#define BITNET_BENCH_BITLINEAR_CUDA_H

#include <stdint.h>

#include "harness.h"

/* Shapes N x K (nshapes 0: the 2B-4T defaults) and token counts (nms 0:
 * 1 and 128); returns the exit code. */
int bnb_bitlinear_cuda(const bnb_options *opt, const int64_t (*shapes)[2], int nshapes, const int64_t *ms, int nms);

#endif
