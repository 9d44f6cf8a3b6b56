/* Ulp sweeps of the vectorized exp, tanh, erf and the exp-based activations
 * of every ISA this CPU runs, against double-precision libm. The maximum
 * errors asserted here are the ones documented in docs/ops.md.
 *
 * Inputs: every 1021st f32 bit pattern (about 4.2 million values, both
 * signs, all exponents, NaN and infinities included) plus 2^20 evenly
 * spaced values over each function's interesting range. Error in ulps of
 * the correctly rounded f32 result: |y - ref| / ulp(ref), with ulp of a
 * subnormal 2^-149; results that overflow must be inf and NaN must stay
 * NaN. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ew_kernels.h"
#include "test_util.h"

typedef struct fn_case {
    const char *name;
    int kernel;
    double (*ref)(double);
    double lo, hi;    /* dense range */
    double bound;     /* documented max ulp (every ISA) */
} fn_case;

static double r_exp(double x) { return exp(x); }
static double r_tanh(double x) { return tanh(x); }
static double r_erf(double x) { return erf(x); }
static double r_sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }
static double r_silu(double x) { return x == -INFINITY ? -0.0 : x * r_sigmoid(x); }
static double r_gelu(double x) { return x == -INFINITY ? -0.0 : 0.5 * x * erfc(-x / sqrt(2.0)); }
static double r_gelu_tanh(double x) {
    if (x == -INFINITY) return -0.0;
    double z = sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
    return x * r_sigmoid(2.0 * z);
}
static double r_softplus(double x) { return x > 20.0 ? x : (x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))); }

/* Error of y against ref in ulps of the f32 result. */
static double ulp_err(float y, double ref) {
    if (isnan(ref)) return isnan(y) ? 0.0 : INFINITY;
    if (isnan(y)) return INFINITY;
    float rf = (float)ref;
    if (isinf(rf) || isinf(y)) return y == rf ? 0.0 : INFINITY;
    double a = fabs(ref);
    double ulp = a < FLT_MIN ? ldexp(1.0, -149) : ldexp(1.0, ilogb(a) - 23);
    return fabs((double)y - ref) / ulp;
}

static float bits_f(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

#define NPTS (1u << 20)

static double sweep(bni_ew_unary_fn fn, const fn_case *c, float *x, float *y, float *worst) {
    double maxe = 0.0;
    /* strided bit patterns */
    uint64_t pat = 0;
    while (pat < 0x100000000ull) {
        size_t n = 0;
        for (; n < NPTS && pat < 0x100000000ull; n++, pat += 1021) x[n] = bits_f((uint32_t)pat);
        fn(x, y, n);
        for (size_t i = 0; i < n; i++) {
            double e = ulp_err(y[i], c->ref((double)x[i]));
            if (e > maxe) {
                maxe = e;
                *worst = x[i];
            }
        }
    }
    /* special values */
    {
        const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, 1e-45f, -1e-45f};
        const size_t nsp = sizeof sp / sizeof sp[0];
        memcpy(x, sp, sizeof sp);
        fn(x, y, nsp);
        for (size_t i = 0; i < nsp; i++) {
            double e = ulp_err(y[i], c->ref((double)x[i]));
            if (e > maxe) {
                maxe = e;
                *worst = x[i];
            }
        }
    }
    /* dense range */
    for (size_t i = 0; i < NPTS; i++) x[i] = (float)(c->lo + (c->hi - c->lo) * (double)i / (NPTS - 1));
    fn(x, y, NPTS);
    for (size_t i = 0; i < NPTS; i++) {
        double e = ulp_err(y[i], c->ref((double)x[i]));
        if (e > maxe) {
            maxe = e;
            *worst = x[i];
        }
    }
    return maxe;
}

int main(void) {
    /* Bounds: see docs/ops.md ("Accuracy of the vector math"). */
    const fn_case cases[] = {
        {"exp", BNI_EWU_EXP, r_exp, -104.0, 89.0, 1.5},
        {"tanh", BNI_EWU_TANH, r_tanh, -10.0, 10.0, 2.0},
        {"erf", BNI_EWU_ERF, r_erf, -5.0, 5.0, 3.0},
        {"sigmoid", BNI_EWU_SIGMOID, r_sigmoid, -110.0, 30.0, 3.0},
        {"silu", BNI_EWU_SILU, r_silu, -110.0, 30.0, 3.5},
        {"gelu", BNI_EWU_GELU, r_gelu, -16.0, 8.0, 6.0},
        {"gelu_tanh", BNI_EWU_GELU_TANH, r_gelu_tanh, -12.0, 8.0, 256.0},
        {"softplus", BNI_EWU_SOFTPLUS, r_softplus, -110.0, 30.0, 3.0},
    };
    const int ncases = (int)(sizeof cases / sizeof cases[0]);
    float *x = malloc(NPTS * sizeof(float)), *y = malloc(NPTS * sizeof(float));
    if (!x || !y) return 1;
    const char *only = getenv("BITNET_VMATH_ONLY");
    for (int isa = 0; isa < 5; isa++) {
        const bni_ew_kernels *k = bni_ew_kernels_for_isa((bn_isa)isa);
        if (k == NULL) continue;
        for (int i = 0; i < ncases; i++) {
            if (only && strcmp(only, cases[i].name) != 0) continue;
            float worst = 0;
            double e = sweep(k->unary[cases[i].kernel], &cases[i], x, y, &worst);
            printf("%-8s %-10s max %.3f ulp (at %.9g)\n", bn_isa_name((bn_isa)isa), cases[i].name, e, worst);
            CHECK(e <= cases[i].bound);
        }
    }
    free(x);
    free(y);
    return bt_summary("test_vmath");
}
