/* Softmax and log-softmax rows for one SIMD ISA, written once over that
 * ISA's vector layer. Include after the ISA's vmath.h with
 * `#define BNV_ISA <isa>`; defines bni_softmax_f32_<isa> and
 * bni_log_softmax_f32_<isa>. The steps are the scalar reference's: max,
 * exp(x - max) summed in the pairwise order of bni_sum_f32, then scale by
 * the reciprocal or subtract the log. */
#include <math.h>
#include <stddef.h>

#include "cpu/reduce_kernels.h"

#define BNS_CAT_(a, b) a##_##b
#define BNS_CAT(a, b) BNS_CAT_(a, b)
#define BNS_FN(name) BNS_CAT(name, BNV_ISA)

/* y[i] = exp(x[i] - m), with the element-wise kernels' vector exp; the tail
 * goes through one padded vector so every element sees the same exp. */
static void exp_shift(const float *x, float m, float *y, size_t n) {
    bnv_f vm = bnv_set1(m);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_exp(bnv_sub(bnv_loadu(x + i), vm)));
    if (i < n) {
        float t[BNV_W];
        for (size_t j = 0; j < BNV_W; j++) t[j] = i + j < n ? x[i + j] : m;
        bnv_storeu(t, bnv_exp(bnv_sub(bnv_loadu(t), vm)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = t[j];
    }
}

void BNS_FN(bni_softmax_f32)(const float *x, float *y, size_t n) {
    float m = BNS_FN(bni_max_f32)(x, n);
    exp_shift(x, m, y, n);
    float r = 1.0f / BNS_FN(bni_sum_f32)(y, n);
    bnv_f vr = bnv_set1(r);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_mul(bnv_loadu(y + i), vr));
    for (; i < n; i++) y[i] *= r;
}

void BNS_FN(bni_log_softmax_f32)(const float *x, float *y, size_t n) {
    float m = BNS_FN(bni_max_f32)(x, n);
    float t[BNI_SUM_BLOCK];
    bni_pw32 pw;
    bni_pw32_init(&pw);
    for (size_t i = 0; i < n; i += BNI_SUM_BLOCK) {
        size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        exp_shift(x + i, m, t, k);
        bni_pw32_push(&pw, BNS_FN(bni_sum_f32)(t, k), 0);
    }
    float ls = logf(bni_pw32_finish(&pw));
    bnv_f vm = bnv_set1(m), vl = bnv_set1(ls);
    size_t i = 0;
    for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(y + i, bnv_sub(bnv_sub(bnv_loadu(x + i), vm), vl));
    for (; i < n; i++) y[i] = (x[i] - m) - ls;
}
