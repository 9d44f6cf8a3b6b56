# The ops benchmark (add, mul, gelu, softmax, rmsnorm, sum per ISA):
#   bench_ops [--json] [--quick] [--max-n N]
# The runner (ops_runner.c) is shared with `bitnet bench ops`; it reaches
# the internal kernel tables, hence the src/ include directory.
bitnet_add_bench(bench_ops ${CMAKE_CURRENT_LIST_DIR}/bench_ops.c)
target_sources(bench_ops PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ops_runner.c)
target_include_directories(bench_ops PRIVATE ${PROJECT_SOURCE_DIR}/src)
