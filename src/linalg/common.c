/* Helpers shared by the linear-algebra sources: thread count, broadcast
 * batch strides, checks, and the column-major copies LAPACK works on. */
#include <cblas.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
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

/* Copy n contiguous elements of the working dtype and say whether any is
 * NaN or infinite (exponent all ones: ((bits >> shift) & emask) + 1
 * carries into the next bit), in one pass that the compiler vectorizes
 * with integer operations. */
static int copy_check32(const uint32_t *restrict s, uint32_t *restrict d, int64_t n) {
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t v = s[i];
        d[i] = v;
        acc |= (((v >> 23) & 0xFFu) + 1u) >> 8;
    }
    return acc != 0;
}

static int copy_check64(const uint64_t *restrict s, uint64_t *restrict d, int64_t n) {
    uint64_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = s[i];
        d[i] = v;
        acc |= (((v >> 52) & 0x7FFu) + 1u) >> 11;
    }
    return acc != 0;
}

/* The same loops 8 or 4 lanes wide on x86 with AVX2 (chosen by
 * bn_cpu_isa(), so BITNET_ISA can force the portable code): a row of a
 * 256 x 256 f32 matrix is then copied and checked as fast as memcpy. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LA_HAVE_AVX2 1
__attribute__((target("avx2"))) static int copy_check32_avx2(const uint32_t *restrict s, uint32_t *restrict d,
                                                             int64_t n) {
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t v = s[i];
        d[i] = v;
        acc |= (((v >> 23) & 0xFFu) + 1u) >> 8;
    }
    return acc != 0;
}

__attribute__((target("avx2"))) static int copy_check64_avx2(const uint64_t *restrict s, uint64_t *restrict d,
                                                             int64_t n) {
    uint64_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = s[i];
        d[i] = v;
        acc |= (((v >> 52) & 0x7FFu) + 1u) >> 11;
    }
    return acc != 0;
}
#endif

/* The check alone (d = NULL): the same exponent test over n contiguous elements. */
#define LA_SCAN_BODY(T, shift, emask, carry)                  \
    T acc = 0;                                                \
    for (int64_t i = 0; i < n; i++) acc |= (((s[i] >> (shift)) & (emask)) + 1u) >> (carry); \
    return acc != 0;

static int scan32(const uint32_t *s, int64_t n) { LA_SCAN_BODY(uint32_t, 23, 0xFFu, 8) }
static int scan64(const uint64_t *s, int64_t n) { LA_SCAN_BODY(uint64_t, 52, 0x7FFu, 11) }
#ifdef LA_HAVE_AVX2
__attribute__((target("avx2"))) static int scan32_avx2(const uint32_t *s, int64_t n) {
    LA_SCAN_BODY(uint32_t, 23, 0xFFu, 8)
}
__attribute__((target("avx2"))) static int scan64_avx2(const uint64_t *s, int64_t n) {
    LA_SCAN_BODY(uint64_t, 52, 0x7FFu, 11)
}
#endif

static int la_avx2(void) {
#ifdef LA_HAVE_AVX2
    static atomic_int avx2 = -1; /* every thread computes the same value */
    int use = atomic_load_explicit(&avx2, memory_order_relaxed);
    if (use < 0) {
        use = bn_cpu_isa() >= BN_ISA_AVX2 && bn_cpu_isa() <= BN_ISA_AVX512;
        atomic_store_explicit(&avx2, use, memory_order_relaxed);
    }
    return use;
#else
    return 0;
#endif
}

int bni_la_nonfinite(bn_dtype work, const void *p, int64_t m, int64_t n, int64_t ld) {
    int avx2 = la_avx2();
    for (int64_t j = 0; j < n; j++) {
        int bad;
        if (work == BN_DTYPE_F64) {
            const uint64_t *c = (const uint64_t *)p + j * ld;
#ifdef LA_HAVE_AVX2
            if (avx2) bad = scan64_avx2(c, m);
            else
#endif
                bad = scan64(c, m);
        } else {
            const uint32_t *c = (const uint32_t *)p + j * ld;
#ifdef LA_HAVE_AVX2
            if (avx2) bad = scan32_avx2(c, m);
            else
#endif
                bad = scan32(c, m);
        }
        if (bad) return 1;
    }
    (void)avx2;
    return 0;
}

static int copy_check(bn_dtype work, const void *s, void *d, int64_t n) {
#ifdef LA_HAVE_AVX2
    if (la_avx2()) return work == BN_DTYPE_F64 ? copy_check64_avx2(s, d, n) : copy_check32_avx2(s, d, n);
#endif
    return work == BN_DTYPE_F64 ? copy_check64(s, d, n) : copy_check32(s, d, n);
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
    if (t->dtype == work && (sm == 1 || m == 1)) { /* columns contiguous: copy them, checking as we go */
        int bad = 0;
        for (int64_t j = 0; j < n; j++)
            bad |= copy_check(work, base + j * sn * (int64_t)es, (char *)dst + (size_t)(j * ld) * ws, m);
        if (!bad) return BN_OK;
        goto locate;
    }
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
locate:
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

/* The message for the first non-finite element of A's triangle in dst
 * (row-major, row stride ld: dst[i * ld + j] = A(i, j), or A(j, i) when
 * transposed), in column-major order of A. */
static bn_status tri_locate(const char *fn, const char *what, bn_dtype work, const void *dst, int64_t n, int64_t ld,
                            int upper, int transposed, int64_t batch) {
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = upper ? 0 : j; i < (upper ? j + 1 : n); i++) {
            int64_t e = transposed ? j * ld + i : i * ld + j;
            double v = work == BN_DTYPE_F64 ? ((const double *)dst)[e] : ((const float *)dst)[e];
            if (isfinite(v)) continue;
            return bni_error(BN_ERR_INVALID_ARGUMENT,
                             "%s: %s has %s at row %" PRId64 ", column %" PRId64 " of batch matrix %" PRId64
                             "; LAPACK needs finite input",
                             fn, what, isnan(v) ? "NaN" : "an infinity", i, j, batch);
        }
    return BN_OK;
}

bn_status bni_la_load_tri(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t n, int64_t sm,
                          int64_t sn, int upper, int transposed, int zero, bn_dtype work, void *dst, int64_t ld,
                          int64_t batch) {
    size_t es = bni_dtype_size(t->dtype), ws = bni_dtype_size(work);
    const char *base = bni_la_ptr(t) + off * (int64_t)es;
    char *d = dst;
    /* dst row i holds A's row i (or column i when transposed): the part
     * [lo, hi) of it lies in the triangle that is copied. */
    int up = upper ^ transposed;
    int64_t rs = transposed ? sn : sm, cs = transposed ? sm : sn; /* strides of dst's rows and columns in A */
    int bad = 0;
    if (t->dtype == work && cs == 1) { /* contiguous rows: copy them, checking as we go */
        for (int64_t i = 0; i < n; i++) {
            int64_t lo = up ? i : 0, hi = up ? n : i + 1;
            char *row = d + (size_t)(i * ld) * ws;
            if (zero && lo > 0) memset(row, 0, (size_t)lo * ws);
            bad |= copy_check(work, base + (i * rs + lo) * (int64_t)es, row + (size_t)lo * ws, hi - lo);
            if (zero && hi < n) memset(row + (size_t)hi * ws, 0, (size_t)(n - hi) * ws);
        }
    } else if (t->dtype == work) { /* a gathering copy in tiles of the triangle, rows written contiguously */
        for (int64_t i = 0; i < n && zero; i++) {
            char *row = d + (size_t)(i * ld) * ws;
            if (up && i > 0) memset(row, 0, (size_t)i * ws);
            if (!up && i + 1 < n) memset(row + (size_t)(i + 1) * ws, 0, (size_t)(n - i - 1) * ws);
        }
        for (int64_t i0 = 0; i0 < n; i0 += LA_TILE)
            for (int64_t j0 = up ? i0 : 0; j0 < n && (up || j0 <= i0); j0 += LA_TILE) {
                int64_t i1 = i0 + LA_TILE < n ? i0 + LA_TILE : n, j1 = j0 + LA_TILE < n ? j0 + LA_TILE : n;
                for (int64_t i = i0; i < i1; i++) {
                    int64_t ja = up ? (i > j0 ? i : j0) : j0, jb = up ? j1 : (i + 1 < j1 ? i + 1 : j1);
                    if (work == BN_DTYPE_F64) {
                        const uint64_t *sp = (const uint64_t *)(const void *)base + i * rs;
                        uint64_t *dp = (uint64_t *)(void *)d + i * ld, acc = 0;
                        for (int64_t j = ja; j < jb; j++) {
                            uint64_t v = sp[j * cs];
                            dp[j] = v;
                            acc |= (((v >> 52) & 0x7FFu) + 1u) >> 11;
                        }
                        bad |= acc != 0;
                    } else {
                        const uint32_t *sp = (const uint32_t *)(const void *)base + i * rs;
                        uint32_t *dp = (uint32_t *)(void *)d + i * ld, acc = 0;
                        for (int64_t j = ja; j < jb; j++) {
                            uint32_t v = sp[j * cs];
                            dp[j] = v;
                            acc |= (((v >> 23) & 0xFFu) + 1u) >> 8;
                        }
                        bad |= acc != 0;
                    }
                }
            }
    } else { /* converting */
        bni_cvt_fn cvt = bni_cvt_get(t->dtype, work);
        for (int64_t i = 0; i < n; i++) {
            int64_t lo = up ? i : 0, hi = up ? n : i + 1;
            char *row = d + (size_t)(i * ld) * ws;
            if (zero && lo > 0) memset(row, 0, (size_t)lo * ws);
            cvt(base + (i * rs + lo * cs) * (int64_t)es, (ptrdiff_t)(cs * (int64_t)es), row + (size_t)lo * ws,
                (ptrdiff_t)ws, (size_t)(hi - lo));
            if (zero && hi < n) memset(row + (size_t)hi * ws, 0, (size_t)(n - hi) * ws);
            bad |= bni_la_nonfinite(work, row + (size_t)lo * ws, hi - lo, 1, 0);
        }
    }
    if (!bad) return BN_OK;
    return tri_locate(fn, what, work, dst, n, ld, upper, transposed, batch);
}

/* In-place transpose of the square n x n matrix p (row stride ld) in
 * tiles across the diagonal. */
#define LA_SQUARE(T, p, n, ld)                                                                 \
    do {                                                                                       \
        for (int64_t i0 = 0; i0 < (n); i0 += LA_TILE)                                          \
            for (int64_t j0 = 0; j0 <= i0; j0 += LA_TILE) {                                    \
                int64_t i1 = i0 + LA_TILE < (n) ? i0 + LA_TILE : (n);                          \
                int64_t j1 = j0 + LA_TILE < (n) ? j0 + LA_TILE : (n);                          \
                for (int64_t i = i0; i < i1; i++)                                              \
                    for (int64_t j = j0; j < j1 && j < i; j++) {                               \
                        T t_ = (p)[j * (ld) + i];                                              \
                        (p)[j * (ld) + i] = (p)[i * (ld) + j];                                 \
                        (p)[i * (ld) + j] = t_;                                                \
                    }                                                                          \
            }                                                                                  \
    } while (0)

void bni_la_transpose_square(bn_dtype work, void *p, int64_t n, int64_t ld) {
    if (work == BN_DTYPE_F64) LA_SQUARE(double, (double *)p, n, ld);
    else LA_SQUARE(float, (float *)p, n, ld);
}

void bni_la_store_lower(bn_dtype work, const void *src, int64_t lds, void *dst, int64_t ldd, int64_t n) {
    size_t ws = bni_dtype_size(work);
    for (int64_t i0 = 0; i0 < n; i0 += LA_TILE)
        for (int64_t j0 = 0; j0 <= i0; j0 += LA_TILE) {
            int64_t i1 = i0 + LA_TILE < n ? i0 + LA_TILE : n;
            for (int64_t i = i0; i < i1; i++) {
                int64_t jb = j0 + LA_TILE < i + 1 ? j0 + LA_TILE : i + 1;
                if (work == BN_DTYPE_F64) {
                    const double *sp = (const double *)src + i;
                    double *dp = (double *)dst + i * ldd;
                    for (int64_t j = j0; j < jb; j++) dp[j] = sp[j * lds];
                } else {
                    const float *sp = (const float *)src + i;
                    float *dp = (float *)dst + i * ldd;
                    for (int64_t j = j0; j < jb; j++) dp[j] = sp[j * lds];
                }
            }
        }
    for (int64_t i = 0; i + 1 < n; i++) memset((char *)dst + (size_t)(i * ldd + i + 1) * ws, 0, (size_t)(n - i - 1) * ws);
}
