/* BitLinear: the weight object (packed once into the kernel layout of
 * cpu/bitlinear_kernels.h), the fused forward and its thread split. */
#include "bitnet/bitlinear.h"
#include "bitnet/quant.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "build_info.h"
#include "core/alloc.h"
#include "core/error.h"
#include "cpu/bitlinear_kernels.h"
#include "quant/bitlinear_internal.h"
#if BITNET_CUDA_BUILT
#include "cuda/cuda_internal.h"
#endif

typedef struct bl_workspace {
    atomic_int busy;
    void *buf;
    size_t cap;
} bl_workspace;

struct bn_bitlinear {
    bn_pool *pool;
    int64_t n, k, nblk, ktiles;
    int per_row;
    uint8_t *packed; /* nblk * ktiles * 64 bytes */
    float *scales;   /* nblk * 16 (rows >= n: 0) */
    bl_workspace *ws; /* points at ws_storage: mutable through a const object */
    bl_workspace ws_storage;
    void *cuda; /* bni_cuda_bl: a copy on a GPU (bn_bitlinear_to_device) */
};

static const char *const k_tag = "bitlinear";

static size_t align64(size_t v) { return (v + 63) & ~(size_t)63; }

/* ---- creation --------------------------------------------------------- */

static bn_status bl_alloc(bn_ctx *ctx, int64_t n, int64_t k, int per_row, bn_bitlinear **out) {
    bn_pool *pool = bn_ctx_pool(ctx);
    bn_bitlinear *w = NULL;
    bn_status st = bn_pool_alloc(pool, sizeof *w, k_tag, (void **)&w);
    if (st != BN_OK) return st;
    memset(w, 0, sizeof *w);
    w->pool = pool;
    w->n = n;
    w->k = k;
    w->per_row = per_row;
    w->nblk = (n + BNI_BL_ROWS - 1) / BNI_BL_ROWS;
    w->ktiles = (k + BNI_BL_KT - 1) / BNI_BL_KT;
    w->ws = &w->ws_storage;
    atomic_init(&w->ws->busy, 0);
    const size_t bytes = (size_t)w->nblk * (size_t)w->ktiles * BNI_BL_TILE;
    st = bn_pool_alloc(pool, bytes, k_tag, (void **)&w->packed);
    if (st == BN_OK) st = bn_pool_alloc(pool, (size_t)w->nblk * BNI_BL_ROWS * sizeof(float), k_tag, (void **)&w->scales);
    if (st != BN_OK) {
        bn_bitlinear_free(w);
        return st;
    }
    *out = w;
    return BN_OK;
}

static bn_status check_shape(const char *fn, bn_ctx *ctx, int64_t n, int64_t k, const void *out) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    if (out == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    if (n < 1 || n > ((int64_t)1 << 31))
        return bni_error(BN_ERR_SHAPE, "%s: n = %lld, want 1 .. 2^31", fn, (long long)n);
    if (k < 1 || k > BN_BITLINEAR_MAX_K)
        return bni_error(BN_ERR_SHAPE, "%s: k = %lld, want 1 .. 2^20 (int32 sums)", fn, (long long)k);
    return BN_OK;
}

static bn_status fill_scales(bn_bitlinear *w, const float *scales, const char *fn) {
    const int64_t ns = w->per_row ? w->n : 1;
    for (int64_t i = 0; i < ns; i++)
        if (!isfinite(scales[i]))
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales[%lld] = %g is not finite", fn, (long long)i,
                             (double)scales[i]);
    for (int64_t r = 0; r < w->nblk * BNI_BL_ROWS; r++)
        w->scales[r] = r < w->n ? scales[w->per_row ? r : 0] : 0.0f;
    return BN_OK;
}

bn_status bn_bitlinear_new_from_ternary(bn_ctx *ctx, const int8_t *wv, int64_t n, int64_t k, const float *scales,
                                        int per_row, bn_bitlinear **out) {
    static const char fn[] = "bn_bitlinear_new_from_ternary";
    bn_status st = check_shape(fn, ctx, n, k, out);
    if (st != BN_OK) return st;
    if (wv == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: w is NULL", fn);
    if (scales == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales is NULL", fn);
    for (int64_t i = 0; i < n * k; i++)
        if (wv[i] < -1 || wv[i] > 1)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: w[%lld] = %d is not -1, 0 or 1 (row %lld, col %lld)", fn,
                             (long long)i, wv[i], (long long)(i / k), (long long)(i % k));
    bn_bitlinear *w;
    st = bl_alloc(ctx, n, k, per_row != 0, &w);
    if (st != BN_OK) return st;
    st = fill_scales(w, scales, fn);
    if (st != BN_OK) {
        bn_bitlinear_free(w);
        return st;
    }
    bni_bl_pack(wv, n, k, w->packed);
    *out = w;
    return BN_OK;
}

bn_status bn_bitlinear_new_from_f32(bn_ctx *ctx, const float *wf, int64_t n, int64_t k, int per_row,
                                    bn_bitlinear **out) {
    static const char fn[] = "bn_bitlinear_new_from_f32";
    bn_status st = check_shape(fn, ctx, n, k, out);
    if (st != BN_OK) return st;
    if (wf == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: w is NULL", fn);
    for (int64_t i = 0; i < n * k; i++)
        if (!isfinite(wf[i]))
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: w[%lld] = %g is not finite", fn, (long long)i,
                             (double)wf[i]);
    bn_pool *pool = bn_ctx_pool(ctx);
    int8_t *q = NULL;
    float *sc = NULL;
    st = bn_pool_alloc(pool, (size_t)(n * k), k_tag, (void **)&q);
    if (st == BN_OK) st = bn_pool_alloc(pool, (size_t)n * sizeof(float), k_tag, (void **)&sc);
    if (st == BN_OK)
        st = bn_quantize_weights_f32(wf, n, k, per_row ? BN_QUANT_PER_ROW : BN_QUANT_PER_TENSOR, q, sc);
    if (st == BN_OK) st = bn_bitlinear_new_from_ternary(ctx, q, n, k, sc, per_row, out);
    if (q) bn_pool_release(pool, q);
    if (sc) bn_pool_release(pool, sc);
    return st;
}

void bn_bitlinear_free(bn_bitlinear *w) {
    if (w == NULL) return;
    if (w->packed) bn_pool_release(w->pool, w->packed);
    if (w->scales) bn_pool_release(w->pool, w->scales);
    if (w->ws_storage.buf) bn_pool_release(w->pool, w->ws_storage.buf);
#if BITNET_CUDA_BUILT
    bni_cuda_bl_free((bni_cuda_bl *)w->cuda);
#endif
    bn_pool_release(w->pool, w);
}

int64_t bn_bitlinear_rows(const bn_bitlinear *w) { return w ? w->n : 0; }
int64_t bn_bitlinear_cols(const bn_bitlinear *w) { return w ? w->k : 0; }
int bn_bitlinear_per_row(const bn_bitlinear *w) { return w ? w->per_row : 0; }
size_t bn_bitlinear_packed_bytes(const bn_bitlinear *w) {
    return w ? (size_t)w->nblk * (size_t)w->ktiles * BNI_BL_TILE : 0;
}

bn_status bn_bitlinear_to_ternary(const bn_bitlinear *w, int8_t *values, float *scales) {
    BNI_CHECK_NULL("bn_bitlinear_to_ternary", w);
    BNI_CHECK_NULL("bn_bitlinear_to_ternary", values);
    bni_bl_unpack(w->packed, w->n, w->k, values);
    if (scales) {
        if (w->per_row) memcpy(scales, w->scales, (size_t)w->n * sizeof(float));
        else scales[0] = w->scales[0];
    }
    return BN_OK;
}

const char *bn_bitlinear_kernel_name(void) { return bni_bl_kernels_get()->name; }

/* ---- activations ------------------------------------------------------ */

bn_status bn_bitlinear_quantize_activations(const float *x, int64_t m, int64_t k, int8_t *q, float *scales) {
    static const char fn[] = "bn_bitlinear_quantize_activations";
    if (m < 0 || k < 0) return bni_error(BN_ERR_SHAPE, "%s: m = %lld, k = %lld", fn, (long long)m, (long long)k);
    if (m == 0) return BN_OK;
    BNI_CHECK_NULL("bn_bitlinear_quantize_activations", scales);
    if (k > 0) {
        BNI_CHECK_NULL("bn_bitlinear_quantize_activations", x);
        BNI_CHECK_NULL("bn_bitlinear_quantize_activations", q);
    }
    const bni_bl_kernels *kern = bni_bl_kernels_get();
    for (int64_t r = 0; r < m; r++) {
        int32_t sum;
        kern->quant(x + r * k, k, k, q + r * k, &scales[r], &sum);
    }
    return BN_OK;
}

/* ---- forward ---------------------------------------------------------- */

/* Workspace for m tokens: q [m][ldx] int8, then sums (int32) and scales. */
/* Row stride of the quantized activations: Kp rounded up to an odd number
 * of 64-byte lines, so that the rows of a token group (read together by
 * the GEMM micro-kernels) fall into different L1 sets even when K is a
 * power of two (a stride of 8192 put all 16 rows in one set: 1.8x slower). */
static int64_t ws_ldx(const bn_bitlinear *w) {
    int64_t ldx = (w->ktiles * BNI_BL_KT + 63) & ~(int64_t)63;
    if ((ldx / 64) % 2 == 0) ldx += 64;
    return ldx;
}

size_t bn_bitlinear_workspace_size(const bn_bitlinear *w, int64_t m) {
    if (w == NULL || m < 0) return 0;
    return align64((size_t)m * (size_t)ws_ldx(w)) + align64((size_t)m * 4) + (size_t)m * 4 + 64;
}

typedef struct bl_job {
    const bni_bl_kernels *kern;
    bni_bl_args args;
    int64_t m;
    /* quantization pass */
    const float *xf;
    const int8_t *xq_in;
    int64_t k;
    const float *scales_in;
    int8_t *xq;
    int32_t *xsum;
    float *xscale;
} bl_job;

static void quant_range(void *arg, size_t begin, size_t end, int thread) {
    bl_job *j = arg;
    (void)thread;
    const int64_t ldx = j->args.ldx;
    for (size_t r = begin; r < end; r++) {
        int8_t *dst = j->xq + (int64_t)r * ldx;
        if (j->xf) {
            j->kern->quant(j->xf + (int64_t)r * j->k, j->k, ldx, dst, &j->xscale[r], &j->xsum[r]);
        } else {
            const int8_t *src = j->xq_in + (int64_t)r * j->k;
            int32_t s = 0;
            for (int64_t i = 0; i < j->k; i++) s += src[i];
            memcpy(dst, src, (size_t)j->k);
            memset(dst + j->k, 0, (size_t)(ldx - j->k));
            j->xsum[r] = s;
            j->xscale[r] = j->scales_in[r];
        }
    }
}

static void gemm_range(void *arg, size_t begin, size_t end, int thread) {
    const bl_job *j = arg;
    (void)thread;
    j->kern->gemm(&j->args, (int64_t)begin, (int64_t)end, 0, j->m);
}

static bn_status run(bn_ctx *ctx, const bn_bitlinear *w, const bni_bl_kernels *kern, const float *xf,
                     const int8_t *xq_in, const float *scales_in, int64_t m, float *y, void *ws, size_t ws_bytes) {
    (void)ws_bytes;
    uint8_t *base = (uint8_t *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    const int64_t ldx = ws_ldx(w);
    bl_job j;
    memset(&j, 0, sizeof j);
    j.kern = kern;
    j.m = m;
    j.xf = xf;
    j.xq_in = xq_in;
    j.scales_in = scales_in;
    j.k = w->k;
    j.xq = (int8_t *)base;
    j.xsum = (int32_t *)(base + align64((size_t)m * (size_t)ldx));
    j.xscale = (float *)((uint8_t *)j.xsum + align64((size_t)m * 4));
    j.args.w = w->packed;
    j.args.ktiles = w->ktiles;
    j.args.x = j.xq;
    j.args.ldx = ldx;
    j.args.xsum = j.xsum;
    j.args.xscale = j.xscale;
    j.args.wscale = w->scales;
    j.args.y = y;
    j.args.ldy = w->n;
    j.args.n = w->n;
    bn_status st = bn_ctx_parallel_for(ctx, (size_t)m, 8, quant_range, &j);
    if (st != BN_OK) return st;
    /* Each chunk of row blocks should carry at least ~256K multiply-adds. */
    const int64_t per_block = BNI_BL_ROWS * ldx * m;
    size_t grain = (size_t)((262144 + per_block - 1) / per_block);
    if (grain < 1) grain = 1;
    return bn_ctx_parallel_for(ctx, (size_t)w->nblk, grain, gemm_range, &j);
}

static bn_status check_fwd(const char *fn, bn_ctx *ctx, const bn_bitlinear *w, const void *x, int64_t m,
                           const float *y) {
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    if (w == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: w is NULL", fn);
    if (m < 0) return bni_error(BN_ERR_SHAPE, "%s: m = %lld < 0", fn, (long long)m);
    if (m > 0 && x == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
    if (m > 0 && y == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
    return BN_OK;
}

static bn_status ws_reserve(const bn_bitlinear *w, size_t need) {
    bl_workspace *ws = w->ws;
    if (ws->cap >= need) return BN_OK;
    void *buf;
    bn_status st = bn_pool_alloc(w->pool, need, k_tag, &buf);
    if (st != BN_OK) return st;
    if (ws->buf) bn_pool_release(w->pool, ws->buf);
    ws->buf = buf;
    ws->cap = need;
    return BN_OK;
}

bn_status bn_bitlinear_reserve(bn_bitlinear *w, int64_t max_m) {
    BNI_CHECK_NULL("bn_bitlinear_reserve", w);
    if (max_m < 0) return bni_error(BN_ERR_SHAPE, "bn_bitlinear_reserve: max_m = %lld < 0", (long long)max_m);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->ws->busy, &expected, 1))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_bitlinear_reserve: a forward is running on this object");
    bn_status st = ws_reserve(w, bn_bitlinear_workspace_size(w, max_m));
    atomic_store(&w->ws->busy, 0);
    return st;
}

/* Run with the object's workspace, or a temporary one when another call
 * holds it. */
static bn_status run_own_ws(bn_ctx *ctx, const bn_bitlinear *w, const float *xf, const int8_t *xq,
                            const float *scales, int64_t m, float *y) {
    const size_t need = bn_bitlinear_workspace_size(w, m);
    int expected = 0;
    const bni_bl_kernels *kern = bni_bl_kernels_get();
    if (atomic_compare_exchange_strong(&w->ws->busy, &expected, 1)) {
        bn_status st = ws_reserve(w, need);
        if (st == BN_OK) st = run(ctx, w, kern, xf, xq, scales, m, y, w->ws->buf, w->ws->cap);
        atomic_store(&w->ws->busy, 0);
        return st;
    }
    void *tmp;
    bn_status st = bn_pool_alloc(w->pool, need, k_tag, &tmp);
    if (st != BN_OK) return st;
    st = run(ctx, w, kern, xf, xq, scales, m, y, tmp, need);
    bn_pool_release(w->pool, tmp);
    return st;
}

bn_status bn_bitlinear_forward(bn_ctx *ctx, const bn_bitlinear *w, const float *x, int64_t m, float *y) {
    bn_status st = check_fwd("bn_bitlinear_forward", ctx, w, x, m, y);
    if (st != BN_OK || m == 0) return st;
    return run_own_ws(ctx, w, x, NULL, NULL, m, y);
}

bn_status bn_bitlinear_forward_ws(bn_ctx *ctx, const bn_bitlinear *w, const float *x, int64_t m, float *y,
                                  void *workspace, size_t workspace_bytes) {
    static const char fn[] = "bn_bitlinear_forward_ws";
    bn_status st = check_fwd(fn, ctx, w, x, m, y);
    if (st != BN_OK || m == 0) return st;
    BNI_CHECK_NULL("bn_bitlinear_forward_ws", workspace);
    const size_t need = bn_bitlinear_workspace_size(w, m);
    if (workspace_bytes < need)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: workspace of %zu bytes, need %zu for m = %lld", fn,
                         workspace_bytes, need, (long long)m);
    return run(ctx, w, bni_bl_kernels_get(), x, NULL, NULL, m, y, workspace, workspace_bytes);
}

bn_status bn_bitlinear_forward_q8(bn_ctx *ctx, const bn_bitlinear *w, const int8_t *q, const float *scales,
                                  int64_t m, float *y, void *workspace, size_t workspace_bytes) {
    static const char fn[] = "bn_bitlinear_forward_q8";
    bn_status st = check_fwd(fn, ctx, w, q, m, y);
    if (st != BN_OK || m == 0) return st;
    BNI_CHECK_NULL("bn_bitlinear_forward_q8", scales);
    for (int64_t r = 0; r < m; r++)
        if (!(scales[r] != 0.0f))
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales[%lld] = %g, want non-zero", fn, (long long)r,
                             (double)scales[r]);
    if (workspace == NULL) return run_own_ws(ctx, w, NULL, q, scales, m, y);
    const size_t need = bn_bitlinear_workspace_size(w, m);
    if (workspace_bytes < need)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: workspace of %zu bytes, need %zu for m = %lld", fn,
                         workspace_bytes, need, (long long)m);
    return run(ctx, w, bni_bl_kernels_get(), NULL, q, scales, m, y, workspace, workspace_bytes);
}

bn_status bn_bitlinear_forward_tensor(bn_ctx *ctx, const bn_bitlinear *w, const bn_tensor *x, bn_tensor **y) {
    static const char fn[] = "bn_bitlinear_forward_tensor";
    if (ctx == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn);
    BNI_CHECK_NULL("bn_bitlinear_forward_tensor", w);
    BNI_CHECK_NULL("bn_bitlinear_forward_tensor", x);
    BNI_CHECK_NULL("bn_bitlinear_forward_tensor", y);
    if (bn_tensor_dtype(x) != BN_DTYPE_F32)
        return bni_error(BN_ERR_DTYPE, "%s: x is %s, want f32", fn, bn_dtype_name(bn_tensor_dtype(x)));
    const int nd = bn_tensor_ndim(x);
    const int64_t *shape = bn_tensor_shape(x);
    if (nd < 1 || shape[nd - 1] != w->k) {
        char buf[128];
        bni_format_shape(buf, sizeof buf, nd, shape);
        return bni_error(BN_ERR_SHAPE, "%s: x has shape %s, want [..., %lld]", fn, buf, (long long)w->k);
    }
    bn_tensor *xc = NULL;
    bn_status st = bn_tensor_contiguous(x, &xc);
    if (st != BN_OK) return st;
    int64_t oshape[BN_MAX_DIMS];
    for (int i = 0; i < nd; i++) oshape[i] = shape[i];
    oshape[nd - 1] = w->n;
    bn_tensor *out = NULL;
    st = bn_tensor_empty(ctx, BN_DTYPE_F32, nd, oshape, &out);
    if (st == BN_OK) {
        const int64_t m = bn_tensor_numel(xc) / w->k;
        st = bn_bitlinear_forward(ctx, w, (const float *)bn_tensor_data(xc), m, (float *)bn_tensor_data(out));
    }
    bn_tensor_free(xc);
    if (st != BN_OK) {
        bn_tensor_free(out);
        return st;
    }
    *y = out;
    return BN_OK;
}

const uint8_t *bni_bitlinear_packed(const bn_bitlinear *w) { return w->packed; }

bn_status bni_bitlinear_forward_with(bn_ctx *ctx, const bn_bitlinear *w, const bni_bl_kernels *kern,
                                     const float *x, const int8_t *q, const float *scales, int64_t m, float *y,
                                     void *workspace, size_t workspace_bytes) {
    if (m == 0) return BN_OK;
    if (workspace_bytes < bn_bitlinear_workspace_size(w, m))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bni_bitlinear_forward_with: workspace too small");
    return run(ctx, w, kern, x, q, scales, m, y, workspace, workspace_bytes);
}

/* ---- on a GPU ---------------------------------------------------------------------- */

bn_status bn_bitlinear_to_device(bn_bitlinear *w, bn_device device) {
    const char *fn = "bn_bitlinear_to_device";
    BNI_CHECK_NULL("bn_bitlinear_to_device", w);
    if (device.kind == BN_DEVICE_CPU) return BN_OK; /* the CPU copy is always there */
    if (device.kind != BN_DEVICE_CUDA) {
        bn_status st = bn_device_available(device.kind);
        return st != BN_OK ? st : bni_error(BN_ERR_NOT_SUPPORTED, "%s: %s", fn, bn_device_kind_name(device.kind));
    }
#if BITNET_CUDA_BUILT
    bn_status st = bni_cuda_check_index(fn, device.index);
    if (st != BN_OK) return st;
    size_t count;
    if (!bni_mul_size((size_t)w->n, (size_t)w->k, &count))
        return bni_error(BN_ERR_OVERFLOW, "%s: [%lld, %lld] overflows", fn, (long long)w->n, (long long)w->k);
    int8_t *values = bni_malloc(count ? count : 1);
    if (values == NULL)
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes to unpack the weights", fn, count);
    bni_bl_unpack(w->packed, w->n, w->k, values);
    bni_cuda_bl *copy = NULL;
    st = bni_cuda_bl_upload(device.index, values, w->scales, w->n, w->k, &copy);
    bni_free(values);
    if (st != BN_OK) return st;
    bni_cuda_bl_free((bni_cuda_bl *)w->cuda); /* replaces an earlier copy */
    w->cuda = copy;
    return BN_OK;
#else
    return bni_error(BN_ERR_DEVICE_UNAVAILABLE, "%s: cuda: this libbitnet was built without CUDA", fn);
#endif
}

bn_status bn_bitlinear_device(const bn_bitlinear *w, bn_device *device) {
    BNI_CHECK_NULL("bn_bitlinear_device", w);
    BNI_CHECK_NULL("bn_bitlinear_device", device);
    device->kind = BN_DEVICE_CPU;
    device->index = 0;
#if BITNET_CUDA_BUILT
    if (w->cuda) {
        device->kind = BN_DEVICE_CUDA;
        device->index = bni_cuda_bl_device((const bni_cuda_bl *)w->cuda);
    }
#endif
    return BN_OK;
}

bn_status bn_bitlinear_forward_device(const bn_bitlinear *w, const float *x, int64_t m, float *y, void *stream) {
    const char *fn = "bn_bitlinear_forward_device";
    BNI_CHECK_NULL("bn_bitlinear_forward_device", w);
    if (m < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: m = %lld is negative", fn, (long long)m);
    if (m > 0 && (x == NULL || y == NULL))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, x == NULL ? "x" : "y");
    if (w->cuda == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "%s: the weights [%lld, %lld] are not on a GPU (call bn_bitlinear_to_device first)", fn,
                         (long long)w->n, (long long)w->k);
#if BITNET_CUDA_BUILT
    return bni_cuda_bl_forward((const bni_cuda_bl *)w->cuda, x, m, y, stream);
#else
    (void)stream;
    return bni_error(BN_ERR_INTERNAL, "%s: a GPU copy without CUDA", fn);
#endif
}

const char *bn_bitlinear_device_kernel_name(const bn_bitlinear *w, int64_t m) {
#if BITNET_CUDA_BUILT
    if (w == NULL || w->cuda == NULL) return "none";
    return bni_cuda_bl_kernel_name(m, w->n);
#else
    (void)w;
    (void)m;
    return "none";
#endif
}
