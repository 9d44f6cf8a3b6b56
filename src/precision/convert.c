/* The conversion engine: plain / zero-copy, in place, streaming under a
 * memory budget, and batched on the thread pool. Every path gives the bytes
 * of the tensor module's casts (src/tensor/convert.c, copy.c). */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/precision.h"
#include "core/alloc.h"
#include "core/error.h"
#include "precision/precision_internal.h"
#include "cpu/kernels.h"
#include "precision/pq_kernels.h"
#include "tensor/tensor_internal.h"

/* ---- specs ---------------------------------------------------------------- */

bn_precision_spec bn_precision_spec_of(bn_dtype dtype) {
    bn_precision_spec s = {dtype, BN_PRECISION_PER_TENSOR, 0};
    return s;
}

static bn_status check_spec(const char *fn, const bn_precision_spec *spec) {
    if (spec == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: spec is NULL", fn);
    if (!bni_dtype_valid(spec->dtype))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)spec->dtype);
    if (!bni_dtype_info(spec->dtype)->has_scale) return BN_OK;
    if ((int)spec->granularity < 0 || (int)spec->granularity > 2)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid granularity %d", fn, (int)spec->granularity);
    if (spec->granularity == BN_PRECISION_PER_BLOCK && spec->block <= 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: block size %" PRId64 " of a per-block %s spec must be > 0",
                         fn, spec->block, bn_dtype_name(spec->dtype));
    return BN_OK;
}

static bn_status group_of(const char *fn, const bn_precision_spec *spec, int ndim, const int64_t *shape,
                          int64_t *group) {
    bn_status st = check_spec(fn, spec);
    if (st) return st;
    int64_t numel;
    if ((st = bni_check_shape(fn, ndim, shape, &numel))) return st;
    *group = 0;
    if (!bni_dtype_info(spec->dtype)->has_scale || spec->granularity == BN_PRECISION_PER_TENSOR) return BN_OK;
    int64_t g;
    if (spec->granularity == BN_PRECISION_PER_ROW) {
        if (ndim == 0)
            return bni_error(BN_ERR_SHAPE, "%s: a per-row %s spec needs a tensor of rank >= 1", fn,
                             bn_dtype_name(spec->dtype));
        g = shape[ndim - 1];
        if (g == 0) return BN_OK; /* no elements: one (unused) scale */
    } else {
        g = spec->block;
    }
    if (numel % g != 0) {
        char buf[96];
        bni_format_shape(buf, sizeof buf, ndim, shape);
        return bni_error(BN_ERR_SHAPE, "%s: block of %" PRId64 " elements does not divide the %" PRId64
                         " elements of %s", fn, g, numel, buf);
    }
    *group = g;
    return BN_OK;
}

bn_status bn_precision_group_size(const bn_precision_spec *spec, int ndim, const int64_t *shape, int64_t *group) {
    BNI_CHECK_NULL("bn_precision_group_size", group);
    return group_of("bn_precision_group_size", spec, ndim, shape, group);
}

bn_status bn_precision_bytes(const bn_precision_spec *spec, int ndim, const int64_t *shape, size_t *nbytes) {
    BNI_CHECK_NULL("bn_precision_bytes", nbytes);
    int64_t g, numel;
    bn_status st = group_of("bn_precision_bytes", spec, ndim, shape, &g);
    if (st) return st;
    numel = bni_numel(ndim, shape);
    size_t b;
    if ((st = bn_dtype_storage_bytes(spec->dtype, numel, &b))) return st;
    if (bni_dtype_info(spec->dtype)->has_scale) b += (size_t)(g ? numel / g : 1) * sizeof(float);
    *nbytes = b;
    return BN_OK;
}

bn_status bn_precision_spec_format(const bn_precision_spec *spec, char *buf, size_t size) {
    BNI_CHECK_NULL("bn_precision_spec_format", spec);
    BNI_CHECK_NULL("bn_precision_spec_format", buf);
    bn_status st = check_spec("bn_precision_spec_format", spec);
    if (st) return st;
    const char *name = bn_dtype_name(spec->dtype);
    if (!bni_dtype_info(spec->dtype)->has_scale) snprintf(buf, size, "%s", name);
    else if (spec->granularity == BN_PRECISION_PER_TENSOR) snprintf(buf, size, "%s/tensor", name);
    else if (spec->granularity == BN_PRECISION_PER_ROW) snprintf(buf, size, "%s/row", name);
    else snprintf(buf, size, "%s/block%" PRId64, name, spec->block);
    return BN_OK;
}

bn_status bn_precision_spec_parse(const char *text, bn_precision_spec *spec) {
    BNI_CHECK_NULL("bn_precision_spec_parse", text);
    BNI_CHECK_NULL("bn_precision_spec_parse", spec);
    char name[32];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof name)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_spec_parse: \"%s\" is not dtype[/tensor|/row|/blockN]",
                         text);
    memcpy(name, text, len);
    name[len] = 0;
    bn_precision_spec s = {BN_DTYPE_F32, BN_PRECISION_PER_TENSOR, 0};
    if (bn_dtype_from_name(name, &s.dtype) != BN_OK)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_spec_parse: unknown dtype \"%s\" in \"%s\"", name,
                         text);
    if (slash) {
        const char *g = slash + 1;
        if (strcmp(g, "tensor") == 0) s.granularity = BN_PRECISION_PER_TENSOR;
        else if (strcmp(g, "row") == 0) s.granularity = BN_PRECISION_PER_ROW;
        else if (strncmp(g, "block", 5) == 0 && g[5] >= '1' && g[5] <= '9') {
            char *end;
            long long b = strtoll(g + 5, &end, 10);
            if (*end != 0 || b <= 0)
                return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_spec_parse: bad block size in \"%s\"", text);
            s.granularity = BN_PRECISION_PER_BLOCK;
            s.block = (int64_t)b;
        } else
            return bni_error(BN_ERR_INVALID_ARGUMENT,
                             "bn_precision_spec_parse: granularity \"%s\" in \"%s\" is not tensor, row or blockN", g,
                             text);
        if (!bni_dtype_info(s.dtype)->has_scale && s.granularity != BN_PRECISION_PER_TENSOR)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_spec_parse: %s has no scales (\"%s\")", name,
                             text);
    }
    *spec = s;
    return BN_OK;
}

/* ---- raw arrays ------------------------------------------------------------- */

void bn_precision_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    bni_cpu_kernels_get()->f32_to_f16(src, dst, n);
}
void bn_precision_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
    bni_cpu_kernels_get()->f16_to_f32(src, dst, n);
}
void bn_precision_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    bni_cpu_kernels_get()->f32_to_bf16(src, dst, n);
}
void bn_precision_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    bni_cpu_kernels_get()->bf16_to_f32(src, dst, n);
}

/* ---- the fast path: f32 -> qint8/qint4/ternary/binary on the thread pool ---- */

#define PQ_CHUNK 16384 /* elements per task of the code pass (a multiple of 8: tasks never share a byte) */

typedef struct pq_job {
    const bni_pq_kernels *k;
    bn_dtype dtype;
    const float *x;
    int64_t numel, group;
    float *scales;
    uint8_t *dst; /* the output tensor's codes */
    int64_t e0;   /* the element of dst that x[0] is (even for qint4) */
} pq_job;

static int pq_dtype(bn_dtype d) {
    return d == BN_DTYPE_QINT8 || d == BN_DTYPE_QINT4 || d == BN_DTYPE_TERNARY || d == BN_DTYPE_BINARY;
}

/* The tensor module's scale of one group (src/tensor/convert.c group_scale):
 * absmax for qint8/qint4; for ternary and binary the mean of |x| summed in
 * f64 in element order (a vector sum would change the last bit of some
 * scales, so this stays scalar; groups run in parallel instead). */
static void pq_scales(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    pq_job *j = (pq_job *)arg;
    for (size_t g = begin; g < end; g++) {
        const float *xs = j->x + (int64_t)g * j->group;
        float sc;
        if (j->dtype == BN_DTYPE_QINT8 || j->dtype == BN_DTYPE_QINT4) {
            float qmax = j->dtype == BN_DTYPE_QINT8 ? 127.0f : 7.0f;
            int nan = 0;
            float mx = j->k->absmax(xs, j->group, &nan);
            sc = mx / qmax;
            if (nan) sc = NAN;
            else if (mx == 0.0f || sc == 0.0f) sc = 1.0f; /* as the tensor module: all zero -> scale 1 */
        } else {
            double acc = 0.0;
            for (int64_t i = 0; i < j->group; i++) acc += fabs((double)xs[i]);
            sc = (float)(acc / (double)j->group);
            if (j->dtype == BN_DTYPE_TERNARY && !(sc >= 1e-5f) && sc == sc) sc = 1e-5f;
        }
        j->scales[g] = sc;
    }
}

/* The tensor module's rounding (convert.c round_clamp): rint, clamp, NaN 0. */
static inline int round_clamp(float q, float lo, float hi) {
    float c = q > lo - 1.0f ? q : lo - 1.0f;
    c = c < hi + 1.0f ? c : hi + 1.0f;
    c = (c + 12582912.0f) - 12582912.0f;
    c = c > lo ? c : lo;
    c = c < hi ? c : hi;
    return (int)(q == q ? c : 0.0f);
}

/* Ternary or binary codes of x[0 .. len) into elements [ge, ge + len) of
 * base: whole bytes by the kernel, read-modify-write at unaligned edges. */
static void pack_seg(const bni_pq_kernels *k, bn_dtype dd, const float *x, int64_t len, float scale, uint8_t *base,
                     int64_t ge) {
    int tern = dd == BN_DTYPE_TERNARY, per = tern ? 4 : 8;
    float inv = tern ? 1.0f / scale : 1.0f;
    int64_t i = 0;
    for (; i < len && (ge + i) % per != 0; i++)
        bni_packed_set(dd, base, ge + i, tern ? round_clamp(x[i] * inv, -1.0f, 1.0f) : (x[i] >= 0.0f ? 1 : -1));
    int64_t mid = (len - i) / per * per;
    if (mid > 0) {
        if (tern) k->ternary(x + i, mid, inv, base + (ge + i) / 4);
        else k->binary(x + i, mid, base + (ge + i) / 8);
        i += mid;
    }
    for (; i < len; i++)
        bni_packed_set(dd, base, ge + i, tern ? round_clamp(x[i] * inv, -1.0f, 1.0f) : (x[i] >= 0.0f ? 1 : -1));
}

static void pq_codes(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    pq_job *j = (pq_job *)arg;
    const bn_dtype_info *info = bni_dtype_info(j->dtype);
    const float lo = (float)info->code_min, hi = (float)info->code_max;
    int is_q = j->dtype == BN_DTYPE_QINT8 || j->dtype == BN_DTYPE_QINT4;
    int8_t codes[PQ_CHUNK];
    for (size_t c = begin; c < end; c++) {
        int64_t e0 = (int64_t)c * PQ_CHUNK;
        int64_t m = j->numel - e0 < PQ_CHUNK ? j->numel - e0 : PQ_CHUNK;
        for (int64_t e = e0; e < e0 + m;) {
            int64_t g = e / j->group, gend = (g + 1) * j->group;
            int64_t len = (gend < e0 + m ? gend : e0 + m) - e;
            if (is_q) j->k->codes(j->x + e, len, j->scales[g], lo, hi, codes + (e - e0));
            else pack_seg(j->k, j->dtype, j->x + e, len, j->scales[g], j->dst, j->e0 + e);
            e += len;
        }
        if (j->dtype == BN_DTYPE_QINT8) {
            memcpy(j->dst + j->e0 + e0, codes, (size_t)m);
        } else if (j->dtype == BN_DTYPE_QINT4) {
            uint8_t *p = j->dst + (j->e0 + e0) / 2;
            int64_t i = 0;
            for (; i + 2 <= m; i += 2) *p++ = (uint8_t)((codes[i] & 0xF) | (codes[i + 1] & 0xF) << 4);
            if (i < m) *p = (uint8_t)(codes[i] & 0xF);
        }
    }
}

/* r is a fresh contiguous tensor of a pq_dtype and src's shape; src is f32 and contiguous. */
static void quantize_fast(const bn_tensor *src, bn_tensor *r) {
    int64_t numel = bn_tensor_numel(src);
    if (numel == 0) return;
    pq_job j;
    j.k = bni_pq_kernels_get();
    j.dtype = r->dtype;
    j.x = (const float *)(const void *)((const char *)src->storage->data + (size_t)src->offset * 4);
    j.numel = numel;
    j.group = bn_tensor_group_size(r);
    j.scales = bn_tensor_scales(r);
    j.dst = (uint8_t *)r->storage->data;
    j.e0 = 0;
    bn_ctx *ctx = src->storage->ctx;
    size_t ngroups = (size_t)(numel / j.group);
    size_t grain = (size_t)(65536 / j.group) + 1;
    bn_ctx_parallel_for(ctx, ngroups, grain, pq_scales, &j);
    bn_ctx_parallel_for(ctx, (size_t)((numel + PQ_CHUNK - 1) / PQ_CHUNK), 4, pq_codes, &j);
}

/* ---- plain and zero-copy ------------------------------------------------------ */

static bn_status convert_impl(const char *fn, const bn_tensor *src, const bn_precision_spec *spec, bn_tensor **out,
                              int *is_view) {
    int64_t group;
    bn_status st = group_of(fn, spec, src->ndim, src->shape, &group);
    if (st) return st;
    bn_dtype dd = spec->dtype;
    int64_t numel = bn_tensor_numel(src);
    if (src->dtype == dd && bn_tensor_is_contiguous(src)) {
        int same = 1;
        if (bni_dtype_info(dd)->has_scale) {
            int64_t want = group ? group : numel;
            same = bn_tensor_group_size(src) == want;
        }
        if (same) {
            if ((st = bni_tensor_view(fn, src, src->ndim, src->shape, src->strides, src->offset, out))) return st;
            if (is_view) *is_view = 1;
            return BN_OK;
        }
    }
    bn_tensor *r;
    if ((st = bni_tensor_alloc(fn, src->storage->ctx, dd, src->ndim, src->shape, group, &r))) return st;
    if (pq_dtype(dd) && src->dtype == BN_DTYPE_F32 && bn_tensor_is_contiguous(src)) {
        quantize_fast(src, r);
        *out = r;
        if (is_view) *is_view = 0;
        return BN_OK;
    }
    if (pq_dtype(dd) && !bni_dtype_is_packed(src->dtype)) {
        /* strided or non-f32: the f32 temporary the tensor module's cast
         * would make (the same values), then the kernels */
        bn_tensor *tmp = NULL;
        if ((st = bni_tensor_alloc(fn, src->storage->ctx, BN_DTYPE_F32, src->ndim, src->shape, 0, &tmp)) ||
            (st = bni_tensor_copy(fn, tmp, src))) {
            bn_tensor_free(tmp);
            bn_tensor_free(r);
            return st;
        }
        quantize_fast(tmp, r);
        bn_tensor_free(tmp);
        *out = r;
        if (is_view) *is_view = 0;
        return BN_OK;
    }
    if ((st = bni_tensor_copy(fn, r, src))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    if (is_view) *is_view = 0;
    return BN_OK;
}

bn_status bn_precision_convert(const bn_tensor *src, const bn_precision_spec *spec, bn_tensor **out, int *is_view) {
    BNI_CHECK_NULL("bn_precision_convert", src);
    BNI_CHECK_NULL("bn_precision_convert", out);
    return convert_impl("bn_precision_convert", src, spec, out, is_view);
}

/* ---- in place ------------------------------------------------------------------ */

#define INPLACE_CHUNK 4096 /* elements per scratch round: 4096 * 4 bytes = 16 KiB */

bn_status bn_precision_convert_inplace(bn_tensor *t, const bn_precision_spec *spec) {
    static const char fn[] = "bn_precision_convert_inplace";
    BNI_PCHECK_NULL(fn, t);
    int64_t group;
    bn_status st = group_of(fn, spec, t->ndim, t->shape, &group);
    if (st) return st;
    bn_dtype sd = t->dtype, dd = spec->dtype;
    bni_storage *s = t->storage;
    if (bni_dtype_is_packed(sd))
        return bni_error(BN_ERR_NOT_SUPPORTED, "%s: the source is %s (packed); convert it with bn_precision_convert",
                         fn, bn_dtype_name(sd));
    if (!bn_tensor_is_contiguous(t) || t->offset != 0)
        return bni_error(BN_ERR_NOT_SUPPORTED, "%s: the tensor must be contiguous with offset 0 (offset %" PRId64
                         ", contiguous %d)", fn, t->offset, bn_tensor_is_contiguous(t));
    long refs = atomic_load(&s->refs);
    if (refs != 1)
        return bni_error(BN_ERR_NOT_SUPPORTED, "%s: %ld handles share the storage; in place needs the only one", fn,
                         refs);
    if (sd == dd) return BN_OK;
    int64_t numel = bn_tensor_numel(t);
    size_t ssize = bni_dtype_size(sd);
    char *data = (char *)s->data;
    if (!bni_dtype_is_packed(dd)) {
        size_t dsize = bni_dtype_size(dd);
        if (dsize > ssize)
            return bni_error(BN_ERR_NOT_SUPPORTED, "%s: %s (%zu bytes) is larger than %s (%zu bytes)", fn,
                             bn_dtype_name(dd), dsize, bn_dtype_name(sd), ssize);
        bni_cvt_fn cvt = bni_cvt_get(sd, dd);
        _Alignas(64) char tmp[INPLACE_CHUNK * 8];
        for (int64_t e0 = 0; e0 < numel; e0 += INPLACE_CHUNK) {
            size_t m = (size_t)(numel - e0 < INPLACE_CHUNK ? numel - e0 : INPLACE_CHUNK);
            /* read the chunk whole before writing: the writes end before the next chunk's reads begin */
            cvt(data + (size_t)e0 * ssize, (ptrdiff_t)ssize, tmp, (ptrdiff_t)dsize, m);
            memcpy(data + (size_t)e0 * dsize, tmp, m * dsize);
        }
        t->dtype = dd;
        return BN_OK;
    }
    if (dd == BN_DTYPE_INT4) {
        bni_cvt_fn cvt = bni_cvt_get(sd, BN_DTYPE_I8);
        int8_t tmp[INPLACE_CHUNK];
        for (int64_t e0 = 0; e0 < numel; e0 += INPLACE_CHUNK) {
            int64_t m = numel - e0 < INPLACE_CHUNK ? numel - e0 : INPLACE_CHUNK;
            cvt(data + (size_t)e0 * ssize, (ptrdiff_t)ssize, (char *)tmp, 1, (size_t)m);
            bni_pack_int4(tmp, m, (uint8_t *)data, e0);
        }
        s->numel = numel;
        t->dtype = dd;
        return BN_OK;
    }
    if (sd != BN_DTYPE_F32)
        return bni_error(BN_ERR_NOT_SUPPORTED, "%s: in place to %s needs an f32 source, not %s", fn,
                         bn_dtype_name(dd), bn_dtype_name(sd));
    int64_t g = group ? group : (numel > 0 ? numel : 1);
    int64_t nscales = group ? numel / group : 1;
    size_t codes;
    if ((st = bn_dtype_storage_bytes(dd, numel, &codes))) return st;
    size_t have = (size_t)numel * 4;
    size_t sbytes = (size_t)nscales * sizeof(float);
    if (codes + sbytes > have)
        return bni_error(BN_ERR_NOT_SUPPORTED, "%s: %zu bytes of %s codes and %" PRId64 " scales do not fit in the "
                         "%zu bytes of the f32 source (group %" PRId64 ")", fn, codes, bn_dtype_name(dd), nscales,
                         have, g);
    float *sc = (float *)bni_malloc(sbytes);
    if (sc == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: %zu bytes of scales", fn, sbytes);
    /* Group by group: a group is read whole (its scale) before its codes are
     * written, and codes take at most a byte where the source took four, so
     * no write reaches a value not yet read. */
    if (numel > 0 && pq_dtype(dd)) {
        /* the kernels, on this thread and in order: every chunk's codes are
         * buffered (qint8/qint4) or written after the values they come from
         * are read (ternary/binary), and land below the chunk's own source
         * bytes */
        pq_job j = {bni_pq_kernels_get(), dd, (const float *)(const void *)data, numel, g, sc, (uint8_t *)data, 0};
        pq_scales(&j, 0, (size_t)nscales, 0);
        pq_codes(&j, 0, (size_t)((numel + PQ_CHUNK - 1) / PQ_CHUNK), 0);
    } else if (numel > 0) {
        bni_quantize_f32(dd, (const float *)(const void *)data, numel, g, (uint8_t *)data, 0, sc);
    } else {
        sc[0] = 1.0f;
    }
    float *dst_scales = (float *)(void *)(data + have - sbytes);
    memcpy(dst_scales, sc, sbytes);
    bni_free(sc);
    s->numel = numel;
    s->scales = dst_scales;
    s->nscales = nscales;
    s->group_size = group;
    t->dtype = dd;
    return BN_OK;
}

/* ---- streaming ------------------------------------------------------------------- */

/* Elements [e0, e0 + m) of src in row-major order, converted to `to`, into dst
 * (contiguous). src is not packed. */
static void read_elems(const bn_tensor *src, int64_t e0, int64_t m, bn_dtype to, char *dst) {
    bni_cvt_fn cvt = bni_cvt_get(src->dtype, to);
    size_t ssize = bni_dtype_size(src->dtype), dsize = bni_dtype_size(to);
    const char *base = (const char *)src->storage->data;
    if (src->ndim == 0 || bn_tensor_is_contiguous(src)) {
        cvt(base + (size_t)(src->offset + e0) * ssize, (ptrdiff_t)ssize, dst, (ptrdiff_t)dsize, (size_t)m);
        return;
    }
    int nd = src->ndim;
    int64_t idx[BN_MAX_DIMS];
    int64_t rem = e0;
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = rem % src->shape[d];
        rem /= src->shape[d];
    }
    int64_t last = src->shape[nd - 1], lstride = src->strides[nd - 1];
    while (m > 0) {
        int64_t off = src->offset;
        for (int d = 0; d < nd; d++) off += idx[d] * src->strides[d];
        int64_t len = last - idx[nd - 1];
        if (len > m) len = m;
        cvt(base + off * (ptrdiff_t)ssize, (ptrdiff_t)(lstride * (int64_t)ssize), dst, (ptrdiff_t)dsize, (size_t)len);
        dst += (size_t)len * dsize;
        m -= len;
        idx[nd - 1] += len;
        for (int d = nd - 1; d > 0 && idx[d] == src->shape[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
        }
    }
}

/* Pack n codes into elements [e0, e0 + n) of base: whole bytes where the
 * elements are byte-aligned, read-modify-write at the edges. */
static void pack_run(bn_dtype dd, const int8_t *c, int64_t n, uint8_t *base, int64_t e0) {
    int per = 8 / bni_dtype_info(dd)->bits;
    int64_t i = 0;
    for (; i < n && (e0 + i) % per != 0; i++) bni_packed_set(dd, base, e0 + i, c[i]);
    uint8_t *p = base + (e0 + i) / per;
    switch (dd) {
    case BN_DTYPE_QINT8:
        memcpy(p, c + i, (size_t)(n - i));
        i = n;
        break;
    case BN_DTYPE_QINT4:
        for (; i + 2 <= n; i += 2) *p++ = (uint8_t)((c[i] & 0xF) | (c[i + 1] & 0xF) << 4);
        break;
    case BN_DTYPE_TERNARY:
        for (; i + 4 <= n; i += 4)
            *p++ = (uint8_t)((c[i] + 1) | (c[i + 1] + 1) << 2 | (c[i + 2] + 1) << 4 | (c[i + 3] + 1) << 6);
        break;
    case BN_DTYPE_BINARY:
        for (; i + 8 <= n; i += 8) {
            unsigned b = 0;
            for (int k = 0; k < 8; k++) b |= (unsigned)(c[i + k] > 0) << k;
            *p++ = (uint8_t)b;
        }
        break;
    default: break;
    }
    for (; i < n; i++) bni_packed_set(dd, base, e0 + i, c[i]);
}

/* One scale group larger than the scratch: the scale in a first pass (the
 * same sums, in the same order, as the tensor module), codes in a second.
 * buf holds chunk f32 values, codes chunk int8 codes. */
static void quantize_two_pass(const bn_tensor *src, bn_dtype dd, int64_t g0, int64_t len, float *buf, int8_t *codes,
                              int64_t chunk, uint8_t *base, float *scale_out) {
    const bni_pq_kernels *k = bni_pq_kernels_get();
    int is_q = dd == BN_DTYPE_QINT8 || dd == BN_DTYPE_QINT4;
    double acc = 0.0;
    float mx = 0.0f;
    int nan = 0;
    for (int64_t c0 = 0; c0 < len; c0 += chunk) {
        int64_t m = len - c0 < chunk ? len - c0 : chunk;
        read_elems(src, g0 + c0, m, BN_DTYPE_F32, (char *)buf);
        if (is_q) {
            float cm = k->absmax(buf, m, &nan);
            if (cm > mx) mx = cm;
        } else {
            for (int64_t i = 0; i < m; i++) acc += fabs((double)buf[i]);
        }
    }
    float scale;
    if (dd == BN_DTYPE_TERNARY) {
        float mm = (float)(acc / (double)len);
        if (!(mm >= 1e-5f) && mm == mm) mm = 1e-5f;
        scale = mm; /* pack_seg multiplies by 1 / scale, as the tensor module */
    } else if (dd == BN_DTYPE_BINARY) {
        scale = (float)(acc / (double)len);
    } else {
        float qmax = dd == BN_DTYPE_QINT8 ? 127.0f : 7.0f;
        float sc = mx / qmax;
        if (nan) sc = NAN;
        else if (mx == 0.0f || sc == 0.0f) sc = 1.0f;
        scale = sc;
    }
    *scale_out = scale;
    const bn_dtype_info *info = bni_dtype_info(dd);
    const float lo = (float)info->code_min, hi = (float)info->code_max;
    for (int64_t c0 = 0; c0 < len; c0 += chunk) {
        int64_t m = len - c0 < chunk ? len - c0 : chunk;
        read_elems(src, g0 + c0, m, BN_DTYPE_F32, (char *)buf);
        if (is_q) {
            k->codes(buf, m, scale, lo, hi, codes);
            pack_run(dd, codes, m, base, g0 + c0);
        } else {
            pack_seg(k, dd, buf, m, scale, base, g0 + c0);
        }
    }
}

bn_status bn_precision_convert_stream(const bn_tensor *src, const bn_precision_spec *spec, size_t budget,
                                      bn_tensor **out) {
    static const char fn[] = "bn_precision_convert_stream";
    BNI_PCHECK_NULL(fn, src);
    BNI_PCHECK_NULL(fn, out);
    int64_t group;
    bn_status st = group_of(fn, spec, src->ndim, src->shape, &group);
    if (st) return st;
    bn_dtype dd = spec->dtype;
    if (bni_dtype_is_packed(src->dtype)) {
        /* packed data is small: converted whole */
        bn_tensor *r;
        if ((st = convert_impl(fn, src, spec, &r, NULL))) return st;
        if (bn_tensor_shares_storage(r, src)) {
            bn_tensor *c;
            st = bn_tensor_clone(r, &c);
            bn_tensor_free(r);
            if (st) return st;
            r = c;
        }
        *out = r;
        return BN_OK;
    }
    if (budget < 4096) budget = 4096;
    int64_t numel = bn_tensor_numel(src);
    /* f32 scratch elements, a multiple of 8 (whole bytes of codes), no more than the tensor needs */
    size_t cap = ((size_t)numel + 7) & ~(size_t)7;
    if (cap < 8) cap = 8;
    /* scaled targets also keep one int8 code per scratch value: 5 bytes each */
    size_t per = bni_dtype_info(dd)->has_scale ? 5 : 4;
    int64_t chunk = (int64_t)((budget / per < cap ? budget / per : cap) & ~(size_t)7);
    bn_tensor *r;
    if ((st = bni_tensor_alloc(fn, src->storage->ctx, dd, src->ndim, src->shape, group, &r))) return st;
    char *dst = (char *)r->storage->data;
    if (!bni_dtype_is_packed(dd)) {
        /* no scratch: each chunk goes straight from the source's strides to the output */
        size_t dsize = bni_dtype_size(dd);
        for (int64_t e0 = 0; e0 < numel; e0 += chunk) {
            int64_t m = numel - e0 < chunk ? numel - e0 : chunk;
            read_elems(src, e0, m, dd, dst + (size_t)e0 * dsize);
        }
        *out = r;
        return BN_OK;
    }
    void *buf = bni_malloc((size_t)chunk * per);
    if (buf == NULL) {
        bn_tensor_free(r);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: %zu bytes of scratch", fn, (size_t)chunk * per);
    }
    if (dd == BN_DTYPE_INT4) {
        for (int64_t e0 = 0; e0 < numel; e0 += chunk) {
            int64_t m = numel - e0 < chunk ? numel - e0 : chunk;
            read_elems(src, e0, m, BN_DTYPE_I8, (char *)buf);
            bni_pack_int4((const int8_t *)buf, m, (uint8_t *)dst, e0);
        }
    } else if (numel > 0) {
        int64_t g = group ? group : numel;
        float *scales = r->storage->scales;
        if (g <= chunk) {
            int64_t step = (chunk / g) * g;
            for (int64_t e0 = 0; e0 < numel; e0 += step) {
                int64_t m = numel - e0 < step ? numel - e0 : step;
                read_elems(src, e0, m, BN_DTYPE_F32, (char *)buf);
                if (pq_dtype(dd) && (dd != BN_DTYPE_QINT4 || e0 % 2 == 0)) {
                    pq_job j = {bni_pq_kernels_get(), dd, (const float *)buf, m, g, scales + e0 / g, (uint8_t *)dst,
                                e0};
                    pq_scales(&j, 0, (size_t)(m / g), 0);
                    pq_codes(&j, 0, (size_t)((m + PQ_CHUNK - 1) / PQ_CHUNK), 0);
                } else {
                    bni_quantize_f32(dd, (const float *)buf, m, g, (uint8_t *)dst, e0, scales + e0 / g);
                }
            }
        } else {
            for (int64_t g0 = 0, gi = 0; g0 < numel; g0 += g, gi++)
                quantize_two_pass(src, dd, g0, g, (float *)buf, (int8_t *)((char *)buf + (size_t)chunk * 4), chunk,
                                  (uint8_t *)dst, &scales[gi]);
        }
    }
    bni_free(buf);
    *out = r;
    return BN_OK;
}

/* ---- batched ---------------------------------------------------------------- */

typedef struct batch_job {
    const bn_tensor *const *src;
    const bn_precision_spec *specs;
    int one_spec;
    bn_tensor **out;
    bn_status *status;
} batch_job;

static void batch_run(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    batch_job *j = (batch_job *)arg;
    for (size_t i = begin; i < end; i++) {
        const bn_precision_spec *sp = j->one_spec ? &j->specs[0] : &j->specs[i];
        if (j->src[i] == NULL) {
            j->status[i] = BN_ERR_INVALID_ARGUMENT;
            continue;
        }
        j->status[i] = convert_impl("bn_precision_convert_batch", j->src[i], sp, &j->out[i], NULL);
    }
}

bn_status bn_precision_convert_batch(bn_ctx *ctx, const bn_tensor *const *src, const bn_precision_spec *specs,
                                     int one_spec, size_t n, bn_tensor **out) {
    static const char fn[] = "bn_precision_convert_batch";
    BNI_PCHECK_NULL(fn, ctx);
    if (n == 0) return BN_OK;
    BNI_PCHECK_NULL(fn, src);
    BNI_PCHECK_NULL(fn, specs);
    BNI_PCHECK_NULL(fn, out);
    bn_tensor **tmp = (bn_tensor **)bni_malloc(n * sizeof *tmp);
    bn_status *stv = (bn_status *)bni_malloc(n * sizeof *stv);
    if (tmp == NULL || stv == NULL) {
        bni_free(tmp);
        bni_free(stv);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: bookkeeping for %zu tensors", fn, n);
    }
    for (size_t i = 0; i < n; i++) {
        tmp[i] = NULL;
        stv[i] = BN_OK;
    }
    batch_job j = {src, specs, one_spec, tmp, stv};
    bn_status st = bn_ctx_parallel_for(ctx, n, 1, batch_run, &j);
    size_t bad = n;
    for (size_t i = 0; i < n && st == BN_OK; i++)
        if (stv[i] != BN_OK) bad = i;
    if (st == BN_OK && bad < n) {
        for (size_t i = 0; i < n; i++)
            if (stv[i] != BN_OK) {
                bad = i;
                break;
            }
        /* the worker's message is thread-local: rerun the first failure here for it */
        const bn_precision_spec *sp = one_spec ? &specs[0] : &specs[bad];
        bn_tensor *again = NULL;
        char msg[400];
        if (src[bad] == NULL) snprintf(msg, sizeof msg, "src[%zu] is NULL", bad);
        else {
            bn_status s2 = convert_impl(fn, src[bad], sp, &again, NULL);
            snprintf(msg, sizeof msg, "%s", s2 ? bn_last_error() : "failed (out of memory?)");
            bn_tensor_free(again);
        }
        st = bni_error(stv[bad], "%s: tensor %zu: %s", fn, bad, msg);
    }
    if (st != BN_OK) {
        for (size_t i = 0; i < n; i++) bn_tensor_free(tmp[i]);
    } else {
        for (size_t i = 0; i < n; i++) out[i] = tmp[i];
    }
    bni_free(tmp);
    bni_free(stv);
    return st;
}
