/* avx2 softmax and log-softmax rows: the shared body over avx2's vector layer. */
#include "cpu/kernels/avx2/vmath.h"
#define BNV_ISA avx2
#include "cpu/kernels/softmax_body.h"
