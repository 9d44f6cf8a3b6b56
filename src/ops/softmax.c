/* Softmax and log-softmax along an axis (bn_softmax, bn_log_softmax).
 *
 * f32, f16 and bf16 compute in f32 with the row kernels of
 * cpu/reduce_kernels.h: m = max(x), e = exp(x - m), s = pairwise sum of e,
 * softmax = e * (1 / s), log_softmax = (x - m) - log(s). f64 computes the
 * same in f64 with libm. A row along a strided axis, or of f16/bf16, is
 * gathered into a per-thread f32 buffer and written back rounded once;
 * contiguous f32 rows are computed in place in the output. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/reduce_kernels.h"
#include "ops/reduce_common.h"

typedef struct sm_job {
    bni_rows rows;
    bn_dtype xdt, odt;
    int log;
    int stream; /* contiguous f32 output large enough for non-temporal stores */
    int failed; /* a buffer allocation failed (checked before writing) */
} sm_job;

static void row_f64(const sm_job *j, const char *xp, char *op, double *buf) {
    int64_t n = j->rows.len;
    bni_load_row_f64(j->xdt, xp, j->rows.xstep, n, buf);
    double m = buf[0];
    for (int64_t i = 0; i < n; i++) {
        if (isnan(buf[i])) {
            m = buf[i];
            break;
        }
        if (buf[i] > m) m = buf[i];
    }
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += exp(buf[i] - m);
    if (j->log) {
        double ls = log(s);
        for (int64_t i = 0; i < n; i++) buf[i] = (buf[i] - m) - ls;
    } else {
        for (int64_t i = 0; i < n; i++) buf[i] = exp(buf[i] - m) / s;
    }
    bni_store_row_f64(j->odt, op, j->rows.ostep, n, buf);
}

static void sm_task(void *arg, size_t begin, size_t end, int thread) {
    sm_job *j = (sm_job *)arg;
    const bni_reduce_kernels *k = bni_reduce_kernels_get();
    int64_t n = j->rows.len;
    int f64 = j->xdt == BN_DTYPE_F64;
    int direct = j->xdt == BN_DTYPE_F32 && j->odt == BN_DTYPE_F32 && j->rows.xstep == 4 && j->rows.ostep == 4;
    void *buf = NULL;
    (void)thread;
    if (!direct) {
        buf = malloc((size_t)n * (f64 ? 8 : 4));
        if (buf == NULL) {
            j->failed = 1; /* only reached when the up-front check passed: see run() */
            return;
        }
    }
    if (direct && !j->log) {
        /* runs of rows that follow each other in memory (in and out) go to
         * the multi-row kernel, which prefetches and may stream */
        size_t r = begin;
        while (r < end) {
            const char *xp;
            char *op;
            size_t e = bni_rows_contiguous_run(&j->rows, r, end, (size_t)n * 4, &xp, &op);
            k->softmax_rows_f32((const float *)xp, (float *)op, (size_t)n, e - r, j->stream);
            r = e;
        }
        return;
    }
    for (size_t r = begin; r < end; r++) {
        const char *xp;
        char *op;
        bni_rows_at(&j->rows, (int64_t)r, &xp, &op);
        if (f64) {
            row_f64(j, xp, op, (double *)buf);
            continue;
        }
        const float *in = (const float *)xp;
        float *o = (float *)op;
        if (!direct) {
            bni_load_row_f32(j->xdt, xp, j->rows.xstep, n, (float *)buf);
            in = o = (float *)buf;
        }
        if (j->log) k->log_softmax_f32(in, o, (size_t)n);
        else k->softmax_f32(in, o, (size_t)n);
        if (!direct) bni_store_row_f32(j->odt, op, j->rows.ostep, n, (const float *)buf);
    }
    free(buf);
}

static bn_status softmax_impl(const char *fn, const char *name, int log, const bn_tensor *x, int axis,
                              bn_tensor *into, bn_tensor **out) {
    BNI_CHECK_NULL("bn_softmax", x);
    bn_status st = bni_ops_check_dtype(fn, name, x->dtype);
    if (st != BN_OK) return st;
    if (!bni_dtype_is_float(x->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype %s (float input only)", fn, name,
                         bn_dtype_name(x->dtype));
    int ax;
    st = bni_norm_axis(fn, axis, x->ndim, &ax);
    if (st != BN_OK) return st;
    bn_ctx *ctx = x->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    bn_tensor *res = into;
    if (into != NULL) {
        const bn_tensor *ins[1] = {x};
        st = bni_ops_check_out(fn, into, x->ndim, x->shape, x->dtype, ins, 1);
    } else {
        st = bni_ops_alloc_out(fn, ctx, x->dtype, x->ndim, x->shape, &res);
    }
    if (st != BN_OK) return st;
    sm_job j;
    memset(&j, 0, sizeof j);
    bni_rows_init(&j.rows, x, res, ax);
    j.xdt = x->dtype;
    j.odt = res->dtype;
    j.log = log;
    j.stream = bni_stream_worth((size_t)bn_tensor_numel(x) * 4);
    if (j.rows.nrows > 0 && j.rows.len > 0) {
        /* fail before writing anything if a row buffer cannot be had */
        void *probe = malloc((size_t)j.rows.len * 8);
        if (probe == NULL) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for a row of %" PRId64, fn, j.rows.len);
        free(probe);
        int64_t grain = 16384 / j.rows.len;
        if (grain < 1) grain = 1;
        if (st == BN_OK) st = bn_ctx_parallel_for(ctx, (size_t)j.rows.nrows, (size_t)grain, sm_task, &j);
        if (st == BN_OK && j.failed) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for a row buffer", fn);
    }
    if (into == NULL) {
        if (st == BN_OK) *out = res;
        else bn_tensor_free(res);
    }
    if (st == BN_OK) bni_prof_end(ctx, name, t0, bn_tensor_numel(x));
    return st;
}

bn_status bn_softmax(const bn_tensor *x, int axis, bn_tensor **out) {
    BNI_CHECK_NULL("bn_softmax", out);
    return softmax_impl("bn_softmax", "softmax", 0, x, axis, NULL, out);
}

bn_status bn_softmax_into(const bn_tensor *x, int axis, bn_tensor *out) {
    BNI_CHECK_NULL("bn_softmax_into", out);
    return softmax_impl("bn_softmax_into", "softmax", 0, x, axis, out, NULL);
}

bn_status bn_log_softmax(const bn_tensor *x, int axis, bn_tensor **out) {
    BNI_CHECK_NULL("bn_log_softmax", out);
    return softmax_impl("bn_log_softmax", "log_softmax", 1, x, axis, NULL, out);
}

bn_status bn_log_softmax_into(const bn_tensor *x, int axis, bn_tensor *out) {
    BNI_CHECK_NULL("bn_log_softmax_into", out);
    return softmax_impl("bn_log_softmax_into", "log_softmax", 1, x, axis, out, NULL);
}
