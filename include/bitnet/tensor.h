/**
 * @file tensor.h
 * @brief Tensors: dtypes, shapes and strides, zero-copy views, creation,
 *        copy and cast.
 *
 * A ::bn_tensor is a handle: a dtype, up to ::BN_MAX_DIMS dimensions with
 * strides (in elements, may be zero or negative), and an element offset into
 * a reference-counted storage. Views (reshape, transpose, permute, slice,
 * squeeze, unsqueeze, expand) create a new handle on the same storage and
 * copy nothing; the storage is released when its last handle is freed.
 * Reference counts are atomic, so handles on one storage may be used and
 * freed from different threads (writing the same elements concurrently is
 * still the caller's business).
 *
 * Negative dimension arguments count from the end, as in NumPy.
 *
 * Packed dtypes (::BN_DTYPE_TERNARY, ::BN_DTYPE_BINARY, ::BN_DTYPE_INT4,
 * ::BN_DTYPE_QINT8, ::BN_DTYPE_QINT4) are stored contiguously in row-major
 * order, element i at bit offset i * bits (least significant bits first),
 * with their f32 scales in a second buffer: one scale per group of
 * `group_size` consecutive elements (bn_tensor_group_size()). Views of
 * packed tensors are limited to those that keep that layout (reshape,
 * squeeze, unsqueeze, and slices of whole groups along dimension 0); others
 * fail with ::BN_ERR_NOT_SUPPORTED and say to convert first.
 *
 * Casts: float to float rounds to nearest even and keeps NaN and
 * infinities; float to integer truncates toward zero and saturates at the
 * integer's range, with NaN giving 0; integer to integer saturates; any
 * non-zero value gives true for bool. Quantized targets choose their scales
 * per group: ternary absmean (BitNet b1.58), binary mean |x|, qint8/qint4
 * absmax; values round half to even. See docs/tensors.md.
 */
#ifndef BITNET_TENSOR_H
#define BITNET_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Most dimensions a tensor may have. */
#define BN_MAX_DIMS 8

/** @brief Element types. */
typedef enum bn_dtype {
    BN_DTYPE_F32 = 0,     /**< IEEE 754 binary32 */
    BN_DTYPE_F64 = 1,     /**< IEEE 754 binary64 */
    BN_DTYPE_F16 = 2,     /**< IEEE 754 binary16 */
    BN_DTYPE_BF16 = 3,    /**< bfloat16: the top 16 bits of a binary32 */
    BN_DTYPE_I8 = 4,      /**< int8_t */
    BN_DTYPE_I16 = 5,     /**< int16_t */
    BN_DTYPE_I32 = 6,     /**< int32_t */
    BN_DTYPE_I64 = 7,     /**< int64_t */
    BN_DTYPE_U8 = 8,      /**< uint8_t */
    BN_DTYPE_U16 = 9,     /**< uint16_t */
    BN_DTYPE_U32 = 10,    /**< uint32_t */
    BN_DTYPE_U64 = 11,    /**< uint64_t */
    BN_DTYPE_BOOL = 12,   /**< one byte, 0 or 1 */
    BN_DTYPE_TERNARY = 13,/**< {-1, 0, +1} times a per-group f32 scale; 2-bit codes 0, 1, 2 = -1, 0, +1 */
    BN_DTYPE_BINARY = 14, /**< {-1, +1} times a per-group f32 scale; bit 0 = -1, 1 = +1 */
    BN_DTYPE_INT4 = 15,   /**< signed 4-bit integers -8..7, two's complement, no scale */
    BN_DTYPE_QINT8 = 16,  /**< int8 codes times a per-group f32 scale */
    BN_DTYPE_QINT4 = 17   /**< signed 4-bit codes -8..7 times a per-group f32 scale */
} bn_dtype;

/** @brief Number of ::bn_dtype values. */
#define BN_DTYPE_COUNT 18

/** @brief Kinds of element, for dispatch. */
typedef enum bn_dtype_kind {
    BN_KIND_FLOAT = 0,    /**< f32, f64, f16, bf16 */
    BN_KIND_SIGNED = 1,   /**< i8 .. i64 */
    BN_KIND_UNSIGNED = 2, /**< u8 .. u64 */
    BN_KIND_BOOL = 3,     /**< bool */
    BN_KIND_PACKED = 4    /**< ternary, binary, int4, qint8, qint4 */
} bn_dtype_kind;

/** @brief One row of the dtype table that every operation reads. */
typedef struct bn_dtype_info {
    bn_dtype dtype;      /**< The dtype this row describes. */
    const char *name;    /**< Lowercase name ("f32", "ternary"). */
    bn_dtype_kind kind;  /**< Kind of element. */
    int bits;            /**< Storage bits per element (2 for ternary). */
    double logical_bits; /**< Information bits per element (1.58 for ternary). */
    int has_scale;       /**< Non-zero when values are codes times an f32 scale per group. */
    int code_min;        /**< Smallest code value (packed dtypes), else 0. */
    int code_max;        /**< Largest code value (packed dtypes), else 0. */
} bn_dtype_info;

/**
 * @brief The table row for @p dtype.
 * @return a pointer to static data, or NULL for a value outside the enum.
 */
BN_API const bn_dtype_info *bn_dtype_get_info(bn_dtype dtype);

/** @brief Name of a dtype ("bf16"); "unknown" outside the enum. */
BN_API const char *bn_dtype_name(bn_dtype dtype);

/**
 * @brief Parse a dtype name as printed by bn_dtype_name().
 * @param name the name.
 * @param[out] dtype written on success.
 * @return ::BN_ERR_INVALID_ARGUMENT for an unknown name.
 */
BN_API bn_status bn_dtype_from_name(const char *name, bn_dtype *dtype);

/**
 * @brief Bytes needed to store @p numel elements of @p dtype (packed dtypes
 *        rounded up to whole bytes), without scales.
 * @param dtype element type.
 * @param numel number of elements.
 * @param[out] nbytes written on success.
 * @return ::BN_ERR_OVERFLOW when the size does not fit in size_t.
 */
BN_API bn_status bn_dtype_storage_bytes(bn_dtype dtype, int64_t numel, size_t *nbytes);

/** @brief A tensor handle. Opaque; free with bn_tensor_free(). */
typedef struct bn_tensor bn_tensor;

/**
 * @brief Called when the last handle on wrapped memory goes away.
 * @param data the memory that was wrapped.
 * @param user the pointer given to bn_tensor_wrap().
 */
typedef void (*bn_release_fn)(void *data, void *user);

/* ---- creation ------------------------------------------------------- */

/**
 * @brief A new contiguous tensor with uninitialized contents.
 * @param ctx context whose pool holds the storage.
 * @param dtype element type; packed dtypes get one scale for the whole tensor
 *        (use bn_tensor_empty_quantized() for other groups).
 * @param ndim 0 to ::BN_MAX_DIMS.
 * @param shape @p ndim sizes, each >= 0 (may be NULL when ndim is 0).
 * @param[out] out written on success.
 * @return ::BN_ERR_SHAPE for too many dimensions or a negative size;
 *         ::BN_ERR_OVERFLOW when the byte size overflows; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_tensor_empty(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out);

/**
 * @brief A new contiguous tensor of a packed dtype with one f32 scale per
 *        @p group_size consecutive elements (scales initialized to 1).
 * @param ctx context.
 * @param dtype a packed dtype.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param group_size elements per scale; 0 = the whole tensor. When not 0 it
 *        must divide the element count.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_empty_quantized(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                                           int64_t group_size, bn_tensor **out);

/** @brief A new tensor filled with zeros. Parameters as bn_tensor_empty(). */
BN_API bn_status bn_tensor_zeros(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out);

/** @brief A new tensor filled with ones. Parameters as bn_tensor_empty(). */
BN_API bn_status bn_tensor_ones(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out);

/**
 * @brief A new tensor filled with @p value, converted as a cast from f64 would.
 * @param ctx context.
 * @param dtype element type.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param value fill value.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_full(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double value,
                                bn_tensor **out);

/**
 * @brief 1-D tensor start, start + step, ... up to but excluding @p stop
 *        (ceil((stop - start) / step) elements, as NumPy's arange).
 * @param ctx context.
 * @param dtype a float or integer dtype.
 * @param start first value.
 * @param stop bound, excluded.
 * @param step non-zero, finite.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_arange(bn_ctx *ctx, bn_dtype dtype, double start, double stop, double step,
                                  bn_tensor **out);

/**
 * @brief 1-D tensor of @p n evenly spaced values from @p start to @p stop inclusive.
 * @param ctx context.
 * @param dtype a float or integer dtype.
 * @param start first value.
 * @param stop last value (when n > 1).
 * @param n number of values, >= 0.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_linspace(bn_ctx *ctx, bn_dtype dtype, double start, double stop, int64_t n,
                                    bn_tensor **out);

/**
 * @brief 2-D tensor with ones on the main diagonal and zeros elsewhere.
 * @param ctx context.
 * @param dtype element type (not packed).
 * @param rows rows, >= 0.
 * @param cols columns, >= 0.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_eye(bn_ctx *ctx, bn_dtype dtype, int64_t rows, int64_t cols, bn_tensor **out);

/**
 * @brief A new contiguous tensor holding a copy of host memory.
 * @param ctx context.
 * @param dtype element type (packed dtypes: bytes in the packed layout; scales are set to 1).
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param data source bytes, row-major.
 * @param nbytes size of @p data; must equal the tensor's storage size.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_from_data(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                                     const void *data, size_t nbytes, bn_tensor **out);

/**
 * @brief A tensor over caller memory, without a copy.
 * @param ctx context.
 * @param dtype element type (not packed).
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param strides strides in elements, or NULL for contiguous row-major.
 * @param data the memory; every element the strides reach must lie inside
 *        [data, data + nbytes).
 * @param nbytes size of the memory.
 * @param release called once with (data, user) when the last handle goes;
 *        may be NULL. Not called when this function fails.
 * @param user passed to @p release.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_wrap(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                                const int64_t *strides, void *data, size_t nbytes, bn_release_fn release,
                                void *user, bn_tensor **out);

/**
 * @brief Uniform random values in [@p low, @p high) from the context's
 *        generator; the same for any thread count.
 * @param ctx context (its generator advances).
 * @param dtype a float dtype.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param low lower bound.
 * @param high upper bound, > low.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_rand(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double low,
                               double high, bn_tensor **out);

/**
 * @brief Normal random values (Box-Muller) with mean @p mean and standard
 *        deviation @p std; the same for any thread count.
 * @param ctx context (its generator advances).
 * @param dtype a float dtype.
 * @param ndim number of dimensions.
 * @param shape sizes.
 * @param mean mean.
 * @param std standard deviation, >= 0.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_randn(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double mean,
                                double std, bn_tensor **out);

/** @brief Free a handle; the storage goes with its last handle. NULL is ignored. */
BN_API void bn_tensor_free(bn_tensor *t);

/* ---- properties ----------------------------------------------------- */

/** @brief Element type. */
BN_API bn_dtype bn_tensor_dtype(const bn_tensor *t);
/** @brief Number of dimensions. */
BN_API int bn_tensor_ndim(const bn_tensor *t);
/** @brief Pointer to the @ref bn_tensor_ndim sizes (valid while @p t lives). */
BN_API const int64_t *bn_tensor_shape(const bn_tensor *t);
/** @brief Pointer to the strides in elements (valid while @p t lives). */
BN_API const int64_t *bn_tensor_strides(const bn_tensor *t);
/** @brief Size of dimension @p dim (negative counts from the end); -1 when out of range. */
BN_API int64_t bn_tensor_dim(const bn_tensor *t, int dim);
/** @brief Number of elements (1 for a 0-d tensor). */
BN_API int64_t bn_tensor_numel(const bn_tensor *t);
/** @brief Bytes of element storage the view spans when contiguous (numel times size; packed rounded up). */
BN_API size_t bn_tensor_nbytes(const bn_tensor *t);
/** @brief 1 when the elements are contiguous in row-major order, else 0. */
BN_API int bn_tensor_is_contiguous(const bn_tensor *t);
/** @brief The device holding the storage. */
BN_API bn_device bn_tensor_device(const bn_tensor *t);
/** @brief The context the tensor was created with. */
BN_API bn_ctx *bn_tensor_ctx(const bn_tensor *t);
/** @brief Element offset of the view into its storage. */
BN_API int64_t bn_tensor_offset(const bn_tensor *t);
/** @brief 1 when @p a and @p b are views of the same storage, else 0. */
BN_API int bn_tensor_shares_storage(const bn_tensor *a, const bn_tensor *b);
/**
 * @brief Address of the element at index zero (for packed dtypes, the first
 *        byte of the packed data). Valid while any handle on the storage lives.
 */
BN_API void *bn_tensor_data(const bn_tensor *t);
/** @brief The f32 scales of a packed tensor (NULL for dtypes without scales). */
BN_API float *bn_tensor_scales(const bn_tensor *t);
/** @brief Elements per scale of a packed tensor (the element count when one scale covers all; 0 for others). */
BN_API int64_t bn_tensor_group_size(const bn_tensor *t);

/**
 * @brief Read one element as double (packed dtypes: code times scale).
 * @param t tensor.
 * @param index bn_tensor_ndim() indices, each in range (negative counts from the end).
 * @param[out] value written on success.
 */
BN_API bn_status bn_tensor_get(const bn_tensor *t, const int64_t *index, double *value);

/**
 * @brief Write one element, converted as a cast from f64 would (not for
 *        packed dtypes with scales).
 * @param t tensor.
 * @param index indices.
 * @param value the value.
 */
BN_API bn_status bn_tensor_set(bn_tensor *t, const int64_t *index, double value);

/**
 * @brief Write a description such as "f32[2,3] strides [3,1] contiguous"
 *        into @p buf (always NUL-terminated when size > 0).
 * @param t tensor.
 * @param buf destination.
 * @param size size of @p buf.
 */
BN_API bn_status bn_tensor_describe(const bn_tensor *t, char *buf, size_t size);

/* ---- views (no copy) ------------------------------------------------ */

/**
 * @brief View with another shape. One size may be -1 (inferred).
 * @return ::BN_ERR_SHAPE when the element counts differ, or when the
 *         strides cannot express the new shape without a copy (the message
 *         says to call bn_tensor_contiguous() first).
 */
BN_API bn_status bn_tensor_reshape(const bn_tensor *t, int ndim, const int64_t *shape, bn_tensor **out);

/** @brief View with dimensions @p dim0 and @p dim1 swapped. */
BN_API bn_status bn_tensor_transpose(const bn_tensor *t, int dim0, int dim1, bn_tensor **out);

/**
 * @brief View with dimensions reordered: output dimension i is input
 *        dimension perm[i]; @p perm must be a permutation of 0..ndim-1.
 */
BN_API bn_status bn_tensor_permute(const bn_tensor *t, const int *perm, bn_tensor **out);

/**
 * @brief View of indices start, start + step, ... along @p dim, with
 *        Python slice semantics: negative start and stop count from the end
 *        and are clamped; step may be negative but not zero.
 * @param t tensor.
 * @param dim dimension.
 * @param start first index.
 * @param stop bound, excluded. Use INT64_MAX (or INT64_MIN for a negative
 *        step) to go to the end.
 * @param step stride in indices.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_slice(const bn_tensor *t, int dim, int64_t start, int64_t stop, int64_t step,
                                 bn_tensor **out);

/**
 * @brief View without dimension @p dim, which must have size 1.
 */
BN_API bn_status bn_tensor_squeeze(const bn_tensor *t, int dim, bn_tensor **out);

/** @brief View without any dimension of size 1. */
BN_API bn_status bn_tensor_squeeze_all(const bn_tensor *t, bn_tensor **out);

/** @brief View with a new dimension of size 1 at @p dim (-1 appends). */
BN_API bn_status bn_tensor_unsqueeze(const bn_tensor *t, int dim, bn_tensor **out);

/**
 * @brief View broadcast to @p shape by NumPy rules (size-1 dimensions get
 *        stride 0; new leading dimensions are added). -1 keeps a size.
 * @return ::BN_ERR_SHAPE naming both shapes when they do not broadcast.
 */
BN_API bn_status bn_tensor_expand(const bn_tensor *t, int ndim, const int64_t *shape, bn_tensor **out);

/**
 * @brief Compute the NumPy broadcast of two shapes.
 * @param ndim_a rank of a.
 * @param shape_a sizes of a.
 * @param ndim_b rank of b.
 * @param shape_b sizes of b.
 * @param[out] ndim_out rank of the result.
 * @param[out] shape_out ::BN_MAX_DIMS entries; the first *ndim_out are written.
 * @return ::BN_ERR_SHAPE naming both shapes when they do not broadcast.
 */
BN_API bn_status bn_broadcast_shapes(int ndim_a, const int64_t *shape_a, int ndim_b, const int64_t *shape_b,
                                     int *ndim_out, int64_t *shape_out);

/**
 * @brief A contiguous tensor with the same values: a new handle on the same
 *        storage when @p t is already contiguous, else a copy.
 */
BN_API bn_status bn_tensor_contiguous(const bn_tensor *t, bn_tensor **out);

/** @brief A contiguous copy with its own storage. */
BN_API bn_status bn_tensor_clone(const bn_tensor *t, bn_tensor **out);

/* ---- copy and cast -------------------------------------------------- */

/**
 * @brief Copy @p src into @p dst elementwise, casting to dst's dtype.
 *        @p src must broadcast to dst's shape. Overlapping storage is
 *        handled (as if through a temporary). On failure @p dst is unchanged.
 * @return ::BN_ERR_SHAPE when src does not broadcast to dst.
 */
BN_API bn_status bn_tensor_copy(bn_tensor *dst, const bn_tensor *src);

/**
 * @brief A new contiguous tensor with @p t's values cast to @p dtype.
 * @param t source.
 * @param dtype target type.
 * @param[out] out written on success.
 */
BN_API bn_status bn_tensor_cast(const bn_tensor *t, bn_dtype dtype, bn_tensor **out);

/**
 * @brief bn_tensor_cast() to a packed dtype with scales per @p group_size
 *        elements (0 = the whole tensor).
 */
BN_API bn_status bn_tensor_cast_quantized(const bn_tensor *t, bn_dtype dtype, int64_t group_size,
                                          bn_tensor **out);

/* ---- scalar conversions (exact rules of the casts) ------------------ */

/** @brief f32 to IEEE binary16, round to nearest even; NaN stays NaN (quiet), overflow gives infinity. */
BN_API uint16_t bn_f32_to_f16(float value);
/** @brief IEEE binary16 to f32 (exact). */
BN_API float bn_f16_to_f32(uint16_t bits);
/** @brief f32 to bfloat16, round to nearest even; NaN stays NaN (quiet). */
BN_API uint16_t bn_f32_to_bf16(float value);
/** @brief bfloat16 to f32 (exact). */
BN_API float bn_bf16_to_f32(uint16_t bits);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_TENSOR_H */
