/* avx2 RMSNorm rows: the shared body (cpu/kernels/norm_body.h) over avx2's
 * vector layer; results equal the scalar kernel's bit for bit. */
#include "cpu/kernels/avx2/vmath.h"
#define BNV_ISA avx2
#include "cpu/kernels/norm_body.h"
