/* neon RMSNorm rows: the shared body (cpu/kernels/norm_body.h) over neon's
 * vector layer; results equal the scalar kernel's bit for bit. */
#include "cpu/kernels/neon/vmath.h"
#define BNV_ISA neon
#include "cpu/kernels/norm_body.h"
