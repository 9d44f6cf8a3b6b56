# The linear-algebra benchmark (owned with src/linalg): bn_matmul_into and
# every LAPACK-backed function beside direct CBLAS/LAPACKE calls on 1 and 2
# threads. See docs/linalg.md for the figures and the command.
#   bench_linalg [--max-n N] [--threads 1,2] [--lapack-n LIST] [--dtypes f32,f64] [--lapack-only] [--json]
# Included from bench/CMakeLists.txt.
if(BITNET_LINALG)
  bitnet_add_bench(bench_linalg ${CMAKE_CURRENT_LIST_DIR}/bench_linalg.c LIBS PkgConfig::OPENBLAS PkgConfig::LAPACKE)
endif()
