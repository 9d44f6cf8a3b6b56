/* avx512 RMSNorm rows: the shared body (cpu/kernels/norm_body.h) over avx512's
 * vector layer; results equal the scalar kernel's bit for bit. */
#include "cpu/kernels/avx512/vmath.h"
#define BNV_ISA avx512
#include "cpu/kernels/norm_body.h"
