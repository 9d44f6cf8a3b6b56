/* Bad input to the element-wise ops: shapes that do not broadcast (the
 * message names both shapes), unsupported dtypes (op and dtype named),
 * partially aliasing and broadcast outputs, wrong out shape and dtype,
 * NULLs, integer rem by zero and negative integer exponents; and on every
 * failure the output is left untouched. Also the profile. */
#include <stdlib.h>

#include "test_util.h"

static int all_equal(const bn_tensor *t, float v) {
    const float *p = bn_tensor_data(t);
    for (int64_t i = 0; i < bn_tensor_numel(t); i++)
        if (p[i] != v) return 0;
    return 1;
}

int main(void) {
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(NULL, &ctx));
    int64_t s23[2] = {2, 3}, s4[1] = {4}, s6[1] = {6}, s33[2] = {3, 3};
    bn_tensor *a = NULL, *b = NULL, *o = NULL, *out = NULL;
    CHECK_OK(bn_tensor_ones(ctx, BN_DTYPE_F32, 2, s23, &a));
    CHECK_OK(bn_tensor_ones(ctx, BN_DTYPE_F32, 1, s4, &b));
    CHECK_OK(bn_tensor_full(ctx, BN_DTYPE_F32, 2, s23, 7.0, &o));

    /* shapes */
    CHECK_ERR(bn_add(a, b, &out), BN_ERR_SHAPE, "[2,3] and [4]");
    CHECK_ERR(bn_add(a, b, &out), BN_ERR_SHAPE, "bn_add");
    CHECK(out == NULL);
    CHECK_ERR(bn_binary_into(BN_OP_MUL, a, b, o), BN_ERR_SHAPE, "[2,3] and [4]");
    CHECK(all_equal(o, 7.0f));
    bn_tensor *o33 = NULL;
    CHECK_OK(bn_tensor_full(ctx, BN_DTYPE_F32, 2, s33, 7.0, &o33));
    CHECK_ERR(bn_binary_into(BN_OP_ADD, a, a, o33), BN_ERR_SHAPE, "[3,3]");
    CHECK(all_equal(o33, 7.0f));
    CHECK_ERR(bn_add_(b, a), BN_ERR_SHAPE, "[4]");

    /* dtypes */
    bn_tensor *tq = NULL;
    CHECK_OK(bn_tensor_zeros(ctx, BN_DTYPE_TERNARY, 1, s4, &tq));
    CHECK_ERR(bn_add(tq, b, &out), BN_ERR_DTYPE, "add does not support dtype ternary");
    CHECK_ERR(bn_unary(BN_OP_EXP, tq, &out), BN_ERR_DTYPE, "exp does not support dtype ternary");
    bn_tensor *bb = NULL, *ii = NULL, *oi = NULL;
    CHECK_OK(bn_tensor_ones(ctx, BN_DTYPE_BOOL, 1, s4, &bb));
    CHECK_ERR(bn_sub(bb, bb, &out), BN_ERR_DTYPE, "sub does not support dtype bool");
    CHECK_ERR(bn_unary(BN_OP_NEG, bb, &out), BN_ERR_DTYPE, "neg does not support dtype bool");
    CHECK_OK(bn_tensor_ones(ctx, BN_DTYPE_I32, 1, s4, &ii));
    CHECK_ERR(bn_leaky_relu(ii, 0.1, &out), BN_ERR_DTYPE, "leaky_relu does not support dtype i32");
    /* a float result is never written into an integer out */
    CHECK_OK(bn_tensor_full(ctx, BN_DTYPE_I32, 1, s4, 5.0, &oi));
    CHECK_ERR(bn_binary_into(BN_OP_ADD, b, b, oi), BN_ERR_DTYPE, "f32 result cannot be written into a i32");
    CHECK_ERR(bn_binary_into(BN_OP_DIV, ii, ii, oi), BN_ERR_DTYPE, "f32");
    CHECK_ERR(bn_unary_(BN_OP_EXP, ii), BN_ERR_DTYPE, "i32");
    CHECK(((const int32_t *)bn_tensor_data(oi))[0] == 5);
    CHECK(((const int32_t *)bn_tensor_data(ii))[0] == 1);

    /* aliasing: the same view is fine, a shifted view of the same storage is not */
    bn_tensor *big = NULL, *v0 = NULL, *v1 = NULL, *vt = NULL;
    CHECK_OK(bn_tensor_arange(ctx, BN_DTYPE_F32, 0, 7, 1, &big));
    CHECK_OK(bn_tensor_slice(big, 0, 0, 6, 1, &v0));
    CHECK_OK(bn_tensor_slice(big, 0, 1, 7, 1, &v1));
    CHECK_OK(bn_binary_into(BN_OP_ADD, v0, v0, v0)); /* identical: ok */
    CHECK(((const float *)bn_tensor_data(big))[1] == 2.0f);
    float before[7];
    memcpy(before, bn_tensor_data(big), sizeof before);
    CHECK_ERR(bn_binary_into(BN_OP_ADD, v0, v0, v1), BN_ERR_INVALID_ARGUMENT, "overlaps input 1");
    CHECK_ERR(bn_unary_into(BN_OP_EXP, v1, v0), BN_ERR_INVALID_ARGUMENT, "overlaps");
    bn_tensor *v6 = NULL;
    CHECK_OK(bn_tensor_reshape(v0, 2, s23, &v6));
    CHECK_OK(bn_tensor_transpose(v6, 0, 1, &vt)); /* same storage, other strides: refused */
    bn_tensor *v6t = NULL;
    CHECK_OK(bn_tensor_transpose(vt, 0, 1, &v6t));
    CHECK_OK(bn_binary_into(BN_OP_ADD, v6t, a, v6t)); /* transposed twice: the very same view */
    CHECK(memcmp(before, bn_tensor_data(big), sizeof before) != 0);
    memcpy(before, bn_tensor_data(big), sizeof before);
    int64_t s32[2] = {3, 2};
    bn_tensor *o32 = NULL;
    CHECK_OK(bn_tensor_reshape(v0, 2, s32, &o32));
    CHECK_ERR(bn_unary_into(BN_OP_NEG, vt, o32), BN_ERR_INVALID_ARGUMENT, "overlaps");
    CHECK(memcmp(before, bn_tensor_data(big), sizeof before) == 0);
    /* a broadcast (stride 0) out is refused */
    bn_tensor *one = NULL, *exp_out = NULL;
    int64_t s1[1] = {1};
    CHECK_OK(bn_tensor_zeros(ctx, BN_DTYPE_F32, 1, s1, &one));
    CHECK_OK(bn_tensor_expand(one, 1, s6, &exp_out));
    CHECK_ERR(bn_binary_into(BN_OP_ADD, v0, v0, exp_out), BN_ERR_INVALID_ARGUMENT, "share memory");
    CHECK(((const float *)bn_tensor_data(one))[0] == 0.0f);

    /* NULLs */
    CHECK_ERR(bn_add(NULL, b, &out), BN_ERR_INVALID_ARGUMENT, "a is NULL");
    CHECK_ERR(bn_add(a, NULL, &out), BN_ERR_INVALID_ARGUMENT, "b is NULL");
    CHECK_ERR(bn_add(a, a, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_ERR(bn_binary_into(BN_OP_ADD, a, a, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_ERR(bn_unary(BN_OP_EXP, NULL, &out), BN_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_ERR(bn_clamp(a, 0, 1, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_ERR(bn_binary((bn_binary_op)42, a, a, &out), BN_ERR_INVALID_ARGUMENT, "42");
    CHECK_ERR(bn_unary((bn_unary_op)42, a, &out), BN_ERR_INVALID_ARGUMENT, "42");
    CHECK(strcmp(bn_binary_op_name((bn_binary_op)42), "unknown") == 0);
    CHECK(strcmp(bn_unary_op_name(BN_OP_GELU_TANH), "gelu_tanh") == 0);

    /* integer rem by zero and negative exponents: refused before writing */
    int32_t iv[4] = {7, -7, 9, 1}, zv[4] = {2, 3, 0, 5}, ev[4] = {1, 2, -1, 0};
    bn_tensor *x = NULL, *z = NULL, *e = NULL;
    CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I32, 1, s4, iv, sizeof iv, &x));
    CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I32, 1, s4, zv, sizeof zv, &z));
    CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I32, 1, s4, ev, sizeof ev, &e));
    CHECK_ERR(bn_binary(BN_OP_REM, x, z, &out), BN_ERR_INVALID_ARGUMENT, "rem of integers by zero");
    CHECK_ERR(bn_binary_into(BN_OP_REM, x, z, oi), BN_ERR_INVALID_ARGUMENT, "by zero");
    CHECK(((const int32_t *)bn_tensor_data(oi))[0] == 5 && ((const int32_t *)bn_tensor_data(oi))[3] == 5);
    CHECK_ERR(bn_binary_scalar(BN_OP_REM, x, 0, &out), BN_ERR_INVALID_ARGUMENT, "by zero");
    CHECK_ERR(bn_binary(BN_OP_POW, x, e, &out), BN_ERR_INVALID_ARGUMENT, "negative exponent");
    CHECK_ERR(bn_binary_into(BN_OP_POW, x, e, x), BN_ERR_INVALID_ARGUMENT, "negative exponent");
    CHECK(((const int32_t *)bn_tensor_data(x))[0] == 7);
    CHECK(out == NULL);
    /* float rem by zero is NaN, not an error */
    CHECK_OK(bn_binary_scalar(BN_OP_REM, a, 0, &out));
    CHECK(isnan(((const float *)bn_tensor_data(out))[0]));
    bn_tensor_free(out);
    out = NULL;

    /* profile: off by default, counts calls and elements when on */
    CHECK_OK(bn_ctx_profile_enable(ctx, 1));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(bn_add(a, a, &out));
        bn_tensor_free(out);
    }
    CHECK_OK(bn_unary(BN_OP_GELU, a, &out));
    bn_tensor_free(out);
    out = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_OK(bn_ctx_profile_report(ctx, f));
    fclose(f);
    CHECK(buf && strstr(buf, "add") && strstr(buf, "gelu") && strstr(buf, "cpu:0"));
    CHECK(buf && strstr(buf, "         3             18") != NULL);
    if (buf) printf("%s", buf);
    free(buf);
    CHECK_OK(bn_ctx_profile_reset(ctx));
    CHECK_OK(bn_ctx_profile_enable(ctx, 0));
    CHECK_ERR(bn_ctx_profile_enable(NULL, 1), BN_ERR_INVALID_ARGUMENT, "ctx is NULL");

    bn_tensor *all[] = {a, b, o, o33, tq, bb, ii, oi, big, v0, v1, v6, vt, v6t, o32, one, exp_out, x, z, e};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) bn_tensor_free(all[i]);
    bn_ctx_free(ctx);
    return bt_summary("test_ops_errors");
}
