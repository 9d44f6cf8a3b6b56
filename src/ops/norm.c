/* RMSNorm and LayerNorm over the last dimension.
 *
 * RMSNorm follows transformers' LlamaRMSNorm (and BitNetRMSNorm):
 *   h = x in f32; var = mean(h^2) in f32 (pairwise sum of squares / d);
 *   h = h * (1 / sqrtf(var + (float)eps)); h rounded to x's dtype;
 *   y = weight * h, computed in f32 and rounded to x's dtype.
 * So f32 rows are what LlamaRMSNorm computes up to the order of the sum of
 * squares, and f16/bf16 rows with a weight of the same dtype round in the
 * same two places as transformers. f64 computes all of it in f64.
 *
 * LayerNorm (torch.nn.LayerNorm): mean and biased variance in f64 (two
 * passes), y = (x - mean) / sqrt(var + eps) * weight + bias in f64,
 * rounded once to the output dtype. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "cpu/reduce_kernels.h"
#include "ops/reduce_common.h"

typedef struct norm_job {
    bni_rows rows;
    bn_dtype xdt, odt;
    int layer;
    double eps;
    const float *wf;       /* RMSNorm weight in f32 (NULL = none) */
    const double *wd, *bd; /* f64 weight and bias (NULL = none) */
    int stream;            /* f32 output large enough for non-temporal stores */
    int failed;
} norm_job;

static void rms_row_f64(const norm_job *j, const char *xp, char *op, double *buf) {
    int64_t n = j->rows.len;
    bni_load_row_f64(j->xdt, xp, j->rows.xstep, n, buf);
    double ss = 0;
    for (int64_t i = 0; i < n; i++) ss += buf[i] * buf[i];
    double r = 1.0 / sqrt(ss / (double)n + j->eps);
    for (int64_t i = 0; i < n; i++) {
        buf[i] *= r;
        if (j->wd) buf[i] *= j->wd[i];
    }
    bni_store_row_f64(j->odt, op, j->rows.ostep, n, buf);
}

static void ln_row(const norm_job *j, const char *xp, char *op, double *buf) {
    int64_t n = j->rows.len;
    bni_load_row_f64(j->xdt, xp, j->rows.xstep, n, buf);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += buf[i];
    double mean = s / (double)n, v = 0;
    for (int64_t i = 0; i < n; i++) v += (buf[i] - mean) * (buf[i] - mean);
    double rstd = 1.0 / sqrt(v / (double)n + j->eps);
    for (int64_t i = 0; i < n; i++) {
        double y = (buf[i] - mean) * rstd;
        if (j->wd) y *= j->wd[i];
        if (j->bd) y += j->bd[i];
        buf[i] = y;
    }
    bni_store_row_f64(j->odt, op, j->rows.ostep, n, buf);
}

/* Round f32 values to dtype dt (f16 or bf16) and back. */
static void round_to(bn_dtype dt, float *v, uint16_t *tmp, int64_t n) {
    const bni_cpu_kernels *c = bni_cpu_kernels_get();
    if (dt == BN_DTYPE_F16) {
        c->f32_to_f16(v, tmp, (size_t)n);
        c->f16_to_f32(tmp, v, (size_t)n);
    } else {
        c->f32_to_bf16(v, tmp, (size_t)n);
        c->bf16_to_f32(tmp, v, (size_t)n);
    }
}

static void norm_task(void *arg, size_t begin, size_t end, int thread) {
    norm_job *j = (norm_job *)arg;
    const bni_reduce_kernels *k = bni_reduce_kernels_get();
    int64_t n = j->rows.len;
    int f64 = j->layer || j->xdt == BN_DTYPE_F64;
    int direct = !f64 && j->xdt == BN_DTYPE_F32 && j->odt == BN_DTYPE_F32 && j->rows.xstep == 4 &&
                 j->rows.ostep == 4;
    (void)thread;
    char *buf = NULL;
    if (!direct) {
        buf = (char *)malloc((size_t)n * (f64 ? 8 : 6));
        if (buf == NULL) {
            j->failed = 1;
            return;
        }
    }
    if (direct) {
        /* runs of rows that follow each other in memory (in and out) go to
         * the multi-row kernel, which prefetches and may stream */
        size_t r = begin;
        while (r < end) {
            const char *xp;
            char *op;
            size_t e = bni_rows_contiguous_run(&j->rows, r, end, (size_t)n * 4, &xp, &op);
            k->rms_norm_rows_f32((const float *)xp, j->wf, (float)j->eps, (float *)op, (size_t)n, e - r, j->stream);
            r = e;
        }
        return;
    }
    for (size_t r = begin; r < end; r++) {
        const char *xp;
        char *op;
        bni_rows_at(&j->rows, (int64_t)r, &xp, &op);
        if (j->layer) {
            ln_row(j, xp, op, (double *)buf);
        } else if (f64) {
            rms_row_f64(j, xp, op, (double *)buf);
        } else if (direct) {
            k->rms_norm_f32((const float *)xp, j->wf, (float)j->eps, (float *)op, (size_t)n);
        } else {
            float *v = (float *)buf;
            bni_load_row_f32(j->xdt, xp, j->rows.xstep, n, v);
            if (j->xdt == BN_DTYPE_F32) {
                k->rms_norm_f32(v, j->wf, (float)j->eps, v, (size_t)n);
            } else {
                /* as LlamaRMSNorm: normalize in f32, round to x's dtype, then * weight */
                k->rms_norm_f32(v, NULL, (float)j->eps, v, (size_t)n);
                if (j->wf) {
                    round_to(j->xdt, v, (uint16_t *)(buf + 4 * n), n);
                    for (int64_t i = 0; i < n; i++) v[i] = j->wf[i] * v[i];
                }
            }
            bni_store_row_f32(j->odt, op, j->rows.ostep, n, v);
        }
    }
    free(buf);
}

static bn_status check_param(const char *fn, const char *what, const bn_tensor *x, const bn_tensor *p, int64_t d) {
    if (p == NULL) return BN_OK;
    bn_status st = bni_ops_check_same_ctx(fn, x, p);
    if (st != BN_OK) return st;
    if (!bni_dtype_is_float(p->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: %s must be a float tensor, got %s", fn, what, bn_dtype_name(p->dtype));
    if (p->ndim != 1 || p->shape[0] != d) {
        char sb[128];
        bni_format_shape(sb, sizeof sb, p->ndim, p->shape);
        return bni_error(BN_ERR_SHAPE, "%s: %s has shape %s, expected [%" PRId64 "]", fn, what, sb, d);
    }
    return BN_OK;
}

static bn_status norm_impl(const char *fn, const char *name, int layer, const bn_tensor *x, const bn_tensor *w,
                           const bn_tensor *b, double eps, bn_tensor *into, bn_tensor **out) {
    BNI_CHECK_NULL("bn_rms_norm", x);
    bn_status st = bni_ops_check_dtype(fn, name, x->dtype);
    if (st != BN_OK) return st;
    if (!bni_dtype_is_float(x->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype %s (float input only)", fn, name,
                         bn_dtype_name(x->dtype));
    if (x->ndim < 1) return bni_error(BN_ERR_SHAPE, "%s: %s needs at least one dimension, got a 0-d tensor", fn, name);
    if (!(eps >= 0) || isinf(eps)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: eps %g must be finite and >= 0", fn, eps);
    int64_t d = x->shape[x->ndim - 1];
    if ((st = check_param(fn, "weight", x, w, d)) != BN_OK) return st;
    if ((st = check_param(fn, "bias", x, b, d)) != BN_OK) return st;
    bn_ctx *ctx = x->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    bn_tensor *res = into;
    if (into != NULL) {
        const bn_tensor *ins[3] = {x, w, b};
        st = bni_ops_check_out(fn, into, x->ndim, x->shape, x->dtype, ins, 3);
    } else {
        st = bni_ops_alloc_out(fn, ctx, x->dtype, x->ndim, x->shape, &res);
    }
    if (st != BN_OK) return st;
    norm_job j;
    memset(&j, 0, sizeof j);
    bni_rows_init(&j.rows, x, res, x->ndim - 1);
    j.xdt = x->dtype;
    j.odt = res->dtype;
    j.layer = layer;
    j.eps = eps;
    j.stream = bni_stream_worth((size_t)bn_tensor_numel(x) * 4);
    int f64 = layer || x->dtype == BN_DTYPE_F64;
    float *wf = NULL;
    double *wd = NULL, *bd = NULL;
    void *probe = malloc((size_t)(d > 0 ? d : 1) * 8);
    if (probe == NULL) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for a row of %" PRId64, fn, d);
    free(probe);
    if (st == BN_OK && w != NULL && d > 0) {
        if (f64) {
            wd = (double *)malloc((size_t)d * 8);
            if (wd) bni_load_row_f64(w->dtype, bni_tensor_base(w), w->strides[0] * (int64_t)bni_dtype_size(w->dtype), d, wd);
        } else {
            wf = (float *)malloc((size_t)d * 4);
            if (wf) bni_load_row_f32(w->dtype, bni_tensor_base(w), w->strides[0] * (int64_t)bni_dtype_size(w->dtype), d, wf);
        }
        if (!wf && !wd) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for the weight", fn);
    }
    if (st == BN_OK && b != NULL && d > 0) {
        bd = (double *)malloc((size_t)d * 8);
        if (bd) bni_load_row_f64(b->dtype, bni_tensor_base(b), b->strides[0] * (int64_t)bni_dtype_size(b->dtype), d, bd);
        else st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for the bias", fn);
    }
    j.wf = wf;
    j.wd = wd;
    j.bd = bd;
    if (st == BN_OK && j.rows.nrows > 0 && d > 0) {
        int64_t grain = 16384 / d;
        if (grain < 1) grain = 1;
        st = bn_ctx_parallel_for(ctx, (size_t)j.rows.nrows, (size_t)grain, norm_task, &j);
        if (st == BN_OK && j.failed) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for a row buffer", fn);
    }
    free(wf);
    free(wd);
    free(bd);
    if (into == NULL) {
        if (st == BN_OK) *out = res;
        else bn_tensor_free(res);
    }
    if (st == BN_OK) bni_prof_end(ctx, name, t0, bn_tensor_numel(x));
    return st;
}

bn_status bn_rms_norm(const bn_tensor *x, const bn_tensor *weight, double eps, bn_tensor **out) {
    BNI_CHECK_NULL("bn_rms_norm", out);
    return norm_impl("bn_rms_norm", "rms_norm", 0, x, weight, NULL, eps, NULL, out);
}

bn_status bn_rms_norm_into(const bn_tensor *x, const bn_tensor *weight, double eps, bn_tensor *out) {
    BNI_CHECK_NULL("bn_rms_norm_into", out);
    return norm_impl("bn_rms_norm_into", "rms_norm", 0, x, weight, NULL, eps, out, NULL);
}

bn_status bn_layer_norm(const bn_tensor *x, const bn_tensor *weight, const bn_tensor *bias, double eps,
                        bn_tensor **out) {
    BNI_CHECK_NULL("bn_layer_norm", out);
    return norm_impl("bn_layer_norm", "layer_norm", 1, x, weight, bias, eps, NULL, out);
}

bn_status bn_layer_norm_into(const bn_tensor *x, const bn_tensor *weight, const bn_tensor *bias, double eps,
                             bn_tensor *out) {
    BNI_CHECK_NULL("bn_layer_norm_into", out);
    return norm_impl("bn_layer_norm_into", "layer_norm", 1, x, weight, bias, eps, out, NULL);
}
