/* Binary element-wise ops: every op x dtype pair on random broadcast
 * shapes (size-0 and size-1 dims, ranks 0..4), strided, transposed and
 * expanded inputs, lengths 1..70 and 1000+, against a float64 / exact
 * integer reference computed here. Also scalar, rscalar, _into and
 * in-place forms, and the parallel path (2 threads, above the threshold). */
#include "ops_test_util.h"

#include "cpu/ew_kernels.h"

static const char *g_fail_ctx = "";

static int is_cmp(bn_binary_op op) { return op >= BN_OP_EQ && op <= BN_OP_GE; }
static int is_logic(bn_binary_op op) { return op >= BN_OP_LOGICAL_AND; }

static double ref_float(bn_binary_op op, double a, double b) {
    switch (op) {
    case BN_OP_ADD: return a + b;
    case BN_OP_SUB: return a - b;
    case BN_OP_MUL: return a * b;
    case BN_OP_DIV: return a / b;
    case BN_OP_REM: {
        double r = fmod(a, b);
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }
    case BN_OP_POW: return pow(a, b);
    case BN_OP_MINIMUM: return (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b);
    case BN_OP_MAXIMUM: return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
    case BN_OP_EQ: return a == b;
    case BN_OP_NE: return a != b;
    case BN_OP_LT: return a < b;
    case BN_OP_LE: return a <= b;
    case BN_OP_GT: return a > b;
    case BN_OP_GE: return a >= b;
    case BN_OP_LOGICAL_AND: return a != 0 && b != 0;
    case BN_OP_LOGICAL_OR: return a != 0 || b != 0;
    default: return (a != 0) != (b != 0);
    }
}

static int bits_of(bn_dtype d) { return bn_dtype_get_info(d)->bits; }

/* Integer reference: exact, wrapped to the result's width. */
static uint64_t ref_int(bn_binary_op op, bn_dtype res, ot_val a, ot_val b, int is_signed) {
    uint64_t x = a.u, y = b.u, v = 0;
    switch (op) {
    case BN_OP_ADD: v = x + y; break;
    case BN_OP_SUB: v = x - y; break;
    case BN_OP_MUL: v = x * y; break;
    case BN_OP_REM:
        if (is_signed) {
            int64_t q = b.i == -1 ? 0 : a.i % b.i;
            if (q != 0 && ((q < 0) != (b.i < 0))) q += b.i;
            v = (uint64_t)q;
        } else v = x % y;
        break;
    case BN_OP_POW: {
        v = 1;
        for (uint64_t e = 0; e < y; e++) v *= x;
        break;
    }
    case BN_OP_MINIMUM: v = is_signed ? (uint64_t)(a.i < b.i ? a.i : b.i) : (x < y ? x : y); break;
    case BN_OP_MAXIMUM: v = is_signed ? (uint64_t)(a.i > b.i ? a.i : b.i) : (x > y ? x : y); break;
    default: break;
    }
    if (res == BN_DTYPE_BOOL) return v != 0;
    int bits = bits_of(res);
    if (bits < 64) {
        v &= ((uint64_t)1 << bits) - 1;
        if (is_signed && (v >> (bits - 1))) v |= ~(((uint64_t)1 << bits) - 1);
    }
    return v;
}

typedef struct gen_arg {
    bn_binary_op op;
    int is_b;
} gen_arg;

static double gen(bn_dtype d, void *p) {
    const gen_arg *g = p;
    if (g->op == BN_OP_POW) {
        if (ot_is_float(d)) return g->is_b ? ot_unif(-3, 3) : ot_unif(0.05, 3);
        if (d == BN_DTYPE_BOOL) return (double)ot_int(0, 1);
        return g->is_b ? (double)ot_int(0, 6) : (double)ot_int(ot_is_signed(d) ? -9 : 0, 9);
    }
    if (g->op == BN_OP_REM && g->is_b && !ot_is_float(d)) {
        double v;
        do v = ot_value(d, -5, 5);
        while (v == 0);
        return v;
    }
    if (ot_is_float(d) && (ot_next() % 23) == 0) { /* specials */
        const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-30, 1e30};
        return sp[ot_next() % 7];
    }
    if (is_cmp(g->op) && (ot_next() % 3) == 0) return d == BN_DTYPE_BOOL ? 1 : 2; /* equal values */
    return ot_value(d, -5, 5);
}

static int check_result(bn_binary_op op, const bn_tensor *a, const bn_tensor *b, const bn_tensor *out,
                        bn_dtype res, int nd, const int64_t *shape, int scalar_side, double s) {
    int64_t n = bn_tensor_numel(out);
    int bad = 0;
    for (int64_t f = 0; f < n && bad < 3; f++) {
        /* broadcast indices */
        int64_t idx[BN_MAX_DIMS], r = f;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = r % shape[d];
            r /= shape[d];
        }
        ot_val va = {s, (int64_t)s, (uint64_t)(int64_t)s}, vb = va;
        const bn_tensor *ts[2] = {a, b};
        ot_val *vs[2] = {&va, &vb};
        for (int k = 0; k < 2; k++) {
            if (ts[k] == NULL) continue;
            int tn = bn_tensor_ndim(ts[k]);
            const int64_t *tsh = bn_tensor_shape(ts[k]);
            int64_t tf = 0;
            for (int d = 0; d < tn; d++) tf = tf * tsh[d] + (tsh[d] == 1 ? 0 : idx[d + nd - tn]);
            *vs[k] = ot_read(ts[k], tf);
        }
        ot_val got = ot_read(out, f);
        bn_dtype da = a ? bn_tensor_dtype(a) : bn_tensor_dtype(b), db = b ? bn_tensor_dtype(b) : da;
        bn_dtype prom;
        if (a && b) bn_promote_types(da, db, &prom);
        else prom = res == BN_DTYPE_BOOL || op == BN_OP_DIV ? (ot_is_float(da) ? da : BN_DTYPE_I64) : res;
        (void)scalar_side;
        int ok;
        if (res == BN_DTYPE_BOOL || (!ot_is_float(res) && !ot_is_float(prom))) {
            if (res == BN_DTYPE_BOOL && (is_cmp(op) || is_logic(op))) {
                double e = ot_is_float(prom) || !ot_is_float(da) ? ref_float(op, va.f, vb.f) : ref_float(op, va.f, vb.f);
                if (!ot_is_float(da) && !ot_is_float(db) && (da == BN_DTYPE_U64 || db == BN_DTYPE_U64)) {
                    /* exact unsigned compare */
                    e = ref_float(op, (double)va.u, (double)vb.u);
                }
                ok = got.i == (int64_t)e;
            } else {
                int sgn = ot_is_signed(res);
                uint64_t e = ref_int(op, res, va, vb, sgn);
                ok = got.u == e;
            }
        } else {
            if (ot_is_float(prom) && prom != BN_DTYPE_F64) { /* computed in f32 */
                va.f = (float)va.f;
                vb.f = (float)vb.f;
            }
            double e = ref_float(op, va.f, vb.f);
            double er = ot_round(res, e);
            double ulps = (op == BN_OP_POW || op == BN_OP_REM) ? 2.0 : 1.0;
            double tol = ulps * ot_ulp(res, e);
            if (res != BN_DTYPE_F32 && res != BN_DTYPE_F64) tol += 2.0 * ot_ulp(BN_DTYPE_F32, e);
            if (op == BN_OP_REM && isfinite(e)) tol += 2.0 * ot_ulp(res, vb.f); /* r + b rounding */
            if (op == BN_OP_POW && isfinite(e) && e != 0 && va.f > 0 && res != BN_DTYPE_F64)
                tol += fabs(e) * fabs(log(va.f)) * fabs(vb.f) * ot_eps(BN_DTYPE_F32); /* powf conditioning */
            ok = ot_close(got.f, er, tol) || ot_close(got.f, e, tol);
        }
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s: %s(%.9g, %.9g) -> %s got %.17g (i %" PRId64 ")", g_fail_ctx,
                     bn_binary_op_name(op), va.f, vb.f, bn_dtype_name(res), got.f, got.i);
            bt_fail(__FILE__, __LINE__, msg);
            bad++;
        }
    }
    if (!bad) bt_passed++;
    return bad == 0;
}

static void random_shapes(int *nd, int64_t *shape, int *na, int64_t *sa, int *nb, int64_t *sb) {
    int kind = (int)ot_int(0, 9);
    if (kind < 2) { /* long 1-D */
        *nd = 1;
        shape[0] = kind == 0 ? ot_int(1, 70) : ot_int(1000, 1100);
    } else {
        *nd = (int)ot_int(0, 4);
        for (int i = 0; i < *nd; i++) shape[i] = ot_int(0, 9) == 0 ? 0 : ot_int(1, 6);
    }
    /* a and b: trailing-aligned, possibly fewer dims, size-1 where broadcast */
    *na = *nd - (int)ot_int(0, *nd > 0 ? 1 : 0);
    *nb = *nd - (int)ot_int(0, *nd > 0 ? 1 : 0);
    if (ot_int(0, 1)) *na = *nd;
    else *nb = *nd;
    for (int i = 0; i < *na; i++) sa[i] = ot_int(0, 3) == 0 ? 1 : shape[i + *nd - *na];
    for (int i = 0; i < *nb; i++) sb[i] = ot_int(0, 3) == 0 ? 1 : shape[i + *nd - *nb];
    /* shape must be the broadcast: restore dims where both are 1 but shape isn't */
    for (int i = 0; i < *nd; i++) {
        int ia = i - (*nd - *na), ib = i - (*nd - *nb);
        int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
        if (da == 1 && db == 1 && shape[i] != 1) {
            if (ia >= 0) sa[ia] = shape[i];
            else if (ib >= 0) sb[ib] = shape[i];
            else shape[i] = 1;
        }
    }
}

/* The streaming path of the f32 vector-vector kernels (one call of 8M
 * elements or more writes with non-temporal stores): every ISA table's
 * add/sub/mul/div/min/max give the scalar table's bits at every output
 * alignment, in place too, with NaN inputs. */
static void test_stream_kernels(void) {
    const size_t n = ((size_t)8 << 20) + 37;
    float *a = malloc((n + 8) * 4), *b = malloc((n + 8) * 4), *o = malloc((n + 8) * 4), *r = malloc((n + 8) * 4);
    CHECK(a && b && o && r);
    if (!a || !b || !o || !r) return;
    uint32_t s = 12345;
    for (size_t i = 0; i < n + 8; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (float)(int32_t)s / 1e6f;
        b[i] = (float)((s >> 8) % 1000) / 7.0f - 50.0f;
    }
    a[5] = NAN;
    b[n - 3] = NAN;
    const bni_ew_kernels *ref = bni_ew_kernels_for_isa(BN_ISA_SCALAR);
    int bad = 0;
    for (int isa = 1; isa < 5; isa++) {
        const bni_ew_kernels *k = bni_ew_kernels_for_isa((bn_isa)isa);
        if (!k) continue;
        for (int op = 0; op < BNI_EW_BINARY_COUNT; op++)
            for (size_t off = 0; off < 8; off += 3) {
                ref->binary[op][BNI_EW_VV](a + off, b + off, r, n);
                k->binary[op][BNI_EW_VV](a + off, b + off, o + off, n);
                if (memcmp(o + off, r, n * 4)) bad++;
                if (op == BNI_EW_ADD) { /* in place: out is a */
                    memcpy(o, a, (n + 8) * 4);
                    k->binary[op][BNI_EW_VV](o + off, b + off, o + off, n);
                    if (memcmp(o + off, r, n * 4)) bad++;
                }
            }
    }
    CHECK(bad == 0);
    free(a);
    free(b);
    free(o);
    free(r);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&o, &ctx));
    o.num_threads = 2;
    bn_ctx *ctx2 = NULL;
    CHECK_OK(bn_ctx_new(&o, &ctx2));
    printf("kernels: %s", bn_cpu_kernels_describe());
    test_stream_kernels();

    const bn_dtype pairs[][2] = {
        {BN_DTYPE_F32, BN_DTYPE_F32}, {BN_DTYPE_F64, BN_DTYPE_F64}, {BN_DTYPE_F16, BN_DTYPE_F16},
        {BN_DTYPE_BF16, BN_DTYPE_BF16}, {BN_DTYPE_I8, BN_DTYPE_I8}, {BN_DTYPE_I32, BN_DTYPE_I32},
        {BN_DTYPE_I64, BN_DTYPE_I64}, {BN_DTYPE_U8, BN_DTYPE_U8}, {BN_DTYPE_BOOL, BN_DTYPE_BOOL},
        {BN_DTYPE_F32, BN_DTYPE_F16}, {BN_DTYPE_BF16, BN_DTYPE_F16}, {BN_DTYPE_I32, BN_DTYPE_F32},
        {BN_DTYPE_U8, BN_DTYPE_I8}, {BN_DTYPE_I64, BN_DTYPE_F64}, {BN_DTYPE_BOOL, BN_DTYPE_I32},
        {BN_DTYPE_F16, BN_DTYPE_I8}, {BN_DTYPE_U8, BN_DTYPE_BF16},
    };
    const int npairs = (int)(sizeof pairs / sizeof pairs[0]);
    char ctxbuf[160];
    for (int op = 0; op < BN_BINARY_OP_COUNT; op++) {
        for (int pi = 0; pi < npairs; pi++) {
            bn_dtype da = pairs[pi][0], db = pairs[pi][1];
            bn_dtype res;
            CHECK_OK(bn_binary_result_type((bn_binary_op)op, da, db, &res));
            bn_dtype prom;
            bn_promote_types(da, db, &prom);
            int refused = prom == BN_DTYPE_BOOL && (op == BN_OP_SUB || op == BN_OP_REM || op == BN_OP_POW);
            for (int trial = 0; trial < 6; trial++) {
                int nd, na, nb;
                int64_t shape[BN_MAX_DIMS], sa[BN_MAX_DIMS], sb[BN_MAX_DIMS];
                random_shapes(&nd, shape, &na, sa, &nb, sb);
                gen_arg ga = {(bn_binary_op)op, 0}, gb = {(bn_binary_op)op, 1};
                bn_tensor *a = ot_tensor(ctx, da, na, sa, -1, 0, 0, gen, &ga);
                bn_tensor *b = ot_tensor(ctx, db, nb, sb, -1, 0, 0, gen, &gb);
                snprintf(ctxbuf, sizeof ctxbuf, "%s %s x %s nd %d n %" PRId64, bn_binary_op_name(op),
                         bn_dtype_name(da), bn_dtype_name(db), nd, nd ? shape[0] : 1);
                g_fail_ctx = ctxbuf;
                bn_tensor *out = NULL;
                if (refused) {
                    CHECK_ERR(bn_binary((bn_binary_op)op, a, b, &out), BN_ERR_DTYPE, "bool");
                } else {
                    CHECK_OK(bn_binary((bn_binary_op)op, a, b, &out));
                    if (out) {
                        CHECK(bn_tensor_dtype(out) == res);
                        check_result((bn_binary_op)op, a, b, out, res, nd, shape, 0, 0);
                        /* _into a strided (transposed) out of a wider dtype */
                        bn_dtype od = res == BN_DTYPE_BOOL ? BN_DTYPE_I32 : (ot_is_float(res) ? BN_DTYPE_F64 : BN_DTYPE_I64);
                        if (res == BN_DTYPE_U8 || res == BN_DTYPE_I8) od = res;
                        bn_tensor *o2 = ot_tensor(ctx, od, nd, shape, nd >= 2 ? 1 : 0, -1, 1, NULL, NULL);
                        CHECK_OK(bn_binary_into((bn_binary_op)op, a, b, o2));
                        int64_t n = bn_tensor_numel(out), mism = 0;
                        for (int64_t f = 0; f < n; f++) {
                            ot_val x = ot_read(out, f), y = ot_read(o2, f);
                            if (!(x.f == y.f || (isnan(x.f) && isnan(y.f)))) {
                                if (mism == 0 && getenv("OT_DEBUG")) printf("first diff at %" PRId64 ": %.17g vs %.17g\n", f, x.f, y.f);
                                mism++;
                            }
                        }
                        if (mism == 0) bt_passed++;
                        else {
                            char m2[300];
                            snprintf(m2, sizeof m2, "%s: _into %s out differs in %" PRId64 " elements", g_fail_ctx,
                                     bn_dtype_name(od), mism);
                            bt_fail(__FILE__, __LINE__, m2);
                        }
                        bn_tensor_free(o2);
                    }
                }
                bn_tensor_free(out);
                bn_tensor_free(a);
                bn_tensor_free(b);
            }
        }
    }

    /* scalar and rscalar forms */
    const bn_dtype sdt[] = {BN_DTYPE_F32, BN_DTYPE_F16, BN_DTYPE_BF16, BN_DTYPE_F64, BN_DTYPE_I32, BN_DTYPE_U8,
                            BN_DTYPE_I8};
    const double scal[] = {2.0, -3.0, 2.5, 0.5};
    for (int op = 0; op < BN_BINARY_OP_COUNT; op++) {
        if (op == BN_OP_POW) continue;
        for (int di = 0; di < 7; di++) {
            for (int si = 0; si < 4; si++) {
                bn_dtype d = sdt[di];
                double s = scal[si];
                if (op == BN_OP_REM && !ot_is_float(d) && s != floor(s)) continue;
                int64_t n = ot_int(1, 70);
                gen_arg ga = {(bn_binary_op)op, 0};
                bn_tensor *a = ot_tensor(ctx, d, 1, &n, -1, 0, 0, gen, &ga);
                bn_tensor *out = NULL;
                snprintf(ctxbuf, sizeof ctxbuf, "scalar %s %s %g", bn_binary_op_name(op), bn_dtype_name(d), s);
                g_fail_ctx = ctxbuf;
                CHECK_OK(bn_binary_scalar((bn_binary_op)op, a, s, &out));
                if (out) {
                    bn_dtype res = bn_tensor_dtype(out);
                    /* scalar promotion: same category keeps the tensor's dtype */
                    if (!(op >= BN_OP_EQ) && op != BN_OP_DIV) CHECK(res == ((ot_is_float(d) || s == floor(s)) ? d : BN_DTYPE_F32));
                    check_result((bn_binary_op)op, a, NULL, out, res, 1, &n, 1, s);
                }
                bn_tensor_free(out);
                out = NULL;
                if (!(op == BN_OP_REM && !ot_is_float(d))) {
                    CHECK_OK(bn_binary_rscalar((bn_binary_op)op, s, a, &out));
                    if (out) check_result((bn_binary_op)op, NULL, a, out, bn_tensor_dtype(out), 1, &n, 2, s);
                    bn_tensor_free(out);
                }
                bn_tensor_free(a);
            }
        }
    }

    /* in place, and the parallel path: 2 threads vs 1 thread, identical */
    {
        int64_t shp[2] = {300, 257};
        bn_tensor *a = ot_tensor(ctx2, BN_DTYPE_F32, 2, shp, 0, -3, 3, NULL, NULL);
        bn_tensor *b = ot_tensor(ctx2, BN_DTYPE_F32, 1, &shp[1], 0, -3, 3, NULL, NULL);
        bn_tensor *c1 = NULL, *c2 = NULL;
        CHECK_OK(bn_mul(a, b, &c1));
        g_fail_ctx = "parallel mul";
        check_result(BN_OP_MUL, a, b, c1, BN_DTYPE_F32, 2, shp, 0, 0);
        bn_tensor *ah = NULL;
        CHECK_OK(bn_tensor_cast(a, BN_DTYPE_F16, &ah));
        bn_tensor *d1 = NULL;
        CHECK_OK(bn_add(ah, b, &d1));
        g_fail_ctx = "parallel f16+f32";
        check_result(BN_OP_ADD, ah, b, d1, BN_DTYPE_F32, 2, shp, 0, 0);
        CHECK_OK(bn_tensor_clone(a, &c2));
        CHECK_OK(bn_mul_(c2, b));
        CHECK(memcmp(bn_tensor_data(c1), bn_tensor_data(c2), bn_tensor_nbytes(c1)) == 0);
        CHECK_OK(bn_add_(c2, b));
        g_fail_ctx = "in-place add";
        check_result(BN_OP_ADD, c1, b, c2, BN_DTYPE_F32, 2, shp, 0, 0);
        bn_tensor_free(a);
        bn_tensor_free(b);
        bn_tensor_free(c1);
        bn_tensor_free(c2);
        bn_tensor_free(ah);
        bn_tensor_free(d1);
    }
    /* integer wrap-around, explicitly */
    {
        int64_t n = 3;
        int8_t av[3] = {127, -128, 100}, bv[3] = {1, -1, 2};
        bn_tensor *a = NULL, *b = NULL, *c = NULL;
        CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I8, 1, &n, av, 3, &a));
        CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I8, 1, &n, bv, 3, &b));
        CHECK_OK(bn_add(a, b, &c));
        const int8_t *cv = bn_tensor_data(c);
        CHECK(cv[0] == -128 && cv[1] == 127 && cv[2] == 102);
        bn_tensor_free(c);
        CHECK_OK(bn_mul(a, b, &c));
        cv = bn_tensor_data(c);
        CHECK(cv[0] == 127 && cv[1] == -128 && cv[2] == -56);
        bn_tensor_free(c);
        CHECK_OK(bn_binary(BN_OP_REM, a, b, &c)); /* -128 % -1 = 0, no trap */
        cv = bn_tensor_data(c);
        CHECK(cv[0] == 0 && cv[1] == 0 && cv[2] == 0);
        bn_tensor_free(c);
        bn_tensor_free(a);
        bn_tensor_free(b);
    }
    /* NaN rules */
    {
        int64_t n = 2;
        float av[2] = {NAN, 1.0f}, bv[2] = {1.0f, NAN};
        bn_tensor *a = NULL, *b = NULL, *c = NULL;
        CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_F32, 1, &n, av, 8, &a));
        CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_F32, 1, &n, bv, 8, &b));
        for (int op = BN_OP_MINIMUM; op <= BN_OP_MAXIMUM; op++) {
            CHECK_OK(bn_binary((bn_binary_op)op, a, b, &c));
            const float *cv = bn_tensor_data(c);
            CHECK(isnan(cv[0]) && isnan(cv[1]));
            bn_tensor_free(c);
        }
        for (int op = BN_OP_EQ; op <= BN_OP_GE; op++) {
            CHECK_OK(bn_binary((bn_binary_op)op, a, b, &c));
            const uint8_t *cv = bn_tensor_data(c);
            CHECK(cv[0] == (op == BN_OP_NE) && cv[1] == (op == BN_OP_NE));
            bn_tensor_free(c);
        }
        bn_tensor_free(a);
        bn_tensor_free(b);
    }
    bn_ctx_free(ctx);
    bn_ctx_free(ctx2);
    return bt_summary("test_ops_binary");
}
