# bench_pool: the memory pool against glibc, jemalloc and mimalloc.
#
# Neither jemalloc nor mimalloc may simply be linked: both Debian libraries
# export plain malloc/free, which would replace malloc for the whole process
# (glibc's figures would then be theirs).
# - mimalloc is dlopen()ed with RTLD_LOCAL | RTLD_DEEPBIND and called
#   through mi_malloc/mi_free.
# - jemalloc cannot be dlopen()ed (initial-exec TLS: "cannot allocate memory
#   in static TLS block"), so its static PIC archive goes into a small shared
#   object that hides all of jemalloc's symbols (--exclude-libs,ALL) and
#   exports only wrappers of mallocx/dallocx/mallctl (pool_jemalloc_shim.c).
# A library that is not found is left out of the run.
find_library(BITNET_MIMALLOC_LIB NAMES libmimalloc.so.2 mimalloc)
find_library(BITNET_JEMALLOC_PIC NAMES libjemalloc_pic.a)
bitnet_add_bench(bench_pool bench_pool.c LIBS ${CMAKE_DL_LIBS} Threads::Threads)
if(BITNET_MIMALLOC_LIB)
  target_compile_definitions(bench_pool PRIVATE BNB_MIMALLOC_PATH="${BITNET_MIMALLOC_LIB}")
endif()
if(BITNET_JEMALLOC_PIC AND NOT BITNET_SANITIZE)
  add_library(bnb_jemalloc_shim SHARED pool_jemalloc_shim.c)
  set_target_properties(bnb_jemalloc_shim PROPERTIES C_VISIBILITY_PRESET hidden)
  target_link_libraries(bnb_jemalloc_shim PRIVATE ${BITNET_JEMALLOC_PIC} Threads::Threads ${CMAKE_DL_LIBS} m
    -Wl,--exclude-libs,ALL)
  target_link_libraries(bench_pool PRIVATE bnb_jemalloc_shim)
  target_compile_definitions(bench_pool PRIVATE BNB_JEMALLOC_SHIM=1)
endif()
