/* Reference softmax and log-softmax rows: max, exp(x - max) (the scalar
 * vector-math exp of vmath.h) summed pairwise (the order of bni_sum_f32),
 * then scale or subtract the log. */
#include <math.h>

#include "cpu/kernels/scalar/vmath.h"
#include "cpu/reduce_kernels.h"

static void exp_shift(const float *x, float m, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = bnv_exp(x[i] - m);
}

void bni_softmax_f32_scalar(const float *x, float *y, size_t n) {
    float m = bni_max_f32_scalar(x, n);
    exp_shift(x, m, y, n);
    float r = 1.0f / bni_sum_f32_scalar(y, n);
    for (size_t i = 0; i < n; i++) y[i] *= r;
}

void bni_log_softmax_f32_scalar(const float *x, float *y, size_t n) {
    float m = bni_max_f32_scalar(x, n);
    float t[BNI_SUM_BLOCK];
    bni_pw32 pw;
    bni_pw32_init(&pw);
    for (size_t i = 0; i < n; i += BNI_SUM_BLOCK) {
        size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        exp_shift(x + i, m, t, k);
        bni_pw32_push(&pw, bni_sum_f32_scalar(t, k), 0);
    }
    float ls = logf(bni_pw32_finish(&pw));
    for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) - ls;
}
