/* The memory pool under threads: blocks allocated on one thread and
 * released on another (through a shared queue), threads that exit while
 * their blocks live on (abandoned heaps, adopted by later threads), with
 * contents, overlap and the final statistics checked; statistics are read
 * while the traffic runs (the walk over live slots races with the owners). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/memory.h"
#include "test_util.h"

enum { NTHREADS = 4, OPS = 30000, LOCAL_MAX = 256, QCAP = 1 << 18, SHORT_THREADS = 12 };

typedef struct item {
    unsigned char *p;
    size_t size;
    uint32_t id;
} item;

static bn_pool *g_pool;
static pthread_mutex_t g_qlock = PTHREAD_MUTEX_INITIALIZER;
static item g_queue[QCAP];
static size_t g_qhead, g_qn;
static _Atomic int g_errors;
static _Atomic uint32_t g_next_id;

static const char *const k_tags[3] = {NULL, "weights", "scratch"};

static int q_push(item it) {
    pthread_mutex_lock(&g_qlock);
    int ok = g_qn < QCAP;
    if (ok) g_queue[(g_qhead + g_qn++) % QCAP] = it;
    pthread_mutex_unlock(&g_qlock);
    return ok;
}

static int q_pop(item *it) {
    pthread_mutex_lock(&g_qlock);
    int ok = g_qn > 0;
    if (ok) {
        *it = g_queue[g_qhead];
        g_qhead = (g_qhead + 1) % QCAP;
        g_qn--;
    }
    pthread_mutex_unlock(&g_qlock);
    return ok;
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned char pat(uint32_t id, size_t i) { return (unsigned char)(id * 151u + i * 3u); }
static size_t step(size_t size) { return size <= 2048 ? 1 : 97; }

static size_t random_size(uint64_t *s) {
    uint64_t r = rnd(s) % 1000;
    if (r < 700) return rnd(s) % 513;
    if (r < 950) return rnd(s) % 8193;
    if (r < 995) return rnd(s) % (64 * 1024 + 1);
    return 64 * 1024 + rnd(s) % (512 * 1024);
}

static int new_item(uint64_t *s, item *it) {
    it->size = random_size(s);
    it->id = atomic_fetch_add(&g_next_id, 1);
    void *p = NULL;
    if (bn_pool_alloc(g_pool, it->size, k_tags[it->id % 3], &p) != BN_OK || ((uintptr_t)p & 63) != 0) {
        atomic_fetch_add(&g_errors, 1);
        return 0;
    }
    it->p = p;
    for (size_t i = 0; i < it->size; i += step(it->size)) it->p[i] = pat(it->id, i);
    return 1;
}

static void drop_item(item *it) {
    for (size_t i = 0; i < it->size; i += step(it->size))
        if (it->p[i] != pat(it->id, i)) {
            atomic_fetch_add(&g_errors, 1);
            break;
        }
    if (bn_pool_release(g_pool, it->p) != BN_OK) atomic_fetch_add(&g_errors, 1);
}

typedef struct worker {
    int index;
    item local[LOCAL_MAX];
    int nlocal;
} worker;

static void *mixed_worker(void *arg) {
    worker *w = arg;
    uint64_t s = 0x1234567ull * (uint64_t)(w->index + 1);
    for (int op = 0; op < OPS; op++) {
        uint64_t r = rnd(&s) % 100;
        item it;
        if (r < 35) {
            if (!new_item(&s, &it)) continue;
            if (w->nlocal < LOCAL_MAX) w->local[w->nlocal++] = it;
            else if (!q_push(it)) drop_item(&it);
        } else if (r < 65) {
            if (new_item(&s, &it) && !q_push(it)) drop_item(&it);
        } else if (r < 93) {
            if (q_pop(&it)) drop_item(&it);
        } else if (w->nlocal > 0) {
            int i = (int)(rnd(&s) % (uint64_t)w->nlocal);
            drop_item(&w->local[i]);
            w->local[i] = w->local[--w->nlocal];
        }
    }
    return NULL;
}

/* Allocates, hands every block to the queue, and exits. */
static void *short_worker(void *arg) {
    uint64_t s = 0xABCDEFull + (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 2000; i++) {
        item it;
        if (new_item(&s, &it) && !q_push(it)) drop_item(&it);
    }
    return NULL;
}

static void *drain_worker(void *arg) {
    item it;
    while (q_pop(&it)) drop_item(&it);
    return arg;
}

static _Atomic int g_stop_stats;

static void count_tag(const char *tag, size_t bytes, size_t blocks, void *user) {
    (void)tag, (void)bytes, (void)blocks;
    ++*(int *)user;
}

/* Reads every statistic over and over until told to stop. */
static void *stats_reader(void *arg) {
    long rounds = 0;
    while (!atomic_load(&g_stop_stats) || rounds == 0) {
        bn_pool_stats st;
        size_t bytes, blocks, live;
        int ntags = 0;
        if (bn_pool_get_stats(g_pool, &st) != BN_OK || st.total_allocs < st.total_frees)
            atomic_fetch_add(&g_errors, 1);
        if (bn_pool_tag_usage(g_pool, "weights", &bytes, &blocks) != BN_OK) atomic_fetch_add(&g_errors, 1);
        if (bn_pool_class_info(g_pool, (int)(rounds % bn_pool_class_count(g_pool)), NULL, &live) != BN_OK)
            atomic_fetch_add(&g_errors, 1);
        if (bn_pool_for_each_tag(g_pool, count_tag, &ntags) != BN_OK) atomic_fetch_add(&g_errors, 1);
        rounds++;
    }
    *(long *)arg = rounds;
    return NULL;
}

static int cmp_item(const void *a, const void *b) {
    const item *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* All live blocks (workers' local ones and the queue) are disjoint. */
static int no_overlap(worker *w) {
    size_t n = g_qn;
    for (int t = 0; t < NTHREADS; t++) n += (size_t)w[t].nlocal;
    item *all = malloc((n + 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < g_qn; i++) all[k++] = g_queue[(g_qhead + i) % QCAP];
    for (int t = 0; t < NTHREADS; t++)
        for (int i = 0; i < w[t].nlocal; i++) all[k++] = w[t].local[i];
    qsort(all, k, sizeof *all, cmp_item);
    int ok = 1;
    for (size_t i = 1; i < k; i++) {
        size_t bs = 0;
        if (bn_pool_block_size(g_pool, all[i - 1].p, &bs) != BN_OK || all[i - 1].p + bs > all[i].p) ok = 0;
    }
    free(all);
    return ok;
}

static void run(void *(*fn)(void *), void **args, int n) {
    pthread_t t[SHORT_THREADS];
    for (int i = 0; i < n; i++) CHECK(pthread_create(&t[i], NULL, fn, args[i]) == 0);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

int main(void) {
    CHECK_OK(bn_pool_new(NULL, &g_pool));
    static worker w[NTHREADS];
    void *args[SHORT_THREADS];

    /* phase 1: mixed cross-thread traffic, statistics read meanwhile */
    for (int i = 0; i < NTHREADS; i++) {
        w[i].index = i;
        args[i] = &w[i];
    }
    pthread_t reader;
    long rounds = 0;
    CHECK(pthread_create(&reader, NULL, stats_reader, &rounds) == 0);
    run(mixed_worker, args, NTHREADS);
    atomic_store(&g_stop_stats, 1);
    pthread_join(reader, NULL);
    CHECK(rounds > 0);
    CHECK(atomic_load(&g_errors) == 0);
    CHECK(no_overlap(w));

    /* phase 2: threads that exit with their blocks alive elsewhere; the
     * next (new) threads adopt the abandoned heaps */
    for (int i = 0; i < SHORT_THREADS; i++) args[i] = (void *)(uintptr_t)i;
    run(short_worker, args, SHORT_THREADS);
    for (int i = 0; i < NTHREADS; i++) args[i] = &w[i];
    run(mixed_worker, args, NTHREADS);
    CHECK(atomic_load(&g_errors) == 0);
    CHECK(no_overlap(w));

    bn_pool_stats st;
    CHECK_OK(bn_pool_get_stats(g_pool, &st));
    size_t live = g_qn;
    for (int t = 0; t < NTHREADS; t++) live += (size_t)w[t].nlocal;
    CHECK(st.live_blocks == live);

    /* phase 3: everything is released by fresh threads */
    for (int t = 0; t < NTHREADS; t++) {
        for (int i = 0; i < w[t].nlocal; i++) CHECK(q_push(w[t].local[i]));
        w[t].nlocal = 0;
    }
    run(drain_worker, args, NTHREADS);
    CHECK(atomic_load(&g_errors) == 0);
    CHECK(g_qn == 0);

    CHECK_OK(bn_pool_get_stats(g_pool, &st));
    CHECK(st.live_blocks == 0);
    CHECK(st.in_use_bytes == 0);
    CHECK(st.requested_bytes == 0);
    CHECK(st.total_allocs == st.total_frees);
    CHECK(st.total_allocs >= (uint64_t)NTHREADS * OPS / 2);
    for (int t = 0; t < 3; t++) {
        size_t bytes = 1, blocks = 1;
        CHECK_OK(bn_pool_tag_usage(g_pool, k_tags[t], &bytes, &blocks));
        CHECK(bytes == 0 && blocks == 0);
    }
    for (int c = 0; c < bn_pool_class_count(g_pool); c++) {
        size_t lv = 1;
        CHECK_OK(bn_pool_class_info(g_pool, c, NULL, &lv));
        CHECK(lv == 0);
    }
    size_t released = 0;
    CHECK_OK(bn_pool_trim(g_pool, &released));
    size_t n_live = 1;
    FILE *f = tmpfile();
    CHECK_OK(bn_pool_leak_report(g_pool, f, &n_live));
    CHECK(n_live == 0);
    fclose(f);
    bn_pool_free(g_pool);
    return bt_summary("test_pool_threads");
}
