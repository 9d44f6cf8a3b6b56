/* The per-context operation profile: a small table of (op, device) rows
 * with calls, elements and nanoseconds, under a mutex. Off by default; when
 * off an operation pays one relaxed load (bni_prof_begin). */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "ops/ops_internal.h"

#define BNI_PROF_ROWS 128

typedef struct prof_row {
    const char *op; /* static string; compared by content */
    bn_device device;
    uint64_t calls, elements, ns;
} prof_row;

typedef struct bni_profile {
    pthread_mutex_t lock;
    int nrows;
    uint64_t dropped; /* calls that found the table full */
    prof_row rows[BNI_PROF_ROWS];
} bni_profile;

uint64_t bni_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return ns ? ns : 1; /* 0 means "profile off" */
}

static void profile_free(void *p) {
    bni_profile *prof = p;
    if (prof == NULL) return;
    pthread_mutex_destroy(&prof->lock);
    bni_free(prof);
}

void bni_prof_record(bn_ctx *ctx, const char *op, uint64_t t0, int64_t elements) {
    uint64_t dt = bni_now_ns() - t0;
    bni_profile *prof = ctx->profile;
    if (prof == NULL) return;
    bn_device dev = ctx->device;
    pthread_mutex_lock(&prof->lock);
    prof_row *r = NULL;
    for (int i = 0; i < prof->nrows; i++) {
        prof_row *q = &prof->rows[i];
        if ((q->op == op || strcmp(q->op, op) == 0) && q->device.kind == dev.kind && q->device.index == dev.index) {
            r = q;
            break;
        }
    }
    if (r == NULL && prof->nrows < BNI_PROF_ROWS) {
        r = &prof->rows[prof->nrows++];
        memset(r, 0, sizeof *r);
        r->op = op;
        r->device = dev;
    }
    if (r != NULL) {
        r->calls++;
        r->elements += elements > 0 ? (uint64_t)elements : 0;
        r->ns += dt;
    } else {
        prof->dropped++;
    }
    pthread_mutex_unlock(&prof->lock);
}

bn_status bn_ctx_profile_enable(bn_ctx *ctx, int enable) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_profile_enable: ctx is NULL");
    if (enable && ctx->profile == NULL) {
        bni_profile *p = bni_calloc(1, sizeof *p);
        if (p == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_ctx_profile_enable: cannot allocate the profile");
        pthread_mutex_init(&p->lock, NULL);
        ctx->profile = p;
        ctx->profile_free = profile_free;
    }
    atomic_store_explicit(&ctx->profile_on, enable ? 1 : 0, memory_order_release);
    return BN_OK;
}

bn_status bn_ctx_profile_reset(bn_ctx *ctx) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_profile_reset: ctx is NULL");
    bni_profile *p = ctx->profile;
    if (p == NULL) return BN_OK;
    pthread_mutex_lock(&p->lock);
    p->nrows = 0;
    p->dropped = 0;
    pthread_mutex_unlock(&p->lock);
    return BN_OK;
}

static int by_time_desc(const void *a, const void *b) {
    const prof_row *x = a, *y = b;
    if (x->ns != y->ns) return x->ns < y->ns ? 1 : -1;
    return strcmp(x->op, y->op);
}

bn_status bn_ctx_profile_report(bn_ctx *ctx, FILE *stream) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_ctx_profile_report: ctx is NULL");
    if (stream == NULL) stream = stdout;
    prof_row rows[BNI_PROF_ROWS];
    int n = 0;
    uint64_t dropped = 0;
    bni_profile *p = ctx->profile;
    if (p != NULL) {
        pthread_mutex_lock(&p->lock);
        n = p->nrows;
        memcpy(rows, p->rows, (size_t)n * sizeof rows[0]);
        dropped = p->dropped;
        pthread_mutex_unlock(&p->lock);
    }
    qsort(rows, (size_t)n, sizeof rows[0], by_time_desc);
    fprintf(stream, "%-16s %-8s %10s %14s %12s %12s\n", "op", "device", "calls", "elements", "total_ms",
            "mean_us");
    for (int i = 0; i < n; i++) {
        char dev[32];
        snprintf(dev, sizeof dev, "%s:%d", bn_device_kind_name(rows[i].device.kind), rows[i].device.index);
        double total_ms = (double)rows[i].ns / 1e6;
        double mean_us = rows[i].calls ? (double)rows[i].ns / 1e3 / (double)rows[i].calls : 0.0;
        fprintf(stream, "%-16s %-8s %10" PRIu64 " %14" PRIu64 " %12.3f %12.3f\n", rows[i].op, dev, rows[i].calls,
                rows[i].elements, total_ms, mean_us);
    }
    if (dropped) fprintf(stream, "(%" PRIu64 " calls not recorded: more than %d distinct ops)\n", dropped, BNI_PROF_ROWS);
    return BN_OK;
}
