/* safetensors reader: mmap'd read-only files, every length and offset
 * checked against the file size before use; sharded checkpoints through
 * model.safetensors.index.json. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitnet/io.h"
#include "core/alloc.h"
#include "core/error.h"
#include <jansson.h>

/* Largest header we accept (the format's own limit is 100 MB). */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

typedef struct st_file {
    char *path;
    void *map;
    size_t size;
    json_t *meta; /* __metadata__ object (borrowed from root) */
    json_t *root;
} st_file;

typedef struct st_entry {
    char *name;
    bn_dtype dtype;
    int ndim;
    int64_t shape[BN_MAX_DIMS];
    int64_t numel;
    uint64_t begin, end; /* relative to the data area */
    size_t file;
} st_entry;

struct bn_safetensors {
    st_file *files;
    size_t nfiles;
    st_entry *entries;
    size_t count;
    char *source;
};

static const struct {
    const char *name;
    bn_dtype dtype;
    size_t size;
} st_dtypes[] = {
    {"F64", BN_DTYPE_F64, 8}, {"F32", BN_DTYPE_F32, 4}, {"F16", BN_DTYPE_F16, 2}, {"BF16", BN_DTYPE_BF16, 2},
    {"I64", BN_DTYPE_I64, 8}, {"I32", BN_DTYPE_I32, 4}, {"I16", BN_DTYPE_I16, 2}, {"I8", BN_DTYPE_I8, 1},
    {"U64", BN_DTYPE_U64, 8}, {"U32", BN_DTYPE_U32, 4}, {"U16", BN_DTYPE_U16, 2}, {"U8", BN_DTYPE_U8, 1},
    {"BOOL", BN_DTYPE_BOOL, 1},
};
#define ST_NDTYPES (sizeof(st_dtypes) / sizeof(st_dtypes[0]))

const char *bn_safetensors_dtype_name(bn_dtype dtype) {
    for (size_t i = 0; i < ST_NDTYPES; i++)
        if (st_dtypes[i].dtype == dtype) return st_dtypes[i].name;
    return NULL;
}

static char *dup_str(const char *s) {
    size_t l = strlen(s);
    char *d = bni_malloc(l + 1);
    if (d) memcpy(d, s, l + 1);
    return d;
}

void bn_safetensors_close(bn_safetensors *st) {
    if (!st) return;
    for (size_t i = 0; i < st->nfiles; i++) {
        if (st->files[i].map && st->files[i].size) munmap(st->files[i].map, st->files[i].size);
        json_decref(st->files[i].root);
        bni_free(st->files[i].path);
    }
    for (size_t i = 0; i < st->count; i++) bni_free(st->entries[i].name);
    bni_free(st->files);
    bni_free(st->entries);
    bni_free(st->source);
    bni_free(st);
}

static int cmp_range(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const st_entry *)a)->name, ((const st_entry *)b)->name);
}

static bn_status map_file(const char *path, void **map, size_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return bni_error(BN_ERR_IO, "bn_safetensors_open: cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return bni_error(BN_ERR_IO, "bn_safetensors_open: '%s' is not a regular file", path);
    }
    if ((uint64_t)sb.st_size < 8) {
        close(fd);
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': file of %lld bytes is shorter than the 8-byte header length",
                         path, (long long)sb.st_size);
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return bni_error(BN_ERR_IO, "bn_safetensors_open: cannot map '%s': %s", path, strerror(errno));
    *map = m;
    *size = (size_t)sb.st_size;
    return BN_OK;
}

/* A JSON integer >= 0 (jansson keeps integers exactly as json_int_t, a long
 * long; beyond that it refuses the text, and reals are refused here). */
static int nonneg_int(const json_t *x, int64_t *out) {
    if (!json_is_integer(x)) return 0;
    json_int_t v = json_integer_value(x);
    if (v < 0 || (unsigned long long)v > (unsigned long long)INT64_MAX) return 0;
    *out = (int64_t)v;
    return 1;
}

/* Parse one file's header, appending its tensors to st->entries. */
static bn_status parse_file(bn_safetensors *st, size_t fi, size_t *cap) {
    st_file *f = &st->files[fi];
    const unsigned char *b = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | b[i];
    if (hlen > (uint64_t)f->size - 8)
        return bni_error(BN_ERR_FORMAT,
                         "bn_safetensors_open: '%s': header length %llu runs past the end of the file (%zu bytes)",
                         f->path, (unsigned long long)hlen, f->size);
    if (hlen > ST_MAX_HEADER)
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': header length %llu exceeds the 100 MB limit", f->path,
                         (unsigned long long)hlen);
    if (hlen < 2) return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': header length %llu is too short", f->path,
                                   (unsigned long long)hlen);
    json_error_t jerr;
    f->root = json_loadb((const char *)b + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!f->root)
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': header JSON: %s (line %d, column %d)", f->path,
                         jerr.text, jerr.line, jerr.column);
    if (!json_is_object(f->root))
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': header is not a JSON object", f->path);
    uint64_t data_size = (uint64_t)f->size - 8 - hlen;
    size_t first = st->count;
    const char *name;
    json_t *v;
    json_object_foreach(f->root, name, v) {
        if (strcmp(name, "__metadata__") == 0) {
            if (!json_is_object(v))
                return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': __metadata__ is not an object", f->path);
            f->meta = v;
            continue;
        }
        if (!json_is_object(v))
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': entry is not an object", f->path, name);
        const json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
                     *off = json_object_get(v, "data_offsets");
        if (!json_is_string(dt))
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': missing or non-string dtype", f->path, name);
        if (!json_is_array(sh))
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': missing or non-array shape", f->path, name);
        if (!json_is_array(off) || json_array_size(off) != 2)
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': data_offsets must be [begin, end]",
                             f->path, name);
        st_entry e;
        memset(&e, 0, sizeof(e));
        e.file = fi;
        size_t dsz = 0;
        const char *dts = json_string_value(dt);
        for (size_t i = 0; i < ST_NDTYPES; i++)
            if (strcmp(dts, st_dtypes[i].name) == 0) { e.dtype = st_dtypes[i].dtype; dsz = st_dtypes[i].size; }
        if (!dsz)
            return bni_error(BN_ERR_NOT_SUPPORTED, "bn_safetensors_open: '%s': tensor '%s': unsupported dtype '%s'", f->path,
                             name, dts);
        size_t nd = json_array_size(sh);
        if (nd > BN_MAX_DIMS)
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': %zu dimensions (at most %d)", f->path,
                             name, nd, BN_MAX_DIMS);
        e.ndim = (int)nd;
        uint64_t numel = 1;
        for (size_t d = 0; d < nd; d++) {
            int64_t xv;
            if (!nonneg_int(json_array_get(sh, d), &xv))
                return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': shape[%zu] is not a non-negative integer",
                                 f->path, name, d);
            e.shape[d] = xv;
            if (xv != 0 && numel > (uint64_t)INT64_MAX / (uint64_t)xv)
                return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': element count overflows", f->path, name);
            numel *= (uint64_t)xv;
        }
        int64_t ov[2];
        for (int d = 0; d < 2; d++) {
            if (!nonneg_int(json_array_get(off, (size_t)d), &ov[d]))
                return bni_error(BN_ERR_FORMAT,
                                 "bn_safetensors_open: '%s': tensor '%s': data_offsets[%d] is not a non-negative integer",
                                 f->path, name, d);
        }
        e.begin = (uint64_t)ov[0];
        e.end = (uint64_t)ov[1];
        if (e.end < e.begin)
            return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s': data_offsets [%llu, %llu] end before begin",
                             f->path, name, (unsigned long long)e.begin, (unsigned long long)e.end);
        if (e.end > data_size)
            return bni_error(BN_ERR_FORMAT,
                             "bn_safetensors_open: '%s': tensor '%s': data_offsets [%llu, %llu] outside the data area of %llu bytes "
                             "(truncated file?)",
                             f->path, name, (unsigned long long)e.begin, (unsigned long long)e.end,
                             (unsigned long long)data_size);
        if (numel > UINT64_MAX / dsz || numel * dsz != e.end - e.begin)
            return bni_error(BN_ERR_FORMAT,
                             "bn_safetensors_open: '%s': tensor '%s': %llu bytes in data_offsets but %s x %llu elements need %llu",
                             f->path, name, (unsigned long long)(e.end - e.begin), dts, (unsigned long long)numel,
                             (unsigned long long)(numel * dsz));
        e.numel = (int64_t)numel;
        if (st->count == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            st_entry *ne = bni_realloc(st->entries, nc * sizeof(st_entry));
            if (!ne) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
            st->entries = ne;
            *cap = nc;
        }
        e.name = dup_str(name);
        if (!e.name) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
        st->entries[st->count++] = e;
    }
    /* Overlap check over this file's ranges (sorted by begin). */
    size_t nf = st->count - first;
    if (nf > 1) {
        st_entry **order = bni_malloc(nf * sizeof(st_entry *));
        if (!order) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
        for (size_t i = 0; i < nf; i++) order[i] = &st->entries[first + i];
        qsort(order, nf, sizeof(st_entry *), cmp_range);
        for (size_t i = 1; i < nf; i++) {
            if (order[i]->begin < order[i - 1]->end) {
                bn_status s = bni_error(BN_ERR_FORMAT,
                                        "bn_safetensors_open: '%s': tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap",
                                        f->path, order[i - 1]->name, (unsigned long long)order[i - 1]->begin,
                                        (unsigned long long)order[i - 1]->end, order[i]->name,
                                        (unsigned long long)order[i]->begin, (unsigned long long)order[i]->end);
                bni_free(order);
                return s;
            }
        }
        bni_free(order);
    }
    return BN_OK;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static char *join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *d = bni_malloc(a + b + 2);
    if (!d) return NULL;
    memcpy(d, dir, a);
    d[a] = '/';
    memcpy(d + a + 1, name, b + 1);
    return d;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return dup_str(".");
    size_t l = (size_t)(slash - path);
    char *d = bni_malloc(l + 2);
    if (!d) return NULL;
    memcpy(d, path, l);
    d[l] = 0;
    if (l == 0) { d[0] = '/'; d[1] = 0; }
    return d;
}

static bn_status read_whole(const char *path, char **buf, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return bni_error(BN_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) { fclose(fp); return bni_error(BN_ERR_IO, "cannot seek '%s'", path); }
    long n = ftell(fp);
    if (n < 0 || fseek(fp, 0, SEEK_SET) != 0) { fclose(fp); return bni_error(BN_ERR_IO, "cannot seek '%s'", path); }
    char *b = bni_malloc((size_t)n + 1);
    if (!b) { fclose(fp); return bni_error(BN_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", path); }
    if (fread(b, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        bni_free(b);
        return bni_error(BN_ERR_IO, "cannot read '%s'", path);
    }
    fclose(fp);
    b[n] = 0;
    *buf = b;
    *len = (size_t)n;
    return BN_OK;
}

static bn_status add_file(bn_safetensors *st, const char *path, size_t *cap) {
    st_file *nf = bni_realloc(st->files, (st->nfiles + 1) * sizeof(st_file));
    if (!nf) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
    st->files = nf;
    st_file *f = &st->files[st->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = dup_str(path);
    if (!f->path) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
    st->nfiles++;
    bn_status s = map_file(path, &f->map, &f->size);
    if (s != BN_OK) return s;
    return parse_file(st, st->nfiles - 1, cap);
}

static bn_status open_index(bn_safetensors *st, const char *index_path, size_t *cap) {
    char *text = NULL;
    size_t len = 0;
    bn_status s = read_whole(index_path, &text, &len);
    if (s != BN_OK) return s;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    bni_free(text);
    if (!root)
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': %s (line %d, column %d)", index_path, jerr.text,
                         jerr.line, jerr.column);
    json_t *map = json_object_get(root, "weight_map");
    if (!json_is_object(map)) {
        json_decref(root);
        return bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': no weight_map object", index_path);
    }
    char *dir = dir_of(index_path);
    if (!dir) { json_decref(root); return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory"); }
    s = BN_OK;
    /* Open each distinct shard once, in order of first appearance. */
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v) {
        const char *fname = json_string_value(v);
        if (!fname || strchr(fname, '/') || fname[0] == 0) {
            s = bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': weight_map['%s'] is not a file name", index_path, key);
            break;
        }
        int seen = 0;
        const char *key2;
        json_t *v2;
        json_object_foreach(map, key2, v2) {
            if (v2 == v) break;
            if (strcmp(json_string_value(v2), fname) == 0) { seen = 1; break; }
        }
        if (seen) continue;
        char *p = join(dir, fname);
        if (!p) { s = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory"); break; }
        s = add_file(st, p, cap);
        bni_free(p);
    }
    /* Every mapped tensor must be in its shard. */
    json_object_foreach(map, key, v) {
        if (s != BN_OK) break;
        const char *name = key, *fname = json_string_value(v);
        int found = 0;
        for (size_t i = 0; i < st->count; i++) {
            if (strcmp(st->entries[i].name, name) == 0) {
                const char *fp = st->files[st->entries[i].file].path;
                const char *base = strrchr(fp, '/');
                base = base ? base + 1 : fp;
                if (strcmp(base, fname) == 0) found = 1;
            }
        }
        if (!found)
            s = bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s' is not in shard '%s'", index_path, name,
                          fname);
    }
    bni_free(dir);
    json_decref(root);
    return s;
}

bn_status bn_safetensors_open(const char *path, bn_safetensors **out) {
    BNI_CHECK_NULL("bn_safetensors_open", path);
    BNI_CHECK_NULL("bn_safetensors_open", out);
    bn_safetensors *st = bni_calloc(1, sizeof(*st));
    if (!st) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
    st->source = dup_str(path);
    size_t cap = 0;
    bn_status s;
    if (!st->source) {
        s = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
    } else if (is_dir(path)) {
        char *single = join(path, "model.safetensors"), *index = join(path, "model.safetensors.index.json");
        if (!single || !index)
            s = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_safetensors_open: out of memory");
        else if (exists(single))
            s = add_file(st, single, &cap);
        else if (exists(index))
            s = open_index(st, index, &cap);
        else
            s = bni_error(BN_ERR_IO, "bn_safetensors_open: '%s' holds neither model.safetensors nor model.safetensors.index.json",
                          path);
        bni_free(single);
        bni_free(index);
    } else if (ends_with(path, ".json")) {
        s = open_index(st, path, &cap);
    } else {
        s = add_file(st, path, &cap);
    }
    if (s == BN_OK && st->count > 1) {
        qsort(st->entries, st->count, sizeof(st_entry), cmp_name);
        for (size_t i = 1; i < st->count; i++)
            if (strcmp(st->entries[i].name, st->entries[i - 1].name) == 0) {
                s = bni_error(BN_ERR_FORMAT, "bn_safetensors_open: '%s': tensor '%s' appears twice", path,
                              st->entries[i].name);
                break;
            }
    }
    if (s != BN_OK) {
        bn_safetensors_close(st);
        return s;
    }
    *out = st;
    return BN_OK;
}

size_t bn_safetensors_count(const bn_safetensors *st) { return st ? st->count : 0; }

static void fill(const bn_safetensors *st, const st_entry *e, bn_st_tensor *out) {
    const st_file *f = &st->files[e->file];
    const unsigned char *b = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | b[i];
    memset(out, 0, sizeof(*out));
    out->name = e->name;
    out->dtype = e->dtype;
    out->ndim = e->ndim;
    for (int d = 0; d < e->ndim; d++) out->shape[d] = e->shape[d];
    out->numel = e->numel;
    out->data = b + 8 + hlen + e->begin;
    out->nbytes = (size_t)(e->end - e->begin);
    out->file = f->path;
}

bn_status bn_safetensors_get(const bn_safetensors *st, size_t index, bn_st_tensor *out) {
    BNI_CHECK_NULL("bn_safetensors_get", st);
    BNI_CHECK_NULL("bn_safetensors_get", out);
    if (index >= st->count)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_safetensors_get: index %zu out of range (%zu tensors)", index, st->count);
    fill(st, &st->entries[index], out);
    return BN_OK;
}

static const st_entry *lookup(const bn_safetensors *st, const char *name) {
    size_t lo = 0, hi = st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->entries[mid].name, name);
        if (c == 0) return &st->entries[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

bn_status bn_safetensors_find(const bn_safetensors *st, const char *name, bn_st_tensor *out) {
    BNI_CHECK_NULL("bn_safetensors_find", st);
    BNI_CHECK_NULL("bn_safetensors_find", name);
    BNI_CHECK_NULL("bn_safetensors_find", out);
    const st_entry *e = lookup(st, name);
    if (!e) return bni_error(BN_ERR_OUT_OF_RANGE, "bn_safetensors_find: no tensor '%s' in '%s'", name, st->source);
    fill(st, e, out);
    return BN_OK;
}

int bn_safetensors_has(const bn_safetensors *st, const char *name) {
    return st && name && lookup(st, name) != NULL;
}

const char *bn_safetensors_metadata(const bn_safetensors *st, const char *key) {
    if (!st || !key || st->nfiles == 0) return NULL;
    return json_string_value(json_object_get(st->files[0].meta, key));
}

bn_status bn_st_tensor_to_f32(const bn_st_tensor *t, float *out, size_t count) {
    BNI_CHECK_NULL("bn_st_tensor_to_f32", t);
    BNI_CHECK_NULL("bn_st_tensor_to_f32", out);
    if ((int64_t)count != t->numel)
        return bni_error(BN_ERR_SHAPE, "bn_st_tensor_to_f32: tensor '%s' has %lld elements, %zu asked", t->name,
                         (long long)t->numel, count);
    const unsigned char *b = t->data;
    switch (t->dtype) {
    case BN_DTYPE_F32: memcpy(out, b, count * 4); break;
    case BN_DTYPE_F64:
        for (size_t i = 0; i < count; i++) { double d; memcpy(&d, b + 8 * i, 8); out[i] = (float)d; }
        break;
    case BN_DTYPE_F16:
        for (size_t i = 0; i < count; i++) { uint16_t h; memcpy(&h, b + 2 * i, 2); out[i] = bn_f16_to_f32(h); }
        break;
    case BN_DTYPE_BF16:
        for (size_t i = 0; i < count; i++) { uint16_t h; memcpy(&h, b + 2 * i, 2); out[i] = bn_bf16_to_f32(h); }
        break;
    default:
        return bni_error(BN_ERR_DTYPE, "bn_st_tensor_to_f32: tensor '%s' in '%s' is %s, not a floating type", t->name,
                         t->file, bn_safetensors_dtype_name(t->dtype) ? bn_safetensors_dtype_name(t->dtype) : "?");
    }
    return BN_OK;
}
