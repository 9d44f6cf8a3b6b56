/* Reductions over any set of axes (bn_reduce, bn_reduce_into, bn_sum_all).
 *
 * The input is read in place: the reduced axes are taken logically
 * innermost (in their original order) and walked with an odometer over
 * the original strides, so transposed, sliced and broadcast views are not
 * copied. Runs of the innermost reduced axis are gathered 512 elements at
 * a time (BNI_SUM_BLOCK, aligned to the row's logical index) into a small
 * buffer converted to the accumulation type, or used directly when they
 * are contiguous and already of that type.
 *
 * Accumulation:
 * - sum and mean of f32, f16, bf16: f32, pairwise (cpu/reduce_kernels.h),
 *   so a strided or chunked row gives the same bits as a contiguous one;
 * - sum and mean of f64, L1 and L2 norms, prod of floats: f64 (L2 of f64
 *   input scaled as LAPACK's dnrm2 so it cannot overflow; L2 of narrower
 *   floats sums squares in f64, which cannot overflow either);
 * - var and std: two passes in f64 (mean, then the sum of squared
 *   deviations) divided by max(0, n - correction);
 * - integer sum and prod: wrap modulo 2^64 in i64 (u64 for u64 input);
 * - min, max, argmin, argmax: exact; NaN wins (the first NaN's index).
 *
 * Threads: outputs are split across the context's threads; a row of at
 * least ROW_SPLIT_MIN elements with few outputs is also cut into chunks of
 * 2^k blocks whose partial results are merged in order. Whether a row is
 * cut depends only on the shape, and the f32 pairwise tree is the same for
 * any cut, so results do not depend on the thread count. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "cpu/reduce_kernels.h"
#include "ops/ops_internal.h"

#define ROW_SPLIT_MIN ((int64_t)1 << 17)
#define ROW_SPLIT_MAX_OUT 1024
#define CHUNK_MIN ((int64_t)1 << 16)
#define CHUNKS_MAX 256
#define BLK BNI_SUM_BLOCK

static const char *const g_names[BN_REDUCE_OP_COUNT] = {"sum",     "mean",    "var",      "std",  "min",
                                                         "max",     "prod",    "norm_l1",  "norm_l2",
                                                         "norm_max", "any",    "all",      "argmin", "argmax"};

const char *bn_reduce_op_name(bn_reduce_op op) {
    if ((unsigned)op >= BN_REDUCE_OP_COUNT) return "unknown";
    return g_names[op];
}

/* What a block is converted to before it is accumulated. */
typedef enum { G_F32, G_F64, G_I64 } gkind;

/* A partial result of one output over a range of its row. */
typedef struct racc {
    bni_pw32 pw;  /* f32 pairwise sum */
    double d;     /* f64 sum, prod, extreme value, L2 scale */
    double d2;    /* second pass of var; L2 scaled sum of squares */
    double mean;  /* var: the mean from the first pass */
    uint64_t u;   /* integer sum, prod or extreme value (bits) */
    int64_t idx;  /* argmin/argmax position */
    int flag;     /* NaN seen; any/all result */
    int has;      /* an element has been seen (min/max/arg) */
} racc;

typedef struct rplan {
    bn_reduce_op op;
    bn_dtype dt;   /* input dtype */
    bn_dtype rdt;  /* result dtype */
    size_t es;
    gkind g;
    int is_signed; /* integer input: signed */
    const char *base;
    int nk, nr;
    int64_t kshape[BN_MAX_DIMS], rshape[BN_MAX_DIMS];
    ptrdiff_t kstride[BN_MAX_DIMS], rstride[BN_MAX_DIMS]; /* bytes */
    int64_t nout, rn;
    double correction;
    const bni_reduce_kernels *k;
    const bni_cpu_kernels *cvt;
    char *res; /* contiguous result of dtype rdt */
    size_t res_es;
    /* row split */
    int64_t chunk, nchunks;
    racc *parts;
    int phase;
} rplan;

/* ---- result dtypes ---------------------------------------------------- */

static bn_dtype result_dtype(bn_reduce_op op, bn_dtype dt) {
    int fl = bni_dtype_is_float(dt);
    switch (op) {
    case BN_REDUCE_SUM:
    case BN_REDUCE_PROD: return fl ? dt : (dt == BN_DTYPE_U64 ? BN_DTYPE_U64 : BN_DTYPE_I64);
    case BN_REDUCE_MIN:
    case BN_REDUCE_MAX: return dt;
    case BN_REDUCE_ANY:
    case BN_REDUCE_ALL: return BN_DTYPE_BOOL;
    case BN_REDUCE_ARGMIN:
    case BN_REDUCE_ARGMAX: return BN_DTYPE_I64;
    default: return fl ? dt : BN_DTYPE_F32; /* mean, var, std, norms */
    }
}

static gkind gather_kind(bn_reduce_op op, bn_dtype dt) {
    int fl = bni_dtype_is_float(dt);
    switch (op) {
    case BN_REDUCE_SUM:
    case BN_REDUCE_MEAN:
        if (dt == BN_DTYPE_F32 || dt == BN_DTYPE_F16 || dt == BN_DTYPE_BF16) return G_F32;
        if (op == BN_REDUCE_SUM && !fl) return G_I64;
        return G_F64;
    case BN_REDUCE_PROD:
    case BN_REDUCE_MIN:
    case BN_REDUCE_MAX:
    case BN_REDUCE_ARGMIN:
    case BN_REDUCE_ARGMAX: return fl ? G_F64 : G_I64;
    default: return G_F64;
    }
}

/* ---- gathering ---------------------------------------------------------- */

/* Convert n elements of dtype dt at p (byte stride s) into buf of kind g. */
static void convert_run(const rplan *pl, const char *p, ptrdiff_t s, int64_t n, void *buf) {
    bn_dtype dt = pl->dt;
#define LOOP(T, DST, EXPR)                                                     \
    do {                                                                       \
        DST *o_ = (DST *)buf;                                                  \
        for (int64_t i_ = 0; i_ < n; i_++) {                                   \
            T v_;                                                              \
            memcpy(&v_, p + i_ * s, sizeof v_);                                \
            o_[i_] = (DST)(EXPR);                                              \
        }                                                                      \
    } while (0)
    if (pl->g == G_F32) {
        if (dt == BN_DTYPE_F32) LOOP(float, float, v_);
        else if (s == 2 && dt == BN_DTYPE_F16) pl->cvt->f16_to_f32((const uint16_t *)p, (float *)buf, (size_t)n);
        else if (s == 2) pl->cvt->bf16_to_f32((const uint16_t *)p, (float *)buf, (size_t)n);
        else if (dt == BN_DTYPE_F16) LOOP(uint16_t, float, bn_f16_to_f32(v_));
        else LOOP(uint16_t, float, bn_bf16_to_f32(v_));
        return;
    }
    if (pl->g == G_I64) {
        switch (dt) {
        case BN_DTYPE_I8: LOOP(int8_t, int64_t, v_); break;
        case BN_DTYPE_I16: LOOP(int16_t, int64_t, v_); break;
        case BN_DTYPE_I32: LOOP(int32_t, int64_t, v_); break;
        case BN_DTYPE_I64: LOOP(int64_t, int64_t, v_); break;
        case BN_DTYPE_U8: LOOP(uint8_t, int64_t, v_); break;
        case BN_DTYPE_U16: LOOP(uint16_t, int64_t, v_); break;
        case BN_DTYPE_U32: LOOP(uint32_t, int64_t, v_); break;
        case BN_DTYPE_U64: LOOP(uint64_t, uint64_t, v_); break;
        default: LOOP(uint8_t, int64_t, v_ != 0); break; /* bool */
        }
        return;
    }
    switch (dt) {
    case BN_DTYPE_F32: LOOP(float, double, v_); break;
    case BN_DTYPE_F64: LOOP(double, double, v_); break;
    case BN_DTYPE_F16: LOOP(uint16_t, double, bn_f16_to_f32(v_)); break;
    case BN_DTYPE_BF16: LOOP(uint16_t, double, bn_bf16_to_f32(v_)); break;
    case BN_DTYPE_I8: LOOP(int8_t, double, v_); break;
    case BN_DTYPE_I16: LOOP(int16_t, double, v_); break;
    case BN_DTYPE_I32: LOOP(int32_t, double, v_); break;
    case BN_DTYPE_I64: LOOP(int64_t, double, v_); break;
    case BN_DTYPE_U8: LOOP(uint8_t, double, v_); break;
    case BN_DTYPE_U16: LOOP(uint16_t, double, v_); break;
    case BN_DTYPE_U32: LOOP(uint32_t, double, v_); break;
    case BN_DTYPE_U64: LOOP(uint64_t, double, v_); break;
    default: LOOP(uint8_t, double, v_ != 0); break; /* bool */
    }
#undef LOOP
}

static int native(const rplan *pl) {
    switch (pl->g) {
    case G_F32: return pl->dt == BN_DTYPE_F32;
    case G_F64: return pl->dt == BN_DTYPE_F64;
    default: return pl->dt == BN_DTYPE_I64 || pl->dt == BN_DTYPE_U64;
    }
}

/* ---- accumulation ----------------------------------------------------------- */

static void acc_init(const rplan *pl, racc *a) {
    memset(a, 0, sizeof *a);
    bni_pw32_init(&a->pw);
    if (pl->op == BN_REDUCE_PROD) {
        a->d = 1.0;
        a->u = 1;
    }
    if (pl->op == BN_REDUCE_ALL) a->flag = 1;
}

/* v better than cur for argmin/argmax/min/max (strictly, so ties keep the first). */
static inline int better_f(int mx, double v, double cur) { return mx ? v > cur : v < cur; }

static void feed(const rplan *pl, racc *a, const void *buf, int64_t n, int64_t pos) {
    const double *d = (const double *)buf;
    const int64_t *q = (const int64_t *)buf;
    const uint64_t *uq = (const uint64_t *)buf;
    int mx = pl->op == BN_REDUCE_MAX || pl->op == BN_REDUCE_ARGMAX;
    switch (pl->op) {
    case BN_REDUCE_SUM:
    case BN_REDUCE_MEAN:
        if (pl->g == G_F32) bni_pw32_push(&a->pw, pl->k->sum_f32((const float *)buf, (size_t)n), 0);
        else if (pl->g == G_I64)
            for (int64_t i = 0; i < n; i++) a->u += uq[i];
        else
            for (int64_t i = 0; i < n; i++) a->d += d[i];
        break;
    case BN_REDUCE_VAR:
    case BN_REDUCE_STD:
        if (pl->phase == 0)
            for (int64_t i = 0; i < n; i++) a->d += d[i];
        else
            for (int64_t i = 0; i < n; i++) {
                double t = d[i] - a->mean;
                a->d2 += t * t;
            }
        break;
    case BN_REDUCE_PROD:
        if (pl->g == G_I64)
            for (int64_t i = 0; i < n; i++) a->u *= uq[i];
        else
            for (int64_t i = 0; i < n; i++) a->d *= d[i];
        break;
    case BN_REDUCE_NORM_L1:
        for (int64_t i = 0; i < n; i++) a->d += fabs(d[i]);
        break;
    case BN_REDUCE_NORM_L2:
        if (pl->dt != BN_DTYPE_F64) {
            for (int64_t i = 0; i < n; i++) a->d2 += d[i] * d[i];
            break;
        }
        /* scale = largest |x| so far, d2 = sum (|x| / scale)^2 */
        for (int64_t i = 0; i < n; i++) {
            double v = fabs(d[i]);
            if (isnan(v)) a->flag = 1;
            else if (v > a->d) {
                a->d2 = 1.0 + a->d2 * (a->d / v) * (a->d / v);
                a->d = v;
            } else if (v > 0 && !isinf(a->d)) {
                a->d2 += (v / a->d) * (v / a->d);
            } /* else: zero, or finite against an infinite scale: nothing */
        }
        break;
    case BN_REDUCE_NORM_MAX:
        for (int64_t i = 0; i < n; i++) {
            double v = fabs(d[i]);
            if (isnan(v)) a->flag = 1;
            else if (v > a->d) a->d = v;
        }
        break;
    case BN_REDUCE_ANY:
        for (int64_t i = 0; i < n && !a->flag; i++) a->flag = d[i] != 0;
        break;
    case BN_REDUCE_ALL:
        for (int64_t i = 0; i < n && a->flag; i++) a->flag = d[i] != 0;
        break;
    case BN_REDUCE_MIN:
    case BN_REDUCE_MAX:
    case BN_REDUCE_ARGMIN:
    case BN_REDUCE_ARGMAX:
        if (pl->g == G_F64) {
            if (a->flag) break;
            for (int64_t i = 0; i < n; i++) {
                if (isnan(d[i])) {
                    a->flag = 1;
                    a->d = d[i];
                    a->idx = pos + i;
                    break;
                }
                if (!a->has || better_f(mx, d[i], a->d)) {
                    a->d = d[i];
                    a->idx = pos + i;
                    a->has = 1;
                }
            }
        } else if (pl->dt != BN_DTYPE_U64) {
            int64_t cur = (int64_t)a->u;
            for (int64_t i = 0; i < n; i++)
                if (!a->has || (mx ? q[i] > cur : q[i] < cur)) {
                    cur = q[i];
                    a->idx = pos + i;
                    a->has = 1;
                }
            a->u = (uint64_t)cur;
        } else {
            uint64_t cur = a->u;
            for (int64_t i = 0; i < n; i++)
                if (!a->has || (mx ? uq[i] > cur : uq[i] < cur)) {
                    cur = uq[i];
                    a->idx = pos + i;
                    a->has = 1;
                }
            a->u = cur;
        }
        break;
    default: break;
    }
}

/* a = a followed by b. */
static void merge(const rplan *pl, racc *a, const racc *b) {
    int mx = pl->op == BN_REDUCE_MAX || pl->op == BN_REDUCE_ARGMAX;
    switch (pl->op) {
    case BN_REDUCE_SUM:
    case BN_REDUCE_MEAN:
        if (pl->g == G_F32) bni_pw32_merge(&a->pw, &b->pw);
        else if (pl->g == G_I64) a->u += b->u;
        else a->d += b->d;
        break;
    case BN_REDUCE_VAR:
    case BN_REDUCE_STD:
        a->d += b->d;
        a->d2 += b->d2;
        break;
    case BN_REDUCE_PROD:
        a->d *= b->d;
        a->u *= b->u;
        break;
    case BN_REDUCE_NORM_L1: a->d += b->d; break;
    case BN_REDUCE_NORM_L2:
        a->flag |= b->flag;
        if (pl->dt != BN_DTYPE_F64) a->d2 += b->d2;
        else if (b->d > a->d) {
            double r = a->d / b->d;
            a->d2 = b->d2 + (isinf(b->d) ? 0.0 : a->d2 * r * r);
            a->d = b->d;
        } else if (b->d > 0 && !isinf(a->d)) {
            double r = b->d / a->d;
            a->d2 += b->d2 * r * r;
        }
        break;
    case BN_REDUCE_NORM_MAX:
        a->flag |= b->flag;
        if (b->d > a->d) a->d = b->d;
        break;
    case BN_REDUCE_ANY: a->flag |= b->flag; break;
    case BN_REDUCE_ALL: a->flag &= b->flag; break;
    default: /* min, max, argmin, argmax */
        if (a->flag || (!b->has && !b->flag)) break;
        if (b->flag || !a->has) {
            *a = *b;
            break;
        }
        if (pl->g == G_F64) {
            if (better_f(mx, b->d, a->d)) *a = *b;
        } else if (pl->dt == BN_DTYPE_U64) {
            if (mx ? b->u > a->u : b->u < a->u) *a = *b;
        } else if (mx ? (int64_t)b->u > (int64_t)a->u : (int64_t)b->u < (int64_t)a->u) {
            *a = *b;
        }
        break;
    }
}

static void store_int(bn_dtype dt, char *dst, uint64_t v) {
    switch (bni_dtype_size(dt)) {
    case 1: {
        uint8_t x = (uint8_t)v;
        memcpy(dst, &x, 1);
        break;
    }
    case 2: {
        uint16_t x = (uint16_t)v;
        memcpy(dst, &x, 2);
        break;
    }
    case 4: {
        uint32_t x = (uint32_t)v;
        memcpy(dst, &x, 4);
        break;
    }
    default: memcpy(dst, &v, 8); break;
    }
}

static void finish(const rplan *pl, racc *a, char *dst) {
    double n = (double)pl->rn, v = 0;
    switch (pl->op) {
    case BN_REDUCE_SUM:
        if (pl->g == G_I64) {
            store_int(pl->rdt, dst, a->u);
            return;
        }
        v = pl->g == G_F32 ? (double)bni_pw32_finish(&a->pw) : a->d;
        break;
    case BN_REDUCE_MEAN:
        if (pl->g == G_F32) v = (double)(bni_pw32_finish(&a->pw) / (float)pl->rn);
        else v = a->d / n;
        break;
    case BN_REDUCE_VAR:
    case BN_REDUCE_STD: {
        double div = n - pl->correction;
        if (div < 0) div = 0;
        v = a->d2 / div;
        if (pl->rn == 0) v = NAN;
        if (pl->op == BN_REDUCE_STD) v = sqrt(v);
        break;
    }
    case BN_REDUCE_PROD:
        if (pl->g == G_I64) {
            store_int(pl->rdt, dst, a->u);
            return;
        }
        v = a->d;
        break;
    case BN_REDUCE_NORM_L1: v = a->d; break;
    case BN_REDUCE_NORM_L2:
        if (pl->dt != BN_DTYPE_F64) v = sqrt(a->d2);
        else v = a->d * sqrt(a->d2);
        if (a->flag) v = NAN;
        break;
    case BN_REDUCE_NORM_MAX: v = a->flag ? NAN : a->d; break;
    case BN_REDUCE_ANY:
    case BN_REDUCE_ALL: {
        uint8_t b = a->flag != 0;
        memcpy(dst, &b, 1);
        return;
    }
    case BN_REDUCE_ARGMIN:
    case BN_REDUCE_ARGMAX: memcpy(dst, &a->idx, 8); return;
    default: /* min, max */
        if (pl->g == G_I64) {
            store_int(pl->rdt, dst, a->u);
            return;
        }
        v = a->d;
        break;
    }
    bni_store_f64(pl->rdt, dst, v);
}

/* ---- the walk over one row ---------------------------------------------------- */

/* Feed logical elements [start, start + cnt) of the row at p0 (start a
 * multiple of BLK) into a. */
static void walk(const rplan *pl, const char *p0, int64_t start, int64_t cnt, racc *a) {
    int nr = pl->nr, in = nr - 1;
    int64_t idx[BN_MAX_DIMS];
    const char *p = p0;
    int64_t rem = start;
    for (int d = nr - 1; d >= 0; d--) {
        idx[d] = rem % pl->rshape[d];
        rem /= pl->rshape[d];
        p += idx[d] * pl->rstride[d];
    }
    const int64_t L = pl->rshape[in];
    const ptrdiff_t s = pl->rstride[in];
    const int direct = native(pl) && s == (ptrdiff_t)pl->es;
    union {
        float f[BLK];
        double d[BLK];
        int64_t i[BLK];
    } buf;
    int64_t pos = start;
    while (cnt > 0) {
        int64_t m = cnt < BLK ? cnt : BLK;
        if (direct && L - idx[in] >= m) {
            feed(pl, a, p, m, pos);
            idx[in] += m;
            p += m * s;
        } else {
            int64_t j = 0;
            while (j < m) {
                int64_t run = L - idx[in];
                if (run > m - j) run = m - j;
                char *dst = pl->g == G_F32 ? (char *)(buf.f + j) : (char *)(buf.d + j);
                convert_run(pl, p, s, run, dst);
                j += run;
                idx[in] += run;
                p += run * s;
                if (idx[in] == L && j < m) {
                    /* carry */
                    idx[in] = 0;
                    p -= L * s;
                    for (int d = in - 1; d >= 0; d--) {
                        idx[d]++;
                        p += pl->rstride[d];
                        if (idx[d] < pl->rshape[d]) break;
                        p -= pl->rshape[d] * pl->rstride[d];
                        idx[d] = 0;
                    }
                }
            }
            feed(pl, a, &buf, m, pos);
        }
        if (idx[in] == L) {
            idx[in] = 0;
            p -= L * s;
            for (int d = in - 1; d >= 0; d--) {
                idx[d]++;
                p += pl->rstride[d];
                if (idx[d] < pl->rshape[d]) break;
                p -= pl->rshape[d] * pl->rstride[d];
                idx[d] = 0;
            }
        }
        pos += m;
        cnt -= m;
    }
}

static const char *out_row(const rplan *pl, int64_t o) {
    const char *p = pl->base;
    for (int d = pl->nk - 1; d >= 0; d--) {
        p += (o % pl->kshape[d]) * pl->kstride[d];
        o /= pl->kshape[d];
    }
    return p;
}

static int two_pass(const rplan *pl) { return pl->op == BN_REDUCE_VAR || pl->op == BN_REDUCE_STD; }

static void rows_task(void *arg, size_t begin, size_t end, int thread) {
    const rplan *pl0 = (const rplan *)arg;
    rplan pl = *pl0;
    (void)thread;
    for (size_t o = begin; o < end; o++) {
        const char *p = out_row(&pl, (int64_t)o);
        racc a;
        acc_init(&pl, &a);
        pl.phase = 0;
        walk(&pl, p, 0, pl.rn, &a);
        if (two_pass(&pl)) {
            a.mean = a.d / (double)pl.rn;
            pl.phase = 1;
            walk(&pl, p, 0, pl.rn, &a);
        }
        finish(&pl, &a, pl.res + o * pl.res_es);
    }
}

static void chunk_task(void *arg, size_t begin, size_t end, int thread) {
    const rplan *pl = (const rplan *)arg;
    (void)thread;
    for (size_t t = begin; t < end; t++) {
        int64_t o = (int64_t)t / pl->nchunks, c = (int64_t)t % pl->nchunks;
        int64_t start = c * pl->chunk, cnt = pl->rn - start < pl->chunk ? pl->rn - start : pl->chunk;
        racc *a = &pl->parts[t];
        double mean = a->mean;
        acc_init(pl, a);
        a->mean = mean;
        walk(pl, out_row(pl, o), start, cnt, a);
    }
}

/* Run the plan: every output written to pl->res. */
static bn_status run_plan(const char *fn, bn_ctx *ctx, rplan *pl) {
    if (pl->nout == 0) return BN_OK;
    int split = pl->rn >= ROW_SPLIT_MIN && pl->nout <= ROW_SPLIT_MAX_OUT;
    if (!split) {
        int64_t grain = pl->rn > 0 ? 32768 / pl->rn : 32768;
        if (grain < 1) grain = 1;
        return bn_ctx_parallel_for(ctx, (size_t)pl->nout, (size_t)grain, rows_task, pl);
    }
    pl->chunk = CHUNK_MIN;
    while ((pl->rn + pl->chunk - 1) / pl->chunk > CHUNKS_MAX) pl->chunk *= 2;
    pl->nchunks = (pl->rn + pl->chunk - 1) / pl->chunk;
    size_t ntask = (size_t)(pl->nout * pl->nchunks);
    pl->parts = (racc *)calloc(ntask, sizeof(racc));
    if (pl->parts == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu partial results", fn, ntask);
    bn_status st = BN_OK;
    for (int phase = 0; phase < (two_pass(pl) ? 2 : 1) && st == BN_OK; phase++) {
        pl->phase = phase;
        st = bn_ctx_parallel_for(ctx, ntask, 1, chunk_task, pl);
        for (int64_t o = 0; o < pl->nout && st == BN_OK; o++) {
            racc *a = &pl->parts[o * pl->nchunks];
            for (int64_t c = 1; c < pl->nchunks; c++) merge(pl, a, &pl->parts[o * pl->nchunks + c]);
            if (phase == 0 && two_pass(pl)) {
                double mean = a->d / (double)pl->rn;
                for (int64_t c = 0; c < pl->nchunks; c++) pl->parts[o * pl->nchunks + c].mean = mean;
            } else {
                finish(pl, a, pl->res + o * pl->res_es);
            }
        }
    }
    free(pl->parts);
    pl->parts = NULL;
    return st;
}

/* ---- setup ------------------------------------------------------------------ */

/* Drop size-1 dims and merge neighbours whose strides chain; at least one dim. */
static int coalesce(int n, int64_t *shape, ptrdiff_t *stride) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (shape[i] == 1) continue;
        if (m > 0 && stride[m - 1] == stride[i] * shape[i]) {
            shape[m - 1] *= shape[i];
            stride[m - 1] = stride[i];
        } else {
            shape[m] = shape[i];
            stride[m] = stride[i];
            m++;
        }
    }
    if (m == 0) {
        shape[0] = 1;
        stride[0] = 0;
        m = 1;
    }
    return m;
}

/* Validate the axes; writes a mask of reduced dims and the result shape. */
static bn_status parse_axes(const char *fn, bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes,
                            int keepdim, int *mask, int *ondim, int64_t *oshape) {
    int nd = x->ndim;
    memset(mask, 0, sizeof(int) * BN_MAX_DIMS);
    if (naxes < 0 || (naxes > 0 && axes == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: naxes %d with axes %s", fn, naxes, axes ? "set" : "NULL");
    if ((op == BN_REDUCE_ARGMIN || op == BN_REDUCE_ARGMAX) && naxes > 1)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s takes one axis or none (all), got %d", fn,
                         bn_reduce_op_name(op), naxes);
    if (naxes > (nd > 0 ? nd : 1))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %d axes for a tensor of %d dimensions", fn, naxes, nd);
    int all = naxes == 0;
    for (int i = 0; i < naxes; i++) {
        int a = axes[i], lim = nd > 0 ? nd : 1;
        if (a < -lim || a >= lim)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: axis %d out of range for %d dimensions", fn, a, nd);
        if (a < 0) a += lim;
        if (nd == 0) continue;
        if (mask[a]) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: axis %d repeated", fn, axes[i]);
        mask[a] = 1;
    }
    int k = 0;
    for (int d = 0; d < nd; d++) {
        if (all) mask[d] = 1;
        if (!mask[d]) oshape[k++] = x->shape[d];
        else if (keepdim) oshape[k++] = 1;
    }
    *ondim = k;
    return BN_OK;
}

static bn_status plan_init(const char *fn, bn_reduce_op op, const bn_tensor *x, const int *mask, rplan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->op = op;
    pl->dt = x->dtype;
    pl->es = bni_dtype_size(x->dtype);
    pl->rdt = result_dtype(op, x->dtype);
    pl->g = gather_kind(op, x->dtype);
    pl->is_signed = bni_dtype_is_signed(x->dtype);
    pl->base = bni_tensor_base(x);
    pl->k = bni_reduce_kernels_get();
    pl->cvt = bni_cpu_kernels_get();
    pl->nout = 1;
    pl->rn = 1;
    for (int d = 0; d < x->ndim; d++) {
        ptrdiff_t sb = (ptrdiff_t)(x->strides[d] * (int64_t)pl->es);
        if (mask[d]) {
            pl->rshape[pl->nr] = x->shape[d];
            pl->rstride[pl->nr++] = sb;
            pl->rn *= x->shape[d];
        } else {
            pl->kshape[pl->nk] = x->shape[d];
            pl->kstride[pl->nk++] = sb;
            pl->nout *= x->shape[d];
        }
    }
    (void)fn;
    if (pl->nout > 0 && pl->rn > 0) {
        pl->nr = coalesce(pl->nr, pl->rshape, pl->rstride);
        pl->nk = coalesce(pl->nk, pl->kshape, pl->kstride);
    }
    pl->res_es = bni_dtype_size(pl->rdt);
    return BN_OK;
}

static bn_status reduce_impl(const char *fn, bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes,
                             int keepdim, double correction, bn_tensor *into, bn_tensor **out) {
    BNI_CHECK_NULL("bn_reduce", x);
    if ((unsigned)op >= BN_REDUCE_OP_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown reduction %d", fn, (int)op);
    const char *name = bn_reduce_op_name(op);
    bn_status st = bni_ops_check_dtype(fn, name, x->dtype);
    if (st != BN_OK) return st;
    if ((op == BN_REDUCE_VAR || op == BN_REDUCE_STD) && !(correction >= 0) )
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: correction %g must be >= 0", fn, correction);
    bn_ctx *ctx = x->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    int mask[BN_MAX_DIMS], ondim = 0;
    int64_t oshape[BN_MAX_DIMS];
    st = parse_axes(fn, op, x, axes, naxes, keepdim, mask, &ondim, oshape);
    if (st != BN_OK) return st;
    rplan pl;
    plan_init(fn, op, x, mask, &pl);
    pl.correction = correction;
    if (pl.rn == 0 && pl.nout > 0 &&
        (op == BN_REDUCE_MIN || op == BN_REDUCE_MAX || op == BN_REDUCE_ARGMIN || op == BN_REDUCE_ARGMAX)) {
        char sb[128];
        bni_format_shape(sb, sizeof sb, x->ndim, x->shape);
        return bni_error(BN_ERR_SHAPE, "%s: %s of an empty reduction (input %s) has no identity", fn, name, sb);
    }
    bn_tensor *res = NULL;
    if (into != NULL) {
        const bn_tensor *ins[1] = {x};
        st = bni_ops_check_out(fn, into, ondim, oshape, pl.rdt, ins, 1);
        if (st != BN_OK) return st;
        if (into->dtype == pl.rdt && bn_tensor_is_contiguous(into)) res = into;
    }
    if (res == NULL) {
        st = bni_ops_alloc_out(fn, ctx, pl.rdt, ondim, oshape, &res);
        if (st != BN_OK) return st;
    }
    pl.res = bni_tensor_base(res);
    if (pl.rn == 0) {
        /* identities: sum 0, prod 1, any false, all true; mean, var, std NaN */
        racc a;
        acc_init(&pl, &a);
        for (int64_t o = 0; o < pl.nout; o++) finish(&pl, &a, pl.res + o * pl.res_es);
    } else {
        st = run_plan(fn, ctx, &pl);
    }
    if (st == BN_OK && res != into && into != NULL) st = bni_tensor_copy(fn, into, res);
    if (res != into) {
        if (st == BN_OK && out != NULL) *out = res;
        else bn_tensor_free(res);
    }
    if (st == BN_OK) bni_prof_end(ctx, name, t0, bn_tensor_numel(x));
    return st;
}

bn_status bn_reduce(bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes, int keepdim, double correction,
                    bn_tensor **out) {
    BNI_CHECK_NULL("bn_reduce", out);
    return reduce_impl("bn_reduce", op, x, axes, naxes, keepdim, correction, NULL, out);
}

bn_status bn_reduce_into(bn_reduce_op op, const bn_tensor *x, const int *axes, int naxes, int keepdim,
                         double correction, bn_tensor *out) {
    BNI_CHECK_NULL("bn_reduce_into", out);
    return reduce_impl("bn_reduce_into", op, x, axes, naxes, keepdim, correction, out, NULL);
}

bn_status bn_sum_all(const bn_tensor *x, double *sum) {
    BNI_CHECK_NULL("bn_sum_all", x);
    BNI_CHECK_NULL("bn_sum_all", sum);
    bn_status st = bni_ops_check_dtype("bn_sum_all", "sum", x->dtype);
    if (st != BN_OK) return st;
    int mask[BN_MAX_DIMS];
    for (int d = 0; d < BN_MAX_DIMS; d++) mask[d] = 1;
    rplan pl;
    plan_init("bn_sum_all", BN_REDUCE_SUM, x, mask, &pl);
    pl.g = G_F64;
    pl.rdt = BN_DTYPE_F64;
    pl.res_es = 8;
    double v = 0;
    pl.res = (char *)&v;
    if (pl.rn > 0) st = run_plan("bn_sum_all", x->storage->ctx, &pl);
    if (st == BN_OK) *sum = v;
    return st;
}
