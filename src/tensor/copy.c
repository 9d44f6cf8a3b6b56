/* Strided copy and cast: an N-d iterator over two views (dimensions of
 * size 1 dropped, dimensions that are contiguous in both merged) running a
 * conversion loop along the innermost dimension, split across the context's
 * threads for big copies. Packed dtypes go through an f32 (or i8) buffer. */
#include <inttypes.h>
#include <string.h>

#include "core/error.h"
#include "tensor/tensor_internal.h"

#define PAR_MIN_ELEMS ((int64_t)1 << 16)
#define PAR_GRAIN_ELEMS ((int64_t)1 << 15)

typedef struct copy_plan {
    int ndim;
    int64_t shape[BN_MAX_DIMS];
    int64_t ss[BN_MAX_DIMS]; /* bytes */
    int64_t ds[BN_MAX_DIMS]; /* bytes */
    const char *sp;
    char *dp;
    bni_cvt_fn fn;
    int64_t rows, inner;
    int split_inner;
    int tiled;          /* last two dimensions walked in TILE x TILE blocks */
    int64_t row_tiles;  /* tiled: ceil(shape[ndim-2] / TILE) */
} copy_plan;

#define TILE 32

static void plan_build(copy_plan *p, int ndim, const int64_t *shape, const int64_t *sstr, int64_t ses,
                       const int64_t *dstr, int64_t des, const char *sp, char *dp, bni_cvt_fn fn) {
    int64_t sh[BN_MAX_DIMS], a[BN_MAX_DIMS], b[BN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 1) continue;
        sh[k] = shape[i];
        a[k] = sstr[i] * ses;
        b[k] = dstr[i] * des;
        k++;
    }
    /* merge from the innermost dimension outwards */
    int64_t rsh[BN_MAX_DIMS], ra[BN_MAX_DIMS], rb[BN_MAX_DIMS];
    int m = 0;
    for (int i = k - 1; i >= 0; i--) {
        if (m > 0 && a[i] == ra[m - 1] * rsh[m - 1] && b[i] == rb[m - 1] * rsh[m - 1]) {
            rsh[m - 1] *= sh[i];
        } else {
            rsh[m] = sh[i];
            ra[m] = a[i];
            rb[m] = b[i];
            m++;
        }
    }
    if (m == 0) {
        rsh[0] = 1;
        ra[0] = ses;
        rb[0] = des;
        m = 1;
    }
    p->ndim = m;
    for (int i = 0; i < m; i++) {
        p->shape[i] = rsh[m - 1 - i];
        p->ss[i] = ra[m - 1 - i];
        p->ds[i] = rb[m - 1 - i];
    }
    p->sp = sp;
    p->dp = dp;
    p->fn = fn;
    p->inner = p->shape[m - 1];
    p->rows = 1;
    for (int i = 0; i < m - 1; i++) p->rows *= p->shape[i];
    p->split_inner = 0;
    /* One operand walks the innermost dimension with a large stride while
     * the dimension before is its contiguous one (a transpose): go by
     * tiles so both sides stay in cache. */
    p->tiled = 0;
    if (m >= 2) {
        int od = m - 1;
        int s_tr = p->ss[od] != ses && (p->ss[od - 1] == ses || p->ss[od - 1] == -ses);
        int d_tr = p->ds[od] != des && (p->ds[od - 1] == des || p->ds[od - 1] == -des);
        if ((s_tr || d_tr) && p->shape[od] >= TILE / 2 && p->shape[od - 1] >= TILE / 2) {
            p->tiled = 1;
            p->row_tiles = (p->shape[od - 1] + TILE - 1) / TILE;
        }
    }
}

/* Tiled walk: items are (outer index, band of TILE rows of dim ndim-2). */
static void plan_tiles(const copy_plan *p, int64_t i0, int64_t i1) {
    int od = p->ndim - 1, rd = od - 1;
    int64_t R = p->shape[rd], C = p->shape[od];
    for (int64_t it = i0; it < i1; it++) {
        int64_t outer = it / p->row_tiles, band = it % p->row_tiles;
        int64_t so = 0, dof = 0, rem = outer;
        for (int d = rd - 1; d >= 0; d--) {
            int64_t k = rem % p->shape[d];
            rem /= p->shape[d];
            so += k * p->ss[d];
            dof += k * p->ds[d];
        }
        int64_t r0 = band * TILE, r1 = r0 + TILE < R ? r0 + TILE : R;
        for (int64_t c0 = 0; c0 < C; c0 += TILE) {
            size_t len = (size_t)(C - c0 < TILE ? C - c0 : TILE);
            for (int64_t r = r0; r < r1; r++)
                p->fn(p->sp + so + r * p->ss[rd] + c0 * p->ss[od], (ptrdiff_t)p->ss[od],
                      p->dp + dof + r * p->ds[rd] + c0 * p->ds[od], (ptrdiff_t)p->ds[od], len);
        }
    }
}

static void plan_rows(const copy_plan *p, int64_t r0, int64_t r1) {
    int od = p->ndim - 1;
    int64_t idx[BN_MAX_DIMS];
    int64_t so = 0, dof = 0, rem = r0;
    for (int d = od - 1; d >= 0; d--) {
        idx[d] = rem % p->shape[d];
        rem /= p->shape[d];
        so += idx[d] * p->ss[d];
        dof += idx[d] * p->ds[d];
    }
    for (int64_t r = r0; r < r1; r++) {
        p->fn(p->sp + so, (ptrdiff_t)p->ss[od], p->dp + dof, (ptrdiff_t)p->ds[od], (size_t)p->inner);
        for (int d = od - 1; d >= 0; d--) {
            idx[d]++;
            so += p->ss[d];
            dof += p->ds[d];
            if (idx[d] < p->shape[d]) break;
            so -= p->ss[d] * p->shape[d];
            dof -= p->ds[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

static void plan_task(void *arg, size_t begin, size_t end, int thread) {
    const copy_plan *p = (const copy_plan *)arg;
    (void)thread;
    if (p->tiled) {
        plan_tiles(p, (int64_t)begin, (int64_t)end);
    } else if (p->split_inner) {
        int od = p->ndim - 1;
        p->fn(p->sp + (int64_t)begin * p->ss[od], (ptrdiff_t)p->ss[od], p->dp + (int64_t)begin * p->ds[od],
              (ptrdiff_t)p->ds[od], end - begin);
    } else {
        plan_rows(p, (int64_t)begin, (int64_t)end);
    }
}

static bn_status plan_run(copy_plan *p, bn_ctx *ctx) {
    int64_t total = p->rows * p->inner;
    if (p->tiled) {
        int64_t items = p->rows / p->shape[p->ndim - 2] * p->row_tiles;
        if (total >= PAR_MIN_ELEMS && ctx && bn_ctx_num_threads(ctx) > 1) {
            int64_t per = TILE * p->inner, grain = PAR_GRAIN_ELEMS / (per > 0 ? per : 1);
            return bn_ctx_parallel_for(ctx, (size_t)items, (size_t)(grain > 0 ? grain : 1), plan_task, p);
        }
        plan_tiles(p, 0, items);
        return BN_OK;
    }
    if (total >= PAR_MIN_ELEMS && ctx && bn_ctx_num_threads(ctx) > 1) {
        if (p->rows == 1) {
            p->split_inner = 1;
            return bn_ctx_parallel_for(ctx, (size_t)p->inner, (size_t)PAR_GRAIN_ELEMS, plan_task, p);
        }
        int64_t grain = PAR_GRAIN_ELEMS / (p->inner > 0 ? p->inner : 1);
        return bn_ctx_parallel_for(ctx, (size_t)p->rows, (size_t)(grain > 0 ? grain : 1), plan_task, p);
    }
    plan_rows(p, 0, p->rows);
    return BN_OK;
}

/* Lowest and highest element offsets a view reaches (numel > 0). */
static void elem_range(const bn_tensor *t, int64_t *lo, int64_t *hi) {
    int64_t a = t->offset, b = t->offset;
    for (int i = 0; i < t->ndim; i++) {
        int64_t span = t->strides[i] * (t->shape[i] - 1);
        if (span < 0) a += span;
        else b += span;
    }
    *lo = a;
    *hi = b;
}

static int views_overlap(const bn_tensor *x, const bn_tensor *y) {
    if (x->storage != y->storage) return 0;
    int64_t xl, xh, yl, yh;
    elem_range(x, &xl, &xh);
    elem_range(y, &yl, &yh);
    int64_t es = (int64_t)bni_dtype_size(x->dtype);
    return xl * es <= yh * es + es - 1 && yl * es <= xh * es + es - 1;
}

/* Non-packed to non-packed, src already broadcast to dst's shape. */
static bn_status copy_plain(bn_tensor *dst, const bn_tensor *src, const int64_t *sstr) {
    copy_plan p;
    int64_t ses = (int64_t)bni_dtype_size(src->dtype), des = (int64_t)bni_dtype_size(dst->dtype);
    plan_build(&p, dst->ndim, dst->shape, sstr, ses, dst->strides, des,
               (const char *)src->storage->data + src->offset * ses, (char *)dst->storage->data + dst->offset * des,
               bni_cvt_get(src->dtype, dst->dtype));
    return plan_run(&p, dst->storage->ctx);
}

static bn_status alloc_temp(const char *fn, const bn_tensor *like, bn_dtype dtype, bn_ctx *ctx, bn_tensor **out) {
    return bni_tensor_alloc(fn, ctx, dtype, like->ndim, like->shape, 0, out);
}

bn_status bni_tensor_copy(const char *fn, bn_tensor *dst, const bn_tensor *src) {
    int64_t eshape[BN_MAX_DIMS], estr[BN_MAX_DIMS];
    bn_status st = bni_expand_strides(fn, src, dst->ndim, dst->shape, 0, eshape, estr);
    if (st) return st;
    for (int i = 0; i < dst->ndim; i++) {
        if (dst->strides[i] == 0 && dst->shape[i] > 1) {
            char a[192];
            bni_format_shape(a, sizeof a, dst->ndim, dst->strides);
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: dst has strides %s: several elements share memory "
                             "(an expanded view cannot be written to)", fn, a);
        }
    }
    int64_t n = bn_tensor_numel(dst);
    if (n == 0) return BN_OK;
    bn_ctx *ctx = dst->storage->ctx;
    int dpk = bni_dtype_is_packed(dst->dtype), spk = bni_dtype_is_packed(src->dtype);

    if (!dpk && !spk) {
        if (views_overlap(dst, src)) {
            bn_tensor *stage;
            if ((st = alloc_temp(fn, src, src->dtype, ctx, &stage))) return st;
            int64_t cstr[BN_MAX_DIMS];
            memcpy(cstr, src->strides, sizeof cstr);
            if ((st = copy_plain(stage, src, cstr)) == BN_OK &&
                (st = bni_expand_strides(fn, stage, dst->ndim, dst->shape, 0, eshape, estr)) == BN_OK)
                st = copy_plain(dst, stage, estr);
            bn_tensor_free(stage);
            return st;
        }
        return copy_plain(dst, src, estr);
    }

    const bni_storage *ss = src->storage;
    bni_storage *ds = dst->storage;
    const bn_dtype_info *dinfo = bni_dtype_info(dst->dtype);
    int same_shape = src->ndim == dst->ndim && memcmp(src->shape, dst->shape, (size_t)dst->ndim * 8) == 0;

    if (dpk && spk && src->dtype == dst->dtype && same_shape &&
        bn_tensor_group_size(src) == bn_tensor_group_size(dst)) {
        /* same packed layout: bytes and scales */
        int bits = dinfo->bits;
        int64_t full = n * bits / 8, tail0 = full * 8 / bits;
        int codes[8];
        for (int64_t e = tail0; e < n; e++)
            codes[e - tail0] = bni_packed_get(src->dtype, (const uint8_t *)ss->data, src->offset + e);
        memmove(bn_tensor_data(dst), bn_tensor_data(src), (size_t)full);
        for (int64_t e = tail0; e < n; e++)
            bni_packed_set(dst->dtype, (uint8_t *)ds->data, dst->offset + e, codes[e - tail0]);
        if (ds->scales) {
            int64_t g = bn_tensor_group_size(dst);
            memmove(bn_tensor_scales(dst), bn_tensor_scales(src), (size_t)(n / g) * sizeof(float));
        }
        return BN_OK;
    }

    if (spk) {
        /* dequantize src into f32 of its own shape, then copy from that */
        bn_tensor *tmp;
        if ((st = alloc_temp(fn, src, BN_DTYPE_F32, ctx, &tmp))) return st;
        int64_t sn = bn_tensor_numel(src);
        int64_t g = ss->group_size ? ss->group_size : (ss->numel > 0 ? ss->numel : 1);
        bni_dequantize_f32(src->dtype, (const uint8_t *)ss->data, src->offset, sn, ss->scales, g,
                           (float *)tmp->storage->data);
        st = bni_tensor_copy(fn, dst, tmp);
        bn_tensor_free(tmp);
        return st;
    }

    /* dst packed, src not: values in dst's order as f32 (i8 for int4) */
    bn_dtype mid = dst->dtype == BN_DTYPE_INT4 ? BN_DTYPE_I8 : BN_DTYPE_F32;
    bn_tensor *tmp = NULL;
    const void *vals;
    if (src->dtype == mid && same_shape && bn_tensor_is_contiguous(src)) {
        vals = bn_tensor_data(src);
    } else {
        if ((st = alloc_temp(fn, dst, mid, ctx, &tmp))) return st;
        if ((st = copy_plain(tmp, src, estr))) {
            bn_tensor_free(tmp);
            return st;
        }
        vals = tmp->storage->data;
    }
    if (dst->dtype == BN_DTYPE_INT4)
        bni_pack_int4((const int8_t *)vals, n, (uint8_t *)ds->data, dst->offset);
    else
        bni_quantize_f32(dst->dtype, (const float *)vals, n, bn_tensor_group_size(dst), (uint8_t *)ds->data,
                         dst->offset, bn_tensor_scales(dst));
    bn_tensor_free(tmp);
    return BN_OK;
}

bn_status bn_tensor_copy(bn_tensor *dst, const bn_tensor *src) {
    BNI_CHECK_NULL("bn_tensor_copy", dst);
    BNI_CHECK_NULL("bn_tensor_copy", src);
    return bni_tensor_copy("bn_tensor_copy", dst, src);
}

static bn_status cast_to(const char *fn, const bn_tensor *t, bn_dtype dtype, int64_t group, bn_tensor **out) {
    bn_tensor *r;
    bn_status st = bni_tensor_alloc(fn, t->storage->ctx, dtype, t->ndim, t->shape, group, &r);
    if (st) return st;
    if ((st = bni_tensor_copy(fn, r, t))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_tensor_cast(const bn_tensor *t, bn_dtype dtype, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_cast", t);
    BNI_CHECK_NULL("bn_tensor_cast", out);
    return cast_to("bn_tensor_cast", t, dtype, 0, out);
}

bn_status bn_tensor_cast_quantized(const bn_tensor *t, bn_dtype dtype, int64_t group_size, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_cast_quantized", t);
    BNI_CHECK_NULL("bn_tensor_cast_quantized", out);
    if (!bni_dtype_valid(dtype))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tensor_cast_quantized: invalid dtype %d", (int)dtype);
    if (!bni_dtype_info(dtype)->has_scale)
        return bni_error(BN_ERR_DTYPE, "bn_tensor_cast_quantized: %s has no scales (use ternary, binary, qint8 or "
                         "qint4)", bn_dtype_name(dtype));
    return cast_to("bn_tensor_cast_quantized", t, dtype, group_size, out);
}

bn_status bn_tensor_clone(const bn_tensor *t, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_clone", t);
    BNI_CHECK_NULL("bn_tensor_clone", out);
    return cast_to("bn_tensor_clone", t, t->dtype, t->storage->scales ? t->storage->group_size : 0, out);
}

bn_status bn_tensor_contiguous(const bn_tensor *t, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_contiguous", t);
    BNI_CHECK_NULL("bn_tensor_contiguous", out);
    if (bn_tensor_is_contiguous(t))
        return bni_tensor_view("bn_tensor_contiguous", t, t->ndim, t->shape, t->strides, t->offset, out);
    return cast_to("bn_tensor_contiguous", t, t->dtype, t->storage->scales ? t->storage->group_size : 0, out);
}
