/* Internal: the persistent worker pool behind bn_ctx_parallel_for. */
#ifndef BITNET_CORE_THREADPOOL_H
#define BITNET_CORE_THREADPOOL_H

#include <stddef.h>

#include "bitnet/context.h"

typedef struct bni_threadpool bni_threadpool;

/* Start nthreads - 1 workers (the caller is thread 0). NULL on failure, with
 * the error message set. */
bni_threadpool *bni_threadpool_new(int nthreads);
void bni_threadpool_free(bni_threadpool *tp);
int bni_threadpool_size(const bni_threadpool *tp);

/* Run fn over [0, n) in deterministic chunks; see bn_ctx_parallel_for. */
void bni_threadpool_run(bni_threadpool *tp, size_t n, size_t grain, bn_range_fn fn, void *arg);

#endif
