/* The LAPACK kernels in double precision (f64). */
#include <cblas.h>
#include <float.h>

#define REAL double
#define SFX f64
#define LP d
#define WORK BN_DTYPE_F64
#define EPS DBL_EPSILON
#define GEMM cblas_dgemm
#include "linalg/lapack_ops.h"
