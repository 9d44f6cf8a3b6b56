# `docs` target: the HTML API reference of include/bitnet/ in
# <build>/docs/html, built with Doxygen when it is found. Warnings (an
# undocumented public symbol among them) make the target fail; they are also
# written to <build>/docs/doxygen-warnings.log, which .ci/check-docs lists.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(BITNET_DOCS_OUTPUT_DIR ${PROJECT_BINARY_DIR}/docs)
  set(BITNET_DOCS_WARN_LOG ${BITNET_DOCS_OUTPUT_DIR}/doxygen-warnings.log)
  # Also warn when a documented function leaves some parameters out.
  set(BITNET_DOCS_WARN_INCOMPLETE YES)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${BITNET_DOCS_OUTPUT_DIR}/Doxyfile @ONLY)
  file(GLOB BITNET_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/bitnet/*.h)
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BITNET_DOCS_OUTPUT_DIR}
    COMMAND ${CMAKE_COMMAND} -E remove -f ${BITNET_DOCS_WARN_LOG}
    COMMAND ${DOXYGEN_EXECUTABLE} ${BITNET_DOCS_OUTPUT_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DEPENDS ${BITNET_PUBLIC_HEADERS} ${PROJECT_SOURCE_DIR}/docs/Doxyfile.in
    COMMENT "API reference (Doxygen) in ${BITNET_DOCS_OUTPUT_DIR}/html"
    VERBATIM)
else()
  message(STATUS "Doxygen not found: no 'docs' target")
endif()
