/**
 * @file linalg.h
 * @brief Linear algebra: matrix products on OpenBLAS (CBLAS) and
 *        decompositions, solvers and matrix functions on LAPACK (LAPACKE).
 *
 * Matrices are the last two dimensions of a tensor; any leading dimensions
 * are a batch, and every function works on each matrix of the batch in
 * turn. Results are new contiguous tensors of the input's dtype, except
 * where a function says otherwise.
 *
 * Products (bn_matmul(), bn_dot(), bn_outer()):
 * - follow torch.matmul: a 1-D left operand is a row vector [1, k] and a
 *   1-D right operand a column vector [k, 1], and that dimension is removed
 *   from the result; batch dimensions broadcast by NumPy rules;
 * - f32 and f64 call cblas_sgemm/dgemm (cblas_?gemv when one side is a
 *   single row or column, cblas_?dot for a 1x1 result). Transposed and
 *   strided views are passed by transpose flag and leading dimension, not
 *   copied; an operand is copied (into a contiguous scratch matrix) only
 *   when neither of its two strides is 1, or a stride is negative or zero;
 * - f16 and bf16 operands are converted to f32 one batch matrix at a time,
 *   multiplied with f32 accumulation (sgemm) and rounded once to the
 *   output dtype;
 * - both operands must have the same dtype; integer, bool and packed
 *   dtypes are refused with ::BN_ERR_DTYPE (cast them to a float dtype).
 * - `_into` forms: @p out must have exactly the result's shape and the
 *   operands' dtype; it may be any view (a view whose last two strides are
 *   not BLAS-compatible is computed into a scratch matrix and copied). It
 *   must not overlap either operand (::BN_ERR_INVALID_ARGUMENT): a matrix
 *   product cannot be computed in place. On failure @p out is unchanged
 *   (scratch matrices are all allocated while the first batch matrix is
 *   prepared, before anything is written).
 *
 * LAPACK functions (bn_linalg_*):
 * - accept f32 and f64 (computed in that precision with LAPACK's s and d
 *   routines) and f16/bf16 (computed in f32, results rounded to the input
 *   dtype); other dtypes give ::BN_ERR_DTYPE;
 * - copy each matrix into a column-major scratch buffer (LAPACK overwrites
 *   its input): the caller's tensors are never modified, and inputs may be
 *   any views;
 * - refuse NaN and infinite inputs with ::BN_ERR_INVALID_ARGUMENT before
 *   calling LAPACK (its behaviour on them is undefined, some routines loop
 *   forever), naming the batch index, row and column of the first one;
 * - refuse a non-square matrix where a square one is needed with
 *   ::BN_ERR_SHAPE naming the shape, and inputs with fewer than two
 *   dimensions likewise;
 * - report failures as errors, never as NaN: an exactly singular matrix in
 *   bn_linalg_solve() and bn_linalg_inv() is ::BN_ERR_SINGULAR with the
 *   zero pivot LAPACK reports (getrf's info, 1-based), as is a result that
 *   overflows; a matrix that is not positive definite in
 *   bn_linalg_cholesky() is ::BN_ERR_SINGULAR naming the order of the
 *   leading minor that is not (potrf's info); an SVD or eigenvalue
 *   iteration that does not converge is ::BN_ERR_NO_CONVERGENCE. A singular
 *   matrix is not an error for det (0), slogdet (sign 0, log|det| -inf),
 *   matrix_rank, pinv, lstsq or cond (+inf): those are the exact answers;
 * - allocate their scratch buffers (column-major copies, pivots, LAPACK
 *   workspace found by a workspace query) through the library's allocator,
 *   so allocation failures are reported as ::BN_ERR_OUT_OF_MEMORY;
 * - outputs are written only on success; a batch fails as a whole and its
 *   message names the batch index of the matrix that failed.
 *
 * Threads: OpenBLAS keeps its own worker threads, separate from the
 * context's pool. Every call here first sets OpenBLAS's thread count to
 * the context's thread count (bn_ctx_num_threads() of the first operand's
 * context) when it differs. That setting is process-wide: concurrent calls
 * from contexts with different thread counts may run with either count
 * (the results are the same up to rounding).
 *
 * Built only with the CMake option BITNET_LINALG (on by default).
 * See docs/linalg.md.
 */
#ifndef BITNET_LINALG_H
#define BITNET_LINALG_H

#include <stdint.h>

#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- products -------------------------------------------------------- */

/**
 * @brief Matrix product with torch.matmul semantics, into a new tensor.
 *
 * Shapes: [k] x [k] gives a 0-d tensor; [m, k] x [k, n] gives [m, n];
 * [k] x [..., k, n] gives [..., n]; [..., m, k] x [k] gives [..., m];
 * [..., m, k] x [..., k, n] gives [broadcast(...), m, n].
 * @param a left operand, at least 1-D, float dtype.
 * @param b right operand, same dtype as @p a.
 * @param[out] out written on success.
 * @return ::BN_ERR_SHAPE when the inner dimensions differ (naming both
 *         shapes), the batch dimensions do not broadcast, or an operand is
 *         0-d; ::BN_ERR_DTYPE for mixed or non-float dtypes;
 *         ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_matmul(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);

/**
 * @brief bn_matmul() written into @p out (see the file comment for the
 *        rules on out).
 * @param a left operand.
 * @param b right operand.
 * @param out result: exactly the result's shape and @p a's dtype; must not
 *        overlap @p a or @p b.
 * @return as bn_matmul(); ::BN_ERR_SHAPE or ::BN_ERR_DTYPE for a wrong
 *         @p out; ::BN_ERR_INVALID_ARGUMENT when @p out overlaps an operand.
 */
BN_API bn_status bn_matmul_into(const bn_tensor *a, const bn_tensor *b, bn_tensor *out);

/**
 * @brief Inner product of two 1-D tensors of the same length, as a 0-d
 *        tensor (f32 and f64 accumulate in their own precision with
 *        cblas_?dot; f16/bf16 in f32).
 * @param a 1-D float tensor.
 * @param b 1-D tensor of the same length and dtype.
 * @param[out] out written on success.
 * @return ::BN_ERR_SHAPE unless both are 1-D of the same length.
 */
BN_API bn_status bn_dot(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);

/**
 * @brief Outer product: out[i, j] = a[i] * b[j].
 * @param a 1-D float tensor of length m.
 * @param b 1-D tensor of length n, same dtype.
 * @param[out] out written on success: [m, n].
 * @return ::BN_ERR_SHAPE unless both are 1-D.
 */
BN_API bn_status bn_outer(const bn_tensor *a, const bn_tensor *b, bn_tensor **out);

/* ---- decompositions -------------------------------------------------- */

/** @brief What bn_linalg_svd() computes. */
typedef enum bn_svd_mode {
    BN_SVD_FULL = 0,   /**< U [..., m, m], S [..., k], Vh [..., n, n] (k = min(m, n)) */
    BN_SVD_THIN = 1,   /**< U [..., m, k], S [..., k], Vh [..., k, n] */
    BN_SVD_VALUES = 2  /**< S [..., k] only; u and vh are not written */
} bn_svd_mode;

/**
 * @brief Singular value decomposition A = U diag(S) Vh (LAPACK ?gesdd,
 *        divide and conquer), singular values in descending order.
 * @param a input [..., m, n].
 * @param mode ::bn_svd_mode.
 * @param[out] u left singular vectors (columns); may be NULL with
 *        ::BN_SVD_VALUES, required otherwise.
 * @param[out] s singular values, descending, >= 0.
 * @param[out] vh right singular vectors as rows (V transposed).
 * @return ::BN_ERR_NO_CONVERGENCE when the iteration fails.
 */
BN_API bn_status bn_linalg_svd(const bn_tensor *a, bn_svd_mode mode, bn_tensor **u, bn_tensor **s,
                               bn_tensor **vh);

/** @brief What bn_linalg_qr() returns. */
typedef enum bn_qr_mode {
    BN_QR_REDUCED = 0, /**< Q [..., m, k], R [..., k, n], k = min(m, n) */
    BN_QR_COMPLETE = 1 /**< Q [..., m, m], R [..., m, n] */
} bn_qr_mode;

/**
 * @brief QR decomposition A = Q R with Q orthonormal columns and R upper
 *        triangular (LAPACK ?geqrf and ?orgqr; R's diagonal may be negative).
 * @param a input [..., m, n].
 * @param mode ::bn_qr_mode.
 * @param[out] q written on success.
 * @param[out] r written on success.
 */
BN_API bn_status bn_linalg_qr(const bn_tensor *a, bn_qr_mode mode, bn_tensor **q, bn_tensor **r);

/** @brief Which triangle of a symmetric matrix is used or produced. */
typedef enum bn_uplo {
    BN_LOWER = 0, /**< the lower triangle */
    BN_UPPER = 1  /**< the upper triangle */
} bn_uplo;

/**
 * @brief Cholesky factor of a symmetric positive definite matrix (LAPACK
 *        ?potrf): L with A = L Lᵀ (::BN_LOWER) or U with A = Uᵀ U
 *        (::BN_UPPER). Only the named triangle of @p a is read; the other
 *        triangle of the result is zero.
 * @param a input [..., n, n].
 * @param uplo ::bn_uplo.
 * @param[out] out written on success.
 * @return ::BN_ERR_SINGULAR naming the batch index and the order of the
 *         leading minor that is not positive definite.
 */
BN_API bn_status bn_linalg_cholesky(const bn_tensor *a, bn_uplo uplo, bn_tensor **out);

/**
 * @brief Eigenvalues and eigenvectors of a symmetric matrix (LAPACK
 *        ?syevd): A V = V diag(W), V orthogonal.
 * @param a input [..., n, n]; only the triangle @p uplo is read.
 * @param uplo ::bn_uplo.
 * @param[out] values W [..., n], ascending.
 * @param[out] vectors V [..., n, n], eigenvector j in column j; NULL to
 *        compute the values only.
 * @return ::BN_ERR_NO_CONVERGENCE when the iteration fails.
 */
BN_API bn_status bn_linalg_eigh(const bn_tensor *a, bn_uplo uplo, bn_tensor **values, bn_tensor **vectors);

/**
 * @brief Eigenvalues and right eigenvectors of a general real matrix
 *        (LAPACK ?geev), with complex results as real tensors whose last
 *        dimension of size 2 holds the real and imaginary parts.
 *
 * values[..., j, 0] + i values[..., j, 1] is eigenvalue j, in LAPACK's
 * order (complex conjugate pairs adjacent, positive imaginary part first).
 * vectors[..., r, j, 0] + i vectors[..., r, j, 1] is component r of the
 * eigenvector of eigenvalue j (column j, as for eigh), normalized to
 * Euclidean norm 1 with its largest component real.
 * @param a input [..., n, n].
 * @param[out] values [..., n, 2].
 * @param[out] vectors [..., n, n, 2], or NULL to compute the values only.
 * @return ::BN_ERR_NO_CONVERGENCE when the QR iteration fails.
 */
BN_API bn_status bn_linalg_eig(const bn_tensor *a, bn_tensor **values, bn_tensor **vectors);

/* ---- solvers and matrix functions ------------------------------------ */

/**
 * @brief Solve A X = B (LU with partial pivoting, LAPACK ?gesv).
 * @param a [..., n, n].
 * @param b [n] (one right-hand side; X is [..., n]) or [..., n, k] (batch
 *        dimensions broadcast with @p a's; X is [broadcast(...), n, k]).
 *        Same dtype as @p a.
 * @param[out] x written on success.
 * @return ::BN_ERR_SINGULAR when A is exactly singular (naming the batch
 *         index and LAPACK's zero pivot U(i,i)) or the solution overflows.
 */
BN_API bn_status bn_linalg_solve(const bn_tensor *a, const bn_tensor *b, bn_tensor **x);

/**
 * @brief Least-squares solution minimizing ‖A X - B‖₂, the minimum-norm one
 *        when A is rank-deficient (SVD-based, LAPACK ?gelsd).
 * @param a [..., m, n].
 * @param b [m] (X is [..., n]) or [..., m, k] (X is [broadcast(...), n, k]).
 * @param rcond singular values below rcond * s_max are treated as zero;
 *        negative = the default max(m, n) * eps of the working precision
 *        (numpy.linalg.lstsq's rcond=None).
 * @param[out] x written on success.
 * @return ::BN_ERR_NO_CONVERGENCE when the SVD fails.
 */
BN_API bn_status bn_linalg_lstsq(const bn_tensor *a, const bn_tensor *b, double rcond, bn_tensor **x);

/**
 * @brief Inverse of square matrices (LU, LAPACK ?gesv against the identity).
 * @param a [..., n, n].
 * @param[out] out written on success.
 * @return ::BN_ERR_SINGULAR when a matrix is exactly singular (naming the
 *         batch index and the zero pivot) or its inverse overflows.
 */
BN_API bn_status bn_linalg_inv(const bn_tensor *a, bn_tensor **out);

/**
 * @brief Determinant from an LU factorization (LAPACK ?getrf): the product
 *        of U's diagonal times the permutation's sign. 0 for a singular
 *        matrix; 1 for a 0x0 matrix. The product may overflow to ±inf
 *        (use bn_linalg_slogdet() for large matrices).
 * @param a [..., n, n].
 * @param[out] out [...] (0-d for a single matrix).
 */
BN_API bn_status bn_linalg_det(const bn_tensor *a, bn_tensor **out);

/**
 * @brief Sign and natural log of the absolute value of the determinant,
 *        det = sign * exp(logabsdet), without overflow. A singular matrix
 *        gives sign 0 and logabsdet -inf (as numpy.linalg.slogdet).
 * @param a [..., n, n].
 * @param[out] sign [...]: -1, 0 or 1.
 * @param[out] logabsdet [...].
 */
BN_API bn_status bn_linalg_slogdet(const bn_tensor *a, bn_tensor **sign, bn_tensor **logabsdet);

/**
 * @brief Numerical rank: the number of singular values above @p tol.
 * @param a [..., m, n].
 * @param tol absolute tolerance; negative = numpy.linalg.matrix_rank's
 *        default s_max * max(m, n) * eps (eps of the working precision).
 * @param[out] out i64 [...].
 */
BN_API bn_status bn_linalg_matrix_rank(const bn_tensor *a, double tol, bn_tensor **out);

/**
 * @brief Moore-Penrose pseudo-inverse through the SVD: V diag(1/s) Uᵀ over
 *        the singular values s > rcond * s_max.
 * @param a [..., m, n].
 * @param rcond relative cut-off; negative = max(m, n) * eps of the working
 *        precision (torch.linalg.pinv's default).
 * @param[out] out [..., n, m].
 */
BN_API bn_status bn_linalg_pinv(const bn_tensor *a, double rcond, bn_tensor **out);

/**
 * @brief 2-norm condition number s_max / s_min, s_min being the smallest
 *        of the min(m, n) singular values (so any shape is accepted, as
 *        numpy.linalg.cond). +inf for a singular matrix (s_min = 0).
 * @param a [..., m, n] with m, n >= 1.
 * @param[out] out [...].
 * @return ::BN_ERR_SHAPE for an empty matrix (m or n is 0).
 */
BN_API bn_status bn_linalg_cond(const bn_tensor *a, bn_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_LINALG_H */
