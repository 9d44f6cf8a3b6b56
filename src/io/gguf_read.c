/* GGUF reader: parse and validate the whole header up front (every count,
 * length and offset checked against the bytes that are there, with
 * overflow-checked arithmetic), then serve lookups. See docs/gguf.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitnet/gguf.h"
#include "core/alloc.h"
#include "core/error.h"
#include "io/gguf_internal.h"

/* ---- shared helpers -------------------------------------------------------- */

size_t bni_gguf_scalar_size(uint32_t type) {
    switch (type) {
        case BN_GGUF_TYPE_UINT8:
        case BN_GGUF_TYPE_INT8:
        case BN_GGUF_TYPE_BOOL: return 1;
        case BN_GGUF_TYPE_UINT16:
        case BN_GGUF_TYPE_INT16: return 2;
        case BN_GGUF_TYPE_UINT32:
        case BN_GGUF_TYPE_INT32:
        case BN_GGUF_TYPE_FLOAT32: return 4;
        case BN_GGUF_TYPE_UINT64:
        case BN_GGUF_TYPE_INT64:
        case BN_GGUF_TYPE_FLOAT64: return 8;
        default: return 0;
    }
}

static uint64_t fnv1a(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

int bni_name_map_init(bni_name_map *m, size_t n) {
    size_t cap = 16;
    while (cap < n * 2 + 1) {
        if (cap > SIZE_MAX / 4) return 0;
        cap *= 2;
    }
    m->slots = bni_calloc(cap, sizeof *m->slots);
    m->cap = m->slots ? cap : 0;
    return m->slots != NULL;
}

void bni_name_map_free(bni_name_map *m) {
    bni_free(m->slots);
    m->slots = NULL;
    m->cap = 0;
}

int64_t bni_name_map_find(const bni_name_map *m, char *const *names, const char *name, size_t len) {
    if (m->cap == 0) return -1;
    size_t mask = m->cap - 1;
    for (size_t s = (size_t)fnv1a(name, len) & mask;; s = (s + 1) & mask) {
        int64_t v = m->slots[s];
        if (v == 0) return -1;
        const char *c = names[v - 1];
        if (strlen(c) == len && memcmp(c, name, len) == 0) return v - 1;
    }
}

int64_t bni_name_map_insert(bni_name_map *m, char *const *names, int64_t i, size_t len) {
    size_t mask = m->cap - 1;
    const char *name = names[i];
    for (size_t s = (size_t)fnv1a(name, len) & mask;; s = (s + 1) & mask) {
        int64_t v = m->slots[s];
        if (v == 0) {
            m->slots[s] = i + 1;
            return -1;
        }
        const char *c = names[v - 1];
        if (strlen(c) == len && memcmp(c, name, len) == 0) return v - 1;
    }
}

const char *bn_gguf_type_name(bn_gguf_type type) {
    static const char *const names[] = {"uint8",  "int8",   "uint16", "int16", "uint32", "int32",  "float32",
                                        "bool",   "string", "array",  "uint64", "int64", "float64"};
    if ((unsigned)type < sizeof names / sizeof names[0]) return names[type];
    return "unknown";
}

const char *bn_gguf_tensor_type_name(int type) {
    switch (type) {
        case BN_GGUF_TENSOR_F32: return "f32";
        case BN_GGUF_TENSOR_F16: return "f16";
        case BN_GGUF_TENSOR_TQ1_0: return "tq1_0";
        case BN_GGUF_TENSOR_TQ2_0: return "tq2_0";
        case BN_GGUF_TENSOR_I2_S: return "i2_s";
        default: return "unknown";
    }
}

bn_status bn_gguf_tensor_nbytes(int type, int ndim, const int64_t *dims, size_t *nbytes) {
    BNI_CHECK_NULL("bn_gguf_tensor_nbytes", dims);
    BNI_CHECK_NULL("bn_gguf_tensor_nbytes", nbytes);
    if (ndim < 1 || ndim > BN_GGUF_MAX_DIMS)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_gguf_tensor_nbytes: ndim %d outside 1..%d", ndim,
                         BN_GGUF_MAX_DIMS);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_gguf_tensor_nbytes: dims[%d] = %" PRId64 " < 0", d,
                             dims[d]);
        if (__builtin_mul_overflow(numel, dims[d], &numel))
            return bni_error(BN_ERR_OVERFLOW, "bn_gguf_tensor_nbytes: element count overflows at dims[%d] = %" PRId64,
                             d, dims[d]);
    }
    uint64_t n = (uint64_t)numel, bytes;
    switch (type) {
        case BN_GGUF_TENSOR_F32:
            if (__builtin_mul_overflow(n, 4u, &bytes)) goto overflow;
            break;
        case BN_GGUF_TENSOR_F16:
            if (__builtin_mul_overflow(n, 2u, &bytes)) goto overflow;
            break;
        case BN_GGUF_TENSOR_TQ1_0:
        case BN_GGUF_TENSOR_TQ2_0:
            if (dims[0] % 256 != 0)
                return bni_error(BN_ERR_SHAPE, "bn_gguf_tensor_nbytes: %s needs dims[0] %% 256 == 0, got %" PRId64,
                                 bn_gguf_tensor_type_name(type), dims[0]);
            if (__builtin_mul_overflow(n / 256, type == BN_GGUF_TENSOR_TQ1_0 ? 54u : 66u, &bytes)) goto overflow;
            break;
        case BN_GGUF_TENSOR_I2_S:
            if (n % 4 != 0)
                return bni_error(BN_ERR_SHAPE, "bn_gguf_tensor_nbytes: i2_s needs numel %% 4 == 0, got %" PRIu64, n);
            bytes = n / 4 + 32;
            break;
        default:
            return bni_error(BN_ERR_NOT_SUPPORTED,
                             "bn_gguf_tensor_nbytes: tensor type %d is not supported (f32 0, f16 1, tq1_0 34, "
                             "tq2_0 35, i2_s 36)",
                             type);
    }
    if (bytes > SIZE_MAX) goto overflow;
    *nbytes = (size_t)bytes;
    return BN_OK;
overflow:
    return bni_error(BN_ERR_OVERFLOW, "bn_gguf_tensor_nbytes: byte count of %" PRId64 " %s elements overflows", numel,
                     bn_gguf_tensor_type_name(type));
}

/* ---- the reader ------------------------------------------------------------- */

typedef struct gguf_kv {
    uint32_t type;
    uint32_t atype;    /* element type of an array */
    uint64_t len;      /* string length / array count */
    size_t off;        /* value bytes: scalar, string bytes, first array element */
    size_t *str_offs;  /* string arrays: offset of each element's length field */
} gguf_kv;

struct bn_gguf {
    const uint8_t *base;
    size_t size;
    int mapped;
    char *name;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    char **kv_keys;
    gguf_kv *kvs;
    bni_name_map kv_map;
    int64_t n_tensors;
    char **t_names;
    bn_gguf_tensor_info *tensors;
    bni_name_map t_map;
};

typedef struct cursor {
    const uint8_t *p;
    size_t size;
    size_t pos;
    const char *file;
} cursor;

static bn_status trunc_err(const cursor *c, size_t need, const char *what) {
    return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: truncated at byte %zu: %s needs %zu bytes, %zu left", c->file,
                     c->pos, what, need, c->size - c->pos);
}

static bn_status rd(cursor *c, void *dst, size_t n, const char *what) {
    if (c->size - c->pos < n) return trunc_err(c, n, what);
    memcpy(dst, c->p + c->pos, n);
    c->pos += n;
    return BN_OK;
}

static bn_status rd_u32(cursor *c, uint32_t *v, const char *what) { return rd(c, v, 4, what); }
static bn_status rd_u64(cursor *c, uint64_t *v, const char *what) { return rd(c, v, 8, what); }

/* A string: uint64 length, bytes. Returns the offset of the bytes. */
static bn_status rd_str(cursor *c, uint64_t *len, size_t *off, const char *what) {
    size_t at = c->pos;
    bn_status st = rd_u64(c, len, what);
    if (st) return st;
    if (*len > c->size - c->pos) {
        c->pos = at;
        return bni_error(BN_ERR_FORMAT,
                         "bn_gguf_open: %s: %s at byte %zu has length %" PRIu64 ", past the end of the file (%zu bytes left)",
                         c->file, what, at, *len, c->size - at - 8);
    }
    *off = c->pos;
    c->pos += (size_t)*len;
    return BN_OK;
}

/* A NUL-terminated copy; keys and names containing NUL are rejected. */
static bn_status rd_name(cursor *c, char **out, const char *what) {
    uint64_t len = 0;
    size_t off = 0, at = c->pos;
    bn_status st = rd_str(c, &len, &off, what);
    if (st) return st;
    if (len == 0) return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: empty %s at byte %zu", c->file, what, at);
    if (memchr(c->p + off, 0, (size_t)len))
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: %s at byte %zu contains a NUL byte", c->file, what, at);
    if (len > 65535)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: %s at byte %zu is %" PRIu64 " bytes long (limit 65535)",
                         c->file, what, at, len);
    char *s = bni_malloc((size_t)len + 1);
    if (!s) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_open: %s: out of memory", c->file);
    memcpy(s, c->p + off, (size_t)len);
    s[len] = 0;
    *out = s;
    return BN_OK;
}

static bn_status parse_kv(cursor *c, const char *key, gguf_kv *kv) {
    size_t at = c->pos;
    bn_status st = rd_u32(c, &kv->type, "value type");
    if (st) return st;
    if (kv->type == BN_GGUF_TYPE_STRING) return rd_str(c, &kv->len, &kv->off, "string value");
    if (kv->type == BN_GGUF_TYPE_ARRAY) {
        if ((st = rd_u32(c, &kv->atype, "array element type"))) return st;
        if ((st = rd_u64(c, &kv->len, "array length"))) return st;
        kv->off = c->pos;
        size_t left = c->size - c->pos;
        if (kv->atype == BN_GGUF_TYPE_ARRAY)
            return bni_error(BN_ERR_NOT_SUPPORTED, "bn_gguf_open: %s: key '%s': nested arrays are not supported",
                             c->file, key);
        if (kv->atype == BN_GGUF_TYPE_STRING) {
            if (kv->len > left / 8)
                return bni_error(BN_ERR_FORMAT,
                                 "bn_gguf_open: %s: key '%s': array of %" PRIu64
                                 " strings cannot fit in the %zu bytes left at byte %zu",
                                 c->file, key, kv->len, left, c->pos);
            kv->str_offs = bni_malloc(kv->len ? (size_t)kv->len * sizeof(size_t) : 1);
            if (!kv->str_offs) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_open: %s: out of memory", c->file);
            for (uint64_t j = 0; j < kv->len; j++) {
                uint64_t len = 0;
                size_t off = 0;
                kv->str_offs[j] = c->pos;
                if ((st = rd_str(c, &len, &off, "array string"))) {
                    return bni_error(st, "%s (key '%s', element %" PRIu64 ")", bn_last_error(), key, j);
                }
            }
            return BN_OK;
        }
        size_t es = bni_gguf_scalar_size(kv->atype);
        if (es == 0)
            return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: key '%s': unknown array element type %" PRIu32
                                            " at byte %zu",
                             c->file, key, kv->atype, at + 4);
        if (kv->len > left / es)
            return bni_error(BN_ERR_FORMAT,
                             "bn_gguf_open: %s: key '%s': array of %" PRIu64 " %s (%zu bytes each) runs past the end "
                             "of the file (%zu bytes left at byte %zu)",
                             c->file, key, kv->len, bn_gguf_type_name((bn_gguf_type)kv->atype), es, left, c->pos);
        c->pos += (size_t)kv->len * es;
        return BN_OK;
    }
    size_t es = bni_gguf_scalar_size(kv->type);
    if (es == 0)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: key '%s': unknown value type %" PRIu32 " at byte %zu",
                         c->file, key, kv->type, at);
    kv->off = c->pos;
    if (c->size - c->pos < es) return trunc_err(c, es, "scalar value");
    if (kv->type == BN_GGUF_TYPE_BOOL && c->p[c->pos] > 1)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: key '%s': bool value %u at byte %zu is not 0 or 1", c->file,
                         key, c->p[c->pos], c->pos);
    c->pos += es;
    return BN_OK;
}

static void read_scalar(const uint8_t *p, uint32_t type, bn_gguf_value *v) {
    v->u = 0;
    v->i = 0;
    v->f = 0;
    switch (type) {
        case BN_GGUF_TYPE_UINT8: v->u = p[0]; break;
        case BN_GGUF_TYPE_INT8: v->i = (int8_t)p[0]; break;
        case BN_GGUF_TYPE_BOOL: v->i = p[0] != 0; break;
        case BN_GGUF_TYPE_UINT16: { uint16_t x; memcpy(&x, p, 2); v->u = x; break; }
        case BN_GGUF_TYPE_INT16: { int16_t x; memcpy(&x, p, 2); v->i = x; break; }
        case BN_GGUF_TYPE_UINT32: { uint32_t x; memcpy(&x, p, 4); v->u = x; break; }
        case BN_GGUF_TYPE_INT32: { int32_t x; memcpy(&x, p, 4); v->i = x; break; }
        case BN_GGUF_TYPE_FLOAT32: { float x; memcpy(&x, p, 4); v->f = x; break; }
        case BN_GGUF_TYPE_UINT64: memcpy(&v->u, p, 8); break;
        case BN_GGUF_TYPE_INT64: memcpy(&v->i, p, 8); break;
        case BN_GGUF_TYPE_FLOAT64: memcpy(&v->f, p, 8); break;
        default: break;
    }
}

void bn_gguf_free(bn_gguf *g) {
    if (!g) return;
    for (int64_t i = 0; g->kv_keys && i < g->n_kv; i++) bni_free(g->kv_keys[i]);
    for (int64_t i = 0; g->kvs && i < g->n_kv; i++) bni_free(g->kvs[i].str_offs);
    for (int64_t i = 0; g->t_names && i < g->n_tensors; i++) bni_free(g->t_names[i]);
    bni_free(g->kv_keys);
    bni_free(g->kvs);
    bni_free(g->t_names);
    bni_free(g->tensors);
    bni_name_map_free(&g->kv_map);
    bni_name_map_free(&g->t_map);
    if (g->mapped && g->base) munmap((void *)g->base, g->size);
    bni_free(g->name);
    bni_free(g);
}

/* Minimum bytes of one KV (key length 8 + 1 byte key + type 4 + 1 byte value)
 * and of one tensor info (8 + 1 + ndim 4 + one dim 8 + type 4 + offset 8). */
#define KV_MIN_BYTES 14u
#define TI_MIN_BYTES 33u

static bn_status parse(bn_gguf *g) {
    cursor c = {g->base, g->size, 0, g->name};
    bn_status st;
    uint32_t magic = 0;
    if ((st = rd_u32(&c, &magic, "magic"))) return st;
    if (magic != BNI_GGUF_MAGIC)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: not a GGUF file (magic 0x%08" PRIx32 ", want \"GGUF\")",
                         g->name, magic);
    if ((st = rd_u32(&c, &g->version, "version"))) return st;
    if (g->version == 0x02000000u || g->version == 0x03000000u)
        return bni_error(BN_ERR_NOT_SUPPORTED, "bn_gguf_open: %s: big-endian GGUF is not supported", g->name);
    if (g->version != 2 && g->version != 3)
        return bni_error(BN_ERR_NOT_SUPPORTED, "bn_gguf_open: %s: GGUF version %" PRIu32 " is not supported (2 or 3)",
                         g->name, g->version);
    uint64_t n_t = 0, n_kv = 0;
    if ((st = rd_u64(&c, &n_t, "tensor count"))) return st;
    if ((st = rd_u64(&c, &n_kv, "key/value count"))) return st;
    size_t left = c.size - c.pos;
    if (n_kv > left / KV_MIN_BYTES)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: key/value count %" PRIu64 " cannot fit in %zu bytes",
                         g->name, n_kv, left);
    if (n_t > left / TI_MIN_BYTES)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: tensor count %" PRIu64 " cannot fit in %zu bytes", g->name,
                         n_t, left);
    /* n_kv and n_t are now below size / 14, so the allocations below fit. */
    g->kv_keys = bni_calloc((size_t)n_kv + 1, sizeof *g->kv_keys);
    g->kvs = bni_calloc((size_t)n_kv + 1, sizeof *g->kvs);
    g->t_names = bni_calloc((size_t)n_t + 1, sizeof *g->t_names);
    g->tensors = bni_calloc((size_t)n_t + 1, sizeof *g->tensors);
    if (!g->kv_keys || !g->kvs || !g->t_names || !g->tensors || !bni_name_map_init(&g->kv_map, (size_t)n_kv) ||
        !bni_name_map_init(&g->t_map, (size_t)n_t))
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_open: %s: out of memory", g->name);

    g->alignment = BN_GGUF_DEFAULT_ALIGNMENT;
    for (uint64_t i = 0; i < n_kv; i++) {
        size_t at = c.pos;
        if ((st = rd_name(&c, &g->kv_keys[i], "key"))) return st;
        g->n_kv = (int64_t)i + 1; /* owned from here on, for bn_gguf_free */
        const char *key = g->kv_keys[i];
        int64_t dup = bni_name_map_insert(&g->kv_map, g->kv_keys, (int64_t)i, strlen(key));
        if (dup >= 0)
            return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: duplicate key '%s' at byte %zu", g->name, key, at);
        if ((st = parse_kv(&c, key, &g->kvs[i]))) return st;
        if (strcmp(key, "general.alignment") == 0) {
            if (g->kvs[i].type != BN_GGUF_TYPE_UINT32)
                return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: key 'general.alignment' has type %s, want uint32",
                                 g->name, bn_gguf_type_name((bn_gguf_type)g->kvs[i].type));
            uint32_t a;
            memcpy(&a, g->base + g->kvs[i].off, 4);
            if (a == 0 || (a & (a - 1)) != 0)
                return bni_error(BN_ERR_FORMAT,
                                 "bn_gguf_open: %s: key 'general.alignment' = %" PRIu32 " is not a power of two",
                                 g->name, a);
            g->alignment = a;
        }
    }

    for (uint64_t i = 0; i < n_t; i++) {
        size_t at = c.pos;
        bn_gguf_tensor_info *t = &g->tensors[i];
        if ((st = rd_name(&c, &g->t_names[i], "tensor name"))) return st;
        g->n_tensors = (int64_t)i + 1;
        t->name = g->t_names[i];
        if (bni_name_map_insert(&g->t_map, g->t_names, (int64_t)i, strlen(t->name)) >= 0)
            return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: duplicate tensor name '%s' at byte %zu", g->name,
                             t->name, at);
        uint32_t ndim = 0, type = 0;
        if ((st = rd_u32(&c, &ndim, "tensor dimension count"))) return st;
        if (ndim < 1 || ndim > BN_GGUF_MAX_DIMS)
            return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: tensor '%s' has %" PRIu32 " dimensions (1..%d)", g->name,
                             t->name, ndim, BN_GGUF_MAX_DIMS);
        t->ndim = (int)ndim;
        for (int d = 0; d < BN_GGUF_MAX_DIMS; d++) t->dims[d] = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            uint64_t v = 0;
            if ((st = rd_u64(&c, &v, "tensor dimension"))) return st;
            if (v > (uint64_t)INT64_MAX)
                return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: tensor '%s' dims[%" PRIu32 "] = %" PRIu64
                                                " is out of range",
                                 g->name, t->name, d, v);
            t->dims[d] = (int64_t)v;
        }
        if ((st = rd_u32(&c, &type, "tensor type"))) return st;
        if ((st = rd_u64(&c, &t->offset, "tensor offset"))) return st;
        t->type = (int)type;
        if (type > 1000u || (type != BN_GGUF_TENSOR_F32 && type != BN_GGUF_TENSOR_F16 &&
                             type != BN_GGUF_TENSOR_TQ1_0 && type != BN_GGUF_TENSOR_TQ2_0 &&
                             type != BN_GGUF_TENSOR_I2_S))
            return bni_error(BN_ERR_NOT_SUPPORTED,
                             "bn_gguf_open: %s: tensor '%s' has type %" PRIu32
                             ", which is not supported (f32 0, f16 1, tq1_0 34, tq2_0 35, i2_s 36)",
                             g->name, t->name, type);
        int64_t numel = 1;
        for (int d = 0; d < t->ndim; d++)
            if (__builtin_mul_overflow(numel, t->dims[d], &numel))
                return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: tensor '%s': element count overflows", g->name,
                                 t->name);
        t->numel = numel;
        if ((st = bn_gguf_tensor_nbytes(t->type, t->ndim, t->dims, &t->nbytes)))
            return bni_error(st == BN_ERR_NOT_SUPPORTED ? st : BN_ERR_FORMAT, "bn_gguf_open: %s: tensor '%s': %s",
                             g->name, t->name, bn_last_error());
        if (t->offset % g->alignment != 0)
            return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: tensor '%s' offset %" PRIu64
                                            " is not a multiple of the alignment %" PRIu32,
                             g->name, t->name, t->offset, g->alignment);
    }

    /* The data section starts at the next multiple of the alignment. */
    uint64_t pos = c.pos, a = g->alignment;
    uint64_t data = (pos + a - 1) / a * a; /* pos < 2^63 and a <= 2^31: no overflow */
    if (n_t > 0 && data > g->size)
        return bni_error(BN_ERR_FORMAT, "bn_gguf_open: %s: data section at byte %" PRIu64 " is past the end (%zu bytes)",
                         g->name, data, g->size);
    g->data_offset = data;
    uint64_t dsize = data <= g->size ? g->size - data : 0;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        bn_gguf_tensor_info *t = &g->tensors[i];
        if (t->offset > dsize || t->nbytes > dsize - t->offset)
            return bni_error(BN_ERR_FORMAT,
                             "bn_gguf_open: %s: tensor '%s' data [%" PRIu64 ", +%zu) runs past the end of the data "
                             "section (%" PRIu64 " bytes)",
                             g->name, t->name, t->offset, t->nbytes, dsize);
        t->data = g->base + data + t->offset;
    }
    return BN_OK;
}

static bn_status open_common(const uint8_t *base, size_t size, int mapped, const char *name, bn_gguf **out) {
    bn_gguf *g = bni_calloc(1, sizeof *g);
    size_t nl = strlen(name);
    char *nm = bni_malloc(nl + 1);
    if (!g || !nm) {
        bni_free(g);
        bni_free(nm);
        if (mapped) munmap((void *)base, size);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_gguf_open: %s: out of memory", name);
    }
    memcpy(nm, name, nl + 1);
    g->base = base;
    g->size = size;
    g->mapped = mapped;
    g->name = nm;
    bn_status st = parse(g);
    if (st) {
        bn_gguf_free(g);
        return st;
    }
    *out = g;
    return BN_OK;
}

bn_status bn_gguf_open_memory(const void *data, size_t size, const char *name, bn_gguf **out) {
    BNI_CHECK_NULL("bn_gguf_open_memory", out);
    if (!data && size) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_gguf_open_memory: data is NULL, size %zu", size);
    static const uint8_t empty[1] = {0};
    return open_common(data ? data : empty, size, 0, name ? name : "<memory>", out);
}

bn_status bn_gguf_open(const char *path, bn_gguf **out) {
    BNI_CHECK_NULL("bn_gguf_open", path);
    BNI_CHECK_NULL("bn_gguf_open", out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return bni_error(BN_ERR_IO, "bn_gguf_open: cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return bni_error(BN_ERR_IO, "bn_gguf_open: cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return bni_error(BN_ERR_IO, "bn_gguf_open: %s is not a regular file", path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return bni_error(BN_ERR_IO, "bn_gguf_open: %s is too large to map", path);
    }
    size_t size = (size_t)sb.st_size;
    if (size == 0) {
        close(fd);
        return open_common((const uint8_t *)"", 0, 0, path, out);
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return bni_error(BN_ERR_IO, "bn_gguf_open: cannot map %s: %s", path, strerror(e));
    return open_common(p, size, 1, path, out);
}

/* ---- accessors ---------------------------------------------------------------- */

uint32_t bn_gguf_version(const bn_gguf *g) { return g ? g->version : 0; }
uint32_t bn_gguf_alignment(const bn_gguf *g) { return g ? g->alignment : 0; }
uint64_t bn_gguf_data_offset(const bn_gguf *g) { return g ? g->data_offset : 0; }
int64_t bn_gguf_kv_count(const bn_gguf *g) { return g ? g->n_kv : 0; }
int64_t bn_gguf_tensor_count(const bn_gguf *g) { return g ? g->n_tensors : 0; }

const char *bn_gguf_kv_key(const bn_gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_kv) return NULL;
    return g->kv_keys[i];
}

int64_t bn_gguf_find_kv(const bn_gguf *g, const char *key) {
    if (!g || !key) return -1;
    return bni_name_map_find(&g->kv_map, g->kv_keys, key, strlen(key));
}

int64_t bn_gguf_find_tensor(const bn_gguf *g, const char *name) {
    if (!g || !name) return -1;
    return bni_name_map_find(&g->t_map, g->t_names, name, strlen(name));
}

bn_status bn_gguf_kv_value(const bn_gguf *g, int64_t i, bn_gguf_value *out) {
    BNI_CHECK_NULL("bn_gguf_kv_value", g);
    BNI_CHECK_NULL("bn_gguf_kv_value", out);
    if (i < 0 || i >= g->n_kv)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_gguf_kv_value: index %" PRId64 " outside 0..%" PRId64, i, g->n_kv);
    const gguf_kv *kv = &g->kvs[i];
    bn_gguf_value v;
    memset(&v, 0, sizeof v);
    v.type = (bn_gguf_type)kv->type;
    if (kv->type == BN_GGUF_TYPE_STRING) {
        v.str = (const char *)g->base + kv->off;
        v.len = kv->len;
    } else if (kv->type == BN_GGUF_TYPE_ARRAY) {
        v.array_type = (bn_gguf_type)kv->atype;
        v.len = kv->len;
    } else {
        read_scalar(g->base + kv->off, kv->type, &v);
    }
    *out = v;
    return BN_OK;
}

bn_status bn_gguf_array_get(const bn_gguf *g, int64_t i, uint64_t j, bn_gguf_value *out) {
    BNI_CHECK_NULL("bn_gguf_array_get", g);
    BNI_CHECK_NULL("bn_gguf_array_get", out);
    if (i < 0 || i >= g->n_kv)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_gguf_array_get: index %" PRId64 " outside 0..%" PRId64, i, g->n_kv);
    const gguf_kv *kv = &g->kvs[i];
    if (kv->type != BN_GGUF_TYPE_ARRAY)
        return bni_error(BN_ERR_DTYPE, "bn_gguf_array_get: key '%s' is a %s, not an array", g->kv_keys[i],
                         bn_gguf_type_name((bn_gguf_type)kv->type));
    if (j >= kv->len)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_gguf_array_get: key '%s': element %" PRIu64 " of %" PRIu64,
                         g->kv_keys[i], j, kv->len);
    bn_gguf_value v;
    memset(&v, 0, sizeof v);
    v.type = (bn_gguf_type)kv->atype;
    if (kv->atype == BN_GGUF_TYPE_STRING) {
        size_t at = kv->str_offs[j];
        memcpy(&v.len, g->base + at, 8);
        v.str = (const char *)g->base + at + 8;
    } else {
        read_scalar(g->base + kv->off + (size_t)j * bni_gguf_scalar_size(kv->atype), kv->atype, &v);
    }
    *out = v;
    return BN_OK;
}

bn_status bn_gguf_array_data(const bn_gguf *g, int64_t i, const void **data, uint64_t *count) {
    BNI_CHECK_NULL("bn_gguf_array_data", g);
    BNI_CHECK_NULL("bn_gguf_array_data", data);
    if (i < 0 || i >= g->n_kv)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_gguf_array_data: index %" PRId64 " outside 0..%" PRId64, i, g->n_kv);
    const gguf_kv *kv = &g->kvs[i];
    if (kv->type != BN_GGUF_TYPE_ARRAY || kv->atype == BN_GGUF_TYPE_STRING)
        return bni_error(BN_ERR_DTYPE, "bn_gguf_array_data: key '%s' is not a numeric array", g->kv_keys[i]);
    *data = g->base + kv->off;
    if (count) *count = kv->len;
    return BN_OK;
}

static bn_status find_value(const bn_gguf *g, const char *fn, const char *key, bn_gguf_value *v) {
    if (!g || !key) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    int64_t i = bn_gguf_find_kv(g, key);
    if (i < 0) return bni_error(BN_ERR_OUT_OF_RANGE, "%s: %s: key '%s' is missing", fn, g->name, key);
    return bn_gguf_kv_value(g, i, v);
}

bn_status bn_gguf_get_i64(const bn_gguf *g, const char *key, int64_t *out) {
    BNI_CHECK_NULL("bn_gguf_get_i64", out);
    bn_gguf_value v;
    bn_status st = find_value(g, "bn_gguf_get_i64", key, &v);
    if (st) return st;
    switch (v.type) {
        case BN_GGUF_TYPE_UINT8:
        case BN_GGUF_TYPE_UINT16:
        case BN_GGUF_TYPE_UINT32:
        case BN_GGUF_TYPE_UINT64:
            if (v.u > (uint64_t)INT64_MAX)
                return bni_error(BN_ERR_OVERFLOW, "bn_gguf_get_i64: %s: key '%s' = %" PRIu64 " does not fit in int64",
                                 g->name, key, v.u);
            *out = (int64_t)v.u;
            return BN_OK;
        case BN_GGUF_TYPE_INT8:
        case BN_GGUF_TYPE_INT16:
        case BN_GGUF_TYPE_INT32:
        case BN_GGUF_TYPE_INT64:
        case BN_GGUF_TYPE_BOOL: *out = v.i; return BN_OK;
        default:
            return bni_error(BN_ERR_DTYPE, "bn_gguf_get_i64: %s: key '%s' is a %s, not an integer", g->name, key,
                             bn_gguf_type_name(v.type));
    }
}

bn_status bn_gguf_get_f64(const bn_gguf *g, const char *key, double *out) {
    BNI_CHECK_NULL("bn_gguf_get_f64", out);
    bn_gguf_value v;
    bn_status st = find_value(g, "bn_gguf_get_f64", key, &v);
    if (st) return st;
    switch (v.type) {
        case BN_GGUF_TYPE_FLOAT32:
        case BN_GGUF_TYPE_FLOAT64: *out = v.f; return BN_OK;
        case BN_GGUF_TYPE_UINT8:
        case BN_GGUF_TYPE_UINT16:
        case BN_GGUF_TYPE_UINT32:
        case BN_GGUF_TYPE_UINT64: *out = (double)v.u; return BN_OK;
        case BN_GGUF_TYPE_INT8:
        case BN_GGUF_TYPE_INT16:
        case BN_GGUF_TYPE_INT32:
        case BN_GGUF_TYPE_INT64: *out = (double)v.i; return BN_OK;
        default:
            return bni_error(BN_ERR_DTYPE, "bn_gguf_get_f64: %s: key '%s' is a %s, not a number", g->name, key,
                             bn_gguf_type_name(v.type));
    }
}

bn_status bn_gguf_get_str(const bn_gguf *g, const char *key, const char **str, size_t *len) {
    BNI_CHECK_NULL("bn_gguf_get_str", str);
    BNI_CHECK_NULL("bn_gguf_get_str", len);
    bn_gguf_value v;
    bn_status st = find_value(g, "bn_gguf_get_str", key, &v);
    if (st) return st;
    if (v.type != BN_GGUF_TYPE_STRING)
        return bni_error(BN_ERR_DTYPE, "bn_gguf_get_str: %s: key '%s' is a %s, not a string", g->name, key,
                         bn_gguf_type_name(v.type));
    *str = v.str;
    *len = (size_t)v.len;
    return BN_OK;
}

bn_status bn_gguf_tensor_get_info(const bn_gguf *g, int64_t i, bn_gguf_tensor_info *out) {
    BNI_CHECK_NULL("bn_gguf_tensor_get_info", g);
    BNI_CHECK_NULL("bn_gguf_tensor_get_info", out);
    if (i < 0 || i >= g->n_tensors)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_gguf_tensor_get_info: index %" PRId64 " outside 0..%" PRId64, i,
                         g->n_tensors);
    *out = g->tensors[i];
    return BN_OK;
}
