/* Out of memory: for every N until a run sees no failure, make the N-th
 * allocation fail and run a sequence of creation, view, cast and copy
 * calls. Each call must succeed or return BN_ERR_OUT_OF_MEMORY without
 * writing its output, nothing may leak, a failed copy leaves its
 * destination unchanged, and tensors made before still read correctly. */
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static bn_ctx *g_ctx;
static int g_bad, g_failed, g_released;
static bn_tensor *g_held[64];
static int g_nheld, g_wrap_ok;

static void on_release(void *data, void *user) {
    (void)data;
    (void)user;
    g_released++;
}

/* Record one call's outcome; returns the new tensor or NULL. */
static bn_tensor *step(bn_status st, bn_tensor *out, int line) {
    if (st == BN_OK) {
        if (out == NULL) g_bad++;
        else g_held[g_nheld++] = out;
        return out;
    }
    if (st != BN_ERR_OUT_OF_MEMORY || out != NULL || strstr(bn_last_error(), "bn_") == NULL) {
        fprintf(stderr, "line %d: %s (%s)\n", line, bn_status_str(st), bn_last_error());
        g_bad++;
    } else {
        g_failed++;
    }
    return NULL;
}
static bn_status g_st;
#define STEP(var, call) (var = NULL, g_st = (call), step(g_st, var, __LINE__))

static int same_values(const bn_tensor *a, const bn_tensor *b) {
    int64_t n = bn_tensor_numel(a);
    if (n != bn_tensor_numel(b)) return 0;
    int nd = bn_tensor_ndim(a);
    for (int64_t k = 0; k < n; k++) {
        int64_t idx[BN_MAX_DIMS], r = k;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = r % bn_tensor_dim(a, d);
            r /= bn_tensor_dim(a, d);
        }
        double x, y;
        bn_tensor_get(a, idx, &x);
        bn_tensor_get(b, idx, &y);
        if (x != y) return 0;
    }
    return 1;
}

static int keep_ok(const bn_tensor *keep) {
    const float *d = (const float *)bn_tensor_data(keep);
    for (int i = 0; i < 64; i++)
        if (d[i] != (float)i) return 0;
    return 1;
}

static void sequence(const bn_tensor *keep, const bn_tensor *keepq) {
    bn_tensor *a, *b, *c, *d, *e, *f, *g, *h, *q, *w, *s, *x, *y;
    int64_t s16[2] = {16, 16}, s4[3] = {4, 4, 4}, n64 = 64;
    static float buf[32];
    STEP(a, bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 2, s16, &a));
    STEP(b, bn_tensor_rand(g_ctx, BN_DTYPE_F32, 2, s16, -1, 1, &b));
    STEP(c, bn_tensor_arange(g_ctx, BN_DTYPE_I32, 0, 256, 1, &c));
    STEP(d, bn_tensor_linspace(g_ctx, BN_DTYPE_F64, 0, 1, 100, &d));
    STEP(e, bn_tensor_eye(g_ctx, BN_DTYPE_BF16, 5, 7, &e));
    STEP(f, bn_tensor_full(g_ctx, BN_DTYPE_TERNARY, 3, s4, 0.5, &f));
    STEP(g, bn_tensor_from_data(g_ctx, BN_DTYPE_F32, 1, &n64, bn_tensor_data(keep), 256, &g));
    int before = g_released;
    STEP(w, bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 1, (int64_t[]){32}, NULL, buf, sizeof buf, on_release, NULL, &w));
    if (!w && g_released != before) g_bad++; /* release not called on failure */
    g_wrap_ok = w != NULL;
    STEP(h, bn_tensor_randn(g_ctx, BN_DTYPE_F16, 3, s4, 0, 1, &h));
    /* views */
    STEP(x, bn_tensor_transpose(keep, 0, 1, &x));
    if (x) {
        STEP(y, bn_tensor_contiguous(x, &y));
        if (y && !same_values(x, y)) g_bad++;
        STEP(y, bn_tensor_cast(x, BN_DTYPE_F16, &y));
        STEP(y, bn_tensor_cast_quantized(x, BN_DTYPE_QINT4, 8, &y));
        y = NULL;
        if (bn_tensor_reshape(x, 1, &n64, &y) != BN_ERR_SHAPE || y != NULL) g_bad++; /* needs a copy */
    }
    STEP(y, bn_tensor_slice(keep, 1, 7, INT64_MIN, -2, &y));
    STEP(y, bn_tensor_expand(keep, 3, (int64_t[]){3, 8, 8}, &y));
    if (y) {
        bn_tensor *ex = y;
        STEP(y, bn_tensor_clone(ex, &y));
    }
    STEP(y, bn_tensor_unsqueeze(keep, 0, &y));
    /* packed */
    if (b) {
        STEP(q, bn_tensor_cast_quantized(b, BN_DTYPE_TERNARY, 16, &q));
        if (q) {
            STEP(y, bn_tensor_cast(q, BN_DTYPE_F32, &y));
            STEP(y, bn_tensor_clone(q, &y));
            STEP(y, bn_tensor_slice(q, 0, 2, 6, 1, &y));
        }
        STEP(y, bn_tensor_cast(b, BN_DTYPE_INT4, &y));
    }
    STEP(y, bn_tensor_cast(keepq, BN_DTYPE_F64, &y));
    if (y && !same_values(keepq, y)) g_bad++;
    /* copies into an existing tensor: all or nothing */
    STEP(s, bn_tensor_clone(keep, &s));
    if (s) {
        bn_tensor *dst = NULL, *src = NULL;
        STEP(dst, bn_tensor_slice(s, 0, 1, 8, 1, &dst));
        STEP(src, bn_tensor_slice(s, 0, 0, 7, 1, &src));
        if (dst && src) {
            bn_status st = bn_tensor_copy(dst, src); /* overlapping: stages through a temporary */
            const float *sd = (const float *)bn_tensor_data(s);
            int ok = 1;
            if (st == BN_OK) {
                for (int i = 0; i < 64; i++) ok &= sd[i] == (float)(i < 8 ? i : i - 8);
            } else if (st == BN_ERR_OUT_OF_MEMORY) {
                g_failed++;
                for (int i = 0; i < 64; i++) ok &= sd[i] == (float)i;
            } else {
                ok = 0;
            }
            if (!ok) g_bad++;
        }
        if (a && b) {
            bn_tensor *bt = NULL;
            STEP(bt, bn_tensor_transpose(b, 0, 1, &bt));
            if (bt) {
                bn_status st = bn_tensor_copy(a, bt);
                if (st != BN_OK) g_bad++; /* no temporaries needed: cannot fail */
            }
        }
        if (f && a) {
            bn_tensor *a3 = NULL;
            STEP(a3, bn_tensor_reshape(a, 3, (int64_t[]){4, 8, 8}, &a3));
            bn_tensor *fv = NULL;
            STEP(fv, bn_tensor_reshape(f, 2, (int64_t[]){4, 16}, &fv));
            if (fv && b) {
                bn_tensor *bs = NULL;
                STEP(bs, bn_tensor_slice(b, 0, 0, 4, 1, &bs));
                if (bs) {
                    bn_status st = bn_tensor_copy(fv, bs); /* quantize through a temporary */
                    if (st == BN_ERR_OUT_OF_MEMORY) {
                        g_failed++;
                        double v;
                        bn_tensor_get(fv, (int64_t[]){3, 15}, &v);
                        if (v != 0.5) g_bad++;
                    } else if (st != BN_OK) {
                        g_bad++;
                    }
                }
            }
        }
    }
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    bn_tensor *keep = NULL, *flat = NULL, *keepq = NULL;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 64, 1, &flat));
    CHECK_OK(bn_tensor_reshape(flat, 2, (int64_t[]){8, 8}, &keep));
    CHECK_OK(bn_tensor_cast_quantized(keep, BN_DTYPE_QINT8, 8, &keepq));
    bn_tensor_free(flat);
    if (!keep || !keepq) return bt_summary("test_tensor_oom");
    bn_pool_stats st;
    bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
    size_t baseline = st.live_blocks;
    int runs = 0, total_failures = 0, leaks = 0, broken = 0;
    long n;
    for (n = 1; n < 10000; n++) {
        g_failed = 0;
        g_nheld = 0;
        int rel0 = g_released;
        bn_debug_fail_nth_alloc(n);
        sequence(keep, keepq);
        bn_debug_fail_nth_alloc(0);
        int wrapped = g_wrap_ok;
        /* free in reverse order of creation */
        for (int i = g_nheld - 1; i >= 0; i--) bn_tensor_free(g_held[i]);
        if (g_released != rel0 + wrapped) g_bad++; /* called exactly once, after the last handle */
        bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
        if (st.live_blocks != baseline) {
            if (leaks++ < 3) fprintf(stderr, "N=%ld: %zu live blocks, baseline %zu\n", n, st.live_blocks, baseline);
        }
        if (!keep_ok(keep)) broken++;
        runs++;
        total_failures += g_failed;
        if (g_failed == 0) break;
    }
    bn_debug_fail_nth_alloc(0);
    printf("%d runs, %d injected failures seen\n", runs, total_failures);
    CHECK(runs > 20 && n < 10000);
    CHECK(total_failures >= runs - 1);
    CHECK(g_bad == 0);
    CHECK(leaks == 0);
    CHECK(broken == 0);
    /* after the walk everything still works */
    bn_tensor *t = NULL;
    CHECK_OK(bn_tensor_cast(keep, BN_DTYPE_F16, &t));
    bn_tensor_free(t);
    bn_tensor_free(keepq);
    bn_tensor_free(keep);
    bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
    CHECK(st.live_blocks == 0);
    bn_ctx_free(g_ctx);
    return bt_summary("test_tensor_oom");
}
