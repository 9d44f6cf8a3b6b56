/* Softmax and log-softmax rows for one ISA (the scalar reference included),
 * written once over that ISA's vector layer. Include after the ISA's
 * vmath.h with `#define BNV_ISA <isa>`; defines bni_softmax_f32_<isa> and
 * bni_log_softmax_f32_<isa>, and bni_softmax_rows_f32_<isa> (consecutive
 * rows; the next row is prefetched while one is written, and with `stream`
 * the output goes out through non-temporal stores from a stack buffer of
 * the exponentials, for rows up to BNS_SCRATCH elements).
 *
 * One read pass over x in blocks of BNI_SUM_BLOCK (512) elements, then one
 * write pass (the online, or blocked, softmax): for block b,
 *   m_b = max(x_b), e_b = exp(x_b - m_b) (stored in y), s_b = pairwise sum of e_b;
 * then M = max m_b, c_b = exp(m_b - M), S = sum of s_b c_b (the block
 * combiner of bni_pw32, in row order), and
 *   softmax:     y_b = e_b * (c_b * (1 / S));
 *   log_softmax: y = (x - M) - log(S).
 * x is read from memory once; e_b is computed right after its block is
 * loaded, so the exponentials overlap the stream of x instead of waiting
 * for a full max pass, and the write pass works on y while it is still in
 * cache (a row of 4096 f32 and its output fit in L1). A row of one block
 * is exactly the three-pass formula (c_0 = 1). Each element costs one
 * exp; rows of more than BNS_MAXB blocks (131,072 elements) take the
 * three-pass path (max; exp and pairwise sum; scale).
 *
 * Special values as the three-pass formula: a NaN anywhere gives NaN
 * everywhere; a block that is all -inf gives 0 (its c_b is 0); a row that
 * is all -inf gives NaN; +inf gives NaN. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/reduce_kernels.h"

#define BNS_CAT_(a, b) a##_##b
#define BNS_CAT(a, b) BNS_CAT_(a, b)
#define BNS_FN(name) BNS_CAT(name, BNV_ISA)

#define BNS_MAXB 256

/* y[i] = exp(x[i] - m), with the element-wise kernels' vector exp; the tail
 * goes through one padded vector so every element sees the same exp. */
/* y[i] = exp(x[i] - m), with the element-wise kernels' vector exp; the tail
 * goes through one padded vector so every element sees the same exp. */
static void exp_shift(const float *x, float m, float *y, size_t n) {
    bnv_f vm = bnv_set1(m);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_exp(bnv_sub(bnv_loadu(x + i), vm)));
    if (i < n) {
        float t[BNV_W];
        for (size_t j = 0; j < BNV_W; j++) t[j] = i + j < n ? x[i + j] : m;
        bnv_storeu(t, bnv_exp(bnv_sub(bnv_loadu(t), vm)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = t[j];
    }
}

/* e^t for t <= 0 (or -inf; NaN gives an unspecified value, the callers
 * check for it): the algorithm of bnv_exp (vmath_impl.h) without its NaN
 * and overflow handling and with one power-of-two scaling, so results are
 * bnv_exp's bits down to 2^-126 and +0 below (e^t < 2^-126, t < -87.3,
 * is flushed to zero; bnv_exp would round it into the subnormals). */
static inline bnv_f sm_exp(bnv_f t) {
    t = bnv_max(t, bnv_set1(-88.0f));
    bnv_f kf = bnv_sub(bnv_fmadd(t, bnv_set1(1.44269504088896341f), bnv_set1(BNV_MAGIC)), bnv_set1(BNV_MAGIC));
    bnv_f r = bnv_fmadd(kf, bnv_set1(-0.693359375f), t);
    r = bnv_fmadd(kf, bnv_set1(2.12194440e-4f), r);
    bnv_f p = bnv_set1(BNV_EXP_P_4);
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_3));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_2));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_1));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_0));
    bnv_f y = bnv_add(bnv_fmadd(p, bnv_mul(r, r), r), bnv_set1(1.0f));
    /* n = -127 (t < -87.68) gives the bits of +0 as the scale */
    bnv_i n = bnv_cvt_f2i(bnv_max(kf, bnv_set1(-127.0f)));
    return bnv_mul(y, bnv_cast_i2f(bnv_i_shl23(bnv_i_add(n, bnv_i_set1(127)))));
}

/* y[i] = sm_exp(x[i] - m) for one block; pf (the next row's block) is
 * prefetched one cache line per 16 elements meanwhile. */
static void exp_block(const float *x, float m, float *y, size_t n, const float *pf) {
    bnv_f vm = bnv_set1(m);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) {
        if (pf && (i & 15) == 0) __builtin_prefetch(pf + i, 0, 3);
        bnv_storeu(y + i, sm_exp(bnv_sub(bnv_loadu(x + i), vm)));
    }
    if (i < n) {
        float t[BNV_W];
        for (size_t j = 0; j < BNV_W; j++) t[j] = i + j < n ? x[i + j] : m;
        bnv_storeu(t, sm_exp(bnv_sub(bnv_loadu(t), vm)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = t[j];
    }
}

static void scale(float *y, float r, size_t n) {
    bnv_f vr = bnv_set1(r);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_mul(bnv_loadu(y + i), vr));
    for (; i < n; i++) y[i] *= r;
}

/* The three-pass row of rows too long for the block table. */
static void softmax_3pass(const float *x, float *y, size_t n) {
    float m = BNS_FN(bni_max_f32)(x, n);
    exp_shift(x, m, y, n);
    scale(y, 1.0f / BNS_FN(bni_sum_f32)(y, n), n);
}

/* The read pass: block maxima mb[], block sums sb[] of e_b (written to e,
 * whose blocks are BNI_SUM_BLOCK apart; e may be x's output or, with
 * e_stride 0, one scratch block). Returns M = max mb, NaN if any is NaN. */
static float block_pass(const float *x, size_t n, float *e, int e_stride, float *mb, float *sb, const float *pf) {
    float big = -INFINITY;
    int nan = 0;
    size_t b = 0, i = 0;
    do { /* n >= 1: at least one block (a do loop, so the compiler sees mb[0], sb[0] written) */
        size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        float m = BNS_FN(bni_max_f32)(x + i, k);
        float *eb = e + (e_stride ? i : 0);
        /* an all -inf block: shift by 0, its exps are 0 */
        exp_block(x + i, m == -INFINITY ? 0.0f : m, eb, k, pf ? pf + i : NULL);
        mb[b] = m;
        sb[b] = BNS_FN(bni_sum_f32)(eb, k);
        if (m != m) nan = 1;
        else if (m > big) big = m;
        i += BNI_SUM_BLOCK;
        b++;
    } while (i < n);
    return nan ? NAN : big;
}

/* S = sum of sb[b] exp(mb[b] - M) in the pairwise block order; cb[] gets
 * the factors exp(mb[b] - M). */
static float combine(const float *mb, const float *sb, float big, float *cb, size_t nb) {
    bni_pw32 pw;
    bni_pw32_init(&pw);
    float t[BNV_W];
    for (size_t b = 0; b < nb; b += BNV_W) {
        for (size_t j = 0; j < BNV_W; j++) t[j] = b + j < nb ? mb[b + j] - big : 0.0f;
        bnv_storeu(t, bnv_exp(bnv_loadu(t)));
        for (size_t j = 0; j < BNV_W && b + j < nb; j++) {
            cb[b + j] = t[j];
            bni_pw32_push(&pw, sb[b + j] * t[j], 0);
        }
    }
    return bni_pw32_finish(&pw);
}

/* y = e * f, e and y blocks of one row; stream: non-temporal stores after a
 * scalar peel to alignment. */
static void scale_out(const float *e, float f, float *y, size_t n, int stream) {
    bnv_f vf = bnv_set1(f);
    size_t i = 0;
    if (stream)
        for (; i < n && ((uintptr_t)(y + i) & (BNV_W * sizeof(float) - 1)); i++) y[i] = e[i] * f;
    for (; i + BNV_W <= n; i += BNV_W) {
        bnv_f v = bnv_mul(bnv_loadu(e + i), vf);
        if (stream) bnv_stream(y + i, v);
        else bnv_storeu(y + i, v);
    }
    for (; i < n; i++) y[i] = e[i] * f;
}

/* Rows up to this length keep their exponentials in a stack buffer when the
 * output is streamed, so that y is only ever written by the final pass. */
#define BNS_SCRATCH 8192

/* The output factor of each block: c_b / S, or 1 / s for one block; NaN for
 * a row holding a NaN or +inf or only -inf. */
static void row_factors(const float *mb, const float *sb, float big, size_t nb, float *f) {
    if (big != big || big == INFINITY || big == -INFINITY) {
        for (size_t b = 0; b < nb; b++) f[b] = NAN;
        return;
    }
    if (nb == 1) { /* the three-pass formula */
        f[0] = 1.0f / sb[0];
        return;
    }
    float cb[BNS_MAXB];
    float r = 1.0f / combine(mb, sb, big, cb, nb);
    for (size_t b = 0; b < nb; b++) f[b] = cb[b] * r;
}

static void softmax_row(const float *x, float *y, size_t n, int stream, const float *pf, float *scratch) {
    size_t nb = (n + BNI_SUM_BLOCK - 1) / BNI_SUM_BLOCK;
    if (nb > BNS_MAXB) {
        softmax_3pass(x, y, n);
        return;
    }
    float *e = stream && n <= BNS_SCRATCH ? scratch : y;
    if (e == y) stream = 0; /* y is in cache after the read pass */
    float mb[BNS_MAXB], sb[BNS_MAXB], f[BNS_MAXB];
    row_factors(mb, sb, block_pass(x, n, e, 1, mb, sb, pf), nb, f);
    for (size_t b = 0, i = 0; b < nb; b++, i += BNI_SUM_BLOCK) {
        size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        scale_out(e + i, f[b], y + i, k, stream);
    }
}

/* Streamed rows of at most BNS_SCRATCH, software-pipelined: while the
 * exponentials of row j are computed block by block (its x streaming in,
 * row j + 1 prefetched), the same block of row j - 1 is scaled and streamed
 * out, so that the non-temporal writes overlap the arithmetic instead of
 * leaving in a burst at the end of each row. Same bits as softmax_row. */
static void softmax_rows_pipe(const float *x, float *y, size_t n, size_t rows, float *scratch) {
    size_t nb = (n + BNI_SUM_BLOCK - 1) / BNI_SUM_BLOCK;
    float mb[BNS_MAXB], sb[BNS_MAXB], f[BNS_MAXB];
    const float *pe = NULL; /* the pending row: its exponentials, output and factors f */
    float *py = NULL;
    for (size_t j = 0; j < rows; j++) {
        const float *xr = x + j * n, *pf = j + 1 < rows ? xr + n : NULL;
        float *e = scratch + (j & 1) * BNS_SCRATCH;
        float big = -INFINITY;
        int nan = 0;
        for (size_t b = 0, i = 0; b < nb; b++, i += BNI_SUM_BLOCK) {
            size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
            float m = BNS_FN(bni_max_f32)(xr + i, k);
            exp_block(xr + i, m == -INFINITY ? 0.0f : m, e + i, k, pf ? pf + i : NULL);
            mb[b] = m;
            sb[b] = BNS_FN(bni_sum_f32)(e + i, k);
            if (m != m) nan = 1;
            else if (m > big) big = m;
            if (pe) scale_out(pe + i, f[b], py + i, k, 1);
        }
        row_factors(mb, sb, nan ? NAN : big, nb, f);
        pe = e;
        py = y + j * n;
    }
    if (pe)
        for (size_t b = 0, i = 0; b < nb; b++, i += BNI_SUM_BLOCK)
            scale_out(pe + i, f[b], py + i, n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK, 1);
}

static void softmax_rows(const float *x, float *y, size_t n, size_t rows, int stream, float *scratch) {
    if (stream && n <= BNS_SCRATCH) {
        softmax_rows_pipe(x, y, n, rows, scratch);
        return;
    }
    for (size_t j = 0; j < rows; j++)
        softmax_row(x + j * n, y + j * n, n, stream, j + 1 < rows ? x + (j + 1) * n : NULL, scratch);
}

void BNS_FN(bni_softmax_rows_f32)(const float *x, float *y, size_t n, size_t rows, int stream) {
    if (stream) {
        float scratch[2 * BNS_SCRATCH];
        softmax_rows(x, y, n, rows, 1, scratch);
        bnv_stream_fence();
    } else {
        softmax_rows(x, y, n, rows, 0, NULL);
    }
}

void BNS_FN(bni_softmax_f32)(const float *x, float *y, size_t n) { softmax_row(x, y, n, 0, NULL, NULL); }

void BNS_FN(bni_log_softmax_f32)(const float *x, float *y, size_t n) {
    size_t nb = (n + BNI_SUM_BLOCK - 1) / BNI_SUM_BLOCK;
    float big, ls;
    if (nb > BNS_MAXB) {
        big = BNS_FN(bni_max_f32)(x, n);
        float t[BNI_SUM_BLOCK];
        bni_pw32 pw;
        bni_pw32_init(&pw);
        for (size_t i = 0; i < n; i += BNI_SUM_BLOCK) {
            size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
            exp_shift(x + i, big, t, k);
            bni_pw32_push(&pw, BNS_FN(bni_sum_f32)(t, k), 0);
        }
        ls = logf(bni_pw32_finish(&pw));
    } else {
        float mb[BNS_MAXB], sb[BNS_MAXB], cb[BNS_MAXB], t[BNI_SUM_BLOCK];
        big = block_pass(x, n, t, 0, mb, sb, NULL);
        ls = nb == 1 ? logf(sb[0]) : logf(combine(mb, sb, big, cb, nb));
        if (big != big || big == INFINITY || big == -INFINITY) ls = NAN;
    }
    bnv_f vm = bnv_set1(big), vl = bnv_set1(ls);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_sub(bnv_sub(bnv_loadu(x + i), vm), vl));
    for (; i < n; i++) y[i] = (x[i] - big) - ls;
}
