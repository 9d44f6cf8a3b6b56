/* f32 binary element-wise kernels for avx2: the shared body over avx2's vector layer. */
#include "cpu/kernels/avx2/vmath.h"
#define BNV_ISA avx2
#include "cpu/kernels/ew_binary_body.h"
