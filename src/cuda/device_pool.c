/* The caching CUDA allocator: one per GPU, shared by the whole process.
 *
 * Why cache: cudaMalloc and cudaFree synchronize the device and cost tens
 * of microseconds; a model's forward pass allocates the same sizes again
 * and again. Freed blocks are kept in bins (512-byte steps below 1 MiB,
 * 1 MiB steps above) and handed out again only to an allocation on the
 * same stream: work queued on one stream runs in order, so a block freed
 * after its last kernel was queued can be reused by the next kernel on that
 * stream without waiting (stream-ordered reuse). Blocks cached for other
 * streams are never given out; they go back to the driver when memory runs
 * short (the device is synchronized first) or on bn_device_empty_cache().
 *
 * Accounting mirrors the CPU pool: live and peak requested bytes, bytes
 * reserved from the driver, totals per tag, a hard limit on reserved
 * bytes, and a leak report of the live blocks. One mutex per GPU guards
 * everything; the cost is small next to a kernel launch. */
#include <pthread.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "core/alloc.h"
#include "core/error.h"
#include "cuda/cuda_internal.h"

#define SMALL_LIMIT ((size_t)1 << 20)
#define SMALL_STEP 512u
#define LARGE_STEP ((size_t)1 << 20)
#define NBINS (SMALL_LIMIT / SMALL_STEP)
#define NBUCKETS 4096
#define MAX_TAGS 64
#define MAX_GPUS 64

typedef struct dblock {
    void *ptr;
    size_t size;       /* rounded size obtained from the driver */
    size_t requested;  /* what the caller asked for (live blocks) */
    cudaStream_t stream;
    int tag;           /* index into the tag table */
    struct dblock *next;
} dblock;

typedef struct dpool {
    pthread_mutex_t lock;
    int ready;
    int index;
    dblock *bins[NBINS]; /* cached small blocks by size / 512 */
    dblock *large;       /* cached large blocks, ascending size */
    dblock *live[NBUCKETS];
    char *tags[MAX_TAGS];
    size_t tag_bytes[MAX_TAGS], tag_blocks[MAX_TAGS];
    int ntags;
    size_t live_bytes, live_blocks, peak_bytes, reserved, cached, limit;
    uint64_t allocs, hits;
} dpool;

static dpool g_pools[MAX_GPUS];
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;

static dpool *pool_of(int index) {
    dpool *p = &g_pools[index];
    pthread_mutex_lock(&g_init_lock);
    if (!p->ready) {
        pthread_mutex_init(&p->lock, NULL);
        p->index = index;
        p->ready = 1;
    }
    pthread_mutex_unlock(&g_init_lock);
    return p;
}

static size_t round_size(size_t size) {
    if (size == 0) size = 1;
    size_t step = size < SMALL_LIMIT ? SMALL_STEP : LARGE_STEP;
    return (size + step - 1) / step * step;
}

static size_t bucket_of(const void *ptr) { return ((uintptr_t)ptr >> 8) % NBUCKETS; }

/* Index of tag in the table (added when new; the last slot collects the rest). */
static int tag_index(dpool *p, const char *tag) {
    if (tag == NULL) tag = "untagged";
    for (int i = 0; i < p->ntags; i++)
        if (strcmp(p->tags[i], tag) == 0) return i;
    if (p->ntags == MAX_TAGS) return -1;
    size_t n = strlen(tag) + 1;
    char *copy = bni_malloc(n);
    if (copy == NULL) return -2;
    memcpy(copy, tag, n);
    p->tags[p->ntags] = copy;
    return p->ntags++;
}

/* A cached block of at least rsize for stream, unlinked; NULL if none. */
static dblock *take_cached(dpool *p, size_t rsize, cudaStream_t stream) {
    dblock **link;
    if (rsize < SMALL_LIMIT) {
        link = &p->bins[rsize / SMALL_STEP];
        for (; *link; link = &(*link)->next)
            if ((*link)->stream == stream) break;
    } else {
        /* Best fit among the large blocks, wasting at most 1/8 + 1 MiB. */
        size_t most = rsize + rsize / 8 + LARGE_STEP;
        for (link = &p->large; *link; link = &(*link)->next)
            if ((*link)->size >= rsize && (*link)->stream == stream) break;
        if (*link && (*link)->size > most) return NULL;
    }
    dblock *b = *link;
    if (b == NULL) return NULL;
    *link = b->next;
    p->cached -= b->size;
    return b;
}

static void put_cached(dpool *p, dblock *b) {
    if (b->size < SMALL_LIMIT) {
        b->next = p->bins[b->size / SMALL_STEP];
        p->bins[b->size / SMALL_STEP] = b;
    } else {
        dblock **link = &p->large;
        while (*link && (*link)->size < b->size) link = &(*link)->next;
        b->next = *link;
        *link = b;
    }
    p->cached += b->size;
}

/* Give every cached block back to the driver (caller holds the lock). */
static size_t empty_cache_locked(dpool *p) {
    size_t freed = 0;
    if (p->cached == 0) return 0;
    cudaSetDevice(p->index);
    cudaDeviceSynchronize(); /* blocks of other streams may still be in use */
    for (size_t i = 0; i <= NBINS; i++) {
        dblock **head = i < NBINS ? &p->bins[i] : &p->large;
        while (*head) {
            dblock *b = *head;
            *head = b->next;
            cudaFree(b->ptr);
            freed += b->size;
            bni_free(b);
        }
    }
    p->reserved -= freed;
    p->cached = 0;
    (void)cudaGetLastError();
    return freed;
}

static bn_status fresh_block(dpool *p, size_t rsize, size_t size, void **out) {
    if (p->limit && p->reserved + rsize > p->limit) {
        empty_cache_locked(p);
        if (p->reserved + rsize > p->limit)
            return bni_error(BN_ERR_OUT_OF_MEMORY,
                             "bn_device_alloc: cuda:%d: hard limit %zu bytes would be passed: %zu reserved, %zu "
                             "requested",
                             p->index, p->limit, p->reserved, size);
    }
    cudaError_t e = cudaMalloc(out, rsize);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        empty_cache_locked(p);
        e = cudaMalloc(out, rsize);
    }
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_alloc: cuda:%d: cannot allocate %zu bytes (%zu reserved): %s",
                         p->index, size, p->reserved, cudaGetErrorString(e));
    }
    p->reserved += rsize;
    return BN_OK;
}

/* The pool of a valid GPU, locked (the caller unlocks p->lock). */
static bn_status lock_pool(const char *fn, int index, dpool **out) {
    bn_status st = bni_cuda_check_index(fn, index);
    if (st != BN_OK) return st;
    *out = pool_of(index);
    pthread_mutex_lock(&(*out)->lock);
    return BN_OK;
}

bn_status bni_cuda_alloc(int index, size_t size, const char *tag, void *stream, void **ptr) {
    bn_status st = bni_cuda_set_device("bn_device_alloc", index);
    if (st != BN_OK) return st;
    if (stream == NULL && (st = bni_cuda_stream(index, &stream)) != BN_OK) return st;
    if (size > ((size_t)1 << 46))
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_alloc: cuda:%d: %zu bytes is more than any GPU has", index,
                         size);
    dpool *p = pool_of(index);
    size_t rsize = round_size(size);
    pthread_mutex_lock(&p->lock);
    int t = tag_index(p, tag);
    dblock *b = NULL;
    if (t == -2) {
        st = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_alloc: out of host memory for the tag table");
        goto out;
    }
    if (t < 0) t = MAX_TAGS - 1;
    b = take_cached(p, rsize, (cudaStream_t)stream);
    if (b) {
        p->hits++;
    } else {
        b = bni_malloc(sizeof *b);
        if (b == NULL) {
            st = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_device_alloc: out of host memory for the block record");
            goto out;
        }
        b->size = rsize;
        if ((st = fresh_block(p, rsize, size, &b->ptr)) != BN_OK) {
            bni_free(b);
            goto out;
        }
    }
    b->requested = size;
    b->stream = (cudaStream_t)stream;
    b->tag = t;
    size_t h = bucket_of(b->ptr);
    b->next = p->live[h];
    p->live[h] = b;
    p->live_bytes += size;
    p->live_blocks++;
    if (p->live_bytes > p->peak_bytes) p->peak_bytes = p->live_bytes;
    p->tag_bytes[t] += size;
    p->tag_blocks[t]++;
    p->allocs++;
    *ptr = b->ptr;
out:
    pthread_mutex_unlock(&p->lock);
    return st;
}

bn_status bni_cuda_release(int index, void *ptr) {
    dpool *p;
    bn_status st = lock_pool("bn_device_release", index, &p);
    if (st != BN_OK) return st;
    dblock **link = &p->live[bucket_of(ptr)];
    while (*link && (*link)->ptr != ptr) link = &(*link)->next;
    dblock *b = *link;
    if (b == NULL) {
        pthread_mutex_unlock(&p->lock);
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_device_release: %p is not a live block of cuda:%d", ptr, index);
    }
    *link = b->next;
    p->live_bytes -= b->requested;
    p->live_blocks--;
    p->tag_bytes[b->tag] -= b->requested;
    p->tag_blocks[b->tag]--;
    put_cached(p, b);
    pthread_mutex_unlock(&p->lock);
    return BN_OK;
}

bn_status bni_cuda_memory_stats(int index, bn_device_memory_stats *stats) {
    dpool *p;
    bn_status st = lock_pool("bn_device_get_memory_stats", index, &p);
    if (st != BN_OK) return st;
    stats->live_bytes = p->live_bytes;
    stats->live_blocks = p->live_blocks;
    stats->peak_bytes = p->peak_bytes;
    stats->reserved_bytes = p->reserved;
    stats->cached_bytes = p->cached;
    stats->hard_limit = p->limit;
    stats->allocs = p->allocs;
    stats->cache_hits = p->hits;
    pthread_mutex_unlock(&p->lock);
    return BN_OK;
}

bn_status bni_cuda_tag_usage(int index, const char *tag, size_t *bytes, size_t *blocks) {
    if (tag == NULL) tag = "untagged";
    size_t by = 0, bl = 0;
    dpool *p;
    bn_status st = lock_pool("bn_device_tag_usage", index, &p);
    if (st != BN_OK) return st;
    for (int i = 0; i < p->ntags; i++)
        if (strcmp(p->tags[i], tag) == 0) {
            by = p->tag_bytes[i];
            bl = p->tag_blocks[i];
        }
    pthread_mutex_unlock(&p->lock);
    *bytes = by;
    if (blocks) *blocks = bl;
    return BN_OK;
}

bn_status bni_cuda_set_limit(int index, size_t bytes) {
    dpool *p;
    bn_status st = lock_pool("bn_device_set_memory_limit", index, &p);
    if (st != BN_OK) return st;
    p->limit = bytes;
    if (bytes && p->reserved > bytes) empty_cache_locked(p);
    pthread_mutex_unlock(&p->lock);
    return BN_OK;
}

bn_status bni_cuda_empty_cache(int index, size_t *released) {
    dpool *p;
    bn_status st = lock_pool("bn_device_empty_cache", index, &p);
    if (st != BN_OK) return st;
    size_t n = empty_cache_locked(p);
    pthread_mutex_unlock(&p->lock);
    if (released) *released = n;
    return BN_OK;
}

bn_status bni_cuda_leak_report(int index, FILE *stream, size_t *live_blocks) {
    dpool *p;
    bn_status st = lock_pool("bn_device_leak_report", index, &p);
    if (st != BN_OK) return st;
    if (stream && p->live_blocks)
        fprintf(stream, "bitnet: cuda:%d: %zu live block(s), %zu bytes\n", index, p->live_blocks, p->live_bytes);
    for (size_t h = 0; stream && h < NBUCKETS; h++)
        for (const dblock *b = p->live[h]; b; b = b->next)
            fprintf(stream, "  %p  %zu bytes  tag %s\n", b->ptr, b->requested, p->tags[b->tag]);
    if (live_blocks) *live_blocks = p->live_blocks;
    pthread_mutex_unlock(&p->lock);
    return BN_OK;
}
