/* Views: reshape, transpose, permute, slice, squeeze, unsqueeze, expand,
 * and shape broadcasting. A view is a new handle on the same storage. */
#include <inttypes.h>
#include <string.h>

#include "core/error.h"
#include "tensor/tensor_internal.h"

#define SHAPE_BUF 192

/* Final step of every view: packed dtypes must keep their layout. */
static bn_status make_view(const char *fn, const bn_tensor *t, int ndim, const int64_t *shape,
                           const int64_t *strides, int64_t offset, bn_tensor **out) {
    if (bni_dtype_is_packed(t->dtype) && !bni_packed_view_ok(t, ndim, shape, strides, offset)) {
        char a[SHAPE_BUF], b[SHAPE_BUF];
        bni_format_shape(a, sizeof a, t->ndim, t->shape);
        bni_format_shape(b, sizeof b, ndim, shape);
        return bni_error(BN_ERR_NOT_SUPPORTED,
                         "%s: a view of %s%s as %s would break the packed layout (packed tensors allow "
                         "reshape, squeeze, unsqueeze and slices of whole groups along dimension 0); "
                         "convert it first with bn_tensor_cast",
                         fn, bn_dtype_name(t->dtype), a, b);
    }
    return bni_tensor_view(fn, t, ndim, shape, strides, offset, out);
}

static bn_status norm_dim(const char *fn, int dim, int ndim, int *out) {
    int d = dim < 0 ? dim + ndim : dim;
    if (d < 0 || d >= ndim)
        return bni_error(BN_ERR_OUT_OF_RANGE, "%s: dimension %d out of range for a %d-d tensor", fn, dim, ndim);
    *out = d;
    return BN_OK;
}

/* PyTorch's rule: the new shape is viewable when each run of old dimensions
 * that is contiguous in memory maps onto a run of new dimensions. */
static int view_strides(int ondim, const int64_t *oshape, const int64_t *ostride, int nndim,
                        const int64_t *nshape, int64_t *nstride) {
    int64_t numel = bni_numel(ondim, oshape);
    if (numel == 0) {
        bni_contiguous_strides(nndim, nshape, nstride);
        return 1;
    }
    int64_t one_shape = 1, one_stride = 1;
    if (ondim == 0) {
        ondim = 1;
        oshape = &one_shape;
        ostride = &one_stride;
    }
    int view_d = nndim - 1;
    int64_t chunk_base_stride = ostride[ondim - 1];
    int64_t tensor_numel = 1, view_numel = 1;
    for (int tensor_d = ondim - 1; tensor_d >= 0; tensor_d--) {
        tensor_numel *= oshape[tensor_d];
        if (tensor_d == 0 ||
            (oshape[tensor_d - 1] != 1 && ostride[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || nshape[view_d] == 1)) {
                nstride[view_d] = view_numel * chunk_base_stride;
                view_numel *= nshape[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return 0;
            if (tensor_d > 0) {
                chunk_base_stride = ostride[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

bn_status bn_tensor_reshape(const bn_tensor *t, int ndim, const int64_t *shape, bn_tensor **out) {
    static const char fn[] = "bn_tensor_reshape";
    BNI_CHECK_NULL("bn_tensor_reshape", t);
    BNI_CHECK_NULL("bn_tensor_reshape", out);
    if (ndim < 0 || ndim > BN_MAX_DIMS)
        return bni_error(BN_ERR_SHAPE, "%s: %d dimensions (a tensor has 0 to %d)", fn, ndim, BN_MAX_DIMS);
    if (ndim > 0 && shape == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
    char a[SHAPE_BUF], b[SHAPE_BUF], c[SHAPE_BUF];
    bni_format_shape(a, sizeof a, t->ndim, t->shape);
    bni_format_shape(b, sizeof b, ndim, shape);
    int64_t nshape[BN_MAX_DIMS];
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        nshape[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0) return bni_error(BN_ERR_SHAPE, "%s: more than one -1 in %s", fn, b);
            infer = i;
        } else if (shape[i] < 0) {
            return bni_error(BN_ERR_SHAPE, "%s: negative size %" PRId64 " in dimension %d of %s", fn, shape[i], i,
                             b);
        } else if (__builtin_mul_overflow(known, shape[i], &known)) {
            return bni_error(BN_ERR_OVERFLOW, "%s: shape %s has too many elements", fn, b);
        }
    }
    int64_t numel = bn_tensor_numel(t);
    if (infer >= 0) {
        if (known == 0 || numel % known != 0)
            return bni_error(BN_ERR_SHAPE, "%s: cannot reshape %s%s (%" PRId64 " elements) into %s", fn,
                             bn_dtype_name(t->dtype), a, numel, b);
        nshape[infer] = numel / known;
        known = numel;
    }
    if (known != numel)
        return bni_error(BN_ERR_SHAPE, "%s: cannot reshape %s%s (%" PRId64 " elements) into %s (%" PRId64
                         " elements)", fn, bn_dtype_name(t->dtype), a, numel, b, known);
    int64_t nstride[BN_MAX_DIMS];
    if (!view_strides(t->ndim, t->shape, t->strides, ndim, nshape, nstride)) {
        bni_format_shape(c, sizeof c, t->ndim, t->strides);
        bni_format_shape(b, sizeof b, ndim, nshape);
        return bni_error(BN_ERR_SHAPE,
                         "%s: cannot view %s%s with strides %s as %s: not contiguous; call bn_tensor_contiguous "
                         "first",
                         fn, bn_dtype_name(t->dtype), a, c, b);
    }
    return make_view(fn, t, ndim, nshape, nstride, t->offset, out);
}

bn_status bn_tensor_transpose(const bn_tensor *t, int dim0, int dim1, bn_tensor **out) {
    static const char fn[] = "bn_tensor_transpose";
    BNI_CHECK_NULL("bn_tensor_transpose", t);
    BNI_CHECK_NULL("bn_tensor_transpose", out);
    int d0 = 0, d1 = 0;
    bn_status st;
    if ((st = norm_dim(fn, dim0, t->ndim, &d0)) || (st = norm_dim(fn, dim1, t->ndim, &d1))) return st;
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    memcpy(strides, t->strides, sizeof strides);
    shape[d0] = t->shape[d1];
    shape[d1] = t->shape[d0];
    strides[d0] = t->strides[d1];
    strides[d1] = t->strides[d0];
    return make_view(fn, t, t->ndim, shape, strides, t->offset, out);
}

bn_status bn_tensor_permute(const bn_tensor *t, const int *perm, bn_tensor **out) {
    static const char fn[] = "bn_tensor_permute";
    BNI_CHECK_NULL("bn_tensor_permute", t);
    BNI_CHECK_NULL("bn_tensor_permute", out);
    if (t->ndim > 0 && perm == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: perm is NULL", fn);
    int seen[BN_MAX_DIMS] = {0};
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        int d = perm[i] < 0 ? perm[i] + t->ndim : perm[i];
        if (d < 0 || d >= t->ndim || seen[d]) {
            char p[SHAPE_BUF];
            int64_t pv[BN_MAX_DIMS];
            for (int j = 0; j < t->ndim; j++) pv[j] = perm[j];
            bni_format_shape(p, sizeof p, t->ndim, pv);
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is not a permutation of 0..%d", fn, p, t->ndim - 1);
        }
        seen[d] = 1;
        shape[i] = t->shape[d];
        strides[i] = t->strides[d];
    }
    return make_view(fn, t, t->ndim, shape, strides, t->offset, out);
}

bn_status bn_tensor_slice(const bn_tensor *t, int dim, int64_t start, int64_t stop, int64_t step,
                          bn_tensor **out) {
    static const char fn[] = "bn_tensor_slice";
    BNI_CHECK_NULL("bn_tensor_slice", t);
    BNI_CHECK_NULL("bn_tensor_slice", out);
    int d = 0;
    bn_status st = norm_dim(fn, dim, t->ndim, &d);
    if (st) return st;
    if (step == 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: step is 0", fn);
    int64_t n = t->shape[d], len;
    if (step > 0) {
        if (start < 0) { start += n; if (start < 0) start = 0; }
        else if (start > n) start = n;
        if (stop < 0) { stop += n; if (stop < 0) stop = 0; }
        else if (stop > n) stop = n;
        len = stop > start ? (int64_t)((uint64_t)(stop - start - 1) / (uint64_t)step) + 1 : 0;
    } else {
        if (start < 0) { start += n; if (start < 0) start = -1; }
        else if (start >= n) start = n - 1;
        if (stop < 0) { stop += n; if (stop < 0) stop = -1; }
        else if (stop >= n) stop = n - 1;
        len = start > stop ? (int64_t)((uint64_t)(start - stop - 1) / (0 - (uint64_t)step)) + 1 : 0;
    }
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    memcpy(strides, t->strides, sizeof strides);
    int64_t offset = t->offset;
    shape[d] = len;
    if (len > 0) {
        offset += start * t->strides[d];
        if (len > 1 && __builtin_mul_overflow(t->strides[d], step, &strides[d]))
            return bni_error(BN_ERR_OVERFLOW, "%s: step %" PRId64 " times stride %" PRId64 " overflows", fn, step,
                             t->strides[d]);
    }
    return make_view(fn, t, t->ndim, shape, strides, offset, out);
}

bn_status bn_tensor_squeeze(const bn_tensor *t, int dim, bn_tensor **out) {
    static const char fn[] = "bn_tensor_squeeze";
    BNI_CHECK_NULL("bn_tensor_squeeze", t);
    BNI_CHECK_NULL("bn_tensor_squeeze", out);
    int d = 0;
    bn_status st = norm_dim(fn, dim, t->ndim, &d);
    if (st) return st;
    if (t->shape[d] != 1) {
        char a[SHAPE_BUF];
        bni_format_shape(a, sizeof a, t->ndim, t->shape);
        return bni_error(BN_ERR_SHAPE, "%s: dimension %d of %s has size %" PRId64 ", not 1", fn, dim, a,
                         t->shape[d]);
    }
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == d) continue;
        shape[k] = t->shape[i];
        strides[k++] = t->strides[i];
    }
    return make_view(fn, t, k, shape, strides, t->offset, out);
}

bn_status bn_tensor_squeeze_all(const bn_tensor *t, bn_tensor **out) {
    static const char fn[] = "bn_tensor_squeeze_all";
    BNI_CHECK_NULL("bn_tensor_squeeze_all", t);
    BNI_CHECK_NULL("bn_tensor_squeeze_all", out);
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 1) continue;
        shape[k] = t->shape[i];
        strides[k++] = t->strides[i];
    }
    return make_view(fn, t, k, shape, strides, t->offset, out);
}

bn_status bn_tensor_unsqueeze(const bn_tensor *t, int dim, bn_tensor **out) {
    static const char fn[] = "bn_tensor_unsqueeze";
    BNI_CHECK_NULL("bn_tensor_unsqueeze", t);
    BNI_CHECK_NULL("bn_tensor_unsqueeze", out);
    if (t->ndim >= BN_MAX_DIMS)
        return bni_error(BN_ERR_SHAPE, "%s: a %d-d tensor cannot get another dimension (at most %d)", fn, t->ndim,
                         BN_MAX_DIMS);
    int d = 0;
    bn_status st = norm_dim(fn, dim, t->ndim + 1, &d);
    if (st) return st;
    int64_t shape[BN_MAX_DIMS], strides[BN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i <= t->ndim; i++) {
        if (i == d) {
            shape[k] = 1;
            strides[k++] = d < t->ndim ? t->shape[d] * t->strides[d] : 1;
        }
        if (i < t->ndim) {
            shape[k] = t->shape[i];
            strides[k++] = t->strides[i];
        }
    }
    return make_view(fn, t, t->ndim + 1, shape, strides, t->offset, out);
}

bn_status bni_expand_strides(const char *fn, const bn_tensor *t, int ndim, const int64_t *shape, int allow_keep,
                             int64_t *oshape, int64_t *ostrides) {
    char a[SHAPE_BUF], b[SHAPE_BUF];
    if (ndim < t->ndim || ndim > BN_MAX_DIMS || (ndim > 0 && shape == NULL)) {
        if (ndim < 0 || ndim > BN_MAX_DIMS)
            return bni_error(BN_ERR_SHAPE, "%s: %d dimensions (a tensor has 0 to %d)", fn, ndim, BN_MAX_DIMS);
        if (ndim > 0 && shape == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
        bni_format_shape(a, sizeof a, t->ndim, t->shape);
        bni_format_shape(b, sizeof b, ndim, shape);
        return bni_error(BN_ERR_SHAPE, "%s: cannot expand %s to %s: fewer dimensions", fn, a, b);
    }
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int64_t want = shape[i];
        if (i < lead) {
            if (want < 0) {
                bni_format_shape(a, sizeof a, t->ndim, t->shape);
                bni_format_shape(b, sizeof b, ndim, shape);
                return bni_error(BN_ERR_SHAPE, "%s: cannot expand %s to %s: size %" PRId64
                                 " for new dimension %d", fn, a, b, want, i);
            }
            oshape[i] = want;
            ostrides[i] = 0;
            continue;
        }
        int64_t have = t->shape[i - lead];
        if (want == -1 && allow_keep) want = have;
        if (want == have) {
            oshape[i] = have;
            ostrides[i] = t->strides[i - lead];
        } else if (have == 1 && want >= 0) {
            oshape[i] = want;
            ostrides[i] = 0;
        } else {
            bni_format_shape(a, sizeof a, t->ndim, t->shape);
            bni_format_shape(b, sizeof b, ndim, shape);
            return bni_error(BN_ERR_SHAPE, "%s: cannot expand %s to %s: dimension %d has size %" PRId64
                             ", not 1 or %" PRId64, fn, a, b, i, have, want);
        }
    }
    int64_t n;
    return bni_check_shape(fn, ndim, oshape, &n);
}

bn_status bn_tensor_expand(const bn_tensor *t, int ndim, const int64_t *shape, bn_tensor **out) {
    static const char fn[] = "bn_tensor_expand";
    BNI_CHECK_NULL("bn_tensor_expand", t);
    BNI_CHECK_NULL("bn_tensor_expand", out);
    int64_t oshape[BN_MAX_DIMS], ostrides[BN_MAX_DIMS];
    bn_status st = bni_expand_strides(fn, t, ndim, shape, 1, oshape, ostrides);
    if (st) return st;
    return make_view(fn, t, ndim, oshape, ostrides, t->offset, out);
}

bn_status bn_broadcast_shapes(int ndim_a, const int64_t *shape_a, int ndim_b, const int64_t *shape_b,
                              int *ndim_out, int64_t *shape_out) {
    static const char fn[] = "bn_broadcast_shapes";
    BNI_CHECK_NULL("bn_broadcast_shapes", ndim_out);
    BNI_CHECK_NULL("bn_broadcast_shapes", shape_out);
    bn_status st;
    if ((st = bni_check_shape(fn, ndim_a, shape_a, NULL)) || (st = bni_check_shape(fn, ndim_b, shape_b, NULL)))
        return st;
    int n = ndim_a > ndim_b ? ndim_a : ndim_b;
    int64_t res[BN_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        int ia = i - (n - ndim_a), ib = i - (n - ndim_b);
        int64_t sa = ia >= 0 ? shape_a[ia] : 1, sb = ib >= 0 ? shape_b[ib] : 1;
        if (sa == sb || sb == 1) res[i] = sa;
        else if (sa == 1) res[i] = sb;
        else {
            char a[SHAPE_BUF], b[SHAPE_BUF];
            bni_format_shape(a, sizeof a, ndim_a, shape_a);
            bni_format_shape(b, sizeof b, ndim_b, shape_b);
            return bni_error(BN_ERR_SHAPE, "%s: %s and %s do not broadcast: sizes %" PRId64 " and %" PRId64
                             " in dimension %d", fn, a, b, sa, sb, i);
        }
    }
    *ndim_out = n;
    memcpy(shape_out, res, (size_t)n * sizeof *res);
    return BN_OK;
}
