/**
 * @file status.h
 * @brief Status codes and the thread-local error message.
 *
 * Every fallible bitnet function returns a ::bn_status. On failure it also
 * sets a thread-local message that names the function and the values
 * involved, for example
 * "bn_tensor_reshape: cannot view [2,3] (strides [1,2]) as [6]: copy it first".
 * Outputs are written only on success.
 */
#ifndef BITNET_STATUS_H
#define BITNET_STATUS_H

#include "bitnet/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Result of a fallible call. ::BN_OK is zero; every error is non-zero. */
typedef enum bn_status {
    BN_OK = 0,                    /**< Success. */
    BN_ERR_INVALID_ARGUMENT = 1,  /**< A NULL pointer, a bad enum value or an argument out of its domain. */
    BN_ERR_SHAPE = 2,             /**< Shapes or dimensions do not fit together. */
    BN_ERR_DTYPE = 3,             /**< A dtype that the operation does not accept. */
    BN_ERR_OUT_OF_MEMORY = 4,     /**< An allocation failed or would pass the pool's hard limit. */
    BN_ERR_OVERFLOW = 5,          /**< A size computation (elements times bytes) overflows. */
    BN_ERR_OUT_OF_RANGE = 6,      /**< An index or id outside its valid range. */
    BN_ERR_NOT_SUPPORTED = 7,     /**< Valid request that this build or dtype does not support. */
    BN_ERR_DEVICE_UNAVAILABLE = 8,/**< The requested device is not built in or not present. */
    BN_ERR_IO = 9,                /**< Reading or writing a file failed. */
    BN_ERR_FORMAT = 10,           /**< Malformed or truncated input data. */
    BN_ERR_SINGULAR = 11,         /**< A singular or not positive definite matrix. */
    BN_ERR_NO_CONVERGENCE = 12,   /**< An iterative algorithm did not converge. */
    BN_ERR_INTERNAL = 13          /**< A bug in bitnet: please report it with the message. */
} bn_status;

/**
 * @brief Short, constant description of a status code ("invalid argument").
 * @param status any value; unknown values give "unknown status".
 * @return a static string; never NULL.
 */
BN_API const char *bn_status_str(bn_status status);

/**
 * @brief The calling thread's last error message.
 *
 * The message stays until the next failing call on this thread or
 * bn_clear_error(). Successful calls do not clear it.
 * @return a thread-local string owned by bitnet (empty when none); valid
 *         until the next bitnet call on this thread.
 */
BN_API const char *bn_last_error(void);

/** @brief The status code that went with bn_last_error() (::BN_OK when none). */
BN_API bn_status bn_last_status(void);

/** @brief Clear the calling thread's last error message and status. */
BN_API void bn_clear_error(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_STATUS_H */
