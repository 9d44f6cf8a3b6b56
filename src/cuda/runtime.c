/* CUDA runtime glue: discovery, bitnet's streams, copies, pinned memory.
 *
 * The library links the static CUDA runtime, which loads the driver
 * (libcuda.so) only when first used; without a driver or GPU the first
 * query fails, the answer is cached and every CUDA entry point reports why,
 * while the CPU keeps working (CI's case). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "core/error.h"
#include "cuda/cuda_internal.h"

#define BNI_CUDA_MAX_DEVICES 64

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_count;
static char g_why[256];
static pthread_mutex_t g_stream_lock = PTHREAD_MUTEX_INITIALIZER;
static cudaStream_t g_streams[BNI_CUDA_MAX_DEVICES];

static void discover(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(g_why, sizeof g_why, "no usable GPU: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        (void)cudaGetLastError(); /* clear the sticky-free error state */
        g_count = 0;
        return;
    }
    if (n == 0) snprintf(g_why, sizeof g_why, "the CUDA driver reports no GPU");
    g_count = n > BNI_CUDA_MAX_DEVICES ? BNI_CUDA_MAX_DEVICES : n;
}

int bni_cuda_device_count(const char **why) {
    pthread_once(&g_once, discover);
    if (why) *why = g_why;
    return g_count;
}

bn_status bni_cuda_fail(const char *fn, const char *what, int cuda_error) {
    cudaError_t e = (cudaError_t)cuda_error;
    (void)cudaGetLastError();
    bn_status st = e == cudaErrorMemoryAllocation ? BN_ERR_OUT_OF_MEMORY : BN_ERR_DEVICE_UNAVAILABLE;
    if (e == cudaErrorInvalidValue || e == cudaErrorInvalidDevicePointer) st = BN_ERR_INVALID_ARGUMENT;
    return bni_error(st, "%s: %s: %s (%s)", fn, what, cudaGetErrorString(e), cudaGetErrorName(e));
}

bn_status bni_cuda_check_index(const char *fn, int index) {
    const char *why = NULL;
    int n = bni_cuda_device_count(&why);
    if (n == 0) return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "%s: cuda: %s", fn, why);
    if (index < 0 || index >= n)
        return bni_error(BN_ERR_OUT_OF_RANGE, "%s: cuda:%d does not exist (%d GPU(s))", fn, index, n);
    return BN_OK;
}

bn_status bni_cuda_set_device(const char *fn, int index) {
    bn_status st = bni_cuda_check_index(fn, index);
    if (st != BN_OK) return st;
    cudaError_t e = cudaSetDevice(index);
    return e == cudaSuccess ? BN_OK : bni_cuda_fail(fn, "cudaSetDevice", e);
}

bn_status bni_cuda_device_info(int index, bn_device_info *info) {
    bn_status st = bni_cuda_check_index("bn_device_get_info", index);
    if (st != BN_OK) return st;
    struct cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, index);
    if (e != cudaSuccess) return bni_cuda_fail("bn_device_get_info", "cudaGetDeviceProperties", e);
    memset(info, 0, sizeof *info);
    info->device.kind = BN_DEVICE_CUDA;
    info->device.index = index;
    size_t len = strnlen(p.name, sizeof p.name);
    if (len >= sizeof info->name) len = sizeof info->name - 1; /* names are far shorter */
    memcpy(info->name, p.name, len);
    info->name[len] = '\0';
    info->total_memory = (uint64_t)p.totalGlobalMem;
    info->compute_units = p.multiProcessorCount;
    info->capability_major = p.major;
    info->capability_minor = p.minor;
    return BN_OK;
}

bn_status bni_cuda_stream(int index, void **stream) {
    bn_status st = bni_cuda_set_device("bn_device_stream", index);
    if (st != BN_OK) return st;
    pthread_mutex_lock(&g_stream_lock);
    if (g_streams[index] == NULL) {
        cudaStream_t s;
        cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
        if (e != cudaSuccess) {
            pthread_mutex_unlock(&g_stream_lock);
            return bni_cuda_fail("bn_device_stream", "cudaStreamCreate", e);
        }
        g_streams[index] = s;
    }
    *stream = g_streams[index];
    pthread_mutex_unlock(&g_stream_lock);
    return BN_OK;
}

/* The GPU a copy runs on: the destination's when it is a GPU, else the source's. */
static int copy_gpu(bn_device dst, bn_device src) {
    if (dst.kind == BN_DEVICE_CUDA) return dst.index;
    if (src.kind == BN_DEVICE_CUDA) return src.index;
    return -1;
}

bn_status bni_cuda_copy(const char *fn, bn_device dst_dev, void *dst, bn_device src_dev, const void *src,
                        size_t size, void *stream, int wait) {
    int gpu = copy_gpu(dst_dev, src_dev);
    bn_status st;
    if (dst_dev.kind == BN_DEVICE_CUDA && (st = bni_cuda_check_index(fn, dst_dev.index)) != BN_OK) return st;
    if (src_dev.kind == BN_DEVICE_CUDA && (st = bni_cuda_check_index(fn, src_dev.index)) != BN_OK) return st;
    if ((st = bni_cuda_set_device(fn, gpu)) != BN_OK) return st;
    if (stream == NULL && (st = bni_cuda_stream(gpu, &stream)) != BN_OK) return st;
    cudaError_t e = cudaMemcpyAsync(dst, src, size, cudaMemcpyDefault, (cudaStream_t)stream);
    if (e != cudaSuccess) return bni_cuda_fail(fn, "cudaMemcpyAsync", e);
    if (wait && (e = cudaStreamSynchronize((cudaStream_t)stream)) != cudaSuccess)
        return bni_cuda_fail(fn, "cudaStreamSynchronize", e);
    return BN_OK;
}

bn_status bni_cuda_synchronize(int index) {
    bn_status st = bni_cuda_set_device("bn_device_synchronize", index);
    if (st != BN_OK) return st;
    cudaError_t e = cudaDeviceSynchronize();
    return e == cudaSuccess ? BN_OK : bni_cuda_fail("bn_device_synchronize", "cudaDeviceSynchronize", e);
}

bn_status bni_cuda_host_alloc(size_t size, void **ptr) {
    const char *why = NULL;
    if (bni_cuda_device_count(&why) == 0)
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_device_host_alloc: cuda: %s", why);
    void *p = NULL;
    cudaError_t e = cudaMallocHost(&p, size ? size : 1);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_host_alloc: cannot pin %zu bytes: %s", size,
                         cudaGetErrorString(e));
    }
    *ptr = p;
    return BN_OK;
}

bn_status bni_cuda_host_free(void *ptr) {
    cudaError_t e = cudaFreeHost(ptr);
    return e == cudaSuccess ? BN_OK : bni_cuda_fail("bn_device_host_free", "cudaFreeHost", e);
}
