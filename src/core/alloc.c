/* The malloc wrapper with process-wide out-of-memory injection.
 *
 * Tests call bn_debug_fail_nth_alloc(N) and walk N upwards: the N-th
 * allocation bitnet makes from then on fails once, whatever part of the
 * library makes it (pool blocks and internal bookkeeping alike). */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "bitnet/memory.h"

/* Injection is off unless armed, and then the hot path pays one relaxed
 * load: counting happens only while armed, so the pool's fast path takes no
 * atomic read-modify-write in normal use. */
atomic_int bni_alloc_armed;
static atomic_long g_alloc_count;   /* allocations since arming */
static atomic_long g_fail_at;       /* which one fails */

void bn_debug_fail_nth_alloc(long n) {
    atomic_store(&bni_alloc_armed, 0);
    atomic_store(&g_alloc_count, 0);
    atomic_store(&g_fail_at, n > 0 ? n : 0);
    if (n > 0) atomic_store(&bni_alloc_armed, 1);
}

long bn_debug_alloc_count(void) { return atomic_load(&g_alloc_count); }

int bni_alloc_should_fail_armed(void) {
    long index = atomic_fetch_add(&g_alloc_count, 1) + 1;
    return index == atomic_load(&g_fail_at);
}

void *bni_malloc(size_t size) {
    if (bni_alloc_should_fail()) return NULL;
    return malloc(size ? size : 1);
}

void *bni_calloc(size_t count, size_t size) {
    if (bni_alloc_should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *bni_realloc(void *ptr, size_t size) {
    if (bni_alloc_should_fail()) return NULL;
    return realloc(ptr, size ? size : 1);
}

void bni_free(void *ptr) { free(ptr); }
