/* The BitLinear benchmark, callable from bench_bitlinear's main and from
 * `bitnet bench bitlinear`. */
#ifndef BITNET_BENCH_BITLINEAR_RUNNER_H
#define BITNET_BENCH_BITLINEAR_RUNNER_H

/* argv[0] is the program name; takes the common harness flags
 * (--json, --reps, --warmup, --compare, --filter) and
 *   --threads LIST   thread counts, default 1,2
 *   --m LIST         tokens, default 1,128
 *   --isa LIST       kernel sets (scalar, avx2, avx512vnni, neon, neon-dotprod);
 *                    default: every one this CPU runs (scalar only at m = 1)
 *   --shapes LIST    NxK shapes, default the BitNet 2B-4T and bitnet.cpp ones
 *                    plus 16384x16384 (64 MiB packed, above the LLC) at m = 1
 *   --no-blas        skip the OpenBLAS f32 baseline
 * Returns 0 on success. */
int bn_bench_bitlinear_main(int argc, char **argv);

#endif
