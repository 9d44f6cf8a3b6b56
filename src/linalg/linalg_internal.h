/* Internal: helpers shared by the linear-algebra sources (src/linalg):
 * data pointers, broadcast batch offsets, column-major loads and stores
 * with the finite check LAPACK needs, and OpenBLAS's thread count. */
#ifndef BITNET_LINALG_INTERNAL_H
#define BITNET_LINALG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/linalg.h"
#include "core/alloc.h"
#include "core/error.h"
#include "tensor/tensor_internal.h"

/* Address of t's element at index zero. */
static inline char *bni_la_ptr(const bn_tensor *t) {
    return (char *)t->storage->data + t->offset * (int64_t)bni_dtype_size(t->dtype);
}

/* Set OpenBLAS's (process-wide) thread count to the context's, when it differs. */
void bni_la_set_threads(bn_ctx *ctx);

/* Strides (elements) of t's first tnb dimensions seen as the last tnb of an
 * nb-dimensional batch shape bshape (t's size-1 and missing dimensions get
 * stride 0). */
void bni_la_batch_strides(const bn_tensor *t, int tnb, int nb, const int64_t *bshape, int64_t *out);

/* Element offset of batch index b (row-major over bshape) with strides str. */
static inline int64_t bni_la_batch_offset(int nb, const int64_t *bshape, const int64_t *str, int64_t b) {
    int64_t off = 0;
    for (int d = nb - 1; d >= 0 && b > 0; d--) {
        off += (b % bshape[d]) * str[d];
        b /= bshape[d];
    }
    return off;
}

/* Product of the first nb sizes. */
int64_t bni_la_count(int nb, const int64_t *shape);

/* Working precision of LAPACK calls for a float dtype: f64 for f64, else f32. */
static inline bn_dtype bni_la_work(bn_dtype dt) { return dt == BN_DTYPE_F64 ? BN_DTYPE_F64 : BN_DTYPE_F32; }

/* BN_ERR_DTYPE unless t is a float dtype (the message names fn and what). */
bn_status bni_la_check_float(const char *fn, const char *what, const bn_tensor *t);

/* BN_ERR_SHAPE unless t has >= 2 dimensions (and, when square, equal last two). */
bn_status bni_la_check_matrix(const char *fn, const bn_tensor *t, int square);

/* BN_ERR_OVERFLOW when a size does not fit LAPACK's/BLAS's int. */
bn_status bni_la_check_int(const char *fn, int64_t v);

/* Copy the m x n matrix at element offset off of t (row stride sm, column
 * stride sn) into column-major dst (leading dimension ld), converted to
 * `work`; then refuse NaN and infinities (BN_ERR_INVALID_ARGUMENT naming the
 * batch index, row and column). what names the operand ("a"). */
bn_status bni_la_load(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t m, int64_t n,
                      int64_t sm, int64_t sn, bn_dtype work, void *dst, int64_t ld, int64_t batch);

/* The same for the transpose: dst (column-major, n x m) holds Aᵀ, so a
 * row-major A is copied row by row without a transpose. For functions
 * that can work on Aᵀ (Cholesky, eigh and det of symmetric or transposed
 * problems). Messages still name A's row and column. */
bn_status bni_la_load_t(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t m, int64_t n,
                        int64_t sm, int64_t sn, bn_dtype work, void *dst, int64_t ld, int64_t batch);

/* One triangle of the n x n matrix A at element offset off of t (row
 * stride sm, column stride sn), converted to `work`, into the row-major
 * n x n matrix dst (row stride ld): dst[i * ld + j] = A(i, j) inside the
 * triangle (upper: j >= i, else j <= i) and 0 outside; transposed:
 * dst[i * ld + j] = A(j, i), i.e. the triangle lands mirrored. Only the
 * triangle is read; NaN and infinities in it are refused as bni_la_load
 * does (messages name A's row and column). A row-major A is copied row by
 * row with the check in the same pass; other layouts in tiles. With zero
 * = 0, the part outside the triangle is left as it was. */
bn_status bni_la_load_tri(const char *fn, const char *what, const bn_tensor *t, int64_t off, int64_t n, int64_t sm,
                          int64_t sn, int upper, int transposed, int zero, bn_dtype work, void *dst, int64_t ld,
                          int64_t batch);

/* dst (row-major, row stride ldd) = the lower triangle of the column-major
 * matrix src (ld lds) as row-major lower triangle, zeros above; in tiles. */
void bni_la_store_lower(bn_dtype work, const void *src, int64_t lds, void *dst, int64_t ldd, int64_t n);

/* Transpose the square n x n matrix p (dtype work, row stride ld) in place. */
void bni_la_transpose_square(bn_dtype work, void *p, int64_t n, int64_t ld);

/* Store the m x n column-major matrix src (ld, dtype work) into t at element
 * offset off with row stride sm and column stride sn, converting. */
void bni_la_store(bn_tensor *t, int64_t off, int64_t m, int64_t n, int64_t sm, int64_t sn, bn_dtype work,
                  const void *src, int64_t ld);

/* Whether any element of the m x n column-major matrix (dtype work) is not finite. */
int bni_la_nonfinite(bn_dtype work, const void *p, int64_t m, int64_t n, int64_t ld);

/* Element range [lo, hi] of t within its storage (lo > hi when empty). */
void bni_la_extent(const bn_tensor *t, int64_t *lo, int64_t *hi);

/* ---- the LAPACK kernels, once per working precision (lapack_ops.h) ---- */
#define BNI_LA_DECLARE(sfx)                                                                                     \
    bn_status bni_la_svd_##sfx(const char *fn, const bn_tensor *a, bn_svd_mode mode, bn_tensor *u, bn_tensor *s, \
                               bn_tensor *vh);                                                                  \
    bn_status bni_la_qr_##sfx(const char *fn, const bn_tensor *a, bn_qr_mode mode, bn_tensor *q, bn_tensor *r);  \
    bn_status bni_la_cholesky_##sfx(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *out);          \
    bn_status bni_la_eigh_##sfx(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *w, bn_tensor *v);  \
    bn_status bni_la_eig_##sfx(const char *fn, const bn_tensor *a, bn_tensor *w, bn_tensor *v);                 \
    bn_status bni_la_solve_##sfx(const char *fn, const bn_tensor *a, const bn_tensor *b, int vec, int nb,        \
                                 const int64_t *bshape, bn_tensor *x);                                          \
    bn_status bni_la_lstsq_##sfx(const char *fn, const bn_tensor *a, const bn_tensor *b, int vec, int nb,        \
                                 const int64_t *bshape, double rcond, bn_tensor *x);                            \
    bn_status bni_la_inv_##sfx(const char *fn, const bn_tensor *a, bn_tensor *out);                             \
    bn_status bni_la_slogdet_##sfx(const char *fn, const bn_tensor *a, bn_tensor *det, bn_tensor *sign,          \
                                   bn_tensor *logabs);                                                          \
    bn_status bni_la_svdfun_##sfx(const char *fn, const bn_tensor *a, int what, double tol, bn_tensor *out);

/* bni_la_svdfun_* `what`: */
#define BNI_LA_RANK 0
#define BNI_LA_PINV 1
#define BNI_LA_COND 2

BNI_LA_DECLARE(f32)
BNI_LA_DECLARE(f64)

#endif
