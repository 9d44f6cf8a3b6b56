# bench_bitlinear: BitLinear kernels against OpenBLAS f32 sgemv/sgemm (when
# pkg-config finds openblas) and the measured memory-bandwidth floor.
# bitlinear_runner.c is a library so that `bitnet bench bitlinear` can call
# bn_bench_bitlinear_main() too.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(OPENBLAS IMPORTED_TARGET openblas)
endif()
add_library(bitnet_bench_bitlinear STATIC ${CMAKE_CURRENT_SOURCE_DIR}/bitlinear_runner.c)
target_include_directories(bitnet_bench_bitlinear PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(bitnet_bench_bitlinear PUBLIC bitnet_static bitnet_bench_harness)
target_compile_definitions(bitnet_bench_bitlinear PRIVATE _GNU_SOURCE)
if(OPENBLAS_FOUND)
  target_link_libraries(bitnet_bench_bitlinear PUBLIC PkgConfig::OPENBLAS)
  target_compile_definitions(bitnet_bench_bitlinear PRIVATE BNB_HAVE_OPENBLAS=1)
endif()
if(BITNET_CUDA_ENABLED)
  # --device cuda: CUDA graphs and events from the runtime; cuBLAS by dlopen
  target_sources(bitnet_bench_bitlinear PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/bitlinear_cuda.c)
  target_include_directories(bitnet_bench_bitlinear PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_definitions(bitnet_bench_bitlinear PRIVATE BNB_HAVE_CUDA=1)
endif()
bitnet_target_warnings(bitnet_bench_bitlinear)
bitnet_add_bench(bench_bitlinear ${CMAKE_CURRENT_SOURCE_DIR}/bench_bitlinear.c LIBS bitnet_bench_bitlinear)
