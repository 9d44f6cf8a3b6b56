/* bench_ops: add, mul, gelu, softmax, rmsnorm and sum GB/s per ISA and
 * thread count, vs scalar and memcpy, and bn_add_into dispatch overhead.
 * See bench/ops_runner.c.
 *   bench_ops [--json] [--quick] [--max-n N] [harness flags] */
#include "ops_runner.h"

int main(int argc, char **argv) { return bnb_ops_main(argc, argv); }
