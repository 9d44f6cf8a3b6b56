/* BitNet b1.58 quantization: ternary absmean weights and per-token absmax
 * int8 activations, exactly as transformers' WeightQuant / ActQuant, and
 * their dequantization; raw arrays and tensors. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "quant/quant_internal.h"
#include "tensor/tensor_internal.h"

/* ---- scalar rules ------------------------------------------------------ */

float bni_quant_absmax_f32(const float *x, int64_t n) {
    float mx = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        mx = a > mx ? a : mx; /* NaN compares false: ignored */
    }
    return mx;
}

float bni_quant_absmean_f32(const float *w, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double a = fabs((double)w[i]);
        acc += a == a ? a : 0.0;
    }
    float m = n > 0 ? (float)(acc / (double)n) : 0.0f;
    return m > BN_QUANT_EPS ? m : BN_QUANT_EPS;
}

void bni_quantize_ternary_f32(const float *w, int64_t n, float s, int8_t *q) {
    for (int64_t i = 0; i < n; i++) {
        float v = w[i] * s;
        q[i] = (int8_t)bni_quant_round_clamp(v, -1.0f, 1.0f);
    }
}

void bni_quantize_i8_row(const float *x, int64_t n, float s, int8_t *q) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] * s;
        q[i] = (int8_t)bni_quant_round_clamp(v, -128.0f, 127.0f);
    }
}

void bni_quantize_act_row(const float *x, int64_t k, int8_t *q, float *scale) {
    float s = bni_quant_act_scale(bni_quant_absmax_f32(x, k));
    bni_quantize_i8_row(x, k, s, q);
    *scale = s;
}

/* ---- raw arrays ---------------------------------------------------------- */

/* n * k without overflow; negative sizes rejected. */
static bn_status check_nk(const char *fn, int64_t n, int64_t k, int64_t *numel) {
    if (n < 0 || k < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative size n = %" PRId64 ", k = %" PRId64, fn, n, k);
    int64_t p;
    if (__builtin_mul_overflow(n, k, &p) || (uint64_t)p > SIZE_MAX / 4)
        return bni_error(BN_ERR_OVERFLOW, "%s: n * k = %" PRId64 " * %" PRId64 " overflows", fn, n, k);
    *numel = p;
    return BN_OK;
}

bn_status bn_quantize_weights_f32(const float *w, int64_t n, int64_t k, bn_quant_granularity gran, int8_t *q,
                                  float *scales) {
    static const char fn[] = "bn_quantize_weights_f32";
    int64_t numel = 0;
    bn_status st = check_nk(fn, n, k, &numel);
    if (st) return st;
    if (gran != BN_QUANT_PER_TENSOR && gran != BN_QUANT_PER_ROW)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: granularity %d is neither BN_QUANT_PER_TENSOR (0) nor "
                         "BN_QUANT_PER_ROW (1)", fn, (int)gran);
    if (numel > 0 && (w == NULL || q == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, w == NULL ? "w" : "q");
    if ((gran == BN_QUANT_PER_TENSOR || n > 0) && scales == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales is NULL", fn);
    if (numel == 0) { /* mean of nothing: the 1e-5 floor */
        float s = 1.0f / BN_QUANT_EPS;
        int64_t ns = gran == BN_QUANT_PER_TENSOR ? 1 : n;
        for (int64_t r = 0; r < ns; r++) scales[r] = 1.0f / s;
    } else if (gran == BN_QUANT_PER_TENSOR) {
        float s = 1.0f / bni_quant_absmean_f32(w, numel);
        bni_quantize_ternary_f32(w, numel, s, q);
        scales[0] = 1.0f / s;
    } else {
        for (int64_t r = 0; r < n; r++) {
            float s = 1.0f / bni_quant_absmean_f32(w + r * k, k);
            bni_quantize_ternary_f32(w + r * k, k, s, q + r * k);
            scales[r] = 1.0f / s;
        }
    }
    return BN_OK;
}

bn_status bn_dequantize_weights_f32(const int8_t *q, int64_t numel, const float *scales, int64_t group,
                                    float *out) {
    static const char fn[] = "bn_dequantize_weights_f32";
    if (numel < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative count %" PRId64, fn, numel);
    if (group <= 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: group %" PRId64 " is not positive", fn, group);
    if (numel % group != 0)
        return bni_error(BN_ERR_SHAPE, "%s: group %" PRId64 " does not divide %" PRId64 " values", fn, group,
                         numel);
    if (numel == 0) return BN_OK;
    if (q == NULL || scales == NULL || out == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                         q == NULL ? "q" : scales == NULL ? "scales" : "out");
    for (int64_t g = 0; g < numel / group; g++) {
        float s = scales[g];
        const int8_t *qg = q + g * group;
        float *og = out + g * group;
        for (int64_t i = 0; i < group; i++) og[i] = (float)qg[i] * s;
    }
    return BN_OK;
}

bn_status bn_quantize_i8_f32(const float *x, int64_t n, float s, int8_t *q) {
    static const char fn[] = "bn_quantize_i8_f32";
    if (n < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative count %" PRId64, fn, n);
    if (n > 0 && (x == NULL || q == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, x == NULL ? "x" : "q");
    bni_quantize_i8_row(x, n, s, q);
    return BN_OK;
}

bn_status bn_quantize_activations_rows_f32(const float *x, int64_t m, int64_t k, int64_t ldx, int8_t *q,
                                           float *scales) {
    static const char fn[] = "bn_quantize_activations_rows_f32";
    int64_t numel = 0;
    bn_status st = check_nk(fn, m, k, &numel);
    if (st) return st;
    if (ldx < k)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: row stride ldx = %" PRId64 " < k = %" PRId64, fn, ldx, k);
    if (m == 0) return BN_OK;
    if (scales == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales is NULL", fn);
    if (k == 0) { /* empty rows: the 1e-5 floor */
        for (int64_t r = 0; r < m; r++) scales[r] = bni_quant_act_scale(0.0f);
        return BN_OK;
    }
    if (x == NULL || q == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, x == NULL ? "x" : "q");
    for (int64_t r = 0; r < m; r++) bni_quantize_act_row(x + r * ldx, k, q + r * k, &scales[r]);
    return BN_OK;
}

bn_status bn_quantize_activations_f32(const float *x, int64_t k, int8_t *q, float *scale) {
    static const char fn[] = "bn_quantize_activations_f32";
    if (k < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative row length k = %" PRId64, fn, k);
    if (scale == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scale is NULL", fn);
    if (k > 0 && (x == NULL || q == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, x == NULL ? "x" : "q");
    bni_quantize_act_row(x, k, q, scale);
    return BN_OK;
}

bn_status bn_dequantize_activations_f32(const int8_t *q, int64_t m, int64_t k, const float *scales, float *out) {
    static const char fn[] = "bn_dequantize_activations_f32";
    int64_t numel = 0;
    bn_status st = check_nk(fn, m, k, &numel);
    if (st) return st;
    if (numel == 0) return BN_OK;
    if (q == NULL || scales == NULL || out == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                         q == NULL ? "q" : scales == NULL ? "scales" : "out");
    for (int64_t r = 0; r < m; r++) {
        float s = scales[r];
        for (int64_t i = 0; i < k; i++) out[r * k + i] = (float)q[r * k + i] / s;
    }
    return BN_OK;
}

/* ---- tensors ------------------------------------------------------------- */

/* A contiguous f32 handle on t's values (t itself when it already is). */
static bn_status as_f32(const char *fn, const bn_tensor *t, bn_tensor **out) {
    if (t->dtype == BN_DTYPE_F32) return bn_tensor_contiguous(t, out);
    if (bni_dtype_info(t->dtype)->kind != BN_KIND_FLOAT)
        return bni_error(BN_ERR_DTYPE, "%s: %s input; a float dtype (f32, f64, f16, bf16) is needed", fn,
                         bn_dtype_name(t->dtype));
    return bn_tensor_cast(t, BN_DTYPE_F32, out);
}

static bn_status check_rank(const char *fn, const bn_tensor *t, const char *name) {
    if (t->ndim < 1)
        return bni_error(BN_ERR_SHAPE, "%s: %s is 0-d; rows need at least one dimension", fn, name);
    return BN_OK;
}

bn_status bn_quantize_weights(const bn_tensor *w, bn_quant_granularity gran, bn_tensor **q, bn_tensor **scales) {
    static const char fn[] = "bn_quantize_weights";
    BNI_QUANT_CHECK_NULL(fn, w);
    BNI_QUANT_CHECK_NULL(fn, q);
    BNI_QUANT_CHECK_NULL(fn, scales);
    bn_status st = check_rank(fn, w, "w");
    if (st) return st;
    if (gran != BN_QUANT_PER_TENSOR && gran != BN_QUANT_PER_ROW)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: granularity %d is neither BN_QUANT_PER_TENSOR (0) nor "
                         "BN_QUANT_PER_ROW (1)", fn, (int)gran);
    if (bni_dtype_info(w->dtype)->kind != BN_KIND_FLOAT)
        return bni_error(BN_ERR_DTYPE, "%s: %s input; a float dtype (f32, f64, f16, bf16) is needed", fn,
                         bn_dtype_name(w->dtype));
    bn_ctx *ctx = bn_tensor_ctx(w);
    int64_t k = w->shape[w->ndim - 1];
    int64_t numel = bn_tensor_numel(w);
    int64_t n = k > 0 ? numel / k : 0;
    int64_t sshape[BN_MAX_DIMS];
    int sndim;
    if (gran == BN_QUANT_PER_TENSOR) {
        sndim = 1;
        sshape[0] = 1;
    } else {
        sndim = w->ndim;
        memcpy(sshape, w->shape, sizeof(int64_t) * (size_t)w->ndim);
        sshape[sndim - 1] = 1;
    }
    bn_tensor *wf = NULL, *tq = NULL, *ts = NULL;
    if ((st = as_f32(fn, w, &wf)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, ctx, BN_DTYPE_I8, w->ndim, w->shape, 0, &tq)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, ctx, BN_DTYPE_F32, sndim, sshape, 0, &ts)) != BN_OK) goto fail;
    if (gran == BN_QUANT_PER_ROW && k == 0) n = bn_tensor_numel(ts); /* rows of nothing */
    st = bn_quantize_weights_f32((const float *)bn_tensor_data(wf), gran == BN_QUANT_PER_ROW ? n : 1,
                                 gran == BN_QUANT_PER_ROW ? k : numel, gran, (int8_t *)bn_tensor_data(tq),
                                 (float *)bn_tensor_data(ts));
    if (st) goto fail;
    bn_tensor_free(wf);
    *q = tq;
    *scales = ts;
    return BN_OK;
fail:
    bn_tensor_free(wf);
    bn_tensor_free(tq);
    bn_tensor_free(ts);
    return st;
}

bn_status bn_dequantize_weights(const bn_tensor *q, const bn_tensor *scales, bn_tensor **out) {
    static const char fn[] = "bn_dequantize_weights";
    BNI_QUANT_CHECK_NULL(fn, q);
    BNI_QUANT_CHECK_NULL(fn, scales);
    BNI_QUANT_CHECK_NULL(fn, out);
    if (q->dtype != BN_DTYPE_I8 || scales->dtype != BN_DTYPE_F32)
        return bni_error(BN_ERR_DTYPE, "%s: codes are %s and scales %s; i8 and f32 are needed", fn,
                         bn_dtype_name(q->dtype), bn_dtype_name(scales->dtype));
    int64_t nq = bn_tensor_numel(q), ns = bn_tensor_numel(scales);
    if (ns == 0 ? nq != 0 : nq % ns != 0) {
        char a[192], b[192];
        bni_format_shape(a, sizeof a, q->ndim, q->shape);
        bni_format_shape(b, sizeof b, scales->ndim, scales->shape);
        return bni_error(BN_ERR_SHAPE, "%s: %" PRId64 " scales %s do not divide the %" PRId64 " codes %s evenly",
                         fn, ns, b, nq, a);
    }
    bn_tensor *qc = NULL, *sc = NULL, *t = NULL;
    bn_status st;
    if ((st = bn_tensor_contiguous(q, &qc)) != BN_OK) goto fail;
    if ((st = bn_tensor_contiguous(scales, &sc)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, bn_tensor_ctx(q), BN_DTYPE_F32, q->ndim, q->shape, 0, &t)) != BN_OK) goto fail;
    if (nq > 0) {
        st = bn_dequantize_weights_f32((const int8_t *)bn_tensor_data(qc), nq, (const float *)bn_tensor_data(sc),
                                       nq / ns, (float *)bn_tensor_data(t));
        if (st) goto fail;
    }
    bn_tensor_free(qc);
    bn_tensor_free(sc);
    *out = t;
    return BN_OK;
fail:
    bn_tensor_free(qc);
    bn_tensor_free(sc);
    bn_tensor_free(t);
    return st;
}

bn_status bn_quantize_activations(const bn_tensor *x, bn_tensor **q, bn_tensor **scales) {
    static const char fn[] = "bn_quantize_activations";
    BNI_QUANT_CHECK_NULL(fn, x);
    BNI_QUANT_CHECK_NULL(fn, q);
    BNI_QUANT_CHECK_NULL(fn, scales);
    bn_status st = check_rank(fn, x, "x");
    if (st) return st;
    if (bni_dtype_info(x->dtype)->kind != BN_KIND_FLOAT)
        return bni_error(BN_ERR_DTYPE, "%s: %s input; a float dtype (f32, f64, f16, bf16) is needed", fn,
                         bn_dtype_name(x->dtype));
    bn_ctx *ctx = bn_tensor_ctx(x);
    int64_t k = x->shape[x->ndim - 1];
    int64_t sshape[BN_MAX_DIMS];
    memcpy(sshape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    sshape[x->ndim - 1] = 1;
    bn_tensor *xf = NULL, *tq = NULL, *ts = NULL;
    if ((st = as_f32(fn, x, &xf)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, ctx, BN_DTYPE_I8, x->ndim, x->shape, 0, &tq)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, ctx, BN_DTYPE_F32, x->ndim, sshape, 0, &ts)) != BN_OK) goto fail;
    st = bn_quantize_activations_rows_f32((const float *)bn_tensor_data(xf), bn_tensor_numel(ts), k, k,
                                          (int8_t *)bn_tensor_data(tq), (float *)bn_tensor_data(ts));
    if (st) goto fail;
    bn_tensor_free(xf);
    *q = tq;
    *scales = ts;
    return BN_OK;
fail:
    bn_tensor_free(xf);
    bn_tensor_free(tq);
    bn_tensor_free(ts);
    return st;
}

bn_status bn_dequantize_activations(const bn_tensor *q, const bn_tensor *scales, bn_tensor **out) {
    static const char fn[] = "bn_dequantize_activations";
    BNI_QUANT_CHECK_NULL(fn, q);
    BNI_QUANT_CHECK_NULL(fn, scales);
    BNI_QUANT_CHECK_NULL(fn, out);
    bn_status st = check_rank(fn, q, "q");
    if (st) return st;
    if (q->dtype != BN_DTYPE_I8 || scales->dtype != BN_DTYPE_F32)
        return bni_error(BN_ERR_DTYPE, "%s: codes are %s and scales %s; i8 and f32 are needed", fn,
                         bn_dtype_name(q->dtype), bn_dtype_name(scales->dtype));
    int64_t k = q->shape[q->ndim - 1];
    int64_t rows = k > 0 ? bn_tensor_numel(q) / k : bni_numel(q->ndim - 1, q->shape);
    if (bn_tensor_numel(scales) != rows) {
        char a[192], b[192];
        bni_format_shape(a, sizeof a, q->ndim, q->shape);
        bni_format_shape(b, sizeof b, scales->ndim, scales->shape);
        return bni_error(BN_ERR_SHAPE, "%s: codes %s have %" PRId64 " rows but scales %s hold %" PRId64 " values",
                         fn, a, rows, b, bn_tensor_numel(scales));
    }
    bn_tensor *qc = NULL, *sc = NULL, *t = NULL;
    if ((st = bn_tensor_contiguous(q, &qc)) != BN_OK) goto fail;
    if ((st = bn_tensor_contiguous(scales, &sc)) != BN_OK) goto fail;
    if ((st = bni_tensor_alloc(fn, bn_tensor_ctx(q), BN_DTYPE_F32, q->ndim, q->shape, 0, &t)) != BN_OK) goto fail;
    if (rows > 0 && k > 0) {
        st = bn_dequantize_activations_f32((const int8_t *)bn_tensor_data(qc), rows, k,
                                           (const float *)bn_tensor_data(sc), (float *)bn_tensor_data(t));
        if (st) goto fail;
    }
    bn_tensor_free(qc);
    bn_tensor_free(sc);
    *out = t;
    return BN_OK;
fail:
    bn_tensor_free(qc);
    bn_tensor_free(sc);
    bn_tensor_free(t);
    return st;
}
