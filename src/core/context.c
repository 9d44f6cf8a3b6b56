/* The context: device, thread pool, memory pool and random numbers. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/context.h"
#include "core/alloc.h"
#include "core/context_internal.h"
#include "core/cpu_internal.h"
#include "core/error.h"
#include "core/threadpool.h"

/* Most threads a context accepts: far above any CPU count we expect, low
 * enough that a typo ("BITNET_NUM_THREADS=1000000") fails clearly. */
#define BNI_MAX_THREADS 1024

void bn_ctx_options_default(bn_ctx_options *options) {
    if (options == NULL) return;
    memset(options, 0, sizeof *options);
    options->auto_device = 1;
    options->device.kind = BN_DEVICE_CPU;
    options->device.index = 0;
    options->num_threads = 0;
    options->seed = 0;
    bn_pool_config_default(&options->pool);
}

/* Thread count: explicit option, else BITNET_NUM_THREADS, else online CPUs. */
static bn_status resolve_threads(int requested, int *out) {
    if (requested < 0 || requested > BNI_MAX_THREADS)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_new: num_threads %d is not in 0..%d", requested,
                         BNI_MAX_THREADS);
    if (requested > 0) {
        *out = requested;
        return BN_OK;
    }
    const char *env = getenv("BITNET_NUM_THREADS");
    if (env == NULL || env[0] == '\0') {
        *out = bni_online_cpus();
        return BN_OK;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(env, &end, 10);
    if (errno != 0 || end == env || *end != '\0' || v < 1 || v > BNI_MAX_THREADS)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_ctx_new: BITNET_NUM_THREADS=\"%s\" is not an integer in 1..%d", env,
                         BNI_MAX_THREADS);
    *out = (int)v;
    return BN_OK;
}

/* Tensors of a context live in its CPU pool: the CUDA backend has device
 * memory (bn_device_alloc) and BitLinear (bn_bitlinear_to_device) but not
 * yet tensors on the GPU, so a context stays on the CPU when automatic
 * selection finds a GPU, and asking for a CUDA context is refused rather
 * than labelling host memory as GPU memory. */
static bn_status resolve_device(const bn_ctx_options *opt, bn_device *out) {
    if (opt->auto_device) {
        bn_status st = bn_device_auto(out);
        if (st == BN_OK && out->kind == BN_DEVICE_CUDA && getenv("BITNET_DEVICE") == NULL) {
            out->kind = BN_DEVICE_CPU;
            out->index = 0;
        }
        if (st == BN_OK && out->kind == BN_DEVICE_CUDA)
            return bni_error(BN_ERR_NOT_SUPPORTED,
                             "bn_ctx_new: BITNET_DEVICE=cuda: tensors cannot live on a GPU yet (device memory "
                             "and BitLinear can: bn_device_alloc, bn_bitlinear_to_device)");
        return st;
    }
    if (opt->device.kind == BN_DEVICE_CUDA && bn_device_available(BN_DEVICE_CUDA) == BN_OK)
        return bni_error(BN_ERR_NOT_SUPPORTED,
                         "bn_ctx_new: cuda:%d: tensors cannot live on a GPU yet (device memory and BitLinear can: "
                         "bn_device_alloc, bn_bitlinear_to_device)",
                         opt->device.index);
    bn_status st = bn_device_available(opt->device.kind);
    if (st != BN_OK) return st;
    int count = 0;
    bn_device_count(opt->device.kind, &count);
    if (opt->device.index < 0 || opt->device.index >= count)
        return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "bn_ctx_new: %s:%d does not exist (%d device(s))",
                         bn_device_kind_name(opt->device.kind), opt->device.index, count);
    *out = opt->device;
    return BN_OK;
}

bn_status bn_ctx_new(const bn_ctx_options *options, bn_ctx **ctx) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_new: ctx is NULL");
    bn_ctx_options opt;
    if (options) opt = *options;
    else bn_ctx_options_default(&opt);

    int nthreads = 0;
    bn_device device;
    bn_status st = resolve_threads(opt.num_threads, &nthreads);
    if (st == BN_OK) st = resolve_device(&opt, &device);
    if (st != BN_OK) return st;

    bn_ctx *c = bni_calloc(1, sizeof *c);
    if (c == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_ctx_new: cannot allocate the context");
    c->device = device;
    atomic_init(&c->seed, opt.seed);
    atomic_init(&c->rng_counter, 0);
    st = bn_pool_new(&opt.pool, &c->pool);
    if (st != BN_OK) {
        bni_free(c);
        return st;
    }
    c->threads = bni_threadpool_new(nthreads);
    if (c->threads == NULL) {
        bn_status saved = bn_last_status();
        bn_pool_free(c->pool);
        bni_free(c);
        return saved;
    }
    *ctx = c;
    return BN_OK;
}

void bn_ctx_free(bn_ctx *ctx) {
    if (ctx == NULL) return;
    if (ctx->profile_free) ctx->profile_free(ctx->profile);
    bni_threadpool_free(ctx->threads);
    bn_pool_free(ctx->pool);
    bni_free(ctx);
}

bn_device bn_ctx_device(const bn_ctx *ctx) {
    bn_device cpu = {BN_DEVICE_CPU, 0};
    return ctx ? ctx->device : cpu;
}

int bn_ctx_num_threads(const bn_ctx *ctx) { return ctx ? bni_threadpool_size(ctx->threads) : 0; }

bn_pool *bn_ctx_pool(bn_ctx *ctx) { return ctx ? ctx->pool : NULL; }

bn_status bn_ctx_parallel_for(bn_ctx *ctx, size_t n, size_t grain, bn_range_fn fn, void *arg) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_parallel_for: ctx is NULL");
    if (fn == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_parallel_for: fn is NULL");
    bni_threadpool_run(ctx->threads, n, grain, fn, arg);
    return BN_OK;
}

void bn_ctx_manual_seed(bn_ctx *ctx, uint64_t seed) {
    if (ctx == NULL) return;
    atomic_store(&ctx->seed, seed);
    atomic_store(&ctx->rng_counter, 0);
}

uint64_t bn_ctx_seed(const bn_ctx *ctx) { return ctx ? atomic_load(&((bn_ctx *)ctx)->seed) : 0; }

uint64_t bn_ctx_rng_reserve(bn_ctx *ctx, uint64_t count) {
    if (ctx == NULL) return 0;
    return atomic_fetch_add(&ctx->rng_counter, count);
}

/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011): ten rounds of two 32x32->64 multiplies, with the
 * key bumped by the Weyl constants between rounds. */
static inline void philox_round(uint32_t c[4], const uint32_t k[2]) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
    const uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
    const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    const uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void bn_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k[0] += 0x9E3779B9u;
            k[1] += 0xBB67AE85u;
        }
        philox_round(c, k);
    }
    memcpy(out, c, sizeof c);
}
