/* avx512 softmax and log-softmax rows: the reference's steps (max,
 * exp(x - max) summed pairwise, scale or subtract the log). */
#include <math.h>
#include <immintrin.h>

#include "cpu/kernels/avx512/vmath.h"
#include "cpu/reduce_kernels.h"

/* y[i] = exp(x[i] - m), with the element-wise kernels' vector exp. */
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

void bni_softmax_f32_avx512(const float *x, float *y, size_t n) {
    float m = bni_max_f32_avx512(x, n);
    exp_shift(x, m, y, n);
    float r = 1.0f / bni_sum_f32_avx512(y, n);
    __m512 vr = _mm512_set1_ps(r);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), vr));
    for (; i < n; i++) y[i] *= r;
}

void bni_log_softmax_f32_avx512(const float *x, float *y, size_t n) {
    float m = bni_max_f32_avx512(x, n);
    float t[BNI_SUM_BLOCK];
    bni_pw32 pw;
    bni_pw32_init(&pw);
    for (size_t i = 0; i < n; i += BNI_SUM_BLOCK) {
        size_t k = n - i < BNI_SUM_BLOCK ? n - i : BNI_SUM_BLOCK;
        exp_shift(x + i, m, t, k);
        bni_pw32_push(&pw, bni_sum_f32_avx512(t, k), 0);
    }
    float ls = logf(bni_pw32_finish(&pw));
    __m512 vm = _mm512_set1_ps(m), vl = _mm512_set1_ps(ls);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vl));
    for (; i < n; i++) y[i] = (x[i] - m) - ls;
}
