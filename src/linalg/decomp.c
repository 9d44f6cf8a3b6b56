/* The public LAPACK-based functions: argument, dtype and shape checks,
 * output allocation, and dispatch to the f32 or f64 kernels
 * (lapack_ops.h). Outputs are handed to the caller only on success. */
#include <inttypes.h>
#include <string.h>

#include "linalg/linalg_internal.h"

#define DISPATCH(a, name, ...)                                                                                    \
    (bni_la_work((a)->dtype) == BN_DTYPE_F64 ? bni_la_##name##_f64(__VA_ARGS__) : bni_la_##name##_f32(__VA_ARGS__))

/* Up to four outputs allocated together and freed together on failure. */
typedef struct outs {
    bn_tensor *t[4];
} outs;

static void outs_free(outs *o) {
    for (int i = 0; i < 4; i++) {
        bn_tensor_free(o->t[i]);
        o->t[i] = NULL;
    }
}

/* A new contiguous output: the nb batch sizes of batch, then `extra` sizes. */
static bn_status out_new(const char *fn, const bn_tensor *a, bn_dtype dt, int nb, const int64_t *batch, int nextra,
                         const int64_t *extra, bn_tensor **out) {
    int64_t shape[BN_MAX_DIMS + 2];
    if (nb + nextra > BN_MAX_DIMS)
        return bni_error(BN_ERR_SHAPE, "%s: the result would have %d dimensions, more than %d", fn, nb + nextra,
                         BN_MAX_DIMS);
    for (int d = 0; d < nb; d++) shape[d] = batch[d];
    for (int d = 0; d < nextra; d++) shape[nb + d] = extra[d];
    return bni_tensor_alloc(fn, bn_tensor_ctx(a), dt, nb + nextra, shape, 0, out);
}

/* The checks every function starts with. */
static bn_status prologue(const char *fn, const bn_tensor *a, int square) {
    bn_status st;
    if ((st = bni_la_check_float(fn, "a", a))) return st;
    if ((st = bni_la_check_matrix(fn, a, square))) return st;
    bni_la_set_threads(bn_tensor_ctx(a));
    return BN_OK;
}

bn_status bn_linalg_svd(const bn_tensor *a, bn_svd_mode mode, bn_tensor **u, bn_tensor **s, bn_tensor **vh) {
    static const char fn[] = "bn_linalg_svd";
    BNI_CHECK_NULL("bn_linalg_svd", a);
    BNI_CHECK_NULL("bn_linalg_svd", s);
    if (mode != BN_SVD_FULL && mode != BN_SVD_THIN && mode != BN_SVD_VALUES)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: mode %d is not a bn_svd_mode", fn, (int)mode);
    if (mode != BN_SVD_VALUES && (!u || !vh))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: u and vh are needed unless mode is BN_SVD_VALUES", fn);
    bn_status st = prologue(fn, a, 0);
    if (st) return st;
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = m < n ? m : n;
    int64_t ushape[2] = {m, mode == BN_SVD_FULL ? m : k}, vshape[2] = {mode == BN_SVD_FULL ? n : k, n};
    outs o = {{0}};
    if ((st = out_new(fn, a, a->dtype, nb, a->shape, 1, &k, &o.t[1]))) return st;
    if (mode != BN_SVD_VALUES && ((st = out_new(fn, a, a->dtype, nb, a->shape, 2, ushape, &o.t[0])) ||
                                  (st = out_new(fn, a, a->dtype, nb, a->shape, 2, vshape, &o.t[2])))) {
        outs_free(&o);
        return st;
    }
    if ((st = DISPATCH(a, svd, fn, a, mode, o.t[0], o.t[1], o.t[2]))) {
        outs_free(&o);
        return st;
    }
    if (mode != BN_SVD_VALUES) {
        *u = o.t[0];
        *vh = o.t[2];
    }
    *s = o.t[1];
    return BN_OK;
}

bn_status bn_linalg_qr(const bn_tensor *a, bn_qr_mode mode, bn_tensor **q, bn_tensor **r) {
    static const char fn[] = "bn_linalg_qr";
    BNI_CHECK_NULL("bn_linalg_qr", a);
    BNI_CHECK_NULL("bn_linalg_qr", q);
    BNI_CHECK_NULL("bn_linalg_qr", r);
    if (mode != BN_QR_REDUCED && mode != BN_QR_COMPLETE)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: mode %d is not a bn_qr_mode", fn, (int)mode);
    bn_status st = prologue(fn, a, 0);
    if (st) return st;
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = m < n ? m : n;
    int64_t qs[2] = {m, mode == BN_QR_COMPLETE ? m : k}, rs[2] = {mode == BN_QR_COMPLETE ? m : k, n};
    outs o = {{0}};
    if ((st = out_new(fn, a, a->dtype, nb, a->shape, 2, qs, &o.t[0])) ||
        (st = out_new(fn, a, a->dtype, nb, a->shape, 2, rs, &o.t[1])) ||
        (st = DISPATCH(a, qr, fn, a, mode, o.t[0], o.t[1]))) {
        outs_free(&o);
        return st;
    }
    *q = o.t[0];
    *r = o.t[1];
    return BN_OK;
}

static bn_status check_uplo(const char *fn, bn_uplo uplo) {
    if (uplo != BN_LOWER && uplo != BN_UPPER)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: uplo %d is neither BN_LOWER nor BN_UPPER", fn, (int)uplo);
    return BN_OK;
}

bn_status bn_linalg_cholesky(const bn_tensor *a, bn_uplo uplo, bn_tensor **out) {
    static const char fn[] = "bn_linalg_cholesky";
    BNI_CHECK_NULL("bn_linalg_cholesky", a);
    BNI_CHECK_NULL("bn_linalg_cholesky", out);
    bn_status st;
    if ((st = check_uplo(fn, uplo)) || (st = prologue(fn, a, 1))) return st;
    bn_tensor *r = NULL;
    if ((st = out_new(fn, a, a->dtype, a->ndim, a->shape, 0, NULL, &r))) return st;
    if ((st = DISPATCH(a, cholesky, fn, a, uplo, r))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_linalg_eigh(const bn_tensor *a, bn_uplo uplo, bn_tensor **values, bn_tensor **vectors) {
    static const char fn[] = "bn_linalg_eigh";
    BNI_CHECK_NULL("bn_linalg_eigh", a);
    BNI_CHECK_NULL("bn_linalg_eigh", values);
    bn_status st;
    if ((st = check_uplo(fn, uplo)) || (st = prologue(fn, a, 1))) return st;
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb];
    outs o = {{0}};
    if ((st = out_new(fn, a, a->dtype, nb, a->shape, 1, &n, &o.t[0])) ||
        (vectors && (st = out_new(fn, a, a->dtype, a->ndim, a->shape, 0, NULL, &o.t[1]))) ||
        (st = DISPATCH(a, eigh, fn, a, uplo, o.t[0], o.t[1]))) {
        outs_free(&o);
        return st;
    }
    *values = o.t[0];
    if (vectors) *vectors = o.t[1];
    return BN_OK;
}

bn_status bn_linalg_eig(const bn_tensor *a, bn_tensor **values, bn_tensor **vectors) {
    static const char fn[] = "bn_linalg_eig";
    BNI_CHECK_NULL("bn_linalg_eig", a);
    BNI_CHECK_NULL("bn_linalg_eig", values);
    bn_status st = prologue(fn, a, 1);
    if (st) return st;
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb];
    int64_t ws[2] = {n, 2}, vs[3] = {n, n, 2};
    outs o = {{0}};
    if ((st = out_new(fn, a, a->dtype, nb, a->shape, 2, ws, &o.t[0])) ||
        (vectors && (st = out_new(fn, a, a->dtype, nb, a->shape, 3, vs, &o.t[1]))) ||
        (st = DISPATCH(a, eig, fn, a, o.t[0], o.t[1]))) {
        outs_free(&o);
        return st;
    }
    *values = o.t[0];
    if (vectors) *vectors = o.t[1];
    return BN_OK;
}

/* Shapes of solve/lstsq: a [..., m, n], b [m] or [..., m, k]; writes whether b
 * is a vector, the broadcast batch and the shape of x. */
static bn_status rhs_shape(const char *fn, const bn_tensor *a, const bn_tensor *b, int *vec, int *nb,
                           int64_t *bshape, int *xndim, int64_t *xshape) {
    char sa[160], sb[160];
    bn_status st;
    if ((st = bni_la_check_float(fn, "b", b))) return st;
    if (a->dtype != b->dtype)
        return bni_error(BN_ERR_DTYPE, "%s: a is %s and b is %s; both need the same dtype", fn,
                         bn_dtype_name(a->dtype), bn_dtype_name(b->dtype));
    int anb = a->ndim - 2;
    int64_t m = a->shape[anb], n = a->shape[anb + 1];
    bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
    bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
    *vec = b->ndim == 1;
    if (b->ndim == 0 || b->shape[*vec ? 0 : b->ndim - 2] != m)
        return bni_error(BN_ERR_SHAPE, "%s: a is %s, b is %s; b must be [%" PRId64 "] or [..., %" PRId64 ", k]", fn,
                         sa, sb, m, m);
    if (*vec) {
        *nb = anb;
        memcpy(bshape, a->shape, sizeof(int64_t) * (size_t)anb);
    } else if ((st = bn_broadcast_shapes(anb, a->shape, b->ndim - 2, b->shape, nb, bshape)) != BN_OK) {
        return bni_error(BN_ERR_SHAPE, "%s: batch dimensions do not broadcast: a is %s, b is %s", fn, sa, sb);
    }
    if ((st = bni_la_check_int(fn, *vec ? 1 : b->shape[b->ndim - 1]))) return st;
    *xndim = *nb;
    memcpy(xshape, bshape, sizeof(int64_t) * (size_t)*nb);
    xshape[(*xndim)++] = n;
    if (!*vec) xshape[(*xndim)++] = b->shape[b->ndim - 1];
    return BN_OK;
}

bn_status bn_linalg_solve(const bn_tensor *a, const bn_tensor *b, bn_tensor **x) {
    static const char fn[] = "bn_linalg_solve";
    BNI_CHECK_NULL("bn_linalg_solve", a);
    BNI_CHECK_NULL("bn_linalg_solve", b);
    BNI_CHECK_NULL("bn_linalg_solve", x);
    bn_status st = prologue(fn, a, 1);
    if (st) return st;
    int vec, nb, xndim;
    int64_t bshape[BN_MAX_DIMS], xshape[BN_MAX_DIMS + 2];
    if ((st = rhs_shape(fn, a, b, &vec, &nb, bshape, &xndim, xshape))) return st;
    bn_tensor *r = NULL;
    if ((st = out_new(fn, a, a->dtype, xndim, xshape, 0, NULL, &r))) return st;
    if ((st = DISPATCH(a, solve, fn, a, b, vec, nb, bshape, r))) {
        bn_tensor_free(r);
        return st;
    }
    *x = r;
    return BN_OK;
}

bn_status bn_linalg_lstsq(const bn_tensor *a, const bn_tensor *b, double rcond, bn_tensor **x) {
    static const char fn[] = "bn_linalg_lstsq";
    BNI_CHECK_NULL("bn_linalg_lstsq", a);
    BNI_CHECK_NULL("bn_linalg_lstsq", b);
    BNI_CHECK_NULL("bn_linalg_lstsq", x);
    if (rcond != rcond) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: rcond is NaN", fn);
    bn_status st = prologue(fn, a, 0);
    if (st) return st;
    int vec, nb, xndim;
    int64_t bshape[BN_MAX_DIMS], xshape[BN_MAX_DIMS + 2];
    if ((st = rhs_shape(fn, a, b, &vec, &nb, bshape, &xndim, xshape))) return st;
    bn_tensor *r = NULL;
    if ((st = out_new(fn, a, a->dtype, xndim, xshape, 0, NULL, &r))) return st;
    if ((st = DISPATCH(a, lstsq, fn, a, b, vec, nb, bshape, rcond, r))) {
        bn_tensor_free(r);
        return st;
    }
    *x = r;
    return BN_OK;
}

bn_status bn_linalg_inv(const bn_tensor *a, bn_tensor **out) {
    static const char fn[] = "bn_linalg_inv";
    BNI_CHECK_NULL("bn_linalg_inv", a);
    BNI_CHECK_NULL("bn_linalg_inv", out);
    bn_status st = prologue(fn, a, 1);
    if (st) return st;
    bn_tensor *r = NULL;
    if ((st = out_new(fn, a, a->dtype, a->ndim, a->shape, 0, NULL, &r))) return st;
    if ((st = DISPATCH(a, inv, fn, a, r))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_linalg_det(const bn_tensor *a, bn_tensor **out) {
    static const char fn[] = "bn_linalg_det";
    BNI_CHECK_NULL("bn_linalg_det", a);
    BNI_CHECK_NULL("bn_linalg_det", out);
    bn_status st = prologue(fn, a, 1);
    if (st) return st;
    bn_tensor *r = NULL;
    if ((st = out_new(fn, a, a->dtype, a->ndim - 2, a->shape, 0, NULL, &r))) return st;
    if ((st = DISPATCH(a, slogdet, fn, a, r, NULL, NULL))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_linalg_slogdet(const bn_tensor *a, bn_tensor **sign, bn_tensor **logabsdet) {
    static const char fn[] = "bn_linalg_slogdet";
    BNI_CHECK_NULL("bn_linalg_slogdet", a);
    BNI_CHECK_NULL("bn_linalg_slogdet", sign);
    BNI_CHECK_NULL("bn_linalg_slogdet", logabsdet);
    bn_status st = prologue(fn, a, 1);
    if (st) return st;
    outs o = {{0}};
    if ((st = out_new(fn, a, a->dtype, a->ndim - 2, a->shape, 0, NULL, &o.t[0])) ||
        (st = out_new(fn, a, a->dtype, a->ndim - 2, a->shape, 0, NULL, &o.t[1])) ||
        (st = DISPATCH(a, slogdet, fn, a, NULL, o.t[0], o.t[1]))) {
        outs_free(&o);
        return st;
    }
    *sign = o.t[0];
    *logabsdet = o.t[1];
    return BN_OK;
}

/* rank, pinv, cond: one SVD each. */
static bn_status svdfun(const char *fn, const bn_tensor *a, int what, double tol, bn_tensor **out) {
    if (!a || !out) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, a ? "out" : "a");
    if (tol != tol) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: the tolerance is NaN", fn);
    bn_status st = prologue(fn, a, 0);
    if (st) return st;
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1];
    if (what == BNI_LA_COND && (m == 0 || n == 0)) {
        char sa[160];
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        return bni_error(BN_ERR_SHAPE, "%s: a is %s; the condition number of an empty matrix is undefined", fn, sa);
    }
    int64_t ps[2] = {n, m};
    bn_tensor *r = NULL;
    bn_dtype dt = what == BNI_LA_RANK ? BN_DTYPE_I64 : a->dtype;
    if ((st = out_new(fn, a, dt, nb, a->shape, what == BNI_LA_PINV ? 2 : 0, ps, &r))) return st;
    if ((st = DISPATCH(a, svdfun, fn, a, what, tol, r))) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_linalg_matrix_rank(const bn_tensor *a, double tol, bn_tensor **out) {
    return svdfun("bn_linalg_matrix_rank", a, BNI_LA_RANK, tol, out);
}

bn_status bn_linalg_pinv(const bn_tensor *a, double rcond, bn_tensor **out) {
    return svdfun("bn_linalg_pinv", a, BNI_LA_PINV, rcond, out);
}

bn_status bn_linalg_cond(const bn_tensor *a, bn_tensor **out) {
    return svdfun("bn_linalg_cond", a, BNI_LA_COND, -1.0, out);
}
