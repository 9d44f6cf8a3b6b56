/**
 * @file precision.h
 * @brief Mixed precision: a conversion engine (plain, zero-copy, in place,
 *        streaming, batched), per-layer precision policies with presets,
 *        pattern overrides, JSON and validation, and a per-tensor error
 *        report.
 *
 * ## Conversion rules
 * Every conversion follows the tensor module's cast rules (tensor.h,
 * docs/tensors.md) and gives the same bytes as bn_tensor_cast() /
 * bn_tensor_cast_quantized() on the same input, whichever engine path runs:
 * - float to float: round to nearest even; NaN stays NaN (quiet);
 *   overflow gives infinity (f32 -> f16 above 65504 + half an ulp);
 * - float to integer (i8 ...): truncate toward zero, saturate, NaN gives 0;
 * - int8 with scale (::BN_DTYPE_QINT8) and int4 with scale
 *   (::BN_DTYPE_QINT4): per group, `scale = max|x| / qmax` (qmax 127 or 7;
 *   an all-zero group gets scale 1), `code = clamp(rint(x / scale), -128|-8,
 *   127|7)`, ties to even, NaN gives code 0 and a NaN scale for its group;
 * - ternary: BitNet b1.58 absmean, `m = max(mean|x|, 1e-5)`,
 *   `code = clamp(rint(x * (1/m)), -1, 1)`, scale m;
 * - binary: scale mean|x|, code +1 for x >= 0, else -1;
 * - int4 without scale (::BN_DTYPE_INT4): as float to integer, saturating
 *   at -8..7.
 * A group is the whole tensor (::BN_PRECISION_PER_TENSOR), one row along the
 * last dimension (::BN_PRECISION_PER_ROW) or @c block consecutive elements in
 * row-major order (::BN_PRECISION_PER_BLOCK). Dequantization is
 * `code * scale` in f32.
 *
 * The f16/bf16 paths of the engine use the CPU kernel table (F16C, AVX-512
 * (+BF16), NEON, scalar reference, chosen by bn_cpu_isa()); f32 -> qint8,
 * qint4, ternary and binary (contiguous f32 sources) use the module's own
 * quantize kernels (scalar reference, AVX2, AVX-512, NEON: absmax and codes
 * for qint8/qint4, packed codes for ternary and binary) on the context's
 * thread pool; the ternary/binary mean stays a scalar f64 sum in element
 * order per group (groups run in parallel). Every ISA and thread count gives
 * the same bits.
 *
 * ## Presets
 * | layer kind | Conservative | Balanced       | Aggressive     |
 * |------------|--------------|----------------|----------------|
 * | linear     | bf16         | ternary/tensor | ternary/tensor |
 * | attention  | bf16         | ternary/tensor | ternary/tensor |
 * | embedding  | f32          | bf16           | qint8/row      |
 * | norm       | f32          | f32            | bf16           |
 * | activation | f32          | qint8/row      | qint8/row      |
 * | output     | f32          | bf16           | qint8/row      |
 * | kv_cache   | f32          | f16            | qint8/block 32 |
 *
 * Balanced is BitNet b1.58 as published (ternary weights with one absmean
 * scale per tensor, int8 per-token activations) with 16-bit embeddings,
 * output and KV cache; Conservative keeps everything floating point;
 * Aggressive quantizes everything but the norms to 8 bits or fewer.
 *
 * ## Policy JSON
 * @code{.json}
 * {
 *   "format": "bitnet-precision-policy",
 *   "version": 1,
 *   "base": "balanced",
 *   "kinds": { "embedding": "f16",
 *              "kv_cache": {"dtype": "qint8", "granularity": "block", "block": 64} },
 *   "overrides": [ {"pattern": "model.layers.*.mlp.down_proj",
 *                   "spec": {"dtype": "qint8", "granularity": "row"}} ]
 * }
 * @endcode
 * "base" (a preset name, default "conservative"), "kinds" and "overrides"
 * are optional; a spec is a dtype name (granularity per tensor) or an object
 * with "dtype", "granularity" ("tensor", "row", "block") and, for blocks,
 * "block". bn_precision_policy_to_json() writes every kind and override, so
 * that load(save(p)) equals p. Unknown keys are errors. The reader and
 * writer are part of this module (no jansson needed), so policies load in
 * every build.
 *
 * All functions are thread-safe on distinct objects; a policy may be read
 * from several threads at once.
 */
#ifndef BITNET_PRECISION_H
#define BITNET_PRECISION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/context.h"
#include "bitnet/device.h"
#include "bitnet/export.h"
#include "bitnet/quant.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- conversion specs --------------------------------------------------- */

/** @brief Which elements share one scale (dtypes with scales only). */
typedef enum bn_precision_granularity {
    BN_PRECISION_PER_TENSOR = 0, /**< One scale for the whole tensor. */
    BN_PRECISION_PER_ROW = 1,    /**< One scale per row (the last dimension). */
    BN_PRECISION_PER_BLOCK = 2   /**< One scale per @c block consecutive elements. */
} bn_precision_granularity;

/** @brief A target precision: dtype plus, for dtypes with scales, their grouping. */
typedef struct bn_precision_spec {
    bn_dtype dtype;                       /**< Target dtype. */
    bn_precision_granularity granularity; /**< Ignored for dtypes without scales. */
    int64_t block;                        /**< Elements per scale for ::BN_PRECISION_PER_BLOCK (> 0), else ignored. */
} bn_precision_spec;

/** @brief A spec with @p dtype, per tensor. */
BN_API bn_precision_spec bn_precision_spec_of(bn_dtype dtype);

/**
 * @brief Write a spec as text: "f16", "qint8/row", "qint4/block32", "ternary/tensor"
 *        (the form bn_precision_spec_parse() reads). Always NUL-terminated when size > 0.
 * @param spec the spec.
 * @param buf destination.
 * @param size size of @p buf.
 */
BN_API bn_status bn_precision_spec_format(const bn_precision_spec *spec, char *buf, size_t size);

/**
 * @brief Parse "dtype", "dtype/tensor", "dtype/row" or "dtype/blockN".
 * @param text the text.
 * @param[out] spec written on success.
 * @return ::BN_ERR_INVALID_ARGUMENT naming the text when it is not one of those.
 */
BN_API bn_status bn_precision_spec_parse(const char *text, bn_precision_spec *spec);

/**
 * @brief The scale group size @p spec gives a tensor of this shape: 0 (no
 *        scales, or one for the whole tensor), the last dimension, or the block.
 * @param spec target.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param[out] group written on success.
 * @return ::BN_ERR_SHAPE when the group does not divide the element count
 *         (or a per-row spec meets a 0-d tensor); ::BN_ERR_INVALID_ARGUMENT
 *         for a block <= 0.
 */
BN_API bn_status bn_precision_group_size(const bn_precision_spec *spec, int ndim, const int64_t *shape,
                                         int64_t *group);

/**
 * @brief Bytes a tensor of this shape takes in @p spec: the packed or plain
 *        elements plus 4 bytes per scale.
 * @param spec target.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param[out] nbytes written on success.
 * @return as bn_precision_group_size(); ::BN_ERR_OVERFLOW when the size does not fit.
 */
BN_API bn_status bn_precision_bytes(const bn_precision_spec *spec, int ndim, const int64_t *shape,
                                    size_t *nbytes);

/* ---- raw arrays (the kernel table's vectorized paths) ------------------- */

/** @brief f32 -> f16, round to nearest even, as bn_f32_to_f16(), vectorized. */
BN_API void bn_precision_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/** @brief f16 -> f32 (exact), vectorized. */
BN_API void bn_precision_f16_to_f32(const uint16_t *src, float *dst, size_t n);
/** @brief f32 -> bf16, round to nearest even, as bn_f32_to_bf16(), vectorized. */
BN_API void bn_precision_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
/** @brief bf16 -> f32 (exact), vectorized. */
BN_API void bn_precision_bf16_to_f32(const uint16_t *src, float *dst, size_t n);

/* ---- the conversion engine ---------------------------------------------- */

/**
 * @brief Convert @p src to @p spec as a new tensor, or a view.
 *
 * When @p src already has the spec's dtype, is contiguous and (for dtypes
 * with scales) has the spec's group size, no data is copied: @p out is a
 * new handle on src's storage (bn_tensor_shares_storage() is 1) and
 * @p is_view is set to 1. Otherwise @p out is a new contiguous tensor with
 * the same bytes bn_tensor_cast_quantized() / bn_tensor_cast() give.
 * @param src source tensor (any dtype, any strides).
 * @param spec target.
 * @param[out] out written on success; free with bn_tensor_free().
 * @param[out] is_view 1 when @p out shares src's storage, else 0 (may be NULL).
 */
BN_API bn_status bn_precision_convert(const bn_tensor *src, const bn_precision_spec *spec, bn_tensor **out,
                                      int *is_view);

/**
 * @brief Convert @p t in place: the handle @p t itself changes dtype and
 *        its data is rewritten in the first bytes of the same storage.
 *
 * "In place" means: no new element storage is allocated (only a scratch of
 * at most 32 KiB on the stack, plus, for scaled targets, the scales in a temporary of
 * 4 bytes per group); on success bn_tensor_dtype(t) is the spec's dtype,
 * bn_tensor_data(t) is the same address as before, and the converted
 * elements occupy its first bn_tensor_nbytes(t) bytes. For dtypes with
 * scales the scales are stored at the end of the old buffer (where the
 * tensor module keeps them), so the target plus its scales must fit in the
 * source's bytes. The storage is not shrunk: its memory is returned when
 * @p t is freed. The bytes match bn_precision_convert().
 *
 * Requirements (::BN_ERR_NOT_SUPPORTED naming the one that fails, with @p t
 * unchanged): @p t is contiguous with offset 0; @p t is the only handle on
 * its storage (no view may see the bytes change under it); the source is
 * not packed; the target element is no larger than the source element
 * (f32 -> f16, bf16, i8, qint8, qint4, int4, ternary, binary;
 * f16 <-> bf16; ...); scaled targets need an f32 source and room for the
 * scales (not a group of 1).
 * @param t tensor to convert.
 * @param spec target.
 */
BN_API bn_status bn_precision_convert_inplace(bn_tensor *t, const bn_precision_spec *spec);

/**
 * @brief Convert @p src into a new contiguous tensor using at most
 *        @p budget bytes of scratch memory besides the output.
 *
 * The source is read in chunks of whole rows/groups where they fit in the
 * budget; a scale group larger than the budget is handled in two passes
 * (the scale first, then the codes), so a per-tensor quantization of a
 * tensor of any size needs only the budget. Scratch for a scaled target
 * is 5 bytes per value (f32 value and code), else 4. The result equals
 * bn_precision_convert()'s bytes (never a view).
 * @param src source (any dtype, any strides).
 * @param spec target.
 * @param budget scratch bytes, >= 4096 (smaller values are raised to 4096).
 * @param[out] out written on success.
 */
BN_API bn_status bn_precision_convert_stream(const bn_tensor *src, const bn_precision_spec *spec, size_t budget,
                                             bn_tensor **out);

/**
 * @brief Convert @p n tensors on the context's thread pool, one tensor per
 *        task; the result equals calling bn_precision_convert() on each in
 *        order.
 * @param ctx context whose threads run the work.
 * @param src @p n sources.
 * @param specs @p n targets (or one, when @p one_spec is non-zero).
 * @param one_spec non-zero: @p specs[0] applies to every tensor.
 * @param n count.
 * @param[out] out @p n results, written only when every conversion succeeds
 *             (on failure nothing is kept and the message names the index of
 *             the first tensor that failed).
 */
BN_API bn_status bn_precision_convert_batch(bn_ctx *ctx, const bn_tensor *const *src, const bn_precision_spec *specs,
                                            int one_spec, size_t n, bn_tensor **out);

/* ---- layer kinds ---------------------------------------------------------- */

/** @brief What a tensor is used for; a policy maps each kind to a spec. */
typedef enum bn_layer_kind {
    BN_LAYER_LINEAR = 0,     /**< MLP projections (gate, up, down). */
    BN_LAYER_ATTENTION = 1,  /**< Attention projections (q, k, v, o). */
    BN_LAYER_EMBEDDING = 2,  /**< Token embeddings. */
    BN_LAYER_NORM = 3,       /**< RMSNorm/LayerNorm weights. */
    BN_LAYER_ACTIVATION = 4, /**< Activations fed to the linear layers. */
    BN_LAYER_OUTPUT = 5,     /**< The output projection (lm_head). */
    BN_LAYER_KV_CACHE = 6    /**< Keys and values kept across tokens. */
} bn_layer_kind;

/** @brief Number of ::bn_layer_kind values. */
#define BN_LAYER_KIND_COUNT 7

/** @brief "linear", "attention", "embedding", "norm", "activation", "output", "kv_cache"; "unknown" outside. */
BN_API const char *bn_layer_kind_name(bn_layer_kind kind);

/** @brief Parse a kind name. @return ::BN_ERR_INVALID_ARGUMENT for an unknown name. */
BN_API bn_status bn_layer_kind_from_name(const char *name, bn_layer_kind *kind);

/**
 * @brief Guess the kind of a tensor from its Hugging Face name: "norm" in
 *        the name -> norm; embed_tokens / wte / tok_embeddings -> embedding;
 *        lm_head / output.weight -> output; q/k/v/o_proj, attn, attention ->
 *        attention; k_cache / v_cache / kv_cache -> kv_cache; everything
 *        else (gate/up/down_proj, mlp, ...) -> linear.
 */
BN_API bn_layer_kind bn_layer_kind_guess(const char *name);

/* ---- policies ------------------------------------------------------------- */

/** @brief Built-in policies; the mapping is in the file comment. */
typedef enum bn_precision_preset {
    BN_PRECISION_CONSERVATIVE = 0, /**< Everything floating point. */
    BN_PRECISION_BALANCED = 1,     /**< BitNet b1.58: ternary weights, int8 activations, 16-bit elsewhere. */
    BN_PRECISION_AGGRESSIVE = 2    /**< 8 bits or fewer everywhere but the norms. */
} bn_precision_preset;

/** @brief "conservative", "balanced", "aggressive"; "unknown" outside. */
BN_API const char *bn_precision_preset_name(bn_precision_preset preset);
/** @brief Parse a preset name (case-insensitive). */
BN_API bn_status bn_precision_preset_from_name(const char *name, bn_precision_preset *preset);

/** @brief A policy: a spec per layer kind plus overrides per name pattern. Opaque. */
typedef struct bn_precision_policy bn_precision_policy;

/**
 * @brief A new policy holding @p preset's mapping and no overrides.
 * @param preset the starting mapping.
 * @param[out] out written on success; free with bn_precision_policy_free().
 */
BN_API bn_status bn_precision_policy_new(bn_precision_preset preset, bn_precision_policy **out);

/** @brief A deep copy of @p p. */
BN_API bn_status bn_precision_policy_clone(const bn_precision_policy *p, bn_precision_policy **out);

/** @brief Free a policy; NULL is ignored. */
BN_API void bn_precision_policy_free(bn_precision_policy *p);

/** @brief The spec for @p kind. */
BN_API bn_status bn_precision_policy_get(const bn_precision_policy *p, bn_layer_kind kind, bn_precision_spec *spec);

/**
 * @brief Set the spec for @p kind. Only the form is checked here (a valid
 *        dtype and granularity, block > 0); bn_precision_policy_validate()
 *        judges whether the choice makes sense.
 */
BN_API bn_status bn_precision_policy_set(bn_precision_policy *p, bn_layer_kind kind, const bn_precision_spec *spec);

/**
 * @brief Add (or replace, when the same pattern exists) an override for the
 *        tensors whose names match @p pattern.
 *
 * Patterns are globs over the whole name: `*` matches any run of characters
 * (dots included), `?` one character, everything else itself. A pattern
 * also matches a name ending in `.weight` or `.bias` when it matches the
 * name without that suffix, so `model.layers.*.mlp.down_proj` matches
 * `model.layers.0.mlp.down_proj.weight` (and `.bias`), as
 * bn_precision_override_matches() tells. When several overrides match a name,
 * the most specific wins: the one with the most literal (non-wildcard)
 * characters; among equals, the one added last. Overrides beat the kind.
 * @param p policy.
 * @param pattern non-empty, at most 255 bytes.
 * @param spec the spec for matching tensors.
 */
BN_API bn_status bn_precision_policy_add_override(bn_precision_policy *p, const char *pattern,
                                                  const bn_precision_spec *spec);

/** @brief Remove the override with exactly this pattern; ::BN_ERR_OUT_OF_RANGE when there is none. */
BN_API bn_status bn_precision_policy_remove_override(bn_precision_policy *p, const char *pattern);

/** @brief Number of overrides. */
BN_API size_t bn_precision_policy_override_count(const bn_precision_policy *p);

/**
 * @brief Override @p index in the order they were added.
 * @param p policy.
 * @param index 0 .. bn_precision_policy_override_count() - 1.
 * @param[out] pattern the pattern (valid until the policy changes; may be NULL).
 * @param[out] spec its spec (may be NULL).
 */
BN_API bn_status bn_precision_policy_override_at(const bn_precision_policy *p, size_t index, const char **pattern,
                                                 bn_precision_spec *spec);

/** @brief 1 when the whole of @p name matches the glob @p pattern (`*`, `?`), else 0. */
BN_API int bn_precision_glob_match(const char *pattern, const char *name);

/**
 * @brief 1 when an override with @p pattern applies to the tensor @p name:
 *        the glob matches the whole name, or the name has a trailing
 *        `.weight` or `.bias` and the glob matches the name without it
 *        (`model.layers.*.mlp.down_proj` matches
 *        `model.layers.0.mlp.down_proj.weight`); else 0 (also for NULL).
 * @param pattern glob (`*` any run of characters, `?` one character).
 * @param name tensor name.
 */
BN_API int bn_precision_override_matches(const char *pattern, const char *name);

/**
 * @brief The spec for the tensor @p name of kind @p kind: the most specific
 *        matching override, else the kind's spec.
 * @param p policy.
 * @param name tensor name (may be NULL: the kind's spec).
 * @param kind its kind.
 * @param[out] spec written on success.
 * @param[out] matched the winning pattern, or NULL when the kind's spec
 *             applies (may itself be NULL).
 */
BN_API bn_status bn_precision_policy_resolve(const bn_precision_policy *p, const char *name, bn_layer_kind kind,
                                             bn_precision_spec *spec, const char **matched);

/**
 * @brief Check that @p device can run @p p.
 *
 * Errors (the call fails with the first one as bn_last_error()):
 * - a norm kind, or an override whose pattern names a norm (its kind by
 *   bn_layer_kind_guess()), that is not floating point
 *   (::BN_ERR_DTYPE: "norm layers must stay floating point");
 * - a dtype no kernel runs a layer in (i16 .. u64, bool; f64 on anything
 *   but the CPU) (::BN_ERR_DTYPE);
 * - a KV cache that is ternary or binary (::BN_ERR_DTYPE);
 * - a device that is not available in this build or machine
 *   (::BN_ERR_DEVICE_UNAVAILABLE).
 * Warnings (the call succeeds): an output layer under 8 bits, an
 * embedding or activation under 8 bits, a per-tensor scale on activations
 * or the KV cache (one outlier sets the scale of everything); and a kind
 * (or override) whose spec the model runtime (bn_model_*) does not execute
 * yet ("not executed by the model runtime yet", naming what it runs
 * instead): it runs linear and attention layers as ternary/tensor or
 * ternary/row, the embedding and output layer in f32, bf16 or f16, norms in
 * f32, activations as qint8/row and the KV cache in f32, whatever the
 * policy says. So Conservative warns for its bf16 projections and f32
 * activations, Balanced for its f16 KV cache, Aggressive for its qint8
 * embedding, output layer and KV cache and bf16 norms.
 * @param p policy.
 * @param device the device that will run it.
 * @param[out] report every error and warning, one per line, each starting
 *             "error: " or "warning: " (may be NULL).
 * @param report_size size of @p report.
 * @param[out] nwarnings number of warnings (may be NULL).
 * @return ::BN_OK when the policy can run (warnings or not).
 */
BN_API bn_status bn_precision_policy_validate(const bn_precision_policy *p, bn_device device, char *report,
                                              size_t report_size, int *nwarnings);

/**
 * @brief The policy as JSON (format in the file comment), NUL-terminated.
 * @param p policy.
 * @param[out] json written on success; free with free().
 */
BN_API bn_status bn_precision_policy_to_json(const bn_precision_policy *p, char **json);

/**
 * @brief A policy from JSON text.
 * @return ::BN_ERR_FORMAT naming the line and column of a syntax error, or
 *         the key and value that is wrong (unknown kind, dtype, granularity,
 *         key; a missing pattern or spec).
 */
BN_API bn_status bn_precision_policy_from_json(const char *json, bn_precision_policy **out);

/** @brief bn_precision_policy_to_json() into a file. ::BN_ERR_IO naming the path. */
BN_API bn_status bn_precision_policy_save(const bn_precision_policy *p, const char *path);

/** @brief bn_precision_policy_from_json() from a file. ::BN_ERR_IO naming the path. */
BN_API bn_status bn_precision_policy_load(const char *path, bn_precision_policy **out);

/* ---- report ----------------------------------------------------------------- */

/** @brief A tensor and its name, as the report reads them. */
typedef struct bn_precision_named_tensor {
    const char *name;         /**< Tensor name ("model.layers.0.mlp.down_proj.weight"). */
    const bn_tensor *tensor;  /**< Its values (any float dtype; read as f32). */
} bn_precision_named_tensor;

/** @brief One row of a report. */
typedef struct bn_precision_report_row {
    const char *name;         /**< The tensor's name (owned by the report). */
    bn_layer_kind kind;       /**< Its kind, by bn_layer_kind_guess(). */
    bn_precision_spec spec;   /**< The policy's choice. */
    const char *matched;      /**< The override pattern that chose it, or NULL (owned by the report). */
    int64_t numel;            /**< Elements. */
    size_t bytes_f32;         /**< Bytes in f32. */
    size_t bytes;             /**< Bytes in the chosen precision, scales included. */
    bn_quant_metrics error;   /**< Error of convert-then-dequantize against the f32 values. */
} bn_precision_report_row;

/** @brief A report. Opaque. */
typedef struct bn_precision_report bn_precision_report;

/**
 * @brief For each tensor, the spec @p policy chooses, its size, and the
 *        error of that precision against the tensor's values in f32.
 * @param tensors @p n named tensors (float dtypes).
 * @param n count.
 * @param policy the policy.
 * @param[out] out written on success; free with bn_precision_report_free().
 * @return ::BN_ERR_DTYPE naming a tensor that is not floating point;
 *         ::BN_ERR_SHAPE naming one whose shape the spec cannot group.
 */
BN_API bn_status bn_precision_report_new(const bn_precision_named_tensor *tensors, size_t n,
                                         const bn_precision_policy *policy, bn_precision_report **out);

/** @brief Number of rows. */
BN_API size_t bn_precision_report_count(const bn_precision_report *r);

/** @brief Row @p index (valid while the report lives); NULL out of range. */
BN_API const bn_precision_report_row *bn_precision_report_row_at(const bn_precision_report *r, size_t index);

/**
 * @brief Print the report as a table (name, kind, precision, bytes, MSE,
 *        SQNR dB, cosine, max abs error) with a total line.
 */
BN_API bn_status bn_precision_report_print(const bn_precision_report *r, FILE *f);

/** @brief Free a report; NULL is ignored. */
BN_API void bn_precision_report_free(bn_precision_report *r);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_PRECISION_H */
