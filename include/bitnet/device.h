/**
 * @file device.h
 * @brief Devices (CPU, CUDA, Metal, MLX) and CPU feature detection.
 *
 * Device selection: CUDA when it is built in and a GPU is present, else the
 * CPU. The environment variable `BITNET_DEVICE=cpu` forces the CPU.
 * Metal and MLX are part of the enum so the API leaves room for them; this
 * build reports them as not available on this platform.
 *
 * CPU kernels are chosen once from the CPU's features. `BITNET_ISA=scalar|
 * sse41|avx2|avx512|neon` forces a lower level (never a higher one than the
 * CPU has), so tests can cover every path on one machine.
 */
#ifndef BITNET_DEVICE_H
#define BITNET_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/export.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Kinds of device. */
typedef enum bn_device_kind {
    BN_DEVICE_CPU = 0,   /**< The host CPU; always available. */
    BN_DEVICE_CUDA = 1,  /**< An NVIDIA GPU through CUDA. */
    BN_DEVICE_METAL = 2, /**< Apple Metal (reserved; not available in this build). */
    BN_DEVICE_MLX = 3    /**< Apple MLX (reserved; not available in this build). */
} bn_device_kind;

/** @brief Number of ::bn_device_kind values. */
#define BN_DEVICE_KIND_COUNT 4

/** @brief A device: its kind and its index among devices of that kind. */
typedef struct bn_device {
    bn_device_kind kind; /**< Kind of device. */
    int index;           /**< Index among devices of this kind (0 for the CPU). */
} bn_device;

/** @brief Facts about one device. */
typedef struct bn_device_info {
    bn_device device;        /**< The device described. */
    char name[128];          /**< Marketing name ("AMD EPYC ...", "NVIDIA H100"). */
    uint64_t total_memory;   /**< Bytes of memory the device has (host RAM for the CPU). */
    int compute_units;       /**< Online CPUs, or streaming multiprocessors. */
    int capability_major;    /**< CUDA compute capability (0 for other kinds). */
    int capability_minor;    /**< CUDA compute capability (0 for other kinds). */
} bn_device_info;

/**
 * @brief Lowercase name of a device kind ("cpu", "cuda", "metal", "mlx").
 * @return a static string; "unknown" for values outside the enum.
 */
BN_API const char *bn_device_kind_name(bn_device_kind kind);

/**
 * @brief Whether devices of @p kind can be used in this process.
 * @return ::BN_OK when at least one is usable; ::BN_ERR_DEVICE_UNAVAILABLE
 *         with a message saying why (not built in, no GPU or driver, not
 *         available on this platform); ::BN_ERR_INVALID_ARGUMENT for a value
 *         outside the enum.
 */
BN_API bn_status bn_device_available(bn_device_kind kind);

/**
 * @brief Number of usable devices of @p kind (0 when none).
 * @param kind device kind.
 * @param[out] count written on success.
 */
BN_API bn_status bn_device_count(bn_device_kind kind, int *count);

/**
 * @brief The device bitnet picks by default: CUDA when built and present,
 *        else the CPU; `BITNET_DEVICE=cpu|cuda` overrides.
 * @param[out] device written on success.
 * @return ::BN_ERR_DEVICE_UNAVAILABLE when `BITNET_DEVICE` names a device
 *         that is not usable; ::BN_ERR_INVALID_ARGUMENT when it names none.
 */
BN_API bn_status bn_device_auto(bn_device *device);

/**
 * @brief Describe one device.
 * @param device the device.
 * @param[out] info written on success.
 */
BN_API bn_status bn_device_get_info(bn_device device, bn_device_info *info);

/**
 * @defgroup device_memory Device memory
 * @brief Memory on a device, streams and copies between devices.
 *
 * CUDA memory comes from a process-wide caching allocator per GPU: freed
 * blocks stay cached, binned by size, and are handed out again only on the
 * stream that released them (stream-ordered reuse, so no synchronization is
 * needed); when the GPU runs out, the cache is returned to the driver and
 * the allocation retried once. The allocator keeps the same accounting as
 * the CPU pool (::bn_pool): live and peak bytes, totals per tag, a hard
 * limit and a leak report. Device pointers are plain `void *`; a stream is
 * a `cudaStream_t` passed as `void *`, and NULL means bitnet's own stream
 * for that device. For ::BN_DEVICE_CPU these functions use aligned host
 * memory and ignore streams.
 * @{
 */

/** @brief Accounting of one device's memory (see bn_device_get_memory_stats()). */
typedef struct bn_device_memory_stats {
    size_t live_bytes;     /**< Bytes requested by live blocks. */
    size_t live_blocks;    /**< Number of live blocks. */
    size_t peak_bytes;     /**< Highest live_bytes so far. */
    size_t reserved_bytes; /**< Bytes obtained from the driver (live + cached). */
    size_t cached_bytes;   /**< Bytes of freed blocks kept for reuse. */
    size_t hard_limit;     /**< Cap on reserved_bytes (0 = none). */
    uint64_t allocs;       /**< Allocations served so far. */
    uint64_t cache_hits;   /**< Of those, served from the cache. */
} bn_device_memory_stats;

/**
 * @brief Allocate @p size bytes on @p device (256-byte aligned on CUDA, 64 on the CPU).
 * @param device where.
 * @param size bytes (0 gives a valid unique block of the minimum size).
 * @param tag accounting label ("weights", "activations"...); NULL = "untagged".
 *        The string is copied.
 * @param stream CUDA stream the block will be used on (NULL: bitnet's stream).
 * @param[out] ptr written on success; release with bn_device_release().
 * @return ::BN_ERR_OUT_OF_MEMORY when the device is full or the hard limit
 *         would be passed; ::BN_ERR_DEVICE_UNAVAILABLE.
 */
BN_API bn_status bn_device_alloc(bn_device device, size_t size, const char *tag, void *stream, void **ptr);

/**
 * @brief Give a block back to @p device's allocator (kept in its cache for
 *        reuse on the stream it was allocated for). NULL is ignored.
 * @return ::BN_ERR_INVALID_ARGUMENT when @p ptr is not a live block of that device.
 */
BN_API bn_status bn_device_release(bn_device device, void *ptr);

/**
 * @brief Copy @p size bytes between devices (host to GPU, GPU to host, GPU
 *        to GPU, host to host) and wait for the copy to finish. Copies
 *        queued earlier on bitnet's stream of the GPU are finished first.
 */
BN_API bn_status bn_device_copy(bn_device dst_device, void *dst, bn_device src_device, const void *src, size_t size);

/**
 * @brief Queue a copy on @p stream (NULL: bitnet's stream of the GPU
 *        involved) and return without waiting. Host memory should be pinned
 *        (bn_device_host_alloc()) for the copy to overlap with other work.
 */
BN_API bn_status bn_device_copy_async(bn_device dst_device, void *dst, bn_device src_device, const void *src,
                                      size_t size, void *stream);

/** @brief Wait until all work queued on @p device (every stream) has finished. */
BN_API bn_status bn_device_synchronize(bn_device device);

/**
 * @brief bitnet's own stream for @p device (a `cudaStream_t`), the one used
 *        when a function is given NULL; NULL for the CPU.
 * @param device the device.
 * @param[out] stream written on success.
 */
BN_API bn_status bn_device_stream(bn_device device, void **stream);

/**
 * @brief Page-locked host memory for fast asynchronous copies.
 * @param size bytes.
 * @param[out] ptr written on success; free with bn_device_host_free().
 * @return ::BN_ERR_DEVICE_UNAVAILABLE without CUDA; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_device_host_alloc(size_t size, void **ptr);

/** @brief Free memory from bn_device_host_alloc(). NULL is ignored. */
BN_API bn_status bn_device_host_free(void *ptr);

/**
 * @brief The accounting of @p device's allocator.
 * @param device the device (a CUDA device; the CPU has bn_pool_get_stats()).
 * @param[out] stats written on success.
 */
BN_API bn_status bn_device_get_memory_stats(bn_device device, bn_device_memory_stats *stats);

/**
 * @brief Bytes live under one tag on @p device.
 * @param device the device.
 * @param tag the tag (NULL = "untagged").
 * @param[out] bytes requested bytes of the live blocks with that tag.
 * @param[out] blocks number of those blocks (may be NULL).
 */
BN_API bn_status bn_device_tag_usage(bn_device device, const char *tag, size_t *bytes, size_t *blocks);

/**
 * @brief Cap the memory @p device's allocator obtains from the driver
 *        (0 removes the cap). Allocations past it fail with
 *        ::BN_ERR_OUT_OF_MEMORY after the cache has been emptied.
 */
BN_API bn_status bn_device_set_memory_limit(bn_device device, size_t bytes);

/**
 * @brief Return every cached (free) block of @p device to the driver.
 * @param device the device.
 * @param[out] released bytes returned (may be NULL).
 */
BN_API bn_status bn_device_empty_cache(bn_device device, size_t *released);

/**
 * @brief Print the live blocks of @p device (size, tag) to @p stream.
 * @param device the device.
 * @param stream where to print (NULL: print nothing, count only).
 * @param[out] live_blocks number of live blocks (may be NULL).
 */
BN_API bn_status bn_device_leak_report(bn_device device, FILE *stream, size_t *live_blocks);

/** @} */

/** @brief CPU features bitnet's kernels use, as bits of a mask. */
typedef enum bn_cpu_feature {
    BN_CPU_SSE41 = 1u << 0,      /**< x86 SSE4.1 */
    BN_CPU_AVX2 = 1u << 1,       /**< x86 AVX2 */
    BN_CPU_FMA = 1u << 2,        /**< x86 FMA3 */
    BN_CPU_F16C = 1u << 3,       /**< x86 F16C half-precision conversion */
    BN_CPU_AVX512F = 1u << 4,    /**< x86 AVX-512 Foundation */
    BN_CPU_AVX512BW = 1u << 5,   /**< x86 AVX-512 byte and word */
    BN_CPU_AVX512VL = 1u << 6,   /**< x86 AVX-512 vector length */
    BN_CPU_AVX512VNNI = 1u << 7, /**< x86 AVX-512 VNNI (int8 dot products) */
    BN_CPU_AVX512BF16 = 1u << 8, /**< x86 AVX-512 BF16 */
    BN_CPU_NEON = 1u << 9,       /**< ARM64 Advanced SIMD */
    BN_CPU_DOTPROD = 1u << 10    /**< ARM64 SDOT/UDOT */
} bn_cpu_feature;

/** @brief Number of ::bn_cpu_feature bits. */
#define BN_CPU_FEATURE_COUNT 11

/**
 * @brief Features of the CPU this process runs on (OS support for the wide
 *        registers included), as a mask of ::bn_cpu_feature.
 */
BN_API uint32_t bn_cpu_features(void);

/**
 * @brief Name of one feature bit ("avx512vnni").
 * @return a static string; "unknown" when @p feature is not a single known bit.
 */
BN_API const char *bn_cpu_feature_name(bn_cpu_feature feature);

/** @brief Instruction-set levels for which bitnet has kernels. */
typedef enum bn_isa {
    BN_ISA_SCALAR = 0, /**< Portable C; the reference for every kernel. */
    BN_ISA_SSE41 = 1,  /**< x86-64 SSE4.1 */
    BN_ISA_AVX2 = 2,   /**< x86-64 AVX2 + FMA + F16C */
    BN_ISA_AVX512 = 3, /**< x86-64 AVX-512 F/BW/VL (+VNNI, BF16 when present) */
    BN_ISA_NEON = 4    /**< ARM64 NEON (+dotprod when present) */
} bn_isa;

/** @brief Lowercase name of an ISA level ("avx2"); "unknown" outside the enum. */
BN_API const char *bn_isa_name(bn_isa isa);

/** @brief The highest ISA level this CPU supports (ignores `BITNET_ISA`). */
BN_API bn_isa bn_cpu_best_isa(void);

/**
 * @brief The ISA level kernels use: the CPU's best, or the lower level that
 *        `BITNET_ISA` asks for. Read once per process.
 */
BN_API bn_isa bn_cpu_isa(void);

/**
 * @brief Whether this CPU can run kernels of level @p isa.
 * @return 1 when it can, 0 otherwise.
 */
BN_API int bn_cpu_supports_isa(bn_isa isa);

/**
 * @brief Which implementation each CPU kernel family uses, for `bitnet info`.
 *
 * One line per family, "family isa" (for example "f32_to_f16 avx512"),
 * after a first line "isa LEVEL" with the level in use (bn_cpu_isa()).
 * The choice is made once per process.
 * @return a static NUL-terminated string; never NULL.
 */
BN_API const char *bn_cpu_kernels_describe(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_DEVICE_H */
