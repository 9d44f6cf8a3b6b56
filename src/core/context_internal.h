/* Internal: the context's layout, for the modules built on it. */
#ifndef BITNET_CORE_CONTEXT_INTERNAL_H
#define BITNET_CORE_CONTEXT_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "core/threadpool.h"

struct bn_ctx {
    bn_device device;
    bni_threadpool *threads;
    bn_pool *pool;
    _Atomic uint64_t seed;        /* atomic: bn_model_generate seeds a context other threads may share */
    _Atomic uint64_t rng_counter; /* next unreserved Philox counter */
    /* Per-operation profile (src/ops): on/off flag read with one relaxed
     * load per op; the table is created by bn_ctx_profile_enable and freed
     * by bn_ctx_free through profile_free. */
    _Atomic int profile_on;
    void *profile;
    void (*profile_free)(void *profile);
};

#endif
