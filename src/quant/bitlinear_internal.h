/* Internal: BitLinear entry points for tests and benchmarks. */
#ifndef BITNET_QUANT_BITLINEAR_INTERNAL_H
#define BITNET_QUANT_BITLINEAR_INTERNAL_H

#include "bitnet/bitlinear.h"
#include "cpu/bitlinear_kernels.h"

/* Forward with a given kernel set: f32 activations @p x (when not NULL) or
 * int8 codes @p q with their @p scales; caller's workspace of at least
 * bn_bitlinear_workspace_size(w, m) bytes. */
bn_status bni_bitlinear_forward_with(bn_ctx *ctx, const bn_bitlinear *w, const bni_bl_kernels *kern,
                                     const float *x, const int8_t *q, const float *scales, int64_t m, float *y,
                                     void *workspace, size_t workspace_bytes);

/* The packed tiles (nblk * ktiles * 64 bytes) and padded scales. */
const uint8_t *bni_bitlinear_packed(const bn_bitlinear *w);

#endif
