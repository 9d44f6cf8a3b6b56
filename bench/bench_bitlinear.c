/* BitLinear benchmark program: see bitlinear_runner.h for the flags and
 * docs/bitlinear.md for the figures. */
#include "bitlinear_runner.h"

int main(int argc, char **argv) { return bn_bench_bitlinear_main(argc, argv); }
