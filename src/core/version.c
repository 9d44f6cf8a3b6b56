/* Version and build information. */
#include "bitnet/version.h"
#include "build_info.h"

const char *bn_version(void) { return BITNET_BUILD_VERSION; }

const char *bn_build_info(void) { return BITNET_BUILD_INFO; }
