# Mixed-precision conversion benchmark (owned with src/precision):
#   bench_precision [--json] [--quick] [--reps N] [--filter S]
# It times the kernel table of each ISA, hence the src/ include directory.
bitnet_add_bench(bench_precision ${CMAKE_CURRENT_LIST_DIR}/bench_precision.c)
target_include_directories(bench_precision PRIVATE ${PROJECT_SOURCE_DIR}/src)
