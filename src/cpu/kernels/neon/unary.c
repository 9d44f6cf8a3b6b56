/* f32 unary element-wise kernels for neon: the shared body over neon's vector layer. */
#include "cpu/kernels/neon/vmath.h"
#define BNV_ISA neon
#include "cpu/kernels/ew_unary_body.h"
