/* Error metrics between a reference and its approximation (MSE, SQNR,
 * cosine similarity, max absolute error), accumulated in f64. */
#include <inttypes.h>
#include <math.h>

#include "core/error.h"
#include "quant/quant_internal.h"
#include "tensor/tensor_internal.h"

/* Running sums over pairs (a = reference, b = approximation). */
typedef struct metric_acc {
    double err2, ref2, app2, dot, maxerr;
    int nan;
} metric_acc;

static void acc_pair(metric_acc *m, double a, double b) {
    double e = a - b;
    if (e != e) m->nan = 1;
    m->err2 += e * e;
    m->ref2 += a * a;
    m->app2 += b * b;
    m->dot += a * b;
    double ae = fabs(e);
    if (ae > m->maxerr) m->maxerr = ae;
}

static void acc_finish(const metric_acc *m, int64_t n, bn_quant_metrics *out) {
    bn_quant_metrics r;
    r.count = n;
    r.mse = n > 0 ? m->err2 / (double)n : 0.0;
    r.max_abs_err = m->maxerr;
    if (m->err2 == 0.0) r.sqnr_db = INFINITY;
    else if (m->ref2 == 0.0) r.sqnr_db = -INFINITY;
    else r.sqnr_db = 10.0 * log10(m->ref2 / m->err2);
    if (m->ref2 == 0.0 && m->app2 == 0.0) r.cosine = 1.0;
    else if (m->ref2 == 0.0 || m->app2 == 0.0) r.cosine = 0.0;
    else r.cosine = m->dot / (sqrt(m->ref2) * sqrt(m->app2));
    if (m->nan) r.mse = r.sqnr_db = r.cosine = r.max_abs_err = NAN;
    *out = r;
}

bn_status bn_quant_error_f32(const float *ref, const float *approx, int64_t n, bn_quant_metrics *out) {
    static const char fn[] = "bn_quant_error_f32";
    BNI_QUANT_CHECK_NULL(fn, out);
    if (n < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative count %" PRId64, fn, n);
    if (n > 0 && (ref == NULL || approx == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, ref == NULL ? "ref" : "approx");
    metric_acc m = {0};
    for (int64_t i = 0; i < n; i++) acc_pair(&m, (double)ref[i], (double)approx[i]);
    acc_finish(&m, n, out);
    return BN_OK;
}

bn_status bn_quant_error(const bn_tensor *ref, const bn_tensor *approx, bn_quant_metrics *out) {
    static const char fn[] = "bn_quant_error";
    BNI_QUANT_CHECK_NULL(fn, ref);
    BNI_QUANT_CHECK_NULL(fn, approx);
    BNI_QUANT_CHECK_NULL(fn, out);
    int same = ref->ndim == approx->ndim;
    for (int d = 0; same && d < ref->ndim; d++) same = ref->shape[d] == approx->shape[d];
    if (!same) {
        char a[192], b[192];
        bni_format_shape(a, sizeof a, ref->ndim, ref->shape);
        bni_format_shape(b, sizeof b, approx->ndim, approx->shape);
        return bni_error(BN_ERR_SHAPE, "%s: reference %s and approximation %s differ in shape", fn, a, b);
    }
    if (bni_dtype_is_packed(ref->dtype) || bni_dtype_is_packed(approx->dtype))
        return bni_error(BN_ERR_DTYPE, "%s: packed %s input; dequantize it first (bn_tensor_cast to f32)", fn,
                         bn_dtype_name(bni_dtype_is_packed(ref->dtype) ? ref->dtype : approx->dtype));
    bn_tensor *a = NULL, *b = NULL;
    bn_status st = bn_tensor_cast(ref, BN_DTYPE_F64, &a);
    if (st == BN_OK) st = bn_tensor_cast(approx, BN_DTYPE_F64, &b);
    if (st == BN_OK) {
        int64_t n = bn_tensor_numel(a);
        const double *pa = (const double *)bn_tensor_data(a), *pb = (const double *)bn_tensor_data(b);
        metric_acc m = {0};
        for (int64_t i = 0; i < n; i++) acc_pair(&m, pa[i], pb[i]);
        acc_finish(&m, n, out);
    }
    bn_tensor_free(a);
    bn_tensor_free(b);
    return st;
}
