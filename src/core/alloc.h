/* Internal: the one malloc wrapper every bitnet allocation outside the pool
 * goes through, so out-of-memory injection (bn_debug_fail_nth_alloc) covers
 * the library's own bookkeeping too. */
#ifndef BITNET_CORE_ALLOC_H
#define BITNET_CORE_ALLOC_H

#include <stddef.h>

#include <stdatomic.h>

/* Non-zero while bn_debug_fail_nth_alloc(n > 0) is in force. */
extern atomic_int bni_alloc_armed;

/* Counts the allocation and says whether injection fails it (armed only). */
int bni_alloc_should_fail_armed(void);

/* Returns 1 when the allocation being made now must fail (injection). The
 * pool calls this once per bn_pool_alloc; unarmed it costs one relaxed load,
 * inline, so the small-block fast path stays a handful of instructions. */
static inline int bni_alloc_should_fail(void) {
    if (__builtin_expect(!atomic_load_explicit(&bni_alloc_armed, memory_order_relaxed), 1)) return 0;
    return bni_alloc_should_fail_armed();
}

/* malloc/calloc/realloc/free with injection; NULL on failure (no message). */
void *bni_malloc(size_t size);
void *bni_calloc(size_t count, size_t size);
void *bni_realloc(void *ptr, size_t size);
void bni_free(void *ptr);

/* a * b into *out; returns 0 on overflow. */
static inline int bni_mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

#endif
