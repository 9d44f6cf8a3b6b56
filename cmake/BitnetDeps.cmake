# Third-party libraries from Debian, found through pkg-config.
#   PCRE2 (8-bit, UTF + UCP)  - tokenizer split regexes
#   jansson                   - tokenizer.json, config.json, safetensors headers
set(BITNET_DEP_TARGETS "")
set(BITNET_PC_REQUIRES_PRIVATE "")
if(BITNET_TOKENIZER)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
  pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
  list(APPEND BITNET_DEP_TARGETS PkgConfig::PCRE2 PkgConfig::JANSSON)
  # For bitnet.pc: the pkg-config modules static users must also link.
  set(BITNET_PC_REQUIRES_PRIVATE "libpcre2-8 jansson")
endif()
