/* Unary ops, activations, clamp and leaky ReLU: every op x dtype (f32, f64,
 * f16, bf16, i8, i32, i64, u8, bool) on random shapes with size-0/size-1
 * dims and strided, transposed and expanded inputs, lengths 1..70 and 1000+,
 * against float64 libm (tolerances from the dtype's epsilon and the ulp
 * bounds documented in docs/ops.md), plus _into, in-place and the parallel
 * path. Runs on the kernel table of BITNET_ISA (tests/isa_tests.cmake). */
#include "ops_test_util.h"

static const char *g_ctx = "";

static double sigm(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

static double ref_unary(int op, double x) {
    switch (op) {
    case BN_OP_NEG: return -x;
    case BN_OP_ABS: return fabs(x);
    case BN_OP_SIGN: return x > 0 ? 1 : x < 0 ? -1 : x;
    case BN_OP_SQRT: return sqrt(x);
    case BN_OP_RSQRT: return 1.0 / sqrt(x);
    case BN_OP_EXP: return exp(x);
    case BN_OP_LOG: return log(x);
    case BN_OP_SIN: return sin(x);
    case BN_OP_COS: return cos(x);
    case BN_OP_TANH: return tanh(x);
    case BN_OP_SIGMOID: return sigm(x);
    case BN_OP_ERF: return erf(x);
    case BN_OP_RELU: return isnan(x) ? x : (x > 0 ? x : 0);
    case BN_OP_RELU2: return isnan(x) ? x : (x > 0 ? x * x : 0);
    case BN_OP_GELU: return x == -INFINITY ? -0.0 : 0.5 * x * erfc(-x / sqrt(2.0));
    case BN_OP_GELU_TANH: {
        if (x == -INFINITY) return -0.0;
        double z = sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
        return x * sigm(2 * z);
    }
    case BN_OP_SILU: return x == -INFINITY ? -0.0 : x * sigm(x);
    default: return x > 20 ? x : log1p(exp(x)); /* softplus */
    }
}

/* Documented f32 ulp bounds (docs/ops.md); libm-backed ops: 2. */
static double bound_ulps(int op) {
    switch (op) {
    case BN_OP_NEG: case BN_OP_ABS: case BN_OP_SIGN: case BN_OP_RELU: return 0;
    case BN_OP_SQRT: case BN_OP_RELU2: return 0.5;
    case BN_OP_EXP: return 1.5;
    case BN_OP_TANH: return 2;
    case BN_OP_ERF: case BN_OP_SIGMOID: case BN_OP_SOFTPLUS: return 3;
    case BN_OP_SILU: return 3.5;
    case BN_OP_GELU: return 6;
    case BN_OP_GELU_TANH: return 256;
    default: return 2;
    }
}

static int keeps_int(int op) {
    return op == BN_OP_NEG || op == BN_OP_ABS || op == BN_OP_SIGN || op == BN_OP_RELU || op == BN_OP_RELU2;
}

static double gen(bn_dtype d, void *arg) {
    (void)arg;
    if (ot_is_float(d) && ot_next() % 17 == 0) {
        const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-40, -30.0, 30.0, 100.0, -100.0, 1e-3};
        return sp[ot_next() % 11];
    }
    return ot_value(d, -8, 8);
}

static uint64_t wrap(bn_dtype d, uint64_t v) {
    int bits = bn_dtype_get_info(d)->bits;
    if (d == BN_DTYPE_BOOL) return v != 0;
    if (bits >= 64) return v;
    v &= ((uint64_t)1 << bits) - 1;
    if (ot_is_signed(d) && (v >> (bits - 1))) v |= ~(((uint64_t)1 << bits) - 1);
    return v;
}

/* Compare out with the reference; op < 100 unary op, 100 clamp, 101 leaky. */
static void check(int op, const bn_tensor *x, const bn_tensor *out, double lo, double hi, double slope) {
    int64_t n = bn_tensor_numel(out);
    bn_dtype od = bn_tensor_dtype(out), xd = bn_tensor_dtype(x);
    int bad = 0;
    for (int64_t f = 0; f < n && bad < 3; f++) {
        ot_val v = ot_read(x, f), got = ot_read(out, f);
        int ok;
        if (!ot_is_float(od)) {
            uint64_t e;
            int sg = ot_is_signed(xd);
            int64_t xi = v.i;
            if (op == 100) {
                int64_t c = xi;
                if (!isinf(lo) && (double)c < lo) c = (int64_t)lo;
                if (!isinf(hi) && (double)c > hi) c = (int64_t)hi;
                e = (uint64_t)c;
            } else if (op == BN_OP_NEG) e = 0 - v.u;
            else if (op == BN_OP_ABS) e = (sg && xi < 0) ? 0 - v.u : v.u;
            else if (op == BN_OP_SIGN) e = (uint64_t)(int64_t)((sg ? xi > 0 : v.u > 0) - (sg && xi < 0));
            else if (op == BN_OP_RELU) e = (!sg || xi > 0) ? v.u : 0;
            else e = (!sg || xi > 0) ? v.u * v.u : 0; /* relu2 */
            ok = got.u == wrap(od, e);
        } else {
            double xv = v.f;
            if (od != BN_DTYPE_F64) xv = (float)xv; /* computed in f32 */
            double e;
            if (op == 100) {
                e = xv;
                double l = od == BN_DTYPE_F64 ? lo : (float)lo, h = od == BN_DTYPE_F64 ? hi : (float)hi;
                if (e < l) e = l;
                if (e > h) e = h;
            } else if (op == 101) e = xv > 0 ? xv : xv * (od == BN_DTYPE_F64 ? slope : (float)slope);
            else e = ref_unary(op, xv);
            double b = (op >= 100) ? 0.5 : bound_ulps(op);
            double tol;
            if (od == BN_DTYPE_F64) tol = (4 + 2 * xv * xv) * ot_ulp(od, e); /* libm + argument rounding */
            else if (od == BN_DTYPE_F32) tol = (b > 0.5 ? b : 0.5) * ot_ulp(od, e);
            else tol = ot_ulp(od, e) + b * ot_ulp(BN_DTYPE_F32, e); /* rounded once from f32 */
            ok = ot_close(got.f, ot_round(od, e), tol) || ot_close(got.f, e, tol);
            if (!ok && e == 0 && got.f == 0) ok = 1;
        }
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s: x = %.9g -> %s got %.17g", g_ctx, v.f, bn_dtype_name(od), got.f);
            bt_fail(__FILE__, __LINE__, msg);
            bad++;
        }
    }
    if (!bad) bt_passed++;
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&o, &ctx));
    printf("kernels: %s", bn_cpu_kernels_describe());
    const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16, BN_DTYPE_I8,
                            BN_DTYPE_I32, BN_DTYPE_I64, BN_DTYPE_U8, BN_DTYPE_BOOL};
    char buf[160];
    for (int op = 0; op < BN_UNARY_OP_COUNT + 2; op++) {
        int uop = op < BN_UNARY_OP_COUNT ? op : 100 + (op - BN_UNARY_OP_COUNT);
        for (int di = 0; di < 9; di++) {
            bn_dtype d = dts[di];
            for (int trial = 0; trial < 5; trial++) {
                int nd;
                int64_t shape[BN_MAX_DIMS];
                int kind = (int)ot_int(0, 5);
                if (kind == 0) { nd = 1; shape[0] = ot_int(1, 70); }
                else if (kind == 1) { nd = 1; shape[0] = ot_int(1000, 1100); }
                else {
                    nd = (int)ot_int(0, 4);
                    for (int i = 0; i < nd; i++) shape[i] = ot_int(0, 8) == 0 ? 0 : ot_int(1, 6);
                }
                bn_tensor *x = ot_tensor(ctx, d, nd, shape, -1, 0, 0, gen, NULL);
                bn_tensor *out = NULL;
                double lo = trial % 2 ? -1.5 : -3, hi = trial % 3 ? 2 : 4, slope = 0.01 * (trial + 1);
                if (trial == 4) { lo = 3; hi = 1; } /* lo > hi: hi everywhere */
                snprintf(buf, sizeof buf, "%s %s nd %d", uop == 100 ? "clamp" : uop == 101 ? "leaky_relu" : bn_unary_op_name(uop),
                         bn_dtype_name(d), nd);
                g_ctx = buf;
                bn_status st;
                if (uop == 100) st = bn_clamp(x, lo, hi, &out);
                else if (uop == 101) st = bn_leaky_relu(x, slope, &out);
                else st = bn_unary(uop, x, &out);
                int expect_err = (uop == 101 && !ot_is_float(d)) || (uop == BN_OP_NEG && d == BN_DTYPE_BOOL);
                if (expect_err) {
                    CHECK(st == BN_ERR_DTYPE && strstr(bn_last_error(), bn_dtype_name(d)) != NULL);
                } else {
                    CHECK(st == BN_OK);
                    if (st == BN_OK) {
                        bn_dtype want = ot_is_float(d) ? d
                                        : (uop == 100 ? (lo != floor(lo) ? BN_DTYPE_F32 : (d == BN_DTYPE_BOOL ? BN_DTYPE_I64 : d))
                                                      : keeps_int(uop) ? d : BN_DTYPE_F32);
                        CHECK(bn_tensor_dtype(out) == want);
                        check(uop, x, out, lo, hi, slope);
                        /* in place when the dtype is kept, on a contiguous copy */
                        if (uop < 100 && want == d) {
                            bn_tensor *c = NULL;
                            CHECK_OK(bn_tensor_clone(x, &c));
                            CHECK_OK(bn_unary_(uop, c));
                            bn_tensor *xc = NULL;
                            CHECK_OK(bn_tensor_clone(x, &xc));
                            check(uop, xc, c, lo, hi, slope);
                            bn_tensor_free(c);
                            bn_tensor_free(xc);
                        }
                    }
                }
                bn_tensor_free(out);
                bn_tensor_free(x);
            }
        }
    }
    /* parallel path: 2 threads, 300 x 301, transposed input, into f64 out */
    {
        int64_t shp[2] = {300, 301};
        bn_tensor *x = ot_tensor(ctx, BN_DTYPE_F32, 2, shp, 1, -6, 6, NULL, NULL);
        bn_tensor *o1 = NULL, *o2 = NULL;
        CHECK_OK(bn_unary(BN_OP_GELU, x, &o1));
        g_ctx = "parallel gelu";
        check(BN_OP_GELU, x, o1, 0, 0, 0);
        CHECK_OK(bn_tensor_empty(ctx, BN_DTYPE_F64, 2, shp, &o2));
        CHECK_OK(bn_unary_into(BN_OP_GELU, x, o2));
        int64_t n = bn_tensor_numel(o1), mism = 0;
        for (int64_t f = 0; f < n; f++) mism += ot_read(o1, f).f != ot_read(o2, f).f;
        CHECK(mism == 0);
        bn_tensor_free(x);
        bn_tensor_free(o1);
        bn_tensor_free(o2);
    }
    bn_ctx_free(ctx);
    return bt_summary("test_ops_unary");
}
