/* Decompositions and solvers (bn_linalg_*): identities on random and
 * ill-conditioned (Hilbert, n up to 10) matrices in f32 and f64, batched
 * results equal to per-matrix ones, modes and layouts.
 *
 * Tolerances. u is the working precision's machine epsilon (FLT_EPSILON
 * for f32/f16/bf16, DBL_EPSILON for f64), n the largest dimension and
 * κ = κ₂(A) the 2-norm condition number (from the f64 SVD of the same
 * rounded input). The factorizations are backward stable, so for them
 *     ‖A − QR‖_F / ‖A‖_F,  ‖QᵀQ − I‖_F,  ‖A − UΣVᵀ‖_F / ‖A‖_F,
 *     ‖AV − VΛ‖_F / ‖A‖_F,  ‖A − LLᵀ‖_F / ‖A‖_F    <=  C n u
 * independently of κ (C = 10 is a comfortable constant; the classic
 * bounds are γ_{cn} with c a small integer). Quantities that depend on the
 * inverse pick up κ:
 *     ‖x − x*‖ / ‖x*‖ (solve),  ‖A A⁻¹ − I‖_F,  |det − det_LU| / |det_LU|,
 *     Moore-Penrose residuals                          <=  C n κ u
 * and are checked only when C n κ u < 1 (otherwise the result is noise and
 * only the residual ‖Ax − b‖ / (‖A‖‖x‖ + ‖b‖) <= C n u is required).
 * The determinant reference is the product of the pivots of this file's
 * own f64 LU with partial pivoting (lu_det). A few results are also compared
 * with NumPy's (test_numpy, fixtures from tools/make_linalg_fixtures.py). */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

#define C_TOL 10.0

static bn_ctx *g_ctx;
static uint64_t g_rng = 0x2545F4914F6CDD1Dull;

static double urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) * 0x1p-53;
}
static double nrand(void) {
    double u1 = urand(), u2 = urand();
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

static double eps_work(bn_dtype dt) { return dt == BN_DTYPE_F64 ? DBL_EPSILON : FLT_EPSILON; }

/* ---- small f64 helpers (row-major) --------------------------------------- */

/* All elements of t as f64, row-major (caller frees). */
static double *read_all(const bn_tensor *t) {
    bn_tensor *c = NULL;
    if (bn_tensor_cast(t, BN_DTYPE_F64, &c) != BN_OK) return NULL;
    int64_t n = bn_tensor_numel(c);
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (v && n > 0) memcpy(v, bn_tensor_data(c), sizeof(double) * (size_t)n);
    bn_tensor_free(c);
    return v;
}

/* A tensor of dtype dt holding vals (rounded to dt). */
static bn_tensor *make(bn_dtype dt, int ndim, const int64_t *shape, const double *vals) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    bn_tensor *t64 = NULL, *t = NULL;
    if (bn_tensor_from_data(g_ctx, BN_DTYPE_F64, ndim, shape, vals, sizeof(double) * (size_t)n, &t64) != BN_OK)
        return NULL;
    bn_tensor_cast(t64, dt, &t);
    bn_tensor_free(t64);
    return t;
}

/* C[m,n] = op(A) op(B), op = transpose when t* is set; A is m x k (or k x m). */
static void mm(const double *A, int ta, const double *B, int tb, double *C, int64_t m, int64_t k, int64_t n) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++) {
                double a = ta ? A[p * m + i] : A[i * k + p];
                double b = tb ? B[j * k + p] : B[p * n + j];
                s += a * b;
            }
            C[i * n + j] = s;
        }
}

static double fro(const double *A, int64_t count) {
    double s = 0;
    for (int64_t i = 0; i < count; i++) s += A[i] * A[i];
    return sqrt(s);
}

static double fro_diff(const double *A, const double *B, int64_t count) {
    double s = 0;
    for (int64_t i = 0; i < count; i++) s += (A[i] - B[i]) * (A[i] - B[i]);
    return sqrt(s);
}

/* ‖QᵀQ − I‖_F for Q m x c (columns orthonormal). */
static double orth_err(const double *Q, int64_t m, int64_t c) {
    double *G = malloc(sizeof(double) * (size_t)(c * c + 1));
    mm(Q, 1, Q, 0, G, c, m, c);
    for (int64_t i = 0; i < c; i++) G[i * c + i] -= 1;
    double e = fro(G, c * c);
    free(G);
    return e;
}

/* Determinant by this file's own LU with partial pivoting (f64). */
static double lu_det(const double *A0, int64_t n) {
    double *A = malloc(sizeof(double) * (size_t)(n * n + 1));
    memcpy(A, A0, sizeof(double) * (size_t)(n * n));
    double det = 1;
    for (int64_t k = 0; k < n; k++) {
        int64_t p = k;
        for (int64_t i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[p * n + k])) p = i;
        if (A[p * n + k] == 0) {
            free(A);
            return 0;
        }
        if (p != k) {
            for (int64_t j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[p * n + j];
                A[p * n + j] = t;
            }
            det = -det;
        }
        det *= A[k * n + k];
        for (int64_t i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (int64_t j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
        }
    }
    free(A);
    return det;
}

static void hilbert(double *H, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) H[i * n + j] = 1.0 / (double)(i + j + 1);
}

static void random_fill(double *A, int64_t count) {
    for (int64_t i = 0; i < count; i++) A[i] = nrand();
}

/* κ₂ of the m x n matrix A (f64 values) by our f64 SVD. */
static double cond2(const double *A, int64_t m, int64_t n) {
    int64_t s[2] = {m, n};
    bn_tensor *t = make(BN_DTYPE_F64, 2, s, A), *c = NULL;
    double v = INFINITY;
    if (t && bn_linalg_cond(t, &c) == BN_OK) v = *(double *)bn_tensor_data(c);
    bn_tensor_free(t);
    bn_tensor_free(c);
    return v;
}

#define CHECK_TOL(val, tol, what)                                                                   \
    do {                                                                                            \
        double v_ = (val), t_ = (tol);                                                              \
        if (v_ <= t_) bt_passed++;                                                                  \
        else {                                                                                      \
            char m_[300];                                                                           \
            snprintf(m_, sizeof m_, "%s: %.3g > tol %.3g", (what), v_, t_);                         \
            bt_fail(__FILE__, __LINE__, m_);                                                        \
        }                                                                                           \
    } while (0)

/* ---- one matrix through every function --------------------------------- */

static void check_qr(bn_dtype dt, const bn_tensor *a, const double *A, int64_t m, int64_t n, const char *what) {
    double u = eps_work(dt), nn = (double)(m > n ? m : n);
    int64_t k = m < n ? m : n;
    for (int mode = 0; mode < 2; mode++) {
        bn_tensor *q = NULL, *r = NULL;
        CHECK_OK(bn_linalg_qr(a, (bn_qr_mode)mode, &q, &r));
        if (!q || !r) continue;
        int64_t qc = mode == BN_QR_COMPLETE ? m : k;
        CHECK(bn_tensor_shape(q)[0] == m && bn_tensor_shape(q)[1] == qc);
        CHECK(bn_tensor_shape(r)[0] == qc && bn_tensor_shape(r)[1] == n);
        double *Q = read_all(q), *R = read_all(r), *QR = malloc(sizeof(double) * (size_t)(m * n + 1));
        mm(Q, 0, R, 0, QR, m, qc, n);
        char buf[200];
        snprintf(buf, sizeof buf, "%s: QR mode %d ‖A − QR‖/‖A‖", what, mode);
        CHECK_TOL(fro_diff(A, QR, m * n) / fro(A, m * n), C_TOL * nn * u, buf);
        snprintf(buf, sizeof buf, "%s: QR mode %d ‖QᵀQ − I‖", what, mode);
        CHECK_TOL(orth_err(Q, m, qc), C_TOL * nn * u, buf);
        int lower_zero = 1;
        for (int64_t i = 0; i < qc; i++)
            for (int64_t j = 0; j < i && j < n; j++) lower_zero &= R[i * n + j] == 0;
        CHECK(lower_zero);
        free(Q);
        free(R);
        free(QR);
        bn_tensor_free(q);
        bn_tensor_free(r);
    }
}

static void check_svd(bn_dtype dt, const bn_tensor *a, const double *A, int64_t m, int64_t n, const char *what) {
    double u = eps_work(dt), nn = (double)(m > n ? m : n);
    int64_t k = m < n ? m : n;
    double *Sv = NULL;
    for (int mode = 0; mode < 3; mode++) {
        bn_tensor *U = NULL, *S = NULL, *V = NULL;
        CHECK_OK(bn_linalg_svd(a, (bn_svd_mode)mode, &U, &S, &V));
        if (!S) continue;
        double *s = read_all(S);
        int desc = 1;
        for (int64_t i = 0; i + 1 < k; i++) desc &= s[i] >= s[i + 1] && s[i + 1] >= 0;
        CHECK(desc);
        if (mode == BN_SVD_VALUES) {
            CHECK(U == NULL && V == NULL);
            if (Sv) CHECK_TOL(fro_diff(s, Sv, k) / (fro(Sv, k) + 1e-300), C_TOL * nn * u, "SVD values-only = full");
        } else if (U && V) {
            int64_t uc = mode == BN_SVD_FULL ? m : k, vr = mode == BN_SVD_FULL ? n : k;
            double *Uv = read_all(U), *Vv = read_all(V);
            double *US = malloc(sizeof(double) * (size_t)(m * k + 1)), *USV = malloc(sizeof(double) * (size_t)(m * n + 1));
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < k; j++) US[i * k + j] = Uv[i * uc + j] * s[j];
            /* first k rows of Vh */
            mm(US, 0, Vv, 0, USV, m, k, n);
            char buf[200];
            snprintf(buf, sizeof buf, "%s: SVD mode %d ‖A − UΣVᵀ‖/‖A‖", what, mode);
            CHECK_TOL(fro_diff(A, USV, m * n) / fro(A, m * n), C_TOL * nn * u, buf);
            snprintf(buf, sizeof buf, "%s: SVD mode %d ‖UᵀU − I‖", what, mode);
            CHECK_TOL(orth_err(Uv, m, uc), C_TOL * nn * u, buf);
            /* rows of Vh orthonormal: (Vhᵀ) has orthonormal columns */
            double *Vt = malloc(sizeof(double) * (size_t)(vr * n + 1));
            for (int64_t i = 0; i < vr; i++)
                for (int64_t j = 0; j < n; j++) Vt[j * vr + i] = Vv[i * n + j];
            snprintf(buf, sizeof buf, "%s: SVD mode %d ‖VᵀV − I‖", what, mode);
            CHECK_TOL(orth_err(Vt, n, vr), C_TOL * nn * u, buf);
            if (mode == BN_SVD_FULL) {
                Sv = malloc(sizeof(double) * (size_t)(k + 1));
                memcpy(Sv, s, sizeof(double) * (size_t)k);
            }
            free(Vt);
            free(US);
            free(USV);
            free(Uv);
            free(Vv);
        }
        free(s);
        bn_tensor_free(U);
        bn_tensor_free(S);
        bn_tensor_free(V);
    }
    free(Sv);
}

static void check_square(bn_dtype dt, const bn_tensor *a, const double *A, int64_t n, double kappa,
                         const char *what) {
    double u = eps_work(dt), nn = (double)n;
    int trust = C_TOL * nn * kappa * u < 1; /* κ-dependent checks only when meaningful */
    char buf[200];
    /* solve with a known solution */
    double *xs = malloc(sizeof(double) * (size_t)n), *b = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) xs[i] = 1.0 + (double)i / (double)n;
    mm(A, 0, xs, 0, b, n, n, 1);
    int64_t vs[1] = {n};
    bn_tensor *bt = make(dt, 1, vs, b), *xt = NULL;
    double *bq = read_all(bt); /* b as rounded to dt */
    CHECK_OK(bn_linalg_solve(a, bt, &xt));
    if (xt) {
        double *x = read_all(xt), *Ax = malloc(sizeof(double) * (size_t)n);
        mm(A, 0, x, 0, Ax, n, n, 1);
        snprintf(buf, sizeof buf, "%s: solve residual", what);
        CHECK_TOL(fro_diff(Ax, bq, n) / (fro(A, n * n) * fro(x, n) + fro(bq, n)), C_TOL * nn * u, buf);
        if (trust) {
            snprintf(buf, sizeof buf, "%s: solve forward error (κ %.3g)", what, kappa);
            CHECK_TOL(fro_diff(x, xs, n) / fro(xs, n), C_TOL * nn * kappa * u, buf);
        }
        free(x);
        free(Ax);
    }
    /* inverse */
    bn_tensor *inv = NULL;
    bn_status st = bn_linalg_inv(a, &inv);
    if (trust) CHECK(st == BN_OK);
    if (inv) {
        double *X = read_all(inv), *AX = malloc(sizeof(double) * (size_t)(n * n));
        mm(A, 0, X, 0, AX, n, n, n);
        for (int64_t i = 0; i < n; i++) AX[i * n + i] -= 1;
        if (trust) {
            snprintf(buf, sizeof buf, "%s: ‖A A⁻¹ − I‖ (κ %.3g)", what, kappa);
            CHECK_TOL(fro(AX, n * n), C_TOL * nn * kappa * u, buf);
        }
        free(X);
        free(AX);
    }
    /* det and slogdet against our own LU */
    double ref = lu_det(A, n);
    bn_tensor *d = NULL, *sg = NULL, *la = NULL;
    CHECK_OK(bn_linalg_det(a, &d));
    CHECK_OK(bn_linalg_slogdet(a, &sg, &la));
    if (d && sg && la && trust) {
        double dv = 0, s = 0, l = 0;
        bn_tensor_get(d, NULL, &dv);
        bn_tensor_get(sg, NULL, &s);
        bn_tensor_get(la, NULL, &l);
        snprintf(buf, sizeof buf, "%s: det %.6g vs LU %.6g", what, dv, ref);
        if (dt == BN_DTYPE_F32 && fabs(ref) > FLT_MAX) /* overflows f32: ±inf, as documented */
            CHECK(isinf(dv) && (dv > 0) == (ref > 0));
        else
            CHECK_TOL(fabs(dv - ref) / fabs(ref), C_TOL * nn * kappa * u, buf);
        CHECK(s == (ref > 0 ? 1 : -1));
        snprintf(buf, sizeof buf, "%s: logabsdet", what);
        CHECK_TOL(fabs(l - log(fabs(ref))), C_TOL * nn * kappa * u, buf);
    }
    /* eigh on the symmetric part S = (A + Aᵀ)/2 (as rounded to dt) */
    double *S = malloc(sizeof(double) * (size_t)(n * n));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) S[i * n + j] = 0.5 * (A[i * n + j] + A[j * n + i]);
    int64_t sh[2] = {n, n};
    bn_tensor *st_ = make(dt, 2, sh, S);
    double *Sq = read_all(st_);
    for (int uplo = 0; uplo < 2; uplo++) {
        bn_tensor *w = NULL, *v = NULL, *w2 = NULL;
        CHECK_OK(bn_linalg_eigh(st_, (bn_uplo)uplo, &w, &v));
        CHECK_OK(bn_linalg_eigh(st_, (bn_uplo)uplo, &w2, NULL));
        if (!w || !v || !w2) continue;
        double *W = read_all(w), *V = read_all(v), *W2 = read_all(w2);
        double *AV = malloc(sizeof(double) * (size_t)(n * n)), *VL = malloc(sizeof(double) * (size_t)(n * n));
        mm(Sq, 0, V, 0, AV, n, n, n);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) VL[i * n + j] = V[i * n + j] * W[j];
        int asc = 1;
        for (int64_t i = 0; i + 1 < n; i++) asc &= W[i] <= W[i + 1];
        CHECK(asc);
        snprintf(buf, sizeof buf, "%s: eigh ‖AV − VΛ‖/‖A‖", what);
        CHECK_TOL(fro_diff(AV, VL, n * n) / fro(Sq, n * n), C_TOL * nn * u, buf);
        snprintf(buf, sizeof buf, "%s: eigh ‖VᵀV − I‖", what);
        CHECK_TOL(orth_err(V, n, n), C_TOL * nn * u, buf);
        snprintf(buf, sizeof buf, "%s: eigh values-only", what);
        CHECK_TOL(fro_diff(W, W2, n) / (fro(W, n) + 1e-300), C_TOL * nn * u, buf);
        free(W);
        free(V);
        free(W2);
        free(AV);
        free(VL);
        bn_tensor_free(w);
        bn_tensor_free(v);
        bn_tensor_free(w2);
    }
    /* eig: complex residual ‖AV − VΛ‖ with V's columns of norm 1 */
    bn_tensor *ew = NULL, *ev = NULL;
    CHECK_OK(bn_linalg_eig(a, &ew, &ev));
    if (ew && ev) {
        double *W = read_all(ew), *V = read_all(ev);
        double res = 0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double re = 0, im = 0;
                for (int64_t p = 0; p < n; p++) {
                    re += A[i * n + p] * V[(p * n + j) * 2];
                    im += A[i * n + p] * V[(p * n + j) * 2 + 1];
                }
                double vr = V[(i * n + j) * 2], vi = V[(i * n + j) * 2 + 1], lr = W[j * 2], li = W[j * 2 + 1];
                re -= vr * lr - vi * li;
                im -= vr * li + vi * lr;
                res += re * re + im * im;
            }
        snprintf(buf, sizeof buf, "%s: eig ‖AV − VΛ‖/‖A‖", what);
        CHECK_TOL(sqrt(res) / fro(A, n * n), C_TOL * nn * sqrt(nn) * u, buf);
        free(W);
        free(V);
    }
    bn_tensor_free(ew);
    bn_tensor_free(ev);
    free(S);
    free(Sq);
    bn_tensor_free(st_);
    bn_tensor_free(d);
    bn_tensor_free(sg);
    bn_tensor_free(la);
    bn_tensor_free(inv);
    bn_tensor_free(xt);
    bn_tensor_free(bt);
    free(bq);
    free(xs);
    free(b);
}

static void check_cholesky(bn_dtype dt, const double *A0, int64_t n, double kappa, const char *what) {
    int64_t sh[2] = {n, n};
    bn_tensor *a = make(dt, 2, sh, A0);
    double *A = read_all(a), u = eps_work(dt);
    char buf[200];
    for (int uplo = 0; uplo < 2; uplo++) {
        bn_tensor *f = NULL;
        bn_status st = bn_linalg_cholesky(a, (bn_uplo)uplo, &f);
        if (C_TOL * (double)n * kappa * u >= 1) { /* may be numerically indefinite */
            CHECK(st == BN_OK || st == BN_ERR_SINGULAR);
        } else {
            CHECK_OK(st);
        }
        if (!f) continue;
        double *F = read_all(f), *R = malloc(sizeof(double) * (size_t)(n * n));
        int tri = 1;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++)
                if (uplo == BN_LOWER ? j > i : j < i) tri &= F[i * n + j] == 0;
        CHECK(tri);
        if (uplo == BN_LOWER) mm(F, 0, F, 1, R, n, n, n); /* L Lᵀ */
        else mm(F, 1, F, 0, R, n, n, n);                  /* Uᵀ U */
        snprintf(buf, sizeof buf, "%s: Cholesky %s ‖A − FFᵀ‖/‖A‖", what, uplo ? "upper" : "lower");
        CHECK_TOL(fro_diff(A, R, n * n) / fro(A, n * n), C_TOL * (double)n * u, buf);
        free(F);
        free(R);
        bn_tensor_free(f);
    }
    free(A);
    bn_tensor_free(a);
}

static void check_svdfun(bn_dtype dt, const bn_tensor *a, const double *A, int64_t m, int64_t n, double kappa,
                         const char *what) {
    double u = eps_work(dt), nn = (double)(m > n ? m : n);
    char buf[200];
    bn_tensor *p = NULL;
    CHECK_OK(bn_linalg_pinv(a, -1, &p));
    if (p && C_TOL * nn * kappa * u < 1) {
        double *P = read_all(p), *AP = malloc(sizeof(double) * (size_t)(m * m)), *APA = malloc(sizeof(double) * (size_t)(m * n));
        double *PA = malloc(sizeof(double) * (size_t)(n * n)), *PAP = malloc(sizeof(double) * (size_t)(n * m));
        mm(A, 0, P, 0, AP, m, n, m);
        mm(AP, 0, A, 0, APA, m, m, n);
        mm(P, 0, A, 0, PA, n, m, n);
        mm(PA, 0, P, 0, PAP, n, n, m);
        snprintf(buf, sizeof buf, "%s: ‖A A⁺ A − A‖/‖A‖", what);
        CHECK_TOL(fro_diff(APA, A, m * n) / fro(A, m * n), C_TOL * nn * kappa * u, buf);
        snprintf(buf, sizeof buf, "%s: ‖A⁺ A A⁺ − A⁺‖/‖A⁺‖", what);
        CHECK_TOL(fro_diff(PAP, P, m * n) / fro(P, m * n), C_TOL * nn * kappa * u, buf);
        free(P);
        free(AP);
        free(APA);
        free(PA);
        free(PAP);
    }
    bn_tensor_free(p);
    /* lstsq: optimality Aᵀ(b − Ax) ≈ 0 */
    double *b = malloc(sizeof(double) * (size_t)m);
    random_fill(b, m);
    int64_t bs[1] = {m};
    bn_tensor *bt = make(dt, 1, bs, b), *xt = NULL;
    double *bq = read_all(bt);
    CHECK_OK(bn_linalg_lstsq(a, bt, -1, &xt));
    if (xt && m >= n && C_TOL * nn * kappa * u < 1) {
        double *x = read_all(xt), *r = malloc(sizeof(double) * (size_t)m), *g = malloc(sizeof(double) * (size_t)n);
        mm(A, 0, x, 0, r, m, n, 1);
        for (int64_t i = 0; i < m; i++) r[i] = bq[i] - r[i];
        mm(A, 1, r, 0, g, n, m, 1);
        double na = fro(A, m * n);
        snprintf(buf, sizeof buf, "%s: lstsq ‖Aᵀr‖", what);
        CHECK_TOL(fro(g, n), C_TOL * nn * kappa * u * (na * fro(r, m) + na * na * fro(x, n) + na * fro(bq, m)), buf);
        free(x);
        free(r);
        free(g);
    }
    bn_tensor_free(xt);
    bn_tensor_free(bt);
    free(bq);
    free(b);
}

/* Hilbert matrices: known condition numbers, rank, and everything above. */
static void test_hilbert(void) {
    /* κ₂(H_n), as numpy.linalg.cond(scipy.linalg.hilbert(n)) */
    static const double known[11] = {0, 1.0, 19.281470067903967, 524.0567775860627, 15513.738738929662,
                                     476607.2502419338, 14951058.64177819, 475367356.8766496,
                                     15257575563.722723, 493153322841.38226, 16024980732174.455};
    for (int64_t n = 1; n <= 10; n++) {
        double *H = malloc(sizeof(double) * (size_t)(n * n));
        hilbert(H, n);
        double kappa = cond2(H, n, n);
        char what[64];
        snprintf(what, sizeof what, "hilbert(%d)", (int)n);
        /* the f64 condition number itself: error grows as κ u */
        CHECK_TOL(fabs(kappa - known[n]) / known[n], C_TOL * (double)n * known[n] * DBL_EPSILON + 1e-12, what);
        for (int t = 0; t < 2; t++) {
            bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
            int64_t sh[2] = {n, n};
            bn_tensor *a = make(dt, 2, sh, H);
            double *A = read_all(a);
            double k2 = dt == BN_DTYPE_F64 ? kappa : cond2(A, n, n);
            snprintf(what, sizeof what, "%s hilbert(%d)", bn_dtype_name(dt), (int)n);
            check_qr(dt, a, A, n, n, what);
            check_svd(dt, a, A, n, n, what);
            check_square(dt, a, A, n, k2, what);
            check_cholesky(dt, A, n, k2, what);
            check_svdfun(dt, a, A, n, n, k2, what);
            free(A);
            bn_tensor_free(a);
        }
        free(H);
    }
    /* numpy.linalg.matrix_rank(hilbert(10)) is 10 in f64 */
    double H[100];
    hilbert(H, 10);
    int64_t sh[2] = {10, 10};
    bn_tensor *a = make(BN_DTYPE_F64, 2, sh, H), *r = NULL;
    CHECK_OK(bn_linalg_matrix_rank(a, -1, &r));
    CHECK(r && bn_tensor_dtype(r) == BN_DTYPE_I64 && *(int64_t *)bn_tensor_data(r) == 10);
    bn_tensor_free(r);
    r = NULL;
    CHECK_OK(bn_linalg_matrix_rank(a, 1e-6, &r)); /* an absolute tolerance */
    if (r) {
        bn_tensor *s = NULL;
        CHECK_OK(bn_linalg_svd(a, BN_SVD_VALUES, NULL, &s, NULL));
        int64_t want = 0;
        for (int i = 0; i < 10 && s; i++) want += ((double *)bn_tensor_data(s))[i] > 1e-6;
        CHECK(*(int64_t *)bn_tensor_data(r) == want);
        bn_tensor_free(s);
    }
    bn_tensor_free(r);
    bn_tensor_free(a);
}

static void test_random_shapes(void) {
    static const int64_t shapes[][2] = {{1, 1}, {2, 2}, {5, 5}, {8, 3}, {3, 8}, {17, 17}, {40, 25}, {25, 40}, {64, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t m = shapes[s][0], n = shapes[s][1];
        double *A0 = malloc(sizeof(double) * (size_t)(m * n));
        random_fill(A0, m * n);
        for (int t = 0; t < 2; t++) {
            bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
            int64_t sh[2] = {m, n};
            bn_tensor *a = make(dt, 2, sh, A0);
            double *A = read_all(a);
            double kappa = cond2(A, m, n);
            char what[64];
            snprintf(what, sizeof what, "%s random %dx%d", bn_dtype_name(dt), (int)m, (int)n);
            check_qr(dt, a, A, m, n, what);
            check_svd(dt, a, A, m, n, what);
            check_svdfun(dt, a, A, m, n, kappa, what);
            if (m == n) {
                check_square(dt, a, A, n, kappa, what);
                /* SPD: B Bᵀ + n I */
                double *P = malloc(sizeof(double) * (size_t)(n * n));
                mm(A, 0, A, 1, P, n, n, n);
                for (int64_t i = 0; i < n; i++) P[i * n + i] += (double)n;
                check_cholesky(dt, P, n, cond2(P, n, n), what);
                free(P);
            }
            free(A);
            bn_tensor_free(a);
        }
        free(A0);
    }
}

/* Batched calls give exactly the per-matrix results; also for views. */
static int same(const bn_tensor *x, const bn_tensor *y) {
    if (!x || !y || bn_tensor_numel(x) != bn_tensor_numel(y)) return 0;
    double *a = read_all(x), *b = read_all(y);
    int ok = memcmp(a, b, sizeof(double) * (size_t)bn_tensor_numel(x)) == 0;
    free(a);
    free(b);
    return ok;
}

static bn_tensor *pick(const bn_tensor *t, int64_t i, int64_t j) {
    bn_tensor *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    bn_tensor_slice(t, 0, i, i + 1, 1, &a);
    bn_tensor_squeeze(a, 0, &b);
    bn_tensor_slice(b, 0, j, j + 1, 1, &c);
    bn_tensor_squeeze(c, 0, &d);
    bn_tensor_free(a);
    bn_tensor_free(b);
    bn_tensor_free(c);
    return d;
}

static void test_batched(void) {
    int64_t n = 6, sh[4] = {2, 3, 6, 6};
    double A[2 * 3 * 36];
    random_fill(A, 2 * 3 * 36);
    for (int i = 0; i < 6; i++)
        for (int d = 0; d < 6; d++) A[i * 36 + d * 7] += 8; /* well conditioned */
    for (int t = 0; t < 2; t++) {
        bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
        bn_tensor *base = make(dt, 4, sh, A), *a = NULL;
        /* a transposed view: batched results must read views correctly */
        CHECK_OK(bn_tensor_transpose(base, 2, 3, &a));
        bn_tensor *inv = NULL, *det = NULL, *q = NULL, *r = NULL, *s = NULL, *w = NULL, *v = NULL, *ch = NULL;
        bn_tensor *x = NULL, *pv = NULL, *ew = NULL, *rk = NULL;
        int64_t bsh[3] = {3, 6, 2};
        double B[36];
        random_fill(B, 36);
        bn_tensor *b = make(dt, 3, bsh, B); /* broadcasts over the leading 2 */
        CHECK_OK(bn_linalg_inv(a, &inv));
        CHECK_OK(bn_linalg_det(a, &det));
        CHECK_OK(bn_linalg_qr(a, BN_QR_REDUCED, &q, &r));
        CHECK_OK(bn_linalg_svd(a, BN_SVD_VALUES, NULL, &s, NULL));
        CHECK_OK(bn_linalg_eigh(a, BN_LOWER, &w, &v));
        CHECK_OK(bn_linalg_solve(a, b, &x));
        CHECK_OK(bn_linalg_pinv(a, -1, &pv));
        CHECK_OK(bn_linalg_eig(a, &ew, NULL));
        CHECK_OK(bn_linalg_matrix_rank(a, -1, &rk));
        CHECK(det && bn_tensor_ndim(det) == 2 && x && bn_tensor_ndim(x) == 4 && bn_tensor_shape(x)[3] == 2);
        int ok = 1;
        for (int64_t i = 0; i < 2; i++)
            for (int64_t j = 0; j < 3; j++) {
                bn_tensor *ai = pick(a, i, j), *bj = NULL, *t1 = NULL, *t2 = NULL, *t3 = NULL, *pi = NULL;
                bn_tensor_slice(b, 0, j, j + 1, 1, &t3);
                bn_tensor_squeeze(t3, 0, &bj);
                bn_tensor_free(t3);
                t3 = NULL;
#define SAME1(call, batched)                                   \
    do {                                                       \
        t1 = NULL;                                             \
        call;                                                  \
        pi = pick(batched, i, j);                              \
        if (!same(t1, pi)) {                                   \
            ok = 0;                                            \
            fprintf(stderr, "batched %s differs at %d,%d\n", #batched, (int)i, (int)j); \
        }                                                      \
        bn_tensor_free(t1);                                    \
        bn_tensor_free(pi);                                    \
    } while (0)
                SAME1(bn_linalg_inv(ai, &t1), inv);
                SAME1((bn_linalg_qr(ai, BN_QR_REDUCED, &t1, &t2), bn_tensor_free(t2)), q);
                SAME1(bn_linalg_svd(ai, BN_SVD_VALUES, NULL, &t1, NULL), s);
                SAME1((bn_linalg_eigh(ai, BN_LOWER, &t2, &t1), bn_tensor_free(t2)), v);
                SAME1(bn_linalg_solve(ai, bj, &t1), x);
                SAME1(bn_linalg_pinv(ai, -1, &t1), pv);
                SAME1(bn_linalg_eig(ai, &t1, NULL), ew);
                /* 0-d results */
                bn_tensor *d1 = NULL, *r1 = NULL;
                bn_linalg_det(ai, &d1);
                bn_linalg_matrix_rank(ai, -1, &r1);
                int64_t ij[2] = {i, j};
                double dv = 0, dvb = 1, rv = 0, rvb = 1;
                if (d1) bn_tensor_get(d1, NULL, &dv);
                bn_tensor_get(det, ij, &dvb);
                if (r1) bn_tensor_get(r1, NULL, &rv);
                bn_tensor_get(rk, ij, &rvb);
                if (dv != dvb || rv != rvb || rv != 6) ok = 0;
                bn_tensor_free(d1);
                bn_tensor_free(r1);
                bn_tensor_free(ai);
                bn_tensor_free(bj);
            }
        CHECK(ok);
        (void)n;
        bn_tensor *all[] = {base, a, inv, det, q, r, s, w, v, ch, x, pv, ew, rk, b};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) bn_tensor_free(all[k]);
    }
}

/* Layouts and small exact cases. */
static void test_exact(void) {
    /* rotation by 90 degrees: eigenvalues ±i, eigenvectors (1, ∓i)/√2 */
    double R[4] = {0, -1, 1, 0};
    int64_t s2[2] = {2, 2};
    bn_tensor *a = make(BN_DTYPE_F64, 2, s2, R), *w = NULL, *v = NULL;
    CHECK_OK(bn_linalg_eig(a, &w, &v));
    if (w && v) {
        double *W = read_all(w), *V = read_all(v);
        CHECK(bn_tensor_ndim(w) == 2 && bn_tensor_shape(w)[1] == 2);
        CHECK(bn_tensor_ndim(v) == 3 && bn_tensor_shape(v)[2] == 2);
        CHECK_NEAR(W[0], 0, 1e-15);
        CHECK_NEAR(W[1], 1, 1e-15); /* +i first */
        CHECK_NEAR(W[2], 0, 1e-15);
        CHECK_NEAR(W[3], -1, 1e-15);
        /* columns are conjugate: V[r][1] = conj(V[r][0]) */
        CHECK_NEAR(V[(0 * 2 + 1) * 2], V[(0 * 2 + 0) * 2], 1e-15);
        CHECK_NEAR(V[(1 * 2 + 1) * 2 + 1], -V[(1 * 2 + 0) * 2 + 1], 1e-15);
        free(W);
        free(V);
    }
    bn_tensor_free(w);
    bn_tensor_free(v);
    /* det of a permutation and of a singular matrix; slogdet of singular */
    double P[9] = {0, 1, 0, 1, 0, 0, 0, 0, 1}, Z[9] = {1, 2, 3, 2, 4, 6, 1, 1, 1};
    int64_t s3[2] = {3, 3};
    bn_tensor *p = make(BN_DTYPE_F32, 2, s3, P), *z = make(BN_DTYPE_F64, 2, s3, Z), *d = NULL, *sg = NULL, *la = NULL;
    CHECK_OK(bn_linalg_det(p, &d));
    CHECK(d && *(float *)bn_tensor_data(d) == -1.0f);
    bn_tensor_free(d);
    d = NULL;
    CHECK_OK(bn_linalg_det(z, &d));
    CHECK(d && *(double *)bn_tensor_data(d) == 0.0);
    CHECK_OK(bn_linalg_slogdet(z, &sg, &la));
    CHECK(sg && la && *(double *)bn_tensor_data(sg) == 0.0 && isinf(*(double *)bn_tensor_data(la)) &&
          *(double *)bn_tensor_data(la) < 0);
    bn_tensor *rk = NULL, *cd = NULL;
    CHECK_OK(bn_linalg_matrix_rank(z, -1, &rk));
    CHECK(rk && *(int64_t *)bn_tensor_data(rk) == 2);
    CHECK_OK(bn_linalg_cond(z, &cd));
    CHECK(cd && (isinf(*(double *)bn_tensor_data(cd)) || *(double *)bn_tensor_data(cd) > 1e15));
    /* lstsq on a rank-deficient matrix = pinv(A) b (minimum norm) */
    double b3[3] = {1, 2, 3};
    int64_t v3[1] = {3};
    bn_tensor *bt = make(BN_DTYPE_F64, 1, v3, b3), *x = NULL, *pv = NULL, *px = NULL;
    CHECK_OK(bn_linalg_lstsq(z, bt, -1, &x));
    CHECK_OK(bn_linalg_pinv(z, -1, &pv));
    if (pv) CHECK_OK(bn_matmul(pv, bt, &px));
    if (x && px) {
        double *X = read_all(x), *PX = read_all(px);
        CHECK_TOL(fro_diff(X, PX, 3) / fro(PX, 3), 1e-12, "lstsq minimum norm = pinv b");
        free(X);
        free(PX);
    }
    /* 0x0 matrices: det 1, empty inverse, empty svd */
    int64_t s0[2] = {0, 0};
    bn_tensor *e = NULL, *ed = NULL, *ei = NULL, *es = NULL;
    CHECK_OK(bn_tensor_empty(g_ctx, BN_DTYPE_F64, 2, s0, &e));
    CHECK_OK(bn_linalg_det(e, &ed));
    CHECK(ed && *(double *)bn_tensor_data(ed) == 1.0);
    CHECK_OK(bn_linalg_inv(e, &ei));
    CHECK_OK(bn_linalg_svd(e, BN_SVD_VALUES, NULL, &es, NULL));
    CHECK(es && bn_tensor_numel(es) == 0);
    /* f16 and bf16: computed in f32, returned in the input dtype */
    double M[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2};
    for (int t = 0; t < 2; t++) {
        bn_dtype dt = t ? BN_DTYPE_BF16 : BN_DTYPE_F16;
        bn_tensor *h = make(dt, 2, s3, M), *hw = NULL, *hl = NULL, *dw = NULL, *m64 = make(BN_DTYPE_F64, 2, s3, M);
        CHECK_OK(bn_linalg_eigh(h, BN_LOWER, &hw, NULL));
        CHECK_OK(bn_linalg_cholesky(h, BN_LOWER, &hl));
        CHECK_OK(bn_linalg_eigh(m64, BN_LOWER, &dw, NULL));
        CHECK(hw && bn_tensor_dtype(hw) == dt && hl && bn_tensor_dtype(hl) == dt);
        if (hw && dw) {
            double *W = read_all(hw), *D = read_all(dw);
            double e8 = dt == BN_DTYPE_F16 ? 0x1p-10 : 0x1p-7;
            CHECK_TOL(fro_diff(W, D, 3) / fro(D, 3), 2 * e8, "f16/bf16 eigh");
            free(W);
            free(D);
        }
        bn_tensor *all[] = {h, hw, hl, dw, m64};
        for (size_t k = 0; k < 5; k++) bn_tensor_free(all[k]);
    }
    bn_tensor *all[] = {a, p, z, d, sg, la, rk, cd, bt, x, pv, px, e, ed, ei, es};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) bn_tensor_free(all[k]);
}

/* ---- NumPy's results (tests/data/linalg/cases.txt) ----------------------
 * Written by tools/make_linalg_fixtures.py; compared in f64 with the
 * tolerances of the file comment, κ being the effective condition number
 * s_max / s_rank (so rank-deficient inputs are judged on their range):
 * singular values and eigh values are perfectly conditioned in absolute
 * terms (|δs| <= ‖δA‖₂), so |s − s_np| <= C n u s_max; eigenvalues of the
 * non-symmetric fixtures move by at most κ(V) ‖δA‖ (Bauer-Fike), and the
 * eigenvector matrices of these fixtures have κ(V) < 20 (13.9 and 1.3), so
 * |λ − λ_np| <= 20 C n u ‖A‖_F. */
typedef struct fx_item {
    char key[32];
    int64_t count;
    double *v;
} fx_item;

static const fx_item *fx_get(const fx_item *items, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (strcmp(items[i].key, key) == 0) return &items[i];
    return NULL;
}

static double rel_err(const double *x, const double *ref, int64_t count) {
    double r = fro(ref, count);
    return fro_diff(x, ref, count) / (r > 0 ? r : 1);
}

static int cmp_complex(const void *pa, const void *pb) {
    const double *a = pa, *b = pb;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static void fx_check(const char *name, int64_t m, int64_t n, const fx_item *it, int nit) {
    const fx_item *A = fx_get(it, nit, "a"), *sv = fx_get(it, nit, "svdvals"), *rank = fx_get(it, nit, "rank");
    if (!A || A->count != m * n || !sv || !rank) {
        bt_fail(__FILE__, __LINE__, name);
        return;
    }
    double u = DBL_EPSILON, nn = (double)(m > n ? m : n), smax = sv->count ? sv->v[0] : 0;
    int64_t r = (int64_t)rank->v[0];
    double kappa = r > 0 ? smax / sv->v[r - 1] : 1, tk = C_TOL * nn * kappa * u;
    int trust = tk < 1, full = r == (m < n ? m : n);
    int64_t sh[2] = {m, n};
    bn_tensor *a = make(BN_DTYPE_F64, 2, sh, A->v), *t = NULL, *t2 = NULL;
    char what[160];
#define FX_NEAR(val, tol, label)                                      \
    do {                                                              \
        snprintf(what, sizeof what, "numpy %s: %s", name, label);     \
        CHECK_TOL(val, tol, what);                                    \
    } while (0)
    /* singular values, rank, condition number */
    CHECK_OK(bn_linalg_svd(a, BN_SVD_VALUES, NULL, &t, NULL));
    if (t) {
        double *s = read_all(t), e = 0;
        for (int64_t i = 0; i < sv->count; i++) e = fmax(e, fabs(s[i] - sv->v[i]));
        FX_NEAR(e, C_TOL * nn * u * smax, "svdvals");
        free(s);
    }
    bn_tensor_free(t);
    t = NULL;
    CHECK_OK(bn_linalg_matrix_rank(a, -1, &t));
    CHECK(t && *(int64_t *)bn_tensor_data(t) == r);
    bn_tensor_free(t);
    t = NULL;
    const fx_item *it1 = fx_get(it, nit, "cond");
    if (full && trust && it1) {
        CHECK_OK(bn_linalg_cond(a, &t));
        if (t) FX_NEAR(fabs(*(double *)bn_tensor_data(t) - it1->v[0]) / it1->v[0], tk, "cond");
        bn_tensor_free(t);
        t = NULL;
    }
    /* pinv and lstsq (minimum norm: rank-deficient included) */
    if ((it1 = fx_get(it, nit, "pinv")) && trust) {
        CHECK_OK(bn_linalg_pinv(a, -1, &t));
        if (t) {
            double *x = read_all(t);
            FX_NEAR(rel_err(x, it1->v, it1->count), tk, "pinv");
            free(x);
        }
        bn_tensor_free(t);
        t = NULL;
    }
    const fx_item *lb = fx_get(it, nit, "lstsq_b"), *lx = fx_get(it, nit, "lstsq_x");
    if (lb && lx && trust) {
        int64_t bs[1] = {m};
        bn_tensor *b = make(BN_DTYPE_F64, 1, bs, lb->v);
        CHECK_OK(bn_linalg_lstsq(a, b, -1, &t));
        if (t) {
            double *x = read_all(t);
            FX_NEAR(rel_err(x, lx->v, lx->count), tk, "lstsq");
            free(x);
        }
        bn_tensor_free(t);
        bn_tensor_free(b);
        t = NULL;
    }
    if ((it1 = fx_get(it, nit, "qr_absr")) && trust && full) {
        CHECK_OK(bn_linalg_qr(a, BN_QR_REDUCED, &t2, &t));
        if (t) {
            double *R = read_all(t);
            for (int64_t i = 0; i < it1->count; i++) R[i] = fabs(R[i]);
            FX_NEAR(rel_err(R, it1->v, it1->count), tk, "|R| of QR");
            free(R);
        }
        bn_tensor_free(t);
        bn_tensor_free(t2);
        t = t2 = NULL;
    }
    if (m == n) {
        if ((it1 = fx_get(it, nit, "det"))) {
            CHECK_OK(bn_linalg_det(a, &t));
            if (t && trust) FX_NEAR(fabs(*(double *)bn_tensor_data(t) - it1->v[0]) / fabs(it1->v[0]), tk, "det");
            bn_tensor_free(t);
            t = NULL;
        }
        if ((it1 = fx_get(it, nit, "slogdet")) && trust) {
            CHECK_OK(bn_linalg_slogdet(a, &t, &t2));
            if (t && t2) {
                CHECK(*(double *)bn_tensor_data(t) == it1->v[0]);
                FX_NEAR(fabs(*(double *)bn_tensor_data(t2) - it1->v[1]), tk, "logabsdet");
            }
            bn_tensor_free(t);
            bn_tensor_free(t2);
            t = t2 = NULL;
        }
        if ((it1 = fx_get(it, nit, "inv")) && trust) {
            CHECK_OK(bn_linalg_inv(a, &t));
            if (t) {
                double *x = read_all(t);
                FX_NEAR(rel_err(x, it1->v, it1->count), tk, "inv");
                free(x);
            }
            bn_tensor_free(t);
            t = NULL;
        }
        const fx_item *sb = fx_get(it, nit, "solve_b"), *sx = fx_get(it, nit, "solve_x");
        if (sb && sx && trust) {
            int64_t bs[1] = {n};
            bn_tensor *b = make(BN_DTYPE_F64, 1, bs, sb->v);
            CHECK_OK(bn_linalg_solve(a, b, &t));
            if (t) {
                double *x = read_all(t);
                FX_NEAR(rel_err(x, sx->v, sx->count), tk, "solve");
                free(x);
            }
            bn_tensor_free(t);
            bn_tensor_free(b);
            t = NULL;
        }
        if ((it1 = fx_get(it, nit, "eigvals"))) {
            CHECK_OK(bn_linalg_eig(a, &t, NULL));
            if (t) {
                double *w = read_all(t);
                qsort(w, (size_t)n, 2 * sizeof(double), cmp_complex);
                double e = 0;
                for (int64_t i = 0; i < 2 * n; i++) e = fmax(e, fabs(w[i] - it1->v[i]));
                FX_NEAR(e, 20 * C_TOL * nn * u * fro(A->v, m * n), "eigvals");
                free(w);
            }
            bn_tensor_free(t);
            t = NULL;
        }
        if ((it1 = fx_get(it, nit, "eigh"))) {
            CHECK_OK(bn_linalg_eigh(a, BN_LOWER, &t, NULL));
            if (t) {
                double *w = read_all(t), e = 0;
                for (int64_t i = 0; i < n; i++) e = fmax(e, fabs(w[i] - it1->v[i]));
                FX_NEAR(e, C_TOL * nn * u * smax, "eigh");
                free(w);
            }
            bn_tensor_free(t);
            t = NULL;
        }
        if ((it1 = fx_get(it, nit, "cholesky")) && trust) {
            CHECK_OK(bn_linalg_cholesky(a, BN_LOWER, &t));
            if (t) {
                double *L = read_all(t);
                FX_NEAR(rel_err(L, it1->v, it1->count), tk, "cholesky");
                free(L);
            }
            bn_tensor_free(t);
            t = NULL;
        }
    }
#undef FX_NEAR
    bn_tensor_free(a);
}

static void test_numpy(void) {
    const char *path = BITNET_TEST_DATA_DIR "/linalg/cases.txt";
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    fx_item items[32];
    int nit = 0, ncases = 0;
    char name[64] = "";
    int64_t m = 0, n = 0;
    while (getline(&line, &cap, f) > 0) {
        if (line[0] == '#') continue;
        long long lm, ln;
        if (sscanf(line, "case %63s %lld %lld", name, &lm, &ln) == 3) {
            m = lm;
            n = ln;
            nit = 0;
            continue;
        }
        if (strncmp(line, "end", 3) == 0) {
            fx_check(name, m, n, items, nit);
            for (int i = 0; i < nit; i++) free(items[i].v);
            nit = 0;
            ncases++;
            continue;
        }
        fx_item *it = &items[nit];
        int used = 0;
        long long cnt;
        if (nit >= 32 || sscanf(line, "%31s %lld%n", it->key, &cnt, &used) != 2 || cnt < 0) {
            bt_fail(__FILE__, __LINE__, "malformed line in cases.txt");
            break;
        }
        it->count = cnt;
        it->v = malloc(sizeof(double) * (size_t)(cnt + 1));
        char *p = line + used;
        for (long long i = 0; i < cnt; i++) it->v[i] = strtod(p, &p);
        nit++;
    }
    for (int i = 0; i < nit; i++) free(items[i].v);
    free(line);
    fclose(f);
    CHECK(ncases == 7);
}

/* ---- layouts ------------------------------------------------------------
 * The copies into LAPACK's buffers take different paths by layout (rows
 * copied as they are, gathered in tiles, converted) and factor A or Aᵀ;
 * every layout must give the contiguous result to within rounding. The
 * elements a strided view skips hold NaN: reading one would be an error. */

/* A view with the logical values A (n x n): 0 contiguous, 1 transposed
 * storage, 2 step 2 in both dims, 3 reversed in both dims, 4 rows of a
 * wider matrix (row stride n + 3). */
static bn_tensor *layout_view(bn_dtype dt, int64_t n, const double *A, int kind) {
    int64_t w = kind == 2 ? 2 * n : kind == 4 ? n + 3 : n, h = kind == 2 ? 2 * n : n;
    double *S = malloc(sizeof(double) * (size_t)(w * h));
    for (int64_t i = 0; i < w * h; i++) S[i] = NAN;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double v = A[i * n + j];
            if (kind == 1) S[j * n + i] = v;
            else if (kind == 2) S[2 * i * w + 2 * j] = v;
            else if (kind == 3) S[(n - 1 - i) * n + (n - 1 - j)] = v;
            else if (kind == 4) S[i * w + j + 1] = v;
            else S[i * n + j] = v;
        }
    int64_t sh[2] = {h, w};
    bn_tensor *base = make(dt, 2, sh, S), *v = NULL, *t = NULL;
    free(S);
    if (kind == 1) {
        bn_tensor_transpose(base, 0, 1, &v);
    } else if (kind == 2) {
        bn_tensor_slice(base, 0, 0, INT64_MAX, 2, &t);
        bn_tensor_slice(t, 1, 0, INT64_MAX, 2, &v);
    } else if (kind == 3) {
        bn_tensor_slice(base, 0, INT64_MAX, INT64_MIN, -1, &t);
        bn_tensor_slice(t, 1, INT64_MAX, INT64_MIN, -1, &v);
    } else if (kind == 4) {
        bn_tensor_slice(base, 1, 1, n + 1, 1, &v);
    } else {
        return base;
    }
    bn_tensor_free(t);
    bn_tensor_free(base);
    return v;
}

static void test_layouts(void) {
    static const int64_t sizes[2] = {7, 37};
    for (int si = 0; si < 2; si++) {
        int64_t n = sizes[si], sv[1] = {n};
        double *R = malloc(sizeof(double) * (size_t)(n * n)), *A = malloc(sizeof(double) * (size_t)(n * n));
        double *B = malloc(sizeof(double) * (size_t)n);
        random_fill(R, n * n);
        random_fill(B, n);
        for (int64_t i = 0; i < n; i++) /* SPD, well conditioned: R Rᵀ / n + I */
            for (int64_t j = 0; j < n; j++) {
                double acc = i == j ? 1.0 : 0.0;
                for (int64_t k = 0; k < n; k++) acc += R[i * n + k] * R[j * n + k] / (double)n;
                A[i * n + j] = acc;
            }
        for (int t = 0; t < 3; t++) {
            bn_dtype dt = t == 0 ? BN_DTYPE_F32 : t == 1 ? BN_DTYPE_F64 : BN_DTYPE_F16;
            double tol = t == 2 ? 2e-2 : 50.0 * (double)n * eps_work(dt);
            bn_tensor *b = make(dt, 1, sv, B);
            enum { NF = 11 };
            double *ref[NF] = {0};
            int64_t cnt[NF] = {0};
            for (int kind = 0; kind < 5; kind++) {
                bn_tensor *a = layout_view(dt, n, A, kind), *o[NF] = {0}, *x1 = NULL, *x2 = NULL;
                CHECK(a != NULL && bn_tensor_shape(a)[0] == n && bn_tensor_shape(a)[1] == n);
                CHECK_OK(bn_linalg_cholesky(a, BN_LOWER, &o[0]));
                CHECK_OK(bn_linalg_cholesky(a, BN_UPPER, &o[1]));
                CHECK_OK(bn_linalg_eigh(a, BN_LOWER, &o[2], &x1));
                bn_tensor_free(x1);
                CHECK_OK(bn_linalg_eigh(a, BN_UPPER, &o[3], NULL));
                CHECK_OK(bn_linalg_inv(a, &o[4]));
                CHECK_OK(bn_linalg_solve(a, b, &o[5]));
                CHECK_OK(bn_linalg_det(a, &o[6]));
                CHECK_OK(bn_linalg_svd(a, BN_SVD_VALUES, NULL, &o[7], NULL));
                CHECK_OK(bn_linalg_qr(a, BN_QR_REDUCED, &o[8], &x2));
                bn_tensor_free(x2);
                CHECK_OK(bn_linalg_pinv(a, -1, &o[9]));
                CHECK_OK(bn_linalg_lstsq(a, b, -1, &o[10]));
                for (int f = 0; f < NF; f++) {
                    double *v = o[f] ? read_all(o[f]) : NULL;
                    if (kind == 0) {
                        ref[f] = v;
                        cnt[f] = o[f] ? bn_tensor_numel(o[f]) : 0;
                    } else if (v && ref[f] && !(t == 2 && f == 6)) { /* f16 det overflows at n = 37 */
                        double e = rel_err(v, ref[f], cnt[f]);
                        if (!(e <= tol)) {
                            fprintf(stderr, "layout %d, n %d, dtype %d, function %d: relative difference %g > %g\n",
                                    kind, (int)n, t, f, e, tol);
                            bt_fail(__FILE__, __LINE__, "layout result differs");
                        } else {
                            bt_passed++;
                        }
                        free(v);
                    } else {
                        free(v);
                    }
                    bn_tensor_free(o[f]);
                }
                bn_tensor_free(a);
            }
            for (int f = 0; f < NF; f++) free(ref[f]);
            bn_tensor_free(b);
        }
        free(R);
        free(A);
        free(B);
    }
}

/* From n = 1024 on, the lower Cholesky factor comes from potrf('U') in
 * place rather than potrf('L') with transposes: it must still equal the
 * upper factor transposed (computed by the other triangle's path) and
 * reproduce A. */
static void test_cholesky_large(void) {
    int64_t n = 1024, sh[2] = {n, n};
    double *A = malloc(sizeof(double) * (size_t)(n * n));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j <= i; j++) {
            double v = i == j ? 4.0 : (urand() - 0.5) / (double)n;
            A[i * n + j] = A[j * n + i] = v;
        }
    for (int t = 0; t < 2; t++) {
        bn_dtype dt = t ? BN_DTYPE_F64 : BN_DTYPE_F32;
        bn_tensor *a = make(dt, 2, sh, A), *l = NULL, *u = NULL;
        CHECK_OK(bn_linalg_cholesky(a, BN_LOWER, &l));
        CHECK_OK(bn_linalg_cholesky(a, BN_UPPER, &u));
        double *L = l ? read_all(l) : NULL, *U = u ? read_all(u) : NULL;
        if (L && U) {
            int tri = 1;
            double d = 0, r = 0, e = 0;
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++) {
                    if (j > i) tri &= L[i * n + j] == 0;
                    d = fmax(d, fabs(L[i * n + j] - U[j * n + i]));
                }
            for (int64_t i = 0; i < n; i += 97) /* rows of A - L Lᵀ */
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0;
                    for (int64_t k = 0; k <= (i < j ? i : j); k++) acc += L[i * n + k] * L[j * n + k];
                    e = fmax(e, fabs(acc - A[i * n + j]));
                    r = fmax(r, fabs(A[i * n + j]));
                }
            CHECK(tri);
            CHECK(d <= 16 * eps_work(dt) * 2.0);
            CHECK(e <= C_TOL * (double)n * eps_work(dt) * r);
        }
        free(L);
        free(U);
        bn_tensor_free(a);
        bn_tensor_free(l);
        bn_tensor_free(u);
    }
    free(A);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_exact();
    test_random_shapes();
    test_hilbert();
    test_batched();
    test_layouts();
    test_cholesky_large();
    test_numpy();
    bn_ctx_free(g_ctx);
    return bt_summary("test_linalg_decomp");
}
