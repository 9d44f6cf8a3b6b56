# Cross-compiling for 64-bit ARM Linux with Debian's gcc-aarch64-linux-gnu;
# ctest runs the test programs under qemu-user (package qemu-user), with the
# cross toolchain's sysroot for the dynamic loader and libc.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DBITNET_TOKENIZER=OFF -DBITNET_BUILD_BENCH=OFF -DBITNET_BUILD_EXAMPLES=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(BITNET_CROSS_TRIPLE aarch64-linux-gnu CACHE STRING "Cross toolchain prefix")
set(CMAKE_C_COMPILER ${BITNET_CROSS_TRIPLE}-gcc)
set(BITNET_CROSS_SYSROOT /usr/${BITNET_CROSS_TRIPLE} CACHE PATH "Target libraries for qemu's -L")

set(CMAKE_FIND_ROOT_PATH ${BITNET_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-aarch64;-L;${BITNET_CROSS_SYSROOT}")
