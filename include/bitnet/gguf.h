/**
 * @file gguf.h
 * @brief GGUF (v2 and v3, little-endian) reader and writer.
 *
 * The reader parses a whole file (memory-mapped read-only) or a caller's
 * buffer up front and checks every count, string length, array length,
 * dimension product, tensor size and offset against the bytes that are
 * there, with overflow-checked arithmetic, before any of it is used. A
 * malformed file gives ::BN_ERR_FORMAT with a message naming the file, the
 * byte offset and the key or tensor involved; a valid file with a tensor
 * type outside F32, F16, TQ1_0, TQ2_0 and I2_S gives ::BN_ERR_NOT_SUPPORTED
 * naming the tensor and the type id. After a successful open every
 * accessor is a bounds-checked lookup that cannot fail on the file's
 * contents. See docs/gguf.md.
 *
 * Tensor dimensions are reported in GGUF (ggml) order: dims[0] is the
 * innermost (contiguous) dimension, so a row-major n x k matrix has
 * dims = {k, n}.
 *
 * Strings in GGUF are not NUL-terminated; the reader gives keys and tensor
 * names as NUL-terminated copies and string values as pointer + length
 * into the file (with no NUL).
 *
 * A reader is safe to use from several threads once opened (read-only).
 */
#ifndef BITNET_GGUF_H
#define BITNET_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/export.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Default data alignment when `general.alignment` is absent. */
#define BN_GGUF_DEFAULT_ALIGNMENT 32

/** @brief Most dimensions a GGUF tensor may have (ggml's GGML_MAX_DIMS). */
#define BN_GGUF_MAX_DIMS 4

/** @brief GGUF metadata value types (ids as in the file). */
typedef enum bn_gguf_type {
    BN_GGUF_TYPE_UINT8 = 0,   /**< uint8_t */
    BN_GGUF_TYPE_INT8 = 1,    /**< int8_t */
    BN_GGUF_TYPE_UINT16 = 2,  /**< uint16_t */
    BN_GGUF_TYPE_INT16 = 3,   /**< int16_t */
    BN_GGUF_TYPE_UINT32 = 4,  /**< uint32_t */
    BN_GGUF_TYPE_INT32 = 5,   /**< int32_t */
    BN_GGUF_TYPE_FLOAT32 = 6, /**< IEEE float */
    BN_GGUF_TYPE_BOOL = 7,    /**< one byte, 0 or 1 */
    BN_GGUF_TYPE_STRING = 8,  /**< uint64 length + bytes */
    BN_GGUF_TYPE_ARRAY = 9,   /**< element type (uint32), uint64 count, elements */
    BN_GGUF_TYPE_UINT64 = 10, /**< uint64_t */
    BN_GGUF_TYPE_INT64 = 11,  /**< int64_t */
    BN_GGUF_TYPE_FLOAT64 = 12 /**< IEEE double */
} bn_gguf_type;

/** @brief Tensor types this reader and writer support (ggml type ids). */
typedef enum bn_gguf_tensor_type {
    BN_GGUF_TENSOR_F32 = 0,    /**< float32, 4 bytes per element */
    BN_GGUF_TENSOR_F16 = 1,    /**< IEEE half, 2 bytes per element */
    BN_GGUF_TENSOR_TQ1_0 = 34, /**< ggml TQ1_0: 54 bytes per 256 elements (dims[0] % 256 == 0) */
    BN_GGUF_TENSOR_TQ2_0 = 35, /**< ggml TQ2_0: 66 bytes per 256 elements (dims[0] % 256 == 0) */
    BN_GGUF_TENSOR_I2_S = 36   /**< bitnet.cpp I2_S: numel / 4 bytes of codes, then the f32
                                    scale padded to 32 bytes (numel % 4 == 0) */
} bn_gguf_tensor_type;

/** @brief Name of a value type ("uint32"); "unknown" outside the enum. */
BN_API const char *bn_gguf_type_name(bn_gguf_type type);

/** @brief Name of a tensor type ("tq2_0", as ggml writes it lower-case); "unknown" for others. */
BN_API const char *bn_gguf_tensor_type_name(int type);

/**
 * @brief Bytes of a tensor of @p type with @p ndim dimensions @p dims
 *        (GGUF order), as ggml's `ggml_nbytes` computes them (I2_S:
 *        numel / 4 + 32).
 * @param type tensor type id.
 * @param ndim 1..::BN_GGUF_MAX_DIMS.
 * @param dims dimensions, each >= 0.
 * @param[out] nbytes written on success.
 * @return ::BN_ERR_NOT_SUPPORTED for a type outside ::bn_gguf_tensor_type;
 *         ::BN_ERR_SHAPE when dims[0] is not a multiple of the block (TQ)
 *         or numel is not a multiple of 4 (I2_S); ::BN_ERR_OVERFLOW when the
 *         element count or byte count does not fit; ::BN_ERR_INVALID_ARGUMENT
 *         for a bad @p ndim or a negative dimension.
 */
BN_API bn_status bn_gguf_tensor_nbytes(int type, int ndim, const int64_t *dims, size_t *nbytes);

/* ---- reader ---------------------------------------------------------------- */

/** @brief An opened GGUF file (opaque). Free with bn_gguf_free(). */
typedef struct bn_gguf bn_gguf;

/**
 * @brief A metadata value (or one element of an array).
 *
 * Integers are widened: unsigned types into @c u, signed types and bool
 * into @c i; float32/float64 into @c f. Strings are @c str / @c len
 * (pointing into the file, not NUL-terminated). For arrays,
 * @c array_type and @c len give the element type and count; read the
 * elements with bn_gguf_array_get().
 */
typedef struct bn_gguf_value {
    bn_gguf_type type;       /**< The value's type. */
    bn_gguf_type array_type; /**< Element type when @c type is ARRAY. */
    uint64_t u;              /**< UINT8/16/32/64. */
    int64_t i;               /**< INT8/16/32/64, BOOL (0 or 1). */
    double f;                /**< FLOAT32/64. */
    const char *str;         /**< STRING bytes (not NUL-terminated; may be NULL when len is 0). */
    uint64_t len;            /**< STRING byte length, or ARRAY element count. */
} bn_gguf_value;

/** @brief Description of one tensor of an opened file. */
typedef struct bn_gguf_tensor_info {
    const char *name;               /**< NUL-terminated name (owned by the reader). */
    int type;                       /**< ::bn_gguf_tensor_type id. */
    int ndim;                       /**< 1..::BN_GGUF_MAX_DIMS. */
    int64_t dims[BN_GGUF_MAX_DIMS]; /**< GGUF order (dims[0] innermost); 1 past ndim. */
    int64_t numel;                  /**< Product of the dims. */
    uint64_t offset;                /**< Offset of the data from the start of the data section. */
    size_t nbytes;                  /**< Bytes of data (bn_gguf_tensor_nbytes()). */
    const void *data;               /**< The data (in the mapping; aligned as the file is). */
} bn_gguf_tensor_info;

/**
 * @brief Open and validate a GGUF file, memory-mapped read-only.
 * @param path file name.
 * @param[out] out the reader on success.
 * @return ::BN_ERR_IO when the file cannot be opened or mapped;
 *         ::BN_ERR_FORMAT for a malformed file (message names the file, the
 *         byte offset and key/tensor); ::BN_ERR_NOT_SUPPORTED for a
 *         version other than 2 or 3, a big-endian file, nested arrays or a
 *         tensor type outside ::bn_gguf_tensor_type; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_gguf_open(const char *path, bn_gguf **out);

/**
 * @brief As bn_gguf_open() on a buffer in memory (not copied: it must stay
 *        valid and unchanged until bn_gguf_free()). For fuzzers and tests.
 * @param data @p size bytes (may be NULL when size is 0).
 * @param size buffer size.
 * @param name name used in error messages (may be NULL: "<memory>").
 * @param[out] out the reader on success.
 */
BN_API bn_status bn_gguf_open_memory(const void *data, size_t size, const char *name, bn_gguf **out);

/** @brief Close a reader (unmaps the file). NULL is a no-op. */
BN_API void bn_gguf_free(bn_gguf *g);

/** @brief The file's GGUF version (2 or 3). */
BN_API uint32_t bn_gguf_version(const bn_gguf *g);

/** @brief The data alignment (`general.alignment`, else 32). */
BN_API uint32_t bn_gguf_alignment(const bn_gguf *g);

/** @brief Byte offset of the data section from the start of the file. */
BN_API uint64_t bn_gguf_data_offset(const bn_gguf *g);

/** @brief Number of metadata key/value pairs. */
BN_API int64_t bn_gguf_kv_count(const bn_gguf *g);

/** @brief Key of pair @p i (NUL-terminated), or NULL when @p i is out of range. */
BN_API const char *bn_gguf_kv_key(const bn_gguf *g, int64_t i);

/** @brief Index of the pair with key @p key, or -1 when absent. */
BN_API int64_t bn_gguf_find_kv(const bn_gguf *g, const char *key);

/**
 * @brief Value of pair @p i.
 * @return ::BN_ERR_OUT_OF_RANGE for a bad index; ::BN_ERR_INVALID_ARGUMENT for NULL.
 */
BN_API bn_status bn_gguf_kv_value(const bn_gguf *g, int64_t i, bn_gguf_value *out);

/**
 * @brief Element @p j of the array value of pair @p i.
 * @return ::BN_ERR_DTYPE when the value is not an array; ::BN_ERR_OUT_OF_RANGE
 *         for a bad index.
 */
BN_API bn_status bn_gguf_array_get(const bn_gguf *g, int64_t i, uint64_t j, bn_gguf_value *out);

/**
 * @brief Raw little-endian bytes of a numeric (not string) array value, for
 *        bulk reads (copy with memcpy: elements may be unaligned).
 * @param[out] data the first element.
 * @param[out] count element count (may be NULL).
 * @return ::BN_ERR_DTYPE for a non-array or a string array.
 * @param g the file.
 * @param i index of the key/value pair, 0 to bn_gguf_kv_count() - 1.
 */
BN_API bn_status bn_gguf_array_data(const bn_gguf *g, int64_t i, const void **data, uint64_t *count);

/**
 * @brief Integer value of @p key (any integer type or bool), range-checked.
 * @return ::BN_ERR_OUT_OF_RANGE when the key is absent (message names it);
 *         ::BN_ERR_DTYPE for a non-integer value; ::BN_ERR_OVERFLOW when it
 *         does not fit in int64.
 */
BN_API bn_status bn_gguf_get_i64(const bn_gguf *g, const char *key, int64_t *out);

/** @brief Float value of @p key (float32, float64 or any integer). Errors as bn_gguf_get_i64(). */
BN_API bn_status bn_gguf_get_f64(const bn_gguf *g, const char *key, double *out);

/**
 * @brief String value of @p key.
 * @param[out] str the bytes (not NUL-terminated).
 * @param[out] len their count.
 * @return as bn_gguf_get_i64().
 * @param g the file.
 * @param key the key.
 */
BN_API bn_status bn_gguf_get_str(const bn_gguf *g, const char *key, const char **str, size_t *len);

/** @brief Number of tensors. */
BN_API int64_t bn_gguf_tensor_count(const bn_gguf *g);

/** @brief Index of the tensor named @p name, or -1. */
BN_API int64_t bn_gguf_find_tensor(const bn_gguf *g, const char *name);

/**
 * @brief Description of tensor @p i (pointers valid until bn_gguf_free()).
 * @return ::BN_ERR_OUT_OF_RANGE for a bad index.
 */
BN_API bn_status bn_gguf_tensor_get_info(const bn_gguf *g, int64_t i, bn_gguf_tensor_info *out);

/* ---- writer ---------------------------------------------------------------- */

/** @brief A GGUF file being assembled (opaque). Free with bn_gguf_writer_free(). */
typedef struct bn_gguf_writer bn_gguf_writer;

/**
 * @brief Fills the data of a tensor added without data, at write time.
 * @param user the pointer given to bn_gguf_writer_write_file().
 * @param index the tensor's index (order of addition).
 * @param[out] dst nbytes bytes to fill.
 * @param nbytes the tensor's byte count.
 * @return ::BN_OK, or an error that aborts the write.
 */
typedef bn_status (*bn_gguf_fill_fn)(void *user, int64_t index, void *dst, size_t nbytes);

/**
 * @brief Progress of a write: called after each tensor with the bytes of
 *        tensor data written so far and the total.
 */
typedef void (*bn_gguf_progress_fn)(void *user, uint64_t done, uint64_t total);

/** @brief A new, empty writer (version 3, alignment 32). */
BN_API bn_status bn_gguf_writer_new(bn_gguf_writer **out);

/** @brief Free a writer. NULL is a no-op. */
BN_API void bn_gguf_writer_free(bn_gguf_writer *w);

/**
 * @brief Set the data alignment (a power of two, 1..2^30); also writes
 *        `general.alignment` (uint32) when it is not 32.
 */
BN_API bn_status bn_gguf_writer_set_alignment(bn_gguf_writer *w, uint32_t alignment);

/**
 * @brief Add a scalar key/value.
 * @param key non-empty key, unique in the file.
 * @param type any type except STRING and ARRAY.
 * @param value the value in its C type (uint8_t for UINT8, BOOL as one byte 0/1, ...).
 * @return ::BN_ERR_INVALID_ARGUMENT for a duplicate key or a bad type.
 * @param w the writer.
 */
BN_API bn_status bn_gguf_writer_add_scalar(bn_gguf_writer *w, const char *key, bn_gguf_type type,
                                           const void *value);

/** @brief Add a uint32 value. */
BN_API bn_status bn_gguf_writer_add_u32(bn_gguf_writer *w, const char *key, uint32_t value);

/** @brief Add an int32 value. */
BN_API bn_status bn_gguf_writer_add_i32(bn_gguf_writer *w, const char *key, int32_t value);

/** @brief Add a float32 value. */
BN_API bn_status bn_gguf_writer_add_f32(bn_gguf_writer *w, const char *key, float value);

/** @brief Add a bool value. */
BN_API bn_status bn_gguf_writer_add_bool(bn_gguf_writer *w, const char *key, int value);

/**
 * @brief Add a string value (copied).
 * @param str @p len bytes (may contain NUL; NULL allowed when len is 0).
 * @param w the writer.
 * @param key the key.
 * @param len length of @p str in bytes.
 */
BN_API bn_status bn_gguf_writer_add_str(bn_gguf_writer *w, const char *key, const char *str, size_t len);

/**
 * @brief Add an array of numbers or bools (copied).
 * @param elem_type element type, not STRING or ARRAY.
 * @param data @p count elements in their C type (native = little-endian).
 * @param w the writer.
 * @param key the key.
 * @param count number of elements.
 */
BN_API bn_status bn_gguf_writer_add_array(bn_gguf_writer *w, const char *key, bn_gguf_type elem_type,
                                          const void *data, uint64_t count);

/**
 * @brief Add an array of strings (copied).
 * @param strs @p count strings.
 * @param lens their lengths, or NULL for NUL-terminated strings.
 * @param w the writer.
 * @param key the key.
 * @param count number of elements.
 */
BN_API bn_status bn_gguf_writer_add_str_array(bn_gguf_writer *w, const char *key, const char *const *strs,
                                              const size_t *lens, uint64_t count);

/**
 * @brief Add a tensor.
 * @param name unique, non-empty name (at most 64 KiB).
 * @param type a ::bn_gguf_tensor_type id.
 * @param ndim 1..::BN_GGUF_MAX_DIMS.
 * @param dims GGUF order (dims[0] innermost).
 * @param data bn_gguf_tensor_nbytes() bytes, borrowed (not copied): they
 *        must stay valid until the write; NULL to have the fill callback of
 *        bn_gguf_writer_write_file() produce them at write time.
 * @return errors of bn_gguf_tensor_nbytes(); ::BN_ERR_INVALID_ARGUMENT for
 *         a duplicate name.
 * @param w the writer.
 */
BN_API bn_status bn_gguf_writer_add_tensor(bn_gguf_writer *w, const char *name, int type, int ndim,
                                           const int64_t *dims, const void *data);

/**
 * @brief Write the file: header, key/values, tensor infos, then each
 *        tensor's data at an aligned offset (zero padding), in order.
 * @param path output file (replaced).
 * @param fill produces tensors added with NULL data (may be NULL when none).
 * @param progress called after each tensor (may be NULL).
 * @param user passed to @p fill and @p progress.
 * @return ::BN_ERR_IO naming the file on a write error (the partial file is
 *         removed); the fill callback's error.
 * @param w the writer.
 */
BN_API bn_status bn_gguf_writer_write_file(bn_gguf_writer *w, const char *path, bn_gguf_fill_fn fill,
                                           bn_gguf_progress_fn progress, void *user);

/**
 * @brief As bn_gguf_writer_write_file() into a new buffer.
 * @param[out] data malloc'ed bytes; free with free().
 * @param[out] size their count.
 * @param w the writer.
 * @param fill produces tensors added with NULL data (may be NULL when none).
 * @param user passed to @p fill.
 */
BN_API bn_status bn_gguf_writer_write_memory(bn_gguf_writer *w, void **data, size_t *size, bn_gguf_fill_fn fill,
                                             void *user);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_GGUF_H */
