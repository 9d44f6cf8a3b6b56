/* Internal: the scalar quantization rules shared by src/quant and the
 * BitLinear kernels (include freely; everything here is the reference the
 * SIMD versions must match bit for bit). */
#ifndef BITNET_QUANT_INTERNAL_H
#define BITNET_QUANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/quant.h"

/* NULL check of an argument with the caller's name in a variable. */
#define BNI_QUANT_CHECK_NULL(fn, p)                                                    \
    do {                                                                               \
        if ((p) == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", (fn), #p); \
    } while (0)

/* 1.5 * 2^23: (v + M) - M rounds v to the nearest integer, ties to even,
 * exactly as rintf in the default rounding mode, for |v| <= 2^22. Kept in
 * separate statements from any product so no FMA contraction can touch it. */
#define BNI_QUANT_RINT_MAGIC 12582912.0f

/* rint(v) clamped to [lo, hi] (small integers, |lo|, |hi| < 2^21); NaN
 * gives 0. Equal to (int)fminf(fmaxf(rintf(v), lo), hi) for every non-NaN v. */
static inline int bni_quant_round_clamp(float v, float lo, float hi) {
    if (v != v) return 0;
    float c = v > lo - 1.0f ? v : lo - 1.0f;
    c = c < hi + 1.0f ? c : hi + 1.0f;
    c = c + BNI_QUANT_RINT_MAGIC;
    c = c - BNI_QUANT_RINT_MAGIC;
    c = c > lo ? c : lo;
    c = c < hi ? c : hi;
    return (int)c;
}

/* Activation scale s = 127 * (1 / max(absmax, 1e-5)) in f32: transformers
 * writes `127 / x.abs().max().clamp_(min=1e-5)`, and torch evaluates a
 * scalar divided by a tensor as `tensor.reciprocal() * scalar`, which is not
 * always the correctly rounded 127 / absmax (checked against torch 2.11).
 * absmax must not be NaN. */
static inline float bni_quant_act_scale(float absmax) {
    float inv = 1.0f / (absmax > BN_QUANT_EPS ? absmax : BN_QUANT_EPS);
    return inv * 127.0f;
}

/* Largest |x[i]| over n values, NaN ignored (0 for n == 0 or all NaN). */
float bni_quant_absmax_f32(const float *x, int64_t n);

/* max(mean |w|, 1e-5) over n values: sum in f64, rounded once to f32; NaN
 * ignored in the sum (the mean still divides by n). 1e-5 for n == 0. */
float bni_quant_absmean_f32(const float *w, int64_t n);

/* q[i] = clamp(rint(w[i] * s), -1, 1) with s = 1.0f / absmean. */
void bni_quantize_ternary_f32(const float *w, int64_t n, float s, int8_t *q);

/* q[i] = clamp(rint(x[i] * s), -128, 127). */
void bni_quantize_i8_row(const float *x, int64_t n, float s, int8_t *q);

/* One activation row: *scale = bni_quant_act_scale(absmax), then
 * bni_quantize_i8_row. No argument checks. */
void bni_quantize_act_row(const float *x, int64_t k, int8_t *q, float *scale);

#endif
