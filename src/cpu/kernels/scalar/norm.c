/* scalar RMSNorm rows: the shared body (cpu/kernels/norm_body.h) over scalar's
 * vector layer; results equal the scalar kernel's bit for bit. */
#include "cpu/kernels/scalar/vmath.h"
#define BNV_ISA scalar
#include "cpu/kernels/norm_body.h"
