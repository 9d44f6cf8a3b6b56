/* Internal: f32 kernels for reductions, softmax and normalization over a
 * contiguous row, one table per ISA level (chosen like the conversion
 * table in cpu/kernels.h, from bn_cpu_isa(), which honours BITNET_ISA).
 *
 * Pairwise summation. Every ISA sums in the same order, so sum_f32 and
 * sumsq_f32 give bit-identical results on every level and for any split
 * of a row into block-aligned chunks:
 *  - a row is cut into blocks of BNI_SUM_BLOCK (512) elements;
 *  - inside a block, lane j (0..31) adds elements j, j + 32, j + 64, ...
 *    in order, starting from +0.0f; the 32 lanes are then folded as a
 *    binary tree: lane[j] += lane[j + w] for w = 16, 8, 4, 2, 1;
 *  - block sums are combined by a binary counter (bni_pw32 below): two
 *    subtrees of 2^k blocks merge into one of 2^(k+1); at the end what is
 *    left is added from the smallest subtree up. This is the pairwise tree
 *    of the row, so the rounding error grows as O(log n).
 * A missing element of a partial block is the same as adding +0.0f (a lane
 * that starts at +0.0f can never hold -0.0f), which the vector kernels use
 * to pad the last block with zeros. */
#ifndef BITNET_CPU_REDUCE_KERNELS_H
#define BITNET_CPU_REDUCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/device.h"

#define BNI_SUM_BLOCK 512
#define BNI_SUM_LANES 32

typedef struct bni_reduce_kernels {
    bn_isa isa;       /* the level this table was built for */
    const char *name; /* the level its kernels use ("scalar", "avx2", ...) */
    /* Pairwise sum of x[0..n) (the order above); 0 for n == 0. */
    float (*sum_f32)(const float *x, size_t n);
    /* Pairwise sum of x[i] * x[i] (products rounded to f32, not fused). */
    float (*sumsq_f32)(const float *x, size_t n);
    /* Maximum / minimum of x[0..n), n >= 1; NaN when any element is NaN. */
    float (*max_f32)(const float *x, size_t n);
    float (*min_f32)(const float *x, size_t n);
    /* y = softmax(x) over n >= 1 elements: m = max, e = exp(x - m),
     * y = e * (1 / sum e). y may be x. */
    void (*softmax_f32)(const float *x, float *y, size_t n);
    /* y = x - m - log(sum exp(x - m)). y may be x. */
    void (*log_softmax_f32)(const float *x, float *y, size_t n);
    /* LlamaRMSNorm in f32: r = 1 / sqrtf(sumsq_f32(x) / n + eps);
     * y = x * r, then y *= w when w is not NULL (two roundings). y may be x. */
    void (*rms_norm_f32)(const float *x, const float *w, float eps, float *y, size_t n);
    /* The same over `rows` consecutive rows of n elements (x and y advance
     * by n). While one row is written the next is prefetched; with
     * `stream` non-zero y is written with non-temporal stores, for outputs
     * much larger than the caches (see bni_stream_worth). Same results as
     * the one-row kernels. */
    void (*softmax_rows_f32)(const float *x, float *y, size_t n, size_t rows, int stream);
    void (*rms_norm_rows_f32)(const float *x, const float *w, float eps, float *y, size_t n, size_t rows,
                              int stream);
} bni_reduce_kernels;

/* Outputs of at least this many bytes are written with non-temporal stores
 * by the row kernels that support it: far beyond any L2 and most of an L3
 * share, where write-allocating the lines costs a read per line written. */
#define BNI_STREAM_MIN_BYTES ((size_t)64 << 20)
static inline int bni_stream_worth(size_t out_bytes) { return out_bytes >= BNI_STREAM_MIN_BYTES; }

/* The table for bn_cpu_isa(); never NULL. Thread-safe. */
const bni_reduce_kernels *bni_reduce_kernels_get(void);
/* The table for @p isa, or NULL when this CPU or build cannot run it. */
const bni_reduce_kernels *bni_reduce_kernels_for_isa(bn_isa isa);
/* "family isa" lines for bn_cpu_kernels_describe(). */
const char *bni_reduce_kernels_describe(void);

/* ---- the pairwise block combiner (shared by kernels and src/ops) ---- */
typedef struct bni_pw32 {
    int top;
    signed char lvl[64];
    float v[64];
} bni_pw32;

static inline void bni_pw32_init(bni_pw32 *p) { p->top = 0; }

/* Push the sum of a subtree of 2^lvl blocks (blocks must arrive in order). */
static inline void bni_pw32_push(bni_pw32 *p, float s, int lvl) {
    while (p->top > 0 && p->lvl[p->top - 1] == lvl) {
        s = p->v[--p->top] + s;
        lvl++;
    }
    p->v[p->top] = s;
    p->lvl[p->top++] = (signed char)lvl;
}

/* Append the subtrees of q (which follows p in the row) to p. */
static inline void bni_pw32_merge(bni_pw32 *p, const bni_pw32 *q) {
    for (int i = 0; i < q->top; i++) bni_pw32_push(p, q->v[i], q->lvl[i]);
}

static inline float bni_pw32_finish(const bni_pw32 *p) {
    if (p->top == 0) return 0.0f;
    float r = p->v[p->top - 1];
    for (int k = p->top - 2; k >= 0; k--) r = p->v[k] + r;
    return r;
}

/* The 32-lane fold of the reference order. */
static inline float bni_fold32(float *l) {
    for (int w = 16; w >= 1; w >>= 1)
        for (int j = 0; j < w; j++) l[j] += l[j + w];
    return l[0];
}

/* Whole-row driver over a block function (inlined into each ISA's file). */
static inline float bni_pairwise_f32(const float *x, size_t n, float (*block)(const float *, size_t)) {
    if (n <= BNI_SUM_BLOCK) return block(x, n);
    bni_pw32 pw;
    bni_pw32_init(&pw);
    for (size_t i = 0; i < n; i += BNI_SUM_BLOCK) {
        size_t m = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        bni_pw32_push(&pw, block(x + i, m), 0);
    }
    return bni_pw32_finish(&pw);
}

/* ---- implementations (call through the table) ---- */
#define BNI_REDUCE_DECL(isa)                                                                   \
    float bni_sum_f32_##isa(const float *x, size_t n);                                         \
    float bni_sumsq_f32_##isa(const float *x, size_t n);                                       \
    float bni_max_f32_##isa(const float *x, size_t n);                                         \
    float bni_min_f32_##isa(const float *x, size_t n);                                         \
    void bni_softmax_f32_##isa(const float *x, float *y, size_t n);                            \
    void bni_log_softmax_f32_##isa(const float *x, float *y, size_t n);                        \
    void bni_rms_norm_f32_##isa(const float *x, const float *w, float eps, float *y, size_t n);              \
    void bni_softmax_rows_f32_##isa(const float *x, float *y, size_t n, size_t rows, int stream);             \
    void bni_rms_norm_rows_f32_##isa(const float *x, const float *w, float eps, float *y, size_t n, size_t rows, \
                                     int stream);

BNI_REDUCE_DECL(scalar)
#if defined(__x86_64__) || defined(_M_X64)
BNI_REDUCE_DECL(sse41)
BNI_REDUCE_DECL(avx2)
BNI_REDUCE_DECL(avx512)
#endif
#if defined(__aarch64__)
BNI_REDUCE_DECL(neon)
#endif

#endif
