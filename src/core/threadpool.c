/* A persistent pool of worker threads.
 *
 * One job at a time: the caller publishes (fn, arg, chunks) under the mutex,
 * bumps the generation and wakes the workers; worker t runs chunk t, the
 * caller runs chunk 0, and the last one to finish signals the caller.
 * Chunk boundaries depend only on n, grain and the thread count, so results
 * that depend on the split (reductions) are reproducible run to run.
 * A job started from inside a worker runs serially on that worker instead
 * of deadlocking on the busy pool. */
#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

struct bni_threadpool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t run_lock;   /* serializes jobs from different callers */
    pthread_mutex_t mutex;
    pthread_cond_t wake;        /* workers wait here for a new generation */
    pthread_cond_t done;        /* the caller waits here for the last chunk */
    unsigned long generation;
    int stopping;
    /* the current job */
    bn_range_fn fn;
    void *arg;
    size_t n;
    int nchunks;
    int remaining;              /* chunks not finished, guarded by mutex */
};

typedef struct worker_start {
    bni_threadpool *tp;
    int index;
} worker_start;

static _Thread_local const bni_threadpool *tl_inside;

static void chunk_bounds(size_t n, int nchunks, int i, size_t *begin, size_t *end) {
    /* Split as evenly as possible without overflow for n near SIZE_MAX. */
    size_t base = n / (size_t)nchunks, extra = n % (size_t)nchunks;
    size_t ui = (size_t)i;
    *begin = ui * base + (ui < extra ? ui : extra);
    *end = *begin + base + (ui < extra ? 1 : 0);
}

static void run_chunk(bni_threadpool *tp, int i) {
    size_t begin, end;
    chunk_bounds(tp->n, tp->nchunks, i, &begin, &end);
    if (begin < end) tp->fn(tp->arg, begin, end, i);
}

static void finish_chunk(bni_threadpool *tp) {
    pthread_mutex_lock(&tp->mutex);
    if (--tp->remaining == 0) pthread_cond_signal(&tp->done);
    pthread_mutex_unlock(&tp->mutex);
}

static void *worker_main(void *p) {
    worker_start start = *(worker_start *)p;
    bni_free(p);
    bni_threadpool *tp = start.tp;
    tl_inside = tp;
    unsigned long seen = 0;
    pthread_mutex_lock(&tp->mutex);
    for (;;) {
        while (!tp->stopping && tp->generation == seen) pthread_cond_wait(&tp->wake, &tp->mutex);
        if (tp->stopping) break;
        seen = tp->generation;
        int mine = start.index < tp->nchunks;
        pthread_mutex_unlock(&tp->mutex);
        if (mine) {
            run_chunk(tp, start.index);
            finish_chunk(tp);
        }
        pthread_mutex_lock(&tp->mutex);
    }
    pthread_mutex_unlock(&tp->mutex);
    return NULL;
}

static void stop_workers(bni_threadpool *tp, int started) {
    pthread_mutex_lock(&tp->mutex);
    tp->stopping = 1;
    pthread_cond_broadcast(&tp->wake);
    pthread_mutex_unlock(&tp->mutex);
    for (int i = 0; i < started; i++) pthread_join(tp->threads[i], NULL);
}

static void destroy_sync(bni_threadpool *tp) {
    pthread_mutex_destroy(&tp->run_lock);
    pthread_mutex_destroy(&tp->mutex);
    pthread_cond_destroy(&tp->wake);
    pthread_cond_destroy(&tp->done);
}

bni_threadpool *bni_threadpool_new(int nthreads) {
    bni_threadpool *tp = bni_calloc(1, sizeof *tp);
    pthread_t *threads = nthreads > 1 ? bni_calloc((size_t)nthreads - 1, sizeof *threads) : NULL;
    if (tp == NULL || (nthreads > 1 && threads == NULL)) {
        bni_free(tp);
        bni_free(threads);
        bni_error(BN_ERR_OUT_OF_MEMORY, "bn_ctx_new: cannot allocate a pool of %d threads", nthreads);
        return NULL;
    }
    tp->nthreads = nthreads;
    tp->threads = threads;
    pthread_mutex_init(&tp->run_lock, NULL);
    pthread_mutex_init(&tp->mutex, NULL);
    pthread_cond_init(&tp->wake, NULL);
    pthread_cond_init(&tp->done, NULL);
    for (int i = 1; i < nthreads; i++) {
        worker_start *ws = bni_malloc(sizeof *ws);
        if (ws) {
            ws->tp = tp;
            ws->index = i;
        }
        int rc = ws ? pthread_create(&tp->threads[i - 1], NULL, worker_main, ws) : -1;
        if (rc != 0) {
            bni_free(ws);
            stop_workers(tp, i - 1);
            destroy_sync(tp);
            bni_free(tp->threads);
            bni_free(tp);
            bni_error(BN_ERR_OUT_OF_MEMORY, "bn_ctx_new: cannot start worker thread %d of %d (%s)", i,
                      nthreads, rc > 0 ? strerror(rc) : "out of memory");
            return NULL;
        }
    }
    return tp;
}

void bni_threadpool_free(bni_threadpool *tp) {
    if (tp == NULL) return;
    stop_workers(tp, tp->nthreads - 1);
    destroy_sync(tp);
    bni_free(tp->threads);
    bni_free(tp);
}

int bni_threadpool_size(const bni_threadpool *tp) { return tp->nthreads; }

void bni_threadpool_run(bni_threadpool *tp, size_t n, size_t grain, bn_range_fn fn, void *arg) {
    if (n == 0) return;
    if (grain == 0) grain = 1;
    size_t wanted = n / grain;
    int nchunks = wanted >= (size_t)tp->nthreads ? tp->nthreads : (int)(wanted ? wanted : 1);
    if (nchunks <= 1 || tl_inside == tp) {
        fn(arg, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&tp->run_lock);
    pthread_mutex_lock(&tp->mutex);
    tp->fn = fn;
    tp->arg = arg;
    tp->n = n;
    tp->nchunks = nchunks;
    tp->remaining = nchunks;
    tp->generation++;
    pthread_cond_broadcast(&tp->wake);
    pthread_mutex_unlock(&tp->mutex);

    const bni_threadpool *outer = tl_inside;
    tl_inside = tp;
    run_chunk(tp, 0);
    tl_inside = outer;

    pthread_mutex_lock(&tp->mutex);
    tp->remaining--;
    while (tp->remaining > 0) pthread_cond_wait(&tp->done, &tp->mutex);
    pthread_mutex_unlock(&tp->mutex);
    pthread_mutex_unlock(&tp->run_lock);
}
