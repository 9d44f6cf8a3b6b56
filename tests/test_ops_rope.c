/* RoPE against a direct f64 implementation of both pairings (angles
 * p * theta^(-2i/rotary_dim) in f64), on random shapes, dtypes, offsets,
 * position tensors, partial rotary_dim and strided views; rotate-half with
 * theta 500000 bit-exact against transformers' f32 recipe; errors. */
#include <stdlib.h>

#include "reduce_test_util.h"

static bn_ctx *g_ctx;

/* Max |got - ref| / (|x|max * (1 + angle error scale)) over the tensor. */
static int check_rope(const bn_tensor *x, const int64_t *pos, double theta, int64_t rd, bn_rope_mode mode,
                      const bn_tensor *y, double tol) {
    int nd = bn_tensor_ndim(x);
    const int64_t *sh = bn_tensor_shape(x);
    int64_t seq = sh[nd - 3], heads = sh[nd - 2], hd = sh[nd - 1];
    int64_t rows = hd ? bn_tensor_numel(x) / hd : 0, h = rd / 2;
    double *v = malloc((size_t)(hd + 1) * 8);
    int ok = 1;
    for (int64_t r = 0; r < rows && ok; r++) {
        int64_t s = (r / heads) % seq;
        double p = (double)pos[s], amax = 0;
        for (int64_t i = 0; i < hd; i++) {
            v[i] = rt_get(x, r * hd + i);
            amax = fmax(amax, fabs(v[i]));
        }
        for (int64_t i = 0; i < hd; i++) {
            double ref;
            if (i >= rd) {
                ref = v[i];
            } else {
                int64_t k, a, b;
                if (mode == BN_ROPE_ROTATE_HALF) {
                    k = i < h ? i : i - h;
                    a = k, b = k + h;
                } else {
                    k = i / 2;
                    a = 2 * k, b = 2 * k + 1;
                }
                double ang = p * pow(theta, -2.0 * (double)k / (double)rd);
                double c = cos(ang), sn = sin(ang);
                ref = i == a ? v[a] * c - v[b] * sn : v[b] * c + v[a] * sn;
                (void)b;
            }
            double got = rt_get(y, r * hd + i);
            /* f32 angles: error ~ |angle| * 2^-23 */
            double ang0 = fabs(p);
            double t = tol * amax + amax * ang0 * 2.5e-7;
            if (!(fabs(got - ref) <= t)) {
                printf("  row %lld i %lld pos %g: got %.9g want %.9g (tol %.3g)\n", (long long)r, (long long)i, p,
                       got, ref, t);
                ok = 0;
                break;
            }
        }
    }
    free(v);
    return ok;
}

static void test_random(void) {
    const bn_dtype dts[] = {BN_DTYPE_F32, BN_DTYPE_F64, BN_DTYPE_F16, BN_DTYPE_BF16};
    int cases = 0;
    for (int di = 0; di < 4; di++) {
        bn_dtype dt = dts[di];
        double tol = dt == BN_DTYPE_F32 ? 4e-7 : dt == BN_DTYPE_F64 ? 4e-7 : dt == BN_DTYPE_F16 ? 1e-3 : 8e-3;
        for (int rep = 0; rep < 40; rep++) {
            int nd = 3 + rt_int(2);
            int64_t sh[BN_MAX_DIMS];
            for (int i = 0; i < nd; i++) sh[i] = 1 + rt_int(4);
            sh[nd - 3] = 1 + rt_int(9);
            sh[nd - 1] = 2 * (1 + rt_int(rep % 4 == 0 ? 64 : 12));
            int64_t hd = sh[nd - 1], rd = rt_int(3) == 0 ? 2 * (1 + rt_int((int)(hd / 2))) : 0;
            bn_rope_mode mode = (bn_rope_mode)rt_int(2);
            double theta = rt_int(2) ? 10000.0 : 500000.0;
            int kind = rt_int(3);
            bn_tensor *x = rt_view(g_ctx, dt, nd, sh, kind, -2, 2, 0, 0), *y = NULL, *pt = NULL;
            int64_t seq = sh[nd - 3], pos[16], offset = rt_int(3) ? rt_int(5000) : 0;
            int use_pos = rt_int(2);
            for (int64_t s = 0; s < seq; s++) pos[s] = use_pos ? rt_int(100000) : offset + s;
            if (use_pos) {
                bn_dtype pdt = rt_int(2) ? BN_DTYPE_I32 : BN_DTYPE_I64;
                bn_tensor *p64 = NULL;
                bn_tensor_from_data(g_ctx, BN_DTYPE_I64, 1, &seq, pos, (size_t)seq * 8, &p64);
                bn_tensor_cast(p64, pdt, &pt);
                bn_tensor_free(p64);
            }
            bn_status st = bn_rope(x, pt, offset, theta, rd, mode, &y);
            CHECK(st == BN_OK);
            if (st == BN_OK) {
                int ok = check_rope(x, pos, theta, rd ? rd : hd, mode, y, tol);
                if (!ok)
                    printf("  %s nd %d hd %lld rd %lld mode %d theta %g kind %d\n", bn_dtype_name(dt), nd,
                           (long long)hd, (long long)rd, (int)mode, theta, kind);
                CHECK(ok);
            }
            bn_tensor_free(y);
            bn_tensor_free(pt);
            bn_tensor_free(x);
            cases++;
        }
    }
    printf("%d random cases\n", cases);
}

/* transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb in f32 (cos and
 * sin correctly rounded from the f32 angle), theta 500000, head_dim 128. */
static void test_transformers_recipe(void) {
    int64_t sh[4] = {1, 40, 3, 128};
    bn_tensor *x = rt_tensor(g_ctx, BN_DTYPE_F32, 4, sh, -3, 3, 0, 0), *y = NULL;
    int64_t offset = 4000;
    CHECK_OK(bn_rope(x, NULL, offset, 500000.0, 0, BN_ROPE_ROTATE_HALF, &y));
    const float *xv = (const float *)bn_tensor_data(x), *yv = (const float *)bn_tensor_data(y);
    float inv[64];
    for (int i = 0; i < 64; i++) {
        float e = (float)(2 * i) / 128.0f; /* arange(0, dim, 2).float() / dim */
        inv[i] = 1.0f / (float)pow(500000.0, (double)e); /* 1.0 / base ** e */
    }
    int same = 1;
    for (int s = 0; s < 40; s++)
        for (int hh = 0; hh < 3; hh++) {
            const float *q = xv + (s * 3 + hh) * 128;
            const float *o = yv + (s * 3 + hh) * 128;
            for (int i = 0; i < 128; i++) {
                float f = (float)(offset + s) * inv[i % 64]; /* freqs = inv_freq @ positions */
                float c = (float)cos((double)f), sn = (float)sin((double)f);
                float rot = i < 64 ? -q[i + 64] : q[i - 64]; /* rotate_half */
                float a = q[i] * c, b = rot * sn;
                same &= o[i] == a + b;
            }
        }
    CHECK(same);
    /* in place, and positions equal to the offset form */
    bn_tensor *pt = NULL, *y2 = NULL;
    bn_tensor_arange(g_ctx, BN_DTYPE_I64, 4000, 4040, 1, &pt);
    CHECK_OK(bn_rope(x, pt, 0, 500000.0, 0, BN_ROPE_ROTATE_HALF, &y2));
    CHECK(y2 && memcmp(bn_tensor_data(y2), yv, 40 * 3 * 128 * 4) == 0);
    CHECK_OK(bn_rope_into(x, pt, 0, 500000.0, 0, BN_ROPE_ROTATE_HALF, x));
    CHECK(memcmp(bn_tensor_data(x), yv, 40 * 3 * 128 * 4) == 0);
    /* a [batch, heads, seq, hd] tensor seen as [batch, seq, heads, hd] */
    int64_t bh[4] = {2, 3, 5, 16};
    bn_tensor *q = rt_tensor(g_ctx, BN_DTYPE_F32, 4, bh, -1, 1, 0, 0), *qt = NULL, *qc = NULL, *r1 = NULL, *r2 = NULL;
    bn_tensor_transpose(q, 1, 2, &qt);
    bn_tensor_contiguous(qt, &qc);
    CHECK_OK(bn_rope(qt, NULL, 7, 10000.0, 0, BN_ROPE_INTERLEAVED, &r1));
    CHECK_OK(bn_rope(qc, NULL, 7, 10000.0, 0, BN_ROPE_INTERLEAVED, &r2));
    CHECK(r1 && r2 && memcmp(bn_tensor_data(r1), bn_tensor_data(r2), 2 * 3 * 5 * 16 * 4) == 0);
    /* errors */
    int64_t s2[2] = {4, 8}, bad[4] = {1, 2, 3, 6};
    bn_tensor *x2 = NULL, *x6 = NULL, *pbad = NULL, *pf = NULL;
    bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 2, s2, &x2);
    CHECK_ERR(bn_rope(x2, NULL, 0, 1e4, 0, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_SHAPE, "[4,8]");
    bn_tensor_zeros(g_ctx, BN_DTYPE_F32, 4, bad, &x6);
    CHECK_ERR(bn_rope(x6, NULL, 0, 1e4, 5, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_INVALID_ARGUMENT, "rotary_dim 5");
    CHECK_ERR(bn_rope(x6, NULL, 0, 1e4, 8, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_INVALID_ARGUMENT, "head_dim 6");
    CHECK_ERR(bn_rope(x6, NULL, 0, -1, 0, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_INVALID_ARGUMENT, "theta");
    CHECK_ERR(bn_rope(x6, NULL, 0, 1e4, 0, (bn_rope_mode)7, &r1), BN_ERR_INVALID_ARGUMENT, "mode");
    bn_tensor_arange(g_ctx, BN_DTYPE_I64, 0, 3, 1, &pbad);
    CHECK_ERR(bn_rope(x6, pbad, 0, 1e4, 0, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_SHAPE, "positions");
    bn_tensor_arange(g_ctx, BN_DTYPE_F32, 0, 2, 1, &pf);
    CHECK_ERR(bn_rope(x6, pf, 0, 1e4, 0, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_DTYPE, "f32");
    bn_tensor *xi = NULL;
    bn_tensor_zeros(g_ctx, BN_DTYPE_I32, 4, bad, &xi);
    CHECK_ERR(bn_rope(xi, NULL, 0, 1e4, 0, BN_ROPE_ROTATE_HALF, &r1), BN_ERR_DTYPE, "i32");
    bn_tensor_free(xi);
    bn_tensor_free(pf);
    bn_tensor_free(pbad);
    bn_tensor_free(x6);
    bn_tensor_free(x2);
    bn_tensor_free(r1);
    bn_tensor_free(r2);
    bn_tensor_free(qc);
    bn_tensor_free(qt);
    bn_tensor_free(q);
    bn_tensor_free(y2);
    bn_tensor_free(pt);
    bn_tensor_free(y);
    bn_tensor_free(x);
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) return 1;
    test_random();
    test_transformers_recipe();
    bn_ctx_free(g_ctx);
    return bt_summary("test_ops_rope");
}
