/* bench_pool: allocate+release latency of the bitnet pool against glibc,
 * jemalloc and mimalloc, and the pool's memory overhead on a model-like mix.
 *
 *   bench_pool [--json] [--reps N] [--filter S] [--quick]
 *
 * Latency: each thread runs its own loop; a timed sample is a batch of
 * pairs (64 for sizes up to 64 KiB, 1 above) and the figure is the sample
 * time divided by the batch, so p50/p99 are per pair. Patterns: "pair"
 * (allocate then release at once: the hot slot) and "hold100" (allocate 100
 * blocks, then release them in allocation order).
 *
 * jemalloc and mimalloc are called through their own entry points
 * (mallocx/dallocx, mi_malloc/mi_free) without replacing malloc process-wide:
 * mimalloc is loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), jemalloc comes
 * from a shim library that hides its malloc (see pool.cmake). Every allocator,
 * glibc included, is called through a function pointer, so all pay the same
 * indirect call; bitnet's goes through a two-line wrapper.
 *
 * Overhead: weights (10-50 MiB tensors, ~320 MiB), activations (1-8 MiB)
 * and 20000 metadata blocks (16 B - 4 KiB), every byte written. bitnet:
 * reserved_bytes / requested_bytes - 1 from its statistics; glibc:
 * mallinfo2 (arena + mmapped) growth; jemalloc: stats.mapped growth; for
 * every allocator also the resident-set growth (VmRSS) / requested - 1. */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitnet/memory.h"
#include "harness.h"

/* ---- allocators ------------------------------------------------------------------- */

typedef struct allocator {
    const char *name;
    void *(*alloc)(void *ctx, size_t size);
    void (*release)(void *ctx, void *p);
    void *ctx;
    int ok;
} allocator;

static void *bitnet_alloc(void *ctx, size_t size) {
    void *p = NULL;
    return bn_pool_alloc((bn_pool *)ctx, size, NULL, &p) == BN_OK ? p : NULL;
}
static void bitnet_release(void *ctx, void *p) { bn_pool_release((bn_pool *)ctx, p); }

static void *glibc_alloc(void *ctx, size_t size) { return malloc(size); }
static void glibc_release(void *ctx, void *p) { free(p); }

static void *(*je_mallocx)(size_t, int);
static void (*je_dallocx)(void *, int);
static int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
static void *je_alloc(void *ctx, size_t size) { return je_mallocx(size, 0); }
static void je_release(void *ctx, void *p) { je_dallocx(p, 0); }

static void *(*mi_malloc_fn)(size_t);
static void (*mi_free_fn)(void *);
static void *mi_alloc(void *ctx, size_t size) { return mi_malloc_fn(size); }
static void mi_release(void *ctx, void *p) { mi_free_fn(p); }

#ifdef BNB_JEMALLOC_SHIM /* pool_jemalloc_shim.c */
void *bnb_je_mallocx(size_t size, int flags);
void bnb_je_dallocx(void *ptr, int flags);
int bnb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
#endif

#ifdef BNB_MIMALLOC_PATH
static void *load(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (h == NULL) fprintf(stderr, "bench_pool: cannot load %s: %s (skipped)\n", path, dlerror());
    return h;
}
#endif

enum { A_BITNET, A_GLIBC, A_JEMALLOC, A_MIMALLOC, NALLOC };

static void setup_allocators(allocator *a, bn_pool *pool) {
    a[A_BITNET] = (allocator){"bitnet", bitnet_alloc, bitnet_release, pool, 1};
    a[A_GLIBC] = (allocator){"glibc", glibc_alloc, glibc_release, NULL, 1};
    a[A_JEMALLOC] = (allocator){"jemalloc", je_alloc, je_release, NULL, 0};
    a[A_MIMALLOC] = (allocator){"mimalloc", mi_alloc, mi_release, NULL, 0};
#ifdef BNB_JEMALLOC_SHIM
    je_mallocx = bnb_je_mallocx;
    je_dallocx = bnb_je_dallocx;
    je_mallctl = bnb_je_mallctl;
    a[A_JEMALLOC].ok = 1;
#endif
#ifdef BNB_MIMALLOC_PATH
    void *mi = load(BNB_MIMALLOC_PATH);
    if (mi != NULL) {
        *(void **)&mi_malloc_fn = dlsym(mi, "mi_malloc");
        *(void **)&mi_free_fn = dlsym(mi, "mi_free");
        a[A_MIMALLOC].ok = mi_malloc_fn != NULL && mi_free_fn != NULL;
    }
#endif
}

/* ---- timing ---------------------------------------------------------------------------- */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

enum { HOLD = 100 };

typedef struct job {
    const allocator *a;
    size_t size;
    int batch, samples, hold;
    double *out; /* seconds per pair */
    pthread_barrier_t *start;
    int failed;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    const allocator *a = j->a;
    void *held[HOLD];
    pthread_barrier_wait(j->start);
    for (int s = -j->samples / 10; s < j->samples; s++) { /* the first tenth warms up */
        int64_t t0 = now_ns();
        if (j->hold) {
            for (int i = 0; i < HOLD; i++) held[i] = a->alloc(a->ctx, j->size);
            for (int i = 0; i < HOLD; i++) {
                if (held[i] == NULL) j->failed = 1;
                a->release(a->ctx, held[i]);
            }
        } else {
            for (int i = 0; i < j->batch; i++) {
                void *p = a->alloc(a->ctx, j->size);
                KEEP(p);
                if (p == NULL) j->failed = 1;
                a->release(a->ctx, p);
            }
        }
        int64_t t1 = now_ns();
        if (s >= 0) j->out[s] = (double)(t1 - t0) * 1e-9 / (j->hold ? HOLD : j->batch);
    }
    return NULL;
}

static double pct(const double *sorted, int n, double q) {
    int i = (int)(q * (n - 1) + 0.5);
    return sorted[i];
}

static int cmp_d(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void latency(bnb_options *opt, const allocator *a, size_t size, int threads, int hold, int quick) {
    int small = size <= BN_POOL_SMALL_MAX;
    int samples = small ? 4000 : size <= ((size_t)4 << 20) ? 1000 : 200;
    if (hold) samples = small ? 600 : size <= ((size_t)4 << 20) ? 40 : 10;
    samples = samples * (opt->reps > 0 ? opt->reps : 15) / 15;
    if (quick) samples = samples / 4 + 8;
    job jobs[2];
    pthread_t tid[2];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    double *all = malloc((size_t)threads * (size_t)samples * sizeof *all);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){a, size, small ? 64 : 1, samples, hold, all + (size_t)t * samples, &start, 0};
        pthread_create(&tid[t], NULL, run_job, &jobs[t]);
    }
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        failed |= jobs[t].failed;
    }
    pthread_barrier_destroy(&start);
    int n = threads * samples;
    qsort(all, (size_t)n, sizeof *all, cmp_d);
    double p50 = pct(all, n, 0.50) * 1e9, p99 = pct(all, n, 0.99) * 1e9;
    bnb_result r = bnb_summarize(all, n);
    char name[64];
    snprintf(name, sizeof name, "pool/%s", hold ? "hold100" : "pair");
    bnb_field f[6] = {BNB_TXT("allocator", a->name), BNB_NUM("size", size), BNB_NUM("threads", threads),
                      BNB_NUM("p50_ns", p50), BNB_NUM("p99_ns", p99), BNB_NUM("failed", failed)};
    bnb_report(opt, name, &r, f, 6);
    free(all);
}

/* ---- overhead on a model-like mix --------------------------------------------------------- */

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return (size_t)rss * 4096;
}

static size_t je_mapped(void) {
    if (je_mallctl == NULL) return 0;
    uint64_t epoch = 1;
    size_t sz = sizeof epoch, mapped = 0;
    je_mallctl("epoch", &epoch, &sz, &epoch, sz);
    sz = sizeof mapped;
    return je_mallctl("stats.mapped", &mapped, &sz, NULL, 0) == 0 ? mapped : 0;
}

static size_t glibc_reserved(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.arena + mi.hblkhd;
}

typedef struct mix {
    size_t *sizes;
    int n;
    size_t requested;
} mix;

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Weights, activations and metadata interleaved as a model load would. */
static mix make_mix(void) {
    enum { NMETA = 20000, MAXN = NMETA + 200 };
    mix m = {malloc(MAXN * sizeof(size_t)), 0, 0};
    size_t weights = 0;
    int meta = 0;
    while (weights < ((size_t)320 << 20)) {
        size_t w = ((size_t)10 << 20) + rnd() % ((size_t)40 << 20);
        m.sizes[m.n++] = w;
        weights += w;
        for (int k = 0; k < 1000 && meta < NMETA; k++, meta++) {
            size_t lo = (size_t)16 << (rnd() % 8); /* log-uniform 16 B - 4 KiB */
            m.sizes[m.n++] = lo + rnd() % lo;
        }
    }
    for (int i = 0; i < 24; i++) m.sizes[m.n++] = ((size_t)1 << 20) + rnd() % ((size_t)7 << 20);
    for (; meta < NMETA; meta++) m.sizes[m.n++] = 16 + rnd() % 4080;
    for (int i = 0; i < m.n; i++) m.requested += m.sizes[i];
    return m;
}

static void overhead(bnb_options *opt, allocator *a, const mix *m) {
    void **ptrs = calloc((size_t)m->n, sizeof *ptrs);
    size_t rss0 = rss_bytes(), own0 = a->ctx == NULL ? (a->alloc == glibc_alloc ? glibc_reserved() : je_mapped()) : 0;
    for (int i = 0; i < m->n; i++) {
        ptrs[i] = a->alloc(a->ctx, m->sizes[i]);
        if (ptrs[i] != NULL) memset(ptrs[i], 0x5A, m->sizes[i]);
    }
    double rss_over = (double)(rss_bytes() - rss0) / (double)m->requested - 1.0;
    double own = -1.0;
    if (a->alloc == bitnet_alloc) {
        bn_pool_stats st;
        bn_pool_get_stats((bn_pool *)a->ctx, &st);
        own = (double)st.reserved_bytes / (double)st.requested_bytes - 1.0;
    } else if (a->alloc == glibc_alloc) {
        own = (double)(glibc_reserved() - own0) / (double)m->requested - 1.0;
    } else if (a->alloc == je_alloc && je_mallctl != NULL) {
        own = (double)(je_mapped() - own0) / (double)m->requested - 1.0;
    }
    for (int i = 0; i < m->n; i++) a->release(a->ctx, ptrs[i]);
    free(ptrs);
    bnb_result r;
    memset(&r, 0, sizeof r);
    bnb_field f[4] = {BNB_TXT("allocator", a->name), BNB_NUM("rss_overhead", rss_over),
                      BNB_NUM("requested_mib", (double)m->requested / 1048576.0), BNB_NUM("overhead", own)};
    bnb_report(opt, "pool/overhead", &r, f, own < -0.5 ? 3 : 4); /* no own figure: leave "overhead" out */
}

int main(int argc, char **argv) {
    bnb_options opt;
    int first = bnb_parse_args(&opt, argc, argv);
    if (first < 0) return 2;
    int quick = 0;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else {
            fprintf(stderr, "bench_pool: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    bn_pool *pool = NULL;
    if (bn_pool_new(NULL, &pool) != BN_OK) {
        fprintf(stderr, "bench_pool: %s\n", bn_last_error());
        return 1;
    }
    allocator a[NALLOC];
    setup_allocators(a, pool);

    if (bnb_selected(&opt, "pool/overhead")) {
        mix m = make_mix();
        for (int k = 0; k < NALLOC; k++) {
            if (!a[k].ok) continue;
            allocator ak = a[k];
            bn_pool *fresh = NULL;
            if (k == A_BITNET) {
                bn_pool_new(NULL, &fresh);
                ak.ctx = fresh;
            }
            overhead(&opt, &ak, &m);
            bn_pool_free(fresh);
        }
        free(m.sizes);
    }

    static const size_t sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
    for (int hold = 0; hold <= 1; hold++) {
        if (!bnb_selected(&opt, hold ? "pool/hold100" : "pool/pair")) continue;
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            if (hold && sizes[s] > ((size_t)4 << 20)) continue;
            for (int threads = 1; threads <= 2; threads++)
                for (int k = 0; k < NALLOC; k++)
                    if (a[k].ok) latency(&opt, &a[k], sizes[s], threads, hold, quick);
        }
    }
    bn_pool_free(pool);
    return bnb_finish(&opt);
}
