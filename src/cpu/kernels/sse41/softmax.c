/* sse41 softmax and log-softmax rows: the shared body over sse41's vector layer. */
#include "cpu/kernels/sse41/vmath.h"
#define BNV_ISA sse41
#include "cpu/kernels/softmax_body.h"
