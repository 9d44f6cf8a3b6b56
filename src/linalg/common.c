/* Helpers shared by the linear-algebra sources: thread count, broadcast
 * batch strides, checks, and the column-major copies LAPACK works on. */
#include <cblas.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "linalg/linalg_internal.h"

/* Rows per block of the column-major copies. */
#define LA_ROWS 32

void bni_la_set_threads(bn_ctx *ctx) {
    int n = ctx ? bn_ctx_num_threads(ctx) : 1;
    if (n < 1) n = 1;
    if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

void bni_la_batch_strides(const bn_tensor *t, int tnb, int nb, const int64_t *bshape, int64_t *out) {
    for (int d = 0; d < nb; d++) {
        int td = d - (nb - tnb);
        out[d] = (td >= 0 && t->shape[td] == bshape[d] && bshape[d] != 1) ? t->strides[td] : 0;
    }
}

int64_t bni_la_count(int nb, const int64_t *shape) {
    int64_t c = 1;
    for (int d = 0; d < nb; d++) c *= shape[d];
    return c;
}

bn_status bni_la_check_float(const char *fn, const char *what, const bn_tensor *t) {
    if (!bni_dtype_valid(t->dtype) || bni_dtype_info(t->dtype)->kind != BN_KIND_FLOAT)
        return bni_error(BN_ERR_DTYPE, "%s: %s is %s; only f32, f64, f16 and bf16 are supported (cast it first)",
                         fn, what, bn_dtype_name(t->dtype));
    return BN_OK;
}

bn_status bni_la_check_matrix(const char *fn, const bn_tensor *t, int square) {
    char buf[160];
    if (t->ndim < 2) {
        bni_format_shape(buf, sizeof buf, t->ndim, t->shape);
        return bni_error(BN_ERR_SHAPE, "%s: a is %s; it needs at least 2 dimensions [..., m, n]", fn, buf);
    }
    if (square && t->shape[t->ndim - 1] != t->shape[t->ndim - 2]) {
        bni_format_shape(buf, sizeof buf, t->ndim, t->shape);
        return bni_error(BN_ERR_SHAPE, "%s: a is %s; square matrices [..., n, n] are needed", fn, buf);
    }
    for (int d = 0; d < 2; d++)
        if (bni_la_check_int(fn, t->shape[t->ndim - 1 - d]) != BN_OK) return BN_ERR_OVERFLOW;
    return BN_OK;
}

bn_status bni_la_check_int(const char *fn, int64_t v) {
    if (v > INT_MAX / 2)
        return bni_error(BN_ERR_OVERFLOW, "%s: a dimension of %" PRId64 " is beyond what BLAS/LAPACK's 32-bit int "
                         "can index", fn, v);
    return BN_OK;
}

/* Non-finite means |x| >= infinity as integers (sign bit cleared): the
 * largest magnitude of a column, kept in four independent branch-free
 * maxima, compared once (isfinite() with an early exit runs 4x slower). */
#define LA_MAXABS(T, c, m, absmask, inf, bad)                                  \
    do {                                                                       \
        T m0 = 0, m1 = 0, m2 = 0, m3 = 0;                                      \
        int64_t i = 0;                                                         \
        for (; i + 4 <= (m); i += 4) {                                         \
            T x0 = (c)[i] & (absmask), x1 = (c)[i + 1] & (absmask);            \
            T x2 = (c)[i + 2] & (absmask), x3 = (c)[i + 3] & (absmask);        \
            m0 = x0 > m0 ? x0 : m0;                                            \
            m1 = x1 > m1 ? x1 : m1;                                            \
            m2 = x2 > m2 ? x2 : m2;                                            \
            m3 = x3 > m3 ? x3 : m3;                                            \
        }                                                                      \
        for (; i < (m); i++) {                                                 \
            T x = (c)[i] & (absmask);                                          \
            m0 = x > m0 ? x : m0;                                              \
        }                                                                      \
        m0 = m1 > m0 ? m1 : m0;                                                \
        m2 = m3 > m2 ? m3 : m2;                                                \
        bad = (m0 > m2 ? m0 : m2) >= (inf);                                    \
    } while (0)

int bni_la_nonfinite(bn_dtype work, const void *p, int64_t m, int64_t n, int64_t ld) {
    for (int64_t j = 0; j < n; j++) {
        int bad;
        if (work == BN_DTYPE_F64) {
            const uint64_t *c = (const uint64_t *)p + j * ld;
            LA_MAXABS(uint64_t, c, m, 0x7FFFFFFFFFFFFFFFull, 0x7FF0000000000000ull, bad);
        } else {
            const uint32_t *c = (const uint32_t *)p + j * ld;
            LA_MAXABS(uint32_t, c, m, 0x7FFFFFFFu, 0x7F800000u, bad);
        }
        if (bad) return 1;
    }
    return 0;
}

/* dst[j * ld + i] = src[i * sm + j] for an m x n block of one element type
 * (T): a transpose in 16 x 16 tiles, writing runs of 16 consecutive
 * elements (strided loads are cheaper than strided stores). */
#define LA_TILE 16
#define LA_TRANSPOSE(T, src, sm, dst, ld, m, n)                                                  \
    do {                                                                                         \
        for (int64_t i0 = 0; i0 < (m); i0 += LA_TILE)                                            \
            for (int64_t j0 = 0; j0 < (n); j0 += LA_TILE) {                                      \
                int64_t i1 = i0 + LA_TILE < (m) ? i0 + LA_TILE : (m);                            \
                int64_t j1 = j0 + LA_TILE < (n) ? j0 + LA_TILE : (n);                            \
                for (int64_t j = j0; j < j1; j++)                                                \
                    for (int64_t i = i0; i < i1; i++) (dst)[j * (ld) + i] = (src)[i * (sm) + j]; \
            }                                                                                    \
    } while (0)

/* Load as bni_la_load; `transposed` only swaps row and column in the message
 * (bni_la_load_t loads the transpose by swapping the sizes and strides). */
static bn_status load(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t m, int64_t n,
                      int64_t sm, int64_t sn, bn_dtype work, void *dst, int64_t ld, int64_t batch, int transposed) {
    size_t es = bni_dtype_size(t->dtype), ws = bni_dtype_size(work);
    bni_cvt_fn cvt = bni_cvt_get(t->dtype, work);
    const char *base = bni_la_ptr(t) + off * (int64_t)es;
    if (t->dtype == work && (sn == 1 || n == 1) && sm > 0) { /* rows contiguous: tiled transpose */
        if (work == BN_DTYPE_F64) LA_TRANSPOSE(double, (const double *)base, sm, (double *)dst, ld, m, n);
        else LA_TRANSPOSE(float, (const float *)base, sm, (float *)dst, ld, m, n);
        goto check;
    }
    /* Blocks of LA_ROWS rows: a row-major source is then read a few cache
     * lines at a time rather than one line per element of a long column. */
    int64_t rows = sm == 1 ? m : LA_ROWS; /* contiguous columns: whole */
    for (int64_t i0 = 0; i0 < m; i0 += rows) {
        int64_t r = m - i0 < rows ? m - i0 : rows;
        for (int64_t j = 0; j < n; j++)
            cvt(base + (i0 * sm + j * sn) * (int64_t)es, (ptrdiff_t)(sm * (int64_t)es),
                (char *)dst + (size_t)(j * ld + i0) * ws, (ptrdiff_t)ws, (size_t)r);
    }
check:
    if (!bni_la_nonfinite(work, dst, m, n, ld)) return BN_OK;
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < m; i++) {
            double v = work == BN_DTYPE_F64 ? ((const double *)dst)[j * ld + i] : ((const float *)dst)[j * ld + i];
            if (isfinite(v)) continue;
            return bni_error(BN_ERR_INVALID_ARGUMENT,
                             "%s: %s has %s at row %" PRId64 ", column %" PRId64 " of batch matrix %" PRId64
                             "; LAPACK needs finite input",
                             fn, what, isnan(v) ? "NaN" : "an infinity", transposed ? j : i, transposed ? i : j,
                             batch);
        }
    return BN_OK;
}

bn_status bni_la_load(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t m, int64_t n,
                      int64_t sm, int64_t sn, bn_dtype work, void *dst, int64_t ld, int64_t batch) {
    return load(fn, what, t, off, m, n, sm, sn, work, dst, ld, batch, 0);
}

bn_status bni_la_load_t(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t m, int64_t n,
                        int64_t sm, int64_t sn, bn_dtype work, void *dst, int64_t ld, int64_t batch) {
    return load(fn, what, t, off, n, m, sn, sm, work, dst, ld, batch, 1);
}

void bni_la_store(bn_tensor *t, int64_t off, int64_t m, int64_t n, int64_t sm, int64_t sn, bn_dtype work,
                  const void *src, int64_t ld) {
    size_t es = bni_dtype_size(t->dtype), ws = bni_dtype_size(work);
    bni_cvt_fn cvt = bni_cvt_get(work, t->dtype);
    char *base = bni_la_ptr(t) + off * (int64_t)es;
    if (t->dtype == work && sn == 1 && sm > 0 && m > 1 && n > 1) { /* row-major output: tiled transpose */
        if (work == BN_DTYPE_F64) LA_TRANSPOSE(double, (const double *)src, ld, (double *)base, sm, n, m);
        else LA_TRANSPOSE(float, (const float *)src, ld, (float *)base, sm, n, m);
        return;
    }
    int64_t rows = sm == 1 ? m : LA_ROWS;
    for (int64_t i0 = 0; i0 < m; i0 += rows) {
        int64_t r = m - i0 < rows ? m - i0 : rows;
        for (int64_t j = 0; j < n; j++)
            cvt((const char *)src + (size_t)(j * ld + i0) * ws, (ptrdiff_t)ws, base + (i0 * sm + j * sn) * (int64_t)es,
                (ptrdiff_t)(sm * (int64_t)es), (size_t)r);
    }
}

void bni_la_extent(const bn_tensor *t, int64_t *lo, int64_t *hi) {
    int64_t l = t->offset, h = t->offset;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] == 0) {
            *lo = 1;
            *hi = 0;
            return;
        }
        int64_t span = (t->shape[d] - 1) * t->strides[d];
        if (span < 0) l += span;
        else h += span;
    }
    *lo = l;
    *hi = h;
}
