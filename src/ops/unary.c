/* Unary element-wise operations and activations, clamp and leaky ReLU.
 *
 * Compute classes as in binary.c: f32/f16/bf16 (and integer inputs of the
 * math functions, which give f32) run in f32 through the kernel table in
 * blocks of 256 (contiguous f32 in place); f64 runs in double with libm;
 * neg, abs, sign, relu and relu2 of integers run in 64-bit unsigned
 * arithmetic wrapped to the dtype's width. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu/ew_kernels.h"
#include "ops/ops_internal.h"

#define BLK 256
#define UOP_CLAMP 100
#define UOP_LEAKY 101

enum { CL_F32, CL_F64, CL_I64, CL_U64 };

static const char *const k_names[BN_UNARY_OP_COUNT] = {
    "neg",  "abs",  "sign",    "sqrt", "rsqrt", "exp",  "log",  "sin",       "cos",
    "tanh", "sigmoid", "erf", "relu", "relu2", "gelu", "gelu_tanh", "silu", "softplus"};

const char *bn_unary_op_name(bn_unary_op op) {
    if ((unsigned)op >= BN_UNARY_OP_COUNT) return "unknown";
    return k_names[op];
}

/* Ops that keep integer dtypes. */
static int keeps_int(int op) {
    return op == BN_OP_NEG || op == BN_OP_ABS || op == BN_OP_SIGN || op == BN_OP_RELU || op == BN_OP_RELU2 ||
           op == UOP_CLAMP;
}

static int kernel_of(int op) {
    switch (op) {
    case BN_OP_EXP: return BNI_EWU_EXP;
    case BN_OP_SIGMOID: return BNI_EWU_SIGMOID;
    case BN_OP_TANH: return BNI_EWU_TANH;
    case BN_OP_SILU: return BNI_EWU_SILU;
    case BN_OP_GELU: return BNI_EWU_GELU;
    case BN_OP_GELU_TANH: return BNI_EWU_GELU_TANH;
    case BN_OP_SOFTPLUS: return BNI_EWU_SOFTPLUS;
    case BN_OP_ERF: return BNI_EWU_ERF;
    case BN_OP_RELU: return BNI_EWU_RELU;
    case BN_OP_RELU2: return BNI_EWU_RELU2;
    case BN_OP_ABS: return BNI_EWU_ABS;
    case BN_OP_NEG: return BNI_EWU_NEG;
    case BN_OP_SQRT: return BNI_EWU_SQRT;
    default: return -1;
    }
}

typedef struct un_job {
    int op;
    int cls;
    bn_dtype ct;       /* compute dtype */
    bn_dtype result;   /* wrap width for integers */
    bn_dtype dt[2];    /* out, x */
    double lo, hi, slope;
    const bni_ew_kernels *k;
} un_job;

static inline double sigmoid_d(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

static void f32_other(const un_job *j, const float *x, float *o, int64_t n) {
    switch (j->op) {
    case BN_OP_SIGN:
        for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0 ? 1.0f : x[i] < 0 ? -1.0f : x[i];
        break;
    case BN_OP_RSQRT:
        for (int64_t i = 0; i < n; i++) o[i] = 1.0f / sqrtf(x[i]);
        break;
    case BN_OP_LOG:
        for (int64_t i = 0; i < n; i++) o[i] = logf(x[i]);
        break;
    case BN_OP_SIN:
        for (int64_t i = 0; i < n; i++) o[i] = sinf(x[i]);
        break;
    case BN_OP_COS:
        for (int64_t i = 0; i < n; i++) o[i] = cosf(x[i]);
        break;
    case UOP_CLAMP: {
        const float lo = (float)j->lo, hi = (float)j->hi;
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            o[i] = v;
        }
        break;
    }
    default: { /* leaky relu */
        const float s = (float)j->slope;
        for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : x[i] * s;
        break;
    }
    }
}

static void f64_op(const un_job *j, const double *x, double *o, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double v = x[i], r;
        switch (j->op) {
        case BN_OP_NEG: r = -v; break;
        case BN_OP_ABS: r = fabs(v); break;
        case BN_OP_SIGN: r = v > 0 ? 1.0 : v < 0 ? -1.0 : v; break;
        case BN_OP_SQRT: r = sqrt(v); break;
        case BN_OP_RSQRT: r = 1.0 / sqrt(v); break;
        case BN_OP_EXP: r = exp(v); break;
        case BN_OP_LOG: r = log(v); break;
        case BN_OP_SIN: r = sin(v); break;
        case BN_OP_COS: r = cos(v); break;
        case BN_OP_TANH: r = tanh(v); break;
        case BN_OP_SIGMOID: r = sigmoid_d(v); break;
        case BN_OP_ERF: r = erf(v); break;
        case BN_OP_RELU: r = (v > 0 || v != v) ? v : 0.0; break;
        case BN_OP_RELU2: r = (v > 0 || v != v) ? v * v : 0.0; break;
        case BN_OP_GELU: r = v < -40 ? -0.0 : 0.5 * v * erfc(-v * 0.70710678118654752440); break;
        case BN_OP_GELU_TANH: {
            double z = 0.79788456080286535588 * (v + 0.044715 * v * v * v);
            r = v < -40 ? -0.0 : v * sigmoid_d(2.0 * z);
            break;
        }
        case BN_OP_SILU: r = v < -800 ? -0.0 : v * sigmoid_d(v); break;
        case BN_OP_SOFTPLUS: r = v > 20 ? v : log1p(exp(v)); break;
        case UOP_CLAMP:
            r = v;
            if (r < j->lo) r = j->lo;
            if (r > j->hi) r = j->hi;
            break;
        default: r = v > 0 ? v : v * j->slope; break;
        }
        o[i] = r;
    }
}

static inline int64_t wrap_s(bn_dtype d, uint64_t v) {
    switch (d) {
    case BN_DTYPE_I8: return (int8_t)(uint8_t)v;
    case BN_DTYPE_I16: return (int16_t)(uint16_t)v;
    case BN_DTYPE_I32: return (int32_t)(uint32_t)v;
    default: return (int64_t)v;
    }
}
static inline uint64_t wrap_u(bn_dtype d, uint64_t v) {
    switch (d) {
    case BN_DTYPE_U8: return (uint8_t)v;
    case BN_DTYPE_U16: return (uint16_t)v;
    case BN_DTYPE_U32: return (uint32_t)v;
    case BN_DTYPE_BOOL: return v != 0;
    default: return v;
    }
}

static inline int64_t sat_i64(double d) {
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}
static inline uint64_t sat_u64(double d) {
    if (d >= 18446744073709551615.0) return UINT64_MAX;
    if (d <= 0) return 0;
    return (uint64_t)d;
}

static void i64_op(const un_job *j, const int64_t *x, int64_t *o, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        int64_t v = x[i];
        uint64_t u = (uint64_t)v, r;
        switch (j->op) {
        case BN_OP_NEG: r = 0 - u; break;
        case BN_OP_ABS: r = v < 0 ? 0 - u : u; break;
        case BN_OP_SIGN: r = (uint64_t)(int64_t)((v > 0) - (v < 0)); break;
        case BN_OP_RELU: r = v > 0 ? u : 0; break;
        case BN_OP_RELU2: r = v > 0 ? u * u : 0; break;
        default: { /* clamp with integral bounds */
            int64_t c = v;
            if (!isinf(j->lo) && (double)c < j->lo) c = sat_i64(j->lo);
            if (!isinf(j->hi) && (double)c > j->hi) c = sat_i64(j->hi);
            r = (uint64_t)c;
            break;
        }
        }
        o[i] = wrap_s(j->result, r);
    }
}

static void u64_op(const un_job *j, const uint64_t *x, uint64_t *o, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = x[i], r;
        switch (j->op) {
        case BN_OP_NEG: r = 0 - v; break;
        case BN_OP_ABS:
        case BN_OP_RELU: r = v; break;
        case BN_OP_SIGN: r = v != 0; break;
        case BN_OP_RELU2: r = v * v; break;
        default: {
            double c = (double)v;
            r = v;
            if (!isinf(j->lo) && c < j->lo) r = sat_u64(j->lo);
            if (!isinf(j->hi) && (double)r > j->hi) r = sat_u64(j->hi);
            break;
        }
        }
        o[i] = wrap_u(j->result, r);
    }
}

static void un_loop(void *arg, char **p, const ptrdiff_t *s, int64_t n) {
    const un_job *j = arg;
    const ptrdiff_t csz = (ptrdiff_t)bni_dtype_size(j->ct);
    _Alignas(64) uint64_t bx[BLK], br[BLK];
    const int dx = j->dt[1] == j->ct && s[1] == csz;
    const int dout = j->dt[0] == j->ct && s[0] == csz && (j->result == j->ct || !bni_dtype_is_float(j->result));
    const int64_t blk = (dx && dout) ? n : BLK;
    const bni_cvt_fn cx = dx ? NULL : bni_cvt_get(j->dt[1], j->ct);
    const bni_cvt_fn co = dout ? NULL : bni_cvt_get(j->ct, j->dt[0]);
    const int twostep = !dout && j->result != j->ct && j->result != j->dt[0] && bni_dtype_is_float(j->result);
    const bni_cvt_fn c1 = twostep ? bni_cvt_get(j->ct, j->result) : NULL;
    const bni_cvt_fn c2 = twostep ? bni_cvt_get(j->result, j->dt[0]) : NULL;
    const int kidx = j->cls == CL_F32 && j->op < BN_UNARY_OP_COUNT ? kernel_of(j->op) : -1;
    for (int64_t off = 0; off < n; off += blk) {
        const int64_t m = n - off < blk ? n - off : blk;
        const void *px;
        if (dx) px = p[1] + off * s[1];
        else {
            cx(p[1] + off * s[1], s[1], (char *)bx, csz, (size_t)m);
            px = bx;
        }
        void *pr = dout ? (void *)(p[0] + off * s[0]) : (void *)br;
        switch (j->cls) {
        case CL_F32:
            if (kidx >= 0) j->k->unary[kidx](px, pr, (size_t)m);
            else f32_other(j, px, pr, m);
            break;
        case CL_F64: f64_op(j, px, pr, m); break;
        case CL_I64: i64_op(j, px, pr, m); break;
        default: u64_op(j, px, pr, m); break;
        }
        if (!dout) {
            if (c2) { /* round to the result dtype first (f16/bf16 results into a wider out) */
                c1((const char *)br, csz, (char *)br, (ptrdiff_t)bni_dtype_size(j->result), (size_t)m);
                c2((const char *)br, (ptrdiff_t)bni_dtype_size(j->result), p[0] + off * s[0], s[0], (size_t)m);
            } else co((const char *)br, csz, p[0] + off * s[0], s[0], (size_t)m);
        }
    }
}

static bn_status run_unary(const char *fn, int op, const char *name, const bn_tensor *x, double lo, double hi,
                           double slope, bn_tensor *out_into, bn_tensor **out_new) {
    bn_ctx *ctx = x->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    bn_status st = bni_ops_check_dtype(fn, name, x->dtype);
    if (st != BN_OK) return st;
    bn_dtype in = x->dtype, result;
    if (bni_dtype_is_float(in)) result = in;
    else if (op == UOP_LEAKY)
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype %s (float only)", fn, name,
                         bn_dtype_name(in));
    else if (op == BN_OP_NEG && in == BN_DTYPE_BOOL)
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype bool (use logical_xor with true)", fn, name);
    else if (op == UOP_CLAMP) {
        int frac = (isfinite(lo) && lo != floor(lo)) || (isfinite(hi) && hi != floor(hi)) || isnan(lo) || isnan(hi);
        result = frac ? BN_DTYPE_F32 : (in == BN_DTYPE_BOOL ? BN_DTYPE_I64 : in);
    } else result = keeps_int(op) ? in : BN_DTYPE_F32;
    un_job j;
    j.op = op;
    j.lo = lo;
    j.hi = hi;
    j.slope = slope;
    j.result = result;
    j.k = bni_ew_kernels_get();
    if (result == BN_DTYPE_F64) {
        j.cls = CL_F64;
        j.ct = BN_DTYPE_F64;
    } else if (bni_dtype_is_float(result)) {
        j.cls = CL_F32;
        j.ct = BN_DTYPE_F32;
    } else if (bni_dtype_is_signed(result)) {
        j.cls = CL_I64;
        j.ct = BN_DTYPE_I64;
    } else {
        j.cls = CL_U64;
        j.ct = BN_DTYPE_U64;
    }
    bn_tensor *out = out_into;
    if (out_into) {
        const bn_tensor *ins[1] = {x};
        if ((st = bni_ops_check_out(fn, out_into, x->ndim, x->shape, result, ins, 1)) != BN_OK) return st;
    } else if ((st = bni_ops_alloc_out(fn, ctx, result, x->ndim, x->shape, &out)) != BN_OK) {
        return st;
    }
    j.dt[0] = out->dtype;
    j.dt[1] = in;
    const bn_tensor *ts[2] = {out, x};
    bni_iter it;
    bni_iter_init(&it, 2, ts, x->ndim, x->shape);
    bni_iter_parallel(ctx, &it, un_loop, &j);
    if (out_new) *out_new = out;
    bni_prof_end(ctx, name, t0, it.numel);
    return BN_OK;
}

static bn_status check_op(const char *fn, bn_unary_op op) {
    if ((unsigned)op >= BN_UNARY_OP_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown unary op %d", fn, (int)op);
    return BN_OK;
}

bn_status bn_unary(bn_unary_op op, const bn_tensor *x, bn_tensor **out) {
    BNI_CHECK_NULL("bn_unary", x);
    BNI_CHECK_NULL("bn_unary", out);
    bn_status st = check_op("bn_unary", op);
    if (st != BN_OK) return st;
    return run_unary("bn_unary", op, k_names[op], x, 0, 0, 0, NULL, out);
}

bn_status bn_unary_into(bn_unary_op op, const bn_tensor *x, bn_tensor *out) {
    BNI_CHECK_NULL("bn_unary_into", x);
    BNI_CHECK_NULL("bn_unary_into", out);
    bn_status st = check_op("bn_unary_into", op);
    if (st != BN_OK) return st;
    return run_unary("bn_unary_into", op, k_names[op], x, 0, 0, 0, out, NULL);
}

bn_status bn_unary_(bn_unary_op op, bn_tensor *x) {
    BNI_CHECK_NULL("bn_unary_", x);
    bn_status st = check_op("bn_unary_", op);
    if (st != BN_OK) return st;
    return run_unary("bn_unary_", op, k_names[op], x, 0, 0, 0, x, NULL);
}

bn_status bn_clamp(const bn_tensor *x, double lo, double hi, bn_tensor **out) {
    BNI_CHECK_NULL("bn_clamp", x);
    BNI_CHECK_NULL("bn_clamp", out);
    return run_unary("bn_clamp", UOP_CLAMP, "clamp", x, lo, hi, 0, NULL, out);
}

bn_status bn_clamp_into(const bn_tensor *x, double lo, double hi, bn_tensor *out) {
    BNI_CHECK_NULL("bn_clamp_into", x);
    BNI_CHECK_NULL("bn_clamp_into", out);
    return run_unary("bn_clamp_into", UOP_CLAMP, "clamp", x, lo, hi, 0, out, NULL);
}

bn_status bn_leaky_relu(const bn_tensor *x, double slope, bn_tensor **out) {
    BNI_CHECK_NULL("bn_leaky_relu", x);
    BNI_CHECK_NULL("bn_leaky_relu", out);
    return run_unary("bn_leaky_relu", UOP_LEAKY, "leaky_relu", x, 0, 0, slope, NULL, out);
}

bn_status bn_leaky_relu_into(const bn_tensor *x, double slope, bn_tensor *out) {
    BNI_CHECK_NULL("bn_leaky_relu_into", x);
    BNI_CHECK_NULL("bn_leaky_relu_into", out);
    return run_unary("bn_leaky_relu_into", UOP_LEAKY, "leaky_relu", x, 0, 0, slope, out, NULL);
}
