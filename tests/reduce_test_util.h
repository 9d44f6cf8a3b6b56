/* Helpers shared by the reduction, softmax, normalization and RoPE tests:
 * a reproducible generator, random tensors of any dtype, strided views of
 * them, and element access by linear row-major index. */
#ifndef BITNET_REDUCE_TEST_UTIL_H
#define BITNET_REDUCE_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static uint64_t rt_rng = 0x2545F4914F6CDD1Dull;
static inline uint64_t rt_next(void) {
    rt_rng ^= rt_rng << 13;
    rt_rng ^= rt_rng >> 7;
    rt_rng ^= rt_rng << 17;
    return rt_rng;
}
static inline int rt_int(int n) { return (int)(rt_next() % (uint64_t)n); }
static inline double rt_unif(double lo, double hi) {
    return lo + (hi - lo) * (double)(rt_next() >> 11) * (1.0 / 9007199254740992.0);
}

static inline int rt_is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F64 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16;
}

/* A contiguous tensor of dtype dt with values: floats uniform in [lo, hi),
 * integers in [ilo, ihi], bool 0/1. */
static inline bn_tensor *rt_tensor(bn_ctx *ctx, bn_dtype dt, int ndim, const int64_t *shape, double lo, double hi,
                                   int ilo, int ihi) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        if (rt_is_float(dt)) v[i] = rt_unif(lo, hi);
        else if (dt == BN_DTYPE_BOOL) v[i] = rt_int(2);
        else v[i] = ilo + rt_int(ihi - ilo + 1);
    }
    bn_tensor *f = NULL, *t = NULL;
    if (bn_tensor_from_data(ctx, BN_DTYPE_F64, ndim, shape, v, (size_t)n * sizeof(double), &f) != BN_OK ||
        bn_tensor_cast(f, dt, &t) != BN_OK) {
        fprintf(stderr, "rt_tensor: %s\n", bn_last_error());
        abort();
    }
    bn_tensor_free(f);
    free(v);
    return t;
}

/* A view of `shape` that is not contiguous (kind 1: every other element
 * of a larger tensor; kind 2: a transposed copy viewed back; kind 3: a
 * broadcast of a size-1 dimension), or contiguous (kind 0). */
static inline bn_tensor *rt_view(bn_ctx *ctx, bn_dtype dt, int ndim, const int64_t *shape, int kind, double lo,
                                 double hi, int ilo, int ihi) {
    if (kind == 0 || ndim == 0) return rt_tensor(ctx, dt, ndim, shape, lo, hi, ilo, ihi);
    bn_tensor *v = NULL;
    if (kind == 1) {
        int64_t big[BN_MAX_DIMS];
        for (int i = 0; i < ndim; i++) big[i] = shape[i] * 2;
        bn_tensor *b = rt_tensor(ctx, dt, ndim, big, lo, hi, ilo, ihi), *cur = b;
        for (int i = 0; i < ndim; i++) {
            bn_tensor *s = NULL;
            bn_tensor_slice(cur, i, i % 2, INT64_MAX, 2, &s);
            if (cur != b) bn_tensor_free(cur);
            cur = s;
        }
        bn_tensor_free(b);
        /* slices of an odd start may be short by one: trim to shape */
        for (int i = 0; i < ndim; i++) {
            bn_tensor *s = NULL;
            bn_tensor_slice(cur, i, 0, shape[i], 1, &s);
            bn_tensor_free(cur);
            cur = s;
        }
        return cur;
    }
    if (kind == 2) {
        /* reversed dims, then permuted back: strides in reverse order */
        int64_t rs[BN_MAX_DIMS];
        int perm[BN_MAX_DIMS];
        for (int i = 0; i < ndim; i++) {
            rs[i] = shape[ndim - 1 - i];
            perm[i] = ndim - 1 - i;
        }
        bn_tensor *b = rt_tensor(ctx, dt, ndim, rs, lo, hi, ilo, ihi);
        bn_tensor_permute(b, perm, &v);
        bn_tensor_free(b);
        return v;
    }
    /* kind 3: dim 0 broadcast from size 1 */
    int64_t one[BN_MAX_DIMS];
    for (int i = 0; i < ndim; i++) one[i] = shape[i];
    one[0] = 1;
    bn_tensor *b = rt_tensor(ctx, dt, ndim, one, lo, hi, ilo, ihi);
    bn_tensor_expand(b, ndim, shape, &v);
    bn_tensor_free(b);
    return v;
}

/* Element at row-major linear index i. */
static inline double rt_get(const bn_tensor *t, int64_t i) {
    int nd = bn_tensor_ndim(t);
    const int64_t *sh = bn_tensor_shape(t);
    int64_t idx[BN_MAX_DIMS];
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = i % sh[d];
        i /= sh[d];
    }
    double v = 0;
    bn_tensor_get(t, idx, &v);
    return v;
}

/* Round a double to dtype dt's precision (floats). */
static inline double rt_round(bn_dtype dt, double v) {
    switch (dt) {
    case BN_DTYPE_F32: return (float)v;
    case BN_DTYPE_F16: return bn_f16_to_f32(bn_f32_to_f16((float)v));
    case BN_DTYPE_BF16: return bn_bf16_to_f32(bn_f32_to_bf16((float)v));
    default: return v;
    }
}

/* Unit roundoff of a float dtype. */
static inline double rt_eps(bn_dtype dt) {
    switch (dt) {
    case BN_DTYPE_F32: return 0x1p-24;
    case BN_DTYPE_F16: return 0x1p-11;
    case BN_DTYPE_BF16: return 0x1p-8;
    default: return 0x1p-53;
    }
}

#endif
