/**
 * @file ops.h
 * @brief Tensor operations: element-wise arithmetic with NumPy broadcasting,
 *        comparisons, logical operations, unary math and activations,
 *        softmax, normalization, RoPE and reductions.
 *
 * Every operation comes in up to three forms:
 * - `bn_X(..., bn_tensor **out)` allocates a new contiguous result;
 * - `bn_X_into(..., bn_tensor *out)` writes into the caller's tensor (no
 *   allocation on the hot path); `out` must have the result's shape and a
 *   dtype the result may be cast to (a float result is never written into
 *   an integer or bool tensor). `out` may be one of the inputs when it is
 *   exactly that view (same storage, offset, shape and strides); any other
 *   overlap with an input is refused with ::BN_ERR_INVALID_ARGUMENT.
 * - in-place `bn_X_(a, ...)`, the same as `bn_X_into(a, ..., a)`.
 * On failure no output is written.
 *
 * Inputs may be any views (strided, transposed, broadcast with stride 0):
 * they are read in place, not copied first.
 *
 * Type promotion (as PyTorch): bool < integers < floating point; two
 * floats give the wider (f64 > f32 > f16, bf16; f16 with bf16 gives f32);
 * two integers give the one that holds both (u8 with i8 gives i16; u64 with
 * a signed type gives i64); an integer with a float gives the float. A
 * scalar operand (the `_scalar` forms) does not widen a tensor of the same
 * category: f16 tensor + 2.5 stays f16, i32 tensor + 3 stays i32, while
 * i32 tensor + 2.5 gives f32. Division (BN_OP_DIV) of integers gives f32.
 * Comparisons and logical operations give bool. f16 and bf16 are computed
 * in f32 and rounded once. Integer add, sub and mul wrap modulo 2^bits
 * (two's complement); integer division by zero in BN_OP_REM and negative
 * integer exponents in BN_OP_POW are errors, detected before anything is
 * written. Packed dtypes are not accepted (convert them first).
 *
 * Threads: work above an internal size threshold is split across the
 * context's threads; results do not depend on the thread count, except
 * floating-point reductions, whose chunking depends only on the shape.
 */
#ifndef BITNET_OPS_H
#define BITNET_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- type promotion ------------------------------------------------- */

/**
 * @brief The dtype of a binary arithmetic result of @p a and @p b (before
 *        the rules for division, comparisons and logical operations).
 * @param a first dtype.
 * @param b second dtype.
 * @param[out] out written on success.
 * @return ::BN_ERR_DTYPE for packed dtypes.
 */
BN_API bn_status bn_promote_types(bn_dtype a, bn_dtype b, bn_dtype *out);

/* ---- binary element-wise -------------------------------------------- */

/** @brief Binary element-wise operations. */
typedef enum bn_binary_op {
    BN_OP_ADD = 0,      /**< a + b */
    BN_OP_SUB = 1,      /**< a - b */
    BN_OP_MUL = 2,      /**< a * b */
    BN_OP_DIV = 3,      /**< a / b, true division (integers give f32) */
    BN_OP_REM = 4,      /**< a - floor(a / b) * b: the sign of b, as torch.remainder and Python's % */
    BN_OP_POW = 5,      /**< a ** b */
    BN_OP_MINIMUM = 6,  /**< min(a, b); NaN if either is NaN */
    BN_OP_MAXIMUM = 7,  /**< max(a, b); NaN if either is NaN */
    BN_OP_EQ = 8,       /**< a == b, bool */
    BN_OP_NE = 9,       /**< a != b, bool */
    BN_OP_LT = 10,      /**< a < b, bool */
    BN_OP_LE = 11,      /**< a <= b, bool */
    BN_OP_GT = 12,      /**< a > b, bool */
    BN_OP_GE = 13,      /**< a >= b, bool */
    BN_OP_LOGICAL_AND = 14, /**< (a != 0) and (b != 0), bool */
    BN_OP_LOGICAL_OR = 15,  /**< (a != 0) or (b != 0), bool */
    BN_OP_LOGICAL_XOR = 16  /**< (a != 0) xor (b != 0), bool */
} bn_binary_op;

/** @brief Number of ::bn_binary_op values. */
#define BN_BINARY_OP_COUNT 17

/** @brief Name of a binary operation ("add"); "unknown" outside the enum. */
BN_API const char *bn_binary_op_name(bn_binary_op op);

/**
 * @brief The dtype @p op gives for inputs @p a and @p b (promotion plus the
 *        rules for division, comparisons and logical operations).
 * @param op operation.
 * @param a first dtype.
 * @param b second dtype.
 * @param[out] out written on success.
 */
BN_API bn_status bn_binary_result_type(bn_binary_op op, bn_dtype a, bn_dtype b, bn_dtype *out);

/**
 * @brief out = op(a, b) with broadcasting, into a new tensor.
 * @param op operation.
 * @param a first operand.
 * @param b second operand (same context as @p a).
 * @param[out] out written on success.
 * @return ::BN_ERR_SHAPE naming both shapes when they do not broadcast;
 *         ::BN_ERR_DTYPE naming the op and dtype when unsupported.
 */
BN_API bn_status bn_binary(bn_binary_op op, const bn_tensor *a, const bn_tensor *b, bn_tensor **out);

/** @brief op(a, b) written into @p out (see the file comment for the rules on out). */
BN_API bn_status bn_binary_into(bn_binary_op op, const bn_tensor *a, const bn_tensor *b, bn_tensor *out);

/** @brief op(a, s) for a scalar s, into a new tensor. */
BN_API bn_status bn_binary_scalar(bn_binary_op op, const bn_tensor *a, double s, bn_tensor **out);

/** @brief op(a, s) for a scalar s, into @p out. */
BN_API bn_status bn_binary_scalar_into(bn_binary_op op, const bn_tensor *a, double s, bn_tensor *out);

/** @brief op(s, a) for a scalar s on the left (as 2 - x), into a new tensor. */
BN_API bn_status bn_binary_rscalar(bn_binary_op op, double s, const bn_tensor *a, bn_tensor **out);

/** @brief a + b. */
BN_API bn_status bn_add(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);
/** @brief a - b. */
BN_API bn_status bn_sub(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);
/** @brief a * b. */
BN_API bn_status bn_mul(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);
/** @brief a / b. */
BN_API bn_status bn_div(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);
/** @brief a += b in place (b must broadcast to a's shape). */
BN_API bn_status bn_add_(bn_tensor *a, const bn_tensor *b);
/** @brief a *= b in place (b must broadcast to a's shape). */
BN_API bn_status bn_mul_(bn_tensor *a, const bn_tensor *b);

/* ---- unary element-wise and activations ----------------------------- */

/** @brief Unary element-wise operations and activations. */
typedef enum bn_unary_op {
    BN_OP_NEG = 0,       /**< -x */
    BN_OP_ABS = 1,       /**< |x| */
    BN_OP_SIGN = 2,      /**< -1, 0 or 1 (NaN stays NaN) */
    BN_OP_SQRT = 3,      /**< sqrt(x) */
    BN_OP_RSQRT = 4,     /**< 1 / sqrt(x) */
    BN_OP_EXP = 5,       /**< e^x */
    BN_OP_LOG = 6,       /**< natural logarithm */
    BN_OP_SIN = 7,       /**< sine */
    BN_OP_COS = 8,       /**< cosine */
    BN_OP_TANH = 9,      /**< hyperbolic tangent */
    BN_OP_SIGMOID = 10,  /**< 1 / (1 + e^-x) */
    BN_OP_ERF = 11,      /**< error function */
    BN_OP_RELU = 12,     /**< max(x, 0) */
    BN_OP_RELU2 = 13,    /**< max(x, 0)^2 (BitNet b1.58's FFN activation) */
    BN_OP_GELU = 14,     /**< x * (1 + erf(x / sqrt 2)) / 2 */
    BN_OP_GELU_TANH = 15,/**< x * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 */
    BN_OP_SILU = 16,     /**< x * sigmoid(x) */
    BN_OP_SOFTPLUS = 17  /**< log(1 + e^x), = x for x > 20 as PyTorch */
} bn_unary_op;

/** @brief Number of ::bn_unary_op values. */
#define BN_UNARY_OP_COUNT 18

/** @brief Name of a unary operation ("gelu_tanh"); "unknown" outside the enum. */
BN_API const char *bn_unary_op_name(bn_unary_op op);

/**
 * @brief out = op(x), into a new tensor. Math functions of integer inputs
 *        give f32; neg, abs, sign, relu and relu2 keep integer dtypes.
 * @param op operation.
 * @param x input.
 * @param[out] out written on success.
 */
BN_API bn_status bn_unary(bn_unary_op op, const bn_tensor *x, bn_tensor **out);

/** @brief op(x) written into @p out. */
BN_API bn_status bn_unary_into(bn_unary_op op, const bn_tensor *x, bn_tensor *out);

/** @brief x = op(x) in place (op must keep x's dtype). */
BN_API bn_status bn_unary_(bn_unary_op op, bn_tensor *x);

/**
 * @brief Clamp to [lo, hi] (NaN stays NaN); lo > hi gives hi everywhere, as PyTorch.
 * @param x input.
 * @param lo lower bound (-INFINITY for none).
 * @param hi upper bound (INFINITY for none).
 * @param[out] out written on success.
 */
BN_API bn_status bn_clamp(const bn_tensor *x, double lo, double hi, bn_tensor **out);

/** @brief bn_clamp() into @p out. */
BN_API bn_status bn_clamp_into(const bn_tensor *x, double lo, double hi, bn_tensor *out);

/**
 * @brief Leaky ReLU: x for x > 0, slope * x otherwise.
 * @param x input (float).
 * @param slope negative slope (PyTorch's default is 0.01).
 * @param[out] out written on success.
 */
BN_API bn_status bn_leaky_relu(const bn_tensor *x, double slope, bn_tensor **out);

/** @brief bn_leaky_relu() into @p out. */
BN_API bn_status bn_leaky_relu_into(const bn_tensor *x, double slope, bn_tensor *out);

/* ---- softmax, normalization, RoPE ----------------------------------- */

/**
 * @brief Numerically stable softmax along @p axis (max subtracted first).
 * @param x float input.
 * @param axis axis (negative counts from the end).
 * @param[out] out written on success.
 */
BN_API bn_status bn_softmax(const bn_tensor *x, int axis, bn_tensor **out);
/** @brief bn_softmax() into @p out (may be @p x itself). */
BN_API bn_status bn_softmax_into(const bn_tensor *x, int axis, bn_tensor *out);
/** @brief log(softmax(x)) along @p axis, computed as x - max - log(sum(exp(x - max))). */
BN_API bn_status bn_log_softmax(const bn_tensor *x, int axis, bn_tensor **out);
/** @brief bn_log_softmax() into @p out. */
BN_API bn_status bn_log_softmax_into(const bn_tensor *x, int axis, bn_tensor *out);

/**
 * @brief RMSNorm over the last dimension: x / sqrt(mean(x^2) + eps) * weight,
 *        accumulated in f32 (f64 for f64), as transformers' LlamaRMSNorm.
 * @param x float input [..., d].
 * @param weight [d] or NULL (no scaling).
 * @param eps added to the mean square (e.g. 1e-5).
 * @param[out] out written on success.
 */
BN_API bn_status bn_rms_norm(const bn_tensor *x, const bn_tensor *weight, double eps, bn_tensor **out);
/** @brief bn_rms_norm() into @p out (may be @p x itself). */
BN_API bn_status bn_rms_norm_into(const bn_tensor *x, const bn_tensor *weight, double eps, bn_tensor *out);

/**
 * @brief LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) *
 *        weight + bias, with the biased variance, as torch.nn.LayerNorm.
 * @param x float input [..., d].
 * @param weight [d] or NULL.
 * @param bias [d] or NULL.
 * @param eps added to the variance.
 * @param[out] out written on success.
 */
BN_API bn_status bn_layer_norm(const bn_tensor *x, const bn_tensor *weight, const bn_tensor *bias, double eps,
                               bn_tensor **out);
/** @brief bn_layer_norm() into @p out (may be @p x itself). */
BN_API bn_status bn_layer_norm_into(const bn_tensor *x, const bn_tensor *weight, const bn_tensor *bias,
                                    double eps, bn_tensor *out);

/** @brief How RoPE pairs the dimensions of a head. */
typedef enum bn_rope_mode {
    BN_ROPE_ROTATE_HALF = 0, /**< pairs (i, i + d/2), as transformers' Llama and BitNet */
    BN_ROPE_INTERLEAVED = 1  /**< pairs (2i, 2i + 1), as the original RoFormer and GPT-J */
} bn_rope_mode;

/**
 * @brief Rotary position embedding over the last dimension of @p x, shaped
 *        [..., seq, heads, head_dim]. Position p of sequence index s is
 *        positions[s] (or offset + s when positions is NULL); frequency i is
 *        theta^(-2i / rotary_dim). The cos/sin table follows transformers'
 *        f32 cache: inverse frequencies and angles (position * inv_freq)
 *        in f32, cos and sin of each f32 angle computed in f64 and rounded
 *        to f32; see docs/ops-reductions.md.
 * @param x float input with at least 3 dimensions.
 * @param positions i32 or i64 1-D tensor of length seq, or NULL.
 * @param offset first position when @p positions is NULL.
 * @param theta base (10000, or 500000 for BitNet b1.58 2B-4T).
 * @param rotary_dim leading dimensions of each head to rotate (even, <= head_dim; 0 = all).
 * @param mode pairing.
 * @param[out] out written on success.
 */
BN_API bn_status bn_rope(const bn_tensor *x, const bn_tensor *positions, int64_t offset, double theta,
                         int64_t rotary_dim, bn_rope_mode mode, bn_tensor **out);
/** @brief bn_rope() into @p out (may be @p x itself). */
BN_API bn_status bn_rope_into(const bn_tensor *x, const bn_tensor *positions, int64_t offset, double theta,
                              int64_t rotary_dim, bn_rope_mode mode, bn_tensor *out);

/* ---- reductions ------------------------------------------------------ */

/** @brief Reductions. */
typedef enum bn_reduce_op {
    BN_REDUCE_SUM = 0,     /**< sum (integers accumulate in i64/u64; bool counts) */
    BN_REDUCE_MEAN = 1,    /**< arithmetic mean (float) */
    BN_REDUCE_VAR = 2,     /**< variance with the given correction (float) */
    BN_REDUCE_STD = 3,     /**< standard deviation with the given correction (float) */
    BN_REDUCE_MIN = 4,     /**< minimum (NaN if any is NaN) */
    BN_REDUCE_MAX = 5,     /**< maximum (NaN if any is NaN) */
    BN_REDUCE_PROD = 6,    /**< product */
    BN_REDUCE_NORM_L1 = 7, /**< sum of |x| */
    BN_REDUCE_NORM_L2 = 8, /**< sqrt of the sum of x^2 (scaled to avoid overflow) */
    BN_REDUCE_NORM_MAX = 9,/**< max of |x| */
    BN_REDUCE_ANY = 10,    /**< any non-zero, bool */
    BN_REDUCE_ALL = 11,    /**< all non-zero, bool */
    BN_REDUCE_ARGMIN = 12, /**< index of the first minimum, i64 (one axis or all, flattened) */
    BN_REDUCE_ARGMAX = 13  /**< index of the first maximum, i64 (one axis or all, flattened) */
} bn_reduce_op;

/** @brief Number of ::bn_reduce_op values. */
#define BN_REDUCE_OP_COUNT 14

/** @brief Name of a reduction ("argmax"); "unknown" outside the enum. */
BN_API const char *bn_reduce_op_name(bn_reduce_op op);

/**
 * @brief Reduce @p x over a set of axes.
 *
 * Floating-point sums accumulate in f64 for f64 input and otherwise in f32
 * pairwise (blocks of 512 summed in 32 lanes, the block sums combined as a
 * binary tree; the same order and bits on every ISA and thread count), so
 * the error grows as O(log n) rather than O(n); integer sums and products
 * wrap in 64 bits; var/std use two passes in f64; see docs/ops-reductions.md. Empty
 * reductions give the identity (sum 0, prod 1, any false, all true) or NaN
 * (mean, var, std), and are errors for min, max, argmin and argmax.
 * @param op reduction.
 * @param x input.
 * @param axes axes to reduce (negative count from the end, no repeats), or
 *        NULL with @p naxes 0 for all axes.
 * @param naxes number of axes; argmin/argmax take 0 or 1.
 * @param keepdim non-zero: reduced axes stay with size 1.
 * @param correction for var/std: divide by n - correction (1 = unbiased, as torch.var's default).
 * @param[out] out written on success.
 */
BN_API bn_status bn_reduce(bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes, int keepdim,
                           double correction, bn_tensor **out);

/** @brief bn_reduce() into @p out. */
BN_API bn_status bn_reduce_into(bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes, int keepdim,
                                double correction, bn_tensor *out);

/** @brief Sum over all elements as a double (convenience for tests and tools). */
BN_API bn_status bn_sum_all(const bn_tensor *x, double *sum);

/* ---- profiling -------------------------------------------------------- */

/**
 * @brief Turn the per-operation profile of @p ctx on or off (off by
 *        default; when off it costs one branch per operation).
 */
BN_API bn_status bn_ctx_profile_enable(bn_ctx *ctx, int enable);

/** @brief Clear the profile's counters. */
BN_API bn_status bn_ctx_profile_reset(bn_ctx *ctx);

/**
 * @brief Write the profile: per operation and device, the number of
 *        calls, elements processed and total and mean time, slowest first.
 * @param ctx the context.
 * @param stream where to write; NULL = stdout.
 */
BN_API bn_status bn_ctx_profile_report(bn_ctx *ctx, FILE *stream);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_OPS_H */
