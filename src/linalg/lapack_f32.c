/* The LAPACK kernels in single precision (f32, and f16/bf16 computed in f32). */
#include <cblas.h>
#include <float.h>

#define REAL float
#define SFX f32
#define LP s
#define WORK BN_DTYPE_F32
#define EPS FLT_EPSILON
#define GEMM cblas_sgemm
#include "linalg/lapack_ops.h"
