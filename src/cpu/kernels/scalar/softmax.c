/* Reference softmax and log-softmax rows: the shared body
 * (cpu/kernels/softmax_body.h) over the scalar vector layer, whose exp is
 * the portable reference of vmath_impl.h. */
#include "cpu/kernels/scalar/vmath.h"
#define BNV_ISA scalar
#include "cpu/kernels/softmax_body.h"
