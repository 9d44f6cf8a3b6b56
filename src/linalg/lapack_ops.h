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

/* Scratch buffers of one call, freed together. */
typedef struct la_bufs {
    void *p[12];
    int n;
} la_bufs;

static void bufs_free(la_bufs *b) {
    for (int i = 0; i < b->n; i++) bni_free(b->p[i]);
    b->n = 0;
}

/* count * size bytes (at least one element), NULL on overflow or failure
 * after setting the message. */
static void *bufs_get(la_bufs *b, const char *fn, int64_t count, size_t size) {
    size_t bytes;
    if (count < 1) count = 1;
    if (b->n >= (int)(sizeof b->p / sizeof b->p[0]) || !bni_mul_size((size_t)count, size, &bytes)) {
        bni_error(BN_ERR_OVERFLOW, "%s: scratch of %" PRId64 " elements is too large", fn, count);
        return NULL;
    }
    void *p = bni_malloc(bytes);
    if (!p) {
        bni_error(BN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of LAPACK scratch", fn, bytes);
        return NULL;
    }
    b->p[b->n++] = p;
    return p;
}

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

bn_status FN(svd)(const char *fn, const bn_tensor *a, bn_svd_mode mode, bn_tensor *u, bn_tensor *s, bn_tensor *vh) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    char jobz = mode == BN_SVD_FULL ? 'A' : mode == BN_SVD_THIN ? 'S' : 'N';
    int64_t ucols = mode == BN_SVD_FULL ? m : k, vrows = mode == BN_SVD_FULL ? n : k;
    int64_t lda = la_ld(m), ldu = jobz == 'N' ? 1 : la_ld(m), ldvt = jobz == 'N' ? 1 : la_ld(vrows);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *sb = ab ? bufs_get(&bufs, fn, k, sizeof(REAL)) : NULL;
    REAL *ub = sb ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldu * ucols, sizeof(REAL)) : NULL;
    REAL *vb = ub ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldvt * n, sizeof(REAL)) : NULL;
    REAL *work = NULL;
    lapack_int lwork = 0, *iwork = NULL;
    if (!vb) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load(fn, "a", a, off, m, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st == BN_OK) st = gesdd(fn, &bufs, jobz, m, n, ab, lda, sb, ub, ldu, vb, ldvt, b, &work, &lwork, &iwork);
        if (st != BN_OK) break;
        bni_la_store(s, b * k, k, 1, 1, 0, WORK, sb, la_max1(k));
        if (jobz != 'N') {
            bni_la_store(u, b * m * ucols, m, ucols, ucols, 1, WORK, ub, ldu);
            bni_la_store(vh, b * vrows * n, vrows, n, n, 1, WORK, vb, ldvt);
        }
    }
    bufs_free(&bufs);
    return st;
}

/* rank (what = BNI_LA_RANK), pseudo-inverse (PINV) or condition number (COND). */
bn_status FN(svdfun)(const char *fn, const bn_tensor *a, int what, double tol, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    char jobz = what == BNI_LA_PINV ? 'S' : 'N';
    int64_t lda = la_ld(m), ldu = jobz == 'N' ? 1 : la_ld(m), ldvt = jobz == 'N' ? 1 : la_ld(k);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *sb = ab ? bufs_get(&bufs, fn, k, sizeof(REAL)) : NULL;
    REAL *ub = sb ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldu * k, sizeof(REAL)) : NULL;
    REAL *vb = ub ? bufs_get(&bufs, fn, jobz == 'N' ? 1 : ldvt * n, sizeof(REAL)) : NULL;
    REAL *pb = vb && what == BNI_LA_PINV ? bufs_get(&bufs, fn, la_max1(n) * m, sizeof(REAL)) : vb;
    REAL *work = NULL;
    lapack_int lwork = 0, *iwork = NULL;
    if (!pb) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load(fn, "a", a, off, m, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st == BN_OK) st = gesdd(fn, &bufs, jobz, m, n, ab, lda, sb, ub, ldu, vb, ldvt, b, &work, &lwork, &iwork);
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
            /* pinv = V diag(1/s) Uᵀ: scale the rows of Vᵀ, then (Vᵀ)ᵀ Uᵀ. */
            double cut = (tol >= 0 ? tol : (double)la_max(m, n) * EPS) * smax;
            for (int64_t i = 0; i < k; i++) {
                REAL f = (double)sb[i] > cut ? (REAL)(1.0 / (double)sb[i]) : (REAL)0;
                for (int64_t j = 0; j < n; j++) vb[i + j * ldvt] *= f;
            }
            if (k == 0) memset(pb, 0, (size_t)(la_max1(n) * m) * sizeof(REAL));
            else if (n > 0 && m > 0)
                GEMM(CblasColMajor, CblasTrans, CblasTrans, (int)n, (int)m, (int)k, (REAL)1, vb, (int)ldvt, ub,
                     (int)ldu, (REAL)0, pb, (int)la_max1(n));
            bni_la_store(out, b * n * m, n, m, m, 1, WORK, pb, la_max1(n));
        }
    }
    bufs_free(&bufs);
    return st;
}

/* ---- QR ----------------------------------------------------------------- */

bn_status FN(qr)(const char *fn, const bn_tensor *a, bn_qr_mode mode, bn_tensor *q, bn_tensor *r) {
    int nb = a->ndim - 2;
    int64_t m = a->shape[nb], n = a->shape[nb + 1], k = la_min(m, n);
    int64_t count = bni_la_count(nb, a->shape);
    int64_t qcols = mode == BN_QR_COMPLETE ? m : k, rrows = mode == BN_QR_COMPLETE ? m : k;
    int64_t lda = la_ld(m), cols = la_max(n, qcols);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * cols, sizeof(REAL));
    REAL *tau = ab ? bufs_get(&bufs, fn, k, sizeof(REAL)) : NULL;
    REAL *rb = tau ? bufs_get(&bufs, fn, la_max1(rrows) * n, sizeof(REAL)) : NULL;
    REAL *work = NULL;
    lapack_int lwork = 0, info;
    if (!rb) st = bn_last_status();
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
        int64_t ldr = la_max1(rrows);
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < rrows; i++) rb[i + j * ldr] = i <= j ? ab[i + j * lda] : (REAL)0;
        info = LAPACK(orgqr)(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, ab, (lapack_int)lda,
                             tau, work, lwork);
        if (info < 0) {
            st = bad_arg(fn, LPNAME("orgqr"), info);
            break;
        }
        bni_la_store(q, b * m * qcols, m, qcols, qcols, 1, WORK, ab, lda);
        bni_la_store(r, b * rrows * n, rrows, n, n, 1, WORK, rb, ldr);
    }
    bufs_free(&bufs);
    return st;
}

/* ---- Cholesky, eigh, eig ------------------------------------------------ */

bn_status FN(cholesky)(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    if (!ab) st = bn_last_status();
    /* Always OpenBLAS's faster lower-triangle potrf: for the upper factor,
     * work on B = Aᵀ (copied without a transpose from a row-major A), whose
     * lower triangle is A's upper one; B = L Lᵀ gives A = Uᵀ U with U = Lᵀ,
     * stored back transposed. */
    int tr = uplo == BN_UPPER;
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = (tr ? bni_la_load_t : bni_la_load)(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab,
                                                lda, b);
        if (st != BN_OK) break;
        lapack_int info = LAPACK(potrf)(LAPACK_COL_MAJOR, 'L', (lapack_int)n, ab, (lapack_int)lda);
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
        for (int64_t j = 0; j < n; j++) memset(ab + j * lda, 0, sizeof(REAL) * (size_t)j); /* L's upper part */
        if (tr) bni_la_store(out, b * n * n, n, n, 1, n, WORK, ab, lda); /* Lᵀ */
        else bni_la_store(out, b * n * n, n, n, n, 1, WORK, ab, lda);
    }
    bufs_free(&bufs);
    return st;
}

bn_status FN(eigh)(const char *fn, const bn_tensor *a, bn_uplo uplo, bn_tensor *w, bn_tensor *v) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    /* Symmetric: work on Aᵀ (copied without a transpose from a row-major A)
     * with the other triangle, which holds the same values. */
    char jobz = v ? 'V' : 'N', ul = uplo == BN_UPPER ? 'L' : 'U';
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *wb = ab ? bufs_get(&bufs, fn, n, sizeof(REAL)) : NULL;
    REAL *work = NULL;
    lapack_int *iwork = NULL, lwork = 0, liwork = 0, info;
    if (!wb) st = bn_last_status();
    if (st == BN_OK) {
        REAL q = 0;
        lapack_int iq = 0;
        info = LAPACK(syevd)(LAPACK_COL_MAJOR, jobz, ul, (lapack_int)n, ab, (lapack_int)lda, wb, &q, -1, &iq, -1);
        if (info < 0) st = bad_arg(fn, LPNAME("syevd"), info);
        lwork = lwork_of(q);
        liwork = iq > 1 ? iq : 1;
        if (st == BN_OK && !(work = bufs_get(&bufs, fn, lwork, sizeof(REAL)))) st = bn_last_status();
        if (st == BN_OK && !(iwork = bufs_get(&bufs, fn, liwork, sizeof(lapack_int)))) st = bn_last_status();
    }
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load_t(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st != BN_OK) break;
        info = LAPACK(syevd)(LAPACK_COL_MAJOR, jobz, ul, (lapack_int)n, ab, (lapack_int)lda, wb, work, lwork, iwork,
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
        bni_la_store(w, b * n, n, 1, 1, 0, WORK, wb, lda);
        if (v) bni_la_store(v, b * n * n, n, n, n, 1, WORK, ab, lda);
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
    la_bufs bufs = {{0}, 0};
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

/* Solve for every batch index of (nb, bshape): a [..., n, n] (broadcast),
 * b [n] (vec) or [..., n, k]; x is contiguous with the result shape. */
/* gesv on one batch matrix with the checks solve and inv share: an exactly
 * zero pivot (LAPACK's info) and a result that overflows are both singular.
 * `which` names the matrix in messages (" of a" or ""), `result` what
 * overflowed. */
static bn_status gesv_checked(const char *fn, const char *which, const char *result, int64_t batch, int64_t n,
                              int64_t k, REAL *ab, int64_t lda, lapack_int *ipiv, REAL *bb) {
    lapack_int info = LAPACK(gesv)(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)k, ab, (lapack_int)lda, ipiv, bb,
                                   (lapack_int)lda);
    if (info < 0) return bad_arg(fn, LPNAME("gesv"), info);
    if (info > 0)
        return bni_error(BN_ERR_SINGULAR,
                         "%s: batch matrix %" PRId64 "%s is singular: pivot U(%d,%d) of its LU factorization is "
                         "exactly zero (LAPACK %s info %d)",
                         fn, batch, which, (int)info, (int)info, LPNAME("getrf"), (int)info);
    if (bni_la_nonfinite(WORK, bb, n, k, lda))
        return bni_error(BN_ERR_SINGULAR, "%s: batch matrix %" PRId64 "%s is numerically singular: %s", fn, batch,
                         which, result);
    return BN_OK;
}

bn_status FN(solve)(const char *fn, const bn_tensor *a, const bn_tensor *b, int vec, int nb, const int64_t *bshape,
                    bn_tensor *x) {
    int anb = a->ndim - 2, bnb = vec ? 0 : b->ndim - 2;
    int64_t n = a->shape[anb], k = vec ? 1 : b->shape[bnb + 1], lda = la_ld(n);
    int64_t count = bni_la_count(nb, bshape);
    int64_t astr[BN_MAX_DIMS], bstr[BN_MAX_DIMS];
    bni_la_batch_strides(a, anb, nb, bshape, astr);
    bni_la_batch_strides(b, bnb, nb, bshape, bstr);
    int64_t bsm = vec ? b->strides[0] : b->strides[bnb], bsn = vec ? 0 : b->strides[bnb + 1];
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *bb = ab ? bufs_get(&bufs, fn, lda * k, sizeof(REAL)) : NULL;
    lapack_int *ipiv = bb ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    if (!ipiv) st = bn_last_status();
    for (int64_t i = 0; i < count && st == BN_OK; i++) {
        int64_t aoff = bni_la_batch_offset(nb, bshape, astr, i), boff = bni_la_batch_offset(nb, bshape, bstr, i);
        st = bni_la_load(fn, "a", a, aoff, n, n, a->strides[anb], a->strides[anb + 1], WORK, ab, lda, i);
        if (st == BN_OK) st = bni_la_load(fn, "b", b, boff, n, k, bsm, bsn, WORK, bb, lda, i);
        if (st != BN_OK) break;
        st = gesv_checked(fn, " of a", "the solution overflows", i, n, k, ab, lda, ipiv, bb);
        if (st != BN_OK) break;
        bni_la_store(x, i * n * k, n, k, vec ? 1 : k, vec ? 0 : 1, WORK, bb, lda);
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
    la_bufs bufs = {{0}, 0};
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

bn_status FN(inv)(const char *fn, const bn_tensor *a, bn_tensor *out) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    REAL *bb = ab ? bufs_get(&bufs, fn, lda * n, sizeof(REAL)) : NULL;
    lapack_int *ipiv = bb ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    if (!ipiv) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) {
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
        if (st != BN_OK) break;
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < n; i++) bb[i + j * lda] = i == j ? (REAL)1 : (REAL)0;
        st = gesv_checked(fn, "", "its inverse overflows", b, n, n, ab, lda, ipiv, bb);
        if (st != BN_OK) break;
        bni_la_store(out, b * n * n, n, n, n, 1, WORK, bb, lda);
    }
    bufs_free(&bufs);
    return st;
}

/* det (when det is not NULL) and/or sign and log|det| from getrf. */
bn_status FN(slogdet)(const char *fn, const bn_tensor *a, bn_tensor *det, bn_tensor *sign, bn_tensor *logabs) {
    int nb = a->ndim - 2;
    int64_t n = a->shape[nb], lda = la_ld(n);
    int64_t count = bni_la_count(nb, a->shape);
    la_bufs bufs = {{0}, 0};
    bn_status st = BN_OK;
    REAL *ab = bufs_get(&bufs, fn, lda * n, sizeof(REAL));
    lapack_int *ipiv = ab ? bufs_get(&bufs, fn, n, sizeof(lapack_int)) : NULL;
    if (!ipiv) st = bn_last_status();
    for (int64_t b = 0; b < count && st == BN_OK; b++) { /* det(Aᵀ) = det(A): no transpose */
        int64_t off = bni_la_batch_offset(nb, a->shape, a->strides, b);
        st = bni_la_load_t(fn, "a", a, off, n, n, a->strides[nb], a->strides[nb + 1], WORK, ab, lda, b);
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
