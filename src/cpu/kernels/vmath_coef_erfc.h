/* The erfc tail of vmath_impl.h on one interval (no per-lane choice of
 * coefficients). Fitted like tools/fit_vmath.py's BNV_ERFC_A/B (the same
 * lawson() routine: Lawson-reweighted least squares on 3000 Chebyshev nodes
 * against mpmath at 40 digits, relative weight, coefficients rounded to
 * f32), over the whole range of 1/u with 15 coefficients:
 *
 *   f = lambda t: (1/t)*mp.erfc(1/t)*mp.exp(1/t**2)
 *   a, b = 1/10.5, 1/0.75
 *   c, e, e32 = lawson(f, lambda t: 1/f(t),
 *                      [pw(j, lambda t: (2*t-(a+b))/(b-a)) for j in range(15)], a, b)
 */
#ifndef BITNET_CPU_KERNELS_VMATH_COEF_ERFC_H
#define BITNET_CPU_KERNELS_VMATH_COEF_ERFC_H

/* u erfc(u) e^(u^2) = P(z), t = 1/u in [0.0952381, 1.33333], z = (2t - 1.42857143) / 1.23809524; rel. error 6.13e-09 */
#define BNV_ERFC_P_N 15
#define BNV_ERFC_P_0 4.742409587e-01f
#define BNV_ERFC_P_1 -1.054233536e-01f
#define BNV_ERFC_P_2 5.605345592e-03f
#define BNV_ERFC_P_3 1.138673164e-02f
#define BNV_ERFC_P_4 -8.450806141e-03f
#define BNV_ERFC_P_5 3.781590378e-03f
#define BNV_ERFC_P_6 -9.993576678e-04f
#define BNV_ERFC_P_7 -1.401711779e-04f
#define BNV_ERFC_P_8 3.695368359e-04f
#define BNV_ERFC_P_9 -2.511835482e-04f
#define BNV_ERFC_P_10 1.732075179e-04f
#define BNV_ERFC_P_11 -1.449718984e-04f
#define BNV_ERFC_P_12 2.521984061e-05f
#define BNV_ERFC_P_13 6.050283264e-05f
#define BNV_ERFC_P_14 -3.001013101e-05f
#define BNV_ERFC_P_SUM 1.428571429e+00f
#define BNV_ERFC_P_INVW 8.076923077e-01f

#endif
