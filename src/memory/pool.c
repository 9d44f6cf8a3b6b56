/* The memory pool's public API: creation, allocate/release dispatch,
 * accounting, limits and pressure, tags, statistics and the leak report.
 * Small blocks: pool_small.c; large blocks: pool_large.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "memory/pool_internal.h"

/* Defined in core/alloc.c, hidden like every internal symbol (the library is
 * built with -fvisibility=hidden); saying so here lets the fast path read it
 * directly instead of through the GOT. */
#if defined(__GNUC__) || defined(__clang__)
extern atomic_int bni_alloc_armed __attribute__((visibility("hidden")));
#endif

static _Atomic uint64_t g_pool_gen = 1; /* tells a new pool from a freed one at the same address */

/* ---- configuration ------------------------------------------------------------------------ */

void bn_pool_config_default(bn_pool_config *config) {
    if (config == NULL) return;
    memset(config, 0, sizeof *config);
    config->alignment = 64;
    config->thresholds[0] = 0.5;
    config->thresholds[1] = 0.7;
    config->thresholds[2] = 0.85;
    config->thresholds[3] = 0.95;
    config->direct_map_threshold = (size_t)64 << 20;
    config->arena_size = (size_t)64 << 20;
    config->report_leaks = 1;
}

static bn_status check_config(const bn_pool_config *c) {
    size_t a = c->alignment;
    if (a < 16 || a > 4096 || (a & (a - 1)) != 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_pool_new: alignment %zu is not a power of two from 16 to 4096", a);
    for (int i = 0; i < 4; i++) {
        double t = c->thresholds[i], prev = i > 0 ? c->thresholds[i - 1] : 0.0;
        if (!(t > prev && t <= 1.0))
            return bni_error(BN_ERR_INVALID_ARGUMENT,
                             "bn_pool_new: thresholds must increase within (0, 1]: thresholds[%d] = %g after %g",
                             i, t, prev);
    }
    if (c->direct_map_threshold <= BN_POOL_SMALL_MAX)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_pool_new: direct_map_threshold %zu must be above the small-block limit %zu",
                         c->direct_map_threshold, BN_POOL_SMALL_MAX);
    if (c->arena_size < ((size_t)1 << 20) || c->arena_size > ((size_t)1 << 40))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_pool_new: arena_size %zu is outside [1 MiB, 1 TiB]",
                         c->arena_size);
    return BN_OK;
}

static void apply_config(bn_pool *p, const bn_pool_config *c) {
    p->gen = atomic_fetch_add(&g_pool_gen, 1);
    p->align = c->alignment;
    p->hsz = c->alignment > 64 ? c->alignment : 64;
    p->page = (size_t)sysconf(_SC_PAGESIZE);
    p->direct_map_threshold = c->direct_map_threshold;
    p->arena_size = (c->arena_size + p->page - 1) & ~(p->page - 1);
    p->track_sites = c->track_sites != 0;
    p->report_leaks = c->report_leaks != 0;
    p->leak_stream = c->leak_stream;
    memcpy(p->thresholds, c->thresholds, sizeof p->thresholds);
    atomic_store(&p->hard_limit, c->hard_limit);
    atomic_store(&p->soft_limit, c->soft_limit);
    strcpy(p->tag_names[BNI_TAG_UNTAGGED], "untagged");
    strcpy(p->tag_names[BNI_TAG_OTHER], "other");
    atomic_store(&p->ntags, 1);
}

bn_status bn_pool_new(const bn_pool_config *config, bn_pool **pool) {
    BNI_CHECK_NULL("bn_pool_new", pool);
    bn_pool_config def;
    if (config == NULL) {
        bn_pool_config_default(&def);
        config = &def;
    }
    bn_status st = check_config(config);
    if (st != BN_OK) return st;
    bn_pool *p = bni_calloc(1, sizeof *p);
    if (p == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_new: out of memory for the pool (%zu bytes)", sizeof *p);
    apply_config(p, config);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        bni_free(p);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_new: cannot create the pool mutex");
    }
    if (!bni_heap_key_create(p)) {
        pthread_mutex_destroy(&p->lock);
        bni_free(p);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_new: no thread-specific key left (too many pools?)");
    }
    if (!bni_small_init(p)) {
        pthread_key_delete(p->key);
        pthread_mutex_destroy(&p->lock);
        bni_free(p);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_new: cannot reserve address space for small blocks");
    }
    *pool = p;
    return BN_OK;
}

void bn_pool_free(bn_pool *pool) {
    if (pool == NULL) return;
    if (pool->report_leaks) {
        size_t live = 0;
        bn_pool_stats st;
        if (bn_pool_get_stats(pool, &st) == BN_OK && st.live_blocks > 0)
            bn_pool_leak_report(pool, pool->leak_stream, &live);
    }
    pthread_key_delete(pool->key);
    if (bni_tl.gen == pool->gen) bni_tl = (bni_tls){0, 0, 0, NULL};
    bni_large_destroy(pool);
    bni_small_destroy(pool);
    pthread_mutex_destroy(&pool->lock);
    bni_free(pool);
}

/* ---- limits and pressure -------------------------------------------------------------------- */

int bni_pool_add_in_use(bn_pool *pool, int64_t delta) {
    int64_t cur = atomic_load_explicit(&pool->in_use_total, memory_order_relaxed);
    for (;;) {
        size_t hard = atomic_load_explicit(&pool->hard_limit, memory_order_relaxed);
        if (delta > 0 && hard != 0 && cur + delta > (int64_t)hard) return 0;
        if (atomic_compare_exchange_weak(&pool->in_use_total, &cur, cur + delta)) return 1;
    }
}

bn_status bni_limit_error(bn_pool *pool, const char *fn, size_t extra, size_t size) {
    int64_t cur = atomic_load(&pool->in_use_total);
    size_t in_use = (cur > 0 ? (size_t)cur : 0) + extra;
    return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: hard limit %zu bytes would be passed: %zu in use, %zu requested",
                     fn, atomic_load(&pool->hard_limit), in_use, size);
}

static bn_pressure level_for(const bn_pool *pool, int64_t in_use) {
    size_t soft = atomic_load_explicit(&((bn_pool *)pool)->soft_limit, memory_order_relaxed);
    if (soft == 0 || in_use <= 0) return BN_PRESSURE_NONE;
    double f = (double)in_use / (double)soft;
    for (int k = 3; k >= 0; k--)
        if (f >= pool->thresholds[k]) return (bn_pressure)(k + 1);
    return BN_PRESSURE_NONE;
}

/* Re-evaluate the level; the thread whose CAS moves it notifies, so every
 * change is reported once. Called with no pool lock held. */
static void pressure_update(bn_pool *pool, int64_t in_use) {
    int nl = (int)level_for(pool, in_use);
    int ol = atomic_load(&pool->pressure);
    while (nl != ol) {
        if (!atomic_compare_exchange_weak(&pool->pressure, &ol, nl)) continue;
        pthread_mutex_lock(&pool->lock);
        bn_pressure_fn fn = pool->pressure_fn;
        void *user = pool->pressure_user;
        pthread_mutex_unlock(&pool->lock);
        if (fn != NULL) fn(pool, (bn_pressure)ol, (bn_pressure)nl, (size_t)(in_use > 0 ? in_use : 0), user);
        return;
    }
}

void bni_pool_changed(bn_pool *pool) {
    int64_t t = atomic_load(&pool->in_use_total);
    int64_t peak = atomic_load_explicit(&pool->peak, memory_order_relaxed);
    while (t > peak && !atomic_compare_exchange_weak(&pool->peak, &peak, t)) {
    }
    pressure_update(pool, t);
}

bn_status bn_pool_set_hard_limit(bn_pool *pool, size_t bytes) {
    BNI_CHECK_NULL("bn_pool_set_hard_limit", pool);
    atomic_store(&pool->hard_limit, bytes);
    return BN_OK;
}

bn_status bn_pool_set_soft_limit(bn_pool *pool, size_t bytes) {
    BNI_CHECK_NULL("bn_pool_set_soft_limit", pool);
    atomic_store(&pool->soft_limit, bytes);
    pressure_update(pool, atomic_load(&pool->in_use_total));
    return BN_OK;
}

bn_status bn_pool_set_pressure_callback(bn_pool *pool, bn_pressure_fn fn, void *user) {
    BNI_CHECK_NULL("bn_pool_set_pressure_callback", pool);
    pthread_mutex_lock(&pool->lock);
    pool->pressure_fn = fn;
    pool->pressure_user = user;
    pthread_mutex_unlock(&pool->lock);
    return BN_OK;
}

bn_pressure bn_pool_pressure(bn_pool *pool) {
    return pool == NULL ? BN_PRESSURE_NONE : (bn_pressure)atomic_load(&pool->pressure);
}

const char *bn_pressure_name(bn_pressure level) {
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    return (unsigned)level < 5 ? names[level] : "unknown";
}

/* ---- tags ---------------------------------------------------------------------------------------- */

static int tag_find(bn_pool *pool, const char *tag) {
    int n = atomic_load_explicit(&pool->ntags, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(pool->tag_names[i], tag) == 0) return i;
    if (strcmp(pool->tag_names[BNI_TAG_OTHER], tag) == 0) return BNI_TAG_OTHER;
    return -1;
}

static void note_seen(bn_pool *pool, int id) {
    for (int i = 0; i < pool->norder; i++)
        if (pool->tag_order[i] == id) return;
    pool->tag_order[pool->norder++] = id;
}

/* Intern under the lock: a new id, or "other" when the table is full. */
__attribute__((noinline, cold)) static int tag_intern(bn_pool *pool, const char *tag) {
    pthread_mutex_lock(&pool->lock);
    int id = tag_find(pool, tag);
    if (id < 0) {
        int n = atomic_load(&pool->ntags);
        if (n < BNI_TAG_OTHER) {
            strcpy(pool->tag_names[n], tag);
            atomic_store_explicit(&pool->ntags, n + 1, memory_order_release);
            id = n;
        } else {
            id = BNI_TAG_OTHER;
        }
    }
    note_seen(pool, id);
    pthread_mutex_unlock(&pool->lock);
    return id;
}

__attribute__((noinline, cold)) static void note_untagged(bn_pool *pool, bni_heap *h) {
    pthread_mutex_lock(&pool->lock);
    note_seen(pool, BNI_TAG_UNTAGGED);
    pthread_mutex_unlock(&pool->lock);
    h->untagged_seen = 1;
    if (bni_tl.heap == h) bni_tl_set(pool, h); /* the untagged fast path may now be taken */
}

/* Tag id for this allocation. The cache is keyed by the pointer but always
 * verified by content, since a caller may reuse its buffer for another tag. */
static int tag_id(bn_pool *pool, bni_heap *h, const char *tag) {
    if (tag == NULL) {
        if (!h->untagged_seen) note_untagged(pool, h);
        return BNI_TAG_UNTAGGED;
    }
    bni_tag_cache *c = &h->tagc[((uintptr_t)tag >> 3) & (BNI_TAG_CACHE - 1)];
    if (c->ptr == tag && strcmp(tag, pool->tag_names[c->id]) == 0) return (int)c->id;
    if (strlen(tag) >= BNI_TAG_LEN) return -1;
    int id = tag_intern(pool, tag);
    c->ptr = tag;
    c->id = (uint32_t)id;
    return id;
}

/* ---- allocate and release ---------------------------------------------------------------------- */

__attribute__((noinline, cold)) static bn_status alloc_failed(bn_pool *pool, bn_status st) {
    atomic_fetch_add_explicit(&pool->failed, 1, memory_order_relaxed);
    return st;
}

__attribute__((noinline, cold)) static bn_status null_args(const bn_pool *pool) {
    return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_pool_alloc: %s is NULL", pool == NULL ? "pool" : "ptr");
}

__attribute__((noinline, cold)) static bn_status injected(bn_pool *pool, size_t size) {
    return alloc_failed(pool, bni_error(BN_ERR_OUT_OF_MEMORY,
                                        "bn_pool_alloc: allocation of %zu bytes failed by injection "
                                        "(bn_debug_fail_nth_alloc)", size));
}

/* Every case: checks, injection, heap creation, tags, sites, large blocks. */
/* (Arguments in bn_pool_alloc's order, so that the tail call from the fast
 * path moves no registers.) */
__attribute__((noinline)) static bn_status alloc_general(bn_pool *pool, size_t size, const char *tag, void **ptr,
                                                         const char *file, int line) {
    if (__builtin_expect(pool == NULL || ptr == NULL, 0)) return null_args(pool);
    if (__builtin_expect(bni_alloc_should_fail(), 0)) return injected(pool, size);
    bni_heap *h = bni_heap_get(pool, 1);
    if (h == NULL)
        return alloc_failed(pool, bni_error(BN_ERR_OUT_OF_MEMORY,
                                            "bn_pool_alloc: out of memory for this thread's heap (%zu bytes)",
                                            sizeof(bni_heap)));
    int id = tag_id(pool, h, tag);
    if (id < 0)
        return alloc_failed(pool, bni_error(BN_ERR_INVALID_ARGUMENT,
                                            "bn_pool_alloc: tag \"%.40s...\" is longer than %d bytes", tag,
                                            BNI_TAG_LEN - 1));
    if (!pool->track_sites) file = NULL, line = 0;
    bn_status st = BN_ERR_NOT_SUPPORTED;
    if (size <= BN_POOL_SMALL_MAX) st = bni_small_alloc(pool, h, size, id, file, line, ptr);
    if (st == BN_ERR_NOT_SUPPORTED) st = bni_large_alloc(pool, h, size, id, file, line, ptr);
    return st == BN_OK ? BN_OK : alloc_failed(pool, st);
}

/* The common case, an untagged small block on a thread whose heap is cached
 * for the fast path (bni_tl.fast_gen: untagged seen, no site tracking) and
 * no injection armed, decided with a handful of loads; everything else is a
 * tail call into alloc_general. Keeping this path free of other calls lets
 * the compiler skip saving registers. */
static inline bn_status alloc_fast(bn_pool *pool, size_t size, const char *tag, const char *file, int line,
                                   void **ptr) {
    if (__builtin_expect(pool != NULL && ptr != NULL && tag == NULL && size <= BN_POOL_SMALL_MAX &&
                             !atomic_load_explicit(&bni_alloc_armed, memory_order_relaxed) &&
                             bni_tl.fast_gen == pool->gen,
                         1) &&
        bni_small_try_fast(pool, bni_tl.heap, size, ptr))
        return BN_OK;
    return alloc_general(pool, size, tag, ptr, file, line);
}

bn_status bn_pool_alloc_at(bn_pool *pool, size_t size, const char *tag, const char *file, int line, void **ptr) {
    return alloc_fast(pool, size, tag, file, line, ptr);
}

bn_status bn_pool_alloc(bn_pool *pool, size_t size, const char *tag, void **ptr) {
    return alloc_fast(pool, size, tag, NULL, 0, ptr);
}

__attribute__((noinline, cold)) static bn_status null_release_pool(void) {
    return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_pool_release: pool is NULL");
}

/* Large and direct-mapped blocks; out of line so that the small-block
 * release below needs no saved registers. */
__attribute__((noinline)) static bn_status release_large(bn_pool *pool, void *ptr) {
    return bni_large_release(pool, bni_heap_get(pool, 1), ptr);
}

bn_status bn_pool_release(bn_pool *pool, void *ptr) {
    if (__builtin_expect(pool == NULL, 0)) return null_release_pool();
    if (ptr == NULL) return BN_OK;
    size_t offset = (size_t)((uintptr_t)ptr - (uintptr_t)pool->small_base);
    if (offset < atomic_load_explicit(&pool->small_carved, memory_order_relaxed)) /* bni_is_small */
        return bni_small_release_fast(pool, ptr, offset);
    return release_large(pool, ptr);
}

bn_status bn_pool_block_size(bn_pool *pool, const void *ptr, size_t *size) {
    BNI_CHECK_NULL("bn_pool_block_size", pool);
    BNI_CHECK_NULL("bn_pool_block_size", ptr);
    BNI_CHECK_NULL("bn_pool_block_size", size);
    if (bni_is_small(pool, ptr)) return bni_small_block_size(pool, ptr, size);
    return bni_large_block_size(pool, ptr, size);
}

bn_status bn_pool_trim(bn_pool *pool, size_t *released) {
    BNI_CHECK_NULL("bn_pool_trim", pool);
    pthread_mutex_lock(&pool->lock);
    size_t r = bni_small_trim(pool) + bni_large_trim(pool);
    pthread_mutex_unlock(&pool->lock);
    if (released != NULL) *released = r;
    return BN_OK;
}

/* ---- statistics ------------------------------------------------------------------------------------ */

typedef struct sums {
    int64_t large_in_use, requested, allocs, small_allocs, frees;
} sums;

/* One heap's counters: large blocks, and small allocations. */
static void add_heap(const bni_heap *h, sums *s) {
    s->large_in_use += bni_cget(&h->large_in_use);
    s->requested += bni_cget(&h->requested);
    s->allocs += bni_cget(&h->allocs);
    s->small_allocs += bni_cget(&h->small_allocs);
    s->frees += bni_cget(&h->frees);
}

static size_t nonneg(int64_t v) { return v > 0 ? (size_t)v : 0; }

bn_status bn_pool_get_stats(bn_pool *pool, bn_pool_stats *stats) {
    BNI_CHECK_NULL("bn_pool_get_stats", pool);
    BNI_CHECK_NULL("bn_pool_get_stats", stats);
    bn_pool_stats st;
    memset(&st, 0, sizeof st);
    sums s = {0, 0, 0, 0, 0};
    bni_small_sums sm;
    size_t max_free;
    pthread_mutex_lock(&pool->lock);
    bni_small_sum(pool, &sm); /* first: every block it finds live is in the counters read next */
    for (bni_heap *h = pool->heaps; h != NULL; h = h->next_all) add_heap(h, &s);
    add_heap(&pool->orphan, &s);
    bni_large_free_info(pool, &max_free);
    const bni_large *L = &pool->large;
    st.reserved_bytes = pool->small_committed + L->carved_bytes + L->direct_bytes - L->decommitted_bytes;
    st.large_free_bytes = L->free_bytes;
    pthread_mutex_unlock(&pool->lock);
    /* small blocks: every allocation is counted; a release is an allocation
     * whose slot is no longer live (never below 0 while other threads run) */
    int64_t small_frees = s.small_allocs > sm.live ? s.small_allocs - sm.live : 0;
    int64_t allocs = s.allocs + s.small_allocs, frees = s.frees + small_frees;
    st.in_use_bytes = nonneg(sm.in_use + s.large_in_use);
    st.requested_bytes = nonneg(sm.requested + s.requested);
    st.live_blocks = nonneg(allocs - frees);
    st.total_allocs = (uint64_t)allocs;
    st.total_frees = (uint64_t)frees;
    st.failed_allocs = atomic_load(&pool->failed);
    st.large_free_max = max_free;
    st.fragmentation = st.large_free_bytes > 0 ? 1.0 - (double)max_free / (double)st.large_free_bytes : 0.0;
    int64_t peak = atomic_load(&pool->peak);
    st.peak_in_use_bytes = nonneg(peak) > st.in_use_bytes ? nonneg(peak) : st.in_use_bytes;
    st.pressure = (bn_pressure)atomic_load(&pool->pressure);
    *stats = st;
    return BN_OK;
}

int bn_pool_class_count(const bn_pool *pool) { return pool == NULL ? 0 : pool->nclasses; }

bn_status bn_pool_class_info(bn_pool *pool, int index, size_t *block_size, size_t *live_blocks) {
    BNI_CHECK_NULL("bn_pool_class_info", pool);
    if (index < 0 || index >= pool->nclasses)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_pool_class_info: index %d is outside [0, %d)", index,
                         pool->nclasses);
    int64_t live = 0;
    if (live_blocks != NULL) {
        bni_small_sums sm;
        pthread_mutex_lock(&pool->lock);
        bni_small_sum(pool, &sm);
        pthread_mutex_unlock(&pool->lock);
        live = sm.class_live[index];
    }
    if (block_size != NULL) *block_size = pool->class_size[index];
    if (live_blocks != NULL) *live_blocks = nonneg(live);
    return BN_OK;
}

/* One tag's in-use bytes and live blocks: large blocks from the heaps'
 * counters, small ones from the walk (lock held). */
static void tag_sum(bn_pool *pool, const bni_small_sums *sm, int id, size_t *bytes, size_t *blocks) {
    int64_t b = bni_cget(&pool->orphan.tag_bytes[id]) + sm->tag_bytes[id];
    int64_t n = bni_cget(&pool->orphan.tag_blocks[id]) + sm->tag_blocks[id];
    for (bni_heap *h = pool->heaps; h != NULL; h = h->next_all) {
        b += bni_cget(&h->tag_bytes[id]);
        n += bni_cget(&h->tag_blocks[id]);
    }
    *bytes = nonneg(b);
    *blocks = nonneg(n);
}

bn_status bn_pool_tag_usage(bn_pool *pool, const char *tag, size_t *bytes, size_t *blocks) {
    BNI_CHECK_NULL("bn_pool_tag_usage", pool);
    BNI_CHECK_NULL("bn_pool_tag_usage", bytes);
    size_t by = 0, bl = 0;
    bni_small_sums sm;
    pthread_mutex_lock(&pool->lock);
    int id = tag == NULL ? BNI_TAG_UNTAGGED : tag_find(pool, tag);
    if (id >= 0) {
        bni_small_sum(pool, &sm);
        tag_sum(pool, &sm, id, &by, &bl);
    }
    pthread_mutex_unlock(&pool->lock);
    *bytes = by;
    if (blocks != NULL) *blocks = bl;
    return BN_OK;
}

bn_status bn_pool_for_each_tag(bn_pool *pool, void (*visit)(const char *tag, size_t bytes, size_t blocks, void *user),
                               void *user) {
    BNI_CHECK_NULL("bn_pool_for_each_tag", pool);
    BNI_CHECK_NULL("bn_pool_for_each_tag", visit);
    int ids[BN_POOL_MAX_TAGS];
    size_t by[BN_POOL_MAX_TAGS], bl[BN_POOL_MAX_TAGS];
    bni_small_sums sm;
    pthread_mutex_lock(&pool->lock);
    bni_small_sum(pool, &sm);
    int n = pool->norder;
    for (int i = 0; i < n; i++) {
        ids[i] = pool->tag_order[i];
        tag_sum(pool, &sm, ids[i], &by[i], &bl[i]);
    }
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < n; i++) visit(pool->tag_names[ids[i]], by[i], bl[i], user); /* no lock: visit may use the pool */
    return BN_OK;
}

/* ---- leak report ------------------------------------------------------------------------------------- */

typedef struct leak {
    size_t bytes;
    const char *file;
    int line;
    int tag;
} leak;

typedef struct leak_list {
    leak *v;
    size_t n, cap, total_bytes, count;
    int oom;
} leak_list;

static void leak_visit(void *user, size_t bytes, int tag, const char *file, int line) {
    leak_list *l = user;
    l->count++;
    l->total_bytes += bytes;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        leak *v = l->oom ? NULL : bni_realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (leak){bytes, file, line, tag};
}

static int leak_cmp(const void *a, const void *b) {
    const leak *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

bn_status bn_pool_leak_report(bn_pool *pool, FILE *stream, size_t *live_blocks) {
    BNI_CHECK_NULL("bn_pool_leak_report", pool);
    if (stream == NULL) stream = stderr;
    leak_list l;
    memset(&l, 0, sizeof l);
    pthread_mutex_lock(&pool->lock);
    bni_small_walk(pool, leak_visit, &l);
    bni_large_walk(pool, leak_visit, &l);
    pthread_mutex_unlock(&pool->lock);
    if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, leak_cmp);
    for (size_t i = 0; i < l.n; i++) {
        fprintf(stream, "leak: %zu bytes (tag %s)", l.v[i].bytes, pool->tag_names[l.v[i].tag]);
        if (l.v[i].file != NULL) fprintf(stream, " at %s:%d", l.v[i].file, l.v[i].line);
        fputc('\n', stream);
    }
    if (l.oom) fprintf(stream, "leak: (%zu more blocks not listed: out of memory for the report)\n", l.count - l.n);
    fprintf(stream, "%zu blocks, %zu bytes live\n", l.count, l.total_bytes);
    fflush(stream);
    bni_free(l.v);
    if (live_blocks != NULL) *live_blocks = l.count;
    return BN_OK;
}
