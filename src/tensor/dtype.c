/* The dtype table that every operation reads. */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "tensor/tensor_internal.h"

#define LOG2_3 1.5849625007211562

static const bn_dtype_info k_dtypes[BN_DTYPE_COUNT] = {
    {BN_DTYPE_F32, "f32", BN_KIND_FLOAT, 32, 32.0, 0, 0, 0},
    {BN_DTYPE_F64, "f64", BN_KIND_FLOAT, 64, 64.0, 0, 0, 0},
    {BN_DTYPE_F16, "f16", BN_KIND_FLOAT, 16, 16.0, 0, 0, 0},
    {BN_DTYPE_BF16, "bf16", BN_KIND_FLOAT, 16, 16.0, 0, 0, 0},
    {BN_DTYPE_I8, "i8", BN_KIND_SIGNED, 8, 8.0, 0, 0, 0},
    {BN_DTYPE_I16, "i16", BN_KIND_SIGNED, 16, 16.0, 0, 0, 0},
    {BN_DTYPE_I32, "i32", BN_KIND_SIGNED, 32, 32.0, 0, 0, 0},
    {BN_DTYPE_I64, "i64", BN_KIND_SIGNED, 64, 64.0, 0, 0, 0},
    {BN_DTYPE_U8, "u8", BN_KIND_UNSIGNED, 8, 8.0, 0, 0, 0},
    {BN_DTYPE_U16, "u16", BN_KIND_UNSIGNED, 16, 16.0, 0, 0, 0},
    {BN_DTYPE_U32, "u32", BN_KIND_UNSIGNED, 32, 32.0, 0, 0, 0},
    {BN_DTYPE_U64, "u64", BN_KIND_UNSIGNED, 64, 64.0, 0, 0, 0},
    {BN_DTYPE_BOOL, "bool", BN_KIND_BOOL, 8, 1.0, 0, 0, 0},
    {BN_DTYPE_TERNARY, "ternary", BN_KIND_PACKED, 2, LOG2_3, 1, -1, 1},
    {BN_DTYPE_BINARY, "binary", BN_KIND_PACKED, 1, 1.0, 1, -1, 1},
    {BN_DTYPE_INT4, "int4", BN_KIND_PACKED, 4, 4.0, 0, -8, 7},
    {BN_DTYPE_QINT8, "qint8", BN_KIND_PACKED, 8, 8.0, 1, -128, 127},
    {BN_DTYPE_QINT4, "qint4", BN_KIND_PACKED, 4, 4.0, 1, -8, 7},
};

int bni_dtype_valid(bn_dtype dtype) { return (unsigned)dtype < BN_DTYPE_COUNT; }

const bn_dtype_info *bni_dtype_info(bn_dtype dtype) { return &k_dtypes[dtype]; }

int bni_dtype_is_packed(bn_dtype dtype) { return k_dtypes[dtype].kind == BN_KIND_PACKED; }

size_t bni_dtype_size(bn_dtype dtype) {
    return k_dtypes[dtype].kind == BN_KIND_PACKED ? 0 : (size_t)k_dtypes[dtype].bits / 8;
}

const bn_dtype_info *bn_dtype_get_info(bn_dtype dtype) {
    return bni_dtype_valid(dtype) ? &k_dtypes[dtype] : NULL;
}

const char *bn_dtype_name(bn_dtype dtype) { return bni_dtype_valid(dtype) ? k_dtypes[dtype].name : "unknown"; }

bn_status bn_dtype_from_name(const char *name, bn_dtype *dtype) {
    BNI_CHECK_NULL("bn_dtype_from_name", name);
    BNI_CHECK_NULL("bn_dtype_from_name", dtype);
    for (int i = 0; i < BN_DTYPE_COUNT; i++) {
        if (strcmp(name, k_dtypes[i].name) == 0) {
            *dtype = k_dtypes[i].dtype;
            return BN_OK;
        }
    }
    return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_dtype_from_name: unknown dtype \"%.64s\"", name);
}

bn_status bn_dtype_storage_bytes(bn_dtype dtype, int64_t numel, size_t *nbytes) {
    BNI_CHECK_NULL("bn_dtype_storage_bytes", nbytes);
    if (!bni_dtype_valid(dtype))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_dtype_storage_bytes: invalid dtype %d", (int)dtype);
    if (numel < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_dtype_storage_bytes: negative element count %lld",
                         (long long)numel);
    const bn_dtype_info *info = &k_dtypes[dtype];
    /* numel * bits / 8 rounded up, as (numel / 8) * bits + ceil((numel % 8) * bits / 8) */
    uint64_t q = (uint64_t)numel / 8, r = (uint64_t)numel % 8, bytes;
    int bad = __builtin_mul_overflow(q, (uint64_t)info->bits, &bytes) ||
              __builtin_add_overflow(bytes, (r * (uint64_t)info->bits + 7) / 8, &bytes);
#if SIZE_MAX < UINT64_MAX
    if (!bad && bytes > SIZE_MAX) bad = 1;
#endif
    if (bad)
        return bni_error(BN_ERR_OVERFLOW, "bn_dtype_storage_bytes: %lld elements of %s overflow the byte size",
                         (long long)numel, info->name);
    *nbytes = (size_t)bytes;
    return BN_OK;
}
