/* bn_precision_report: per tensor, the policy's choice, its bytes and its
 * error against f32. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/precision.h"
#include "core/alloc.h"
#include "core/error.h"
#include "precision/precision_internal.h"

struct bn_precision_report {
    bn_precision_report_row *rows;
    size_t n;
};

void bn_precision_report_free(bn_precision_report *r) {
    if (r == NULL) return;
    for (size_t i = 0; i < r->n; i++) {
        bni_free((void *)r->rows[i].name);
        bni_free((void *)r->rows[i].matched);
    }
    bni_free(r->rows);
    bni_free(r);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = (char *)bni_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16 || d == BN_DTYPE_F64;
}

static bn_status one_row(const bn_precision_named_tensor *nt, const bn_precision_policy *policy,
                         bn_precision_report_row *row) {
    static const char fn[] = "bn_precision_report_new";
    const bn_tensor *t = nt->tensor;
    if (!is_float(bn_tensor_dtype(t)))
        return bni_error(BN_ERR_DTYPE, "%s: tensor \"%s\" is %s; the report reads float tensors", fn, nt->name,
                         bn_dtype_name(bn_tensor_dtype(t)));
    row->kind = bn_layer_kind_guess(nt->name);
    const char *matched = NULL;
    bn_status st = bn_precision_policy_resolve(policy, nt->name, row->kind, &row->spec, &matched);
    if (st) return st;
    row->numel = bn_tensor_numel(t);
    row->bytes_f32 = (size_t)row->numel * 4;
    if ((st = bn_precision_bytes(&row->spec, bn_tensor_ndim(t), bn_tensor_shape(t), &row->bytes))) {
        return bni_error(st, "%s: tensor \"%s\": %s", fn, nt->name, bn_last_error());
    }
    bn_tensor *ref = NULL, *conv = NULL, *back = NULL;
    /* views where the data already is f32 (contiguous): no copies of big f32 tensors */
    bn_precision_spec f32 = bn_precision_spec_of(BN_DTYPE_F32);
    if ((st = bn_precision_convert(t, &f32, &ref, NULL))) goto done;
    if ((st = bn_precision_convert(t, &row->spec, &conv, NULL))) goto done;
    if ((st = bn_precision_convert(conv, &f32, &back, NULL))) goto done;
    st = bn_quant_error_f32((const float *)bn_tensor_data(ref), (const float *)bn_tensor_data(back), row->numel,
                            &row->error);
done:
    bn_tensor_free(ref);
    bn_tensor_free(conv);
    bn_tensor_free(back);
    if (st) return st;
    row->name = dup_str(nt->name);
    row->matched = matched ? dup_str(matched) : NULL;
    if (row->name == NULL || (matched && row->matched == NULL)) {
        bni_free((void *)row->name);
        bni_free((void *)row->matched);
        row->name = row->matched = NULL;
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: names", fn);
    }
    return BN_OK;
}

bn_status bn_precision_report_new(const bn_precision_named_tensor *tensors, size_t n,
                                  const bn_precision_policy *policy, bn_precision_report **out) {
    static const char fn[] = "bn_precision_report_new";
    BNI_PCHECK_NULL(fn, policy);
    BNI_PCHECK_NULL(fn, out);
    if (n) BNI_PCHECK_NULL(fn, tensors);
    for (size_t i = 0; i < n; i++)
        if (tensors[i].name == NULL || tensors[i].tensor == NULL)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: tensor %zu has a NULL name or tensor", fn, i);
    bn_precision_report *r = (bn_precision_report *)bni_malloc(sizeof *r);
    bn_precision_report_row *rows = (bn_precision_report_row *)bni_malloc((n ? n : 1) * sizeof *rows);
    if (r == NULL || rows == NULL) {
        bni_free(r);
        bni_free(rows);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: %zu rows", fn, n);
    }
    memset(rows, 0, (n ? n : 1) * sizeof *rows);
    r->rows = rows;
    r->n = 0;
    for (size_t i = 0; i < n; i++) {
        bn_status st = one_row(&tensors[i], policy, &rows[i]);
        if (st) {
            bn_precision_report_free(r);
            return st;
        }
        r->n++;
    }
    *out = r;
    return BN_OK;
}

size_t bn_precision_report_count(const bn_precision_report *r) { return r ? r->n : 0; }

const bn_precision_report_row *bn_precision_report_row_at(const bn_precision_report *r, size_t index) {
    return r && index < r->n ? &r->rows[index] : NULL;
}

static void fmt_bytes(char *buf, size_t size, double b) {
    if (b >= 1024.0 * 1024 * 1024) snprintf(buf, size, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024) snprintf(buf, size, "%.2f MiB", b / (1024.0 * 1024));
    else if (b >= 1024.0) snprintf(buf, size, "%.1f KiB", b / 1024.0);
    else snprintf(buf, size, "%.0f B", b);
}

bn_status bn_precision_report_print(const bn_precision_report *r, FILE *f) {
    BNI_CHECK_NULL("bn_precision_report_print", r);
    BNI_CHECK_NULL("bn_precision_report_print", f);
    int w = 6;
    for (size_t i = 0; i < r->n; i++) {
        int l = (int)strlen(r->rows[i].name);
        if (l > w) w = l;
    }
    if (w > 60) w = 60;
    fprintf(f, "%-*s  %-10s  %-14s  %10s  %11s  %9s  %9s  %10s\n", w, "tensor", "kind", "precision", "bytes", "mse",
            "sqnr_db", "cosine", "max_abs");
    double tot = 0, tot32 = 0;
    int any_override = 0;
    for (size_t i = 0; i < r->n; i++) {
        const bn_precision_report_row *row = &r->rows[i];
        char spec[48], bytes[32];
        bn_precision_spec_format(&row->spec, spec, sizeof spec);
        fmt_bytes(bytes, sizeof bytes, (double)row->bytes);
        fprintf(f, "%-*.*s  %-10s  %-14s  %10s  %11.4e  %9.2f  %9.6f  %10.4e%s\n", w, w, row->name,
                bn_layer_kind_name(row->kind), spec, bytes, row->error.mse, row->error.sqnr_db, row->error.cosine,
                row->error.max_abs_err, row->matched ? " *" : "");
        any_override |= row->matched != NULL;
        tot += (double)row->bytes;
        tot32 += (double)row->bytes_f32;
    }
    char a[32], b[32];
    fmt_bytes(a, sizeof a, tot);
    fmt_bytes(b, sizeof b, tot32);
    fprintf(f, "total: %zu tensors, %s (f32: %s, %.2fx smaller)%s\n", r->n, a, b, tot > 0 ? tot32 / tot : 0.0,
            any_override ? "; * = chosen by an override" : "");
    return BN_OK;
}
