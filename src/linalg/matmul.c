/* Matrix products on CBLAS: bn_matmul (torch.matmul semantics), bn_dot,
 * bn_outer.
 *
 * Each operand matrix (r x c with row stride rs and column stride cs) is
 * classified as row-major (NoTrans, ld = rs), column-major (Trans, ld = cs)
 * or neither (copied into a contiguous scratch matrix). The output must be
 * row- or column-major; a column-major C is computed as Cᵀ = Bᵀ Aᵀ with the
 * operands swapped, and any other output goes through a scratch matrix.
 * One row or one column on either side uses gemv, 1 x 1 uses dot. f16/bf16
 * operands are converted to f32 scratch matrices (per batch matrix, reused
 * when a broadcast operand repeats), multiplied by sgemm, and rounded once. */
#include <cblas.h>
#include <inttypes.h>
#include <string.h>

#include "linalg/linalg_internal.h"

enum { MM_ROW = 0, MM_COL = 1, MM_COPY = 2 };

/* No batch offset gathered yet (offsets may be negative). */
#define NONE INT64_MIN

static int64_t max1(int64_t v) { return v > 1 ? v : 1; }

/* How an r x c matrix with strides (rs, cs) can be given to BLAS. */
static int classify(int64_t r, int64_t c, int64_t rs, int64_t cs, int64_t *ld) {
    if ((c == 1 || cs == 1) && (r == 1 || rs >= max1(c))) {
        *ld = r == 1 ? max1(c) : rs;
        if (*ld <= INT32_MAX) return MM_ROW;
    }
    if ((r == 1 || rs == 1) && (c == 1 || cs >= max1(r))) {
        *ld = c == 1 ? max1(r) : cs;
        if (*ld <= INT32_MAX) return MM_COL;
    }
    *ld = max1(c);
    return MM_COPY;
}

/* One operand of the batched product. */
typedef struct mm_mat {
    const bn_tensor *t; /* NULL for the output's scratch */
    char *base;         /* element 0 of batch 0 */
    int64_t bstr[BN_MAX_DIMS];
    int64_t rs, cs;     /* matrix strides (elements) */
} mm_mat;

typedef struct mm_job {
    const char *fn;
    bn_dtype dt;        /* the tensors' dtype */
    bn_dtype work;      /* dtype BLAS sees: f32 or f64 */
    int nb;
    int64_t bshape[BN_MAX_DIMS];
    int64_t m, k, n;
    mm_mat a, b, c;
} mm_job;

/* Copy (converting) an r x c strided matrix into a row-major contiguous one. */
static void gather(bn_dtype src_dt, const char *src, int64_t rs, int64_t cs, int64_t r, int64_t c, bn_dtype dst_dt,
                   char *dst) {
    bni_cvt_fn cvt = bni_cvt_get(src_dt, dst_dt);
    size_t es = bni_dtype_size(src_dt), ds = bni_dtype_size(dst_dt);
    for (int64_t i = 0; i < r; i++)
        cvt(src + i * rs * (int64_t)es, (ptrdiff_t)(cs * (int64_t)es), dst + (size_t)(i * c) * ds, (ptrdiff_t)ds,
            (size_t)c);
}

/* Scatter a row-major contiguous r x c matrix into a strided one. */
static void scatter(bn_dtype src_dt, const char *src, int64_t r, int64_t c, bn_dtype dst_dt, char *dst, int64_t rs,
                    int64_t cs) {
    bni_cvt_fn cvt = bni_cvt_get(src_dt, dst_dt);
    size_t es = bni_dtype_size(src_dt), ds = bni_dtype_size(dst_dt);
    for (int64_t i = 0; i < r; i++)
        cvt(src + (size_t)(i * c) * es, (ptrdiff_t)es, dst + i * rs * (int64_t)ds, (ptrdiff_t)(cs * (int64_t)ds),
            (size_t)c);
}

static void zero_matrix(size_t es, char *p, int64_t r, int64_t c, int64_t rs, int64_t cs) {
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++) memset(p + (i * rs + j * cs) * (int64_t)es, 0, es);
}

/* Scratch buffers of one call, grown on demand. */
typedef struct mm_scratch {
    char *p[3];
    size_t size[3];
    int64_t last_off[2]; /* batch offset last gathered into p[0] / p[1] (NONE: none) */
} mm_scratch;

static bn_status scratch_get(const char *fn, mm_scratch *s, int i, size_t bytes) {
    if (bytes == 0) bytes = 1;
    if (s->size[i] >= bytes) return BN_OK;
    bni_free(s->p[i]);
    s->p[i] = bni_malloc(bytes);
    s->size[i] = s->p[i] ? bytes : 0;
    if (i < 2) s->last_off[i] = NONE;
    if (!s->p[i]) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of scratch", fn, bytes);
    return BN_OK;
}

/* cblas wrappers for both precisions. */
static void blas_gemm(bn_dtype w, int ta, int tb, int m, int n, int k, const void *a, int lda, const void *b,
                      int ldb, void *c, int ldc) {
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    if (w == BN_DTYPE_F64)
        cblas_dgemm(CblasRowMajor, TA, TB, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
    else
        cblas_sgemm(CblasRowMajor, TA, TB, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

static void blas_gemv(bn_dtype w, int trans, int rows, int cols, const void *a, int lda, const void *x, int incx,
                      void *y, int incy) {
    enum CBLAS_TRANSPOSE T = trans ? CblasTrans : CblasNoTrans;
    if (w == BN_DTYPE_F64)
        cblas_dgemv(CblasRowMajor, T, rows, cols, 1.0, a, lda, x, incx, 0.0, y, incy);
    else
        cblas_sgemv(CblasRowMajor, T, rows, cols, 1.0f, a, lda, x, incx, 0.0f, y, incy);
}

static void blas_dot(bn_dtype w, int n, const void *x, int incx, const void *y, int incy, void *out) {
    if (w == BN_DTYPE_F64) *(double *)out = cblas_ddot(n, x, incx, y, incy);
    else *(float *)out = cblas_sdot(n, x, incx, y, incy);
}

/* Resolve one operand of one batch matrix: a pointer BLAS can read with its
 * class and ld, gathering into scratch slot `slot` when needed. */
static bn_status operand(const mm_job *j, const mm_mat *x, int64_t off, int64_t r, int64_t c, int slot,
                         mm_scratch *s, const char **ptr, int *cls, int64_t *ld) {
    size_t es = bni_dtype_size(j->dt), ws = bni_dtype_size(j->work);
    const char *src = x->base + off * (int64_t)es;
    *cls = classify(r, c, x->rs, x->cs, ld);
    if (*cls != MM_COPY && j->dt == j->work) {
        *ptr = src;
        return BN_OK;
    }
    if (s->p[slot] == NULL || s->last_off[slot] != off) {
        bn_status st = scratch_get(j->fn, s, slot, (size_t)(r * c) * ws);
        if (st) return st;
        gather(j->dt, src, x->rs, x->cs, r, c, j->work, s->p[slot]);
        s->last_off[slot] = off;
    }
    *ptr = s->p[slot];
    *cls = MM_ROW;
    *ld = max1(c);
    return BN_OK;
}

/* A vector of length len with stride inc: usable directly when inc > 0 and
 * no conversion is needed, else gathered (contiguous) into slot. */
static bn_status vector(const mm_job *j, const char *src, int64_t len, int64_t inc, int slot, mm_scratch *s,
                        int64_t off, const char **ptr, int64_t *pinc) {
    if ((inc > 0 || len == 1) && inc <= INT32_MAX && j->dt == j->work) {
        *ptr = src;
        *pinc = len == 1 ? 1 : inc;
        return BN_OK;
    }
    if (s->p[slot] == NULL || s->last_off[slot] != off) {
        bn_status st = scratch_get(j->fn, s, slot, (size_t)len * bni_dtype_size(j->work));
        if (st) return st;
        gather(j->dt, src, 0, inc, 1, len, j->work, s->p[slot]);
        s->last_off[slot] = off;
    }
    *ptr = s->p[slot];
    *pinc = 1;
    return BN_OK;
}

/* C (m x n, row-major with ldc) = A (m x k) B (k x n) for one batch matrix. */
static bn_status one_product(const mm_job *j, const mm_mat *A, int64_t aoff, const mm_mat *B, int64_t boff,
                             int64_t m, int64_t n, char *c, int64_t ldc, int64_t incc, mm_scratch *s) {
    size_t es = bni_dtype_size(j->dt);
    int64_t k = j->k;
    bn_status st;
    if (m == 1 && n == 1) {
        const char *x, *y;
        int64_t ix, iy;
        if ((st = vector(j, A->base + aoff * (int64_t)es, k, A->cs, 0, s, aoff, &x, &ix))) return st;
        if ((st = vector(j, B->base + boff * (int64_t)es, k, B->rs, 1, s, boff, &y, &iy))) return st;
        blas_dot(j->work, (int)k, x, (int)ix, y, (int)iy, c);
        return BN_OK;
    }
    if (n == 1) { /* y[m] = A x */
        const char *pa, *x;
        int ca;
        int64_t lda, ix;
        if ((st = operand(j, A, aoff, m, k, 0, s, &pa, &ca, &lda))) return st;
        if ((st = vector(j, B->base + boff * (int64_t)es, k, B->rs, 1, s, boff, &x, &ix))) return st;
        if (ca == MM_ROW) blas_gemv(j->work, 0, (int)m, (int)k, pa, (int)lda, x, (int)ix, c, (int)incc);
        else blas_gemv(j->work, 1, (int)k, (int)m, pa, (int)lda, x, (int)ix, c, (int)incc);
        return BN_OK;
    }
    if (m == 1) { /* y[n] = Bᵀ x */
        const char *pb, *x;
        int cb;
        int64_t ldb, ix;
        if ((st = vector(j, A->base + aoff * (int64_t)es, k, A->cs, 0, s, aoff, &x, &ix))) return st;
        if ((st = operand(j, B, boff, k, n, 1, s, &pb, &cb, &ldb))) return st;
        if (cb == MM_ROW) blas_gemv(j->work, 1, (int)k, (int)n, pb, (int)ldb, x, (int)ix, c, 1);
        else blas_gemv(j->work, 0, (int)n, (int)k, pb, (int)ldb, x, (int)ix, c, 1);
        return BN_OK;
    }
    const char *pa, *pb;
    int ca, cb;
    int64_t lda, ldb;
    if ((st = operand(j, A, aoff, m, k, 0, s, &pa, &ca, &lda))) return st;
    if ((st = operand(j, B, boff, k, n, 1, s, &pb, &cb, &ldb))) return st;
    blas_gemm(j->work, ca == MM_COL, cb == MM_COL, (int)m, (int)n, (int)k, pa, (int)lda, pb, (int)ldb, c, (int)ldc);
    return BN_OK;
}

static bn_status run_job(mm_job *j) {
    int64_t nbatch = bni_la_count(j->nb, j->bshape);
    int64_t m = j->m, n = j->n, k = j->k;
    size_t es = bni_dtype_size(j->dt), ws = bni_dtype_size(j->work);
    if (nbatch == 0 || m == 0 || n == 0) return BN_OK;
    if (k == 0) {
        for (int64_t b = 0; b < nbatch; b++)
            zero_matrix(es, j->c.base + bni_la_batch_offset(j->nb, j->bshape, j->c.bstr, b) * (int64_t)es, m, n,
                        j->c.rs, j->c.cs);
        return BN_OK;
    }
    /* Normalize the output to row-major: a column-major C is Cᵀ = Bᵀ Aᵀ. */
    mm_mat A = j->a, B = j->b;
    int64_t ldc, crs = j->c.rs, ccs = j->c.cs;
    int cc = classify(m, n, crs, ccs, &ldc);
    int64_t M = m, N = n;
    if (cc == MM_COL) {
        mm_mat t = A;
        A = B;
        B = t;
        int64_t x = A.rs;
        A.rs = A.cs;
        A.cs = x;
        x = B.rs;
        B.rs = B.cs;
        B.cs = x;
        x = crs;
        crs = ccs;
        ccs = x;
        M = n;
        N = m;
        cc = MM_ROW;
    }
    int direct = cc == MM_ROW && j->dt == j->work;
    /* gemv writes y with a stride: any positive stride works for one column. */
    int64_t incc = 1;
    if (N == 1) {
        incc = M == 1 ? 1 : crs;
        direct = j->dt == j->work && incc > 0 && incc <= INT32_MAX;
    }
    mm_scratch s;
    memset(&s, 0, sizeof s);
    s.last_off[0] = s.last_off[1] = NONE;
    bn_status st = BN_OK;
    if (!direct) {
        st = scratch_get(j->fn, &s, 2, (size_t)(M * N) * ws);
        ldc = N;
        incc = 1;
    }
    for (int64_t b = 0; b < nbatch && st == BN_OK; b++) {
        int64_t aoff = bni_la_batch_offset(j->nb, j->bshape, A.bstr, b);
        int64_t boff = bni_la_batch_offset(j->nb, j->bshape, B.bstr, b);
        char *c = j->c.base + bni_la_batch_offset(j->nb, j->bshape, j->c.bstr, b) * (int64_t)es;
        st = one_product(j, &A, aoff, &B, boff, M, N, direct ? c : s.p[2], ldc, incc, &s);
        if (st == BN_OK && !direct) scatter(j->work, s.p[2], M, N, j->dt, c, crs, ccs);
    }
    for (int i = 0; i < 3; i++) bni_free(s.p[i]);
    return st;
}

/* ---- shapes ------------------------------------------------------------ */

/* Validate a and b, and fill the job's shapes, operands and the result shape. */
static bn_status plan(const char *fn, const bn_tensor *a, const bn_tensor *b, mm_job *j, int *rndim,
                      int64_t *rshape) {
    char sa[160], sb[160];
    bn_status st;
    if ((st = bni_la_check_float(fn, "a", a)) || (st = bni_la_check_float(fn, "b", b))) return st;
    if (a->dtype != b->dtype)
        return bni_error(BN_ERR_DTYPE, "%s: a is %s and b is %s; both operands need the same dtype", fn,
                         bn_dtype_name(a->dtype), bn_dtype_name(b->dtype));
    if (a->ndim == 0 || b->ndim == 0) {
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
        return bni_error(BN_ERR_SHAPE, "%s: a is %s, b is %s; both operands need at least 1 dimension", fn, sa, sb);
    }
    memset(j, 0, sizeof *j);
    j->fn = fn;
    j->dt = a->dtype;
    j->work = a->dtype == BN_DTYPE_F64 ? BN_DTYPE_F64 : BN_DTYPE_F32;
    int av = a->ndim == 1, bv = b->ndim == 1;
    int64_t ka = a->shape[a->ndim - 1], kb = bv ? b->shape[0] : b->shape[b->ndim - 2];
    if (ka != kb) {
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
        return bni_error(BN_ERR_SHAPE, "%s: inner dimensions differ: a is %s, b is %s", fn, sa, sb);
    }
    j->k = ka;
    j->m = av ? 1 : a->shape[a->ndim - 2];
    j->n = bv ? 1 : b->shape[b->ndim - 1];
    int anb = av ? 0 : a->ndim - 2, bnb = bv ? 0 : b->ndim - 2;
    if ((st = bn_broadcast_shapes(anb, a->shape, bnb, b->shape, &j->nb, j->bshape)) != BN_OK) {
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
        return bni_error(BN_ERR_SHAPE, "%s: batch dimensions do not broadcast: a is %s, b is %s", fn, sa, sb);
    }
    if ((st = bni_la_check_int(fn, j->m)) || (st = bni_la_check_int(fn, j->n)) || (st = bni_la_check_int(fn, j->k)))
        return st;
    bni_la_batch_strides(a, anb, j->nb, j->bshape, j->a.bstr);
    bni_la_batch_strides(b, bnb, j->nb, j->bshape, j->b.bstr);
    j->a.t = a;
    j->a.base = bni_la_ptr(a);
    j->a.rs = av ? 0 : a->strides[a->ndim - 2];
    j->a.cs = a->strides[a->ndim - 1];
    j->b.t = b;
    j->b.base = bni_la_ptr(b);
    j->b.rs = bv ? b->strides[0] : b->strides[b->ndim - 2];
    j->b.cs = bv ? 0 : b->strides[b->ndim - 1];
    int nd = j->nb;
    for (int d = 0; d < j->nb; d++) rshape[d] = j->bshape[d];
    if (!av) rshape[nd++] = j->m;
    if (!bv) rshape[nd++] = j->n;
    *rndim = nd;
    return BN_OK;
}

/* Point the job's output at out (shape already checked). */
static void set_output(mm_job *j, const bn_tensor *a, const bn_tensor *b, bn_tensor *out) {
    int av = a->ndim == 1, bv = b->ndim == 1;
    for (int d = 0; d < j->nb; d++) j->c.bstr[d] = j->bshape[d] == 1 ? 0 : out->strides[d];
    j->c.base = bni_la_ptr(out);
    int d = j->nb;
    j->c.rs = av ? 0 : out->strides[d++];
    j->c.cs = bv ? 0 : out->strides[d];
    j->c.t = out;
}

static int overlaps(const bn_tensor *x, const bn_tensor *y) {
    if (!bn_tensor_shares_storage(x, y)) return 0;
    int64_t xl, xh, yl, yh;
    bni_la_extent(x, &xl, &xh);
    bni_la_extent(y, &yl, &yh);
    if (xl > xh || yl > yh) return 0;
    return xl <= yh && yl <= xh;
}

bn_status bn_matmul_into(const bn_tensor *a, const bn_tensor *b, bn_tensor *out) {
    static const char fn[] = "bn_matmul_into";
    BNI_CHECK_NULL("bn_matmul_into", a);
    BNI_CHECK_NULL("bn_matmul_into", b);
    BNI_CHECK_NULL("bn_matmul_into", out);
    mm_job j;
    int rndim;
    int64_t rshape[BN_MAX_DIMS];
    bn_status st = plan(fn, a, b, &j, &rndim, rshape);
    if (st) return st;
    char s1[160], s2[160];
    int same = out->ndim == rndim;
    for (int d = 0; same && d < rndim; d++) same = out->shape[d] == rshape[d];
    if (!same) {
        bni_format_shape(s1, sizeof s1, out->ndim, out->shape);
        bni_format_shape(s2, sizeof s2, rndim, rshape);
        return bni_error(BN_ERR_SHAPE, "%s: out is %s but the product is %s", fn, s1, s2);
    }
    if (out->dtype != a->dtype)
        return bni_error(BN_ERR_DTYPE, "%s: out is %s but the operands are %s", fn, bn_dtype_name(out->dtype),
                         bn_dtype_name(a->dtype));
    if (overlaps(out, a) || overlaps(out, b))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: out overlaps %s; a matrix product cannot be written over "
                         "its operands", fn, overlaps(out, a) ? "a" : "b");
    set_output(&j, a, b, out);
    bni_la_set_threads(bn_tensor_ctx(a));
    return run_job(&j);
}

bn_status bn_matmul(const bn_tensor *a, const bn_tensor *b, bn_tensor **out) {
    static const char fn[] = "bn_matmul";
    BNI_CHECK_NULL("bn_matmul", a);
    BNI_CHECK_NULL("bn_matmul", b);
    BNI_CHECK_NULL("bn_matmul", out);
    mm_job j;
    int rndim;
    int64_t rshape[BN_MAX_DIMS];
    bn_status st = plan(fn, a, b, &j, &rndim, rshape);
    if (st) return st;
    bn_tensor *r = NULL;
    if ((st = bni_tensor_alloc(fn, bn_tensor_ctx(a), a->dtype, rndim, rshape, 0, &r))) return st;
    set_output(&j, a, b, r);
    bni_la_set_threads(bn_tensor_ctx(a));
    if ((st = run_job(&j)) != BN_OK) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_dot(const bn_tensor *a, const bn_tensor *b, bn_tensor **out) {
    BNI_CHECK_NULL("bn_dot", a);
    BNI_CHECK_NULL("bn_dot", b);
    BNI_CHECK_NULL("bn_dot", out);
    if (a->ndim != 1 || b->ndim != 1 || a->shape[0] != b->shape[0]) {
        char sa[160], sb[160];
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
        return bni_error(BN_ERR_SHAPE, "bn_dot: a is %s, b is %s; two 1-D tensors of the same length are needed", sa,
                         sb);
    }
    mm_job j;
    int rndim;
    int64_t rshape[BN_MAX_DIMS];
    bn_status st = plan("bn_dot", a, b, &j, &rndim, rshape);
    if (st) return st;
    bn_tensor *r = NULL;
    if ((st = bni_tensor_alloc("bn_dot", bn_tensor_ctx(a), a->dtype, 0, NULL, 0, &r))) return st;
    set_output(&j, a, b, r);
    bni_la_set_threads(bn_tensor_ctx(a));
    if ((st = run_job(&j)) != BN_OK) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}

bn_status bn_outer(const bn_tensor *a, const bn_tensor *b, bn_tensor **out) {
    static const char fn[] = "bn_outer";
    BNI_CHECK_NULL("bn_outer", a);
    BNI_CHECK_NULL("bn_outer", b);
    BNI_CHECK_NULL("bn_outer", out);
    if (a->ndim != 1 || b->ndim != 1) {
        char sa[160], sb[160];
        bni_format_shape(sa, sizeof sa, a->ndim, a->shape);
        bni_format_shape(sb, sizeof sb, b->ndim, b->shape);
        return bni_error(BN_ERR_SHAPE, "bn_outer: a is %s, b is %s; two 1-D tensors are needed", sa, sb);
    }
    bn_status st;
    if ((st = bni_la_check_float(fn, "a", a)) || (st = bni_la_check_float(fn, "b", b))) return st;
    if (a->dtype != b->dtype)
        return bni_error(BN_ERR_DTYPE, "%s: a is %s and b is %s; both operands need the same dtype", fn,
                         bn_dtype_name(a->dtype), bn_dtype_name(b->dtype));
    /* [m, 1] x [1, n], k = 1. */
    mm_job j;
    memset(&j, 0, sizeof j);
    j.fn = fn;
    j.dt = a->dtype;
    j.work = a->dtype == BN_DTYPE_F64 ? BN_DTYPE_F64 : BN_DTYPE_F32;
    j.m = a->shape[0];
    j.n = b->shape[0];
    j.k = 1;
    if ((st = bni_la_check_int(fn, j.m)) || (st = bni_la_check_int(fn, j.n))) return st;
    j.a.base = bni_la_ptr(a);
    j.a.rs = a->strides[0];
    j.a.cs = 1;
    j.b.base = bni_la_ptr(b);
    j.b.rs = 1;
    j.b.cs = b->strides[0];
    int64_t shape[2] = {j.m, j.n};
    bn_tensor *r = NULL;
    if ((st = bni_tensor_alloc(fn, bn_tensor_ctx(a), a->dtype, 2, shape, 0, &r))) return st;
    j.c.base = bni_la_ptr(r);
    j.c.rs = r->strides[0];
    j.c.cs = r->strides[1];
    bni_la_set_threads(bn_tensor_ctx(a));
    if ((st = run_job(&j)) != BN_OK) {
        bn_tensor_free(r);
        return st;
    }
    *out = r;
    return BN_OK;
}
