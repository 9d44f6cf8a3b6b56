/**
 * @file export.h
 * @brief Symbol visibility for the public API.
 *
 * The library is compiled with hidden visibility; only functions marked
 * ::BN_API are exported from the shared library.
 */
#ifndef BITNET_EXPORT_H
#define BITNET_EXPORT_H

/**
 * @def BN_API
 * @brief Marks a function of the public API: exported from the shared
 *        library (default visibility), empty for other compilers.
 */
#if defined(_WIN32) && defined(BITNET_SHARED_BUILD)
#define BN_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define BN_API __attribute__((visibility("default")))
#else
#define BN_API
#endif

#endif /* BITNET_EXPORT_H */
