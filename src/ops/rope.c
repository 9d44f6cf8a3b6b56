/* Rotary position embedding (bn_rope).
 *
 * The cos/sin table is built as transformers' LlamaRotaryEmbedding builds
 * its cache (default rope type, attention_scaling 1), in f32:
 *   e_i      = (float)(2i) / (float)rotary_dim             (f32 division)
 *   inv_i    = 1.0f / (float)pow(theta, e_i)               (pow in f64, rounded)
 *   angle    = (float)position * inv_i                     (f32 product)
 *   cos, sin = (float)cos((double)angle), (float)sin(...)  (f64, rounded)
 * torch evaluates pow, cos and sin in f32 to within an ulp or so; here they
 * are correctly rounded (barring rare ties), so the table matches
 * transformers' to the last bit in almost every entry. The rotation is then
 * applied with separately rounded products, as q * cos + rotate_half(q) *
 * sin is in f32:
 *   rotate-half:  y[i] = x[i] c_i - x[i+h] s_i,  y[i+h] = x[i+h] c_i + x[i] s_i
 *   interleaved:  y[2i] = x[2i] c_i - x[2i+1] s_i, y[2i+1] = x[2i+1] c_i + x[2i] s_i
 * f16 and bf16 rows are computed in f32 and rounded once (transformers
 * rounds cos, sin and each product to the dtype); f64 rows use the f32
 * table in f64 arithmetic. Dimensions past rotary_dim are copied. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/reduce_common.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

typedef struct rope_job {
    bni_rows rows;
    bn_dtype xdt, odt;
    int64_t seq, heads, rd, half;
    bn_rope_mode mode;
    const float *cs; /* [seq][half] cos then [seq][half] sin */
    int failed;
} rope_job;

static void rot_f32(const rope_job *j, const float *c, const float *s, float *v) {
    int64_t h = j->half;
    if (j->mode == BN_ROPE_ROTATE_HALF) {
        for (int64_t i = 0; i < h; i++) {
            float a = v[i], b = v[i + h];
            float ac = a * c[i], bs = b * s[i], bc = b * c[i], as = a * s[i];
            v[i] = ac - bs;
            v[i + h] = bc + as;
        }
    } else {
        for (int64_t i = 0; i < h; i++) {
            float a = v[2 * i], b = v[2 * i + 1];
            float ac = a * c[i], bs = b * s[i], bc = b * c[i], as = a * s[i];
            v[2 * i] = ac - bs;
            v[2 * i + 1] = bc + as;
        }
    }
}

static void rot_f64(const rope_job *j, const float *c, const float *s, double *v) {
    int64_t h = j->half;
    for (int64_t i = 0; i < h; i++) {
        int64_t p = j->mode == BN_ROPE_ROTATE_HALF ? i : 2 * i, q = j->mode == BN_ROPE_ROTATE_HALF ? i + h : 2 * i + 1;
        double a = v[p], b = v[q];
        double ac = a * c[i], bs = b * s[i], bc = b * c[i], as = a * s[i];
        v[p] = ac - bs;
        v[q] = bc + as;
    }
}

static void rope_task(void *arg, size_t begin, size_t end, int thread) {
    rope_job *j = (rope_job *)arg;
    int64_t n = j->rows.len;
    int f64 = j->xdt == BN_DTYPE_F64;
    (void)thread;
    void *buf = malloc((size_t)n * 8);
    if (buf == NULL) {
        j->failed = 1;
        return;
    }
    for (size_t r = begin; r < end; r++) {
        const char *xp;
        char *op;
        bni_rows_at(&j->rows, (int64_t)r, &xp, &op);
        int64_t s = ((int64_t)r / j->heads) % j->seq;
        const float *c = j->cs + s * j->half, *sn = j->cs + (j->seq + s) * j->half;
        if (f64) {
            bni_load_row_f64(j->xdt, xp, j->rows.xstep, n, (double *)buf);
            rot_f64(j, c, sn, (double *)buf);
            bni_store_row_f64(j->odt, op, j->rows.ostep, n, (double *)buf);
        } else {
            bni_load_row_f32(j->xdt, xp, j->rows.xstep, n, (float *)buf);
            rot_f32(j, c, sn, (float *)buf);
            bni_store_row_f32(j->odt, op, j->rows.ostep, n, (float *)buf);
        }
    }
    free(buf);
}

static bn_status rope_impl(const char *fn, const bn_tensor *x, const bn_tensor *positions, int64_t offset,
                           double theta, int64_t rotary_dim, bn_rope_mode mode, bn_tensor *into, bn_tensor **out) {
    BNI_CHECK_NULL("bn_rope", x);
    bn_status st = bni_ops_check_dtype(fn, "rope", x->dtype);
    if (st != BN_OK) return st;
    if (!bni_dtype_is_float(x->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: rope does not support dtype %s (float input only)", fn,
                         bn_dtype_name(x->dtype));
    if (x->ndim < 3) {
        char sb[128];
        bni_format_shape(sb, sizeof sb, x->ndim, x->shape);
        return bni_error(BN_ERR_SHAPE, "%s: x must be [..., seq, heads, head_dim], got %s", fn, sb);
    }
    if (mode != BN_ROPE_ROTATE_HALF && mode != BN_ROPE_INTERLEAVED)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown mode %d", fn, (int)mode);
    if (!(theta > 0) || isinf(theta))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: theta %g must be finite and > 0", fn, theta);
    int64_t seq = x->shape[x->ndim - 3], heads = x->shape[x->ndim - 2], hd = x->shape[x->ndim - 1];
    int64_t rd = rotary_dim == 0 ? hd : rotary_dim;
    if (rd < 0 || rd > hd || rd % 2 != 0 || (rd == 0 && hd != 0))
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "%s: rotary_dim %" PRId64 " must be even, > 0 and <= head_dim %" PRId64, fn, rotary_dim, hd);
    if (positions != NULL) {
        if ((st = bni_ops_check_same_ctx(fn, x, positions)) != BN_OK) return st;
        if (positions->dtype != BN_DTYPE_I32 && positions->dtype != BN_DTYPE_I64)
            return bni_error(BN_ERR_DTYPE, "%s: positions must be i32 or i64, got %s", fn,
                             bn_dtype_name(positions->dtype));
        if (positions->ndim != 1 || positions->shape[0] != seq) {
            char sb[128];
            bni_format_shape(sb, sizeof sb, positions->ndim, positions->shape);
            return bni_error(BN_ERR_SHAPE, "%s: positions has shape %s, expected [%" PRId64 "] (seq)", fn, sb, seq);
        }
    }
    bn_ctx *ctx = x->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    bn_tensor *res = into;
    if (into != NULL) {
        const bn_tensor *ins[2] = {x, positions};
        st = bni_ops_check_out(fn, into, x->ndim, x->shape, x->dtype, ins, 2);
    } else {
        st = bni_ops_alloc_out(fn, ctx, x->dtype, x->ndim, x->shape, &res);
    }
    if (st != BN_OK) return st;
    rope_job j;
    memset(&j, 0, sizeof j);
    bni_rows_init(&j.rows, x, res, x->ndim - 1);
    j.xdt = x->dtype;
    j.odt = res->dtype;
    j.seq = seq;
    j.heads = heads;
    j.rd = rd;
    j.half = rd / 2;
    j.mode = mode;
    float *cs = NULL;
    if (j.rows.nrows > 0 && hd > 0) {
        size_t h = (size_t)(j.half > 0 ? j.half : 1);
        cs = (float *)malloc(2 * (size_t)seq * h * sizeof(float) + sizeof(float));
        void *probe = malloc((size_t)hd * 8);
        if (cs == NULL || probe == NULL) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for the cos/sin table", fn);
        free(probe);
    }
    if (cs != NULL && st == BN_OK) {
        float *tmp = (float *)malloc((size_t)j.half * sizeof(float) + 1), *inv = tmp;
        if (tmp == NULL) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for the frequencies", fn);
        for (int64_t i = 0; tmp && i < j.half; i++) {
            float e = (float)(2 * i) / (float)rd;
            inv[i] = 1.0f / (float)pow((double)(float)theta, (double)e);
        }
        const char *pb = positions ? bni_tensor_base(positions) : NULL;
        for (int64_t s = 0; tmp && s < seq; s++) {
            int64_t p = offset + s;
            if (pb != NULL) {
                int64_t step = positions->strides[0];
                if (positions->dtype == BN_DTYPE_I32) {
                    int32_t v;
                    memcpy(&v, pb + s * step * 4, 4);
                    p = v;
                } else {
                    memcpy(&p, pb + s * step * 8, 8);
                }
            }
            float pf = (float)p;
            for (int64_t i = 0; i < j.half; i++) {
                float a = pf * inv[i];
                cs[s * j.half + i] = (float)cos((double)a);
                cs[(seq + s) * j.half + i] = (float)sin((double)a);
            }
        }
        free(tmp);
    }
    j.cs = cs;
    if (st == BN_OK && j.rows.nrows > 0 && hd > 0) {
        int64_t grain = 16384 / hd;
        if (grain < 1) grain = 1;
        st = bn_ctx_parallel_for(ctx, (size_t)j.rows.nrows, (size_t)grain, rope_task, &j);
        if (st == BN_OK && j.failed) st = bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for a row buffer", fn);
    }
    free(cs);
    if (into == NULL) {
        if (st == BN_OK) *out = res;
        else bn_tensor_free(res);
    }
    if (st == BN_OK) bni_prof_end(ctx, "rope", t0, bn_tensor_numel(x));
    return st;
}

bn_status bn_rope(const bn_tensor *x, const bn_tensor *positions, int64_t offset, double theta, int64_t rotary_dim,
                  bn_rope_mode mode, bn_tensor **out) {
    BNI_CHECK_NULL("bn_rope", out);
    return rope_impl("bn_rope", x, positions, offset, theta, rotary_dim, mode, NULL, out);
}

bn_status bn_rope_into(const bn_tensor *x, const bn_tensor *positions, int64_t offset, double theta,
                       int64_t rotary_dim, bn_rope_mode mode, bn_tensor *out) {
    BNI_CHECK_NULL("bn_rope_into", out);
    return rope_impl("bn_rope_into", x, positions, offset, theta, rotary_dim, mode, out, NULL);
}
