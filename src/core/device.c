/* Device discovery, automatic selection and device memory.
 *
 * The CPU is always there. CUDA, when built in (BITNET_CUDA), is asked for
 * its GPUs once per process (src/cuda/runtime.c); without a driver or GPU
 * it reports why and everything keeps running on the CPU. Metal and MLX
 * are reserved names on every platform this build targets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/device.h"
#include "build_info.h"
#include "core/alloc.h"
#include "core/cpu_internal.h"
#include "core/error.h"
#if BITNET_CUDA_BUILT
#include "cuda/cuda_internal.h"
#endif

static const char *const k_kind_names[BN_DEVICE_KIND_COUNT] = {"cpu", "cuda", "metal", "mlx"};

const char *bn_device_kind_name(bn_device_kind kind) {
    if ((unsigned)kind >= BN_DEVICE_KIND_COUNT) return "unknown";
    return k_kind_names[kind];
}

int bni_online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bn_status bn_device_available(bn_device_kind kind) {
    switch (kind) {
    case BN_DEVICE_CPU: return BN_OK;
    case BN_DEVICE_CUDA: {
#if BITNET_CUDA_BUILT
        const char *why = NULL;
        if (bni_cuda_device_count(&why) > 0) return BN_OK;
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_available: cuda: %s", why);
#else
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE,
                         "bn_device_available: cuda: this libbitnet was built without CUDA "
                         "(BITNET_CUDA=OFF, or nvcc was not found)");
#endif
    }
    case BN_DEVICE_METAL:
    case BN_DEVICE_MLX:
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_available: %s: not available on this platform",
                         k_kind_names[kind]);
    }
    return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_available: unknown device kind %d", (int)kind);
}

bn_status bn_device_count(bn_device_kind kind, int *count) {
    if (count == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_count: count is NULL");
    if ((unsigned)kind >= BN_DEVICE_KIND_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_count: unknown device kind %d", (int)kind);
    *count = kind == BN_DEVICE_CPU ? 1 : 0;
#if BITNET_CUDA_BUILT
    if (kind == BN_DEVICE_CUDA) *count = bni_cuda_device_count(NULL);
#endif
    return BN_OK;
}

static bn_status parse_device_env(const char *value, bn_device *device) {
    for (int k = 0; k < BN_DEVICE_KIND_COUNT; k++) {
        size_t len = strlen(k_kind_names[k]);
        if (strncmp(value, k_kind_names[k], len) != 0) continue;
        int index = 0;
        if (value[len] == ':') {
            char *end = NULL;
            long v = strtol(value + len + 1, &end, 10);
            if (end == value + len + 1 || *end != '\0' || v < 0 || v > 1024) break;
            index = (int)v;
        } else if (value[len] != '\0') {
            break;
        }
        device->kind = (bn_device_kind)k;
        device->index = index;
        return BN_OK;
    }
    return bni_error(BN_ERR_INVALID_ARGUMENT,
                     "bn_device_auto: BITNET_DEVICE=\"%s\" is not cpu, cuda, cuda:N, metal or mlx", value);
}

bn_status bn_device_auto(bn_device *device) {
    if (device == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_auto: device is NULL");
    const char *env = getenv("BITNET_DEVICE");
    if (env != NULL && env[0] != '\0') {
        bn_device wanted;
        bn_status st = parse_device_env(env, &wanted);
        if (st != BN_OK) return st;
        int count = 0;
        st = bn_device_available(wanted.kind);
        if (st != BN_OK) return st;
        bn_device_count(wanted.kind, &count);
        if (wanted.index >= count)
            return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_auto: BITNET_DEVICE=%s: only %d %s device(s)",
                             env, count, k_kind_names[wanted.kind]);
        *device = wanted;
        return BN_OK;
    }
    /* CUDA first, then the CPU. The CUDA check leaves its reason in the
     * thread's message only if we fail, so restore a clean slate. */
    if (bn_device_available(BN_DEVICE_CUDA) == BN_OK) {
        device->kind = BN_DEVICE_CUDA;
        device->index = 0;
        return BN_OK;
    }
    bn_clear_error();
    device->kind = BN_DEVICE_CPU;
    device->index = 0;
    return BN_OK;
}

bn_status bn_device_get_info(bn_device device, bn_device_info *info) {
    if (info == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_get_info: info is NULL");
    bn_status st = bn_device_available(device.kind);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (device.kind == BN_DEVICE_CUDA) return bni_cuda_device_info(device.index, info);
#endif
    if (device.index != 0)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_device_get_info: %s:%d does not exist (1 device)",
                         bn_device_kind_name(device.kind), device.index);
    bn_device_info out;
    memset(&out, 0, sizeof out);
    out.device = device;
    bni_cpu_model_name(out.name, sizeof out.name);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    out.total_memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    out.compute_units = bni_online_cpus();
    *info = out;
    return BN_OK;
}

/* ---- device memory ------------------------------------------------------------------ */

/* NOT_SUPPORTED for Metal/MLX, DEVICE_UNAVAILABLE for CUDA when absent;
 * *is_cuda tells which path to take. */
static bn_status memory_device(const char *fn, bn_device d, int *is_cuda) {
    *is_cuda = 0;
    if (d.kind == BN_DEVICE_CPU) {
        if (d.index != 0) return bni_error(BN_ERR_OUT_OF_RANGE, "%s: cpu:%d does not exist (1 device)", fn, d.index);
        return BN_OK;
    }
    if (d.kind == BN_DEVICE_CUDA) {
#if BITNET_CUDA_BUILT
        *is_cuda = 1;
        return bni_cuda_check_index(fn, d.index);
#else
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "%s: cuda: this libbitnet was built without CUDA", fn);
#endif
    }
    if ((unsigned)d.kind >= BN_DEVICE_KIND_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown device kind %d", fn, (int)d.kind);
    return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "%s: %s: not available on this platform", fn, k_kind_names[d.kind]);
}

/* Checks for functions that exist for CUDA devices only. */
static bn_status cuda_only(const char *fn, bn_device d) {
    int is_cuda;
    bn_status st = memory_device(fn, d, &is_cuda);
    if (st != BN_OK) return st;
    if (!is_cuda)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s has no device allocator (the CPU uses bn_pool)", fn,
                         bn_device_kind_name(d.kind));
    return BN_OK;
}

bn_status bn_device_alloc(bn_device device, size_t size, const char *tag, void *stream, void **ptr) {
    BNI_CHECK_NULL("bn_device_alloc", ptr);
    int is_cuda;
    bn_status st = memory_device("bn_device_alloc", device, &is_cuda);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (is_cuda) return bni_cuda_alloc(device.index, size, tag, stream, ptr);
#endif
    (void)tag;
    (void)stream;
    void *p = NULL;
    if (bni_alloc_should_fail() || posix_memalign(&p, 64, size ? size : 1) != 0)
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_alloc: cpu: cannot allocate %zu bytes", size);
    *ptr = p;
    return BN_OK;
}

bn_status bn_device_release(bn_device device, void *ptr) {
    if (ptr == NULL) return BN_OK;
    int is_cuda;
    bn_status st = memory_device("bn_device_release", device, &is_cuda);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (is_cuda) return bni_cuda_release(device.index, ptr);
#endif
    free(ptr);
    return BN_OK;
}

static bn_status copy_common(const char *fn, bn_device dd, void *dst, bn_device sd, const void *src, size_t size,
                             void *stream, int wait) {
    if (size == 0) return BN_OK;
    if (dst == NULL || src == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, dst == NULL ? "dst" : "src");
    int dc, sc;
    bn_status st = memory_device(fn, dd, &dc);
    if (st == BN_OK) st = memory_device(fn, sd, &sc);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (dc || sc) return bni_cuda_copy(fn, dd, dst, sd, src, size, stream, wait);
#endif
    (void)stream;
    (void)wait;
    memmove(dst, src, size);
    return BN_OK;
}

bn_status bn_device_copy(bn_device dst_device, void *dst, bn_device src_device, const void *src, size_t size) {
    return copy_common("bn_device_copy", dst_device, dst, src_device, src, size, NULL, 1);
}

bn_status bn_device_copy_async(bn_device dst_device, void *dst, bn_device src_device, const void *src, size_t size,
                               void *stream) {
    return copy_common("bn_device_copy_async", dst_device, dst, src_device, src, size, stream, 0);
}

bn_status bn_device_synchronize(bn_device device) {
    int is_cuda;
    bn_status st = memory_device("bn_device_synchronize", device, &is_cuda);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (is_cuda) return bni_cuda_synchronize(device.index);
#endif
    return BN_OK;
}

bn_status bn_device_stream(bn_device device, void **stream) {
    BNI_CHECK_NULL("bn_device_stream", stream);
    int is_cuda;
    bn_status st = memory_device("bn_device_stream", device, &is_cuda);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    if (is_cuda) return bni_cuda_stream(device.index, stream);
#endif
    *stream = NULL;
    return BN_OK;
}

bn_status bn_device_host_alloc(size_t size, void **ptr) {
    BNI_CHECK_NULL("bn_device_host_alloc", ptr);
#if BITNET_CUDA_BUILT
    return bni_cuda_host_alloc(size, ptr);
#else
    (void)size;
    return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_host_alloc: this libbitnet was built without CUDA");
#endif
}

bn_status bn_device_host_free(void *ptr) {
    if (ptr == NULL) return BN_OK;
#if BITNET_CUDA_BUILT
    return bni_cuda_host_free(ptr);
#else
    return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_host_free: this libbitnet was built without CUDA");
#endif
}

bn_status bn_device_get_memory_stats(bn_device device, bn_device_memory_stats *stats) {
    BNI_CHECK_NULL("bn_device_get_memory_stats", stats);
    bn_status st = cuda_only("bn_device_get_memory_stats", device);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    return bni_cuda_memory_stats(device.index, stats);
#else
    return BN_ERR_INTERNAL;
#endif
}

bn_status bn_device_tag_usage(bn_device device, const char *tag, size_t *bytes, size_t *blocks) {
    BNI_CHECK_NULL("bn_device_tag_usage", bytes);
    bn_status st = cuda_only("bn_device_tag_usage", device);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    return bni_cuda_tag_usage(device.index, tag, bytes, blocks);
#else
    (void)tag;
    (void)blocks;
    return BN_ERR_INTERNAL;
#endif
}

bn_status bn_device_set_memory_limit(bn_device device, size_t bytes) {
    bn_status st = cuda_only("bn_device_set_memory_limit", device);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    return bni_cuda_set_limit(device.index, bytes);
#else
    (void)bytes;
    return BN_ERR_INTERNAL;
#endif
}

bn_status bn_device_empty_cache(bn_device device, size_t *released) {
    bn_status st = cuda_only("bn_device_empty_cache", device);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    return bni_cuda_empty_cache(device.index, released);
#else
    (void)released;
    return BN_ERR_INTERNAL;
#endif
}

bn_status bn_device_leak_report(bn_device device, FILE *stream, size_t *live_blocks) {
    bn_status st = cuda_only("bn_device_leak_report", device);
    if (st != BN_OK) return st;
#if BITNET_CUDA_BUILT
    return bni_cuda_leak_report(device.index, stream, live_blocks);
#else
    (void)stream;
    (void)live_blocks;
    return BN_ERR_INTERNAL;
#endif
}
