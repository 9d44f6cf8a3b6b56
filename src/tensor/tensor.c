/* Tensor handles and their reference-counted storage; properties and
 * element access. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tensor/tensor_internal.h"

/* ---- shapes ---------------------------------------------------------- */

int64_t bni_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

bn_status bni_check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel) {
    if (ndim < 0 || ndim > BN_MAX_DIMS)
        return bni_error(BN_ERR_SHAPE, "%s: %d dimensions (a tensor has 0 to %d)", fn, ndim, BN_MAX_DIMS);
    if (ndim > 0 && shape == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
    char buf[192];
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            bni_format_shape(buf, sizeof buf, ndim, shape);
            return bni_error(BN_ERR_SHAPE, "%s: negative size %" PRId64 " in dimension %d of %s", fn, shape[i], i,
                             buf);
        }
    }
    /* The product of the non-zero sizes must fit, so strides do too. */
    int64_t n = 1, nz = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) {
            n = 0;
            continue;
        }
        if (__builtin_mul_overflow(nz, shape[i], &nz)) {
            bni_format_shape(buf, sizeof buf, ndim, shape);
            return bni_error(BN_ERR_OVERFLOW, "%s: shape %s has too many elements (the count overflows int64)", fn,
                             buf);
        }
    }
    if (numel) *numel = n ? nz : 0;
    return BN_OK;
}

void bni_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] > 1 ? shape[i] : 1;
    }
}

int bni_strides_contiguous(int ndim, const int64_t *shape, const int64_t *strides) {
    int64_t expect = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        if (shape[i] == 0) return 1;
        if (shape[i] == 1) continue;
        if (strides[i] != expect) return 0;
        expect *= shape[i];
    }
    return 1;
}

/* ---- storage --------------------------------------------------------- */

static void storage_release(bni_storage *s) {
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    if (s->owns_data) bn_pool_release(s->pool, s->data);
    else if (s->release) s->release(s->data, s->user);
    bn_pool_release(s->pool, s);
}

int64_t bni_storage_group(const bni_storage *s) { return s->group_size ? s->group_size : s->numel; }

bn_status bni_tensor_alloc(const char *fn, bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                           int64_t group_size, bn_tensor **out) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    if (out == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    if (!bni_dtype_valid(dtype)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)dtype);
    int64_t numel;
    bn_status st = bni_check_shape(fn, ndim, shape, &numel);
    if (st) return st;
    const bn_dtype_info *info = bni_dtype_info(dtype);
    char buf[192];
    if (group_size < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative group size %" PRId64, fn, group_size);
    if (group_size > 0 && numel % group_size != 0) {
        bni_format_shape(buf, sizeof buf, ndim, shape);
        return bni_error(BN_ERR_SHAPE, "%s: group size %" PRId64 " does not divide the %" PRId64
                         " elements of %s", fn, group_size, numel, buf);
    }
    size_t nbytes;
    if (bn_dtype_storage_bytes(dtype, numel, &nbytes) != BN_OK) {
        bni_format_shape(buf, sizeof buf, ndim, shape);
        return bni_error(BN_ERR_OVERFLOW, "%s: %s%s needs more bytes than size_t can count", fn, info->name, buf);
    }
    int64_t nscales = 0;
    size_t block = nbytes;
    if (info->has_scale) {
        nscales = group_size > 0 ? numel / group_size : 1;
        size_t sbytes = (size_t)nscales * sizeof(float);
        block = (nbytes + 63) & ~(size_t)63;
        if (block < nbytes || block + sbytes < block) {
            bni_format_shape(buf, sizeof buf, ndim, shape);
            return bni_error(BN_ERR_OVERFLOW, "%s: %s%s needs more bytes than size_t can count", fn, info->name,
                             buf);
        }
        block += sbytes;
    }
    bn_pool *pool = bn_ctx_pool(ctx);
    bni_storage *s = NULL;
    bn_tensor *t = NULL;
    void *data = NULL;
    if ((st = BN_POOL_ALLOC(pool, sizeof *s, BNI_TAG_HANDLE, (void **)&s)) != BN_OK) goto fail;
    if ((st = BN_POOL_ALLOC(pool, sizeof *t, BNI_TAG_HANDLE, (void **)&t)) != BN_OK) goto fail;
    if ((st = BN_POOL_ALLOC(pool, block, BNI_TAG_DATA, &data)) != BN_OK) goto fail;
    memset(s, 0, sizeof *s);
    atomic_init(&s->refs, 1);
    s->ctx = ctx;
    s->pool = pool;
    s->device = bn_ctx_device(ctx);
    s->data = data;
    s->nbytes = nbytes;
    s->owns_data = 1;
    s->numel = numel;
    s->group_size = group_size;
    if (info->has_scale) {
        s->scales = (float *)(void *)((char *)data + (block - (size_t)nscales * sizeof(float)));
        s->nscales = nscales;
        for (int64_t i = 0; i < nscales; i++) s->scales[i] = 1.0f;
    }
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    bni_contiguous_strides(ndim, t->shape, t->strides);
    t->offset = 0;
    t->storage = s;
    *out = t;
    return BN_OK;
fail:
    if (data) bn_pool_release(pool, data);
    if (t) bn_pool_release(pool, t);
    if (s) bn_pool_release(pool, s);
    bni_format_shape(buf, sizeof buf, ndim, shape);
    return bni_error(st, "%s: cannot allocate %s%s (%zu bytes): %s", fn, info->name, buf, block,
                     bn_status_str(st));
}

bn_status bni_tensor_view(const char *fn, const bn_tensor *t, int ndim, const int64_t *shape,
                          const int64_t *strides, int64_t offset, bn_tensor **out) {
    bni_storage *s = t->storage;
    bn_tensor *v = NULL;
    bn_status st = BN_POOL_ALLOC(s->pool, sizeof *v, BNI_TAG_HANDLE, (void **)&v);
    if (st != BN_OK) return bni_error(st, "%s: cannot allocate a tensor handle: %s", fn, bn_status_str(st));
    memset(v, 0, sizeof *v);
    v->dtype = t->dtype;
    v->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        v->shape[i] = shape[i];
        v->strides[i] = strides[i];
    }
    v->offset = offset;
    v->storage = s;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    *out = v;
    return BN_OK;
}

int bni_packed_view_ok(const bn_tensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                       int64_t offset) {
    const bn_dtype_info *info = bni_dtype_info(t->dtype);
    const bni_storage *s = t->storage;
    int64_t numel = bni_numel(ndim, shape);
    if (numel == 0) return 1;
    if (!bni_strides_contiguous(ndim, shape, strides)) return 0;
    if ((offset * info->bits) % 8 != 0) return 0;
    if (info->has_scale) {
        if (s->group_size == 0) return offset == 0 && numel == s->numel;
        if (offset % s->group_size != 0 || numel % s->group_size != 0) return 0;
    }
    return 1;
}

void bn_tensor_free(bn_tensor *t) {
    if (t == NULL) return;
    bni_storage *s = t->storage;
    bn_pool *pool = s->pool;
    bn_pool_release(pool, t);
    storage_release(s);
}

/* ---- properties ------------------------------------------------------ */

bn_dtype bn_tensor_dtype(const bn_tensor *t) { return t ? t->dtype : BN_DTYPE_F32; }
int bn_tensor_ndim(const bn_tensor *t) { return t ? t->ndim : 0; }
const int64_t *bn_tensor_shape(const bn_tensor *t) { return t ? t->shape : NULL; }
const int64_t *bn_tensor_strides(const bn_tensor *t) { return t ? t->strides : NULL; }

int64_t bn_tensor_dim(const bn_tensor *t, int dim) {
    if (t == NULL) return -1;
    if (dim < 0) dim += t->ndim;
    if (dim < 0 || dim >= t->ndim) return -1;
    return t->shape[dim];
}

int64_t bn_tensor_numel(const bn_tensor *t) { return t ? bni_numel(t->ndim, t->shape) : 0; }

size_t bn_tensor_nbytes(const bn_tensor *t) {
    size_t n = 0;
    if (t == NULL || bn_dtype_storage_bytes(t->dtype, bn_tensor_numel(t), &n) != BN_OK) return 0;
    return n;
}

int bn_tensor_is_contiguous(const bn_tensor *t) {
    return t ? bni_strides_contiguous(t->ndim, t->shape, t->strides) : 0;
}

bn_device bn_tensor_device(const bn_tensor *t) {
    bn_device d = {BN_DEVICE_CPU, 0};
    return t ? t->storage->device : d;
}

bn_ctx *bn_tensor_ctx(const bn_tensor *t) { return t ? t->storage->ctx : NULL; }
int64_t bn_tensor_offset(const bn_tensor *t) { return t ? t->offset : 0; }

int bn_tensor_shares_storage(const bn_tensor *a, const bn_tensor *b) {
    return a && b && a->storage == b->storage;
}

void *bn_tensor_data(const bn_tensor *t) {
    if (t == NULL) return NULL;
    char *base = (char *)t->storage->data;
    if (bni_dtype_is_packed(t->dtype)) return base + t->offset * bni_dtype_info(t->dtype)->bits / 8;
    return base + t->offset * (int64_t)bni_dtype_size(t->dtype);
}

float *bn_tensor_scales(const bn_tensor *t) {
    if (t == NULL || t->storage->scales == NULL) return NULL;
    const bni_storage *s = t->storage;
    return s->scales + (s->group_size ? t->offset / s->group_size : 0);
}

int64_t bn_tensor_group_size(const bn_tensor *t) {
    if (t == NULL || t->storage->scales == NULL) return 0;
    return t->storage->group_size ? t->storage->group_size : bn_tensor_numel(t);
}

/* ---- element access -------------------------------------------------- */

static bn_status element_index(const char *fn, const bn_tensor *t, const int64_t *index, int64_t *e) {
    if (t->ndim > 0 && index == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: index is NULL", fn);
    int64_t off = t->offset;
    for (int i = 0; i < t->ndim; i++) {
        int64_t k = index[i];
        if (k < 0) k += t->shape[i];
        if (k < 0 || k >= t->shape[i]) {
            char buf[192];
            bni_format_shape(buf, sizeof buf, t->ndim, t->shape);
            return bni_error(BN_ERR_OUT_OF_RANGE, "%s: index %" PRId64 " out of range for dimension %d of %s", fn,
                             index[i], i, buf);
        }
        off += k * t->strides[i];
    }
    *e = off;
    return BN_OK;
}

bn_status bn_tensor_get(const bn_tensor *t, const int64_t *index, double *value) {
    BNI_CHECK_NULL("bn_tensor_get", t);
    BNI_CHECK_NULL("bn_tensor_get", value);
    int64_t e;
    bn_status st = element_index("bn_tensor_get", t, index, &e);
    if (st) return st;
    const bni_storage *s = t->storage;
    if (bni_dtype_is_packed(t->dtype)) {
        int code = bni_packed_get(t->dtype, (const uint8_t *)s->data, e);
        float scale = s->scales ? s->scales[s->group_size ? e / s->group_size : 0] : 1.0f;
        *value = (double)((float)code * scale);
        return BN_OK;
    }
    *value = bni_load_f64(t->dtype, (const char *)s->data + e * (int64_t)bni_dtype_size(t->dtype));
    return BN_OK;
}

bn_status bn_tensor_set(bn_tensor *t, const int64_t *index, double value) {
    BNI_CHECK_NULL("bn_tensor_set", t);
    int64_t e;
    bn_status st = element_index("bn_tensor_set", t, index, &e);
    if (st) return st;
    bni_storage *s = t->storage;
    if (bni_dtype_is_packed(t->dtype)) {
        if (s->scales)
            return bni_error(BN_ERR_NOT_SUPPORTED,
                             "bn_tensor_set: cannot set one element of a %s tensor (its scales are per group); "
                             "cast to f32, set, and cast back",
                             bn_dtype_name(t->dtype));
        int code;
        float scale;
        bni_quantize_one(t->dtype, value, &code, &scale);
        bni_packed_set(t->dtype, (uint8_t *)s->data, e, code);
        return BN_OK;
    }
    bni_store_f64(t->dtype, (char *)s->data + e * (int64_t)bni_dtype_size(t->dtype), value);
    return BN_OK;
}

bn_status bn_tensor_describe(const bn_tensor *t, char *buf, size_t size) {
    BNI_CHECK_NULL("bn_tensor_describe", t);
    BNI_CHECK_NULL("bn_tensor_describe", buf);
    if (size == 0) return BN_OK;
    char sh[192], st[192], extra[96] = "";
    bni_format_shape(sh, sizeof sh, t->ndim, t->shape);
    bni_format_shape(st, sizeof st, t->ndim, t->strides);
    size_t n = 0;
    if (t->offset) n += (size_t)snprintf(extra + n, sizeof extra - n, " offset %" PRId64, t->offset);
    if (t->storage->scales && n < sizeof extra)
        snprintf(extra + n, sizeof extra - n, " group %" PRId64, bn_tensor_group_size(t));
    snprintf(buf, size, "%s%s strides %s %s%s", bn_dtype_name(t->dtype), sh, st,
             bn_tensor_is_contiguous(t) ? "contiguous" : "non-contiguous", extra);
    return BN_OK;
}
