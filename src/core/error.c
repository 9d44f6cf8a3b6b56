/* Status strings and the thread-local error message. */
#include "core/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BNI_ERROR_CAPACITY 1024

static _Thread_local char tl_message[BNI_ERROR_CAPACITY];
static _Thread_local bn_status tl_status = BN_OK;

const char *bn_status_str(bn_status status) {
    switch (status) {
    case BN_OK: return "ok";
    case BN_ERR_INVALID_ARGUMENT: return "invalid argument";
    case BN_ERR_SHAPE: return "shape mismatch";
    case BN_ERR_DTYPE: return "unsupported dtype";
    case BN_ERR_OUT_OF_MEMORY: return "out of memory";
    case BN_ERR_OVERFLOW: return "size overflow";
    case BN_ERR_OUT_OF_RANGE: return "out of range";
    case BN_ERR_NOT_SUPPORTED: return "not supported";
    case BN_ERR_DEVICE_UNAVAILABLE: return "device unavailable";
    case BN_ERR_IO: return "i/o error";
    case BN_ERR_FORMAT: return "malformed input";
    case BN_ERR_SINGULAR: return "singular matrix";
    case BN_ERR_NO_CONVERGENCE: return "no convergence";
    case BN_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *bn_last_error(void) { return tl_message; }

bn_status bn_last_status(void) { return tl_status; }

void bn_clear_error(void) {
    tl_message[0] = '\0';
    tl_status = BN_OK;
}

bn_status bni_error(bn_status status, const char *fmt, ...) {
    /* Format into a scratch buffer first: fmt's arguments may point into
     * tl_message itself (a caller wrapping the previous error). */
    char scratch[BNI_ERROR_CAPACITY];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    memcpy(tl_message, scratch, sizeof scratch);
    tl_status = status;
    return status;
}

void bni_format_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    if (size == 0) return;
    size_t used = 0;
    buf[0] = '\0';
    int n = snprintf(buf, size, "[");
    used = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < ndim && used < size; i++) {
        n = snprintf(buf + used, size - used, "%s%" PRId64, i ? "," : "", shape ? shape[i] : 0);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    if (used >= size && size > 4) memcpy(buf + size - 4, "...", 4);
}
