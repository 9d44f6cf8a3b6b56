/* Internal: setting the thread-local error message. */
#ifndef BITNET_CORE_ERROR_H
#define BITNET_CORE_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/status.h"

/* Record status and a printf-style message for this thread; returns status so
 * callers can write `return bni_error(BN_ERR_SHAPE, "bn_x: ...", ...);`. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
bn_status bni_error(bn_status status, const char *fmt, ...);

/* Format a shape as "[2,3,4]" into buf (NUL-terminated; truncated with "..."). */
void bni_format_shape(char *buf, size_t size, int ndim, const int64_t *shape);

/* Shorthand for NULL checks on arguments. */
#define BNI_CHECK_NULL(fn, p)                                                         \
    do {                                                                              \
        if ((p) == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, fn ": " #p " is NULL"); \
    } while (0)

#endif
