/* avx512 softmax and log-softmax rows: the shared body over avx512's vector layer. */
#include "cpu/kernels/avx512/vmath.h"
#define BNV_ISA avx512
#include "cpu/kernels/softmax_body.h"
