/**
 * @file quant.h
 * @brief BitNet b1.58 quantization (ternary weights, int8 activations),
 *        dequantization, error metrics, and the packed ternary layouts of
 *        bitnet.cpp (I2_S), ggml (TQ1_0, TQ2_0) and Hugging Face.
 *
 * Quantization follows transformers' BitNet integration bit for bit
 * (`WeightQuant`, `ActQuant` in `integrations/bitnet.py`), in f32:
 *
 * - weights, absmean: `s = 1 / max(mean|W|, 1e-5)`,
 *   `w = clamp(round_half_even(W * s), -1, 1)`, `scale = 1 / s`
 *   (so `w * scale` equals transformers' `w / s` exactly);
 * - activations, absmax per row (token): `s = 127 / max(max|x|, 1e-5)`,
 *   evaluated as torch does, `127 * (1 / max(...))`,
 *   `q = clamp(round_half_even(x * s), -128, 127)`, dequantized as `q / s`.
 *
 * Rounding is to nearest, ties to even (as `torch.round` and `rintf` in the
 * default rounding mode; never `roundf`): 2.5 -> 2, 3.5 -> 4, -0.5 -> 0.
 * The mean |W| is summed in f64 and rounded once to f32; torch sums in f32
 * (a cascade whose order depends on the CPU's vector width), so the two
 * means may differ in the last bit, which changes a code only when W * s
 * lies within an ulp of a rounding boundary. NaN inputs give code 0 and
 * are ignored by the max/mean; see docs/quantization.md.
 *
 * The common in-memory form of a ternary matrix is `int8_t values[n * k]`
 * (row-major, each -1, 0 or +1; n output rows, k inputs) with f32 scales,
 * one per `group` consecutive values (group = n * k: one per tensor; k: one
 * per row; 256: one per TQ block). Value i is `values[i] * scales[i / group]`.
 * The packed layouts (::bn_quant_format) convert to and from it; every
 * packed -> common -> packed round trip reproduces the bytes exactly, and
 * every packed input is validated first (::BN_ERR_FORMAT naming the byte
 * offset and value of the first bad code).
 *
 * All functions are thread-safe on distinct outputs and allocate nothing
 * except the tensor-level ones and bn_quant_convert().
 */
#ifndef BITNET_QUANT_H
#define BITNET_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Floor of the absmean and absmax denominators (transformers' `clamp(min=1e-5)`). */
#define BN_QUANT_EPS 1e-5f

/** @brief Largest |code| of an activation (127); codes saturate at -128 and 127. */
#define BN_QUANT_ACT_QMAX 127

/** @brief How many weight scales bn_quantize_weights_f32() computes. */
typedef enum bn_quant_granularity {
    BN_QUANT_PER_TENSOR = 0, /**< One absmean over the whole matrix (BitNet b1.58, transformers). */
    BN_QUANT_PER_ROW = 1     /**< One absmean per output row. */
} bn_quant_granularity;

/* ---- raw arrays: quantization ------------------------------------------ */

/**
 * @brief Ternary absmean quantization of an n x k f32 matrix (row-major).
 *
 * For each group (the whole matrix, or each row): `m = max(mean|W|, 1e-5)`
 * (sum in f64, rounded to f32), `s = 1.0f / m`, `q = clamp(rint(W * s), -1, 1)`
 * and `scale = 1.0f / s`.
 * @param w n * k values.
 * @param n rows (output features), >= 0.
 * @param k columns (input features), >= 0.
 * @param gran ::BN_QUANT_PER_TENSOR (1 scale) or ::BN_QUANT_PER_ROW (n scales).
 * @param[out] q n * k codes -1, 0, +1.
 * @param[out] scales 1 or n dequantization scales (`W ~ q * scale`).
 * @return ::BN_ERR_INVALID_ARGUMENT for NULL pointers (allowed when the
 *         matrix is empty), negative sizes or a bad @p gran;
 *         ::BN_ERR_OVERFLOW when n * k overflows.
 */
BN_API bn_status bn_quantize_weights_f32(const float *w, int64_t n, int64_t k, bn_quant_granularity gran,
                                         int8_t *q, float *scales);

/**
 * @brief Dequantize ternary (or any int8) codes: `out[i] = q[i] * scales[i / group]`.
 * @param q @p numel codes.
 * @param numel number of codes, >= 0.
 * @param scales numel / group scales.
 * @param group values per scale, > 0, dividing @p numel (when numel > 0).
 * @param[out] out @p numel values.
 */
BN_API bn_status bn_dequantize_weights_f32(const int8_t *q, int64_t numel, const float *scales, int64_t group,
                                           float *out);

/**
 * @brief Per-token absmax int8 quantization of one row of @p k activations.
 *
 * `s = (1.0f / max(max|x|, 1e-5)) * 127.0f` (torch's rounding of
 * `127 / absmax`) and `q = clamp(rint(x * s), -128, 127)`.
 * With this scale |x * s| <= 127 up to rounding, so -128 is not produced;
 * bn_quantize_i8_f32() with a caller's scale saturates.
 * @param x @p k values.
 * @param k row length, >= 0 (k == 0 gives s = 127 * (1 / 1e-5)).
 * @param[out] q @p k codes.
 * @param[out] scale the quantization scale s (dequantize with `q / s`; a
 *             BitLinear output is `(W_q . x_q) * w_scale / s`).
 */
BN_API bn_status bn_quantize_activations_f32(const float *x, int64_t k, int8_t *q, float *scale);

/**
 * @brief bn_quantize_activations_f32() on @p m rows.
 * @param x m rows of k values, row r starting at x + r * ldx.
 * @param m rows, >= 0.
 * @param k row length, >= 0.
 * @param ldx row stride of @p x in elements, >= k.
 * @param[out] q m * k codes, contiguous.
 * @param[out] scales m scales.
 */
BN_API bn_status bn_quantize_activations_rows_f32(const float *x, int64_t m, int64_t k, int64_t ldx, int8_t *q,
                                                  float *scales);

/**
 * @brief Quantize with a given scale: `q = clamp(rint(x * s), -128, 127)`
 *        (NaN gives 0). For static scales and tests of the saturation.
 * @param x @p n values.
 * @param n count, >= 0.
 * @param s scale.
 * @param[out] q @p n codes.
 */
BN_API bn_status bn_quantize_i8_f32(const float *x, int64_t n, float s, int8_t *q);

/**
 * @brief Dequantize activations as transformers does: `out = q / s` per row.
 * @param q m * k codes.
 * @param m rows.
 * @param k row length.
 * @param scales m scales s.
 * @param[out] out m * k values.
 */
BN_API bn_status bn_dequantize_activations_f32(const int8_t *q, int64_t m, int64_t k, const float *scales,
                                               float *out);

/* ---- error metrics ------------------------------------------------------- */

/** @brief Error of an approximation against a reference, computed in f64. */
typedef struct bn_quant_metrics {
    int64_t count;      /**< Number of values compared. */
    double mse;         /**< Mean of (ref - approx)^2; 0 when count is 0. */
    double sqnr_db;     /**< 10 log10(sum ref^2 / sum (ref - approx)^2); +inf when the error is 0, -inf when the reference is 0 and the error is not. */
    double cosine;      /**< ref . approx / (|ref| |approx|); 1 when both are zero, 0 when exactly one is. */
    double max_abs_err; /**< Largest |ref - approx|. */
} bn_quant_metrics;

/**
 * @brief Error metrics between two f32 arrays (NaN anywhere propagates).
 * @param ref reference values.
 * @param approx approximation.
 * @param n count, >= 0.
 * @param[out] out written on success.
 */
BN_API bn_status bn_quant_error_f32(const float *ref, const float *approx, int64_t n, bn_quant_metrics *out);

/* ---- tensors ----------------------------------------------------------- */

/**
 * @brief Ternary absmean quantization of a float tensor (any float dtype,
 *        any strides; values read as f32).
 * @param w tensor of rank >= 1; for ::BN_QUANT_PER_ROW the rows are the last
 *        dimension (n = numel / k).
 * @param gran granularity.
 * @param[out] q new i8 tensor of w's shape with codes -1, 0, +1.
 * @param[out] scales new f32 tensor: [1] per tensor; w's shape with the last
 *             dimension 1 per row (so q * scales broadcasts).
 * @return ::BN_ERR_DTYPE for a non-float @p w; ::BN_ERR_SHAPE for rank 0.
 */
BN_API bn_status bn_quantize_weights(const bn_tensor *w, bn_quant_granularity gran, bn_tensor **q,
                                     bn_tensor **scales);

/**
 * @brief `q * scales` as a new f32 tensor of q's shape.
 * @param q i8 tensor.
 * @param scales f32 tensor whose element count divides numel(q): scale j
 *        covers q's contiguous (row-major) elements [j * g, (j + 1) * g).
 * @param[out] out written on success.
 */
BN_API bn_status bn_dequantize_weights(const bn_tensor *q, const bn_tensor *scales, bn_tensor **out);

/**
 * @brief Per-row absmax int8 quantization of a float tensor (rows along
 *        the last dimension).
 * @param x float tensor of rank >= 1.
 * @param[out] q new i8 tensor of x's shape.
 * @param[out] scales new f32 tensor of x's shape with the last dimension 1
 *             (the scales s; x ~ q / s).
 */
BN_API bn_status bn_quantize_activations(const bn_tensor *x, bn_tensor **q, bn_tensor **scales);

/**
 * @brief `q / scales` per row as a new f32 tensor.
 * @param q i8 tensor of rank >= 1.
 * @param scales f32 tensor with one element per row of @p q.
 * @param[out] out written on success.
 */
BN_API bn_status bn_dequantize_activations(const bn_tensor *q, const bn_tensor *scales, bn_tensor **out);

/**
 * @brief bn_quant_error_f32() on two tensors of the same shape (any dtype
 *        except packed; any strides).
 * @return ::BN_ERR_SHAPE naming both shapes when they differ.
 */
BN_API bn_status bn_quant_error(const bn_tensor *ref, const bn_tensor *approx, bn_quant_metrics *out);

/* ---- packed layouts ------------------------------------------------------ */

/**
 * @brief Packed ternary layouts of an n x k matrix (n output rows of k
 *        inputs). Byte diagrams in docs/quantization.md.
 */
typedef enum bn_quant_format {
    /** bitnet.cpp I2_S (x86): the n * k codes in 128-element blocks of 32
     *  bytes; byte j of a block holds elements j, j+32, j+64, j+96 in bits
     *  7-6, 5-4, 3-2, 1-0; codes 0, 1, 2 = -1, 0, +1; then one f32 scale and
     *  28 zero bytes (n * k / 4 + 32 bytes, as in GGUF). k % 128 == 0. */
    BN_QUANT_I2_S = 0,
    /** ggml TQ1_0: per 256 elements, qs[48] (5 base-3 digits per byte),
     *  qh[4] (4 digits per byte), f16 d; 54 bytes (1.6875 bits per weight).
     *  k % 256 == 0. */
    BN_QUANT_TQ1_0 = 1,
    /** ggml TQ2_0: per 256 elements, qs[64] (byte m of each 32-byte half
     *  holds elements m, m+32, m+64, m+96 in bits 1-0, 3-2, 5-4, 7-6), f16 d;
     *  66 bytes. k % 256 == 0. */
    BN_QUANT_TQ2_0 = 2,
    /** Hugging Face (microsoft/bitnet-b1.58-2B-4T): uint8 [ceil(n/4), k];
     *  with R = ceil(n/4), byte [r, c] holds rows r, r+R, r+2R, r+3R of
     *  column c in bits 1-0, 3-2, 5-4, 7-6, code = w + 1; rows past n are 0.
     *  The scale (`weight_scale`, one per tensor) is stored elsewhere. */
    BN_QUANT_HF = 3
} bn_quant_format;

/** @brief Number of ::bn_quant_format values. */
#define BN_QUANT_FORMAT_COUNT 4

/** @brief Static description of a packed layout. */
typedef struct bn_quant_format_info {
    bn_quant_format format; /**< The layout. */
    const char *name;       /**< "i2_s", "tq1_0", "tq2_0", "hf". */
    int ggml_type;          /**< GGUF/ggml type id (36, 34, 35), -1 for none. */
    int64_t k_multiple;     /**< k must be a multiple of this (128, 256, 256, 1). */
    int64_t block;          /**< Elements per scale block in the packed data (256 for TQ), 0 = one per tensor. */
    double bits_per_weight; /**< Storage bits per weight including scales, for large matrices. */
    int has_scale;          /**< 1 when the packed bytes include the scale(s). */
} bn_quant_format_info;

/**
 * @brief Description of @p format.
 * @return a pointer to static data, or NULL outside the enum.
 */
BN_API const bn_quant_format_info *bn_quant_format_get_info(bn_quant_format format);

/** @brief Name of a layout ("tq2_0"); "unknown" outside the enum. */
BN_API const char *bn_quant_format_name(bn_quant_format format);

/**
 * @brief Bytes of the packed form of an n x k matrix (scales included where
 *        the layout has them).
 * @param format layout.
 * @param n rows, >= 0.
 * @param k columns, >= 0, a multiple of the layout's k_multiple.
 * @param[out] nbytes written on success.
 * @return ::BN_ERR_SHAPE when k is not a multiple of the block;
 *         ::BN_ERR_OVERFLOW when the size does not fit.
 */
BN_API bn_status bn_quant_packed_size(bn_quant_format format, int64_t n, int64_t k, size_t *nbytes);

/**
 * @brief Number of f32 scales that bn_quant_unpack() writes and the group
 *        they cover: I2_S 1 (group n * k), TQ n * k / 256 (group 256),
 *        HF 0 (the scale lives outside the packed bytes).
 * @param format layout.
 * @param n rows.
 * @param k columns.
 * @param[out] count scales (may be NULL).
 * @param[out] group values per scale (may be NULL; 0 when count is 0).
 */
BN_API bn_status bn_quant_scale_count(bn_quant_format format, int64_t n, int64_t k, int64_t *count,
                                      int64_t *group);

/**
 * @brief Pack ternary values and scales into @p format.
 *
 * Scales: I2_S stores one f32 for the tensor, TQ one f16 `d` per
 * 256-block (rounded to nearest even), HF none (@p scales may be NULL).
 * Within one stored scale, every group of @p scales that holds a non-zero
 * code must have the same scale (groups of zeros do not matter); a TQ
 * block of zeros gets d = 0, as ggml writes it, and an I2_S tensor of
 * zeros the first scale.
 * @param format layout.
 * @param n rows.
 * @param k columns (multiple of the layout's k_multiple).
 * @param values n * k codes, each -1, 0 or +1.
 * @param scales n * k / group scales (may be NULL for HF).
 * @param group values per scale, dividing n * k (ignored for HF).
 * @param[out] dst packed bytes.
 * @param dst_size size of @p dst; must equal bn_quant_packed_size().
 * @return ::BN_ERR_OUT_OF_RANGE naming the index of a value outside
 *         -1..1; ::BN_ERR_NOT_SUPPORTED when scales differ where the layout
 *         has one; ::BN_ERR_SHAPE / ::BN_ERR_INVALID_ARGUMENT for sizes.
 *         On failure @p dst may be partly written.
 */
BN_API bn_status bn_quant_pack(bn_quant_format format, int64_t n, int64_t k, const int8_t *values,
                               const float *scales, int64_t group, void *dst, size_t dst_size);

/**
 * @brief Check packed bytes without unpacking them: the size, every code
 *        (2-bit code 3; a TQ1_0 byte that is not the encoding ggml writes for
 *        any 5 (qs) or 4 (qh) base-3 digits; HF rows past n not zero), and
 *        the scales (I2_S, TQ: finite).
 * @return ::BN_ERR_FORMAT naming the byte offset and value of the first
 *         bad byte; ::BN_ERR_SHAPE for a k the layout does not allow;
 *         ::BN_ERR_FORMAT for a size that does not match n and k.
 */
BN_API bn_status bn_quant_validate(bn_quant_format format, int64_t n, int64_t k, const void *src,
                                   size_t src_size);

/**
 * @brief Unpack into the common form after bn_quant_validate().
 * @param format layout.
 * @param n rows.
 * @param k columns.
 * @param src packed bytes.
 * @param src_size size of @p src.
 * @param[out] values n * k codes -1, 0, +1.
 * @param[out] scales bn_quant_scale_count() scales (may be NULL for HF).
 * @return as bn_quant_validate(); nothing is written on failure.
 */
BN_API bn_status bn_quant_unpack(bn_quant_format format, int64_t n, int64_t k, const void *src, size_t src_size,
                                 int8_t *values, float *scales);

/**
 * @brief Convert packed bytes from one layout to another (through the
 *        common form, in a temporary buffer).
 * @param src_format layout of @p src.
 * @param src packed bytes.
 * @param src_size size of @p src.
 * @param dst_format layout of @p dst.
 * @param[out] dst packed bytes.
 * @param dst_size size of @p dst (bn_quant_packed_size()).
 * @param n rows.
 * @param k columns (allowed by both layouts).
 * @param[in,out] tensor_scale the one scale of an HF tensor: read when
 *        @p src_format is ::BN_QUANT_HF, written when @p dst_format is (the
 *        source's scales must then be equal, ignoring all-zero TQ blocks);
 *        may be NULL otherwise.
 * @return errors of bn_quant_unpack() and bn_quant_pack();
 *         ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_quant_convert(bn_quant_format src_format, const void *src, size_t src_size,
                                  bn_quant_format dst_format, void *dst, size_t dst_size, int64_t n, int64_t k,
                                  float *tensor_scale);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_QUANT_H */
