/* Views: random chains of reshape / transpose / permute / slice / squeeze /
 * unsqueeze / expand on random shapes up to 8-D (size 0 and 1 included),
 * each element checked against an index map computed independently from
 * the chain (no strides involved); shared storage and lifetimes; wrap's
 * release callback; and every bad-argument path. */
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"

static bn_ctx *g_ctx;
static int g_refused, g_checked_views, g_max_ndim;

static uint64_t g_rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

/* ---- the independent model ------------------------------------------- */

enum { OP_RESHAPE, OP_TRANSPOSE, OP_PERMUTE, OP_SLICE, OP_SQUEEZE, OP_UNSQUEEZE, OP_EXPAND, OP_COUNT };

typedef struct level {
    int op;
    int ndim;                 /* of this level */
    int64_t shape[BN_MAX_DIMS];
    int a, b;                 /* dims */
    int perm[BN_MAX_DIMS];
    int64_t start, step;      /* slice: first index (normalized) and step */
} level;

typedef struct model {
    int nlev;
    level lev[16];
} model;

static int64_t ravel(int ndim, const int64_t *shape, const int64_t *idx) {
    int64_t l = 0;
    for (int i = 0; i < ndim; i++) l = l * shape[i] + idx[i];
    return l;
}
static void unravel(int ndim, const int64_t *shape, int64_t l, int64_t *idx) {
    for (int i = ndim - 1; i >= 0; i--) {
        idx[i] = shape[i] ? l % shape[i] : 0;
        l = shape[i] ? l / shape[i] : 0;
    }
}

/* Base linear index of idx at the top level. */
static int64_t model_map(const model *m, const int64_t *idx_in) {
    int64_t idx[BN_MAX_DIMS], prev[BN_MAX_DIMS];
    memcpy(idx, idx_in, sizeof idx);
    for (int k = m->nlev - 1; k >= 1; k--) {
        const level *L = &m->lev[k], *P = &m->lev[k - 1];
        switch (L->op) {
        case OP_RESHAPE: unravel(P->ndim, P->shape, ravel(L->ndim, L->shape, idx), prev); break;
        case OP_TRANSPOSE:
            memcpy(prev, idx, sizeof prev);
            prev[L->a] = idx[L->b];
            prev[L->b] = idx[L->a];
            break;
        case OP_PERMUTE:
            for (int i = 0; i < L->ndim; i++) prev[L->perm[i]] = idx[i];
            break;
        case OP_SLICE:
            memcpy(prev, idx, sizeof prev);
            prev[L->a] = L->start + idx[L->a] * L->step;
            break;
        case OP_SQUEEZE:
            for (int i = 0, j = 0; i < P->ndim; i++) prev[i] = i == L->a ? 0 : idx[j++];
            break;
        case OP_UNSQUEEZE:
            for (int i = 0, j = 0; i < L->ndim; i++)
                if (i != L->a) prev[j++] = idx[i];
            break;
        case OP_EXPAND: {
            int lead = L->ndim - P->ndim;
            for (int i = 0; i < P->ndim; i++) prev[i] = P->shape[i] == 1 ? 0 : idx[i + lead];
            break;
        }
        }
        memcpy(idx, prev, sizeof idx);
    }
    return ravel(m->lev[0].ndim, m->lev[0].shape, idx);
}

/* Python's slice of range(n), computed by clamping the way the language
 * reference describes it. */
static void py_slice(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *first, int64_t *len) {
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
    int64_t s = start < 0 ? start + n : start, e = stop < 0 ? stop + n : stop;
    s = s < lo ? lo : s > hi ? hi : s;
    e = e < lo ? lo : e > hi ? hi : e;
    int64_t c = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) c++;
    *first = s;
    *len = c;
}

static int check_against_model(const bn_tensor *v, const model *m, int samples) {
    const level *top = &m->lev[m->nlev - 1];
    if (bn_tensor_ndim(v) != top->ndim) return 1;
    for (int i = 0; i < top->ndim; i++)
        if (bn_tensor_dim(v, i) != top->shape[i]) return 1;
    int64_t n = bn_tensor_numel(v);
    if (n == 0) return 0;
    int bad = 0;
    for (int s = 0; s < samples; s++) {
        int64_t idx[BN_MAX_DIMS] = {0};
        for (int i = 0; i < top->ndim; i++) idx[i] = rnd_in(0, top->shape[i] - 1);
        double got = -1;
        if (bn_tensor_get(v, idx, &got) != BN_OK || got != (double)model_map(m, idx)) bad++;
    }
    return bad;
}

static void random_chain(void) {
    model m;
    memset(&m, 0, sizeof m);
    level *L0 = &m.lev[0];
    L0->ndim = (int)rnd_in(0, 6);
    int64_t numel = 1;
    for (int i = 0; i < L0->ndim; i++) {
        int64_t s = rnd_in(0, 9) == 0 ? 0 : rnd_in(1, 4);
        if (numel * (s ? s : 1) > 3000) s = 1;
        L0->shape[i] = s;
        numel *= s;
    }
    m.nlev = 1;
    bn_tensor *base = NULL, *flat = NULL;
    int64_t nflat = numel;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F64, 0, (double)numel, 1, &flat));
    CHECK_OK(bn_tensor_reshape(flat, L0->ndim, L0->shape, &base));
    bn_tensor_free(flat);
    (void)nflat;
    if (!base) return;
    bn_tensor *views[16] = {base};
    int copied = 0;
    int steps = (int)rnd_in(1, 7);
    for (int s = 0; s < steps; s++) {
        const level *P = &m.lev[m.nlev - 1];
        bn_tensor *cur = views[m.nlev - 1], *next = NULL;
        level L;
        memset(&L, 0, sizeof L);
        L.op = (int)rnd_in(0, OP_COUNT - 1);
        L.ndim = P->ndim;
        memcpy(L.shape, P->shape, sizeof L.shape);
        bn_status st = BN_OK;
        switch (L.op) {
        case OP_RESHAPE: {
            /* split or merge: a random factorization of numel */
            int64_t n = bn_tensor_numel(cur), rest = n;
            L.ndim = (int)rnd_in(0, 5);
            if (n == 0 && L.ndim == 0) L.ndim = 1;
            for (int i = 0; i < L.ndim; i++) {
                if (i == L.ndim - 1) {
                    L.shape[i] = rest;
                    break;
                }
                int64_t f = 1;
                if (n == 0) f = rnd_in(0, 3);
                else
                    for (int64_t c = rnd_in(1, 4); c >= 1; c--)
                        if (rest % c == 0) { f = c; break; }
                L.shape[i] = f;
                if (f) rest /= f;
            }
            if (L.ndim == 0 && n != 1) { L.ndim = 1; L.shape[0] = n; }
            int64_t sh[BN_MAX_DIMS];
            memcpy(sh, L.shape, sizeof sh);
            if (L.ndim > 0 && n > 0 && rnd_in(0, 2) == 0) sh[rnd_in(0, L.ndim - 1)] = -1;
            st = bn_tensor_reshape(cur, L.ndim, sh, &next);
            if (st == BN_ERR_SHAPE) {
                CHECK(strstr(bn_last_error(), "call bn_tensor_contiguous first") != NULL);
                g_refused++;
                CHECK(next == NULL);
                bn_tensor *c = NULL;
                CHECK_OK(bn_tensor_contiguous(cur, &c));
                if (!c) break;
                CHECK(!bn_tensor_shares_storage(c, base));
                copied = 1;
                st = bn_tensor_reshape(c, L.ndim, sh, &next);
                CHECK(st == BN_OK);
                bn_tensor_free(c);
            }
            break;
        }
        case OP_TRANSPOSE:
            if (P->ndim == 0) continue;
            L.a = (int)rnd_in(0, P->ndim - 1);
            L.b = (int)rnd_in(0, P->ndim - 1);
            L.shape[L.a] = P->shape[L.b];
            L.shape[L.b] = P->shape[L.a];
            st = bn_tensor_transpose(cur, L.a - (rnd() & 1 ? P->ndim : 0), L.b, &next);
            break;
        case OP_PERMUTE:
            for (int i = 0; i < P->ndim; i++) L.perm[i] = i;
            for (int i = P->ndim - 1; i > 0; i--) {
                int j = (int)rnd_in(0, i), t = L.perm[i];
                L.perm[i] = L.perm[j];
                L.perm[j] = t;
            }
            for (int i = 0; i < P->ndim; i++) L.shape[i] = P->shape[L.perm[i]];
            st = bn_tensor_permute(cur, L.perm, &next);
            break;
        case OP_SLICE: {
            if (P->ndim == 0) continue;
            L.a = (int)rnd_in(0, P->ndim - 1);
            int64_t n = P->shape[L.a];
            int64_t start = rnd_in(-n - 2, n + 2), stop = rnd_in(-n - 2, n + 2), step = rnd_in(1, 3);
            if (rnd() & 1) step = -step;
            if (rnd_in(0, 4) == 0) start = step > 0 ? INT64_MIN : INT64_MAX;
            if (rnd_in(0, 4) == 0) stop = step > 0 ? INT64_MAX : INT64_MIN;
            int64_t first, len;
            py_slice(n, start, stop, step, &first, &len);
            L.start = first;
            L.step = step;
            L.shape[L.a] = len;
            st = bn_tensor_slice(cur, L.a, start, stop, step, &next);
            break;
        }
        case OP_SQUEEZE: {
            int d = -1;
            for (int i = 0; i < P->ndim; i++)
                if (P->shape[i] == 1) d = i;
            if (d < 0) continue;
            L.a = d;
            L.ndim = P->ndim - 1;
            for (int i = 0, j = 0; i < P->ndim; i++)
                if (i != d) L.shape[j++] = P->shape[i];
            st = bn_tensor_squeeze(cur, d, &next);
            break;
        }
        case OP_UNSQUEEZE:
            if (P->ndim >= BN_MAX_DIMS) continue;
            L.a = (int)rnd_in(0, P->ndim);
            L.ndim = P->ndim + 1;
            for (int i = 0, j = 0; i < L.ndim; i++) L.shape[i] = i == L.a ? 1 : P->shape[j++];
            st = bn_tensor_unsqueeze(cur, L.a, &next);
            break;
        case OP_EXPAND: {
            int lead = (int)rnd_in(0, 2);
            if (P->ndim + lead > BN_MAX_DIMS || bn_tensor_numel(cur) > 500) continue;
            L.ndim = P->ndim + lead;
            int64_t req[BN_MAX_DIMS];
            for (int i = 0; i < L.ndim; i++) {
                if (i < lead) L.shape[i] = req[i] = rnd_in(0, 3);
                else {
                    int64_t have = P->shape[i - lead];
                    L.shape[i] = have == 1 ? rnd_in(1, 3) : have;
                    req[i] = have != 1 && (rnd() & 1) ? -1 : L.shape[i];
                }
            }
            st = bn_tensor_expand(cur, L.ndim, req, &next);
            break;
        }
        }
        CHECK_OK(st);
        if (st != BN_OK || next == NULL) break;
        m.lev[m.nlev] = L;
        views[m.nlev] = next;
        m.nlev++;
        if (!copied) CHECK(bn_tensor_shares_storage(next, base));
        CHECK(check_against_model(next, &m, 40) == 0);
        g_checked_views++;
        if (L.ndim > g_max_ndim) g_max_ndim = L.ndim;
    }
    /* free the base (and every intermediate) first: the last view keeps the storage */
    for (int i = 0; i < m.nlev - 1; i++) bn_tensor_free(views[i]);
    CHECK(check_against_model(views[m.nlev - 1], &m, 40) == 0);
    /* a contiguous copy has the same values */
    bn_tensor *c = NULL;
    CHECK_OK(bn_tensor_contiguous(views[m.nlev - 1], &c));
    if (c) {
        CHECK(bn_tensor_is_contiguous(c));
        CHECK(check_against_model(c, &m, 40) == 0);
    }
    bn_tensor_free(c);
    bn_tensor_free(views[m.nlev - 1]);
}

/* ---- specific behaviour ------------------------------------------------ */

static void test_reshape_rules(void) {
    int64_t s23[2] = {2, 3}, s6 = 6, s32[2] = {3, 2};
    bn_tensor *a = NULL, *t = NULL, *r = NULL;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 6, 1, &a));
    bn_tensor *a23 = NULL;
    CHECK_OK(bn_tensor_reshape(a, 2, s23, &a23));
    CHECK_OK(bn_tensor_transpose(a23, 0, 1, &t));
    CHECK(!bn_tensor_is_contiguous(t));
    r = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_reshape(t, 1, &s6, &r), BN_ERR_SHAPE,
              "bn_tensor_reshape: cannot view f32[3,2] with strides [1,3] as [6]: not contiguous; call "
              "bn_tensor_contiguous first");
    CHECK(r == (bn_tensor *)0x1);
    CHECK_ERR(bn_tensor_reshape(t, 2, s23, &r), BN_ERR_SHAPE, "not contiguous");
    r = NULL;
    /* splitting a strided dimension is fine */
    int64_t s312[3] = {3, 1, 2};
    CHECK_OK(bn_tensor_reshape(t, 3, s312, &r));
    CHECK(r && bn_tensor_strides(r)[0] == 1 && bn_tensor_strides(r)[2] == 3);
    bn_tensor_free(r);
    /* -1 inference and its errors */
    int64_t sm1[2] = {-1, 2}, sbad[2] = {-1, -1}, s4m[2] = {4, -1}, sneg[2] = {-2, 3};
    CHECK_OK(bn_tensor_reshape(a, 2, sm1, &r));
    CHECK(r && bn_tensor_dim(r, 0) == 3);
    bn_tensor_free(r);
    CHECK_ERR(bn_tensor_reshape(a, 2, sbad, &r), BN_ERR_SHAPE, "more than one -1");
    CHECK_ERR(bn_tensor_reshape(a, 2, s4m, &r), BN_ERR_SHAPE, "cannot reshape f32[6]");
    CHECK_ERR(bn_tensor_reshape(a, 2, sneg, &r), BN_ERR_SHAPE, "negative size -2");
    CHECK_OK(bn_tensor_reshape(a, 2, s32, &r));
    CHECK(r && bn_tensor_shares_storage(r, a) && bn_tensor_strides(r)[0] == 2);
    bn_tensor_free(r);
    r = NULL;
    int64_t s7 = 7;
    CHECK_ERR(bn_tensor_reshape(a, 1, &s7, &r), BN_ERR_SHAPE, "(6 elements) into [7] (7 elements)");
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 6};
    CHECK_ERR(bn_tensor_reshape(a, 9, nine, &r), BN_ERR_SHAPE, "9 dimensions");
    CHECK_ERR(bn_tensor_reshape(NULL, 1, &s6, &r), BN_ERR_INVALID_ARGUMENT, "t is NULL");
    CHECK_ERR(bn_tensor_reshape(a, 1, &s6, NULL), BN_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_ERR(bn_tensor_reshape(a, 1, NULL, &r), BN_ERR_INVALID_ARGUMENT, "shape is NULL");
    CHECK(r == NULL);
    /* 0-d <-> [1,1] */
    bn_tensor *one = NULL, *z = NULL, *back = NULL;
    int64_t s11[2] = {1, 1};
    CHECK_OK(bn_tensor_full(g_ctx, BN_DTYPE_F32, 0, NULL, 4.5, &z));
    CHECK_OK(bn_tensor_reshape(z, 2, s11, &one));
    CHECK_OK(bn_tensor_reshape(one, 0, NULL, &back));
    double v = 0;
    CHECK_OK(bn_tensor_get(back, NULL, &v));
    CHECK(v == 4.5 && bn_tensor_numel(z) == 1);
    bn_tensor_free(back);
    bn_tensor_free(one);
    bn_tensor_free(z);
    bn_tensor_free(t);
    bn_tensor_free(a23);
    bn_tensor_free(a);
}

static void test_sharing(void) {
    int64_t s[2] = {3, 4};
    bn_tensor *a = NULL, *t = NULL, *sl = NULL;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_I32, 2, s, &a));
    CHECK_OK(bn_tensor_transpose(a, 0, 1, &t));
    CHECK_OK(bn_tensor_slice(a, 1, 3, 0, -2, &sl)); /* columns 3, 1 */
    int64_t it[2] = {2, 1}, ia[2] = {1, 2}, isl[2] = {1, 1}, ia2[2] = {1, 1};
    CHECK_OK(bn_tensor_set(t, it, 42));
    double v = 0;
    CHECK_OK(bn_tensor_get(a, ia, &v));
    CHECK(v == 42);
    CHECK_OK(bn_tensor_set(sl, isl, -7));
    CHECK_OK(bn_tensor_get(a, ia2, &v));
    CHECK(v == -7);
    CHECK(bn_tensor_shares_storage(a, t) && bn_tensor_shares_storage(t, sl));
    CHECK(bn_tensor_offset(sl) == 3 && bn_tensor_strides(sl)[1] == -2);
    CHECK(bn_tensor_data(sl) == (char *)bn_tensor_data(a) + 12);
    char desc[128];
    CHECK_OK(bn_tensor_describe(t, desc, sizeof desc));
    CHECK(strcmp(desc, "i32[4,3] strides [1,4] non-contiguous") == 0);
    CHECK_OK(bn_tensor_describe(a, desc, sizeof desc));
    CHECK(strcmp(desc, "i32[3,4] strides [4,1] contiguous") == 0);
    CHECK_OK(bn_tensor_describe(sl, desc, 8));
    CHECK(strlen(desc) == 7);
    bn_tensor *c = NULL;
    CHECK_OK(bn_tensor_contiguous(a, &c));
    CHECK(c && bn_tensor_shares_storage(c, a));
    bn_tensor_free(c);
    CHECK_OK(bn_tensor_contiguous(t, &c));
    CHECK(c && !bn_tensor_shares_storage(c, a) && bn_tensor_is_contiguous(c));
    bn_tensor_free(c);
    bn_tensor_free(a); /* base first */
    CHECK_OK(bn_tensor_get(t, it, &v));
    CHECK(v == 42);
    CHECK_OK(bn_tensor_set(sl, isl, 5));
    bn_tensor_free(t);
    CHECK_OK(bn_tensor_get(sl, isl, &v));
    CHECK(v == 5);
    bn_tensor_free(sl);
}

static int g_released;
static void *g_released_ptr;
static void on_release(void *data, void *user) {
    g_released++;
    g_released_ptr = data;
    *(int *)user += 1;
}

static void test_wrap(void) {
    float buf[12];
    for (int i = 0; i < 12; i++) buf[i] = (float)i;
    int64_t s[2] = {3, 4};
    int calls = 0;
    bn_tensor *w = NULL, *v1 = NULL, *v2 = NULL;
    g_released = 0;
    CHECK_OK(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s, NULL, buf, sizeof buf, on_release, &calls, &w));
    CHECK(bn_tensor_data(w) == buf);
    CHECK_OK(bn_tensor_transpose(w, 0, 1, &v1));
    CHECK_OK(bn_tensor_slice(w, 0, 1, 3, 1, &v2));
    bn_tensor_free(w);
    CHECK(calls == 0);
    bn_tensor_free(v1);
    CHECK(calls == 0);
    double v;
    int64_t i0[2] = {0, 2};
    CHECK_OK(bn_tensor_get(v2, i0, &v));
    CHECK(v == 6);
    bn_tensor_free(v2);
    CHECK(calls == 1 && g_released == 1 && g_released_ptr == buf);

    /* custom strides, negative ones reaching before data are refused */
    int64_t st[2] = {1, 3};
    int64_t s43[2] = {4, 3};
    CHECK_OK(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s43, st, buf, sizeof buf, NULL, NULL, &w));
    int64_t i1[2] = {3, 1};
    CHECK_OK(bn_tensor_get(w, i1, &v));
    CHECK(v == 6);
    CHECK(!bn_tensor_is_contiguous(w));
    bn_tensor_free(w);
    w = NULL;
    calls = 0;
    int64_t neg[2] = {-4, 1};
    CHECK_ERR(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s, neg, buf, sizeof buf, on_release, &calls, &w),
              BN_ERR_INVALID_ARGUMENT, "outside the 48 bytes");
    CHECK_ERR(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s, NULL, buf, sizeof buf - 1, on_release, &calls, &w),
              BN_ERR_INVALID_ARGUMENT, "outside the 47 bytes");
    CHECK_ERR(bn_tensor_wrap(g_ctx, BN_DTYPE_TERNARY, 2, s, NULL, buf, sizeof buf, on_release, &calls, &w),
              BN_ERR_DTYPE, "cannot be wrapped");
    CHECK_ERR(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s, NULL, NULL, 48, on_release, &calls, &w),
              BN_ERR_INVALID_ARGUMENT, "data is NULL");
    CHECK(w == NULL && calls == 0);
    /* size 0 wraps nothing */
    int64_t s0[2] = {0, 5};
    CHECK_OK(bn_tensor_wrap(g_ctx, BN_DTYPE_F32, 2, s0, NULL, NULL, 0, on_release, &calls, &w));
    bn_tensor_free(w);
    CHECK(calls == 1);
}

static void test_slices(void) {
    bn_tensor *a = NULL, *s = NULL;
    CHECK_OK(bn_tensor_arange(g_ctx, BN_DTYPE_I64, 0, 10, 1, &a));
    struct { int64_t start, stop, step; int64_t want[10]; int n; } cases[] = {
        {2, 8, 3, {2, 5}, 2},
        {-3, INT64_MAX, 1, {7, 8, 9}, 3},
        {INT64_MAX, INT64_MIN, -1, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 10},
        {8, 2, -2, {8, 6, 4}, 3},
        {-100, 100, 4, {0, 4, 8}, 3},
        {5, 5, 1, {0}, 0},
        {15, -100, -3, {9, 6, 3, 0}, 4},
        {-1, -11, -1, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 10},
        {3, 100, INT64_MAX, {3}, 1},
        {3, -100, INT64_MIN, {3}, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        s = NULL;
        CHECK_OK(bn_tensor_slice(a, 0, cases[c].start, cases[c].stop, cases[c].step, &s));
        if (!s) continue;
        CHECK(bn_tensor_dim(s, 0) == cases[c].n);
        int ok = 1;
        for (int i = 0; i < cases[c].n && i < bn_tensor_dim(s, 0); i++) {
            double v;
            int64_t idx = i;
            bn_tensor_get(s, &idx, &v);
            ok &= v == (double)cases[c].want[i];
        }
        CHECK(ok);
        bn_tensor_free(s);
    }
    s = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_slice(a, 0, 0, 5, 0, &s), BN_ERR_INVALID_ARGUMENT, "step is 0");
    CHECK_ERR(bn_tensor_slice(a, 1, 0, 5, 1, &s), BN_ERR_OUT_OF_RANGE, "dimension 1 out of range for a 1-d");
    CHECK_ERR(bn_tensor_slice(a, -2, 0, 5, 1, &s), BN_ERR_OUT_OF_RANGE, "dimension -2");
    CHECK(s == (bn_tensor *)0x1);
    /* negative index in get counts from the end; out of range is an error */
    double v;
    int64_t idx = -1;
    CHECK_OK(bn_tensor_get(a, &idx, &v));
    CHECK(v == 9);
    idx = 10;
    CHECK_ERR(bn_tensor_get(a, &idx, &v), BN_ERR_OUT_OF_RANGE, "index 10 out of range");
    idx = -11;
    CHECK_ERR(bn_tensor_get(a, &idx, &v), BN_ERR_OUT_OF_RANGE, "index -11");
    bn_tensor_free(a);
}

static void test_dims_and_errors(void) {
    int64_t s[3] = {2, 1, 3};
    bn_tensor *a = NULL, *o = (bn_tensor *)0x1;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 3, s, &a));
    CHECK(bn_tensor_dim(a, -1) == 3 && bn_tensor_dim(a, 3) == -1 && bn_tensor_dim(a, -4) == -1);
    CHECK_ERR(bn_tensor_transpose(a, 0, 3, &o), BN_ERR_OUT_OF_RANGE, "dimension 3 out of range for a 3-d");
    CHECK_ERR(bn_tensor_transpose(a, -4, 0, &o), BN_ERR_OUT_OF_RANGE, "dimension -4");
    CHECK_ERR(bn_tensor_permute(a, (int[]){0, 0, 1}, &o), BN_ERR_INVALID_ARGUMENT, "[0,0,1] is not a permutation");
    CHECK_ERR(bn_tensor_permute(a, (int[]){0, 1, 3}, &o), BN_ERR_INVALID_ARGUMENT, "not a permutation of 0..2");
    CHECK_ERR(bn_tensor_permute(a, NULL, &o), BN_ERR_INVALID_ARGUMENT, "perm is NULL");
    CHECK_ERR(bn_tensor_squeeze(a, 0, &o), BN_ERR_SHAPE, "has size 2, not 1");
    CHECK_ERR(bn_tensor_squeeze(a, 5, &o), BN_ERR_OUT_OF_RANGE, "dimension 5");
    CHECK_ERR(bn_tensor_unsqueeze(a, 5, &o), BN_ERR_OUT_OF_RANGE, "dimension 5 out of range for a 4-d");
    int64_t bad_exp[2] = {4, 3};
    CHECK_ERR(bn_tensor_expand(a, 2, bad_exp, &o), BN_ERR_SHAPE, "cannot expand [2,1,3] to [4,3]");
    int64_t bad_exp2[3] = {3, 5, 3};
    CHECK_ERR(bn_tensor_expand(a, 3, bad_exp2, &o), BN_ERR_SHAPE, "cannot expand [2,1,3] to [3,5,3]");
    int64_t bad_exp3[4] = {-1, 2, 1, 3};
    CHECK_ERR(bn_tensor_expand(a, 4, bad_exp3, &o), BN_ERR_SHAPE, "new dimension 0");
    CHECK(o == (bn_tensor *)0x1);

    /* squeeze / unsqueeze / expand results */
    o = NULL;
    CHECK_OK(bn_tensor_squeeze(a, -2, &o));
    CHECK(o && bn_tensor_ndim(o) == 2 && bn_tensor_dim(o, 1) == 3);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_unsqueeze(a, -1, &o));
    CHECK(o && bn_tensor_ndim(o) == 4 && bn_tensor_dim(o, 3) == 1);
    bn_tensor_free(o);
    CHECK_OK(bn_tensor_squeeze_all(a, &o));
    CHECK(o && bn_tensor_ndim(o) == 2);
    bn_tensor_free(o);
    int64_t ex[4] = {5, 2, 4, -1};
    CHECK_OK(bn_tensor_expand(a, 4, ex, &o));
    CHECK(o && bn_tensor_dim(o, 0) == 5 && bn_tensor_dim(o, 2) == 4 && bn_tensor_strides(o)[0] == 0 &&
          bn_tensor_strides(o)[2] == 0 && bn_tensor_strides(o)[3] == 1);
    bn_tensor_free(o);

    /* 8-d limits */
    int64_t s8[8] = {1, 1, 1, 1, 1, 1, 1, 2};
    bn_tensor *b = NULL;
    CHECK_OK(bn_tensor_zeros(g_ctx, BN_DTYPE_U8, 8, s8, &b));
    o = (bn_tensor *)0x1;
    CHECK_ERR(bn_tensor_unsqueeze(b, 0, &o), BN_ERR_SHAPE, "at most 8");
    int64_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 2};
    CHECK_ERR(bn_tensor_expand(b, 9, s9, &o), BN_ERR_SHAPE, "9 dimensions");
    CHECK(o == (bn_tensor *)0x1);
    bn_tensor_free(b);
    bn_tensor_free(a);

    /* broadcast shapes */
    int64_t x[3] = {8, 1, 6}, y[2] = {7, 1}, r[BN_MAX_DIMS];
    int nd = 0;
    CHECK_OK(bn_broadcast_shapes(3, x, 2, y, &nd, r));
    CHECK(nd == 3 && r[0] == 8 && r[1] == 7 && r[2] == 6);
    int64_t z0[2] = {0, 1}, z1[1] = {5};
    CHECK_OK(bn_broadcast_shapes(2, z0, 1, z1, &nd, r));
    CHECK(nd == 2 && r[0] == 0 && r[1] == 5);
    CHECK_OK(bn_broadcast_shapes(0, NULL, 1, z1, &nd, r));
    CHECK(nd == 1 && r[0] == 5);
    int64_t p[2] = {2, 3}, q[1] = {4};
    nd = -5;
    CHECK_ERR(bn_broadcast_shapes(2, p, 1, q, &nd, r), BN_ERR_SHAPE, "[2,3] and [4] do not broadcast");
    CHECK(nd == -5);
    int64_t negs[1] = {-1};
    CHECK_ERR(bn_broadcast_shapes(2, p, 1, negs, &nd, r), BN_ERR_SHAPE, "negative size");
    CHECK_ERR(bn_broadcast_shapes(9, p, 1, q, &nd, r), BN_ERR_SHAPE, "9 dimensions");
    CHECK_ERR(bn_broadcast_shapes(2, p, 1, q, NULL, r), BN_ERR_INVALID_ARGUMENT, "ndim_out is NULL");
}

static void test_packed_views(void) {
    int64_t s[2] = {4, 8};
    bn_tensor *q = NULL, *f = NULL, *v = NULL;
    CHECK_OK(bn_tensor_rand(g_ctx, BN_DTYPE_F32, 2, s, -1, 1, &f));
    CHECK_OK(bn_tensor_cast_quantized(f, BN_DTYPE_TERNARY, 8, &q));
    int64_t s32 = 32, s248[3] = {2, 2, 8};
    CHECK_OK(bn_tensor_reshape(q, 1, &s32, &v));
    bn_tensor_free(v);
    CHECK_OK(bn_tensor_reshape(q, 3, s248, &v));
    bn_tensor_free(v);
    CHECK_OK(bn_tensor_unsqueeze(q, 0, &v));
    bn_tensor_free(v);
    CHECK_OK(bn_tensor_slice(q, 0, 1, 3, 1, &v));
    CHECK(v && bn_tensor_data(v) == (char *)bn_tensor_data(q) + 2 && bn_tensor_scales(v) == bn_tensor_scales(q) + 1);
    bn_tensor_free(v);
    v = NULL;
    CHECK_ERR(bn_tensor_slice(q, 0, 0, 4, 2, &v), BN_ERR_NOT_SUPPORTED, "convert it first");
    CHECK_ERR(bn_tensor_slice(q, 1, 0, 4, 1, &v), BN_ERR_NOT_SUPPORTED, "packed layout");
    CHECK_ERR(bn_tensor_permute(q, (int[]){1, 0}, &v), BN_ERR_NOT_SUPPORTED, "ternary[4,8]");
    CHECK_ERR(bn_tensor_expand(q, 3, (int64_t[]){2, 4, 8}, &v), BN_ERR_NOT_SUPPORTED, "packed");
    CHECK(v == NULL);
    bn_tensor_free(q);
    /* one scale for the whole tensor: only whole views */
    CHECK_OK(bn_tensor_cast(f, BN_DTYPE_QINT8, &q));
    CHECK_ERR(bn_tensor_slice(q, 0, 1, 3, 1, &v), BN_ERR_NOT_SUPPORTED, "whole groups");
    CHECK_OK(bn_tensor_slice(q, 0, 0, 4, 1, &v));
    bn_tensor_free(v);
    bn_tensor_free(q);
    /* int4 (no scale): byte-aligned row slices */
    CHECK_OK(bn_tensor_cast(f, BN_DTYPE_INT4, &q));
    CHECK_OK(bn_tensor_slice(q, 0, 3, 4, 1, &v));
    CHECK(v && bn_tensor_data(v) == (char *)bn_tensor_data(q) + 12);
    bn_tensor_free(v);
    bn_tensor_free(q);
    bn_tensor_free(f);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 1;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_reshape_rules();
    test_sharing();
    test_wrap();
    test_slices();
    test_dims_and_errors();
    test_packed_views();
    for (int i = 0; i < 3000; i++) random_chain();
    printf("random chains: %d views checked, %d reshapes refused, up to %d dimensions\n", g_checked_views,
           g_refused, g_max_ndim);
    CHECK(g_refused > 10 && g_checked_views > 5000 && g_max_ndim == BN_MAX_DIMS);
    bn_pool_stats st;
    bn_pool_get_stats(bn_ctx_pool(g_ctx), &st);
    CHECK(st.live_blocks == 0);
    bn_ctx_free(g_ctx);
    return bt_summary("test_tensor_views");
}
