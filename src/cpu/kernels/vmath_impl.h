/* Vector math shared by every ISA: exp, tanh, erf, erfc of large
 * arguments, log1p on [0, 1], and the exp-based activations, written once
 * over the small vector layer that each src/cpu/kernels/<isa>/vmath.h
 * defines (bnv_f, bnv_i, bnv_m and the bnv_* primitives) before including
 * this file. Every ISA runs the same algorithm; results differ only where
 * an ISA fuses multiply-adds (AVX2, AVX-512, NEON) and the scalar and SSE4.1
 * paths round twice.
 *
 * Algorithms (coefficients are our own minimax fits, in vmath_coef.h; the
 * maximum errors measured against double-precision libm over a sweep of
 * f32 inputs are in docs/ops.md and asserted by tests/test_vmath.c):
 * - exp: x = n ln2 + r with n = round(x / ln2) (Cody-Waite two-part ln2),
 *   e^r = 1 + r + r^2 P(r) (degree 4), times 2^n applied as two powers of
 *   two so that subnormal results are rounded once; x > 89 gives inf,
 *   x < -104 gives 0, NaN stays NaN.
 * - tanh: |x| < 0.625: x + x^3 P(x^2); else sign(x) (1 - 2 / (e^{2|x|} + 1)).
 * - erf: |x| < 0.75: x P(x^2); else sign(x) (1 - erfc(|x|)).
 * - erfc(u), u >= 0.75: e^{-u^2} R(1/u) / u with R one polynomial of
 *   degree 14 over the whole range of 1/u (vmath_coef_erfc.h; no per-lane
 *   choice of coefficients); u^2 is carried as hi + lo (u split into 12 +
 *   12 bits) and both parts go into the exp's argument reduction, so that
 *   e^{-u^2} keeps full precision up to u = 10.5.
 * - log1p(y), 0 <= y <= 1: 2 atanh(s), s = y / (2 + y), as 2s + 2s^3 P(s^2).
 */
#ifndef BITNET_CPU_KERNELS_VMATH_IMPL_H
#define BITNET_CPU_KERNELS_VMATH_IMPL_H

#include "cpu/kernels/vmath_coef.h"
#include "cpu/kernels/vmath_coef_erfc.h"

#define BNV_MAGIC 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */

/* e^x = y * s1 * s2, with y in [0.7, 1.42] and s1, s2 powers of two; x must
 * not be NaN (callers replace NaN first). */
static inline void bnv_exp_parts(bnv_f x, bnv_f *y, bnv_f *s1, bnv_f *s2) {
    x = bnv_min(bnv_max(x, bnv_set1(-150.0f)), bnv_set1(89.0f));
    bnv_f kf = bnv_sub(bnv_fmadd(x, bnv_set1(1.44269504088896341f), bnv_set1(BNV_MAGIC)), bnv_set1(BNV_MAGIC));
    bnv_f r = bnv_fmadd(kf, bnv_set1(-0.693359375f), x);
    r = bnv_fmadd(kf, bnv_set1(2.12194440e-4f), r);
    bnv_f p = bnv_set1(BNV_EXP_P_4);
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_3));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_2));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_1));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_0));
    bnv_f r2 = bnv_mul(r, r);
    *y = bnv_add(bnv_fmadd(p, r2, r), bnv_set1(1.0f));
    bnv_i n = bnv_cvt_f2i(kf);               /* -216 .. 128 */
    bnv_i n1 = bnv_i_srai1(n);               /* -108 .. 64 */
    bnv_i n2 = bnv_i_sub(n, n1);             /* -108 .. 64 */
    *s1 = bnv_cast_i2f(bnv_i_shl23(bnv_i_add(n1, bnv_i_set1(127))));
    *s2 = bnv_cast_i2f(bnv_i_shl23(bnv_i_add(n2, bnv_i_set1(127))));
}

static inline bnv_f bnv_denan(bnv_f x) { return bnv_select(bnv_isnan(x), bnv_set1(0.0f), x); }

/* f * e^x for a finite f of moderate size, rounded once into the subnormal
 * range; x must not be NaN. */
static inline bnv_f bnv_exp_mul_nn(bnv_f x, bnv_f f) {
    bnv_f y, s1, s2;
    bnv_exp_parts(x, &y, &s1, &s2);
    return bnv_mul(bnv_mul(bnv_mul(y, f), s1), s2);
}

/* e^x. */
static inline bnv_f bnv_exp(bnv_f x) {
    bnv_f y, s1, s2;
    bnv_exp_parts(bnv_denan(x), &y, &s1, &s2);
    bnv_f e = bnv_mul(bnv_mul(y, s1), s2);
    return bnv_select(bnv_isnan(x), x, e);
}

/* tanh(x). */
static inline bnv_f bnv_tanh(bnv_f x) {
    bnv_f ax = bnv_abs(x);
    bnv_f x2 = bnv_mul(x, x);
    bnv_f p = bnv_set1(BNV_TANH_P_5);
    p = bnv_fmadd(p, x2, bnv_set1(BNV_TANH_P_4));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_TANH_P_3));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_TANH_P_2));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_TANH_P_1));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_TANH_P_0));
    bnv_f small = bnv_fmadd(bnv_mul(x, x2), p, x);
    bnv_f e = bnv_exp(bnv_add(ax, ax));
    bnv_f large = bnv_sub(bnv_set1(1.0f), bnv_div(bnv_set1(2.0f), bnv_add(e, bnv_set1(1.0f))));
    large = bnv_copysign(large, x);
    return bnv_select(bnv_lt(ax, bnv_set1(0.625f)), small, large);
}

/* x P(x^2) for |x| < 0.75. */
static inline bnv_f bnv_erf_small(bnv_f x) {
    bnv_f x2 = bnv_mul(x, x);
    bnv_f p = bnv_set1(BNV_ERF_P_6);
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_5));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_4));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_3));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_2));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_1));
    p = bnv_fmadd(p, x2, bnv_set1(BNV_ERF_P_0));
    return bnv_mul(x, p);
}

/* e^(xh + xl) = y * s1 * s2 as bnv_exp_parts, for |xl| small against xh
 * (|xl| < 0.06 here) and xh + xl in [-149, 0]: n is taken from the rounded
 * sum, the reduction r = (xh - n ln2) + xl keeps xl's bits (xh - n ln2 is
 * exact, Cody-Waite), so e^xl needs no series of its own. */
static inline void bnv_exp_parts2(bnv_f xh, bnv_f xl, bnv_f *y, bnv_f *s1, bnv_f *s2) {
    bnv_f x = bnv_add(xh, xl);
    bnv_f kf = bnv_sub(bnv_fmadd(x, bnv_set1(1.44269504088896341f), bnv_set1(BNV_MAGIC)), bnv_set1(BNV_MAGIC));
    bnv_f r = bnv_fmadd(kf, bnv_set1(-0.693359375f), xh);
    r = bnv_add(bnv_fmadd(kf, bnv_set1(2.12194440e-4f), r), xl);
    bnv_f p = bnv_set1(BNV_EXP_P_4);
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_3));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_2));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_1));
    p = bnv_fmadd(p, r, bnv_set1(BNV_EXP_P_0));
    bnv_f r2 = bnv_mul(r, r);
    *y = bnv_add(bnv_fmadd(p, r2, r), bnv_set1(1.0f));
    bnv_i n = bnv_cvt_f2i(kf);   /* -216 .. 0 */
    bnv_i n1 = bnv_i_srai1(n);   /* -108 .. 0 */
    bnv_i n2 = bnv_i_sub(n, n1); /* -108 .. 0 */
    *s1 = bnv_cast_i2f(bnv_i_shl23(bnv_i_add(n1, bnv_i_set1(127))));
    *s2 = bnv_cast_i2f(bnv_i_shl23(bnv_i_add(n2, bnv_i_set1(127))));
}

/* f * erfc(u) for u in [0.75, 10.5] (not NaN), with u^2 = hi + lo, hi
 * exact; f finite and moderate. erfc(u) = e^{-u^2} P(z) / u with P one
 * polynomial of degree 14 in z = (2/u - SUM) * INVW (vmath_coef_erfc.h);
 * e^{-hi-lo} through bnv_exp_parts2. The power-of-two scaling comes last
 * so that subnormal results are rounded once. */
static inline bnv_f bnv_erfc_tail_mul(bnv_f u, bnv_f hi, bnv_f lo, bnv_f f) {
    bnv_f t = bnv_div(bnv_set1(1.0f), u);
    bnv_f z = bnv_mul(bnv_sub(bnv_add(t, t), bnv_set1(BNV_ERFC_P_SUM)), bnv_set1(BNV_ERFC_P_INVW));
    bnv_f p = bnv_set1(BNV_ERFC_P_14);
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_13));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_12));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_11));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_10));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_9));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_8));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_7));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_6));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_5));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_4));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_3));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_2));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_1));
    p = bnv_fmadd(p, z, bnv_set1(BNV_ERFC_P_0));
    bnv_f g = bnv_mul(bnv_mul(p, t), f);
    bnv_f y, s1, s2;
    bnv_exp_parts2(bnv_sub(bnv_set1(0.0f), hi), bnv_sub(bnv_set1(0.0f), lo), &y, &s1, &s2);
    return bnv_mul(bnv_mul(bnv_mul(y, g), s1), s2);
}

/* a = ah + al with ah holding the top 12 significant bits (ah^2 exact). */
static inline bnv_f bnv_split12(bnv_f a) { return bnv_and_bits(a, (int32_t)0xFFFFF000u); }

/* erf(x). */
static inline bnv_f bnv_erf(bnv_f x) {
    bnv_f ax = bnv_abs(bnv_denan(x));
    bnv_f small = bnv_erf_small(x);
    bnv_f u = bnv_min(bnv_max(ax, bnv_set1(0.75f)), bnv_set1(10.5f));
    bnv_f uh = bnv_split12(u), ul = bnv_sub(u, uh);
    bnv_f hi = bnv_mul(uh, uh), lo = bnv_mul(bnv_add(uh, u), ul);
    bnv_f large = bnv_sub(bnv_set1(1.0f), bnv_erfc_tail_mul(u, hi, lo, bnv_set1(1.0f)));
    large = bnv_copysign(large, x);
    bnv_f r = bnv_select(bnv_lt(ax, bnv_set1(0.75f)), small, large);
    return bnv_select(bnv_isnan(x), x, r);
}

/* x (1 + erf(x / sqrt 2)) / 2, accurate also in the negative tail (computed
 * as x erfc(-x / sqrt 2) / 2 there). */
static inline bnv_f bnv_gelu(bnv_f x) {
    bnv_f xn = bnv_denan(x);
    bnv_f v = bnv_mul(xn, bnv_set1(0.70710678118654752f));
    bnv_f small = bnv_mul(bnv_mul(bnv_set1(0.5f), xn), bnv_add(bnv_set1(1.0f), bnv_erf_small(v)));
    bnv_f ax = bnv_min(bnv_abs(xn), bnv_set1(14.8f));
    bnv_f u = bnv_max(bnv_mul(ax, bnv_set1(0.70710678118654752f)), bnv_set1(0.75f));
    bnv_f xh = bnv_split12(ax), xl = bnv_sub(ax, xh);
    bnv_f hi = bnv_mul(bnv_mul(xh, xh), bnv_set1(0.5f));
    bnv_f lo = bnv_mul(bnv_mul(bnv_add(xh, ax), xl), bnv_set1(0.5f));
    bnv_f xc = bnv_min(bnv_max(xn, bnv_set1(-20.0f)), bnv_set1(20.0f)); /* the tail is 0 beyond */
    bnv_f half_x = bnv_mul(bnv_set1(0.5f), xc);
    bnv_f tail = bnv_erfc_tail_mul(u, hi, lo, half_x); /* x erfc(|v|) / 2 */
    bnv_f large = bnv_select(bnv_gt(xn, bnv_set1(0.0f)), bnv_sub(xn, tail), tail);
    bnv_f r = bnv_select(bnv_lt(bnv_abs(v), bnv_set1(0.75f)), small, large);
    return bnv_select(bnv_isnan(x), x, r);
}

/* f * sigmoid(s) = f / (1 + e^-s), as f e^s / (1 + e^s) for s < 0 with the
 * product f e^s formed before the last power-of-two scaling (no early
 * underflow). s not NaN; f >= -200 (f > 0 may be any size). */
static inline bnv_f bnv_mul_sigmoid_nn(bnv_f f, bnv_f s) {
    bnv_f y, s1, s2;
    bnv_exp_parts(bnv_sub(bnv_set1(0.0f), bnv_abs(s)), &y, &s1, &s2);
    bnv_f e = bnv_mul(bnv_mul(y, s1), s2);
    bnv_f fe = bnv_mul(bnv_mul(bnv_mul(y, f), s1), s2);
    bnv_f num = bnv_select(bnv_lt(s, bnv_set1(0.0f)), fe, f);
    return bnv_div(num, bnv_add(bnv_set1(1.0f), e));
}

/* 1 / (1 + e^-x). */
static inline bnv_f bnv_sigmoid(bnv_f x) {
    bnv_f r = bnv_mul_sigmoid_nn(bnv_set1(1.0f), bnv_denan(x));
    return bnv_select(bnv_isnan(x), x, r);
}

/* x * sigmoid(x). */
static inline bnv_f bnv_silu(bnv_f x) {
    bnv_f xn = bnv_denan(x);
    bnv_f r = bnv_mul_sigmoid_nn(bnv_max(xn, bnv_set1(-200.0f)), xn);
    return bnv_select(bnv_isnan(x), x, r);
}

/* x sigmoid(2 z), z = sqrt(2/pi) (x + 0.044715 x^3): the same as
 * x (1 + tanh z) / 2 without its cancellation for x < 0. */
static inline bnv_f bnv_gelu_tanh(bnv_f x) {
    bnv_f xn = bnv_denan(x);
    bnv_f x2 = bnv_mul(xn, xn);
    bnv_f z2 = bnv_mul(bnv_mul(xn, bnv_set1(2.0f * 0.79788456080286536f)),
                       bnv_fmadd(x2, bnv_set1(0.044715f), bnv_set1(1.0f)));
    bnv_f r = bnv_mul_sigmoid_nn(bnv_max(xn, bnv_set1(-20.0f)), z2);
    return bnv_select(bnv_isnan(x), x, r);
}

/* log1p(y) for y in [0, 1]. */
static inline bnv_f bnv_log1p01(bnv_f y) {
    bnv_f s = bnv_div(y, bnv_add(y, bnv_set1(2.0f)));
    bnv_f s2 = bnv_mul(s, s);
    bnv_f p = bnv_set1(BNV_LOG1P_P_4);
    p = bnv_fmadd(p, s2, bnv_set1(BNV_LOG1P_P_3));
    p = bnv_fmadd(p, s2, bnv_set1(BNV_LOG1P_P_2));
    p = bnv_fmadd(p, s2, bnv_set1(BNV_LOG1P_P_1));
    p = bnv_fmadd(p, s2, bnv_set1(BNV_LOG1P_P_0));
    bnv_f s3 = bnv_mul(s2, s);
    bnv_f two_s = bnv_add(s, s);
    return bnv_fmadd(bnv_add(s3, s3), p, two_s);
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|); x for x > 20, as PyTorch. */
static inline bnv_f bnv_softplus(bnv_f x) {
    bnv_f xn = bnv_denan(x);
    bnv_f e = bnv_exp(bnv_sub(bnv_set1(0.0f), bnv_abs(xn)));
    bnv_f r = bnv_add(bnv_max(xn, bnv_set1(0.0f)), bnv_log1p01(e));
    r = bnv_select(bnv_gt(xn, bnv_set1(20.0f)), xn, r);
    return bnv_select(bnv_isnan(x), x, r);
}

#endif
