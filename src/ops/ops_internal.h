/* Internal: the machinery shared by every operation in src/ops (element-wise,
 * softmax, normalization, RoPE, reductions).
 *
 * - dtype rules: categories, promotion, castability of results into outputs;
 * - argument checks: inputs on one context and device, shapes that
 *   broadcast, `out` of the _into forms (shape, castable dtype, aliasing);
 * - allocation of results with the inputs' context;
 * - an N-d iterator over up to three operands (strides in bytes, broadcast
 *   dimensions with stride 0) that drops size-1 dimensions, coalesces
 *   dimensions that are contiguous for every operand and calls an inner-loop
 *   function per innermost run;
 * - a parallel driver that splits the flattened index range over the
 *   context's threads above BNI_OPS_PARALLEL_MIN elements (chunk boundaries
 *   depend only on the element count and the thread count);
 * - the per-context profile (bni_prof_begin / bni_prof_end).
 *
 * Usage pattern of an element-wise op:
 *
 *   uint64_t t0 = bni_prof_begin(ctx);
 *   ... checks, bni_ops_alloc_out or bni_ops_check_out ...
 *   bni_iter it; const bn_tensor *ops[3] = {out, a, b};
 *   bni_iter_init(&it, 3, ops, out->ndim, out->shape);
 *   bni_iter_parallel(ctx, &it, loop, arg);
 *   bni_prof_end(ctx, "add", t0, numel);
 */
#ifndef BITNET_OPS_INTERNAL_H
#define BITNET_OPS_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bitnet/ops.h"
#include "core/context_internal.h"
#include "core/error.h"
#include "tensor/tensor_internal.h"

/* ---- dtypes ------------------------------------------------------------ */

/* Category for promotion and castability: 0 bool, 1 integer, 2 float. */
int bni_dtype_category(bn_dtype d);
int bni_dtype_is_float(bn_dtype d);
int bni_dtype_is_int(bn_dtype d);      /* signed or unsigned integer, not bool */
int bni_dtype_is_signed(bn_dtype d);   /* i8..i64 */
/* Whether a result of dtype `from` may be written into a tensor of dtype
 * `to`: the category of `to` is at least that of `from` (bool < integer <
 * float), as torch.can_cast. */
int bni_can_cast(bn_dtype from, bn_dtype to);
/* BN_ERR_DTYPE "fn: op does not support dtype X" for packed or invalid dtypes. */
bn_status bni_ops_check_dtype(const char *fn, const char *op, bn_dtype d);
/* Result dtype of a tensor of dtype t combined with a double scalar s (the
 * _scalar forms): same category keeps t; an integral s with a bool tensor
 * gives i64; a non-integral (or non-finite) s with a bool or integer tensor
 * gives f32. */
bn_dtype bni_promote_scalar(bn_dtype t, double s);

/* ---- argument checks and outputs ---------------------------------------- */

/* Both tensors on the same context and device. */
bn_status bni_ops_check_same_ctx(const char *fn, const bn_tensor *a, const bn_tensor *b);
/* The broadcast shape of a and b, or BN_ERR_SHAPE "fn: shapes [..] and [..]
 * do not broadcast". */
bn_status bni_ops_broadcast(const char *fn, const bn_tensor *a, const bn_tensor *b, int *ndim,
                            int64_t *shape);
/* Check `out` of an _into form: shape equal to (ndim, shape); result dtype
 * castable to out's dtype; out on the inputs' context; no self-overlap in
 * out (a broadcast out is refused); for each input: either no byte overlap
 * with out, or exactly the same view (same storage, dtype, offset, shape and
 * strides). `inputs` may hold NULL entries (skipped). */
bn_status bni_ops_check_out(const char *fn, const bn_tensor *out, int ndim, const int64_t *shape,
                            bn_dtype result, const bn_tensor *const *inputs, int ninputs);
/* Whether two views' byte ranges intersect (same storage, both non-empty). */
int bni_views_overlap(const bn_tensor *a, const bn_tensor *b);
/* Whether a and b are exactly the same view. */
int bni_views_identical(const bn_tensor *a, const bn_tensor *b);
/* A new contiguous result on ctx (pool tag "activations"). */
bn_status bni_ops_alloc_out(const char *fn, bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                            bn_tensor **out);

/* Address of element zero of a view. */
static inline char *bni_tensor_base(const bn_tensor *t) {
    return (char *)t->storage->data + t->offset * (int64_t)bni_dtype_size(t->dtype);
}

/* ---- the N-d iterator ----------------------------------------------------- */

#define BNI_ITER_MAX_OPS 3

/* Inner loop: n elements; ptrs[i] is operand i's first element, strides[i]
 * its byte stride (0 = the same element every time). */
typedef void (*bni_loop_fn)(void *arg, char **ptrs, const ptrdiff_t *strides, int64_t n);

typedef struct bni_iter {
    int nops;
    int ndim;                                       /* >= 1 after init; dim ndim-1 innermost */
    int64_t shape[BN_MAX_DIMS];
    ptrdiff_t strides[BNI_ITER_MAX_OPS][BN_MAX_DIMS]; /* bytes */
    char *base[BNI_ITER_MAX_OPS];
    int64_t numel;
} bni_iter;

/* Set up the iteration of `shape` over nops tensors (operand 0 is normally
 * the output). Each tensor must have ndim <= the iteration's ndim and
 * broadcast to shape (aligned at the end; size-1 dimensions get stride 0);
 * the caller has checked that. A NULL tensor is not allowed. */
void bni_iter_init(bni_iter *it, int nops, const bn_tensor *const *ts, int ndim, const int64_t *shape);
/* Same, from raw byte pointers and byte strides per operand (strides laid
 * out as [op][dim], ndim dims each). */
void bni_iter_init_raw(bni_iter *it, int nops, char *const *base, const ptrdiff_t strides[][BN_MAX_DIMS],
                       int ndim, const int64_t *shape);
/* Run fn over flattened elements [begin, end) in row-major order. */
void bni_iter_run(const bni_iter *it, int64_t begin, int64_t end, bni_loop_fn fn, void *arg);

/* Below this many elements an op runs on the calling thread. */
#define BNI_OPS_PARALLEL_MIN ((int64_t)1 << 15)
/* Run fn over all elements, split across ctx's threads when numel >=
 * BNI_OPS_PARALLEL_MIN; chunks are multiples of 64 elements. */
void bni_iter_parallel(bn_ctx *ctx, const bni_iter *it, bni_loop_fn fn, void *arg);

/* ---- profile --------------------------------------------------------------- */

uint64_t bni_now_ns(void);
void bni_prof_record(bn_ctx *ctx, const char *op, uint64_t t0, int64_t elements);

/* Start time when the context's profile is on, else 0 (one branch). */
static inline uint64_t bni_prof_begin(bn_ctx *ctx) {
    if (ctx != NULL && atomic_load_explicit(&ctx->profile_on, memory_order_relaxed)) return bni_now_ns();
    return 0;
}
/* Record one call of `op` (a string with static lifetime) of `elements`
 * elements started at t0 (from bni_prof_begin; 0 = profile off). Call it on
 * success only. */
static inline void bni_prof_end(bn_ctx *ctx, const char *op, uint64_t t0, int64_t elements) {
    if (t0 != 0) bni_prof_record(ctx, op, t0, elements);
}

#endif
