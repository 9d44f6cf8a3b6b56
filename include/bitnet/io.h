/**
 * @file io.h
 * @brief Reading safetensors checkpoints and Hugging Face config.json.
 *
 * **safetensors.** A file is an 8-byte little-endian header length N, N
 * bytes of JSON (`{"name": {"dtype": "F32", "shape": [..], "data_offsets":
 * [begin, end]}, ..., "__metadata__": {..}}`), then the data. Every length
 * and offset is checked against the file size before use: the header must
 * fit in the file, each tensor's byte range must equal its element count
 * times its dtype size, lie inside the data area, and ranges must not
 * overlap. Any violation is ::BN_ERR_FORMAT with a message naming the file
 * and the tensor. Files are memory-mapped read-only; the data pointers stay
 * valid until bn_safetensors_close(). The JSON is parsed by bitnet's own
 * small parser (no third-party dependency).
 *
 * bn_safetensors_open() takes a `.safetensors` file, a
 * `model.safetensors.index.json` (sharded checkpoints: every shard named in
 * its `weight_map` is opened, and each tensor must be in the shard the map
 * names), or a directory holding one of `model.safetensors` or
 * `model.safetensors.index.json`.
 *
 * dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, U16, U32, U64, BOOL
 * (mapped onto ::bn_dtype). Anything else is ::BN_ERR_NOT_SUPPORTED naming
 * the dtype and tensor.
 */
#ifndef BITNET_IO_H
#define BITNET_IO_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief An opened (possibly sharded) safetensors checkpoint. Opaque. */
typedef struct bn_safetensors bn_safetensors;

/** @brief One tensor of a checkpoint; pointers owned by the checkpoint. */
typedef struct bn_st_tensor {
    const char *name;            /**< Tensor name (NUL-terminated). */
    bn_dtype dtype;              /**< Element type. */
    int ndim;                    /**< Number of dimensions, 0 .. ::BN_MAX_DIMS. */
    int64_t shape[BN_MAX_DIMS];  /**< Dimensions (ndim of them). */
    int64_t numel;               /**< Product of the dimensions (1 for a scalar). */
    const void *data;            /**< The raw little-endian bytes (mapped, read-only). */
    size_t nbytes;               /**< numel times the dtype size. */
    const char *file;            /**< Path of the file holding it. */
} bn_st_tensor;

/**
 * @brief Open a safetensors file, an index.json, or a directory with either.
 * @param path the file or directory.
 * @param[out] out written on success; close with bn_safetensors_close().
 * @return ::BN_ERR_IO when a file cannot be opened or mapped,
 *         ::BN_ERR_FORMAT for a malformed or truncated file (the message names
 *         the file and tensor), ::BN_ERR_NOT_SUPPORTED for an unknown dtype.
 */
BN_API bn_status bn_safetensors_open(const char *path, bn_safetensors **out);

/** @brief Unmap and free. NULL is ignored. */
BN_API void bn_safetensors_close(bn_safetensors *st);

/** @brief Number of tensors (all shards together). */
BN_API size_t bn_safetensors_count(const bn_safetensors *st);

/** @brief Tensor @p index (0 .. count-1, sorted by name). */
BN_API bn_status bn_safetensors_get(const bn_safetensors *st, size_t index, bn_st_tensor *out);

/**
 * @brief Find a tensor by name.
 * @return ::BN_OK, or ::BN_ERR_OUT_OF_RANGE when there is none (the message
 *         names the tensor and the checkpoint).
 */
BN_API bn_status bn_safetensors_find(const bn_safetensors *st, const char *name, bn_st_tensor *out);

/** @brief 1 when the checkpoint has a tensor of that name, else 0. */
BN_API int bn_safetensors_has(const bn_safetensors *st, const char *name);

/**
 * @brief A `__metadata__` string value of the (first) file, or NULL.
 */
BN_API const char *bn_safetensors_metadata(const bn_safetensors *st, const char *key);

/**
 * @brief Convert a floating tensor (F32, F16, BF16, F64) to f32.
 * @param t the tensor.
 * @param[out] out @p count floats.
 * @param count must equal t->numel.
 * @return ::BN_ERR_DTYPE for a non-floating tensor, ::BN_ERR_SHAPE when
 *         count differs from numel.
 */
BN_API bn_status bn_st_tensor_to_f32(const bn_st_tensor *t, float *out, size_t count);

/** @brief The safetensors name of a dtype ("BF16"), or NULL when it has none. */
BN_API const char *bn_safetensors_dtype_name(bn_dtype dtype);

/* ---- config.json ------------------------------------------------------- */

/** @brief How a Hugging Face BitNet checkpoint stores its linear layers. */
typedef enum bn_bitnet_linear_kind {
    BN_LINEAR_ONLINE = 0,   /**< autobitlinear + online: master weights, ternarized at load. */
    BN_LINEAR_OFFLINE = 1,  /**< autobitlinear + offline: packed codes, y = (x_q.w) * weight_scale. */
    BN_LINEAR_BITLINEAR = 2 /**< bitlinear: packed codes, y = (x_q.w) / weight_scale. */
} bn_bitnet_linear_kind;

/** @brief The fields of a BitNet config.json that the runtime uses. */
typedef struct bn_bitnet_config {
    int64_t vocab_size; /**< vocab_size: rows of the embedding. */
    int64_t hidden_size; /**< hidden_size: the model width. */
    int64_t intermediate_size; /**< intermediate_size: the FFN width. */
    int64_t num_hidden_layers; /**< num_hidden_layers: transformer blocks. */
    int64_t num_attention_heads; /**< num_attention_heads: query heads. */
    int64_t num_key_value_heads;  /**< num_attention_heads when absent. */
    int64_t head_dim;             /**< hidden_size / num_attention_heads when absent. */
    int64_t max_position_embeddings; /**< 0 when absent. */
    double rms_norm_eps; /**< rms_norm_eps: added to the mean square in every RMSNorm. */
    double rope_theta;            /**< top-level rope_theta or rope_parameters.rope_theta; 10000 when absent. */
    int tie_word_embeddings;      /**< 0 when absent (BitNetConfig's default). */
    int64_t bos_token_id;         /**< -1 when absent or null. */
    int64_t eos_token_ids[8];     /**< eos_token_id (number or list). */
    int n_eos;                    /**< How many of eos_token_ids are set. */
    int quantized;                /**< 1 when quantization_config.quant_method is "bitnet". */
    bn_bitnet_linear_kind linear_kind; /**< From quantization_config (online when absent). */
    char hidden_act[16];          /**< "relu2". */
} bn_bitnet_config;

/**
 * @brief Parse a BitNet config.json.
 * @param path the file (or a directory holding config.json).
 * @param[out] out written on success.
 * @return ::BN_ERR_IO, ::BN_ERR_FORMAT (malformed JSON, a missing or
 *         mistyped required key, a value out of range: the message names the
 *         key and value), ::BN_ERR_NOT_SUPPORTED (another quant_method,
 *         linear_class or hidden_act).
 */
BN_API bn_status bn_bitnet_config_load(const char *path, bn_bitnet_config *out);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_IO_H */
