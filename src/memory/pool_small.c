/* Small blocks: size classes, spans in one virtual reserve, per-thread heaps.
 *
 * Ownership rules (why no lock is needed on the common paths):
 * - a span belongs to one heap; only the thread using that heap touches its
 *   local free list, bump pointer, used count and list links;
 * - other threads release into the span's `remote` stack (lock-free push;
 *   the owner takes the whole stack with one exchange, so there is no ABA);
 * - a full span sits on the owner's full list where the owner never looks,
 *   so the first remote release into it (full_state YES -> QUEUED) queues it
 *   on the owner's remote_spans stack; the owner drains that on refill;
 * - the pool mutex guards only the free-span lists, the reserve and the
 *   list of heaps. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/error.h"
#include "memory/pool_internal.h"

_Thread_local bni_tls bni_tl BNI_TLS_MODEL;
bni_span bni_empty_span; /* free == NULL, bump == end == NULL: never gives a slot */
static _Atomic uint64_t g_heap_key = 1;

/* ---- size classes and the reserve ------------------------------------------------ */

static void add_class(bn_pool *pool, size_t size) {
    if (pool->nclasses > 0 && pool->class_size[pool->nclasses - 1] >= size) return;
    pool->class_size[pool->nclasses++] = (uint32_t)size;
}

/* Step = alignment up to 1 KiB, then 4 classes per power of two: rounding
 * waste stays under 25% above 1 KiB (below, the alignment sets the floor). */
static void build_classes(bn_pool *pool) {
    size_t a = pool->align;
    for (size_t s = a; s <= 1024; s += a) add_class(pool, s);
    for (size_t base = 1024; base < BN_POOL_SMALL_MAX; base *= 2)
        for (size_t k = 1; k <= 4; k++) add_class(pool, (base + k * base / 4 + a - 1) & ~(a - 1));
    int c = 0;
    for (size_t i = 0; i <= (BN_POOL_SMALL_MAX >> 4); i++) {
        while (pool->class_size[c] < i * 16) c++;
        pool->class_of[i] = (uint8_t)c;
    }
}

static void *map_noreserve(size_t size, int prot) {
    void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Reserve address space only: 16 GiB, halved until the OS agrees. */
int bni_small_init(bn_pool *pool) {
    build_classes(pool);
    for (size_t size = (size_t)16 << 30; size >= ((size_t)64 << 20); size /= 2) {
        void *base = map_noreserve(size, PROT_NONE);
        if (base == NULL) continue;
        size_t pm = (size >> BNI_PAGE_SHIFT) * sizeof(bni_span *);
        void *map = map_noreserve(pm, PROT_READ | PROT_WRITE);
        if (map == NULL) {
            munmap(base, size);
            return 0;
        }
        pool->small_base = base;
        pool->small_size = size;
        pool->pagemap = map;
        pool->pagemap_bytes = pm;
        return 1;
    }
    return 0;
}

static bni_span *span_at_page(bn_pool *pool, size_t page) {
    return atomic_load_explicit(&pool->pagemap[page], memory_order_relaxed);
}

static void span_free_desc(bni_span *s) {
    bni_free(s->meta);
    bni_free(s->sites);
    bni_free(s);
}

void bni_small_destroy(bn_pool *pool) {
    if (pool->pagemap != NULL) {
        for (size_t pg = 0; pg < pool->small_pages_used;) {
            bni_span *s = span_at_page(pool, pg); /* spans are carved contiguously: never NULL here */
            pg += s->npages;
            span_free_desc(s);
        }
        munmap((void *)pool->pagemap, pool->pagemap_bytes);
    }
    if (pool->small_base != NULL) munmap(pool->small_base, pool->small_size);
    bni_heap *h = pool->heaps;
    while (h != NULL) {
        bni_heap *next = h->next_all;
        bni_free(h);
        h = next;
    }
}

/* ---- spans --------------------------------------------------------------------------- */

static int span_kind(const bni_span *s) { return s->npages > 1; }

static void list_push(bni_span **head, bni_span *s) {
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL) (*head)->prev = s;
    *head = s;
}

static void list_unlink(bni_span **head, bni_span *s) {
    if (s->prev != NULL) s->prev->next = s->next;
    else *head = s->next;
    if (s->next != NULL) s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

/* Lay out span s for class cls; 0 when the metadata cannot be allocated. */
static int span_format(bn_pool *pool, bni_span *s, int cls) {
    uint32_t size = pool->class_size[cls];
    uint32_t n = (uint32_t)((s->npages << BNI_PAGE_SHIFT) / size);
    if (s->meta_cap < n + 1) {
        bni_meta *m = bni_malloc((n + 1) * sizeof *m);
        bni_site *st = pool->track_sites ? bni_malloc(n * sizeof *st) : NULL;
        if (m == NULL || (pool->track_sites && st == NULL)) {
            bni_free(m);
            bni_free(st);
            return 0;
        }
        bni_free(s->meta);
        bni_free(s->sites);
        s->meta = m;
        s->sites = st;
        s->meta_cap = n + 1;
    }
    for (uint32_t i = 0; i <= n; i++) atomic_store_explicit(&s->meta[i], 0, memory_order_relaxed);
    atomic_store_explicit(&s->hot_key, BNI_KEY_NONE, memory_order_relaxed);
    s->cls = (uint32_t)cls;
    s->slot_size = size;
    s->nslots = n;
    s->recip = ((uint64_t)1 << BNI_RECIP_SHIFT) / size + 1;
    s->free = NULL;
    s->bump = s->start;
    s->end = s->start + (size_t)n * size;
    s->used = 0;
    atomic_store_explicit(&s->remote, NULL, memory_order_relaxed);
    atomic_store_explicit(&s->full_state, BNI_FULL_NO, memory_order_relaxed);
    return 1;
}

static int span_commit(bn_pool *pool, bni_span *s) {
    if (s->committed) return 1;
    if (mprotect(s->start, (size_t)s->npages << BNI_PAGE_SHIFT, PROT_READ | PROT_WRITE) != 0) return 0;
    s->committed = 1;
    pool->small_committed += (size_t)s->npages << BNI_PAGE_SHIFT;
    return 1;
}

/* A fresh span from the pool (lock held): a free one of the right size, or
 * new pages from the reserve. *exhausted is set when the reserve is full. */
static bni_span *pool_take_span_locked(bn_pool *pool, bni_heap *h, int cls, int *exhausted) {
    uint32_t npages = pool->class_size[cls] <= BNI_SMALL_SPAN_CLASS_MAX ? 1 : BNI_BIG_SPAN_PAGES;
    int kind = npages > 1;
    bni_span *s = pool->free_spans[kind];
    if (s != NULL) {
        if (!span_commit(pool, s) || !span_format(pool, s, cls)) return NULL;
        list_unlink(&pool->free_spans[kind], s);
        s->owner = h;
        return s;
    }
    size_t total = pool->small_size >> BNI_PAGE_SHIFT;
    if (pool->small_pages_used + npages > total) {
        *exhausted = 1;
        return NULL;
    }
    s = bni_calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->start = pool->small_base + (pool->small_pages_used << BNI_PAGE_SHIFT);
    s->npages = npages;
    if (!span_commit(pool, s) || !span_format(pool, s, cls)) {
        if (s->committed) pool->small_committed -= (size_t)npages << BNI_PAGE_SHIFT;
        if (s->committed) mprotect(s->start, (size_t)npages << BNI_PAGE_SHIFT, PROT_NONE);
        span_free_desc(s);
        return NULL;
    }
    for (uint32_t i = 0; i < npages; i++)
        atomic_store_explicit(&pool->pagemap[pool->small_pages_used + i], s, memory_order_relaxed);
    pool->small_pages_used += npages;
    atomic_store_explicit(&pool->small_carved, pool->small_pages_used << BNI_PAGE_SHIFT, memory_order_release);
    s->owner = h;
    return s;
}

/* Give an empty span back to the pool; the caller has unlinked it. */
static void span_release_to_pool(bn_pool *pool, bni_span *s) {
    pthread_mutex_lock(&pool->lock);
    s->owner = NULL;
    s->where = BNI_SPAN_FREE;
    atomic_store_explicit(&s->hot_key, BNI_KEY_NONE, memory_order_relaxed);
    list_push(&pool->free_spans[span_kind(s)], s);
    pthread_mutex_unlock(&pool->lock);
}

/* Move the remote stack onto the local free list; returns how many. */
static uint32_t span_collect(bni_span *s) {
    if (atomic_load_explicit(&s->remote, memory_order_relaxed) == NULL) return 0;
    void *list = atomic_exchange_explicit(&s->remote, NULL, memory_order_acquire);
    if (list == NULL) return 0;
    uint32_t n = 1;
    void *last = list;
    while (*(void **)last != NULL) {
        last = *(void **)last;
        n++;
    }
    *(void **)last = s->free;
    s->free = list;
    s->used -= n;
    return n;
}

static int span_has_slot(const bni_span *s) { return s->free != NULL || s->bump < s->end; }

/* ---- heaps ------------------------------------------------------------------------------ */

static void heap_set_current(bni_heap *h, bni_span *s) {
    s->where = BNI_SPAN_CURRENT;
    h->cur[s->cls] = s;
    atomic_store_explicit(&s->hot_key, h->key, memory_order_relaxed);
}

static void heap_clear_current(bni_heap *h, bni_span *s) {
    if (h->cur[s->cls] == s) h->cur[s->cls] = &bni_empty_span;
    atomic_store_explicit(&s->hot_key, BNI_KEY_NONE, memory_order_relaxed);
}

static void heap_unlink_span(bni_heap *h, bni_span *s) {
    if (s->where == BNI_SPAN_PARTIAL) list_unlink(&h->partial[s->cls], s);
    else if (s->where == BNI_SPAN_FULL) list_unlink(&h->full, s);
    else if (s->where == BNI_SPAN_CURRENT) heap_clear_current(h, s);
}

/* A span that is not current now has a free slot: make it partial, or give
 * it back when nothing in it is live. */
static void heap_settle_span(bn_pool *pool, bni_heap *h, bni_span *s) {
    heap_unlink_span(h, s);
    if (s->used == 0) {
        span_release_to_pool(pool, s);
        return;
    }
    s->where = BNI_SPAN_PARTIAL;
    list_push(&h->partial[s->cls], s);
}

/* Take full spans that other threads released into back into circulation. */
static void heap_drain_remote(bn_pool *pool, bni_heap *h) {
    if (atomic_load_explicit(&h->remote_spans, memory_order_relaxed) == NULL) return;
    bni_span *s = atomic_exchange_explicit(&h->remote_spans, NULL, memory_order_acquire);
    while (s != NULL) {
        bni_span *next = s->remote_next;
        atomic_store_explicit(&s->full_state, BNI_FULL_NO, memory_order_relaxed);
        span_collect(s);
        heap_settle_span(pool, h, s);
        s = next;
    }
}

/* Park the exhausted current span on the full list. Returns it again when a
 * remote release slipped in and we could take it back. The seq_cst store
 * then load pairs with the releaser's push then load (see small_release). */
static bni_span *heap_retire_full(bni_heap *h, bni_span *s) {
    heap_clear_current(h, s);
    s->where = BNI_SPAN_FULL;
    list_push(&h->full, s);
    atomic_store(&s->full_state, BNI_FULL_YES);
    if (atomic_load(&s->remote) == NULL) return NULL;
    int expect = BNI_FULL_YES;
    if (!atomic_compare_exchange_strong(&s->full_state, &expect, BNI_FULL_NO)) return NULL; /* queued */
    list_unlink(&h->full, s);
    span_collect(s);
    heap_set_current(h, s);
    return s;
}

/* A current span for cls with a free slot; NULL with *exhausted or not (OOM). */
static bni_span *heap_refill(bn_pool *pool, bni_heap *h, int cls, int *exhausted) {
    bni_span *s = h->cur[cls];
    if (s != &bni_empty_span) {
        if (span_collect(s) > 0 || span_has_slot(s)) return s;
        if (heap_retire_full(h, s) != NULL) return s;
    }
    heap_drain_remote(pool, h);
    s = h->partial[cls];
    if (s != NULL) {
        list_unlink(&h->partial[cls], s);
        span_collect(s);
    } else {
        pthread_mutex_lock(&pool->lock);
        s = pool_take_span_locked(pool, h, cls, exhausted);
        pthread_mutex_unlock(&pool->lock);
        if (s == NULL) return NULL;
    }
    heap_set_current(h, s);
    return s;
}

static bn_status small_commit(bn_pool *pool, bni_heap *h, bni_span *s, void *b, size_t size, int tag,
                              const char *file, int line, void **ptr) {
    int64_t pending = BNI_FLUSH_BYTES - h->avail, np = pending + s->slot_size;
    int flushed = 0;
    if (np > BNI_FLUSH_BYTES) {
        if (!bni_pool_add_in_use(pool, np)) {
            *(void **)b = s->free; /* put the slot back: the pool stays as it was */
            s->free = b;
            return bni_limit_error(pool, "bn_pool_alloc", pending > 0 ? (size_t)pending : 0, size);
        }
        np = 0;
        flushed = 1;
    }
    h->avail = BNI_FLUSH_BYTES - np;
    uint32_t i = bni_slot_index(s, b);
    atomic_store_explicit(&s->meta[i], bni_meta_make(size, tag), memory_order_relaxed);
    if (s->sites != NULL) s->sites[i] = (bni_site){file, line};
    s->used++;
    bni_cinc(&h->small_allocs);
    *ptr = b;
    if (flushed) bni_pool_changed(pool);
    return BN_OK;
}

bn_status bni_small_alloc(bn_pool *pool, bni_heap *h, size_t size, int tag, const char *file, int line,
                          void **ptr) {
    int cls = pool->class_of[(size + 15) >> 4];
    bni_span *s = h->cur[cls];
    void *b = bni_span_pop(s);
    if (b == NULL) {
        int exhausted = 0;
        s = heap_refill(pool, h, cls, &exhausted);
        if (s == NULL) {
            if (exhausted) return BN_ERR_NOT_SUPPORTED;
            return bni_error(BN_ERR_OUT_OF_MEMORY,
                             "bn_pool_alloc: cannot get a span for %zu bytes (class %u): out of memory", size,
                             (unsigned)pool->class_size[cls]);
        }
        b = bni_span_pop(s);
    }
    return small_commit(pool, h, s, b, size, tag, file, line, ptr);
}

/* ---- release ------------------------------------------------------------------------------ */

/* The span and slot index of ptr, or NULL when ptr is not a live small block. */
static bni_span *small_lookup(bn_pool *pool, const void *ptr, uint32_t *index) {
    /* the caller checked ptr is inside the reserve; pages not carved yet map to NULL */
    size_t page = (size_t)((const char *)ptr - pool->small_base) >> BNI_PAGE_SHIFT;
    bni_span *s = span_at_page(pool, page);
    if (s == NULL) return NULL; /* a free span has no live slot: the live check covers it */
    uint32_t i = bni_slot_index(s, ptr);
    if (i >= s->nslots || s->start + (size_t)i * s->slot_size != (const char *)ptr) return NULL;
    if (!(atomic_load_explicit(&s->meta[i], memory_order_relaxed) & BNI_META_LIVE)) return NULL;
    *index = i;
    return s;
}

static void remote_push(bni_span *s, void *b) {
    void *head = atomic_load_explicit(&s->remote, memory_order_relaxed);
    do {
        *(void **)b = head;
    } while (!atomic_compare_exchange_weak(&s->remote, &head, b));
    if (atomic_load(&s->full_state) != BNI_FULL_YES) return;
    int expect = BNI_FULL_YES;
    if (!atomic_compare_exchange_strong(&s->full_state, &expect, BNI_FULL_QUEUED)) return;
    bni_heap *owner = s->owner;
    bni_span *top = atomic_load_explicit(&owner->remote_spans, memory_order_relaxed);
    do {
        s->remote_next = top;
    } while (!atomic_compare_exchange_weak_explicit(&owner->remote_spans, &top, s, memory_order_release,
                                                    memory_order_relaxed));
}

static void local_push(bn_pool *pool, bni_heap *h, bni_span *s, void *b) {
    *(void **)b = s->free;
    s->free = b;
    s->used--;
    if (s->where == BNI_SPAN_CURRENT) return;
    if (s->where == BNI_SPAN_PARTIAL) {
        if (s->used == 0) heap_settle_span(pool, h, s);
        return;
    }
    /* full: take it back unless a remote release already queued it */
    int expect = BNI_FULL_YES;
    if (atomic_compare_exchange_strong(&s->full_state, &expect, BNI_FULL_NO)) {
        span_collect(s);
        heap_settle_span(pool, h, s);
    }
}

bn_status bni_small_release(bn_pool *pool, void *ptr) {
    uint32_t i;
    bni_span *s = small_lookup(pool, ptr, &i);
    if (s == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_pool_release: %p is not a live block of this pool (already released?)", ptr);
    bni_heap *h = bni_heap_get(pool, 1);
    atomic_store_explicit(&s->meta[i], 0, memory_order_relaxed);
    if (h == NULL) { /* no heap for this thread: the pool-wide total directly */
        bni_pool_add_in_use(pool, -(int64_t)s->slot_size);
        remote_push(s, ptr);
        bni_pool_changed(pool);
        return BN_OK;
    }
    int64_t np = BNI_FLUSH_BYTES - h->avail - s->slot_size;
    if (s->owner == h) local_push(pool, h, s, ptr);
    else remote_push(s, ptr);
    if (np < -BNI_FLUSH_BYTES) {
        h->avail = BNI_FLUSH_BYTES;
        bni_pool_add_in_use(pool, np);
        bni_pool_changed(pool);
    } else {
        h->avail = BNI_FLUSH_BYTES - np;
    }
    return BN_OK;
}

bn_status bni_small_block_size(bn_pool *pool, const void *ptr, size_t *size) {
    uint32_t i;
    bni_span *s = small_lookup(pool, ptr, &i);
    if (s == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_pool_block_size: %p is not a live block of this pool",
                         ptr);
    *size = s->slot_size;
    return BN_OK;
}

/* ---- heap life cycle ---------------------------------------------------------------------- */

/* Thread exit: give back what is empty, then park the heap for the next
 * new thread. Blocks still live stay in their spans. */
static void heap_abandon(void *arg) {
    bni_heap *h = arg;
    bn_pool *pool = h->pool;
    heap_drain_remote(pool, h);
    for (int c = 0; c < pool->nclasses; c++) {
        bni_span *s = h->cur[c];
        if (s != &bni_empty_span) {
            span_collect(s);
            if (s->used == 0) {
                heap_clear_current(h, s);
                span_release_to_pool(pool, s);
            }
        }
        for (s = h->partial[c]; s != NULL;) {
            bni_span *next = s->next;
            span_collect(s);
            if (s->used == 0) heap_settle_span(pool, h, s);
            s = next;
        }
    }
    int64_t pending = BNI_FLUSH_BYTES - h->avail;
    h->avail = BNI_FLUSH_BYTES;
    if (bni_tl.heap == h) bni_tl = (bni_tls){0, 0, 0, NULL};
    pthread_mutex_lock(&pool->lock);
    h->next_abandoned = pool->abandoned;
    pool->abandoned = h;
    pthread_mutex_unlock(&pool->lock);
    if (pending != 0) {
        bni_pool_add_in_use(pool, pending);
        bni_pool_changed(pool);
    }
}

int bni_heap_key_create(bn_pool *pool) { return pthread_key_create(&pool->key, heap_abandon) == 0; }

static bni_heap *heap_new(bn_pool *pool) {
    pthread_mutex_lock(&pool->lock);
    bni_heap *h = pool->abandoned;
    if (h != NULL) {
        pool->abandoned = h->next_abandoned;
        pthread_mutex_unlock(&pool->lock);
        memset(h->tagc, 0, sizeof h->tagc);
        h->untagged_seen = 0;
        return h;
    }
    pthread_mutex_unlock(&pool->lock);
    h = bni_calloc(1, sizeof *h);
    if (h == NULL) return NULL;
    h->pool = pool;
    h->avail = BNI_FLUSH_BYTES;
    h->key = atomic_fetch_add_explicit(&g_heap_key, 1, memory_order_relaxed);
    for (int c = 0; c < BNI_MAX_CLASSES; c++) h->cur[c] = &bni_empty_span;
    pthread_mutex_lock(&pool->lock);
    h->next_all = pool->heaps;
    pool->heaps = h;
    pthread_mutex_unlock(&pool->lock);
    return h;
}

void bni_tl_set(bn_pool *pool, bni_heap *h) {
    uint64_t fast = h->untagged_seen && !pool->track_sites ? pool->gen : 0;
    bni_tl = (bni_tls){pool->gen, fast, h->key, h};
}

bni_heap *bni_heap_get_slow(bn_pool *pool, int create) {
    bni_heap *h = pthread_getspecific(pool->key);
    if (h == NULL) {
        if (!create) return NULL;
        h = heap_new(pool);
        if (h == NULL) return NULL;
        if (pthread_setspecific(pool->key, h) != 0) {
            heap_abandon(h);
            return NULL;
        }
    }
    bni_tl_set(pool, h);
    return h;
}

/* ---- trim and walk (pool lock held) ------------------------------------------------------ */

size_t bni_small_trim(bn_pool *pool) {
    size_t released = 0;
    for (int k = 0; k < 2; k++) {
        for (bni_span *s = pool->free_spans[k]; s != NULL; s = s->next) {
            if (!s->committed) continue;
            size_t bytes = (size_t)s->npages << BNI_PAGE_SHIFT;
            madvise(s->start, bytes, MADV_DONTNEED);
            if (mprotect(s->start, bytes, PROT_NONE) != 0) continue;
            s->committed = 0;
            pool->small_committed -= bytes;
            released += bytes;
        }
    }
    return released;
}

void bni_small_walk(bn_pool *pool, bni_block_visit visit, void *user) {
    for (size_t pg = 0; pg < pool->small_pages_used; pg++) {
        bni_span *s = span_at_page(pool, pg);
        if (s == NULL || s->start != pool->small_base + (pg << BNI_PAGE_SHIFT)) continue;
        for (uint32_t i = 0; i < s->nslots; i++) {
            uint64_t m = atomic_load_explicit(&s->meta[i], memory_order_relaxed);
            if (!(m & BNI_META_LIVE)) continue;
            const char *file = s->sites != NULL ? s->sites[i].file : NULL;
            int line = s->sites != NULL ? s->sites[i].line : 0;
            visit(user, bni_meta_requested(m), bni_meta_tag(m), file, line);
        }
    }
}

void bni_small_sum(bn_pool *pool, bni_small_sums *sums) {
    memset(sums, 0, sizeof *sums);
    for (size_t pg = 0; pg < pool->small_pages_used;) {
        bni_span *s = span_at_page(pool, pg);
        pg += s->npages;
        if (s->owner == NULL) continue; /* a free span has no live slot */
        int64_t live = 0;
        for (uint32_t i = 0; i < s->nslots; i++) {
            uint64_t m = atomic_load_explicit(&s->meta[i], memory_order_relaxed);
            if (!(m & BNI_META_LIVE)) continue;
            live++;
            sums->requested += bni_meta_requested(m);
            int tag = bni_meta_tag(m);
            sums->tag_bytes[tag] += s->slot_size;
            sums->tag_blocks[tag]++;
        }
        sums->live += live;
        sums->in_use += live * (int64_t)s->slot_size;
        sums->class_live[s->cls] += live;
    }
}
