/* The LAPACK kernels, written once and compiled per working precision:
 * lapack_f32.c and lapack_f64.c define
 *   REAL    float / double
 *   SFX     f32 / f64          (suffix of the bni_la_*_SFX functions)
 *   LP      s / d              (LAPACKE_<LP>xxx_work)
 *   WORK    BN_DTYPE_F32 / BN_DTYPE_F64
 *   EPS     FLT_EPSILON / DBL_EPSILON
 *   GEMM    cblas_sgemm / cblas_dgemm
 * and include this file.
 *
 * Every function loops over the batch: loads one matrix into a
 * column-major scratch buffer (bni_la_load refuses NaN and infinities),
 * calls LAPACK (workspace sizes from a query, buffers from bni_malloc),
 * translates `info` into a status, and stores the results into the
 * caller's freshly allocated contiguous outputs. */
#include <inttypes.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "linalg/linalg_internal.h"

#define LA_CAT_(a, b, c) a##b##c
#define LA_CAT(a, b, c) LA_CAT_(a, b, c)
#define LAPACK(name) LA_CAT(LAPACKE_, LP, name##_work)
#define FN(name) LA_CAT(bni_la_, name##_, SFX)
#define LPNAME(name) (WORK == BN_DTYPE_F64 ? "d" name : "s" name)

/* Scratch buffers of one call, from the context's memory pool (which keeps
 * freed blocks for the next call), released together. */
typedef struct la_bufs {
    void *p[12];
    int n;
    bn_pool *pool;
} la_bufs;

#define LA_BUFS(t) {{0}, 0, bn_ctx_pool(bn_tensor_ctx(t))}

static void bufs_free(la_bufs *b) {
    for (int i = 0; i < b->n; i++) bn_pool_release(b->pool, b->p[i]);
    b->n = 0;
}

/* count * size bytes (at least one element), NULL on overflow or failure
 * after setting the message. */
static void *bufs_get(la_bufs *b, const char *fn, int64_t count, size_t size) {
    size_t bytes;
    void *p = NULL;
    if (count < 1) count = 1;
    if (b->n >= (int)(sizeof b->p / sizeof b->p[0]) || !bni_mul_size((size_t)count, size, &bytes)) {
        bni_error(BN_ERR_OVERFLOW, "%s: scratch of %" PRId64 " elements is too large", fn, count);
        return NULL;
    }
    if (bn_pool_alloc(b->pool, bytes, "linalg", &p) != BN_OK) {
        bni_error(BN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of LAPACK scratch", fn, bytes);
        return NULL;
    }
    b->p[b->n++] = p;
    return p;
}

/* Element e of t's storage as a REAL pointer (t of dtype WORK). */
static REAL *la_at(const bn_tensor *t, int64_t e) { return (REAL *)(void *)bni_la_ptr(t) + e; }

/* From this order on, the lower Cholesky factor is computed in place with
 * potrf('U') rather than with potrf('L') and two tiled transposes (at 1024
 * both take the same time, at 2048 the transposes cost 5-8% more). */
#define LA_CHOL_U_MIN 1024

static int64_t la_max1(int64_t v) { return v > 1 ? v : 1; }
static int64_t la_min(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t la_max(int64_t a, int64_t b) { return a > b ? a : b; }

/* Leading dimension of a scratch matrix with v rows: padded by a cache line
 * when its column stride would be a multiple of 1 KiB, so that the
 * transposing copies do not keep hitting the same cache sets. */
static int64_t la_ld(int64_t v) {
    int64_t ld = la_max1(v);
    if (ld >= 64 && (ld * (int64_t)sizeof(REAL)) % 1024 == 0) ld += 64 / (int64_t)sizeof(REAL);
    return ld;
}

/* Workspace size from a query result (padded: single precision cannot hold
 * every large integer exactly). */
static lapack_int lwork_of(REAL q) {
    double w = (double)q * (1.0 + 1e-6) + 1.0;
    return w > (double)INT32_MAX ? INT32_MAX : (lapack_int)w;
}

/* Status for a negative info (a bad argument: a bug here). */
static bn_status bad_arg(const char *fn, const char *routine, lapack_int info) {
    return bni_error(BN_ERR_INTERNAL, "%s: LAPACK %s rejected argument %d", fn, routine, (int)-info);
}

/* Write one value into element offset off of t. */
static void put1(bn_tensor *t, int64_t off, REAL v) { bni_la_store(t, off, 1, 1, 0, 0, WORK, &v, 1); }

/* ---- SVD ---------------------------------------------------------------- */

/* One gesdd call on the column-major m x n matrix a. */
static bn_status gesdd(const char *fn, la_bufs *bufs, char jobz, int64_t m, int64_t n, REAL *a, int64_t lda, REAL *s,
                       REAL *u,
                       int64_t ldu, REAL *vt, int64_t ldvt, int64_t batch, REAL **work, lapack_int *lwork,
                       lapack_int **iwork) {
    lapack_int info;
    int64_t k = la_min(m, n);
    if (*work == NULL) {
        REAL q = 0;
        *iwork = bufs_get(bufs, fn, 8 * k, sizeof(lapack_int));
        if (!*iwork) return bn_last_status();
        info = LAPACK(gesdd)(LAPACK_COL_MAJOR, jobz, (lapack_int)m, (lapack_int)n, a, (lapack_int)lda, s, u,
                             (lapack_int)ldu, vt, (lapack_int)ldvt, &q, -1, *iwork);
        if (info < 0) return bad_arg(fn, LPNAME("gesdd"), info);
        *lwork = lwork_of(q);
        *work = bufs_get(bufs, fn, *lwork, sizeof(REAL));
        if (!*work) return bn_last_status();
    }
    info = LAPACK(gesdd)(LAPACK_COL_MAJOR, jobz, (lapack_int)m, (lapack_int)n, a, (lapack_int)lda, s, u,
                         (lapack_int)ldu, vt, (lapack_int)ldvt, *work, *lwork, *iwork);
    if (info < 0) return bad_arg(fn, LPNAME("gesdd"), info);
    if (info > 0)
        return bni_error(BN_ERR_NO_CONVERGENCE,
                         "%s: the SVD of batch matrix %" PRId64 " did not converge (LAPACK %s info %d)", fn, batch,
                         LPNAME("gesdd"), (int)info);
    return BN_OK;
}

/* On the column-major view of the row-major A, i.e. on Aᵀ (n x m): no
 * transposing copy in or out. Aᵀ = U' S V'ᵀ gives A = V' S U'ᵀ: U = V'
 * and Vh = U'ᵀ. Column-major, U' (n x vrows, ld n) is Vh row-major and
 * V'ᵀ (ucols x m, ld ucols) is U row-major, so gesdd writes them straight
 * into the outputs (f32/f64; else into scratch converted afterwards). A's
 * copy keeps the padded leading dimension. */
bn_status FN(svd)(const char *fn, const bn_tensor *a, bn_svd_mode mode, bn_tensor *u, bn_tensor *s, bn_tensor *vh) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    char jobz = mode == BN_SVD_FULL ? 'A' : mode == BN_SVD_THIN ? 'S' : 'N';
    int64_t ucols = mode == BN_SVD_FULL ? m : k, vrows = mode == BN_SVD_FULL ? n : k;
    int64_t lda = la_ld(n), ldu = jobz == 'N' ? 1 : la_max1(n), ldvt = jobz == 'N' ? 1 : la_max1(ucols);
    int direct = s->dtype == WORK;
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * m, sizeof(REAL));
    REAL *sb = ab && !direct ? bufs_get(&bufs, fn, k, sizeof(REAL)) : ab;
    REAL *ub = sb && !direct && jobz != 'N' ? bufs_get(&bufs, fn, n * vrows, sizeof(REAL)) : sb;
    REAL *vb = ub && !direct && jobz != 'N' ? bufs_get(&bufs, fn, ucols * m, sizeof(REAL)) : ub;
    REAL *work = NULL;
    lapack_int lwork = 0, *iwork = NULL;
    if (!vb) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        REAL *sv = direct ? la_at(s, b * k) : sb, *uv = NULL, *vv = NULL;
        if (jobz != 'N') {
            uv = direct ? la_at(vh, b * vrows * n) : ub; /* U' */
            vv = direct ? la_at(u, b * m * ucols) : vb;  /* V'ᵀ */
        }
        st = bni_la_load_t(fn, "a", a, off, m, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st == BN_OK) st = gesdd(fn, &bufs, jobz, n, m, ab, lda, sv, uv, ldu, vv, ldvt, b, &work, &lwork, &iwork);
        if (st != BN_OK) break;
        if (direct) continue;
        bni_la_store(s, b * k, k, 1, 1, 0, WORK, sb, la_max1(k));
        if (jobz != 'N') {
            bni_la_store(vh, b * vrows * n, vrows * n, 1, 1, 0, WORK, ub, la_max1(vrows * n));
            bni_la_store(u, b * m * ucols, m * ucols, 1, 1, 0, WORK, vb, la_max1(m * ucols));
        }
    }
    bufs_free(&bufs);
    return st;
}

/* rank (what = BNI_LA_RANK), pseudo-inverse (PINV) or condition number
 * (COND), from the SVD of Aᵀ as in svd: pinv(A) = pinv(Aᵀ)ᵀ, and
 * pinv(Aᵀ) = V' diag(1/s) U'ᵀ (m x n) column-major is pinv(A) row-major. */
bn_status FN(svdfun)(const char *fn, const bn_tensor *a, int what, double tol, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    char jobz = what == BNI_LA_PINV ? 'S' : 'N';
    int64_t lda = la_ld(n), ldu = jobz == 'N' ? 1 : la_ld(n), ldvt = jobz == 'N' ? 1 : la_ld(k);
    int direct = what == BNI_LA_PINV && out->dtype == WORK;
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * m, sizeof(REAL));
    REAL *sb = ab ? bufs_get(&bufs, fn, k, sizeof(REAL)) : NULL;
    REAL *ub = sb ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldu * k, sizeof(REAL)) : NULL;
    REAL *vb = ub ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldvt * m, sizeof(REAL)) : NULL;
    REAL *pb = vb && what == BNI_LA_PINV && !direct ? bufs_get(&bufs, fn, la_max1(m) * n, sizeof(REAL)) : vb;
    REAL *work = NULL;
    lapack_int lwork = 0, *iwork = NULL;
    if (!pb) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load_t(fn, "a", a, off, m, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st == BN_OK) st = gesdd(fn, &bufs, jobz, n, m, ab, lda, sb, ub, ldu, vb, ldvt, b, &work, &lwork, &iwork);
        if (st != BN_OK) break;
        double smax = k > 0 ? (double)sb[0] : 0.0;
        if (what == BNI_LA_RANK) {
            double t = tol >= 0 ? tol : smax * (double)la_max(m, n) * EPS;
            int64_t r = 0;
            while (r < k && (double)sb[r] > t) r++;
            put1(out, b, (REAL)r);
        } else if (what == BNI_LA_COND) {
            double smin = (double)sb[k - 1];
            put1(out, b, smin == 0.0 ? (REAL)INFINITY : (REAL)(smax / smin));
        } else {
            /* scale the rows of V'ᵀ (k x m), then (V'ᵀ)ᵀ U'ᵀ */
            double cut = (tol >= 0 ? tol : (double)la_max(m, n) * EPS) * smax;
            REAL *pv = direct ? la_at(out, b * n * m) : pb;
            for (int64_t i = 0; i < k; i++) {
                REAL f = (double)sb[i] > cut ? (REAL)(1.0 / (double)sb[i]) : (REAL)0;
                for (int64_t j = 0; j < m; j++) vb[i + j * ldvt] *= f;
            }
            if (k == 0) memset(pv, 0, (size_t)(m * n) * sizeof(REAL));
            else
                GEMM(CblasColMajor, CblasTrans, CblasTrans, (int)m, (int)n, (int)k, (REAL)1, vb, (int)ldvt, ub,
                     (int)ldu, (REAL)0, pv, (int)la_max1(m));
            if (!direct) bni_la_store(out, b * n * m, n * m, 1, 1, 0, WORK, pb, la_max1(n * m));
        }
    }
    bufs_free(&bufs);
    return st;
}

/* ---- QR ----------------------------------------------------------------- */

/* QR needs A itself (LQ of Aᵀ, which would avoid the transposes, runs
 * 1.4-1.6x slower in OpenBLAS): a tiled transposing copy in, R and Q
 * stored back with tiled transposes. */
bn_status FN(qr)(const char *fn, const bn_tensor *a, bn_qr_mode mode, bn_tensor *q, bn_tensor *r) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    int64_t qcols = mode == BN_QR_COMPLETE ? m : k, rrows = mode == BN_QR_COMPLETE ? m : k;
    int64_t lda = la_ld(m), cols = la_max(n, qcols);
    size_t res = bni_dtype_size(r->dtype);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * cols, sizeof(REAL));
    REAL *tau = ab ? bufs_get(&bufs, fn, k, sizeof(REAL)) : NULL;
    REAL *work = NULL;
    lapack_int lwork = 0, info;
    if (!tau) st = bn_last_status();
    if (st == BN_OK) {
        REAL q1 = 0, q2 = 0;
        info = LAPACK(geqrf)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, ab, (lapack_int)lda, tau, &q1, -1);
        if (info < 0) st = bad_arg(fn, LPNAME("geqrf"), info);
        info = LAPACK(orgqr)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, ab, (lapack_int)lda,
                             tau, &q2, -1);
        if (st == BN_OK && info < 0) st = bad_arg(fn, LPNAME("orgqr"), info);
        lwork = lwork_of(q1 > q2 ? q1 : q2);
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
    }
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load(fn, "a", a, off, m, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st != BN_OK) break;
        info = LAPACK(geqrf)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, ab, (lapack_int)lda, tau, work, lwork);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("geqrf"), info);
            break;
        }
        /* R: the first rrows rows, then zeros below the diagonal (where
         * geqrf keeps the reflectors, which orgqr still needs) */
        bni_la_store(r, b * rrows * n, rrows, n, n, 1, WORK, ab, lda);
        char *rp = bni_la_ptr(r) + (size_t)(b * rrows * n) * res;
        for (int64_t i = 1; i < rrows && n > 0; i++) memset(rp + (size_t)(i * n) * res, 0, (size_t)la_min(i, n) * res);
        info = LAPACK(orgqr)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, ab, (lapack_int)lda,
                             tau, work, lwork);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("orgqr"), info);
            break;
        }
        bni_la_store(q, b * m * qcols, m, qcols, qcols, 1, WORK, ab, lda);
    }
    bufs_free(&bufs);
    return st;
}

/* ---- Cholesky, eigh, eig ------------------------------------------------ */

bn_status FN(cholesky)(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb];
    int64_t count = bni_la_count(nb, a->shape);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    /* On the column-major view C of a row-major matrix M. Upper: M = A's
     * upper triangle with zeros below, so C's lower triangle is A's upper
     * one mirrored: the same symmetric matrix. potrf('L') leaves L there,
     * i.e. U = Lᵀ in M's upper triangle, and M's lower triangle stays
     * zero: for f32/f64, M is the output itself (fresh and handed to the
     * caller only on success), factored in place. Lower, n >= 1024: the
     * same with potrf('U') on A's lower triangle (C's upper one). Lower,
     * n < 1024: OpenBLAS's lower potrf is 1.25-1.5x faster than its upper
     * one there, more than two tiled passes cost: M (padded scratch) holds
     * A's lower triangle mirrored into its upper one, i.e. C's lower
     * triangle is A's lower one; potrf('L') leaves L there, and one tiled
     * pass copies it into the output's lower triangle with zeros above. */
    int up = uplo == BN_UPPER, direct = out->dtype == WORK;
    int lower_u = !up && direct && n >= LA_CHOL_U_MIN;
    int inplace = direct && (up || lower_u);
    int64_t ld = inplace ? la_max1(n) : la_ld(n);
    REAL *ab = inplace ? NULL : bufs_get(&bufs, fn, ld * n, sizeof(REAL));
    if (!inplace && !ab) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        REAL *m = inplace ? la_at(out, b * n * n) : ab;
        st = bni_la_load_tri(fn, "a", a, off, n, a->strides[nb], a->strides[nb + 1], up, !up && !lower_u,
                             !direct || up || lower_u, WORK, m, ld, b);
        if (st != BN_OK) break;
        lapack_int info = LAPACK(potrf)(LAPACK_COL_MAJOR, lower_u ? 'U' : 'L', (lapack_int)n, m, (lapack_int)ld);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("potrf"), info);
            break;
        }
        if (info > 0) {
            st = bni_error(BN_ERR_SINGULAR,
                           "%s: batch matrix %" PRId64 " is not positive definite: its leading minor of order %d is "
                           "not (LAPACK %s info %d)",
                           fn, b, (int)info, LPNAME("potrf"), (int)info);
            break;
        }
        if (inplace) continue;
        if (direct) bni_la_store_lower(WORK, m, ld, la_at(out, b * n * n), la_max1(n), n);
        else if (up) bni_la_store(out, b * n * n, n, n, 1, n, WORK, m, ld); /* M row-major: U */
        else bni_la_store(out, b * n * n, n, n, n, 1, WORK, m, ld);         /* C column-major: L */
    }
    bufs_free(&bufs);
    return st;
}

/* Symmetric: the named triangle of A is copied row-major into the padded
 * scratch M (zeros in the other one); the column-major view of M holds it
 * as the other triangle. Eigenvectors come back in the columns of that
 * view and are stored into V with one tiled transpose (measured no slower
 * than factoring in V itself and transposing in place, whose unpadded rows
 * of 1-4 KiB keep hitting the same cache sets). W is written directly. */
bn_status FN(eigh)(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *w, bn_tensor *v) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb];
    int64_t count = bni_la_count(nb, a->shape);
    char jobz = v ? 'V' : 'N', ul = uplo == BN_UPPER ? 'L' : 'U';
    int direct = w->dtype == WORK; /* write W in the output */
    int64_t ld = la_ld(n);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, ld * n, sizeof(REAL));
    REAL *wb = direct ? NULL : bufs_get(&bufs, fn, n, sizeof(REAL));
    REAL *work = NULL;
    lapack_int *iwork = NULL, lwork = 0, liwork = 0, info;
    if (!ab || (!direct && !wb)) st = bn_last_status();
    if (st == BN_OK) {
        REAL q = 0, qw = 0;
        lapack_int iq = 0;
        info = LAPACK(syevd)(LAPACK_COL_MAJOR, jobz, ul, (lapack_int)n, ab, (lapack_int)ld, wb ? wb : &qw, &q, -1,
                             &iq, -1);
        if (info < 0) st = bad_arg(fn, LPNAME("syevd"), info);
        lwork = lwork_of(q);
        liwork = iq > 1 ? iq : 1;
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
        if (st == BN_OK && !(iwork = bufs_get(&bufs, fn, liwork, sizeof(lapack_int)))) st = bn_last_status();
    }
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        REAL *m = ab, *wv = direct ? la_at(w, b * n) : wb;
        st = bni_la_load_tri(fn, "a", a, off, n, a->strides[nb], a->strides[nb + 1], uplo == BN_UPPER, 0, 1, WORK,
                             m, ld, b);
        if (st != BN_OK) break;
        info = LAPACK(syevd)(LAPACK_COL_MAJOR, jobz, ul, (lapack_int)n, m, (lapack_int)ld, wv, work, lwork, iwork,
                             liwork);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("syevd"), info);
            break;
        }
        if (info > 0) {
            st = bni_error(BN_ERR_NO_CONVERGENCE,
                           "%s: the eigenvalues of batch matrix %" PRId64 " did not converge (LAPACK %s info %d)", fn,
                           b, LPNAME("syevd"), (int)info);
            break;
        }
        if (!direct) bni_la_store(w, b * n, n, 1, 1, 0, WORK, wb, la_max1(n));
        if (v) bni_la_store(v, b * n * n, n, n, n, 1, WORK, m, ld); /* the column-major view is V */
    }
    bufs_free(&bufs);
    return st;
}

bn_status FN(eig)(const char *fn, const bn_tensor *a, bn_tensor *w, bn_tensor *v) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    char jobvr = v ? 'V' : 'N';
    int64_t ldvr = v ? lda : 1;
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *wr = ab ? bufs_get(&bufs, fn, n, sizeof(REAL)) : NULL;
    REAL *wi = wr ? bufs_get(&bufs, fn, n, sizeof(REAL)) : NULL;
    REAL *vr = wi ? bufs_get(&bufs, fn, v ? lda * n : 1, sizeof(REAL)) : NULL;
    REAL *re = vr ? bufs_get(&bufs, fn, v ? lda * n : 1, sizeof(REAL)) : NULL;
    REAL *im = re ? bufs_get(&bufs, fn, v ? lda * n : 1, sizeof(REAL)) : NULL;
    REAL vl = 0, *work = NULL;
    lapack_int lwork = 0, info;
    if (!im) st = bn_last_status();
    if (st == BN_OK) {
        REAL q = 0;
        info = LAPACK(geev)(LAPACK_COL_MAJOR, 'N', jobvr, (lapack_int)n, ab, (lapack_int)lda, wr, wi, &vl, 1, vr,
                            (lapack_int)ldvr, &q, -1);
        if (info < 0) st = bad_arg(fn, LPNAME("geev"), info);
        lwork = lwork_of(q);
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
    }
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st != BN_OK) break;
        info = LAPACK(geev)(LAPACK_COL_MAJOR, 'N', jobvr, (lapack_int)n, ab, (lapack_int)lda, wr, wi, &vl, 1, vr,
                            (lapack_int)ldvr, work, lwork);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("geev"), info);
            break;
        }
        if (info > 0) {
            st = bni_error(BN_ERR_NO_CONVERGENCE,
                           "%s: the QR iteration for the eigenvalues of batch matrix %" PRId64
                           " did not converge (LAPACK %s info %d)",
                           fn, b, LPNAME("geev"), (int)info);
            break;
        }
        bni_la_store(w, b * n * 2, n, 1, 2, 0, WORK, wr, lda);
        bni_la_store(w, b * n * 2 + 1, n, 1, 2, 0, WORK, wi, lda);
        if (!v) continue;
        /* Conjugate pairs: columns j and j+1 of VR hold re and im of v_j;
         * v_{j+1} is its conjugate. */
        for (int64_t j = 0; j < n; j++) {
            REAL *cr = re + j * lda, *ci = im + j * lda, *vj = vr + j * lda;
            if (wi[j] != 0 && j + 1 < n) {
                REAL *vk = vr + (j + 1) * lda, *cr2 = re + (j + 1) * lda, *ci2 = im + (j + 1) * lda;
                for (int64_t i = 0; i < n; i++) {
                    cr[i] = cr2[i] = vj[i];
                    ci[i] = vk[i];
                    ci2[i] = -vk[i];
                }
                j++;
            } else {
                for (int64_t i = 0; i < n; i++) {
                    cr[i] = vj[i];
                    ci[i] = 0;
                }
            }
        }
        bni_la_store(v, b * n * n * 2, n, n, 2 * n, 2, WORK, re, lda);
        bni_la_store(v, b * n * n * 2 + 1, n, n, 2 * n, 2, WORK, im, lda);
    }
    bufs_free(&bufs);
    return st;
}

/* ---- solve, lstsq, inv, det --------------------------------------------- */

/* LU with partial pivoting (getrf) of the n x n column-major matrix m
 * (ld), which holds Aᵀ (*at = 1: a row-major A's rows copied as they are)
 * or A. An exact zero pivot is BN_ERR_SINGULAR naming the pivot of A's own
 * LU factorization, as LAPACK reports it: when Aᵀ's LU has one, A itself
 * is loaded into m (a transposing copy) and factored; if its LU has none,
 * that factorization is used and *at becomes 0. `which` names the matrix
 * in messages (" of a" or ""). */
static bn_status lu_checked(const char *fn, const char *which, const bn_tensor *a, int64_t off, int64_t sm, int64_t sn,
                            int64_t batch, int64_t n, REAL *m, int64_t ld, lapack_int *ipiv, int *at) {
    lapack_int info = LAPACK(getrf)(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, m, (lapack_int)ld, ipiv);
    if (info > 0 && *at) {
        bn_status st = bni_la_load(fn, "a", a, off, n, n, sm, sn, WORK, m, ld, batch);
        if (st != BN_OK) return st;
        *at = 0;
        info = LAPACK(getrf)(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, m, (lapack_int)ld, ipiv);
    }
    if (info < 0) return bad_arg(fn, LPNAME("getrf"), info);
    if (info > 0)
        return bni_error(BN_ERR_SINGULAR,
                         "%s: batch matrix %" PRId64 "%s is singular: pivot U(%d,%d) of its LU factorization is "
                         "exactly zero (LAPACK %s info %d)",
                         fn, batch, which, (int)info, (int)info, LPNAME("getrf"), (int)info);
    return BN_OK;
}

/* A result that overflowed (numerically singular). */
static bn_status overflow_checked(const char *fn, const char *which, const char *result, int64_t batch,
                                  const REAL *p, int64_t n, int64_t k, int64_t ld) {
    if (bni_la_nonfinite(WORK, p, n, k, ld))
        return bni_error(BN_ERR_SINGULAR, "%s: batch matrix %" PRId64 "%s is numerically singular: %s", fn, batch,
                         which, result);
    return BN_OK;
}

/* Whether A (row stride sm, column stride sn) is better copied as Aᵀ: a
 * row-major A's rows are then copied as they are. */
static int la_use_at(int64_t sm, int64_t sn) { return !(sm == 1 && sn != 1); }

/* Solve for every batch index of (nb, bshape): a [..., n, n] (broadcast),
 * b [n] (vec) or [..., n, k]; x is contiguous with the result shape. A is
 * factored as Aᵀ (lu_checked) and solved with getrs('T'). For f32/f64 and
 * one right-hand side, b is copied straight into x and solved there. */
bn_status FN(solve)(const char *fn, const bn_tensor *a, const bn_tensor *b, int vec, int nb, const int64_t *bshape,
                    bn_tensor *x) {
    int anb = a->ndim - 2, bnb = vec ? 0 : b->ndim - 2;
    int64_t n = a->shape[anb], k = vec ? 1 : b->shape[bnb + 1], lda = la_ld(n);
    int64_t count = bni_la_count(nb, bshape);
    int64_t astr[BN_MAX_DIMS], bstr[BN_MAX_DIMS];
    bni_la_batch_strides(a, anb, nb, bshape, astr);
    bni_la_batch_strides(b, bnb, nb, bshape, bstr);
    int64_t bsm = vec ? b->strides[0] : b->strides[bnb], bsn = vec ? 0 : b->strides[bnb + 1];
    int64_t sm = a->strides[anb], sn = a->strides[anb + 1];
    int direct = x->dtype == WORK && k == 1;
    int64_t ldb = direct ? la_max1(n) : lda;
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *bb = ab && !direct ? bufs_get(&bufs, fn, lda * k, sizeof(REAL)) : ab;
    lapack_int *ipiv = bb ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    if (!ipiv) st = bn_last_status();
    for (int64_t i = 0; i < count && st == BN_OK; i++) {
        int64_t aoff = bni_la_batch_offset(nb, bshape, astr, i), boff = bni_la_batch_offset(nb, bshape, bstr, i);
        int at = la_use_at(sm, sn);
        REAL *bv = direct ? la_at(x, i * n) : bb;
        st = (at ? bni_la_load_t : bni_la_load)(fn, "a", a, aoff, n, n, sm, sn, WORK, ab, lda, i);
        if (st == BN_OK) st = bni_la_load(fn, "b", b, boff, n, k, bsm, bsn, WORK, bv, ldb, i);
        if (st == BN_OK) st = lu_checked(fn, " of a", a, aoff, sm, sn, i, n, ab, lda, ipiv, &at);
        if (st != BN_OK) break;
        lapack_int info = LAPACK(getrs)(LAPACK_COL_MAJOR, at ? 'T' : 'N', (lapack_int)n, (lapack_int)k, ab,
                                        (lapack_int)lda, ipiv, bv, (lapack_int)ldb);
        if (info < 0) st = bad_arg(fn, LPNAME("getrs"), info);
        if (st == BN_OK) st = overflow_checked(fn, " of a", "the solution overflows", i, bv, n, k, ldb);
        if (st != BN_OK) break;
        if (!direct) bni_la_store(x, i * n * k, n, k, vec ? 1 : k, vec ? 0 : 1, WORK, bb, lda);
    }
    bufs_free(&bufs);
    return st;
}

bn_status FN(lstsq)(const char *fn, const bn_tensor *a, const bn_tensor *b, int vec, int nb, const int64_t *bshape,
                    double rcond, bn_tensor *x) {
    int anb = a->ndim - 2, bnb = vec ? 0 : b->ndim - 2;
    int64_t m = a->shape[anb], n = a->shape[anb + 1], k = vec ? 1 : b->shape[bnb + 1];
    int64_t lda = la_ld(m), ldb = la_ld(la_max(m, n)), mn = la_min(m, n);
    int64_t count = bni_la_count(nb, bshape);
    int64_t astr[BN_MAX_DIMS], bstr[BN_MAX_DIMS];
    bni_la_batch_strides(a, anb, nb, bshape, astr);
    bni_la_batch_strides(b, bnb, nb, bshape, bstr);
    int64_t bsm = vec ? b->strides[0] : b->strides[bnb], bsn = vec ? 0 : b->strides[bnb + 1];
    REAL rc = (REAL)(rcond >= 0 ? rcond : (double)la_max(m, n) * EPS);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *bb = ab ? bufs_get(&bufs, fn, ldb * k, sizeof(REAL)) : NULL;
    REAL *sb = bb ? bufs_get(&bufs, fn, mn, sizeof(REAL)) : NULL;
    REAL *work = NULL;
    lapack_int *iwork = NULL, lwork = 0, rank = 0, info;
    if (!sb) st = bn_last_status();
    if (st == BN_OK && mn > 0) {
        REAL q = 0;
        lapack_int iq = 0;
        info = LAPACK(gelsd)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)k, ab, (lapack_int)lda, bb,
                             (lapack_int)ldb, sb, rc, &rank, &q, -1, &iq);
        if (info < 0) st = bad_arg(fn, LPNAME("gelsd"), info);
        lwork = lwork_of(q);
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
        if (st == BN_OK && !(iwork = bufs_get(&bufs, fn, iq > 1 ? iq : 1, sizeof(lapack_int)))) st = bn_last_status();
    }
    for (int64_t i = 0; i < count && st == BN_OK; i++) {
        int64_t aoff = bni_la_batch_offset(nb, bshape, astr, i), boff = bni_la_batch_offset(nb, bshape, bstr, i);
        st = bni_la_load(fn, "a", a, aoff, m, n, a->strides[anb], a->strides[anb + 1], WORK, ab, lda, i);
        if (st == BN_OK) st = bni_la_load(fn, "b", b, boff, m, k, bsm, bsn, WORK, bb, ldb, i);
        if (st != BN_OK) break;
        for (int64_t j = 0; j < k; j++)
            for (int64_t r = m; r < ldb; r++) bb[r + j * ldb] = 0;
        if (mn > 0) {
            info = LAPACK(gelsd)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)k, ab, (lapack_int)lda,
                                 bb, (lapack_int)ldb, sb, rc, &rank, work, lwork, iwork);
            if (info < 0) {
                st = bad_arg(fn, LPNAME("gelsd"), info);
                break;
            }
            if (info > 0) {
                st = bni_error(BN_ERR_NO_CONVERGENCE,
                               "%s: the SVD of batch matrix %" PRId64 " of a did not converge (LAPACK %s info %d)", fn,
                               i, LPNAME("gelsd"), (int)info);
                break;
            }
        }
        bni_la_store(x, i * n * k, n, k, vec ? 1 : k, vec ? 0 : 1, WORK, bb, ldb);
    }
    bufs_free(&bufs);
    return st;
}

/* inv(Aᵀ) = inv(A)ᵀ: a row-major A's rows copied as they are into the
 * output (f32/f64) are Aᵀ column-major, and getrf + getri in place leave
 * inv(A) row-major there. No identity right-hand side, no second matrix. */
bn_status FN(inv)(const char *fn, const bn_tensor *a, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb];
    int64_t count = bni_la_count(nb, a->shape);
    int64_t sm = a->strides[nb], sn = a->strides[nb + 1];
    int direct = out->dtype == WORK;
    int64_t ld = direct ? la_max1(n) : la_ld(n);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = direct ? NULL : bufs_get(&bufs, fn, ld * n, sizeof(REAL));
    lapack_int *ipiv = direct || ab ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    REAL *work = NULL;
    lapack_int lwork = 0;
    if (!ipiv) st = bn_last_status();
    if (st == BN_OK) {
        REAL q = 0, qa = 0;
        lapack_int info = LAPACK(getri)(LAPACK_COL_MAJOR, (lapack_int)n, ab ? ab : &qa, (lapack_int)ld, ipiv, &q, -1);
        if (info < 0) st = bad_arg(fn, LPNAME("getri"), info);
        lwork = lwork_of(q);
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
    }
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        int at = la_use_at(sm, sn);
        REAL *m = direct ? la_at(out, b * n * n) : ab;
        st = (at ? bni_la_load_t : bni_la_load)(fn, "a", a, off, n, n, sm, sn, WORK, m, ld, b);
        if (st == BN_OK) st = lu_checked(fn, "", a, off, sm, sn, b, n, m, ld, ipiv, &at);
        if (st != BN_OK) break;
        lapack_int info = LAPACK(getri)(LAPACK_COL_MAJOR, (lapack_int)n, m, (lapack_int)ld, ipiv, work, lwork);
        if (info < 0) st = bad_arg(fn, LPNAME("getri"), info);
        if (st == BN_OK) st = overflow_checked(fn, "", "its inverse overflows", b, m, n, n, ld);
        if (st != BN_OK) break;
        /* m holds inv(A) column-major when A was copied as it is */
        if (direct && !at) bni_la_transpose_square(WORK, m, n, ld);
        else if (!direct) bni_la_store(out, b * n * n, n, n, at ? 1 : n, at ? n : 1, WORK, m, ld);
    }
    bufs_free(&bufs);
    return st;
}

/* det (when det is not NULL) and/or sign and log|det| from getrf. */
bn_status FN(slogdet)(const char *fn, const bn_tensor *a, bn_tensor *det, bn_tensor *sign, bn_tensor *logabs) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    la_bufs bufs = LA_BUFS(a);
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    lapack_int *ipiv = ab ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    if (!ipiv) st = bn_last_status();
    int at = la_use_at(a->strides[nb], a->strides[nb + 1]);
    for (int64_t b = 0; b < count && st == BN_OK; b++) { /* det(Aᵀ) = det(A): no transpose */
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = (at ? bni_la_load_t : bni_la_load)(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab,
                                                lda, b);
        if (st != BN_OK) break;
        lapack_int info = LAPACK(getrf)(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, ab, (lapack_int)lda, ipiv);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("getrf"), info);
            break;
        }
        double prod = 1.0, logsum = 0.0;
        int sgn = 1;
        if (info > 0) {
            prod = 0.0;
            sgn = 0;
            logsum = -INFINITY;
        } else {
            for (int64_t i = 0; i < n; i++) {
                double d = (double)ab[i + i * lda];
                prod *= d;
                if (d < 0) sgn = -sgn;
                logsum += log(fabs(d));
                if (ipiv[i] != (lapack_int)(i + 1)) {
                    sgn = -sgn;
                    prod = -prod;
                }
            }
        }
        if (det) put1(det, b, (REAL)prod);
        if (sign) put1(sign, b, (REAL)sgn);
        if (logabs) put1(logabs, b, (REAL)logsum);
    }
    bufs_free(&bufs);
    return st;
}
