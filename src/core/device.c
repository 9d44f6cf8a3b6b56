/* Device discovery and automatic selection.
 *
 * The CPU is always there. CUDA is reported unavailable until the CUDA
 * backend lands; Metal and MLX are reserved names on every platform this
 * build targets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/device.h"
#include "build_info.h"
#include "core/cpu_internal.h"
#include "core/error.h"

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
    case BN_DEVICE_CUDA:
        if (!BITNET_CUDA_BUILT)
            return bni_error(BN_ERR_DEVICE_UNAVAILABLE,
                             "bn_device_available: cuda: this libbitnet was built without CUDA "
                             "(BITNET_CUDA=OFF, or nvcc was not found)");
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE,
                         "bn_device_available: cuda: the CUDA backend is not part of libbitnet %s yet",
                         BITNET_BUILD_VERSION);
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
