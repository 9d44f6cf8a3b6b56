/**
 * @file context.h
 * @brief The context: device, thread pool, memory pool and random numbers.
 *
 * A ::bn_ctx bundles what operations need: the device they run on, a
 * persistent pool of worker threads (no thread is created per call), the
 * memory pool tensors live in, and a counter-based random number generator
 * (Philox4x32-10) whose output does not depend on the number of threads.
 *
 * A context must outlive every tensor created with it. One context may be
 * used from several threads, except that calls that run work on its thread
 * pool (bn_ctx_parallel_for() and the operations built on it) are serialized
 * internally.
 */
#ifndef BITNET_CONTEXT_H
#define BITNET_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/device.h"
#include "bitnet/export.h"
#include "bitnet/memory.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A context. Opaque; create with bn_ctx_new(). */
typedef struct bn_ctx bn_ctx;

/** @brief Context settings. Start from bn_ctx_options_default(). */
typedef struct bn_ctx_options {
    int auto_device;        /**< Non-zero (default): pick the device with bn_device_auto(); zero: use @ref device. */
    bn_device device;       /**< The device, when auto_device is zero. */
    int num_threads;        /**< Worker threads including the caller; 0 (default) = `BITNET_NUM_THREADS`, else the online CPUs. */
    uint64_t seed;          /**< Seed of the random number generator; default 0. */
    bn_pool_config pool;    /**< Settings of the context's memory pool. */
} bn_ctx_options;

/** @brief Fill @p options with the defaults. */
BN_API void bn_ctx_options_default(bn_ctx_options *options);

/**
 * @brief Create a context.
 * @param options settings, or NULL for the defaults.
 * @param[out] ctx written on success; free with bn_ctx_free().
 * @return ::BN_ERR_DEVICE_UNAVAILABLE when the requested device cannot be
 *         used; ::BN_ERR_INVALID_ARGUMENT for a bad thread count or a
 *         `BITNET_NUM_THREADS` that is not a positive integer;
 *         ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_ctx_new(const bn_ctx_options *options, bn_ctx **ctx);

/** @brief Stop the worker threads and destroy the context and its pool. NULL is ignored. */
BN_API void bn_ctx_free(bn_ctx *ctx);

/** @brief The context's device. */
BN_API bn_device bn_ctx_device(const bn_ctx *ctx);

/** @brief Number of threads work is split across (the caller included). */
BN_API int bn_ctx_num_threads(const bn_ctx *ctx);

/** @brief The context's memory pool (owned by the context). */
BN_API bn_pool *bn_ctx_pool(bn_ctx *ctx);

/**
 * @brief Work function for bn_ctx_parallel_for(): process items
 *        [@p begin, @p end) as worker @p thread (0 = the caller).
 */
typedef void (*bn_range_fn)(void *arg, size_t begin, size_t end, int thread);

/**
 * @brief Split [0, @p n) into contiguous chunks of at least @p grain items
 *        and run @p fn on them across the context's threads; returns when
 *        all chunks are done. With n <= grain or one thread, runs @p fn
 *        once on the calling thread. Chunk boundaries depend only on n,
 *        grain and the thread count.
 * @param ctx the context.
 * @param n number of items.
 * @param grain smallest chunk worth a thread (0 is taken as 1).
 * @param fn work function.
 * @param arg passed through to @p fn.
 */
BN_API bn_status bn_ctx_parallel_for(bn_ctx *ctx, size_t n, size_t grain, bn_range_fn fn, void *arg);

/**
 * @brief Reset the random number generator to @p seed, counter zero.
 */
BN_API void bn_ctx_manual_seed(bn_ctx *ctx, uint64_t seed);

/** @brief The seed the generator was last set to. */
BN_API uint64_t bn_ctx_seed(const bn_ctx *ctx);

/**
 * @brief Reserve @p count consecutive 128-bit Philox counter values and
 *        return the first. Kernels that draw random numbers for element i
 *        use counter first + i/4 (four 32-bit words per counter), so
 *        results do not depend on how the work is split across threads.
 * @param ctx the context.
 * @param count number of counter values to reserve.
 * @return the first reserved counter value.
 */
BN_API uint64_t bn_ctx_rng_reserve(bn_ctx *ctx, uint64_t count);

/**
 * @brief The Philox4x32-10 block function: four 32-bit random words for
 *        counter @p ctr (a 128-bit value as four words, least significant
 *        first) under the 64-bit key @p key (two words).
 * @param ctr counter words.
 * @param key key words.
 * @param[out] out four random words.
 */
BN_API void bn_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_CONTEXT_H */
