/* Internal: row helpers shared by softmax, normalization and RoPE (one
 * row = the elements along one axis for fixed other indices). */
#ifndef BITNET_OPS_REDUCE_COMMON_H
#define BITNET_OPS_REDUCE_COMMON_H

#include "ops/ops_internal.h"

typedef struct bni_rows {
    int n; /* outer dims */
    int64_t shape[BN_MAX_DIMS];
    ptrdiff_t xs[BN_MAX_DIMS], os[BN_MAX_DIMS]; /* bytes */
    const char *xb;
    char *ob;
    int64_t nrows, len;
    ptrdiff_t xstep, ostep; /* byte stride along a row */
} bni_rows;

/* Rows of x and out (same shape) along `axis` (already normalized). */
void bni_rows_init(bni_rows *r, const bn_tensor *x, const bn_tensor *out, int axis);
/* First elements of row `row` (rows in row-major order of the other dims). */
void bni_rows_at(const bni_rows *r, int64_t row, const char **xp, char **op);

/* Rows [begin, e) that follow each other in memory in both x and out
 * (rows of row_bytes): returns e (> begin) and the first row's pointers,
 * for the multi-row kernels. */
size_t bni_rows_contiguous_run(const bni_rows *r, size_t begin, size_t end, size_t row_bytes, const char **xp,
                               char **op);

/* n elements of dtype dt at p (byte stride s) to or from f32 / f64. */
void bni_load_row_f32(bn_dtype dt, const char *p, ptrdiff_t s, int64_t n, float *buf);
void bni_store_row_f32(bn_dtype dt, char *p, ptrdiff_t s, int64_t n, const float *buf);
void bni_load_row_f64(bn_dtype dt, const char *p, ptrdiff_t s, int64_t n, double *buf);
void bni_store_row_f64(bn_dtype dt, char *p, ptrdiff_t s, int64_t n, const double *buf);

/* Normalize an axis; BN_ERR_INVALID_ARGUMENT naming fn when out of range. */
bn_status bni_norm_axis(const char *fn, int axis, int ndim, int *out);

#endif
