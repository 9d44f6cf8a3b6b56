/* Large blocks: best fit in arenas, split and coalesced, and direct maps.
 *
 * An arena is one mapping; blocks are carved from its start upwards and a
 * sentinel header sits right after the last carved block, so the pages
 * past it are never touched (and not counted as reserved). Every block has
 * a header of pool->hsz bytes in front of the user pointer with its size
 * and its physical predecessor's size, which makes coalescing O(1). Free
 * blocks are kept in segregated bins (8 per power of two) with a bitmap.
 * Everything here runs under the pool mutex. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/error.h"
#include "memory/pool_internal.h"

#define ARENA_GRAIN ((size_t)2 << 20)
/* Split a free block only when the rest could serve a large request. */
#define MIN_REMAINDER(pool) ((pool)->hsz + BN_POOL_SMALL_MAX)

_Static_assert(sizeof(bni_lhdr) == 64, "the large header must fit in 64 bytes");

static size_t round_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }
static bni_lhdr *hdr_of(const bn_pool *pool, const void *p) { return (bni_lhdr *)((char *)p - pool->hsz); }
static char *user_of(const bn_pool *pool, bni_lhdr *h) { return (char *)h + pool->hsz; }
static bni_lhdr *next_phys(bni_lhdr *h) { return (bni_lhdr *)((char *)h + h->size); }

/* ---- bins ---------------------------------------------------------------------------- */

static int bin_of(size_t size) {
    int fl = 63 - __builtin_clzll((unsigned long long)size);
    if (fl < 16) return 0;
    int b = (fl - 16) * 8 + (int)((size >> (fl - 3)) & 7);
    return b < BNI_NBINS ? b : BNI_NBINS - 1;
}

static void bin_insert(bni_large *L, bni_lhdr *h) {
    int b = bin_of(h->size);
    h->prev = NULL;
    h->next = L->bins[b];
    if (h->next != NULL) h->next->prev = h;
    L->bins[b] = h;
    L->bitmap[b >> 6] |= (uint64_t)1 << (b & 63);
    L->free_bytes += h->size;
    L->decommitted_bytes += h->decommitted;
}

static void bin_remove(bni_large *L, bni_lhdr *h) {
    int b = bin_of(h->size);
    if (h->prev != NULL) h->prev->next = h->next;
    else L->bins[b] = h->next;
    if (h->next != NULL) h->next->prev = h->prev;
    if (L->bins[b] == NULL) L->bitmap[b >> 6] &= ~((uint64_t)1 << (b & 63));
    L->free_bytes -= h->size;
    L->decommitted_bytes -= h->decommitted;
}

static bni_lhdr *smallest_fit(bni_lhdr *h, size_t need) {
    bni_lhdr *best = NULL;
    for (; h != NULL; h = h->next) {
        if (h->size < need || (best != NULL && h->size >= best->size)) continue;
        best = h;
        if (h->size == need) break;
    }
    return best;
}

/* Best fit: the smallest fitting block of the first bin that has one. */
static bni_lhdr *bins_find(bni_large *L, size_t need) {
    int b = bin_of(need);
    bni_lhdr *h = smallest_fit(L->bins[b], need);
    if (h != NULL) return h;
    for (int i = b + 1; i < BNI_NBINS;) {
        uint64_t m = L->bitmap[i >> 6] >> (i & 63);
        if (m != 0) return smallest_fit(L->bins[i + __builtin_ctzll(m)], need);
        i = ((i >> 6) + 1) << 6;
    }
    return NULL;
}

/* ---- arenas ---------------------------------------------------------------------------- */

static void write_sentinel(bni_lhdr *s, uint64_t prev_size) {
    memset(s, 0, sizeof *s);
    s->magic = BNI_LH_MAGIC;
    s->flags = BNI_LH_SENTINEL;
    s->prev_size = prev_size;
}

static bni_arena *arena_new(bn_pool *pool, size_t need) {
    size_t size = pool->arena_size;
    if (need + pool->hsz > size) size = round_up(need + pool->hsz, ARENA_GRAIN);
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return NULL;
    bni_arena *ar = bni_malloc(sizeof *ar);
    if (ar == NULL) {
        munmap(base, size);
        return NULL;
    }
    *ar = (bni_arena){base, size, 0, pool->large.arenas};
    pool->large.arenas = ar;
    write_sentinel((bni_lhdr *)base, 0);
    pool->large.carved_bytes += pool->hsz;
    return ar;
}

/* A new block of exactly `need` bytes from the untouched end of an arena. */
static bni_lhdr *carve(bn_pool *pool, size_t need) {
    bni_arena *ar = pool->large.arenas;
    while (ar != NULL && ar->top + need + pool->hsz > ar->size) ar = ar->next;
    if (ar == NULL && (ar = arena_new(pool, need)) == NULL) return NULL;
    bni_lhdr *h = (bni_lhdr *)(ar->base + ar->top);
    uint64_t prev = h->prev_size;
    ar->top += need;
    write_sentinel((bni_lhdr *)(ar->base + ar->top), need);
    pool->large.carved_bytes += need;
    memset(h, 0, sizeof *h);
    h->size = need;
    h->prev_size = prev;
    return h;
}

/* Take free block h for a request of `need` bytes, splitting off the rest
 * when it is big enough to be useful. */
static void take_free(bn_pool *pool, bni_lhdr *h, size_t need) {
    bin_remove(&pool->large, h);
    h->decommitted = 0;
    if (h->size - need < MIN_REMAINDER(pool)) return;
    bni_lhdr *r = (bni_lhdr *)((char *)h + need);
    memset(r, 0, sizeof *r);
    r->magic = BNI_LH_MAGIC;
    r->flags = BNI_LH_FREE;
    r->size = h->size - need;
    r->prev_size = need;
    next_phys(r)->prev_size = r->size;
    h->size = need;
    bin_insert(&pool->large, r);
}

/* Mark h free, merge it with free neighbours and file it in its bin. */
static void free_block(bn_pool *pool, bni_lhdr *h) {
    bni_large *L = &pool->large;
    h->flags = BNI_LH_FREE;
    h->decommitted = 0;
    bni_lhdr *n = next_phys(h);
    if (n->flags & BNI_LH_FREE) {
        bin_remove(L, n);
        h->size += n->size;
        h->decommitted += n->decommitted;
        n->magic = 0;
    }
    if (h->prev_size != 0) {
        bni_lhdr *p = (bni_lhdr *)((char *)h - h->prev_size);
        if (p->flags & BNI_LH_FREE) {
            bin_remove(L, p);
            p->size += h->size;
            p->decommitted += h->decommitted;
            h->magic = 0;
            h = p;
        }
    }
    next_phys(h)->prev_size = h->size;
    bin_insert(L, h);
}

/* ---- accounting ------------------------------------------------------------------------------ */

static void count_alloc(bni_heap *h, size_t usable, size_t requested, int tag) {
    bni_cadd(&h->large_in_use, (int64_t)usable);
    bni_cadd(&h->requested, (int64_t)requested);
    bni_cadd(&h->allocs, 1);
    bni_cadd(&h->tag_bytes[tag], (int64_t)usable);
    bni_cadd(&h->tag_blocks[tag], 1);
}

static void count_release(bni_heap *h, size_t usable, const bni_lhdr *hd) {
    bni_cadd(&h->large_in_use, -(int64_t)usable);
    bni_cadd(&h->requested, -(int64_t)hd->requested);
    bni_cadd(&h->frees, 1);
    bni_cadd(&h->tag_bytes[hd->tag], -(int64_t)usable);
    bni_cadd(&h->tag_blocks[hd->tag], -1);
}

static void set_live(bni_lhdr *h, uint16_t flags, size_t size, int tag, const char *file, int line) {
    h->magic = BNI_LH_MAGIC;
    h->flags = flags;
    h->tag = (uint16_t)tag;
    h->requested = size;
    h->file = file;
    h->line = line;
}

/* ---- allocation ------------------------------------------------------------------------------ */

static bn_status direct_alloc(bn_pool *pool, bni_heap *hp, size_t size, int tag, const char *file, int line,
                              void **ptr) {
    size_t map = round_up(pool->hsz + round_up(size, pool->align), pool->page);
    size_t usable = map - pool->hsz;
    if (!bni_pool_add_in_use(pool, (int64_t)usable)) return bni_limit_error(pool, "bn_pool_alloc", 0, size);
    void *base = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        int err = errno;
        bni_pool_add_in_use(pool, -(int64_t)usable);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_alloc: the OS refused to map %zu bytes for a %zu-byte block: %s",
                         map, size, strerror(err));
    }
    bni_lhdr *h = base;
    set_live(h, BNI_LH_DIRECT, size, tag, file, line);
    h->size = map;
    h->prev_size = 0;
    pthread_mutex_lock(&pool->lock);
    h->prev = NULL;
    h->next = pool->large.direct;
    if (h->next != NULL) h->next->prev = h;
    pool->large.direct = h;
    pool->large.direct_bytes += map;
    count_alloc(hp, usable, size, tag);
    pthread_mutex_unlock(&pool->lock);
    bni_pool_changed(pool);
    *ptr = user_of(pool, h);
    return BN_OK;
}

bn_status bni_large_alloc(bn_pool *pool, bni_heap *hp, size_t size, int tag, const char *file, int line,
                          void **ptr) {
    if (size > ((size_t)1 << 46))
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_alloc: %zu bytes is more than any pool can serve", size);
    if (size >= pool->direct_map_threshold) return direct_alloc(pool, hp, size, tag, file, line, ptr);
    size_t need = pool->hsz + round_up(size > 0 ? size : 1, pool->align);
    pthread_mutex_lock(&pool->lock);
    bni_lhdr *h = bins_find(&pool->large, need);
    size_t final = need;
    if (h != NULL && h->size - need < MIN_REMAINDER(pool)) final = h->size;
    if (!bni_pool_add_in_use(pool, (int64_t)(final - pool->hsz))) {
        pthread_mutex_unlock(&pool->lock);
        return bni_limit_error(pool, "bn_pool_alloc", 0, size);
    }
    if (h != NULL) take_free(pool, h, need);
    else if ((h = carve(pool, need)) == NULL) {
        pthread_mutex_unlock(&pool->lock);
        bni_pool_add_in_use(pool, -(int64_t)(final - pool->hsz));
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_pool_alloc: the OS refused a new arena for a %zu-byte block",
                         size);
    }
    set_live(h, 0, size, tag, file, line);
    count_alloc(hp, h->size - pool->hsz, size, tag);
    pthread_mutex_unlock(&pool->lock);
    bni_pool_changed(pool);
    *ptr = user_of(pool, h);
    return BN_OK;
}

/* ---- lookup and release ----------------------------------------------------------------------- */

/* The header of live block ptr (lock held), or NULL: the pointer must lie
 * in an arena's carved part and the header must look right, or be a known
 * direct map (so no unknown memory is ever read). */
static bni_lhdr *find_live(bn_pool *pool, const void *ptr) {
    const char *p = ptr;
    for (bni_arena *ar = pool->large.arenas; ar != NULL; ar = ar->next) {
        if (p < ar->base + pool->hsz || p >= ar->base + ar->top) continue;
        if ((size_t)(p - ar->base) % pool->align != 0) return NULL;
        bni_lhdr *h = hdr_of(pool, p);
        if (h->magic != BNI_LH_MAGIC || h->flags != 0) return NULL;
        if (h->size < pool->hsz || h->size > (size_t)(ar->base + ar->top - (char *)h)) return NULL;
        return next_phys(h)->prev_size == h->size ? h : NULL;
    }
    for (bni_lhdr *h = pool->large.direct; h != NULL; h = h->next)
        if (user_of(pool, h) == p) return h;
    return NULL;
}

bn_status bni_large_release(bn_pool *pool, bni_heap *hp, void *ptr) {
    pthread_mutex_lock(&pool->lock);
    bni_lhdr *h = find_live(pool, ptr);
    if (h == NULL) {
        pthread_mutex_unlock(&pool->lock);
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_pool_release: %p is not a live block of this pool (already released?)", ptr);
    }
    size_t usable = h->size - pool->hsz;
    count_release(hp != NULL ? hp : &pool->orphan, usable, h);
    if (h->flags & BNI_LH_DIRECT) {
        if (h->prev != NULL) h->prev->next = h->next;
        else pool->large.direct = h->next;
        if (h->next != NULL) h->next->prev = h->prev;
        pool->large.direct_bytes -= h->size;
        pthread_mutex_unlock(&pool->lock);
        munmap(h, h->size);
    } else {
        free_block(pool, h);
        pthread_mutex_unlock(&pool->lock);
    }
    bni_pool_add_in_use(pool, -(int64_t)usable);
    bni_pool_changed(pool);
    return BN_OK;
}

bn_status bni_large_block_size(bn_pool *pool, const void *ptr, size_t *size) {
    pthread_mutex_lock(&pool->lock);
    bni_lhdr *h = find_live(pool, ptr);
    size_t s = h != NULL ? h->size - pool->hsz : 0;
    pthread_mutex_unlock(&pool->lock);
    if (h == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_pool_block_size: %p is not a live block of this pool",
                         ptr);
    *size = s;
    return BN_OK;
}

/* ---- trim, walk, stats, destroy (lock held) ------------------------------------------------------ */

static int arena_empty(bni_arena *ar) {
    bni_lhdr *first = (bni_lhdr *)ar->base;
    if (first->flags & BNI_LH_SENTINEL) return 1;
    return (first->flags & BNI_LH_FREE) && (next_phys(first)->flags & BNI_LH_SENTINEL);
}

/* Give the pages inside free block h back; returns the bytes newly released. */
static size_t decommit_block(bn_pool *pool, bni_lhdr *h) {
    uintptr_t lo = round_up((uintptr_t)h + pool->hsz, pool->page);
    uintptr_t hi = ((uintptr_t)h + h->size) & ~(uintptr_t)(pool->page - 1);
    if (hi <= lo || hi - lo <= h->decommitted) return 0;
    if (madvise((void *)lo, hi - lo, MADV_DONTNEED) != 0) return 0;
    size_t fresh = (hi - lo) - h->decommitted;
    h->decommitted = hi - lo;
    pool->large.decommitted_bytes += fresh;
    return fresh;
}

size_t bni_large_trim(bn_pool *pool) {
    bni_large *L = &pool->large;
    size_t released = 0;
    for (bni_arena **pp = &L->arenas; *pp != NULL;) {
        bni_arena *ar = *pp;
        if (!arena_empty(ar)) {
            pp = &ar->next;
            continue;
        }
        bni_lhdr *first = (bni_lhdr *)ar->base;
        size_t gone = 0;
        if (first->flags & BNI_LH_FREE) {
            gone = first->decommitted;
            bin_remove(L, first);
        }
        released += ar->top + pool->hsz - gone;
        L->carved_bytes -= ar->top + pool->hsz;
        *pp = ar->next;
        munmap(ar->base, ar->size);
        bni_free(ar);
    }
    for (int b = 0; b < BNI_NBINS; b++)
        for (bni_lhdr *h = L->bins[b]; h != NULL; h = h->next) released += decommit_block(pool, h);
    return released;
}

void bni_large_walk(bn_pool *pool, bni_block_visit visit, void *user) {
    for (bni_arena *ar = pool->large.arenas; ar != NULL; ar = ar->next)
        for (bni_lhdr *h = (bni_lhdr *)ar->base; !(h->flags & BNI_LH_SENTINEL); h = next_phys(h))
            if (!(h->flags & BNI_LH_FREE)) visit(user, h->requested, h->tag, h->file, h->line);
    for (bni_lhdr *h = pool->large.direct; h != NULL; h = h->next)
        visit(user, h->requested, h->tag, h->file, h->line);
}

void bni_large_free_info(bn_pool *pool, size_t *max_free) {
    size_t best = 0;
    for (int b = BNI_NBINS - 1; b >= 0 && best == 0; b--)
        for (bni_lhdr *h = pool->large.bins[b]; h != NULL; h = h->next)
            if (h->size > best) best = h->size;
    *max_free = best;
}

void bni_large_destroy(bn_pool *pool) {
    bni_arena *ar = pool->large.arenas;
    while (ar != NULL) {
        bni_arena *next = ar->next;
        munmap(ar->base, ar->size);
        bni_free(ar);
        ar = next;
    }
    bni_lhdr *h = pool->large.direct;
    while (h != NULL) {
        bni_lhdr *next = h->next;
        munmap(h, h->size);
        h = next;
    }
    pool->large.arenas = NULL;
    pool->large.direct = NULL;
}
