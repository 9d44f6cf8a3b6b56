/* Body of the f32 binary kernels, included by src/cpu/kernels/<isa>/binary.c
 * after that ISA's vmath.h and `#define BNV_ISA <isa>`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu/ew_kernels.h"

#define BNV_CAT3_(a, b, c) a##b##c
#define BNV_CAT3(a, b, c) BNV_CAT3_(a, b, c)
#define BNV_NAME(op, form) BNV_CAT3(bnv_k_##op##_##form, _, BNV_ISA)

static inline bnv_f bnv_op_add(bnv_f a, bnv_f b) { return bnv_add(a, b); }
static inline bnv_f bnv_op_sub(bnv_f a, bnv_f b) { return bnv_sub(a, b); }
static inline bnv_f bnv_op_mul(bnv_f a, bnv_f b) { return bnv_mul(a, b); }
static inline bnv_f bnv_op_div(bnv_f a, bnv_f b) { return bnv_div(a, b); }
/* NaN if either is NaN (bnv_min gives b when either is NaN). */
static inline bnv_f bnv_op_min(bnv_f a, bnv_f b) { return bnv_select(bnv_isnan(a), a, bnv_min(a, b)); }
static inline bnv_f bnv_op_max(bnv_f a, bnv_f b) { return bnv_select(bnv_isnan(a), a, bnv_max(a, b)); }

#ifdef BNV_HAVE_MASKED_TAIL
#define BNV_TAIL_LOAD(dst, src, n) bnv_f dst = bnv_load_n((src), (n))
#define BNV_TAIL_STORE(p, v, n) bnv_store_n((p), (v), (n))
#else
#define BNV_TAIL_LOAD(dst, src, n)                     \
    float dst##_buf[BNV_W] = {0};                      \
    memcpy(dst##_buf, (src), (n) * sizeof(float));     \
    bnv_f dst = bnv_loadu(dst##_buf)
#define BNV_TAIL_STORE(p, v, n)                        \
    do {                                               \
        float st_buf_[BNV_W];                          \
        bnv_storeu(st_buf_, (v));                      \
        memcpy((p), st_buf_, (n) * sizeof(float));     \
    } while (0)
#endif

/* One call writing at least this many floats (32 MiB) streams its output
 * past the caches with non-temporal stores: no read for ownership of lines
 * that are only written. A call that large only comes from a tensor far
 * larger than the caches (the ops hand each thread one contiguous range). */
#define BNV_STREAM_MIN_FLOATS ((size_t)8 << 20)

#define BNV_DEF_BINARY(op)                                                                   \
    static void BNV_NAME(op, vv)(const float *a, const float *b, float *o, size_t n) {       \
        size_t i = 0;                                                                        \
        if (n >= BNV_STREAM_MIN_FLOATS && BNV_W > 1) {                                       \
            size_t mis = ((uintptr_t)o / sizeof(float)) & (BNV_W - 1);                      \
            if ((uintptr_t)o % sizeof(float) == 0 && mis != 0) { /* peel to alignment */     \
                i = BNV_W - mis;                                                             \
                BNV_TAIL_LOAD(pa, a, i);                                                     \
                BNV_TAIL_LOAD(pb, b, i);                                                     \
                BNV_TAIL_STORE(o, bnv_op_##op(pa, pb), i);                                   \
            }                                                                                \
            if ((uintptr_t)(o + i) % (BNV_W * sizeof(float)) == 0) {                        \
                for (; i + BNV_W <= n; i += BNV_W)                                           \
                    bnv_stream(o + i, bnv_op_##op(bnv_loadu(a + i), bnv_loadu(b + i)));      \
                bnv_stream_fence();                                                          \
            }                                                                                \
        }                                                                                    \
        for (; i + 2 * BNV_W <= n; i += 2 * BNV_W) {                                         \
            bnv_f r0 = bnv_op_##op(bnv_loadu(a + i), bnv_loadu(b + i));                      \
            bnv_f r1 = bnv_op_##op(bnv_loadu(a + i + BNV_W), bnv_loadu(b + i + BNV_W));      \
            bnv_storeu(o + i, r0);                                                           \
            bnv_storeu(o + i + BNV_W, r1);                                                   \
        }                                                                                    \
        for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(o + i, bnv_op_##op(bnv_loadu(a + i), bnv_loadu(b + i))); \
        if (i < n) {                                                                         \
            BNV_TAIL_LOAD(ta, a + i, n - i);                                                 \
            BNV_TAIL_LOAD(tb, b + i, n - i);                                                 \
            BNV_TAIL_STORE(o + i, bnv_op_##op(ta, tb), n - i);                               \
        }                                                                                    \
    }                                                                                        \
    static void BNV_NAME(op, vs)(const float *a, const float *b, float *o, size_t n) {       \
        const bnv_f vb = bnv_set1(b[0]);                                                     \
        size_t i = 0;                                                                        \
        for (; i + 2 * BNV_W <= n; i += 2 * BNV_W) {                                         \
            bnv_f r0 = bnv_op_##op(bnv_loadu(a + i), vb);                                    \
            bnv_f r1 = bnv_op_##op(bnv_loadu(a + i + BNV_W), vb);                            \
            bnv_storeu(o + i, r0);                                                           \
            bnv_storeu(o + i + BNV_W, r1);                                                   \
        }                                                                                    \
        for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(o + i, bnv_op_##op(bnv_loadu(a + i), vb)); \
        if (i < n) {                                                                         \
            BNV_TAIL_LOAD(ta, a + i, n - i);                                                 \
            BNV_TAIL_STORE(o + i, bnv_op_##op(ta, vb), n - i);                               \
        }                                                                                    \
    }                                                                                        \
    static void BNV_NAME(op, sv)(const float *a, const float *b, float *o, size_t n) {       \
        const bnv_f va = bnv_set1(a[0]);                                                     \
        size_t i = 0;                                                                        \
        for (; i + 2 * BNV_W <= n; i += 2 * BNV_W) {                                         \
            bnv_f r0 = bnv_op_##op(va, bnv_loadu(b + i));                                    \
            bnv_f r1 = bnv_op_##op(va, bnv_loadu(b + i + BNV_W));                            \
            bnv_storeu(o + i, r0);                                                           \
            bnv_storeu(o + i + BNV_W, r1);                                                   \
        }                                                                                    \
        for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(o + i, bnv_op_##op(va, bnv_loadu(b + i))); \
        if (i < n) {                                                                         \
            BNV_TAIL_LOAD(tb, b + i, n - i);                                                 \
            BNV_TAIL_STORE(o + i, bnv_op_##op(va, tb), n - i);                               \
        }                                                                                    \
    }

BNV_DEF_BINARY(add)
BNV_DEF_BINARY(sub)
BNV_DEF_BINARY(mul)
BNV_DEF_BINARY(div)
BNV_DEF_BINARY(min)
BNV_DEF_BINARY(max)

#define BNV_FILL(op, idx)                          \
    k->binary[idx][BNI_EW_VV] = BNV_NAME(op, vv);  \
    k->binary[idx][BNI_EW_VS] = BNV_NAME(op, vs);  \
    k->binary[idx][BNI_EW_SV] = BNV_NAME(op, sv)

void BNV_CAT3(bni_ew_fill_binary, _, BNV_ISA)(bni_ew_kernels *k) {
    BNV_FILL(add, BNI_EW_ADD);
    BNV_FILL(sub, BNI_EW_SUB);
    BNV_FILL(mul, BNI_EW_MUL);
    BNV_FILL(div, BNI_EW_DIV);
    BNV_FILL(min, BNI_EW_MIN);
    BNV_FILL(max, BNI_EW_MAX);
}
