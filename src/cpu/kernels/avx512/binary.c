/* f32 binary element-wise kernels for avx512: the shared body over avx512's vector layer. */
#include "cpu/kernels/avx512/vmath.h"
#define BNV_ISA avx512
#include "cpu/kernels/ew_binary_body.h"
