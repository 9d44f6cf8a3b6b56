/* `bitnet bench`: the benchmarks built into the command (bench ops). */
#ifndef BITNET_TOOLS_CMD_BENCH_H
#define BITNET_TOOLS_CMD_BENCH_H

#define BN_CLI_BENCH_SUMMARY "Run a built-in benchmark (ops, bitlinear, tokenizer)."
#define BN_CLI_BENCH_USAGE                                                                          \
    "bitnet bench ops [--json] [--quick] [--max-n N] [--reps N] [--filter S]\n"                     \
    "       bitnet bench bitlinear [--json] [--threads LIST] [--m LIST] [--isa LIST] [--shapes NxK,...] [--no-blas]\n" \
    "       bitnet bench tokenizer -t TOKENIZER.json -f TEXT [--json] [--threads N]"
#define BN_CLI_BENCH_DETAILS                                                                        \
    "bitlinear: ternary x int8 BitLinear kernels (GEMV and GEMM) on the BitNet 2B-4T shapes and\n"   \
    "bitnet.cpp's, per ISA and thread count, beside OpenBLAS f32 and the memory-bandwidth floor\n"   \
    "measured in the same run (keys m, n, k, threads, isa, median_us, blas_median_us, floor_us).\n"  \
    "tokenizer: encode MB/s of a text file, whole, line by line and as a batch on 1 and N threads.\n" \
    "ops: GB/s of add, mul and gelu for every ISA this CPU runs (kernel tables called directly),\n" \
    "softmax, rmsnorm and sum at the process's ISA, at 1K, 1M and 64M f32 elements on 1 and 2\n"    \
    "threads, with the ratio to the scalar kernel and to memcpy measured in the same run; then\n"   \
    "the dispatch overhead of bn_binary_into(BN_OP_ADD) on 1 and 1K elements (operations/s).\n\n" \
    "options:\n"                                                                                     \
    "  --json        one JSON object per line (op, n, threads, isa, gbps, scalar_gbps, copy_gbps)\n" \
    "  --quick       1K and 1M elements only\n"                                                      \
    "  --max-n N     skip sizes above N elements\n"                                                  \
    "  --reps N, --warmup N, --filter S, --compare FILE: as the bench/ programs\n"                   \
    "  -h, --help    this text\n"                                                                    \
    "\nenvironment: BITNET_ISA (the ISA of the public-API figures)\n"

/* argv[0] is "bench". Returns the exit status. */
int bn_cli_cmd_bench(int argc, char **argv);

#endif
