/* f32 binary element-wise kernels for sse41: the shared body over sse41's vector layer. */
#include "cpu/kernels/sse41/vmath.h"
#define BNV_ISA sse41
#include "cpu/kernels/ew_binary_body.h"
