/* f32 binary element-wise kernels for neon: the shared body over neon's vector layer. */
#include "cpu/kernels/neon/vmath.h"
#define BNV_ISA neon
#include "cpu/kernels/ew_binary_body.h"
