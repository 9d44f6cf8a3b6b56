/* neon softmax and log-softmax rows: the shared body over neon's vector layer. */
#include "cpu/kernels/neon/vmath.h"
#define BNV_ISA neon
#include "cpu/kernels/softmax_body.h"
