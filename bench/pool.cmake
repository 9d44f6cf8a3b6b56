# bench_pool: the memory pool against glibc, jemalloc and mimalloc.
#
# jemalloc and mimalloc are NOT linked: both Debian libraries export plain
# malloc/free, so linking either would replace malloc for the whole process
# (glibc's figures would then be theirs). bench_pool dlopen()s them with
# RTLD_LOCAL | RTLD_DEEPBIND instead and calls their own entry points
# (jemalloc mallocx/dallocx, mimalloc mi_malloc/mi_free); the paths found
# here are passed in, and a library that is missing is skipped at run time.
find_library(BITNET_JEMALLOC_LIB NAMES libjemalloc.so.2 jemalloc)
find_library(BITNET_MIMALLOC_LIB NAMES libmimalloc.so.2 mimalloc)
bitnet_add_bench(bench_pool bench_pool.c LIBS ${CMAKE_DL_LIBS} Threads::Threads)
if(BITNET_JEMALLOC_LIB)
  target_compile_definitions(bench_pool PRIVATE BNB_JEMALLOC_PATH="${BITNET_JEMALLOC_LIB}")
endif()
if(BITNET_MIMALLOC_LIB)
  target_compile_definitions(bench_pool PRIVATE BNB_MIMALLOC_PATH="${BITNET_MIMALLOC_LIB}")
endif()
