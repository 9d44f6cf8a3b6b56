/* GGUF writer: key/values serialized as they are added; tensors written at
 * aligned offsets in the order added. See docs/gguf.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/gguf.h"
#include "core/alloc.h"
#include "core/error.h"
#include "io/gguf_internal.h"

typedef struct wtensor {
    char *name;
    int type;
    int ndim;
    int64_t dims[BN_GGUF_MAX_DIMS];
    const void *data;
    size_t nbytes;
    uint64_t offset;
} wtensor;

struct bn_gguf_writer {
    uint32_t alignment;
    uint8_t *kv;      /* serialized key/values */
    size_t kv_size, kv_cap;
    int64_t n_kv;
    char **keys;
    size_t keys_cap;
    wtensor *tensors;
    int64_t n_tensors;
    size_t t_cap;
};

bn_status bn_gguf_writer_new(bn_gguf_writer **out) {
    BNI_CHECK_NULL("bn_gguf_writer_new", out);
    bn_gguf_writer *w = bni_calloc(1, sizeof *w);
    if (!w) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_writer_new: out of memory");
    w->alignment = BN_GGUF_DEFAULT_ALIGNMENT;
    *out = w;
    return BN_OK;
}

void bn_gguf_writer_free(bn_gguf_writer *w) {
    if (!w) return;
    for (int64_t i = 0; i < w->n_kv; i++) bni_free(w->keys[i]);
    for (int64_t i = 0; i < w->n_tensors; i++) bni_free(w->tensors[i].name);
    bni_free(w->keys);
    bni_free(w->tensors);
    bni_free(w->kv);
    bni_free(w);
}

bn_status bn_gguf_writer_set_alignment(bn_gguf_writer *w, uint32_t alignment) {
    BNI_CHECK_NULL("bn_gguf_writer_set_alignment", w);
    if (alignment == 0 || alignment > (1u << 30) || (alignment & (alignment - 1)) != 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_gguf_writer_set_alignment: %" PRIu32 " is not a power of two in 1..2^30", alignment);
    w->alignment = alignment;
    return BN_OK;
}

static bn_status kv_put(bn_gguf_writer *w, const void *p, size_t n) {
    if (n > SIZE_MAX - w->kv_size) return bni_error(BN_ERR_OVERFLOW, "bn_gguf_writer: metadata too large");
    if (w->kv_size + n > w->kv_cap) {
        size_t cap = w->kv_cap ? w->kv_cap : 256;
        while (cap < w->kv_size + n) {
            if (cap > SIZE_MAX / 2) return bni_error(BN_ERR_OVERFLOW, "bn_gguf_writer: metadata too large");
            cap *= 2;
        }
        uint8_t *nb = bni_realloc(w->kv, cap);
        if (!nb) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_writer: out of memory");
        w->kv = nb;
        w->kv_cap = cap;
    }
    if (n) memcpy(w->kv + w->kv_size, p, n);
    w->kv_size += n;
    return BN_OK;
}

static bn_status kv_put_str(bn_gguf_writer *w, const char *s, size_t len) {
    uint64_t l = len;
    bn_status st = kv_put(w, &l, 8);
    return st ? st : kv_put(w, s, len);
}

/* Check the key and serialize it; the caller appends the value. On a later
 * failure the caller rolls back with kv_rollback(). */
static bn_status kv_begin(bn_gguf_writer *w, const char *fn, const char *key, uint32_t type) {
    if (!w || !key) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    size_t len = strlen(key);
    if (len == 0 || len > 65535)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key length %zu outside 1..65535", fn, len);
    if (strcmp(key, "general.alignment") == 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: general.alignment is set by bn_gguf_writer_set_alignment", fn);
    for (int64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: duplicate key '%s'", fn, key);
    if ((size_t)w->n_kv == w->keys_cap) {
        size_t cap = w->keys_cap ? w->keys_cap * 2 : 16;
        char **nk = bni_realloc(w->keys, cap * sizeof *nk);
        if (!nk) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
        w->keys = nk;
        w->keys_cap = cap;
    }
    bn_status st = kv_put_str(w, key, len);
    if (!st) st = kv_put(w, &type, 4);
    return st;
}

static bn_status kv_commit(bn_gguf_writer *w, const char *fn, const char *key) {
    size_t len = strlen(key);
    char *k = bni_malloc(len + 1);
    if (!k) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    memcpy(k, key, len + 1);
    w->keys[w->n_kv++] = k;
    return BN_OK;
}

bn_status bn_gguf_writer_add_scalar(bn_gguf_writer *w, const char *key, bn_gguf_type type, const void *value) {
    static const char fn[] = "bn_gguf_writer_add_scalar";
    size_t es = bni_gguf_scalar_size((uint32_t)type);
    if (es == 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key '%s': type %d is not a scalar type", fn, key ? key : "",
                         (int)type);
    if (!value) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: value is NULL", fn);
    if (type == BN_GGUF_TYPE_BOOL && *(const uint8_t *)value > 1)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key '%s': bool value %u", fn, key ? key : "",
                         *(const uint8_t *)value);
    size_t mark = w ? w->kv_size : 0;
    bn_status st = kv_begin(w, fn, key, (uint32_t)type);
    if (!st) st = kv_put(w, value, es);
    if (!st) st = kv_commit(w, fn, key);
    if (st && w) w->kv_size = mark;
    return st;
}

bn_status bn_gguf_writer_add_u32(bn_gguf_writer *w, const char *key, uint32_t value) {
    return bn_gguf_writer_add_scalar(w, key, BN_GGUF_TYPE_UINT32, &value);
}

bn_status bn_gguf_writer_add_i32(bn_gguf_writer *w, const char *key, int32_t value) {
    return bn_gguf_writer_add_scalar(w, key, BN_GGUF_TYPE_INT32, &value);
}

bn_status bn_gguf_writer_add_f32(bn_gguf_writer *w, const char *key, float value) {
    return bn_gguf_writer_add_scalar(w, key, BN_GGUF_TYPE_FLOAT32, &value);
}

bn_status bn_gguf_writer_add_bool(bn_gguf_writer *w, const char *key, int value) {
    uint8_t b = value != 0;
    return bn_gguf_writer_add_scalar(w, key, BN_GGUF_TYPE_BOOL, &b);
}

bn_status bn_gguf_writer_add_str(bn_gguf_writer *w, const char *key, const char *str, size_t len) {
    static const char fn[] = "bn_gguf_writer_add_str";
    if (!str && len) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: str is NULL, len %zu", fn, len);
    size_t mark = w ? w->kv_size : 0;
    bn_status st = kv_begin(w, fn, key, BN_GGUF_TYPE_STRING);
    if (!st) st = kv_put_str(w, str, len);
    if (!st) st = kv_commit(w, fn, key);
    if (st && w) w->kv_size = mark;
    return st;
}

bn_status bn_gguf_writer_add_array(bn_gguf_writer *w, const char *key, bn_gguf_type elem_type, const void *data,
                                   uint64_t count) {
    static const char fn[] = "bn_gguf_writer_add_array";
    size_t es = bni_gguf_scalar_size((uint32_t)elem_type);
    if (es == 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key '%s': element type %d is not a scalar type", fn,
                         key ? key : "", (int)elem_type);
    if (!data && count) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: data is NULL, count %" PRIu64, fn, count);
    size_t bytes;
    if (count > SIZE_MAX || !bni_mul_size((size_t)count, es, &bytes))
        return bni_error(BN_ERR_OVERFLOW, "%s: key '%s': %" PRIu64 " elements overflow", fn, key ? key : "", count);
    if (elem_type == BN_GGUF_TYPE_BOOL)
        for (uint64_t i = 0; i < count; i++)
            if (((const uint8_t *)data)[i] > 1)
                return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key '%s': bool element %" PRIu64 " is %u", fn, key, i,
                                 ((const uint8_t *)data)[i]);
    size_t mark = w ? w->kv_size : 0;
    uint32_t et = (uint32_t)elem_type;
    bn_status st = kv_begin(w, fn, key, BN_GGUF_TYPE_ARRAY);
    if (!st) st = kv_put(w, &et, 4);
    if (!st) st = kv_put(w, &count, 8);
    if (!st) st = kv_put(w, data, bytes);
    if (!st) st = kv_commit(w, fn, key);
    if (st && w) w->kv_size = mark;
    return st;
}

bn_status bn_gguf_writer_add_str_array(bn_gguf_writer *w, const char *key, const char *const *strs,
                                       const size_t *lens, uint64_t count) {
    static const char fn[] = "bn_gguf_writer_add_str_array";
    if (!strs && count) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: strs is NULL, count %" PRIu64, fn, count);
    for (uint64_t i = 0; i < count; i++)
        if (!strs[i] && (!lens || lens[i]))
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: key '%s': string %" PRIu64 " is NULL", fn,
                             key ? key : "", i);
    size_t mark = w ? w->kv_size : 0;
    uint32_t et = BN_GGUF_TYPE_STRING;
    bn_status st = kv_begin(w, fn, key, BN_GGUF_TYPE_ARRAY);
    if (!st) st = kv_put(w, &et, 4);
    if (!st) st = kv_put(w, &count, 8);
    for (uint64_t i = 0; !st && i < count; i++)
        st = kv_put_str(w, strs[i], lens ? lens[i] : strlen(strs[i]));
    if (!st) st = kv_commit(w, fn, key);
    if (st && w) w->kv_size = mark;
    return st;
}

bn_status bn_gguf_writer_add_tensor(bn_gguf_writer *w, const char *name, int type, int ndim, const int64_t *dims,
                                    const void *data) {
    static const char fn[] = "bn_gguf_writer_add_tensor";
    BNI_CHECK_NULL("bn_gguf_writer_add_tensor", w);
    BNI_CHECK_NULL("bn_gguf_writer_add_tensor", name);
    BNI_CHECK_NULL("bn_gguf_writer_add_tensor", dims);
    size_t len = strlen(name);
    if (len == 0 || len > 65535)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: tensor name length %zu outside 1..65535", fn, len);
    size_t nbytes;
    bn_status st = bn_gguf_tensor_nbytes(type, ndim, dims, &nbytes);
    if (st) return bni_error(st, "%s: tensor '%s': %s", fn, name, bn_last_error());
    for (int64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: duplicate tensor name '%s'", fn, name);
    if ((size_t)w->n_tensors == w->t_cap) {
        size_t cap = w->t_cap ? w->t_cap * 2 : 64;
        wtensor *nt = bni_realloc(w->tensors, cap * sizeof *nt);
        if (!nt) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
        w->tensors = nt;
        w->t_cap = cap;
    }
    wtensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = bni_malloc(len + 1);
    if (!t->name) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    memcpy(t->name, name, len + 1);
    t->type = type;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->dims[d] = dims[d];
    t->data = data;
    t->nbytes = nbytes;
    w->n_tensors++;
    return BN_OK;
}

static bn_status put(FILE *f, const char *path, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, f) != n)
        return bni_error(BN_ERR_IO, "bn_gguf_writer: writing %s failed: %s", path, strerror(errno));
    return BN_OK;
}

static bn_status pad(FILE *f, const char *path, uint64_t *pos, uint32_t align) {
    static const uint8_t zeros[64] = {0};
    uint64_t target = (*pos + align - 1) / align * align;
    while (*pos < target) {
        size_t n = (size_t)(target - *pos < sizeof zeros ? target - *pos : sizeof zeros);
        bn_status st = put(f, path, zeros, n);
        if (st) return st;
        *pos += n;
    }
    return BN_OK;
}

static bn_status write_stream(bn_gguf_writer *w, FILE *f, const char *path, bn_gguf_fill_fn fill,
                              bn_gguf_progress_fn progress, void *user) {
    /* Offsets first, so the header can be written in one pass. */
    uint64_t off = 0, total = 0;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        wtensor *t = &w->tensors[i];
        off = (off + w->alignment - 1) / w->alignment * w->alignment;
        t->offset = off;
        off += t->nbytes;
        total += t->nbytes;
        if (!t->data && !fill)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_gguf_writer: tensor '%s' has no data and no fill callback",
                             t->name);
    }
    int add_align = w->alignment != BN_GGUF_DEFAULT_ALIGNMENT;
    uint32_t hdr[2] = {BNI_GGUF_MAGIC, 3};
    uint64_t counts[2] = {(uint64_t)w->n_tensors, (uint64_t)w->n_kv + (uint64_t)add_align};
    uint64_t pos = 0;
    bn_status st = put(f, path, hdr, 8);
    if (!st) st = put(f, path, counts, 16);
    pos += 24;
    if (!st && add_align) {
        static const char k[] = "general.alignment";
        uint64_t kl = sizeof k - 1;
        uint32_t ty = BN_GGUF_TYPE_UINT32;
        st = put(f, path, &kl, 8);
        if (!st) st = put(f, path, k, (size_t)kl);
        if (!st) st = put(f, path, &ty, 4);
        if (!st) st = put(f, path, &w->alignment, 4);
        pos += 8 + kl + 8;
    }
    if (!st) st = put(f, path, w->kv, w->kv_size);
    pos += w->kv_size;
    for (int64_t i = 0; !st && i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        uint64_t nl = strlen(t->name);
        uint32_t nd = (uint32_t)t->ndim, ty = (uint32_t)t->type;
        st = put(f, path, &nl, 8);
        if (!st) st = put(f, path, t->name, (size_t)nl);
        if (!st) st = put(f, path, &nd, 4);
        for (int d = 0; !st && d < t->ndim; d++) {
            uint64_t v = (uint64_t)t->dims[d];
            st = put(f, path, &v, 8);
        }
        if (!st) st = put(f, path, &ty, 4);
        if (!st) st = put(f, path, &t->offset, 8);
        pos += 8 + nl + 4 + 8u * (uint64_t)t->ndim + 4 + 8;
    }
    if (st) return st;
    if (w->n_tensors > 0 && (st = pad(f, path, &pos, w->alignment))) return st;
    uint64_t data_start = pos, done = 0;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        uint64_t rel = pos - data_start;
        if ((st = pad(f, path, &rel, w->alignment))) return st;
        pos = data_start + rel;
        if (t->data) {
            st = put(f, path, t->data, t->nbytes);
        } else {
            void *buf = bni_malloc(t->nbytes ? t->nbytes : 1);
            if (!buf)
                return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_writer: out of memory for tensor '%s' (%zu bytes)",
                                 t->name, t->nbytes);
            st = fill(user, i, buf, t->nbytes);
            if (!st) st = put(f, path, buf, t->nbytes);
            bni_free(buf);
        }
        if (st) return st;
        pos += t->nbytes;
        done += t->nbytes;
        if (progress) progress(user, done, total);
    }
    return BN_OK;
}

bn_status bn_gguf_writer_write_file(bn_gguf_writer *w, const char *path, bn_gguf_fill_fn fill,
                                    bn_gguf_progress_fn progress, void *user) {
    BNI_CHECK_NULL("bn_gguf_writer_write_file", w);
    BNI_CHECK_NULL("bn_gguf_writer_write_file", path);
    FILE *f = fopen(path, "wb");
    if (!f) return bni_error(BN_ERR_IO, "bn_gguf_writer_write_file: cannot create %s: %s", path, strerror(errno));
    bn_status st = write_stream(w, f, path, fill, progress, user);
    if (fclose(f) != 0 && !st)
        st = bni_error(BN_ERR_IO, "bn_gguf_writer_write_file: closing %s failed: %s", path, strerror(errno));
    if (st) unlink(path);
    return st;
}

bn_status bn_gguf_writer_write_memory(bn_gguf_writer *w, void **data, size_t *size, bn_gguf_fill_fn fill,
                                      void *user) {
    BNI_CHECK_NULL("bn_gguf_writer_write_memory", w);
    BNI_CHECK_NULL("bn_gguf_writer_write_memory", data);
    BNI_CHECK_NULL("bn_gguf_writer_write_memory", size);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_writer_write_memory: open_memstream failed");
    bn_status st = write_stream(w, f, "<memory>", fill, NULL, user);
    if (fclose(f) != 0 && !st) st = bni_error(BN_ERR_IO, "bn_gguf_writer_write_memory: closing the buffer failed");
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *size = len;
    return BN_OK;
}
