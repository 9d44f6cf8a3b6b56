/* Binary element-wise operations with NumPy broadcasting.
 *
 * The result dtype follows bn_binary_result_type; the arithmetic runs in
 * one of four compute classes:
 * - F32: f32, f16 and bf16 (f16/bf16 converted to f32 in blocks of 256 and
 *   rounded once on the way out); add/sub/mul/div/min/max go to the
 *   element-wise kernel table (cpu/ew_kernels.h), contiguous f32 runs
 *   straight from and to the tensors;
 * - F64: f64, and true division of integers or bools (rounded once to f32);
 * - I64 / U64: signed / unsigned integers in 64-bit unsigned arithmetic,
 *   wrapped to the result's width (no undefined behaviour);
 * - BOOL: 0/1 (add = or, mul = and; sub, rem and pow are refused).
 * Comparisons and logical operations compute in the promoted class and give
 * bool. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cpu/ew_kernels.h"
#include "ops/ops_internal.h"

#define BLK 256

enum { CL_F32, CL_F64, CL_I64, CL_U64, CL_BOOL };

static const char *const k_names[BN_BINARY_OP_COUNT] = {
    "add", "sub", "mul", "div", "rem", "pow", "minimum", "maximum", "eq",
    "ne",  "lt",  "le",  "gt",  "ge",  "logical_and", "logical_or", "logical_xor"};

const char *bn_binary_op_name(bn_binary_op op) {
    if ((unsigned)op >= BN_BINARY_OP_COUNT) return "unknown";
    return k_names[op];
}

static int is_cmp(bn_binary_op op) { return op >= BN_OP_EQ && op <= BN_OP_GE; }
static int is_logical(bn_binary_op op) { return op >= BN_OP_LOGICAL_AND && op <= BN_OP_LOGICAL_XOR; }

/* Result dtype from the promoted dtype p. */
static bn_dtype result_of(bn_binary_op op, bn_dtype p) {
    if (is_cmp(op) || is_logical(op)) return BN_DTYPE_BOOL;
    if (op == BN_OP_DIV && !bni_dtype_is_float(p)) return BN_DTYPE_F32;
    return p;
}

bn_status bn_binary_result_type(bn_binary_op op, bn_dtype a, bn_dtype b, bn_dtype *out) {
    if (out == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_binary_result_type: out is NULL");
    if ((unsigned)op >= BN_BINARY_OP_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_binary_result_type: unknown op %d", (int)op);
    bn_dtype p;
    bn_status st = bn_promote_types(a, b, &p);
    if (st != BN_OK) return st;
    *out = result_of(op, p);
    return BN_OK;
}

/* ---- the job ------------------------------------------------------------ */

typedef struct bin_job {
    bn_binary_op op;
    int cls;            /* compute class */
    bn_dtype ct;        /* dtype of the compute buffers (f32, f64, i64, u64) */
    bn_dtype rt;        /* dtype of the result buffer (ct, or bool) */
    bn_dtype result;    /* the op's result dtype (integer wrap width) */
    bn_dtype dt[3];     /* out, a, b dtypes as stored */
    const bni_ew_kernels *k;
} bin_job;

static int kernel_index(bn_binary_op op) {
    switch (op) {
    case BN_OP_ADD: return BNI_EW_ADD;
    case BN_OP_SUB: return BNI_EW_SUB;
    case BN_OP_MUL: return BNI_EW_MUL;
    case BN_OP_DIV: return BNI_EW_DIV;
    case BN_OP_MINIMUM: return BNI_EW_MIN;
    case BN_OP_MAXIMUM: return BNI_EW_MAX;
    default: return -1;
    }
}

/* Comparison and logical ops, one definition per operand type (doubles,
 * and the int64/uint64 the integer paths widen to): a NaN compares false
 * except for ne, and logical ops read non-zero as true. */
#define BNI_DEFINE_CMP(name, T)                              \
    static inline int name(bn_binary_op op, T a, T b) {      \
        switch (op) {                                        \
        case BN_OP_EQ: return a == b;                        \
        case BN_OP_NE: return a != b;                        \
        case BN_OP_LT: return a < b;                         \
        case BN_OP_LE: return a <= b;                        \
        case BN_OP_GT: return a > b;                         \
        case BN_OP_GE: return a >= b;                        \
        case BN_OP_LOGICAL_AND: return a != 0 && b != 0;     \
        case BN_OP_LOGICAL_OR: return a != 0 || b != 0;      \
        default: return (a != 0) != (b != 0);                \
        }                                                    \
    }
BNI_DEFINE_CMP(cmp_f, double)
BNI_DEFINE_CMP(cmp_i, int64_t)
BNI_DEFINE_CMP(cmp_u, uint64_t)

static inline float rem_f(float a, float b) {
    float r = fmodf(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline double rem_d(double a, double b) {
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

/* Float ops the kernel table lacks (rem, pow) and comparisons; sa/sb: the
 * operand is one value. */
static void f32_other(bn_binary_op op, const float *a, int sa, const float *b, int sb, void *r, int64_t n) {
    if (is_cmp(op) || is_logical(op)) {
        uint8_t *o = r;
        for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)cmp_f(op, a[sa ? 0 : i], b[sb ? 0 : i]);
        return;
    }
    float *o = r;
    if (op == BN_OP_REM)
        for (int64_t i = 0; i < n; i++) o[i] = rem_f(a[sa ? 0 : i], b[sb ? 0 : i]);
    else
        for (int64_t i = 0; i < n; i++) o[i] = powf(a[sa ? 0 : i], b[sb ? 0 : i]);
}

static void f64_op(bn_binary_op op, const double *a, int sa, const double *b, int sb, void *r, int64_t n) {
    if (is_cmp(op) || is_logical(op)) {
        uint8_t *o = r;
        for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)cmp_f(op, a[sa ? 0 : i], b[sb ? 0 : i]);
        return;
    }
    double *o = r;
    for (int64_t i = 0; i < n; i++) {
        double x = a[sa ? 0 : i], y = b[sb ? 0 : i], v;
        switch (op) {
        case BN_OP_ADD: v = x + y; break;
        case BN_OP_SUB: v = x - y; break;
        case BN_OP_MUL: v = x * y; break;
        case BN_OP_DIV: v = x / y; break;
        case BN_OP_REM: v = rem_d(x, y); break;
        case BN_OP_POW: v = pow(x, y); break;
        case BN_OP_MINIMUM: v = (x != x || y != y) ? x + y : (x < y ? x : y); break;
        default: v = (x != x || y != y) ? x + y : (x > y ? x : y); break;
        }
        o[i] = v;
    }
}

static inline uint64_t upow(uint64_t base, uint64_t e) {
    uint64_t r = 1;
    while (e) {
        if (e & 1) r *= base;
        base *= base;
        e >>= 1;
    }
    return r;
}

/* Wrap v to the width and signedness of dtype d (integers). */
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
    default: return v;
    }
}

static void i64_op(bn_binary_op op, bn_dtype res, const int64_t *a, int sa, const int64_t *b, int sb, void *r,
                   int64_t n) {
    if (is_cmp(op) || is_logical(op)) {
        uint8_t *o = r;
        for (int64_t i = 0; i < n; i++) {
            o[i] = (uint8_t)cmp_i(op, a[sa ? 0 : i], b[sb ? 0 : i]);
        }
        return;
    }
    int64_t *o = r;
    for (int64_t i = 0; i < n; i++) {
        int64_t x = a[sa ? 0 : i], y = b[sb ? 0 : i];
        uint64_t ux = (uint64_t)x, uy = (uint64_t)y, v;
        switch (op) {
        case BN_OP_ADD: v = ux + uy; break;
        case BN_OP_SUB: v = ux - uy; break;
        case BN_OP_MUL: v = ux * uy; break;
        case BN_OP_REM: {
            int64_t q = y == -1 ? 0 : x % y; /* y != 0 checked before */
            if (q != 0 && ((q < 0) != (y < 0))) q += y;
            v = (uint64_t)q;
            break;
        }
        case BN_OP_POW: v = upow(ux, uy); break; /* y >= 0 checked before */
        case BN_OP_MINIMUM: v = (uint64_t)(x < y ? x : y); break;
        default: v = (uint64_t)(x > y ? x : y); break;
        }
        o[i] = wrap_s(res, v);
    }
}

static void u64_op(bn_binary_op op, bn_dtype res, const uint64_t *a, int sa, const uint64_t *b, int sb, void *r,
                   int64_t n) {
    if (is_cmp(op) || is_logical(op)) {
        uint8_t *o = r;
        for (int64_t i = 0; i < n; i++) {
            o[i] = (uint8_t)cmp_u(op, a[sa ? 0 : i], b[sb ? 0 : i]);
        }
        return;
    }
    uint64_t *o = r;
    for (int64_t i = 0; i < n; i++) {
        uint64_t x = a[sa ? 0 : i], y = b[sb ? 0 : i], v;
        switch (op) {
        case BN_OP_ADD: v = x + y; break;
        case BN_OP_SUB: v = x - y; break;
        case BN_OP_MUL: v = x * y; break;
        case BN_OP_REM: v = x % y; break;
        case BN_OP_POW: v = upow(x, y); break;
        case BN_OP_MINIMUM: v = x < y ? x : y; break;
        default: v = x > y ? x : y; break;
        }
        o[i] = res == BN_DTYPE_BOOL ? (v != 0) : wrap_u(res, v);
    }
}

/* The inner loop: ptrs/strides of out, a, b. */
static void bin_loop(void *arg, char **p, const ptrdiff_t *s, int64_t n);
static void bin_loop(void *arg, char **p, const ptrdiff_t *s, int64_t n) {
    const bin_job *j = arg;
    const ptrdiff_t csz = (ptrdiff_t)bni_dtype_size(j->ct), rsz = (ptrdiff_t)bni_dtype_size(j->rt);
    if (s[1] == 0 && s[2] == 0 && n > 1) {
        /* both operands broadcast along this run: one value, written n times */
        _Alignas(8) char one[8];
        char *q[3] = {one, p[1], p[2]};
        ptrdiff_t qs[3] = {(ptrdiff_t)bni_dtype_size(j->result), 0, 0};
        bin_job j1 = *j;
        j1.dt[0] = j->result;
        bin_loop(&j1, q, qs, 1);
        bni_cvt_get(j->result, j->dt[0])(one, 0, p[0], s[0], (size_t)n);
        return;
    }
    _Alignas(64) uint64_t ba[BLK], bb[BLK], br[BLK];
    const int sa = s[1] == 0 && n > 1, sb = s[2] == 0 && n > 1;
    /* operands read in place: the compute dtype, contiguous (or one value) */
    const int da = j->dt[1] == j->ct && (s[1] == csz || s[1] == 0);
    const int db = j->dt[2] == j->ct && (s[2] == csz || s[2] == 0);
    const int dout = j->dt[0] == j->rt && s[0] == rsz && (j->result == j->rt || !bni_dtype_is_float(j->result));
    const int64_t blk = (da && db && dout) ? n : BLK;
    const bni_cvt_fn ca = da ? NULL : bni_cvt_get(j->dt[1], j->ct);
    const bni_cvt_fn cb = db ? NULL : bni_cvt_get(j->dt[2], j->ct);
    const bni_cvt_fn co = dout ? NULL : bni_cvt_get(j->rt, j->dt[0]);
    const int twostep = !dout && j->result != j->rt && j->result != j->dt[0] && bni_dtype_is_float(j->result);
    const bni_cvt_fn c1 = twostep ? bni_cvt_get(j->rt, j->result) : NULL;
    const bni_cvt_fn c2 = twostep ? bni_cvt_get(j->result, j->dt[0]) : NULL;
    const int kidx = j->cls == CL_F32 ? kernel_index(j->op) : -1;
    for (int64_t off = 0; off < n; off += blk) {
        const int64_t m = n - off < blk ? n - off : blk;
        const void *pa, *pb;
        void *pr;
        if (da) pa = p[1] + (sa ? 0 : off * s[1]);
        else {
            ca(p[1] + (sa ? 0 : off * s[1]), s[1], (char *)ba, csz, (size_t)(sa ? 1 : m));
            pa = ba;
        }
        if (db) pb = p[2] + (sb ? 0 : off * s[2]);
        else {
            cb(p[2] + (sb ? 0 : off * s[2]), s[2], (char *)bb, csz, (size_t)(sb ? 1 : m));
            pb = bb;
        }
        pr = dout ? (void *)(p[0] + off * s[0]) : (void *)br;
        switch (j->cls) {
        case CL_F32:
            if (kidx >= 0)
                j->k->binary[kidx][sa ? BNI_EW_SV : sb ? BNI_EW_VS : BNI_EW_VV](pa, pb, pr, (size_t)m);
            else f32_other(j->op, pa, sa, pb, sb, pr, m);
            break;
        case CL_F64: f64_op(j->op, pa, sa, pb, sb, pr, m); break;
        case CL_I64: i64_op(j->op, j->result, pa, sa, pb, sb, pr, m); break;
        default: u64_op(j->op, j->result, pa, sa, pb, sb, pr, m); break;
        }
        if (!dout) {
            if (c2) { /* round to the result dtype first (f16/bf16/f32 results into a wider out) */
                c1((const char *)br, rsz, (char *)br, (ptrdiff_t)bni_dtype_size(j->result), (size_t)m);
                c2((const char *)br, (ptrdiff_t)bni_dtype_size(j->result), p[0] + off * s[0], s[0], (size_t)m);
            } else co((const char *)br, rsz, p[0] + off * s[0], s[0], (size_t)m);
        }
    }
}

/* ---- checks before writing: integer rem by zero, negative integer pow ---- */

typedef struct scan_job {
    bn_dtype dt;
    int bad;
    int neg_only; /* pow: look for negatives; rem: for zeros */
} scan_job;

static void scan_loop(void *arg, char **p, const ptrdiff_t *s, int64_t n) {
    scan_job *j = arg;
    int64_t buf[BLK];
    bni_cvt_fn c = bni_cvt_get(j->dt, BN_DTYPE_I64);
    for (int64_t off = 0; off < n && !j->bad; off += BLK) {
        int64_t m = n - off < BLK ? n - off : BLK;
        c(p[0] + off * s[0], s[0], (char *)buf, 8, (size_t)m);
        for (int64_t i = 0; i < m; i++)
            if (j->neg_only ? buf[i] < 0 : buf[i] == 0) j->bad = 1;
    }
}

/* ---- the driver ------------------------------------------------------------ */

typedef struct operand {
    const bn_tensor *t; /* NULL: a scalar */
    double s;
} operand;

/* An integral scalar as a 64-bit integer (saturated outside the range);
 * for unsigned compute its bits are used modulo 2^64. */
static int64_t scalar_i64(double s) {
    if (s >= 9223372036854775807.0) return INT64_MAX;
    if (s <= -9223372036854775808.0) return INT64_MIN;
    if (s != s) return 0;
    return (int64_t)s;
}

static int compute_class(bn_binary_op op, bn_dtype p, bn_dtype *ct) {
    if (bni_dtype_is_float(p)) {
        *ct = p == BN_DTYPE_F64 ? BN_DTYPE_F64 : BN_DTYPE_F32;
        return p == BN_DTYPE_F64 ? CL_F64 : CL_F32;
    }
    if (op == BN_OP_DIV) {
        *ct = BN_DTYPE_F64;
        return CL_F64;
    }
    if (p == BN_DTYPE_BOOL) {
        *ct = BN_DTYPE_U64;
        return CL_BOOL;
    }
    if (bni_dtype_is_signed(p)) {
        *ct = BN_DTYPE_I64;
        return CL_I64;
    }
    *ct = BN_DTYPE_U64;
    return CL_U64;
}

static bn_status run_binary(const char *fn, bn_binary_op op, operand A, operand B, bn_tensor *out_into,
                            bn_tensor **out_new) {
    if ((unsigned)op >= BN_BINARY_OP_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown binary op %d", fn, (int)op);
    const char *name = k_names[op];
    const bn_tensor *ta = A.t ? A.t : B.t;
    bn_ctx *ctx = ta->storage->ctx;
    uint64_t t0 = bni_prof_begin(ctx);
    bn_status st;
    if ((st = bni_ops_check_dtype(fn, name, ta->dtype)) != BN_OK) return st;
    if (A.t && B.t) {
        if ((st = bni_ops_check_dtype(fn, name, B.t->dtype)) != BN_OK) return st;
        if ((st = bni_ops_check_same_ctx(fn, A.t, B.t)) != BN_OK) return st;
    }
    /* dtypes */
    bn_dtype p;
    if (A.t && B.t) bn_promote_types(A.t->dtype, B.t->dtype, &p);
    else p = bni_promote_scalar(ta->dtype, A.t ? B.s : A.s);
    bn_dtype result = result_of(op, p), ct;
    int cls = compute_class(op, p, &ct);
    if (cls == CL_U64 && (is_cmp(op) || is_logical(op)) && ((!A.t && A.s < 0) || (!B.t && B.s < 0))) {
        cls = CL_F64; /* unsigned vs a negative scalar: compare values, not wrapped bits */
        ct = BN_DTYPE_F64;
    }
    if (cls == CL_BOOL && (op == BN_OP_SUB || op == BN_OP_REM || op == BN_OP_POW))
        return bni_error(BN_ERR_DTYPE, "%s: %s does not support dtype bool (use logical_xor for bool - bool)", fn,
                         name);
    /* shape */
    int ndim;
    int64_t shape[BN_MAX_DIMS];
    if (A.t && B.t) {
        if ((st = bni_ops_broadcast(fn, A.t, B.t, &ndim, shape)) != BN_OK) return st;
    } else {
        ndim = ta->ndim;
        memcpy(shape, ta->shape, sizeof(int64_t) * (size_t)ndim);
    }
    /* integer rem by zero, negative integer exponents */
    if ((cls == CL_I64 || cls == CL_U64) && (op == BN_OP_REM || (op == BN_OP_POW && cls == CL_I64))) {
        int neg = op == BN_OP_POW, bad;
        if (B.t) {
            scan_job sj = {B.t->dtype, 0, neg};
            bni_iter it;
            const bn_tensor *ts[1] = {B.t};
            bni_iter_init(&it, 1, ts, B.t->ndim, B.t->shape);
            if (bni_numel(ndim, shape) > 0) bni_iter_run(&it, 0, it.numel, scan_loop, &sj);
            bad = sj.bad;
        } else {
            bad = neg ? B.s < 0 : scalar_i64(B.s) == 0;
        }
        if (bad)
            return bni_error(BN_ERR_INVALID_ARGUMENT, neg ? "%s: %s of integers with a negative exponent"
                                                          : "%s: %s of integers by zero", fn, name);
    }
    /* output */
    bn_tensor *out = out_into;
    if (out_into) {
        const bn_tensor *ins[2] = {A.t, B.t};
        if ((st = bni_ops_check_out(fn, out_into, ndim, shape, result, ins, 2)) != BN_OK) return st;
    } else {
        if ((st = bni_ops_alloc_out(fn, ctx, result, ndim, shape, &out)) != BN_OK) return st;
    }
    /* scalars live in a stack value of the compute dtype */
    bin_job j;
    j.op = op;
    j.cls = cls;
    j.ct = ct;
    j.rt = (is_cmp(op) || is_logical(op)) ? BN_DTYPE_BOOL : (cls == CL_BOOL ? BN_DTYPE_U64 : ct);
    j.result = result;
    j.k = bni_ew_kernels_get();
    _Alignas(8) char sbuf[8];
    char *base[3];
    ptrdiff_t strides[3][BN_MAX_DIMS];
    const operand *ops[2] = {&A, &B};
    const bn_tensor *ts3[3] = {out, A.t, B.t};
    j.dt[0] = out->dtype;
    for (int k = 0; k < 3; k++) {
        if (k > 0 && ops[k - 1]->t == NULL) {
            if (ct == BN_DTYPE_I64 || ct == BN_DTYPE_U64) { /* integral: wraps as the integers do */
                int64_t iv = scalar_i64(ops[k - 1]->s);
                memcpy(sbuf, &iv, 8);
            } else bni_store_f64(ct, sbuf, ops[k - 1]->s);
            base[k] = sbuf;
            j.dt[k] = ct;
            for (int d = 0; d < ndim; d++) strides[k][d] = 0;
            continue;
        }
        const bn_tensor *t = ts3[k];
        j.dt[k] = t->dtype;
        base[k] = bni_tensor_base(t);
        ptrdiff_t esz = (ptrdiff_t)bni_dtype_size(t->dtype);
        int lead = ndim - t->ndim;
        for (int d = 0; d < ndim; d++) {
            int td = d - lead;
            strides[k][d] = (td < 0 || t->shape[td] == 1) ? 0 : (ptrdiff_t)t->strides[td] * esz;
        }
    }
    bni_iter it;
    bni_iter_init_raw(&it, 3, base, strides, ndim, shape);
    bni_iter_parallel(ctx, &it, bin_loop, &j);
    if (out_new) *out_new = out;
    bni_prof_end(ctx, name, t0, it.numel);
    return BN_OK;
}

bn_status bn_binary(bn_binary_op op, const bn_tensor *a, const bn_tensor *b, bn_tensor **out) {
    BNI_CHECK_NULL("bn_binary", a);
    BNI_CHECK_NULL("bn_binary", b);
    BNI_CHECK_NULL("bn_binary", out);
    return run_binary("bn_binary", op, (operand){a, 0}, (operand){b, 0}, NULL, out);
}

bn_status bn_binary_into(bn_binary_op op, const bn_tensor *a, const bn_tensor *b, bn_tensor *out) {
    BNI_CHECK_NULL("bn_binary_into", a);
    BNI_CHECK_NULL("bn_binary_into", b);
    BNI_CHECK_NULL("bn_binary_into", out);
    return run_binary("bn_binary_into", op, (operand){a, 0}, (operand){b, 0}, out, NULL);
}

bn_status bn_binary_scalar(bn_binary_op op, const bn_tensor *a, double s, bn_tensor **out) {
    BNI_CHECK_NULL("bn_binary_scalar", a);
    BNI_CHECK_NULL("bn_binary_scalar", out);
    return run_binary("bn_binary_scalar", op, (operand){a, 0}, (operand){NULL, s}, NULL, out);
}

bn_status bn_binary_scalar_into(bn_binary_op op, const bn_tensor *a, double s, bn_tensor *out) {
    BNI_CHECK_NULL("bn_binary_scalar_into", a);
    BNI_CHECK_NULL("bn_binary_scalar_into", out);
    return run_binary("bn_binary_scalar_into", op, (operand){a, 0}, (operand){NULL, s}, out, NULL);
}

bn_status bn_binary_rscalar(bn_binary_op op, double s, const bn_tensor *a, bn_tensor **out) {
    BNI_CHECK_NULL("bn_binary_rscalar", a);
    BNI_CHECK_NULL("bn_binary_rscalar", out);
    return run_binary("bn_binary_rscalar", op, (operand){NULL, s}, (operand){a, 0}, NULL, out);
}

#define BIN_WRAPPER(fname, OP)                                                   \
    bn_status fname(const bn_tensor *a, const bn_tensor *b, bn_tensor **out) {  \
        BNI_CHECK_NULL(#fname, a);                                               \
        BNI_CHECK_NULL(#fname, b);                                               \
        BNI_CHECK_NULL(#fname, out);                                             \
        return run_binary(#fname, OP, (operand){a, 0}, (operand){b, 0}, NULL, out); \
    }
BIN_WRAPPER(bn_add, BN_OP_ADD)
BIN_WRAPPER(bn_sub, BN_OP_SUB)
BIN_WRAPPER(bn_mul, BN_OP_MUL)
BIN_WRAPPER(bn_div, BN_OP_DIV)

bn_status bn_add_(bn_tensor *a, const bn_tensor *b) {
    BNI_CHECK_NULL("bn_add_", a);
    BNI_CHECK_NULL("bn_add_", b);
    return run_binary("bn_add_", BN_OP_ADD, (operand){a, 0}, (operand){b, 0}, a, NULL);
}

bn_status bn_mul_(bn_tensor *a, const bn_tensor *b) {
    BNI_CHECK_NULL("bn_mul_", a);
    BNI_CHECK_NULL("bn_mul_", b);
    return run_binary("bn_mul_", BN_OP_MUL, (operand){a, 0}, (operand){b, 0}, a, NULL);
}
