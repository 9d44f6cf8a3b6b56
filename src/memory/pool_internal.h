/* Internal: the hybrid memory pool's data structures.
 *
 * Small blocks (<= BN_POOL_SMALL_MAX) live in spans carved out of one big
 * virtual reserve; each thread has a heap that owns spans and hands out
 * their slots without locks. Large blocks live best-fit in arenas under the
 * pool mutex; the biggest ones are mapped from the OS one by one.
 * See pool.c (API, accounting, pressure), pool_small.c and pool_large.c. */
#ifndef BITNET_MEMORY_POOL_INTERNAL_H
#define BITNET_MEMORY_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "bitnet/memory.h"

#define BNI_PAGE_SHIFT 16 /* the small reserve is managed in 64 KiB pages */
#define BNI_PAGE_SIZE ((size_t)1 << BNI_PAGE_SHIFT)
#define BNI_BIG_SPAN_PAGES 8       /* spans of classes above 4 KiB: 512 KiB */
#define BNI_SMALL_SPAN_CLASS_MAX 4096
#define BNI_MAX_CLASSES 96
#define BNI_FLUSH_BYTES ((int64_t)64 * 1024) /* per-heap slack of the pool-wide total */
#define BNI_TAG_CACHE 8
#define BNI_TAG_LEN 32
#define BNI_TAG_UNTAGGED 0
#define BNI_TAG_OTHER (BN_POOL_MAX_TAGS - 1)
#define BNI_RECIP_SHIFT 40 /* slot index = (offset * recip) >> 40, exact for offset * size < 2^40 */
#define BNI_NBINS 256      /* large free bins: 32 powers of two from 64 KiB, 8 steps each */

/* Counters that only one thread writes (plain load + store, never a
 * read-modify-write) and others read: relaxed atomics keep that race-free
 * at the cost of ordinary moves. */
typedef _Atomic int64_t bni_counter;

static inline int64_t bni_cget(const bni_counter *c) {
    return atomic_load_explicit((bni_counter *)c, memory_order_relaxed);
}
static inline void bni_cadd(bni_counter *c, int64_t v) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

/* ---- small blocks ---------------------------------------------------------- */

/* One word per slot: the requested size (low 32 bits), the tag (bits 32..47)
 * and the live bit (bit 63); 0 for a free slot. The owner writes it with
 * plain moves (relaxed atomics), statistics and the leak report read it. */
typedef _Atomic uint64_t bni_meta;
#define BNI_META_LIVE ((uint64_t)1 << 63)
static inline uint64_t bni_meta_make(size_t requested, int tag) {
    return (uint64_t)requested | (uint64_t)tag << 32 | BNI_META_LIVE;
}
static inline uint32_t bni_meta_requested(uint64_t m) { return (uint32_t)m; }
static inline int bni_meta_tag(uint64_t m) { return (int)((m >> 32) & 0xffff); }

typedef struct bni_site {
    const char *file;
    int line;
} bni_site;

enum { BNI_SPAN_FREE, BNI_SPAN_CURRENT, BNI_SPAN_PARTIAL, BNI_SPAN_FULL };
enum { BNI_FULL_NO, BNI_FULL_YES, BNI_FULL_QUEUED };

struct bni_heap;

typedef struct bni_span {
    /* hot: the allocation fast path reads these */
    void *free;             /* local free list (next pointer in the slot) */
    char *bump, *end;       /* slots never handed out: [bump, end) */
    char *start;
    uint64_t recip;
    bni_meta *meta;         /* nslots + 1 words: the last, never live, catches the tail */
    /* the owner heap's key while this is its current span, else BNI_KEY_NONE:
     * a release whose thread's key matches takes the fast path (read by any
     * thread) */
    _Atomic uint64_t hot_key;
    int64_t slot_size;      /* 64-bit: the fast paths add it to a heap's avail as is */
    uint32_t used;          /* slots out, as the owner knows it */
    bni_site *sites;        /* NULL unless the pool tracks sites */
    /* cold */
    uint32_t nslots, cls, npages, where, meta_cap, committed;
    struct bni_heap *owner;
    struct bni_span *next, *prev; /* heap partial/full list, or pool free list */
    _Atomic(void *) remote;       /* slots released by other threads (push-only stack) */
    _Atomic int full_state;       /* BNI_FULL_*: tells remote releasers to queue a full span */
    struct bni_span *remote_next; /* link in owner->remote_spans */
} bni_span;

typedef struct bni_tag_cache {
    const char *ptr;
    uint32_t id;
} bni_tag_cache;

/* One thread's view of one pool. Counters are net: a block released on
 * another thread is counted there, so one heap may go negative.
 *
 * Small blocks are counted by one counter per allocation (small_allocs)
 * and the flush headroom (avail); everything else about them (in-use and
 * requested bytes, live blocks per class and per tag, releases) is read
 * from the slots' meta words when statistics are asked for, so the fast
 * paths write nothing shared. The other counters are for large blocks. */
typedef struct bni_heap {
    /* hot */
    /* BNI_FLUSH_BYTES - pending, where pending is the in-use change not yet
     * added to pool->in_use_total: an allocation that would take it below 0
     * or a release that would take it above 2 * BNI_FLUSH_BYTES flushes */
    int64_t avail;
    bni_counter small_allocs;
    bni_span *cur[BNI_MAX_CLASSES]; /* never NULL: &bni_empty_span when none */
    /* cold */
    bn_pool *pool;
    uint64_t key; /* unique over all heaps of all pools, never 0 */
    int untagged_seen;
    bni_tag_cache tagc[BNI_TAG_CACHE];
    bni_counter requested, allocs, frees, large_in_use;
    bni_counter tag_bytes[BN_POOL_MAX_TAGS];
    bni_counter tag_blocks[BN_POOL_MAX_TAGS];
    bni_span *partial[BNI_MAX_CLASSES];
    bni_span *full;
    _Atomic(bni_span *) remote_spans; /* full spans that got a remote release */
    struct bni_heap *next_all, *next_abandoned;
} bni_heap;

/* hot_key of a span that is no heap's current span; heap keys count up from
 * 1, and a thread without a heap has key 0. */
#define BNI_KEY_NONE UINT64_MAX

/* The current span of a class that has none: no free slot, never written. */
extern bni_span bni_empty_span;

/* ---- large blocks ---------------------------------------------------------- */

enum { BNI_LH_FREE = 1, BNI_LH_SENTINEL = 2, BNI_LH_DIRECT = 4 };
#define BNI_LH_MAGIC 0xB17B10C5u

/* Header right before a large block's user pointer (the header slot is
 * max(alignment, 64) bytes; this struct fills its first 64). */
typedef struct bni_lhdr {
    uint32_t magic;
    uint16_t tag;
    uint16_t flags;
    uint64_t size;      /* whole block, header included */
    uint64_t prev_size; /* physical predecessor's size; 0 = first in its arena */
    union {
        uint64_t requested;   /* live block */
        uint64_t decommitted; /* free block: bytes given back by trim */
    };
    const char *file;
    int32_t line;
    uint32_t pad;
    struct bni_lhdr *next, *prev; /* free bin, or the direct-map list */
} bni_lhdr;

typedef struct bni_arena {
    char *base;
    size_t size; /* mapped */
    size_t top;  /* carved: blocks in [base, base+top), the sentinel header at top */
    struct bni_arena *next;
} bni_arena;

typedef struct bni_large {
    bni_lhdr *bins[BNI_NBINS];
    uint64_t bitmap[BNI_NBINS / 64];
    bni_arena *arenas;
    bni_lhdr *direct;
    size_t carved_bytes;      /* sum of arena top + sentinel */
    size_t direct_bytes;      /* mapped by direct maps */
    size_t free_bytes;        /* free blocks inside arenas */
    size_t decommitted_bytes; /* of those, given back by trim */
} bni_large;

/* ---- the pool ----------------------------------------------------------------- */

struct bn_pool {
    /* read-only after creation; the fast paths read these */
    uint64_t gen;
    size_t align;
    char *small_base;
    size_t small_size;
    /* bytes of the reserve carved into spans (grows only; written under the
     * lock after the pagemap entries): every page below it maps to a span,
     * so a pointer below it needs no NULL check of its span */
    _Atomic size_t small_carved;
    _Atomic(bni_span *) *pagemap;
    size_t pagemap_bytes;
    int nclasses;
    int track_sites;
    uint32_t class_size[BNI_MAX_CLASSES];
    uint8_t class_of[(BN_POOL_SMALL_MAX >> 4) + 1]; /* index (size + 15) >> 4 */
    pthread_key_t key;
    size_t hsz; /* large header slot */
    size_t page;
    size_t direct_map_threshold, arena_size;
    int report_leaks;
    FILE *leak_stream;
    double thresholds[4];

    /* pool-wide accounting */
    _Atomic int64_t in_use_total;
    _Atomic int64_t peak;
    _Atomic size_t hard_limit, soft_limit;
    _Atomic int pressure;
    _Atomic uint64_t failed;

    /* under lock */
    pthread_mutex_t lock;
    bn_pressure_fn pressure_fn;
    void *pressure_user;
    bni_heap *heaps, *abandoned;
    bni_heap orphan; /* counts releases by threads that could not get a heap */
    size_t small_pages_used, small_committed;
    bni_span *free_spans[2]; /* [0] one-page spans, [1] big spans */
    bni_large large;

    /* tags: names[i] is written before ntags is raised past i (release) */
    _Atomic int ntags;
    char tag_names[BN_POOL_MAX_TAGS][BNI_TAG_LEN];
    int tag_order[BN_POOL_MAX_TAGS];
    int norder;
};

/* ---- pool.c ---------------------------------------------------------------------- */
int bni_pool_add_in_use(bn_pool *pool, int64_t delta); /* 0 when the hard limit refuses */
void bni_pool_changed(bn_pool *pool);                  /* peak + pressure, no lock held */
bn_status bni_limit_error(bn_pool *pool, const char *fn, size_t extra, size_t size);

/* ---- pool_small.c ------------------------------------------------------------------ */
int bni_small_init(bn_pool *pool);
void bni_small_destroy(bn_pool *pool);
int bni_heap_key_create(bn_pool *pool); /* the key whose destructor abandons a heap */
bni_heap *bni_heap_get_slow(bn_pool *pool, int create);
void bni_tl_set(bn_pool *pool, bni_heap *h); /* cache h as this thread's heap for pool */
/* BN_OK, BN_ERR_OUT_OF_MEMORY (message set), or BN_ERR_NOT_SUPPORTED when the
 * small reserve is used up (serve it as a large block; no message). */
bn_status bni_small_alloc(bn_pool *pool, bni_heap *h, size_t size, int tag, const char *file, int line,
                          void **ptr);
bn_status bni_small_release(bn_pool *pool, void *ptr); /* any case; see bni_small_release_fast */
bn_status bni_small_block_size(bn_pool *pool, const void *ptr, size_t *size);
size_t bni_small_trim(bn_pool *pool); /* lock held */
/* Live small blocks, summed from the slots' meta words (lock held). */
typedef struct bni_small_sums {
    int64_t in_use, requested, live;
    int64_t class_live[BNI_MAX_CLASSES];
    int64_t tag_bytes[BN_POOL_MAX_TAGS], tag_blocks[BN_POOL_MAX_TAGS];
} bni_small_sums;
void bni_small_sum(bn_pool *pool, bni_small_sums *sums);
typedef void (*bni_block_visit)(void *user, size_t bytes, int tag, const char *file, int line);
void bni_small_walk(bn_pool *pool, bni_block_visit visit, void *user); /* lock held */

/* ---- pool_large.c ------------------------------------------------------------------ */
bn_status bni_large_alloc(bn_pool *pool, bni_heap *h, size_t size, int tag, const char *file, int line,
                          void **ptr);
bn_status bni_large_release(bn_pool *pool, bni_heap *h, void *ptr);
bn_status bni_large_block_size(bn_pool *pool, const void *ptr, size_t *size);
size_t bni_large_trim(bn_pool *pool); /* lock held */
void bni_large_walk(bn_pool *pool, bni_block_visit visit, void *user); /* lock held */
void bni_large_free_info(bn_pool *pool, size_t *max_free); /* lock held */
void bni_large_destroy(bn_pool *pool);

/* ---- inline fast paths ---------------------------------------------------------------- */

/* This thread's cached heap: gen is the pool's generation (unique over all
 * pools ever created, so a pool at a freed pool's address never matches),
 * fast_gen the same value only while this heap may take the untagged fast
 * path (untagged seen, no site tracking), key the heap's key. */
typedef struct bni_tls {
    uint64_t gen, fast_gen, key;
    bni_heap *heap;
} bni_tls;
/* initial-exec: a plain %fs-relative load instead of a __tls_get_addr call
 * on every allocation (the variable is 32 bytes, well within the static TLS
 * surplus glibc keeps for libraries loaded with dlopen). */
#if defined(__GNUC__) || defined(__clang__)
#define BNI_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define BNI_TLS_MODEL
#endif
extern _Thread_local bni_tls bni_tl BNI_TLS_MODEL;

/* Add 1 to a counter only this thread writes. On x86-64 one `incq` to
 * memory (a single store, which other threads read whole); elsewhere, and
 * under ThreadSanitizer, the relaxed load + store of bni_cadd. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BNI_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BNI_TSAN 1
#endif
static inline void bni_cinc(bni_counter *c) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(BNI_TSAN)
    __asm__("incq %0" : "+m"(*(int64_t *)c));
#else
    bni_cadd(c, 1);
#endif
}

/* This thread's heap for pool, creating it when asked (NULL on failure). */
static inline bni_heap *bni_heap_get(bn_pool *pool, int create) {
    if (bni_tl.gen == pool->gen) return bni_tl.heap;
    return bni_heap_get_slow(pool, create);
}

/* ptr lies in the carved part of the small reserve (a pointer elsewhere in
 * the reserve is no live block: the large path reports it). Relaxed: a live
 * block's allocation, and so the carving before it, happened before the
 * caller got the pointer. */
static inline int bni_is_small(bn_pool *pool, const void *ptr) {
    return (uintptr_t)ptr - (uintptr_t)pool->small_base <
           atomic_load_explicit(&pool->small_carved, memory_order_relaxed);
}

/* Slot index of an offset into a span: offset * recip >> 40. The low 40 bits
 * of the product are below 2^24 exactly when the offset is a multiple of the
 * slot size: for offset = i * size they are i * (size - 2^40 mod size) <
 * span bytes <= 2^19; any remainder d >= 1 adds d * recip >= recip > 2^24
 * (size <= 64 KiB) without carrying into bit 40. */
#define BNI_RECIP_FRAC_MASK ((((uint64_t)1 << BNI_RECIP_SHIFT) - 1) & ~(((uint64_t)1 << 24) - 1))
static inline uint32_t bni_slot_index(const bni_span *s, const void *p) {
    return (uint32_t)(((uint64_t)((const char *)p - s->start) * s->recip) >> BNI_RECIP_SHIFT);
}

static inline void *bni_span_pop(bni_span *s) {
    void *b = s->free;
    if (__builtin_expect(b != NULL, 1)) {
        s->free = *(void **)b;
        return b;
    }
    if (s->bump < s->end) {
        b = s->bump;
        s->bump += s->slot_size;
    }
    return b;
}

/* The lock-free common case of an untagged small allocation on a heap
 * cached for this thread without site tracking: a slot of the current span
 * and no flush of the pending in-use delta due. Returns 1 when it
 * allocated, 0 when the slow path must run (nothing changed then). */
__attribute__((always_inline)) static inline int bni_small_try_fast(bn_pool *pool, bni_heap *h, size_t size,
                                                                    void **ptr) {
    bni_span *s = h->cur[pool->class_of[(size + 15) >> 4]];
    int64_t na = h->avail - s->slot_size;
    if (__builtin_expect(na < 0, 0)) return 0;
    void *b = bni_span_pop(s);
    if (__builtin_expect(b == NULL, 0)) return 0;
    h->avail = na;
    atomic_store_explicit(&s->meta[bni_slot_index(s, b)], bni_meta_make(size, BNI_TAG_UNTAGGED),
                          memory_order_relaxed);
    s->used++;
    bni_cinc(&h->small_allocs);
    *ptr = b;
    return 1;
}

/* The common case of a small release: the calling thread's heap owns the
 * span and it is that heap's current span for its class (the hot key
 * matches), the block is live and no flush is due. Everything else, errors
 * included, goes to bni_small_release. */
__attribute__((always_inline)) static inline bn_status bni_small_release_fast(bn_pool *pool, void *ptr,
                                                                          size_t offset) {
    size_t page = offset >> BNI_PAGE_SHIFT; /* offset: ptr - small_base, below small_carved */
    bni_span *s = atomic_load_explicit(&pool->pagemap[page], memory_order_relaxed); /* carved: never NULL */
    if (__builtin_expect(atomic_load_explicit(&s->hot_key, memory_order_relaxed) != bni_tl.key, 0))
        return bni_small_release(pool, ptr);
    uint64_t prod = (uint64_t)((char *)ptr - s->start) * s->recip;
    bni_meta *mp = &s->meta[prod >> BNI_RECIP_SHIFT];
    bni_heap *h = bni_tl.heap;
    int64_t na = h->avail + s->slot_size;
    if (__builtin_expect((prod & BNI_RECIP_FRAC_MASK) != 0 ||
                             !(atomic_load_explicit(mp, memory_order_relaxed) & BNI_META_LIVE) ||
                             na > 2 * BNI_FLUSH_BYTES,
                         0))
        return bni_small_release(pool, ptr);
    atomic_store_explicit(mp, 0, memory_order_relaxed);
    h->avail = na;
    *(void **)ptr = s->free;
    s->free = ptr;
    s->used--;
    return BN_OK;
}

#endif
