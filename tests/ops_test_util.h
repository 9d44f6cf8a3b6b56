/* Helpers shared by the element-wise op tests: random tensors (contiguous
 * or as transposed, stepped-slice or expanded views), exact element reads
 * by raw address, and tolerances from a dtype's epsilon. */
#ifndef BITNET_OPS_TEST_UTIL_H
#define BITNET_OPS_TEST_UTIL_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>

#include "test_util.h"

static uint64_t ot_rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t ot_next(void) {
    ot_rng ^= ot_rng << 13;
    ot_rng ^= ot_rng >> 7;
    ot_rng ^= ot_rng << 17;
    return ot_rng;
}
static inline double ot_unif(double lo, double hi) { return lo + (hi - lo) * (double)(ot_next() >> 11) / 9007199254740992.0; }
static inline int64_t ot_int(int64_t lo, int64_t hi) { return lo + (int64_t)(ot_next() % (uint64_t)(hi - lo + 1)); }

static inline int ot_is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F64 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16;
}
static inline int ot_is_signed(bn_dtype d) {
    return d == BN_DTYPE_I8 || d == BN_DTYPE_I16 || d == BN_DTYPE_I32 || d == BN_DTYPE_I64;
}

/* Address of the element at a row-major flat index of t's shape. */
static inline const char *ot_addr(const bn_tensor *t, int64_t flat) {
    int nd = bn_tensor_ndim(t);
    const int64_t *sh = bn_tensor_shape(t), *st = bn_tensor_strides(t);
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        if (sh[d] == 0) return NULL;
        off += (flat % sh[d]) * st[d];
        flat /= sh[d];
    }
    size_t esz = (size_t)bn_dtype_get_info(bn_tensor_dtype(t))->bits / 8;
    return (const char *)bn_tensor_data(t) + off * (int64_t)esz;
}

/* Exact value of an element: floats as double, integers as int64 (u64 in *u). */
typedef struct ot_val {
    double f;
    int64_t i;
    uint64_t u;
} ot_val;

static inline ot_val ot_read(const bn_tensor *t, int64_t flat) {
    const char *p = ot_addr(t, flat);
    ot_val v = {0, 0, 0};
    switch (bn_tensor_dtype(t)) {
    case BN_DTYPE_F32: { float x; memcpy(&x, p, 4); v.f = x; break; }
    case BN_DTYPE_F64: memcpy(&v.f, p, 8); break;
    case BN_DTYPE_F16: { uint16_t h; memcpy(&h, p, 2); v.f = bn_f16_to_f32(h); break; }
    case BN_DTYPE_BF16: { uint16_t h; memcpy(&h, p, 2); v.f = bn_bf16_to_f32(h); break; }
    case BN_DTYPE_I8: v.i = *(const int8_t *)p; break;
    case BN_DTYPE_I16: { int16_t x; memcpy(&x, p, 2); v.i = x; break; }
    case BN_DTYPE_I32: { int32_t x; memcpy(&x, p, 4); v.i = x; break; }
    case BN_DTYPE_I64: memcpy(&v.i, p, 8); break;
    case BN_DTYPE_U8: v.i = *(const uint8_t *)p; break;
    case BN_DTYPE_U16: { uint16_t x; memcpy(&x, p, 2); v.i = x; break; }
    case BN_DTYPE_U32: { uint32_t x; memcpy(&x, p, 4); v.i = x; break; }
    case BN_DTYPE_U64: memcpy(&v.u, p, 8); v.i = (int64_t)v.u; break;
    case BN_DTYPE_BOOL: v.i = *(const uint8_t *)p != 0; break;
    default: break;
    }
    if (!ot_is_float(bn_tensor_dtype(t))) {
        if (bn_tensor_dtype(t) != BN_DTYPE_U64) v.u = (uint64_t)v.i;
        v.f = bn_tensor_dtype(t) == BN_DTYPE_U64 ? (double)v.u : (double)v.i;
    }
    return v;
}

/* Epsilon and smallest normal of a float dtype. */
static inline double ot_eps(bn_dtype d) {
    switch (d) {
    case BN_DTYPE_F64: return ldexp(1.0, -52);
    case BN_DTYPE_F16: return ldexp(1.0, -10);
    case BN_DTYPE_BF16: return ldexp(1.0, -7);
    default: return ldexp(1.0, -23);
    }
}
static inline double ot_tiny(bn_dtype d) {
    switch (d) {
    case BN_DTYPE_F64: return DBL_MIN;
    case BN_DTYPE_F16: return ldexp(1.0, -14);
    default: return FLT_MIN;
    }
}
/* One ulp of dtype d at value v (subnormals: the subnormal spacing). */
static inline double ot_ulp(bn_dtype d, double v) {
    double a = fabs(v);
    if (a < ot_tiny(d)) a = ot_tiny(d);
    return ldexp(1.0, ilogb(a)) * ot_eps(d);
}
/* The double v rounded to float dtype d. */
static inline double ot_round(bn_dtype d, double v) {
    switch (d) {
    case BN_DTYPE_F32: return (float)v;
    case BN_DTYPE_F16: return bn_f16_to_f32(bn_f32_to_f16((float)v)); /* double rounding: within tolerance */
    case BN_DTYPE_BF16: return bn_bf16_to_f32(bn_f32_to_bf16((float)v));
    default: return v;
    }
}
/* got vs ref within tol (NaN matches NaN, infinities must be equal). */
static inline int ot_close(double got, double ref, double tol) {
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got);
    if (isinf(ref) || isinf(got)) return got == ref;
    return fabs(got - ref) <= tol;
}

/* A random value suitable for dtype d (floats in [lo, hi]). */
static inline double ot_value(bn_dtype d, double lo, double hi) {
    switch (d) {
    case BN_DTYPE_I8: return (double)ot_int(-128, 127);
    case BN_DTYPE_I16: return (double)ot_int(-32768, 32767);
    case BN_DTYPE_I32: return (double)ot_int(-2147483647 - 1, 2147483647);
    case BN_DTYPE_I64: return (double)ot_int(-((int64_t)1 << 50), (int64_t)1 << 50);
    case BN_DTYPE_U8: return (double)ot_int(0, 255);
    case BN_DTYPE_U16: return (double)ot_int(0, 65535);
    case BN_DTYPE_U32: return (double)ot_int(0, 4294967295ll);
    case BN_DTYPE_U64: return (double)ot_int(0, (int64_t)1 << 52);
    case BN_DTYPE_BOOL: return (double)ot_int(0, 1);
    default: return ot_unif(lo, hi);
    }
}

typedef double (*ot_gen_fn)(bn_dtype d, void *arg);

/* A random tensor of `shape`, as one of: contiguous, a transposed view, a
 * slice with step 2, or an expanded view of size-1 dims (when `layout` is
 * -1, chosen at random). Values from gen (or ot_value over [lo, hi]). */
static inline bn_tensor *ot_tensor(bn_ctx *ctx, bn_dtype d, int nd, const int64_t *shape, int layout, double lo,
                                   double hi, ot_gen_fn gen, void *garg) {
    if (layout < 0) layout = (int)ot_int(0, 3);
    if (nd < 2 && layout == 1) layout = 0;
    int64_t base_shape[BN_MAX_DIMS];
    memcpy(base_shape, shape, sizeof(int64_t) * (size_t)nd);
    int sdim = nd > 0 ? (int)ot_int(0, nd - 1) : 0;
    int edim = -1;
    if (layout == 1) { /* build reversed shape, then permute back */
        for (int i = 0; i < nd; i++) base_shape[i] = shape[nd - 1 - i];
    } else if (layout == 2 && nd > 0) {
        base_shape[sdim] = shape[sdim] * 2 + 1;
    } else if (layout == 3) {
        for (int i = 0; i < nd; i++)
            if (shape[i] > 1) { edim = i; break; }
        if (edim >= 0) base_shape[edim] = 1;
        else layout = 0;
    }
    bn_tensor *base = NULL;
    if (bn_tensor_empty(ctx, d, nd, base_shape, &base) != BN_OK) return NULL;
    int64_t n = bn_tensor_numel(base);
    int64_t idx[BN_MAX_DIMS];
    for (int64_t f = 0; f < n; f++) {
        int64_t r = f;
        for (int i = nd - 1; i >= 0; i--) {
            idx[i] = r % base_shape[i];
            r /= base_shape[i];
        }
        bn_tensor_set(base, idx, gen ? gen(d, garg) : ot_value(d, lo, hi));
    }
    bn_tensor *v = NULL;
    if (layout == 1) {
        int perm[BN_MAX_DIMS];
        for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
        bn_tensor_permute(base, perm, &v);
    } else if (layout == 2 && nd > 0) {
        bn_tensor_slice(base, sdim, 1, INT64_MAX, 2, &v);
    } else if (layout == 3) {
        bn_tensor_expand(base, nd, shape, &v);
    }
    if (v) {
        bn_tensor_free(base);
        return v;
    }
    return base;
}

#endif
