/* Body of the f32 unary kernels, included by src/cpu/kernels/<isa>/unary.c
 * after that ISA's vmath.h and `#define BNV_ISA <isa>`. */
#include <stddef.h>
#include <string.h>

#include "cpu/ew_kernels.h"

#define BNV_CAT3_(a, b, c) a##b##c
#define BNV_CAT3(a, b, c) BNV_CAT3_(a, b, c)
#define BNV_UNAME(op) BNV_CAT3(bnv_u_##op, _, BNV_ISA)

static inline bnv_f bnv_relu(bnv_f x) { return bnv_max(bnv_set1(0.0f), x); } /* NaN stays NaN */
static inline bnv_f bnv_relu2(bnv_f x) {
    bnv_f r = bnv_relu(x);
    return bnv_mul(r, r);
}

#define BNV_DEF_UNARY(op, expr_fn)                                              \
    static void BNV_UNAME(op)(const float *x, float *o, size_t n) {            \
        size_t i = 0;                                                          \
        for (; i + BNV_W <= n; i += BNV_W) bnv_storeu(o + i, expr_fn(bnv_loadu(x + i))); \
        if (i < n) {                                                           \
            float tb_[BNV_W] = {0};                                            \
            memcpy(tb_, x + i, (n - i) * sizeof(float));                       \
            bnv_storeu(tb_, expr_fn(bnv_loadu(tb_)));                          \
            memcpy(o + i, tb_, (n - i) * sizeof(float));                       \
        }                                                                      \
    }

BNV_DEF_UNARY(exp, bnv_exp)
BNV_DEF_UNARY(sigmoid, bnv_sigmoid)
BNV_DEF_UNARY(tanh, bnv_tanh)
BNV_DEF_UNARY(silu, bnv_silu)
BNV_DEF_UNARY(gelu, bnv_gelu)
BNV_DEF_UNARY(gelu_tanh, bnv_gelu_tanh)
BNV_DEF_UNARY(softplus, bnv_softplus)
BNV_DEF_UNARY(erf, bnv_erf)
BNV_DEF_UNARY(relu, bnv_relu)
BNV_DEF_UNARY(relu2, bnv_relu2)
BNV_DEF_UNARY(abs, bnv_abs)
BNV_DEF_UNARY(neg, bnv_neg)
BNV_DEF_UNARY(sqrt, bnv_sqrt)

void BNV_CAT3(bni_ew_fill_unary, _, BNV_ISA)(bni_ew_kernels *k) {
    k->unary[BNI_EWU_EXP] = BNV_UNAME(exp);
    k->unary[BNI_EWU_SIGMOID] = BNV_UNAME(sigmoid);
    k->unary[BNI_EWU_TANH] = BNV_UNAME(tanh);
    k->unary[BNI_EWU_SILU] = BNV_UNAME(silu);
    k->unary[BNI_EWU_GELU] = BNV_UNAME(gelu);
    k->unary[BNI_EWU_GELU_TANH] = BNV_UNAME(gelu_tanh);
    k->unary[BNI_EWU_SOFTPLUS] = BNV_UNAME(softplus);
    k->unary[BNI_EWU_ERF] = BNV_UNAME(erf);
    k->unary[BNI_EWU_RELU] = BNV_UNAME(relu);
    k->unary[BNI_EWU_RELU2] = BNV_UNAME(relu2);
    k->unary[BNI_EWU_ABS] = BNV_UNAME(abs);
    k->unary[BNI_EWU_NEG] = BNV_UNAME(neg);
    k->unary[BNI_EWU_SQRT] = BNV_UNAME(sqrt);
}
