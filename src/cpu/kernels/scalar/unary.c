/* f32 unary element-wise kernels for scalar: the shared body over scalar's vector layer. */
#include "cpu/kernels/scalar/vmath.h"
#define BNV_ISA scalar
#include "cpu/kernels/ew_unary_body.h"
