/* sse41 RMSNorm rows: the shared body (cpu/kernels/norm_body.h) over sse41's
 * vector layer; results equal the scalar kernel's bit for bit. */
#include "cpu/kernels/sse41/vmath.h"
#define BNV_ISA sse41
#include "cpu/kernels/norm_body.h"
