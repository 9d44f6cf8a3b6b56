/* Row helpers shared by softmax, normalization and RoPE. */
#include "ops/reduce_common.h"

#include <string.h>

#include "cpu/kernels.h"

void bni_rows_init(bni_rows *r, const bn_tensor *x, const bn_tensor *out, int axis) {
    size_t xe = bni_dtype_size(x->dtype), oe = bni_dtype_size(out->dtype);
    memset(r, 0, sizeof *r);
    r->xb = bni_tensor_base(x);
    r->ob = bni_tensor_base(out);
    r->nrows = 1;
    r->len = x->ndim > 0 ? x->shape[axis] : 1;
    r->xstep = x->ndim > 0 ? (ptrdiff_t)(x->strides[axis] * (int64_t)xe) : 0;
    r->ostep = out->ndim > 0 ? (ptrdiff_t)(out->strides[axis] * (int64_t)oe) : 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d == axis || x->shape[d] == 1) continue;
        r->shape[r->n] = x->shape[d];
        r->xs[r->n] = (ptrdiff_t)(x->strides[d] * (int64_t)xe);
        r->os[r->n] = (ptrdiff_t)(out->strides[d] * (int64_t)oe);
        r->nrows *= x->shape[d];
        r->n++;
    }
    for (int d = 0; d < x->ndim; d++)
        if (x->shape[d] == 0) r->nrows = 0;
}

void bni_rows_at(const bni_rows *r, int64_t row, const char **xp, char **op) {
    const char *x = r->xb;
    char *o = r->ob;
    for (int d = r->n - 1; d >= 0; d--) {
        int64_t i = row % r->shape[d];
        row /= r->shape[d];
        x += i * r->xs[d];
        o += i * r->os[d];
    }
    *xp = x;
    *op = o;
}

size_t bni_rows_contiguous_run(const bni_rows *r, size_t begin, size_t end, size_t row_bytes, const char **xp,
                               char **op) {
    bni_rows_at(r, (int64_t)begin, xp, op);
    size_t e = begin + 1;
    for (; e < end; e++) {
        const char *xq;
        char *oq;
        bni_rows_at(r, (int64_t)e, &xq, &oq);
        size_t step = (e - begin) * row_bytes; /* compared as integers: no pointer past the data */
        if ((uintptr_t)xq != (uintptr_t)*xp + step || (uintptr_t)oq != (uintptr_t)*op + step) break;
    }
    return e;
}

#define LOAD_LOOP(T, EXPR)                                    \
    for (int64_t i = 0; i < n; i++) {                         \
        T v;                                                  \
        memcpy(&v, p + i * s, sizeof v);                      \
        buf[i] = EXPR;                                        \
    }

void bni_load_row_f32(bn_dtype dt, const char *p, ptrdiff_t s, int64_t n, float *buf) {
    const bni_cpu_kernels *k = bni_cpu_kernels_get();
    switch (dt) {
    case BN_DTYPE_F32:
        if (s == 4) memcpy(buf, p, (size_t)n * 4);
        else LOAD_LOOP(float, v)
        break;
    case BN_DTYPE_F16:
        if (s == 2) k->f16_to_f32((const uint16_t *)p, buf, (size_t)n);
        else LOAD_LOOP(uint16_t, bn_f16_to_f32(v))
        break;
    case BN_DTYPE_BF16:
        if (s == 2) k->bf16_to_f32((const uint16_t *)p, buf, (size_t)n);
        else LOAD_LOOP(uint16_t, bn_bf16_to_f32(v))
        break;
    default:
        for (int64_t i = 0; i < n; i++) buf[i] = (float)bni_load_f64(dt, p + i * s);
        break;
    }
}

void bni_load_row_f64(bn_dtype dt, const char *p, ptrdiff_t s, int64_t n, double *buf) {
    if (dt == BN_DTYPE_F64) {
        LOAD_LOOP(double, v)
        return;
    }
    for (int64_t i = 0; i < n; i++) buf[i] = bni_load_f64(dt, p + i * s);
}

void bni_store_row_f32(bn_dtype dt, char *p, ptrdiff_t s, int64_t n, const float *buf) {
    const bni_cpu_kernels *k = bni_cpu_kernels_get();
    switch (dt) {
    case BN_DTYPE_F32:
        if (s == 4) memcpy(p, buf, (size_t)n * 4);
        else
            for (int64_t i = 0; i < n; i++) memcpy(p + i * s, &buf[i], 4);
        break;
    case BN_DTYPE_F16:
        if (s == 2) k->f32_to_f16(buf, (uint16_t *)p, (size_t)n);
        else
            for (int64_t i = 0; i < n; i++) {
                uint16_t h = bn_f32_to_f16(buf[i]);
                memcpy(p + i * s, &h, 2);
            }
        break;
    case BN_DTYPE_BF16:
        if (s == 2) k->f32_to_bf16(buf, (uint16_t *)p, (size_t)n);
        else
            for (int64_t i = 0; i < n; i++) {
                uint16_t h = bn_f32_to_bf16(buf[i]);
                memcpy(p + i * s, &h, 2);
            }
        break;
    default:
        for (int64_t i = 0; i < n; i++) bni_store_f64(dt, p + i * s, (double)buf[i]);
        break;
    }
}

void bni_store_row_f64(bn_dtype dt, char *p, ptrdiff_t s, int64_t n, const double *buf) {
    if (dt == BN_DTYPE_F64) {
        for (int64_t i = 0; i < n; i++) memcpy(p + i * s, &buf[i], 8);
        return;
    }
    for (int64_t i = 0; i < n; i++) bni_store_f64(dt, p + i * s, buf[i]);
}

bn_status bni_norm_axis(const char *fn, int axis, int ndim, int *out) {
    int lim = ndim > 0 ? ndim : 1;
    if (axis < -lim || axis >= lim)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: axis %d out of range for %d dimensions", fn, axis, ndim);
    *out = axis < 0 ? axis + lim : axis;
    return BN_OK;
}
