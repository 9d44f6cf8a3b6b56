/* The ops benchmark, shared by bench/bench_ops and `bitnet bench ops`:
 * GB/s of add, mul, gelu, softmax, rmsnorm and sum per size, thread count
 * and ISA (each ISA's kernel table called directly), with the ratios to the
 * scalar kernel and to memcpy measured in the same run, and the dispatch
 * overhead of bn_binary_into. */
#ifndef BITNET_BENCH_OPS_RUNNER_H
#define BITNET_BENCH_OPS_RUNNER_H

/* argv[0] is the program or command name; accepts the harness flags plus
 * --quick (1K and 1M only) and --max-n N. Returns the exit code. */
int bnb_ops_main(int argc, char **argv);

#endif
