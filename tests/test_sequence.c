/* Sequence operations against hand-computed expectations: padding (longest,
 * fixed, multiple of, left/right, pad id, dtypes), truncation (left, right,
 * pairs), masks (attention, causal, causal + padding, sliding window,
 * block-diagonal, combinations), bucketing and statistics. */
#include <math.h>
#include <string.h>

#include "test_util.h"

static bn_ctx *ctx;

static int same_i32(const bn_tensor *t, const int32_t *want, int64_t rows, int64_t cols) {
    if (bn_tensor_ndim(t) != 2 || bn_tensor_dim(t, 0) != rows || bn_tensor_dim(t, 1) != cols) return 0;
    return memcmp(bn_tensor_data(t), want, (size_t)(rows * cols) * sizeof(int32_t)) == 0;
}

static int same_i64(const bn_tensor *t, const int64_t *want, int64_t rows, int64_t cols) {
    if (bn_tensor_ndim(t) != 2 || bn_tensor_dim(t, 0) != rows || bn_tensor_dim(t, 1) != cols) return 0;
    return memcmp(bn_tensor_data(t), want, (size_t)(rows * cols) * sizeof(int64_t)) == 0;
}

/* Compare a [B, L, L] bool mask with rows of '1'/'0' characters. */
static int same_mask(const bn_tensor *t, const char *want, int64_t b, int64_t l) {
    if (bn_tensor_ndim(t) != 3 || bn_tensor_dim(t, 0) != b || bn_tensor_dim(t, 1) != l || bn_tensor_dim(t, 2) != l)
        return 0;
    const uint8_t *m = bn_tensor_data(t);
    size_t k = 0;
    for (const char *p = want; *p; p++) {
        if (*p != '0' && *p != '1') continue;
        if (m[k++] != (uint8_t)(*p - '0')) {
            fprintf(stderr, "mask element %zu differs\n", k - 1);
            return 0;
        }
    }
    return k == (size_t)(b * l * l);
}

static const int32_t s0[] = {5, 6, 7}, s1[] = {8}, s2[] = {9, 10, 11, 12, 13};
static const int32_t *const seqs[3] = {s0, s1, s2};
static const size_t lens[3] = {3, 1, 5};

static void test_pad(void) {
    bn_pad_options o;
    bn_pad_options_default(&o);
    bn_tensor *ids = NULL, *mask = NULL;
    /* longest, right, pad 0 */
    CHECK_OK(bn_seq_pad(ctx, 3, seqs, lens, &o, &ids, &mask));
    static const int32_t r[] = {5, 6, 7, 0, 0, 8, 0, 0, 0, 0, 9, 10, 11, 12, 13};
    static const int64_t rm[] = {1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    CHECK(ids && same_i32(ids, r, 3, 5));
    CHECK(mask && bn_tensor_dtype(mask) == BN_DTYPE_I64 && same_i64(mask, rm, 3, 5));
    bn_tensor_free(ids);
    bn_tensor_free(mask);
    /* left, pad id 8 (equal to a real token: the mask still comes from lengths), multiple of 4 */
    o.side = BN_SIDE_LEFT;
    o.pad_id = 8;
    o.multiple_of = 4;
    o.mask_dtype = BN_DTYPE_I32;
    CHECK_OK(bn_seq_pad(ctx, 3, seqs, lens, &o, &ids, &mask));
    static const int32_t l[] = {8, 8, 8, 8, 8, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 10, 11, 12, 13};
    static const int32_t lm[] = {0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1};
    CHECK(ids && same_i32(ids, l, 3, 8));
    CHECK(mask && same_i32(mask, lm, 3, 8));
    bn_tensor_free(ids);
    bn_tensor_free(mask);
    /* fixed length 6, i64 ids, no mask */
    bn_pad_options_default(&o);
    o.strategy = BN_PAD_FIXED;
    o.length = 6;
    o.ids_dtype = BN_DTYPE_I64;
    o.pad_id = -1;
    CHECK_OK(bn_seq_pad(ctx, 3, seqs, lens, &o, &ids, NULL));
    static const int64_t f[] = {5, 6, 7, -1, -1, -1, 8, -1, -1, -1, -1, -1, 9, 10, 11, 12, 13, -1};
    CHECK(ids && same_i64(ids, f, 3, 6));
    bn_tensor_free(ids);
    /* fixed length shorter than a sequence */
    o.length = 4;
    ids = NULL;
    CHECK_ERR(bn_seq_pad(ctx, 3, seqs, lens, &o, &ids, NULL), BN_ERR_OUT_OF_RANGE,
              "sequence 2 has 5 tokens, more than the fixed length 4");
    CHECK(ids == NULL);
    int64_t L = 0;
    o.length = 6;
    o.multiple_of = 4;
    CHECK_OK(bn_seq_padded_length(3, lens, &o, &L));
    CHECK(L == 8);
    CHECK_OK(bn_seq_padded_length(3, lens, NULL, &L));
    CHECK(L == 5);
    /* bool mask, empty sequence */
    bn_pad_options_default(&o);
    o.mask_dtype = BN_DTYPE_BOOL;
    const int32_t *with_empty[2] = {s1, NULL};
    size_t el[2] = {1, 0};
    CHECK_OK(bn_seq_pad(ctx, 2, with_empty, el, &o, &ids, &mask));
    CHECK(ids && bn_tensor_dim(ids, 1) == 1 && ((int32_t *)bn_tensor_data(ids))[1] == 0);
    CHECK(mask && ((uint8_t *)bn_tensor_data(mask))[0] == 1 && ((uint8_t *)bn_tensor_data(mask))[1] == 0);
    bn_tensor_free(ids);
    bn_tensor_free(mask);
    CHECK_ERR(bn_seq_pad(ctx, 0, seqs, lens, &o, &ids, NULL), BN_ERR_INVALID_ARGUMENT, "empty batch");
    o.mask_dtype = BN_DTYPE_F16;
    CHECK_ERR(bn_seq_pad(ctx, 3, seqs, lens, &o, &ids, &mask), BN_ERR_DTYPE, "mask dtype f16");

    /* over tensors: a strided view and an i64 tensor */
    int64_t n6 = 6, n2 = 2;
    int32_t raw[6] = {1, 100, 2, 100, 3, 100};
    int64_t stride = 2, n3 = 3;
    bn_tensor *a = NULL, *b = NULL;
    CHECK_OK(bn_tensor_wrap(ctx, BN_DTYPE_I32, 1, &n3, &stride, raw, sizeof raw, NULL, NULL, &a));
    int64_t raw64[2] = {40, 41};
    CHECK_OK(bn_tensor_from_data(ctx, BN_DTYPE_I64, 1, &n2, raw64, sizeof raw64, &b));
    (void)n6;
    if (a && b) {
        const bn_tensor *ts[2] = {a, b};
        bn_pad_options_default(&o);
        o.side = BN_SIDE_LEFT;
        CHECK_OK(bn_seq_pad_tensors(ctx, 2, ts, &o, &ids, &mask));
        static const int32_t tv[] = {1, 2, 3, 0, 40, 41};
        static const int64_t tm[] = {1, 1, 1, 0, 1, 1};
        CHECK(ids && same_i32(ids, tv, 2, 3));
        CHECK(mask && same_i64(mask, tm, 2, 3));
        bn_tensor_free(ids);
        bn_tensor_free(mask);
    }
    bn_tensor_free(a);
    bn_tensor_free(b);
}

static void test_truncate(void) {
    int32_t x[6] = {1, 2, 3, 4, 5, 6};
    size_t n = 6;
    CHECK_OK(bn_seq_truncate(x, &n, 4, BN_SIDE_RIGHT));
    CHECK(n == 4 && x[0] == 1 && x[3] == 4);
    CHECK_OK(bn_seq_truncate(x, &n, 2, BN_SIDE_LEFT));
    CHECK(n == 2 && x[0] == 3 && x[1] == 4);
    CHECK_OK(bn_seq_truncate(x, &n, 10, BN_SIDE_LEFT));
    CHECK(n == 2);
    /* longest first: 5 + 3 to 4 -> 2 + 2 (from the longer, the second on ties) */
    int32_t a[5] = {1, 2, 3, 4, 5}, b[3] = {6, 7, 8};
    size_t na = 5, nb = 3;
    CHECK_OK(bn_seq_truncate_pair(a, &na, b, &nb, 4, BN_TRUNC_LONGEST_FIRST, BN_SIDE_RIGHT));
    CHECK(na == 2 && nb == 2 && a[1] == 2 && b[1] == 7);
    /* 3 + 3 to 3 -> 2 + 1; left side keeps the ends */
    int32_t c[3] = {1, 2, 3}, d[3] = {4, 5, 6};
    size_t nc = 3, nd = 3;
    CHECK_OK(bn_seq_truncate_pair(c, &nc, d, &nd, 3, BN_TRUNC_LONGEST_FIRST, BN_SIDE_LEFT));
    CHECK(nc == 2 && nd == 1 && c[0] == 2 && c[1] == 3 && d[0] == 6);
    /* 7 + 2 to 6: only from the longer -> 4 + 2 */
    int32_t e[7] = {1, 2, 3, 4, 5, 6, 7}, f[2] = {8, 9};
    size_t ne = 7, nf = 2;
    CHECK_OK(bn_seq_truncate_pair(e, &ne, f, &nf, 6, BN_TRUNC_LONGEST_FIRST, BN_SIDE_RIGHT));
    CHECK(ne == 4 && nf == 2);
    /* only second */
    ne = 7;
    nf = 2;
    CHECK_ERR(bn_seq_truncate_pair(e, &ne, f, &nf, 6, BN_TRUNC_ONLY_SECOND, BN_SIDE_RIGHT), BN_ERR_OUT_OF_RANGE,
              "cannot bring 7 + 2 to 6");
    CHECK(ne == 7 && nf == 2);
    CHECK_OK(bn_seq_truncate_pair(e, &ne, f, &nf, 8, BN_TRUNC_ONLY_SECOND, BN_SIDE_LEFT));
    CHECK(ne == 7 && nf == 1 && f[0] == 9);
    CHECK_OK(bn_seq_truncate_pair(e, &ne, f, &nf, 3, BN_TRUNC_ONLY_FIRST, BN_SIDE_LEFT));
    CHECK(ne == 2 && nf == 1 && e[0] == 6 && e[1] == 7);
}

static void test_masks(void) {
    bn_mask_options o;
    bn_mask_options_default(&o);
    bn_tensor *m = NULL;
    size_t rl[2] = {3, 2};
    o.batch = 2;
    o.length = 3;
    /* causal */
    o.kinds = BN_MASK_CAUSAL;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "100 110 111  100 110 111", 2, 3));
    bn_tensor_free(m);
    /* padding only, right */
    o.kinds = BN_MASK_PADDING;
    o.lengths = rl;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "111 111 111  110 110 000", 2, 3));
    bn_tensor_free(m);
    /* causal + padding, left: row 1 is [pad, t0, t1] */
    o.kinds = BN_MASK_CAUSAL | BN_MASK_PADDING;
    o.side = BN_SIDE_LEFT;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "100 110 111  000 010 011", 2, 3));
    bn_tensor_free(m);
    /* causal sliding window of 2 over 4 positions */
    bn_mask_options_default(&o);
    o.batch = 1;
    o.length = 4;
    o.kinds = BN_MASK_CAUSAL | BN_MASK_SLIDING_WINDOW;
    o.window = 2;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "1000 1100 0110 0011", 1, 4));
    bn_tensor_free(m);
    /* symmetric window */
    o.kinds = BN_MASK_SLIDING_WINDOW;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "1100 1110 0111 0011", 1, 4));
    bn_tensor_free(m);
    /* block-diagonal: segments 2 + 3 in a row of 6 (last position in none), causal */
    bn_mask_options_default(&o);
    size_t segl[2] = {2, 3}, segc[1] = {2};
    o.batch = 1;
    o.length = 6;
    o.kinds = BN_MASK_BLOCK_DIAGONAL | BN_MASK_CAUSAL;
    o.segment_lengths = segl;
    o.segment_counts = segc;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m,
                         "100000 110000 001000 001100 001110 000000",
                         1, 6));
    bn_tensor_free(m);
    /* the same without causal, additive f32 */
    o.kinds = BN_MASK_BLOCK_DIAGONAL;
    o.dtype = BN_DTYPE_F32;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    if (m) {
        const float *v = bn_tensor_data(m);
        CHECK(v[0] == 0.0f && v[1] == 0.0f && isinf(v[2]) && v[2] < 0);
        CHECK(v[2 * 6 + 4] == 0.0f && isinf(v[2 * 6 + 1]));
        CHECK(isinf(v[5 * 6 + 5]));
    }
    bn_tensor_free(m);
    /* everything together: padding right (length 4 of 5), causal, window 2, segments 3 + 1 */
    bn_mask_options_default(&o);
    size_t l1[1] = {4}, sl2[2] = {3, 1}, sc2[1] = {2};
    o.batch = 1;
    o.length = 5;
    o.kinds = BN_MASK_PADDING | BN_MASK_CAUSAL | BN_MASK_SLIDING_WINDOW | BN_MASK_BLOCK_DIAGONAL;
    o.lengths = l1;
    o.window = 2;
    o.segment_lengths = sl2;
    o.segment_counts = sc2;
    CHECK_OK(bn_seq_mask(ctx, &o, &m));
    CHECK(m && same_mask(m, "10000 11000 01100 00010 00000", 1, 5));
    bn_tensor_free(m);
    /* errors */
    o.window = 0;
    m = NULL;
    CHECK_ERR(bn_seq_mask(ctx, &o, &m), BN_ERR_INVALID_ARGUMENT, "window 0");
    o.window = 2;
    size_t toolong[2] = {4, 2};
    o.segment_lengths = toolong;
    CHECK_ERR(bn_seq_mask(ctx, &o, &m), BN_ERR_INVALID_ARGUMENT, "segments of row 0");
    o.kinds = BN_MASK_BLOCK_DIAGONAL;
    o.segment_lengths = NULL;
    CHECK_ERR(bn_seq_mask(ctx, &o, &m), BN_ERR_INVALID_ARGUMENT, "without segment lengths");
    CHECK(m == NULL);
}

static void test_bucket_stats(void) {
    /* lengths 5 1 4 2 8 3 7 6 -> sorted ids 1(1) 3(2) 5(3) 2(4) 0(5) 7(6) 6(7) 4(8)
     * budget 12 tokens, at most 3 rows: [1,3,5]: 3x3=9; add 2 (4): 4x4=16 > 12 -> next batch
     * [2,0]: 2x5=10; add 7 (6): 3x6=18 -> next; [7]: 6, add 6 (7): 2x7=14 -> next; [6]; [4] */
    size_t l[8] = {5, 1, 4, 2, 8, 3, 7, 6};
    bn_batch_plan p;
    CHECK_OK(bn_seq_bucket(8, l, 12, 3, &p));
    static const size_t order[8] = {1, 3, 5, 2, 0, 7, 6, 4};
    static const size_t offs[6] = {0, 3, 5, 6, 7, 8};
    static const int64_t padded[5] = {3, 5, 6, 7, 8};
    CHECK(p.n_batches == 5);
    CHECK(memcmp(p.order, order, sizeof order) == 0);
    CHECK(p.n_batches == 5 && memcmp(p.offsets, offs, sizeof offs) == 0 && memcmp(p.padded, padded, sizeof padded) == 0);
    bn_seq_stats s;
    CHECK_OK(bn_seq_stats_compute(8, l, &p, &s));
    /* real 36; padded 9 + 10 + 6 + 7 + 8 = 40 */
    CHECK(s.count == 8 && s.min_len == 1 && s.max_len == 8 && s.real_tokens == 36);
    CHECK_NEAR(s.mean_len, 4.5, 1e-12);
    CHECK_NEAR(s.median_len, 4.5, 1e-12);
    CHECK(s.padded_tokens == 40 && s.n_batches == 5 && s.max_tokens_per_batch == 10);
    CHECK_NEAR(s.padding_ratio, 4.0 / 40.0, 1e-12);
    CHECK_NEAR(s.mean_tokens_per_batch, 8.0, 1e-12);
    bn_batch_plan_free(&p);
    /* a sequence over the budget gets its own batch; max_batch only */
    size_t l2[4] = {2, 50, 2, 2};
    CHECK_OK(bn_seq_bucket(4, l2, 10, 0, &p));
    CHECK(p.n_batches == 2 && p.offsets[1] == 3 && p.order[3] == 1 && p.padded[1] == 50);
    bn_batch_plan_free(&p);
    CHECK_OK(bn_seq_bucket(4, l2, 0, 2, &p));
    CHECK(p.n_batches == 2 && p.offsets[1] == 2);
    bn_batch_plan_free(&p);
    /* one batch padded to the longest */
    CHECK_OK(bn_seq_stats_compute(3, lens, NULL, &s));
    CHECK(s.padded_tokens == 15 && s.real_tokens == 9 && s.n_batches == 1);
    CHECK_NEAR(s.padding_ratio, 6.0 / 15.0, 1e-12);
    CHECK_NEAR(s.median_len, 3.0, 1e-12);
    CHECK_OK(bn_seq_bucket(0, NULL, 10, 2, &p));
    CHECK(p.n_batches == 0 && p.offsets[0] == 0);
    bn_batch_plan_free(&p);
}

int main(void) {
    bn_ctx_options co;
    bn_ctx_options_default(&co);
    co.num_threads = 1;
    CHECK_OK(bn_ctx_new(&co, &ctx));
    if (ctx) {
        test_pad();
        test_truncate();
        test_masks();
        test_bucket_stats();
    }
    bn_ctx_free(ctx);
    return bt_summary("test_sequence");
}
