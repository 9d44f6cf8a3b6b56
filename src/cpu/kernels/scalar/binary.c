/* f32 binary element-wise kernels for scalar: the shared body over scalar's vector layer. */
#include "cpu/kernels/scalar/vmath.h"
#define BNV_ISA scalar
#include "cpu/kernels/ew_binary_body.h"
