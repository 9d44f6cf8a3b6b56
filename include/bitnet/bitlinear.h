/**
 * @file bitlinear.h
 * @brief BitLinear: ternary weights times int8 activations on the CPU.
 *
 * A ::bn_bitlinear holds one linear layer's ternary weights W [N, K]
 * (values -1, 0, +1) and their scales (one per tensor, or one per output
 * row), repacked once at creation into the kernel layout (docs/bitlinear.md:
 * tiles of 16 rows x 16 k, 2-bit codes w + 1). Forward computes, for every
 * token m and output row n,
 *
 *     q[m][k]  = clamp(rint(x[m][k] * s_m), -128, 127),
 *                s_m = (1 / max(max_k |x[m][k]|, 1e-5)) * 127 (absmax per token;
 *                      torch evaluates 127 / t as t.reciprocal() * 127)
 *     dot      = sum_k W[n][k] * q[m][k]                      (exact, int32)
 *     y[m][n]  = (float)dot * (w_scale[n] / s_m)              (f32)
 *
 * rint rounds half to even (as torch.round). The int32 sum cannot overflow
 * for K up to 2^20 (bn_bitlinear_new_from_ternary() refuses larger K).
 * Every kernel (scalar, AVX2, AVX-512 VNNI, NEON with and without dotprod)
 * gives the same int32 sums and therefore bit-identical outputs; the
 * kernel is chosen once per process from bn_cpu_isa() (`BITNET_ISA` forces
 * a lower level). Work is split over output rows (and, for many tokens,
 * row blocks) across the context's threads; results do not depend on the
 * thread count.
 *
 * Memory: the object's buffers come from the context's pool (tag
 * "bitlinear"). bn_bitlinear_forward() quantizes into a workspace owned by
 * the object, grown on first use to the largest M seen; call
 * bn_bitlinear_reserve() at load time so that the hot path never allocates.
 * Callers that want to own that memory use bn_bitlinear_forward_ws().
 */
#ifndef BITNET_BITLINEAR_H
#define BITNET_BITLINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Largest K (input features) a ::bn_bitlinear accepts: 2^20. */
#define BN_BITLINEAR_MAX_K ((int64_t)1 << 20)

/** @brief A packed ternary weight matrix with its scales. Opaque. */
typedef struct bn_bitlinear bn_bitlinear;

/**
 * @brief Pack ternary weights into a new BitLinear object.
 * @param ctx context whose pool holds the packed weights (must outlive the object).
 * @param w N*K values, row-major (row n holds the K weights of output n),
 *        each -1, 0 or +1.
 * @param n output features N, >= 1.
 * @param k input features K, 1 .. ::BN_BITLINEAR_MAX_K.
 * @param scales one f32 per tensor (@p per_row zero) or N (@p per_row
 *        non-zero); W_real = w * scale. Finite.
 * @param per_row non-zero: one scale per output row.
 * @param[out] out written on success; free with bn_bitlinear_free().
 * @return ::BN_ERR_INVALID_ARGUMENT for NULL pointers, a weight outside
 *         {-1, 0, 1} or a non-finite scale; ::BN_ERR_SHAPE for n or k out of
 *         range; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_bitlinear_new_from_ternary(bn_ctx *ctx, const int8_t *w, int64_t n, int64_t k,
                                               const float *scales, int per_row, bn_bitlinear **out);

/**
 * @brief Quantize f32 master weights (BitNet b1.58 absmean) and pack them.
 *
 * Per tensor (or per row when @p per_row): s = 1 / max(mean|W|, 1e-5),
 * w = clamp(rint(W * s), -1, 1), scale = 1 / s. The mean is accumulated in
 * double.
 * @param ctx context.
 * @param w N*K f32 values, row-major; finite.
 * @param n output features.
 * @param k input features.
 * @param per_row non-zero: one scale per output row.
 * @param[out] out written on success.
 * @return as bn_bitlinear_new_from_ternary(); ::BN_ERR_INVALID_ARGUMENT for
 *         a non-finite weight.
 */
BN_API bn_status bn_bitlinear_new_from_f32(bn_ctx *ctx, const float *w, int64_t n, int64_t k, int per_row,
                                           bn_bitlinear **out);

/** @brief Free the object and its workspace. NULL is ignored. */
BN_API void bn_bitlinear_free(bn_bitlinear *w);

/** @brief Output features N (0 for NULL). */
BN_API int64_t bn_bitlinear_rows(const bn_bitlinear *w);

/** @brief Input features K (0 for NULL). */
BN_API int64_t bn_bitlinear_cols(const bn_bitlinear *w);

/** @brief Non-zero when the object has one scale per output row. */
BN_API int bn_bitlinear_per_row(const bn_bitlinear *w);

/** @brief Bytes of the packed weights (the traffic of one forward). */
BN_API size_t bn_bitlinear_packed_bytes(const bn_bitlinear *w);

/**
 * @brief Unpack the weights and scales (the inverse of packing).
 * @param w the object.
 * @param[out] values N*K int8 values -1, 0, +1, row-major.
 * @param[out] scales 1 (per tensor) or N (per row) floats; may be NULL.
 */
BN_API bn_status bn_bitlinear_to_ternary(const bn_bitlinear *w, int8_t *values, float *scales);

/**
 * @brief Quantize activations, absmax per token (the same function the
 *        forward uses): s_m = (1 / max(max|x_m|, 1e-5)) * 127,
 *        q = clamp(rint(x * s_m), -128, 127), half to even. NaN inputs give
 *        unspecified codes.
 * @param x M*K f32, row-major.
 * @param m tokens.
 * @param k features per token.
 * @param[out] q M*K int8 codes.
 * @param[out] scales M multipliers s_m (x ~ q / s_m).
 */
BN_API bn_status bn_bitlinear_quantize_activations(const float *x, int64_t m, int64_t k, int8_t *q,
                                                   float *scales);

/**
 * @brief y = BitLinear(x) for @p m tokens, activation quantization fused in.
 * @param ctx context whose threads run the work.
 * @param w the weights.
 * @param x M*K f32 activations, row-major.
 * @param m tokens, >= 0 (0 does nothing).
 * @param[out] y M*N f32, row-major.
 * @return ::BN_ERR_OUT_OF_MEMORY only when the object's workspace must grow
 *         (never after bn_bitlinear_reserve() with at least @p m).
 *
 * Uses the object's workspace; concurrent calls on one object are safe (a
 * call that finds the workspace busy allocates a temporary one).
 */
BN_API bn_status bn_bitlinear_forward(bn_ctx *ctx, const bn_bitlinear *w, const float *x, int64_t m, float *y);

/**
 * @brief Grow the object's workspace for up to @p max_m tokens now, so that
 *        bn_bitlinear_forward() with m <= max_m allocates nothing.
 */
BN_API bn_status bn_bitlinear_reserve(bn_bitlinear *w, int64_t max_m);

/**
 * @brief Bytes of workspace bn_bitlinear_forward_ws() and
 *        bn_bitlinear_forward_q8() need for @p m tokens (0 on bad arguments).
 */
BN_API size_t bn_bitlinear_workspace_size(const bn_bitlinear *w, int64_t m);

/**
 * @brief bn_bitlinear_forward() with caller-owned workspace.
 * @param ctx context.
 * @param w the weights.
 * @param x M*K f32.
 * @param m tokens.
 * @param[out] y M*N f32.
 * @param workspace at least bn_bitlinear_workspace_size(w, m) bytes,
 *        64-byte aligned for best speed (any alignment works).
 * @param workspace_bytes its size.
 */
BN_API bn_status bn_bitlinear_forward_ws(bn_ctx *ctx, const bn_bitlinear *w, const float *x, int64_t m, float *y,
                                         void *workspace, size_t workspace_bytes);

/**
 * @brief y = BitLinear on pre-quantized activations:
 *        y[m][n] = (float)(sum_k W[n][k] q[m][k]) * (w_scale[n] / scales[m]).
 * @param ctx context.
 * @param w the weights.
 * @param q M*K int8 codes, row-major (any value -128..127).
 * @param scales M multipliers s_m (as bn_bitlinear_quantize_activations()), non-zero.
 * @param m tokens.
 * @param[out] y M*N f32.
 * @param workspace bn_bitlinear_workspace_size(w, m) bytes, or NULL to use
 *        the object's workspace (as bn_bitlinear_forward()).
 * @param workspace_bytes its size (ignored when @p workspace is NULL).
 */
BN_API bn_status bn_bitlinear_forward_q8(bn_ctx *ctx, const bn_bitlinear *w, const int8_t *q, const float *scales,
                                         int64_t m, float *y, void *workspace, size_t workspace_bytes);

/**
 * @brief Tensor form: @p x f32 of shape [..., K] (any strides) gives a new
 *        contiguous f32 tensor [..., N].
 * @param ctx context (threads and the new tensor's pool).
 * @param w the weights.
 * @param x input tensor, at least one dimension.
 * @param[out] y written on success; free with bn_tensor_free().
 * @return ::BN_ERR_DTYPE when x is not f32; ::BN_ERR_SHAPE when its last
 *         dimension is not K.
 */
BN_API bn_status bn_bitlinear_forward_tensor(bn_ctx *ctx, const bn_bitlinear *w, const bn_tensor *x,
                                             bn_tensor **y);

/**
 * @brief Copy the weights to a GPU, in the CUDA kernels' layout (2 bits per
 *        weight). The CPU copy stays, so CPU forwards keep working; a second
 *        call replaces the GPU copy. The GPU copy is freed by bn_bitlinear_free().
 * @param w the weights.
 * @param device a CUDA device (the CPU is accepted and does nothing).
 * @return ::BN_ERR_DEVICE_UNAVAILABLE without CUDA or GPU;
 *         ::BN_ERR_OUT_OF_MEMORY (the weights are left as they were).
 */
BN_API bn_status bn_bitlinear_to_device(bn_bitlinear *w, bn_device device);

/**
 * @brief Where the weights' GPU copy lives (::BN_DEVICE_CPU when there is none).
 * @param w the weights.
 * @param[out] device written on success.
 */
BN_API bn_status bn_bitlinear_device(const bn_bitlinear *w, bn_device *device);

/**
 * @brief BitLinear forward on the GPU holding @p w's copy:
 *        y[m][n] = sum_k W[n][k] q[m][k] * w_scale[n] / s_m, with the
 *        per-token int8 quantization of @p x fused in. Results equal
 *        bn_bitlinear_forward()'s bit for bit.
 *
 * Asynchronous: the work is queued on @p stream and the call returns; wait
 * with bn_device_synchronize() or the stream. Scratch memory for m > 1
 * comes from the device's caching allocator, stream-ordered. Any N, K and M.
 * @param w weights moved with bn_bitlinear_to_device().
 * @param x device pointer to m x K f32 activations (row-major).
 * @param m number of tokens (0 does nothing).
 * @param y device pointer to m x N f32 outputs.
 * @param stream a `cudaStream_t`, or NULL for bitnet's stream of that GPU.
 * @return ::BN_ERR_INVALID_ARGUMENT when @p w has no GPU copy.
 */
BN_API bn_status bn_bitlinear_forward_device(const bn_bitlinear *w, const float *x, int64_t m, float *y,
                                             void *stream);

/**
 * @brief Name of the CUDA kernel a forward of @p m tokens through @p w
 *        uses ("cuda-gemv-dp4a-fused", "cuda-gemv-dp4a",
 *        "cuda-gemm-wmma-int8-..."), or "none" when @p w has no GPU copy.
 * @param w the weights.
 * @param m number of tokens.
 */
BN_API const char *bn_bitlinear_device_kernel_name(const bn_bitlinear *w, int64_t m);

/**
 * @brief Name of the kernel forwards use in this process ("avx512vnni",
 *        "avx2", "neon-dotprod", "neon", "scalar").
 */
BN_API const char *bn_bitlinear_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_BITLINEAR_H */
