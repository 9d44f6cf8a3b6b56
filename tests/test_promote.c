/* The full type-promotion table of bn_promote_types, written out by hand
 * from the rules in ops.h / docs/ops.md (bool < integers < floats; the
 * wider float; f16 with bf16 gives f32; the integer that holds both, u8
 * with i8 giving i16 and u64 with a signed type giving i64), plus the
 * result rules of bn_binary_result_type and the scalar forms. */
#include "test_util.h"

enum { F32, F64, F16, BF, I8, I16, I32, I64, U8, U16, U32, U64, B };
static const bn_dtype D[13] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16, BN_DTYPE_I8,
                               BN_DTYPE_I16, BN_DTYPE_I32, BN_DTYPE_I64, BN_DTYPE_U8,  BN_DTYPE_U16,
                               BN_DTYPE_U32, BN_DTYPE_U64, BN_DTYPE_BOOL};

/* row a, column b */
static const int T[13][13] = {
    /*          F32  F64  F16  BF   I8   I16  I32  I64  U8   U16  U32  U64  B   */
    /* F32 */ {F32, F64, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32},
    /* F64 */ {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64},
    /* F16 */ {F32, F64, F16, F32, F16, F16, F16, F16, F16, F16, F16, F16, F16},
    /* BF  */ {F32, F64, F32, BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF},
    /* I8  */ {F32, F64, F16, BF,  I8,  I16, I32, I64, I16, I32, I64, I64, I8},
    /* I16 */ {F32, F64, F16, BF,  I16, I16, I32, I64, I16, I32, I64, I64, I16},
    /* I32 */ {F32, F64, F16, BF,  I32, I32, I32, I64, I32, I32, I64, I64, I32},
    /* I64 */ {F32, F64, F16, BF,  I64, I64, I64, I64, I64, I64, I64, I64, I64},
    /* U8  */ {F32, F64, F16, BF,  I16, I16, I32, I64, U8,  U16, U32, U64, U8},
    /* U16 */ {F32, F64, F16, BF,  I32, I32, I32, I64, U16, U16, U32, U64, U16},
    /* U32 */ {F32, F64, F16, BF,  I64, I64, I64, I64, U32, U32, U32, U64, U32},
    /* U64 */ {F32, F64, F16, BF,  I64, I64, I64, I64, U64, U64, U64, U64, U64},
    /* B   */ {F32, F64, F16, BF,  I8,  I16, I32, I64, U8,  U16, U32, U64, B},
};

int main(void) {
    for (int a = 0; a < 13; a++)
        for (int b = 0; b < 13; b++) {
            bn_dtype r = BN_DTYPE_COUNT;
            CHECK_OK(bn_promote_types(D[a], D[b], &r));
            if (r != D[T[a][b]]) {
                char m[128];
                snprintf(m, sizeof m, "promote(%s, %s) = %s, want %s", bn_dtype_name(D[a]), bn_dtype_name(D[b]),
                         bn_dtype_name(r), bn_dtype_name(D[T[a][b]]));
                bt_fail(__FILE__, __LINE__, m);
            } else bt_passed++;
            /* symmetric */
            bn_dtype r2;
            CHECK_OK(bn_promote_types(D[b], D[a], &r2));
            CHECK(r2 == r);
            /* result rules */
            for (int op = 0; op < BN_BINARY_OP_COUNT; op++) {
                bn_dtype res;
                CHECK_OK(bn_binary_result_type((bn_binary_op)op, D[a], D[b], &res));
                bn_dtype want = r;
                if (op >= BN_OP_EQ) want = BN_DTYPE_BOOL;
                else if (op == BN_OP_DIV && (T[a][b] >= I8)) want = BN_DTYPE_F32;
                CHECK(res == want);
            }
        }
    /* packed dtypes are refused, naming the dtype */
    bn_dtype r;
    CHECK_ERR(bn_promote_types(BN_DTYPE_TERNARY, BN_DTYPE_F32, &r), BN_ERR_DTYPE, "ternary");
    CHECK_ERR(bn_promote_types(BN_DTYPE_F32, BN_DTYPE_QINT8, &r), BN_ERR_DTYPE, "qint8");
    CHECK_ERR(bn_promote_types(BN_DTYPE_F32, BN_DTYPE_F32, NULL), BN_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(bn_binary_result_type((bn_binary_op)99, BN_DTYPE_F32, BN_DTYPE_F32, &r), BN_ERR_INVALID_ARGUMENT, "99");

    /* scalar forms: same category keeps the tensor's dtype */
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(NULL, &ctx));
    int64_t n = 3;
    struct { bn_dtype t; double s; bn_binary_op op; bn_dtype want; } sc[] = {
        {BN_DTYPE_F16, 2.5, BN_OP_ADD, BN_DTYPE_F16},   {BN_DTYPE_BF16, 2.5, BN_OP_MUL, BN_DTYPE_BF16},
        {BN_DTYPE_I32, 3, BN_OP_ADD, BN_DTYPE_I32},     {BN_DTYPE_I32, 2.5, BN_OP_ADD, BN_DTYPE_F32},
        {BN_DTYPE_U8, 300, BN_OP_ADD, BN_DTYPE_U8},     {BN_DTYPE_I8, 3, BN_OP_DIV, BN_DTYPE_F32},
        {BN_DTYPE_BOOL, 3, BN_OP_ADD, BN_DTYPE_I64},    {BN_DTYPE_BOOL, 0.5, BN_OP_ADD, BN_DTYPE_F32},
        {BN_DTYPE_I64, INFINITY, BN_OP_ADD, BN_DTYPE_F32}, {BN_DTYPE_F64, 1, BN_OP_LT, BN_DTYPE_BOOL},
        {BN_DTYPE_F16, 1e10, BN_OP_ADD, BN_DTYPE_F16},
    };
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        bn_tensor *t = NULL, *o = NULL;
        CHECK_OK(bn_tensor_ones(ctx, sc[i].t, 1, &n, &t));
        CHECK_OK(bn_binary_scalar(sc[i].op, t, sc[i].s, &o));
        CHECK(o && bn_tensor_dtype(o) == sc[i].want);
        bn_tensor_free(o);
        o = NULL;
        CHECK_OK(bn_binary_rscalar(sc[i].op, sc[i].s, t, &o));
        CHECK(o && bn_tensor_dtype(o) == sc[i].want);
        bn_tensor_free(o);
        bn_tensor_free(t);
    }
    /* unary results: math of integers gives f32; neg/abs/sign/relu/relu2 keep the dtype */
    for (int op = 0; op < BN_UNARY_OP_COUNT; op++) {
        bn_tensor *t = NULL, *o = NULL;
        CHECK_OK(bn_tensor_ones(ctx, BN_DTYPE_I32, 1, &n, &t));
        CHECK_OK(bn_unary((bn_unary_op)op, t, &o));
        int keep = op == BN_OP_NEG || op == BN_OP_ABS || op == BN_OP_SIGN || op == BN_OP_RELU || op == BN_OP_RELU2;
        CHECK(o && bn_tensor_dtype(o) == (keep ? BN_DTYPE_I32 : BN_DTYPE_F32));
        bn_tensor_free(o);
        bn_tensor_free(t);
    }
    bn_ctx_free(ctx);
    return bt_summary("test_promote");
}
