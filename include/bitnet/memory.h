/**
 * @file memory.h
 * @brief The hybrid memory pool: fast small blocks, best-fit large blocks,
 *        tracking, leak reports, pressure levels and limits.
 *
 * - Small blocks (up to ::BN_POOL_SMALL_MAX bytes) come from size classes
 *   served by per-thread caches: the common allocate/free pair takes no lock.
 *   A block may be released on another thread than the one that allocated it.
 * - Large blocks (above ::BN_POOL_SMALL_MAX) are placed best-fit in arenas,
 *   split and coalesced; blocks of at least `direct_map_threshold` bytes are
 *   mapped from the OS directly and unmapped when released.
 * - Every block is aligned to the pool's alignment (64 bytes by default).
 *
 * Accounting: "in use" counts the bytes of live blocks as the pool holds
 * them (size class or large block size); "requested" counts what callers
 * asked for. Per-thread counters are exact; the pool-wide in-use total that
 * the limits and pressure levels read is brought up to date at least every
 * 64 KiB of change per thread, so limits hold to within 64 KiB per thread for
 * small blocks and exactly for large ones.
 *
 * Thread safety: all functions may be called from any thread, except
 * bn_pool_free(), which must not race with any other use of the pool.
 */
#ifndef BITNET_MEMORY_H
#define BITNET_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/export.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Largest block served from the small size classes (64 KiB). */
#define BN_POOL_SMALL_MAX ((size_t)64 * 1024)

/** @brief Most distinct tags one pool tracks; further tags count as "other". */
#define BN_POOL_MAX_TAGS 64

/** @brief A memory pool. Opaque; create with bn_pool_new(). */
typedef struct bn_pool bn_pool;

/** @brief Memory-pressure levels, from the in-use bytes against the soft limit. */
typedef enum bn_pressure {
    BN_PRESSURE_NONE = 0,    /**< Below the low threshold (or no soft limit). */
    BN_PRESSURE_LOW = 1,     /**< At or above thresholds[0] of the soft limit. */
    BN_PRESSURE_MEDIUM = 2,  /**< At or above thresholds[1]. */
    BN_PRESSURE_HIGH = 3,    /**< At or above thresholds[2]. */
    BN_PRESSURE_CRITICAL = 4 /**< At or above thresholds[3]. */
} bn_pressure;

/**
 * @brief Called when the pressure level changes, on the thread whose
 *        allocation or release changed it, with no pool lock held.
 *        It may call bn_pool_trim() or release blocks, but must not allocate
 *        from the same pool.
 */
typedef void (*bn_pressure_fn)(bn_pool *pool, bn_pressure old_level, bn_pressure new_level,
                               size_t in_use_bytes, void *user);

/** @brief Pool settings. Start from bn_pool_config_default(). */
typedef struct bn_pool_config {
    size_t alignment;            /**< Power of two, 16 to 4096; default 64. */
    size_t hard_limit;           /**< In-use bytes past which allocation fails with ::BN_ERR_OUT_OF_MEMORY; 0 = none. */
    size_t soft_limit;           /**< Reference for pressure levels; 0 = pressure always ::BN_PRESSURE_NONE. */
    double thresholds[4];        /**< Fractions of soft_limit for LOW, MEDIUM, HIGH, CRITICAL; default 0.5, 0.7, 0.85, 0.95. */
    size_t direct_map_threshold; /**< Blocks at least this large are mapped from the OS directly; default 64 MiB. */
    size_t arena_size;           /**< Size of each large-block arena taken from the OS; default 64 MiB. */
    int track_sites;             /**< Non-zero: remember each block's allocation site for the leak report. */
    int report_leaks;            /**< Non-zero (default): bn_pool_free() writes a leak report when blocks are live. */
    FILE *leak_stream;           /**< Where the leak report goes; NULL = stderr. */
} bn_pool_config;

/** @brief Pool statistics at one moment. */
typedef struct bn_pool_stats {
    size_t in_use_bytes;      /**< Bytes of live blocks, as the pool holds them. */
    size_t requested_bytes;   /**< Bytes callers asked for in live blocks. */
    size_t peak_in_use_bytes; /**< Highest pool-wide in-use figure seen (see the file comment on accuracy). */
    size_t reserved_bytes;    /**< Bytes the pool holds from the OS (mapped and committed). */
    size_t live_blocks;       /**< Blocks allocated and not yet released. */
    uint64_t total_allocs;    /**< Successful allocations since creation. */
    uint64_t total_frees;     /**< Releases since creation. */
    uint64_t failed_allocs;   /**< Allocations refused (limit, injection or OS). */
    size_t large_free_bytes;  /**< Free bytes inside large-block arenas. */
    size_t large_free_max;    /**< Largest single free large block. */
    double fragmentation;     /**< 1 - large_free_max / large_free_bytes (0 when nothing is free). */
    bn_pressure pressure;     /**< Current pressure level. */
} bn_pool_stats;

/** @brief Fill @p config with the defaults described in ::bn_pool_config. */
BN_API void bn_pool_config_default(bn_pool_config *config);

/**
 * @brief Create a pool.
 * @param config settings, or NULL for the defaults.
 * @param[out] pool written on success; free with bn_pool_free().
 * @return ::BN_ERR_INVALID_ARGUMENT for a bad alignment or thresholds that
 *         are not increasing in (0, 1]; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_pool_new(const bn_pool_config *config, bn_pool **pool);

/**
 * @brief Destroy a pool and return all its memory to the OS.
 *
 * When blocks are still live and `report_leaks` is set, a leak report
 * (bn_pool_leak_report()) is written first. Blocks still live become invalid.
 * NULL is ignored.
 */
BN_API void bn_pool_free(bn_pool *pool);

/**
 * @brief Allocate @p size bytes aligned to the pool's alignment.
 * @param pool the pool.
 * @param size bytes wanted; 0 gives a unique block of the smallest class.
 * @param tag what the block is for ("weights", "kv-cache", "activations" or
 *        any string of up to 31 bytes), or NULL for "untagged". Compared by
 *        content; the pointer need not outlive the call.
 * @param[out] ptr written on success.
 * @return ::BN_ERR_OUT_OF_MEMORY when the hard limit would be passed, the OS
 *         refuses memory, or failure injection fires.
 */
BN_API bn_status bn_pool_alloc(bn_pool *pool, size_t size, const char *tag, void **ptr);

/**
 * @brief bn_pool_alloc() that also records the allocation site when the pool
 *        tracks sites. Usually called through ::BN_POOL_ALLOC.
 * @param pool the pool.
 * @param size bytes wanted.
 * @param tag tag or NULL.
 * @param file source file (a string that lives as long as the pool, such as __FILE__).
 * @param line source line.
 * @param[out] ptr written on success.
 */
BN_API bn_status bn_pool_alloc_at(bn_pool *pool, size_t size, const char *tag, const char *file,
                                  int line, void **ptr);

/** @brief Allocate from @p pool recording this source line as the site. */
#define BN_POOL_ALLOC(pool, size, tag, ptr) bn_pool_alloc_at((pool), (size), (tag), __FILE__, __LINE__, (ptr))

/**
 * @brief Release a block. Any thread may release any block of the pool.
 * @param pool the pool the block came from.
 * @param ptr the block, or NULL (ignored).
 * @return ::BN_ERR_INVALID_ARGUMENT for a pointer that this pool did not
 *         hand out or that is already released (detected on a best-effort
 *         basis; the pool is left unchanged).
 */
BN_API bn_status bn_pool_release(bn_pool *pool, void *ptr);

/**
 * @brief Usable size of a live block (at least what was requested).
 * @param pool the pool.
 * @param ptr a live block of @p pool.
 * @param[out] size written on success.
 */
BN_API bn_status bn_pool_block_size(bn_pool *pool, const void *ptr, size_t *size);

/**
 * @brief Return free memory to the OS: empty small-block spans, wholly free
 *        arenas, and the pages inside large free blocks.
 * @param pool the pool.
 * @param[out] released bytes returned (may be NULL).
 */
BN_API bn_status bn_pool_trim(bn_pool *pool, size_t *released);

/**
 * @brief Current statistics.
 * @param pool the pool.
 * @param[out] stats written on success.
 */
BN_API bn_status bn_pool_get_stats(bn_pool *pool, bn_pool_stats *stats);

/** @brief Number of small size classes. */
BN_API int bn_pool_class_count(const bn_pool *pool);

/**
 * @brief One small size class: its block size and its live block count.
 * @param pool the pool.
 * @param index 0 to bn_pool_class_count() - 1.
 * @param[out] block_size bytes per block of this class (may be NULL).
 * @param[out] live_blocks live blocks of this class (may be NULL).
 * @return ::BN_ERR_OUT_OF_RANGE for a bad index.
 */
BN_API bn_status bn_pool_class_info(bn_pool *pool, int index, size_t *block_size, size_t *live_blocks);

/**
 * @brief In-use bytes and live blocks carrying @p tag.
 * @param pool the pool.
 * @param tag a tag, or NULL for "untagged".
 * @param[out] bytes in-use bytes with that tag (0 for a tag never seen).
 * @param[out] blocks live blocks with that tag (may be NULL).
 */
BN_API bn_status bn_pool_tag_usage(bn_pool *pool, const char *tag, size_t *bytes, size_t *blocks);

/**
 * @brief Visit every tag seen so far with its in-use bytes and live blocks.
 * @param pool the pool.
 * @param visit called once per tag, in first-seen order.
 * @param user passed through to @p visit.
 */
BN_API bn_status bn_pool_for_each_tag(bn_pool *pool,
                                      void (*visit)(const char *tag, size_t bytes, size_t blocks, void *user),
                                      void *user);

/**
 * @brief Write a report of the live blocks: size, tag and (with site
 *        tracking) file:line, largest first, then totals.
 * @param pool the pool.
 * @param stream where to write; NULL = stderr.
 * @param[out] live_blocks number of live blocks found (may be NULL).
 */
BN_API bn_status bn_pool_leak_report(bn_pool *pool, FILE *stream, size_t *live_blocks);

/**
 * @brief Change the hard limit (0 = none). Blocks already live stay.
 */
BN_API bn_status bn_pool_set_hard_limit(bn_pool *pool, size_t bytes);

/**
 * @brief Change the soft limit that pressure levels are measured against (0 = none).
 */
BN_API bn_status bn_pool_set_soft_limit(bn_pool *pool, size_t bytes);

/**
 * @brief Install (or with NULL remove) the pressure callback.
 * @param pool the pool.
 * @param fn callback, see ::bn_pressure_fn.
 * @param user passed through to @p fn.
 */
BN_API bn_status bn_pool_set_pressure_callback(bn_pool *pool, bn_pressure_fn fn, void *user);

/** @brief The pool's current pressure level. */
BN_API bn_pressure bn_pool_pressure(bn_pool *pool);

/** @brief Name of a pressure level ("none", "low", ...). */
BN_API const char *bn_pressure_name(bn_pressure level);

/**
 * @brief Testing aid: make the @p n-th allocation from now fail once,
 *        counting every allocation bitnet makes in this process (pool
 *        blocks and internal bookkeeping alike). The failure reports
 *        ::BN_ERR_OUT_OF_MEMORY. 0 disarms it. Process-wide; for tests.
 *
 * Typical use walks n = 1, 2, ... until bn_debug_alloc_count() < n after
 * the code under test ran (the failure never fired: every allocation path
 * has been covered).
 * @param n 1 = the very next allocation fails; 0 = off.
 */
BN_API void bn_debug_fail_nth_alloc(long n);

/**
 * @brief Testing aid: allocations bitnet made since the last
 *        bn_debug_fail_nth_alloc() with n > 0 (0 when disarmed).
 */
BN_API long bn_debug_alloc_count(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_MEMORY_H */
