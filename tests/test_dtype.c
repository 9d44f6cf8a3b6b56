/* The dtype table, names, storage sizes with overflow checks, and shape
 * validation on creation. */
#include <stdint.h>

#include "test_util.h"

static void test_table(void) {
    const char *names[BN_DTYPE_COUNT] = {"f32", "f64", "f16", "bf16", "i8", "i16", "i32", "i64", "u8",
                                         "u16", "u32", "u64", "bool", "ternary", "binary", "int4", "qint8", "qint4"};
    const int bits[BN_DTYPE_COUNT] = {32, 64, 16, 16, 8, 16, 32, 64, 8, 16, 32, 64, 8, 2, 1, 4, 8, 4};
    const int scale[BN_DTYPE_COUNT] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1};
    for (int d = 0; d < BN_DTYPE_COUNT; d++) {
        const bn_dtype_info *in = bn_dtype_get_info((bn_dtype)d);
        CHECK(in != NULL);
        if (!in) continue;
        CHECK(in->dtype == (bn_dtype)d);
        CHECK(strcmp(in->name, names[d]) == 0);
        CHECK(strcmp(bn_dtype_name((bn_dtype)d), names[d]) == 0);
        CHECK(in->bits == bits[d]);
        CHECK(in->has_scale == scale[d]);
        bn_dtype back = BN_DTYPE_F32;
        CHECK_OK(bn_dtype_from_name(names[d], &back));
        CHECK(back == (bn_dtype)d);
        CHECK(in->logical_bits > 0 && in->logical_bits <= in->bits);
        if (in->kind == BN_KIND_PACKED) CHECK(in->code_min < 0 && in->code_max > 0);
        else CHECK(in->code_min == 0 && in->code_max == 0);
    }
    const bn_dtype_info *t = bn_dtype_get_info(BN_DTYPE_TERNARY);
    CHECK_NEAR(t->logical_bits, 1.5849625, 1e-6);
    CHECK(t->code_min == -1 && t->code_max == 1 && t->kind == BN_KIND_PACKED);
    CHECK(bn_dtype_get_info(BN_DTYPE_QINT8)->code_min == -128 && bn_dtype_get_info(BN_DTYPE_QINT8)->code_max == 127);
    CHECK(bn_dtype_get_info(BN_DTYPE_INT4)->code_min == -8 && bn_dtype_get_info(BN_DTYPE_INT4)->code_max == 7);
    CHECK(bn_dtype_get_info(BN_DTYPE_QINT4)->code_min == -8 && bn_dtype_get_info(BN_DTYPE_QINT4)->code_max == 7);
    CHECK(bn_dtype_get_info(BN_DTYPE_BINARY)->logical_bits == 1.0);
    CHECK(bn_dtype_get_info(BN_DTYPE_BF16)->kind == BN_KIND_FLOAT);
    CHECK(bn_dtype_get_info(BN_DTYPE_U16)->kind == BN_KIND_UNSIGNED);
    CHECK(bn_dtype_get_info(BN_DTYPE_I64)->kind == BN_KIND_SIGNED);
    CHECK(bn_dtype_get_info(BN_DTYPE_BOOL)->kind == BN_KIND_BOOL);
    CHECK(bn_dtype_get_info((bn_dtype)BN_DTYPE_COUNT) == NULL);
    CHECK(bn_dtype_get_info((bn_dtype)-1) == NULL);
    CHECK(strcmp(bn_dtype_name((bn_dtype)99), "unknown") == 0);
    bn_dtype d = BN_DTYPE_I8;
    CHECK_ERR(bn_dtype_from_name("float32", &d), BN_ERR_INVALID_ARGUMENT, "unknown dtype \"float32\"");
    CHECK_ERR(bn_dtype_from_name("F32", &d), BN_ERR_INVALID_ARGUMENT, "F32");
    CHECK(d == BN_DTYPE_I8);
    CHECK_ERR(bn_dtype_from_name(NULL, &d), BN_ERR_INVALID_ARGUMENT, "name is NULL");
    CHECK_ERR(bn_dtype_from_name("f32", NULL), BN_ERR_INVALID_ARGUMENT, "dtype is NULL");
}

static void test_storage_bytes(void) {
    struct { bn_dtype d; int64_t n; size_t want; } ok[] = {
        {BN_DTYPE_F32, 10, 40}, {BN_DTYPE_F64, 3, 24}, {BN_DTYPE_BF16, 5, 10}, {BN_DTYPE_BOOL, 7, 7},
        {BN_DTYPE_TERNARY, 5, 2}, {BN_DTYPE_TERNARY, 4, 1}, {BN_DTYPE_BINARY, 9, 2}, {BN_DTYPE_BINARY, 8, 1},
        {BN_DTYPE_INT4, 3, 2}, {BN_DTYPE_QINT4, 4, 2}, {BN_DTYPE_QINT8, 3, 3}, {BN_DTYPE_F32, 0, 0},
        {BN_DTYPE_TERNARY, 0, 0}, {BN_DTYPE_BINARY, INT64_MAX, ((uint64_t)INT64_MAX + 7) / 8},
        {BN_DTYPE_U8, INT64_MAX, (size_t)INT64_MAX}, {BN_DTYPE_TERNARY, INT64_MAX, (size_t)1 << 61},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        size_t nb = 12345;
        CHECK_OK(bn_dtype_storage_bytes(ok[i].d, ok[i].n, &nb));
        CHECK(nb == ok[i].want);
    }
    size_t nb = 777;
    CHECK_ERR(bn_dtype_storage_bytes(BN_DTYPE_F32, (int64_t)1 << 62, &nb), BN_ERR_OVERFLOW, "overflow");
    CHECK_ERR(bn_dtype_storage_bytes(BN_DTYPE_I64, (int64_t)1 << 61, &nb), BN_ERR_OVERFLOW, "i64");
    CHECK_ERR(bn_dtype_storage_bytes(BN_DTYPE_U32, INT64_MAX, &nb), BN_ERR_OVERFLOW, "u32");
    CHECK_ERR(bn_dtype_storage_bytes(BN_DTYPE_F32, -1, &nb), BN_ERR_INVALID_ARGUMENT, "negative element count -1");
    CHECK_ERR(bn_dtype_storage_bytes((bn_dtype)40, 1, &nb), BN_ERR_INVALID_ARGUMENT, "invalid dtype 40");
    CHECK(nb == 777);
    CHECK_ERR(bn_dtype_storage_bytes(BN_DTYPE_F32, 1, NULL), BN_ERR_INVALID_ARGUMENT, "nbytes is NULL");
}

static void test_shapes(bn_ctx *ctx) {
    bn_tensor *t = (bn_tensor *)0x1;
    int64_t huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    CHECK_ERR(bn_tensor_empty(ctx, BN_DTYPE_F32, 2, huge, &t), BN_ERR_OVERFLOW, "[1099511627776,1099511627776]");
    int64_t big[2] = {(int64_t)1 << 31, (int64_t)1 << 31};
    CHECK_ERR(bn_tensor_zeros(ctx, BN_DTYPE_F32, 2, big, &t), BN_ERR_OVERFLOW, "bn_tensor_zeros");
    int64_t neg[3] = {2, -3, 4};
    CHECK_ERR(bn_tensor_empty(ctx, BN_DTYPE_F32, 3, neg, &t), BN_ERR_SHAPE,
              "bn_tensor_empty: negative size -3 in dimension 1 of [2,-3,4]");
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_ERR(bn_tensor_ones(ctx, BN_DTYPE_F32, 9, nine, &t), BN_ERR_SHAPE, "9 dimensions");
    CHECK_ERR(bn_tensor_empty(ctx, BN_DTYPE_F32, -1, nine, &t), BN_ERR_SHAPE, "-1 dimensions");
    CHECK_ERR(bn_tensor_empty(ctx, BN_DTYPE_F32, 2, NULL, &t), BN_ERR_INVALID_ARGUMENT, "shape is NULL");
    CHECK_ERR(bn_tensor_empty(NULL, BN_DTYPE_F32, 1, nine, &t), BN_ERR_INVALID_ARGUMENT, "ctx is NULL");
    CHECK_ERR(bn_tensor_empty(ctx, (bn_dtype)18, 1, nine, &t), BN_ERR_INVALID_ARGUMENT, "invalid dtype 18");
    CHECK_ERR(bn_tensor_full(ctx, BN_DTYPE_F32, 1, nine, 1.0, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    int64_t q[2] = {4, 6};
    CHECK_ERR(bn_tensor_empty_quantized(ctx, BN_DTYPE_TERNARY, 2, q, 5, &t), BN_ERR_SHAPE,
              "group size 5 does not divide the 24 elements");
    CHECK_ERR(bn_tensor_empty_quantized(ctx, BN_DTYPE_TERNARY, 2, q, -1, &t), BN_ERR_INVALID_ARGUMENT,
              "negative group size");
    CHECK_ERR(bn_tensor_empty_quantized(ctx, BN_DTYPE_F32, 2, q, 4, &t), BN_ERR_DTYPE, "f32 has no scales");
    CHECK(t == (bn_tensor *)0x1);
    /* a zero dimension makes the product of the others irrelevant to the count */
    int64_t z[3] = {0, (int64_t)1 << 40, 4};
    t = NULL;
    CHECK_OK(bn_tensor_empty(ctx, BN_DTYPE_F32, 3, z, &t));
    CHECK(t && bn_tensor_numel(t) == 0 && bn_tensor_nbytes(t) == 0 && bn_tensor_is_contiguous(t));
    bn_tensor_free(t);
    /* 0-d */
    CHECK_OK(bn_tensor_empty(ctx, BN_DTYPE_F64, 0, NULL, &t));
    CHECK(t && bn_tensor_numel(t) == 1 && bn_tensor_nbytes(t) == 8 && bn_tensor_ndim(t) == 0);
    bn_tensor_free(t);
    /* packed: one scale by default; groups on request */
    CHECK_OK(bn_tensor_empty(ctx, BN_DTYPE_TERNARY, 2, q, &t));
    CHECK(t && bn_tensor_nbytes(t) == 6 && bn_tensor_group_size(t) == 24 && bn_tensor_scales(t)[0] == 1.0f);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_empty_quantized(ctx, BN_DTYPE_QINT4, 2, q, 6, &t));
    CHECK(t && bn_tensor_nbytes(t) == 12 && bn_tensor_group_size(t) == 6 && bn_tensor_scales(t)[3] == 1.0f);
    CHECK(((uintptr_t)bn_tensor_data(t) & 63) == 0);
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_empty(ctx, BN_DTYPE_INT4, 2, q, &t));
    CHECK(t && bn_tensor_scales(t) == NULL && bn_tensor_group_size(t) == 0);
    bn_device dev = bn_tensor_device(t);
    CHECK(dev.kind == bn_ctx_device(ctx).kind && bn_tensor_ctx(t) == ctx);
    bn_tensor_free(t);
    bn_tensor_free(NULL);
    /* tags: handles under "tensor", data under "activations" */
    size_t hb = 0, hblocks = 0, db = 0, dblocks = 0;
    CHECK_OK(bn_tensor_zeros(ctx, BN_DTYPE_F32, 2, q, &t));
    CHECK_OK(bn_pool_tag_usage(bn_ctx_pool(ctx), "tensor", &hb, &hblocks));
    CHECK_OK(bn_pool_tag_usage(bn_ctx_pool(ctx), "activations", &db, &dblocks));
    CHECK(hblocks >= 1 && dblocks == 1 && db >= 96);
    bn_tensor_free(t);
}

int main(void) {
    test_table();
    test_storage_bytes();
    bn_ctx *ctx = NULL;
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &ctx) != BN_OK) return 1;
    test_shapes(ctx);
    bn_pool_stats st;
    bn_pool_get_stats(bn_ctx_pool(ctx), &st);
    CHECK(st.live_blocks == 0);
    bn_ctx_free(ctx);
    return bt_summary("test_dtype");
}
