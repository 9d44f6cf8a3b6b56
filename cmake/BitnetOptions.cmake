# Compiler flags, sanitizers and per-ISA kernel flags.

set(BITNET_ARCH_X86 OFF)
set(BITNET_ARCH_ARM64 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(BITNET_ARCH_X86 ON)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(BITNET_ARCH_ARM64 ON)
endif()

# Host-compiler flags apply to C only: nvcc takes its own (CUDA sources
# live in src/cuda/*.cu).
if(BITNET_NATIVE)
  add_compile_options($<$<COMPILE_LANGUAGE:C>:-march=native>)
endif()

if(BITNET_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:C>:-fsanitize=${BITNET_SANITIZE}>
    $<$<COMPILE_LANGUAGE:C>:-fno-omit-frame-pointer> $<$<COMPILE_LANGUAGE:C>:-fno-sanitize-recover=all>)
  add_link_options(-fsanitize=${BITNET_SANITIZE})
endif()

function(bitnet_target_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter>)
  if(BITNET_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
  endif()
endfunction()

# Kernels live in src/cpu/kernels/<isa>/ and are compiled with that ISA's
# flags only; the run-time dispatcher decides which ones are called.
function(bitnet_apply_isa_flags list_var)
  set(kept "")
  foreach(f ${${list_var}})
    if(f MATCHES "/kernels/(sse41|avx2|avx512)/")
      if(NOT BITNET_ARCH_X86)
        continue()
      endif()
      if(CMAKE_MATCH_1 STREQUAL "sse41")
        set_source_files_properties(${f} PROPERTIES COMPILE_OPTIONS "-msse4.1")
      elseif(CMAKE_MATCH_1 STREQUAL "avx2")
        set_source_files_properties(${f} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
      else()
        set_source_files_properties(${f} PROPERTIES COMPILE_OPTIONS
          "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx512bf16;-mavx2;-mfma;-mf16c")
      endif()
    elseif(f MATCHES "/kernels/neon/")
      if(NOT BITNET_ARCH_ARM64)
        continue()
      endif()
      set_source_files_properties(${f} PROPERTIES COMPILE_OPTIONS "-march=armv8.2-a+dotprod+fp16")
    endif()
    list(APPEND kept ${f})
  endforeach()
  set(${list_var} ${kept} PARENT_SCOPE)
endfunction()

# CUDA: the backend (src/cuda/) is built when nvcc is found (AUTO) or
# asked for (ON). Code for sm_90 (H100) plus compute_70 PTX, which the
# driver compiles for any other GPU of compute capability 7.5 or newer
# (CUDA 13 dropped Volta, 7.0);
# override with -DCMAKE_CUDA_ARCHITECTURES=...
set(BITNET_CUDA_ENABLED OFF)
if(BITNET_CUDA STREQUAL "AUTO")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(BITNET_CUDA_ENABLED ON)
  endif()
elseif(BITNET_CUDA)
  set(BITNET_CUDA_ENABLED ON)
endif()
if(BITNET_CUDA_ENABLED)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "75-virtual;90-real")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(BITNET_CUDA_ENABLED_01 1)
else()
  set(BITNET_CUDA_ENABLED_01 0)
endif()
