# BITNET_FUZZ=ON: everything (the library too) is compiled with libFuzzer's
# coverage instrumentation plus ASan and UBSan; the harnesses in fuzz/ link
# libFuzzer's driver. clang only (libFuzzer ships with it).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "BITNET_FUZZ=ON needs clang (configure with CC=clang): libFuzzer is part of clang")
endif()
add_compile_options($<$<COMPILE_LANGUAGE:C>:-fsanitize=fuzzer-no-link,address,undefined>
  $<$<COMPILE_LANGUAGE:C>:-fno-omit-frame-pointer> $<$<COMPILE_LANGUAGE:C>:-fno-sanitize-recover=all>
  $<$<COMPILE_LANGUAGE:C>:-g>)
add_link_options(-fsanitize=address,undefined)
