/**
 * @file version.h
 * @brief Library version and the options it was built with.
 */
#ifndef BITNET_VERSION_H
#define BITNET_VERSION_H

#include "bitnet/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Major version of the headers. */
#define BITNET_VERSION_MAJOR 0
/** @brief Minor version of the headers. */
#define BITNET_VERSION_MINOR 1
/** @brief Patch version of the headers. */
#define BITNET_VERSION_PATCH 0

/** @brief Version of the library linked in, "MAJOR.MINOR.PATCH". */
BN_API const char *bn_version(void);

/**
 * @brief The options the library was built with, one "name=value" per
 *        line (compiler, build type, BITNET_CUDA, BITNET_NATIVE,
 *        BITNET_SANITIZE, BLAS).
 */
BN_API const char *bn_build_info(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_VERSION_H */
