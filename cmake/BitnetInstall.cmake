# `cmake --install`: headers, both libraries, the `bitnet` command,
# bitnet.pc (pkg-config) and the CMake package (find_package(bitnet)).
#
#   include/bitnet/*.h
#   lib/libbitnet.so.X.Y.Z (+ soname links), lib/libbitnet.a
#   bin/bitnet
#   lib/pkgconfig/bitnet.pc
#   lib/cmake/bitnet/bitnet{Config,ConfigVersion,Targets*}.cmake
set(BITNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bitnet)

# Exported names: bitnet::bitnet and bitnet::bitnet_static, the same as the
# ALIAS targets of the build tree.
set_target_properties(bitnet PROPERTIES EXPORT_NAME bitnet)
set_target_properties(bitnet_static PROPERTIES EXPORT_NAME bitnet_static)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/bitnet
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev
  FILES_MATCHING PATTERN "*.h")

install(TARGETS bitnet bitnet_static
  EXPORT bitnetTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# The command links the static library, so it needs no rpath.
install(TARGETS bitnet_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

install(EXPORT bitnetTargets
  NAMESPACE bitnet::
  DESTINATION ${BITNET_CMAKE_DIR}
  COMPONENT dev)

# pkg-config modules the exported targets reference as PkgConfig::<PREFIX>,
# as "PREFIX=module" pairs, so the package config can recreate them.
set(BITNET_CONFIG_PKG_DEPS "")
foreach(dep IN LISTS BITNET_DEP_TARGETS)
  if(dep MATCHES "^PkgConfig::(.+)$")
    set(prefix ${CMAKE_MATCH_1})
    if(NOT ${prefix}_MODULE_NAME)
      message(FATAL_ERROR "BitnetInstall: no pkg-config module recorded for ${dep}")
    endif()
    list(APPEND BITNET_CONFIG_PKG_DEPS "${prefix}=${${prefix}_MODULE_NAME}")
  elseif(TARGET ${dep})
    message(FATAL_ERROR "BitnetInstall: ${dep} is linked publicly but the package config cannot find it; "
                        "add a find_dependency for it in cmake/bitnetConfig.cmake.in")
  endif()
endforeach()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bitnetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bitnetConfig.cmake
  INSTALL_DESTINATION ${BITNET_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bitnetConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bitnetConfig.cmake ${PROJECT_BINARY_DIR}/bitnetConfigVersion.cmake
  DESTINATION ${BITNET_CMAKE_DIR}
  COMPONENT dev)

# bitnet.pc. Its prefix is the one given at install time (`cmake --install
# build --prefix DIR` included), so the file is written when installing.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BITNET_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(BITNET_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(BITNET_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(BITNET_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
if(NOT DEFINED BITNET_PC_REQUIRES_PRIVATE)
  set(BITNET_PC_REQUIRES_PRIVATE "")
endif()
set(BITNET_PC_PREFIX "@BITNET_PC_PREFIX@") # filled in at install time
configure_file(${PROJECT_SOURCE_DIR}/cmake/bitnet.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/bitnet.pc.in @ONLY)
install(CODE "
  set(BITNET_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/pkgconfig/bitnet.pc.in\" \"${PROJECT_BINARY_DIR}/pkgconfig/bitnet.pc\" @ONLY)
" COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/bitnet.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
