/* Storage shared across threads: views are created and freed concurrently
 * on several threads while the base handle goes away; the reference count
 * must keep the storage alive exactly as long as a handle exists, and the
 * wrapped memory's release callback must run once, after the last handle. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "test_util.h"

#define NTHREADS 4
#define ROUNDS 2000

static atomic_int g_released;

static void on_release(void *data, void *user) {
    (void)user;
    atomic_fetch_add(&g_released, 1);
    free(data);
}

typedef struct worker {
    bn_tensor *view;   /* this thread's own handle, freed by the thread */
    int ok;
} worker;

static void *churn(void *p) {
    worker *w = p;
    w->ok = 1;
    for (int r = 0; r < ROUNDS; r++) {
        bn_tensor *t = NULL, *s = NULL;
        int perm[2] = {1, 0};
        if (bn_tensor_permute(w->view, perm, &t) != BN_OK) { w->ok = 0; break; }
        if (bn_tensor_slice(t, 0, 1, 7, 2, &s) != BN_OK) { w->ok = 0; bn_tensor_free(t); break; }
        int64_t idx[2] = {1, 2}; /* s[1,2] = t[3,2] = base[2,3] */
        double v = 0;
        if (bn_tensor_get(s, idx, &v) != BN_OK || v != 2 * 8 + 3) w->ok = 0;
        bn_tensor_free(t);
        bn_tensor_free(s);
    }
    bn_tensor_free(w->view);
    return NULL;
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&o, &ctx));
    if (ctx == NULL) return bt_summary("test_tensor_threads");

    float *data = malloc(8 * 8 * sizeof *data);
    for (int i = 0; i < 64; i++) data[i] = (float)i;
    int64_t shape[2] = {8, 8};
    bn_tensor *base = NULL;
    CHECK_OK(bn_tensor_wrap(ctx, BN_DTYPE_F32, 2, shape, NULL, data, 64 * sizeof *data, on_release, NULL, &base));
    if (base == NULL) return bt_summary("test_tensor_threads");

    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        int64_t full[2] = {8, 8};
        CHECK_OK(bn_tensor_reshape(base, 2, full, &w[i].view));
    }
    bn_tensor_free(base); /* the storage now lives only through the threads' handles */
    CHECK(atomic_load(&g_released) == 0);
    for (int i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, churn, &w[i]);
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++) CHECK(w[i].ok);
    CHECK(atomic_load(&g_released) == 1);

    bn_pool_stats st;
    CHECK_OK(bn_pool_get_stats(bn_ctx_pool(ctx), &st));
    CHECK(st.live_blocks == 0);
    bn_ctx_free(ctx);
    return bt_summary("test_tensor_threads");
}
