/* Internal: the tensor handle, its reference-counted storage, and the
 * conversion helpers shared by the tensor sources. */
#ifndef BITNET_TENSOR_INTERNAL_H
#define BITNET_TENSOR_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/tensor.h"

/* Pool tags. */
#define BNI_TAG_HANDLE "tensor"
#define BNI_TAG_DATA "activations"

/* Storage shared by every view. For packed dtypes with scales, `scales`
 * points into the same block as `data` (after the packed bytes). */
typedef struct bni_storage {
    atomic_long refs;
    bn_ctx *ctx;
    bn_pool *pool;          /* pool holding this struct (and data when owned) */
    bn_device device;
    void *data;             /* element storage */
    size_t nbytes;          /* bytes of element storage */
    int owns_data;          /* data is a pool block to release */
    bn_release_fn release;  /* wrapped memory: called once at the end */
    void *user;
    /* packed dtypes */
    int64_t numel;          /* elements the storage was created for */
    float *scales;          /* NULL when the dtype has no scale */
    int64_t nscales;
    int64_t group_size;     /* elements per scale; 0 = one scale for all */
} bni_storage;

struct bn_tensor {
    bn_dtype dtype;
    int ndim;
    int64_t shape[BN_MAX_DIMS];
    int64_t strides[BN_MAX_DIMS]; /* in elements */
    int64_t offset;               /* in elements */
    bni_storage *storage;
};

/* ---- dtype.c ---- */
/* Row of the dtype table; dtype must be valid. */
const bn_dtype_info *bni_dtype_info(bn_dtype dtype);
int bni_dtype_valid(bn_dtype dtype);
int bni_dtype_is_packed(bn_dtype dtype);
/* Bytes per element of a non-packed dtype (0 for packed). */
size_t bni_dtype_size(bn_dtype dtype);

/* ---- tensor.c ---- */
/* Validate a shape; writes the element count. fn names the caller. */
bn_status bni_check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel);
int64_t bni_numel(int ndim, const int64_t *shape);
void bni_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);
int bni_strides_contiguous(int ndim, const int64_t *shape, const int64_t *strides);
/* A new tensor with fresh contiguous storage (contents uninitialized; scales
 * of packed dtypes set to 1). group_size as bn_tensor_empty_quantized. */
bn_status bni_tensor_alloc(const char *fn, bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                           int64_t group_size, bn_tensor **out);
/* A new handle on t's storage with the given geometry (no checks). */
bn_status bni_tensor_view(const char *fn, const bn_tensor *t, int ndim, const int64_t *shape,
                          const int64_t *strides, int64_t offset, bn_tensor **out);
/* Whether a packed view with this geometry keeps the packed layout. */
int bni_packed_view_ok(const bn_tensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                       int64_t offset);
/* Group size of the storage in elements (storage numel when one scale). */
int64_t bni_storage_group(const bni_storage *s);

/* ---- view.c ---- */
/* Shape and strides of t broadcast to shape (ndim >= t->ndim; -1 keeps a
 * size when allow_keep). */
bn_status bni_expand_strides(const char *fn, const bn_tensor *t, int ndim, const int64_t *shape, int allow_keep,
                             int64_t *oshape, int64_t *ostrides);

/* ---- copy.c ---- */
/* Copy with the caller's name in messages. */
bn_status bni_tensor_copy(const char *fn, bn_tensor *dst, const bn_tensor *src);

/* ---- convert.c ---- */
/* Convert n elements from src (stride ss bytes) to dst (stride ds bytes). */
typedef void (*bni_cvt_fn)(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n);
/* Conversion between two non-packed dtypes (same dtype: a plain copy). */
bni_cvt_fn bni_cvt_get(bn_dtype src, bn_dtype dst);
/* One element of a non-packed dtype as double, and back (cast rules). */
double bni_load_f64(bn_dtype dtype, const void *p);
void bni_store_f64(bn_dtype dtype, void *p, double value);
uint16_t bni_f64_to_f16(double value);
uint16_t bni_f64_to_bf16(double value);

/* Packed codes (logical values: ternary -1..1, binary -1/+1, 4-bit -8..7,
 * qint8 -128..127) of element e counted from base's first bit. */
int bni_packed_get(bn_dtype dtype, const uint8_t *base, int64_t e);
void bni_packed_set(bn_dtype dtype, uint8_t *base, int64_t e, int code);
/* Quantize n f32 values into elements [e0, e0 + n) of base with one scale
 * per `group` values written to scales (group divides n; group > 0). */
void bni_quantize_f32(bn_dtype dtype, const float *x, int64_t n, int64_t group, uint8_t *base, int64_t e0,
                      float *scales);
/* Code and scale of a single value (for fills). */
void bni_quantize_one(bn_dtype dtype, double value, int *code, float *scale);
/* int4: n int8 values (already saturated to -8..7 or not) into elements [e0, e0+n). */
void bni_pack_int4(const int8_t *x, int64_t n, uint8_t *base, int64_t e0);
/* Dequantize elements [e0, e0 + n) (scales indexed by element / group, group
 * > 0; NULL scales = 1) into out. */
void bni_dequantize_f32(bn_dtype dtype, const uint8_t *base, int64_t e0, int64_t n, const float *scales,
                        int64_t group, float *out);

#endif
