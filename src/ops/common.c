/* Shared machinery of the operations: dtype rules, argument and output
 * checks, result allocation, the N-d iterator and its parallel driver.
 * See ops_internal.h. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ops/ops_internal.h"

/* ---- dtypes ---------------------------------------------------------------- */

int bni_dtype_category(bn_dtype d) {
    switch (d) {
    case BN_DTYPE_BOOL: return 0;
    case BN_DTYPE_F32:
    case BN_DTYPE_F64:
    case BN_DTYPE_F16:
    case BN_DTYPE_BF16: return 2;
    default: return 1;
    }
}

int bni_dtype_is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F64 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16;
}

int bni_dtype_is_signed(bn_dtype d) {
    return d == BN_DTYPE_I8 || d == BN_DTYPE_I16 || d == BN_DTYPE_I32 || d == BN_DTYPE_I64;
}

int bni_dtype_is_int(bn_dtype d) {
    return bni_dtype_is_signed(d) || d == BN_DTYPE_U8 || d == BN_DTYPE_U16 || d == BN_DTYPE_U32 ||
           d == BN_DTYPE_U64;
}

int bni_can_cast(bn_dtype from, bn_dtype to) { return bni_dtype_category(to) >= bni_dtype_category(from); }

static int usable(bn_dtype d) { return bni_dtype_valid(d) && !bni_dtype_is_packed(d); }

bn_status bni_ops_check_dtype(const char *fn, const char *op, bn_dtype d) {
    if (!bni_dtype_valid(d))
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype %d (not a dtype)", fn, op, (int)d);
    if (bni_dtype_is_packed(d))
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype %s (packed: convert it first)", fn, op,
                         bn_dtype_name(d));
    return BN_OK;
}

static int int_bits(bn_dtype d) { return (int)bni_dtype_size(d) * 8; }

static bn_dtype signed_of_bits(int bits) {
    switch (bits) {
    case 8: return BN_DTYPE_I8;
    case 16: return BN_DTYPE_I16;
    case 32: return BN_DTYPE_I32;
    default: return BN_DTYPE_I64;
    }
}

bn_status bn_promote_types(bn_dtype a, bn_dtype b, bn_dtype *out) {
    if (out == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_promote_types: out is NULL");
    if (!usable(a) || !usable(b)) {
        bn_dtype bad = usable(a) ? b : a;
        return bni_error(BN_ERR_DTYPE, "bn_promote_types: cannot promote %s with %s (%s is %s)",
                         bn_dtype_name(a), bn_dtype_name(b), bn_dtype_name(bad),
                         bni_dtype_valid(bad) ? "packed" : "not a dtype");
    }
    int ca = bni_dtype_category(a), cb = bni_dtype_category(b);
    bn_dtype r;
    if (a == b) r = a;
    else if (ca != cb) r = ca > cb ? a : b;
    else if (ca == 2) {
        /* floats: f64 > f32 > {f16, bf16}; f16 with bf16 gives f32 */
        if (a == BN_DTYPE_F64 || b == BN_DTYPE_F64) r = BN_DTYPE_F64;
        else r = BN_DTYPE_F32;
    } else {
        /* integers */
        int sa = bni_dtype_is_signed(a), sb = bni_dtype_is_signed(b);
        int ba = int_bits(a), bb = int_bits(b);
        if (sa == sb) r = ba >= bb ? a : b;
        else {
            int bs = sa ? ba : bb, bu = sa ? bb : ba;
            bn_dtype s = sa ? a : b;
            if (bs > bu) r = s;
            else r = signed_of_bits(bu >= 64 ? 64 : bu * 2);
        }
    }
    *out = r;
    return BN_OK;
}

bn_dtype bni_promote_scalar(bn_dtype t, double s) {
    int integral = isfinite(s) && s == floor(s);
    switch (bni_dtype_category(t)) {
    case 2: return t;
    case 1: return integral ? t : BN_DTYPE_F32;
    default: return integral ? BN_DTYPE_I64 : BN_DTYPE_F32;
    }
}

/* ---- checks ------------------------------------------------------------- */

bn_status bni_ops_check_same_ctx(const char *fn, const bn_tensor *a, const bn_tensor *b) {
    const bni_storage *sa = a->storage, *sb = b->storage;
    if (sa->ctx != sb->ctx)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: the tensors belong to different contexts", fn);
    if (sa->device.kind != sb->device.kind || sa->device.index != sb->device.index)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: the tensors are on different devices (%s:%d and %s:%d)",
                         fn, bn_device_kind_name(sa->device.kind), sa->device.index,
                         bn_device_kind_name(sb->device.kind), sb->device.index);
    return BN_OK;
}

bn_status bni_ops_broadcast(const char *fn, const bn_tensor *a, const bn_tensor *b, int *ndim,
                            int64_t *shape) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[160], sb[160];
            bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
            bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
            return bni_error(BN_ERR_SHAPE, "%s: shapes %s and %s do not broadcast (dimension %d: %" PRId64
                             " vs %" PRId64 ")", fn, sa, sb, i - nd, da, db);
        }
        shape[i] = da == 1 ? db : da;
    }
    *ndim = nd;
    return BN_OK;
}

/* Byte range [lo, hi) a view touches; returns 0 for an empty view. */
static int view_range(const bn_tensor *t, int64_t *lo, int64_t *hi) {
    int64_t esz = (int64_t)bni_dtype_size(t->dtype);
    int64_t l = t->offset, h = t->offset;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 0) return 0;
        int64_t ext = (t->shape[i] - 1) * t->strides[i];
        if (ext < 0) l += ext;
        else h += ext;
    }
    *lo = l * esz;
    *hi = (h + 1) * esz;
    return 1;
}

int bni_views_overlap(const bn_tensor *a, const bn_tensor *b) {
    if (a->storage != b->storage) return 0;
    int64_t la, ha, lb, hb;
    if (!view_range(a, &la, &ha) || !view_range(b, &lb, &hb)) return 0;
    return la < hb && lb < ha;
}

int bni_views_identical(const bn_tensor *a, const bn_tensor *b) {
    if (a->storage != b->storage || a->dtype != b->dtype || a->offset != b->offset || a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] != b->shape[i]) return 0;
        if (a->shape[i] != 1 && a->strides[i] != b->strides[i]) return 0;
    }
    return 1;
}

/* Sufficient test that no two elements of t share memory: sorted by
 * |stride|, each stride exceeds the extent of the smaller ones. */
static int self_overlapping(const bn_tensor *t) {
    int64_t st[BN_MAX_DIMS], sz[BN_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 0) return 0;
        if (t->shape[i] == 1) continue;
        int64_t s = t->strides[i] < 0 ? -t->strides[i] : t->strides[i];
        int j = n++;
        while (j > 0 && st[j - 1] > s) {
            st[j] = st[j - 1];
            sz[j] = sz[j - 1];
            j--;
        }
        st[j] = s;
        sz[j] = t->shape[i];
    }
    int64_t extent = 1; /* elements spanned by the smaller dimensions */
    for (int i = 0; i < n; i++) {
        if (st[i] < extent) return 1;
        extent = st[i] * (sz[i] - 1) + extent;
    }
    return 0;
}

bn_status bni_ops_check_out(const char *fn, const bn_tensor *out, int ndim, const int64_t *shape,
                            bn_dtype result, const bn_tensor *const *inputs, int ninputs) {
    int same = out->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = out->shape[i] == shape[i];
    if (!same) {
        char so[160], sw[160];
        bni_format_shape(so, sizeof so, out->ndim, out->shape);
        bni_format_shape(sw, sizeof sw, ndim, shape);
        return bni_error(BN_ERR_SHAPE, "%s: out has shape %s, the result has shape %s", fn, so, sw);
    }
    if (bni_dtype_is_packed(out->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: out has packed dtype %s (not accepted)", fn, bn_dtype_name(out->dtype));
    if (!bni_can_cast(result, out->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: a %s result cannot be written into a %s out", fn,
                         bn_dtype_name(result), bn_dtype_name(out->dtype));
    for (int i = 0; i < ninputs; i++) {
        if (inputs[i] == NULL) continue;
        bn_status st = bni_ops_check_same_ctx(fn, out, inputs[i]);
        if (st != BN_OK) return st;
    }
    if (self_overlapping(out))
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "%s: out has elements that share memory (a broadcast or overlapping view)", fn);
    for (int i = 0; i < ninputs; i++) {
        const bn_tensor *in = inputs[i];
        if (in == NULL || !bni_views_overlap(out, in) || bni_views_identical(out, in)) continue;
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "%s: out partially overlaps input %d (only the very same view may be both)", fn, i + 1);
    }
    return BN_OK;
}

bn_status bni_ops_alloc_out(const char *fn, bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                            bn_tensor **out) {
    return bni_tensor_alloc(fn, ctx, dtype, ndim, shape, 0, out);
}

/* ---- the iterator ----------------------------------------------------------- */

static void iter_finish(bni_iter *it, int ndim, const int64_t *shape) {
    /* drop size-1 dimensions */
    int n = 0;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) numel *= shape[d];
    it->numel = numel;
    int64_t sh[BN_MAX_DIMS];
    ptrdiff_t st[BNI_ITER_MAX_OPS][BN_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        sh[n] = shape[d];
        for (int k = 0; k < it->nops; k++) st[k][n] = it->strides[k][d];
        n++;
    }
    /* coalesce from the innermost out: dim d merges into d+1 when every
     * operand's stride[d] == stride[d+1] * shape[d+1] */
    int m = 0;
    int64_t osh[BN_MAX_DIMS];
    ptrdiff_t ost[BNI_ITER_MAX_OPS][BN_MAX_DIMS];
    for (int d = n - 1; d >= 0; d--) {
        if (m > 0) {
            int ok = 1;
            for (int k = 0; k < it->nops && ok; k++) ok = st[k][d] == ost[k][m - 1] * osh[m - 1];
            if (ok) {
                osh[m - 1] *= sh[d];
                continue;
            }
        }
        osh[m] = sh[d];
        for (int k = 0; k < it->nops; k++) ost[k][m] = st[k][d];
        m++;
    }
    if (m == 0) { /* a scalar (or all size 1) */
        osh[0] = 1;
        for (int k = 0; k < it->nops; k++) ost[k][0] = 0;
        m = 1;
    }
    /* reverse into place: innermost last */
    it->ndim = m;
    for (int d = 0; d < m; d++) {
        it->shape[d] = osh[m - 1 - d];
        for (int k = 0; k < it->nops; k++) it->strides[k][d] = ost[k][m - 1 - d];
    }
    if (numel == 0) {
        it->ndim = 1;
        it->shape[0] = 0;
    }
}

void bni_iter_init(bni_iter *it, int nops, const bn_tensor *const *ts, int ndim, const int64_t *shape) {
    it->nops = nops;
    for (int k = 0; k < nops; k++) {
        const bn_tensor *t = ts[k];
        ptrdiff_t esz = (ptrdiff_t)bni_dtype_size(t->dtype);
        int lead = ndim - t->ndim;
        for (int d = 0; d < ndim; d++) {
            int td = d - lead;
            if (td < 0 || t->shape[td] == 1) it->strides[k][d] = 0;
            else it->strides[k][d] = (ptrdiff_t)t->strides[td] * esz;
        }
        it->base[k] = bni_tensor_base(t);
    }
    iter_finish(it, ndim, shape);
}

void bni_iter_init_raw(bni_iter *it, int nops, char *const *base, const ptrdiff_t strides[][BN_MAX_DIMS],
                       int ndim, const int64_t *shape) {
    it->nops = nops;
    for (int k = 0; k < nops; k++) {
        it->base[k] = base[k];
        for (int d = 0; d < ndim; d++) it->strides[k][d] = shape[d] == 1 ? 0 : strides[k][d];
    }
    iter_finish(it, ndim, shape);
}

void bni_iter_run(const bni_iter *it, int64_t begin, int64_t end, bni_loop_fn fn, void *arg) {
    if (begin >= end) return;
    const int nd = it->ndim, nops = it->nops;
    const int64_t inner = it->shape[nd - 1];
    ptrdiff_t istr[BNI_ITER_MAX_OPS];
    for (int k = 0; k < nops; k++) istr[k] = it->strides[k][nd - 1];
    if (nd == 1) {
        char *p[BNI_ITER_MAX_OPS];
        for (int k = 0; k < nops; k++) p[k] = it->base[k] + begin * istr[k];
        fn(arg, p, istr, end - begin);
        return;
    }
    /* multi-index of `begin` over the outer dimensions */
    int64_t idx[BN_MAX_DIMS];
    int64_t row = begin / inner, col = begin % inner;
    for (int d = nd - 2; d >= 0; d--) {
        idx[d] = row % it->shape[d];
        row /= it->shape[d];
    }
    char *p[BNI_ITER_MAX_OPS];
    for (int k = 0; k < nops; k++) {
        char *q = it->base[k];
        for (int d = 0; d < nd - 1; d++) q += idx[d] * it->strides[k][d];
        p[k] = q;
    }
    int64_t left = end - begin;
    while (left > 0) {
        int64_t n = inner - col;
        if (n > left) n = left;
        char *q[BNI_ITER_MAX_OPS];
        for (int k = 0; k < nops; k++) q[k] = p[k] + col * istr[k];
        fn(arg, q, istr, n);
        left -= n;
        col = 0;
        if (left == 0) break;
        /* next row */
        for (int d = nd - 2; d >= 0; d--) {
            for (int k = 0; k < nops; k++) p[k] += it->strides[k][d];
            if (++idx[d] < it->shape[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= it->strides[k][d] * it->shape[d];
            idx[d] = 0;
        }
    }
}

#define BNI_PAR_BLOCK 64

typedef struct par_job {
    const bni_iter *it;
    bni_loop_fn fn;
    void *arg;
} par_job;

static void par_range(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    const par_job *j = arg;
    int64_t b = (int64_t)begin * BNI_PAR_BLOCK, e = (int64_t)end * BNI_PAR_BLOCK;
    if (e > j->it->numel) e = j->it->numel;
    bni_iter_run(j->it, b, e, j->fn, j->arg);
}

void bni_iter_parallel(bn_ctx *ctx, const bni_iter *it, bni_loop_fn fn, void *arg) {
    if (it->numel < BNI_OPS_PARALLEL_MIN || ctx == NULL || bn_ctx_num_threads(ctx) <= 1) {
        bni_iter_run(it, 0, it->numel, fn, arg);
        return;
    }
    par_job j = {it, fn, arg};
    size_t blocks = (size_t)((it->numel + BNI_PAR_BLOCK - 1) / BNI_PAR_BLOCK);
    bn_ctx_parallel_for(ctx, blocks, (size_t)(BNI_OPS_PARALLEL_MIN / BNI_PAR_BLOCK), par_range, &j);
}
