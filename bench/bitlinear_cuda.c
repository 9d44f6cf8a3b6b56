/* `bitnet bench bitlinear --device cuda`: BitLinear on the GPU against
 * cuBLAS (bf16, and int8 at M > 1) and the 2-bit HBM floor, same run.
 *
 * Each figure is the time of one forward inside a CUDA graph that replays
 * `iters` forwards back to back, the weights cycled through a ring of
 * copies larger than the GPU's L2 cache so they come from HBM (as in a
 * model, where every layer's weights are read once per token). The floor
 * is the packed weight bytes (N*K/4) at the copy bandwidth measured with
 * cudaMemcpy in the same run. cuBLAS is loaded with dlopen so that the
 * `bitnet` command does not need it installed. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "bitnet/bitnet.h"
#include "bitlinear_cuda.h"
#include "cuda/cuda_internal.h"
#include "harness.h"

#define RING_BYTES ((size_t)192 << 20)
#define MAX_RING 512
#define MAX_LIST 16

/* ---- cuBLAS through dlopen ---- */
typedef int (*cublas_create_fn)(void **);
typedef int (*cublas_set_stream_fn)(void *, cudaStream_t);
typedef int (*cublas_gemm_ex_fn)(void *, int, int, int, int, int, const void *, const void *, int, int, const void *,
                                 int, int, const void *, void *, int, int, int, int);
static struct {
    void *lib, *handle;
    cublas_create_fn create;
    cublas_set_stream_fn set_stream;
    cublas_gemm_ex_fn gemm_ex;
} g_cublas;

/* cublas_api.h values (stable ABI). */
enum { OP_N = 0, OP_T = 1, R_32F = 0, R_8I = 3, R_32I = 10, R_16BF = 14, COMPUTE_32F = 68, COMPUTE_32I = 72,
       GEMM_DEFAULT = -1 };

static int cublas_load(cudaStream_t stream) {
    const char *names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
    for (size_t i = 0; i < 3 && !g_cublas.lib; i++) g_cublas.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!g_cublas.lib) return 0;
    g_cublas.create = (cublas_create_fn)dlsym(g_cublas.lib, "cublasCreate_v2");
    g_cublas.set_stream = (cublas_set_stream_fn)dlsym(g_cublas.lib, "cublasSetStream_v2");
    g_cublas.gemm_ex = (cublas_gemm_ex_fn)dlsym(g_cublas.lib, "cublasGemmEx");
    if (!g_cublas.create || !g_cublas.set_stream || !g_cublas.gemm_ex) return 0;
    if (!g_cublas.handle && g_cublas.create(&g_cublas.handle) != 0) return 0;
    return g_cublas.set_stream(g_cublas.handle, stream) == 0;
}

/* ---- timing a graph of forwards ---- */
typedef int (*launch_fn)(void *arg, int i, cudaStream_t s); /* queue forward number i; 0 on success */

/* Median microseconds per launch over reps graph replays of iters launches. */
static int time_graph(launch_fn fn, void *arg, cudaStream_t s, int iters, int reps, bnb_result *out) {
    for (int i = 0; i < 3; i++) /* warm-up outside the graph: caches, lazy loading */
        if (fn(arg, i, s) != 0) return 0;
    if (cudaStreamSynchronize(s) != cudaSuccess) return 0;
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    if (cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) != cudaSuccess) return 0;
    int bad = 0;
    for (int i = 0; i < iters && !bad; i++) bad = fn(arg, i, s) != 0;
    if (cudaStreamEndCapture(s, &graph) != cudaSuccess || bad) return 0;
    if (cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess) return 0;
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    double samples[64];
    if (reps > 64) reps = 64;
    cudaGraphLaunch(exec, s); /* warm-up replay */
    for (int r = 0; r < reps; r++) {
        cudaEventRecord(e0, s);
        cudaGraphLaunch(exec, s);
        cudaEventRecord(e1, s);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        samples[r] = (double)ms * 1e3 / iters;
    }
    *out = bnb_summarize(samples, reps);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    return cudaGetLastError() == cudaSuccess;
}

/* ---- the three contenders ---- */
typedef struct bl_run {
    bn_bitlinear *ring[MAX_RING];
    int nring;
    float *x, *y;
    int64_t m;
} bl_run;

static int launch_bitnet(void *arg, int i, cudaStream_t s) {
    bl_run *r = arg;
    return bn_bitlinear_forward_device(r->ring[i % r->nring], r->x, r->m, r->y, s) != BN_OK;
}

typedef struct blas_run {
    void *ring[MAX_RING];
    int nring, int8;
    void *x, *y;
    int64_t m, n, k;
} blas_run;

static int launch_cublas(void *arg, int i, cudaStream_t s) {
    blas_run *r = arg;
    (void)s;
    const float one = 1.0f, zero = 0.0f;
    const int32_t ione = 1, izero = 0;
    /* y^T [n x m] = W [n x k] (row-major = k x n column-major, transposed) * x^T */
    if (r->int8)
        return g_cublas.gemm_ex(g_cublas.handle, OP_T, OP_N, (int)r->n, (int)r->m, (int)r->k, &ione,
                                r->ring[i % r->nring], R_8I, (int)r->k, r->x, R_8I, (int)r->k, &izero, r->y, R_32I,
                                (int)r->n, COMPUTE_32I, GEMM_DEFAULT);
    return g_cublas.gemm_ex(g_cublas.handle, OP_T, OP_N, (int)r->n, (int)r->m, (int)r->k, &one, r->ring[i % r->nring],
                            R_16BF, (int)r->k, r->x, R_16BF, (int)r->k, &zero, r->y, R_16BF, (int)r->n, COMPUTE_32F,
                            GEMM_DEFAULT);
}

static int ring_count(size_t bytes_per_copy) {
    size_t n = RING_BYTES / (bytes_per_copy ? bytes_per_copy : 1) + 1;
    return n > MAX_RING ? MAX_RING : (int)n;
}

/* Device-to-device copy bandwidth in bytes/s (read + write counted). */
static double copy_bandwidth(cudaStream_t s) {
    size_t bytes = (size_t)512 << 20;
    void *a = NULL, *b = NULL;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) return 0;
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    double best = 0;
    for (int r = 0; r < 6; r++) {
        cudaEventRecord(e0, s);
        cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s);
        cudaEventRecord(e1, s);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        double bw = 2.0 * (double)bytes / ((double)ms * 1e-3);
        if (r > 0 && bw > best) best = bw;
    }
    cudaFree(a);
    cudaFree(b);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return best;
}

static uint64_t g_seed = 88172645463325252ull;
static uint32_t rnd(void) {
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 7;
    g_seed ^= g_seed << 17;
    return (uint32_t)(g_seed >> 11);
}

static void report(const bnb_options *opt, const bn_bitlinear *w, const bnb_result *ours, const bnb_result *rbf,
                   const bnb_result *ri8, int64_t m, int64_t n, int64_t k, double bw, int nring, int is_default) {
    double floor_us = (double)(n * k) / 4.0 / bw * 1e6;
    double gops = 2.0 * (double)m * (double)n * (double)k / (ours->median * 1e-6) / 1e9;
    double wgbs = (double)(n * k) / 4.0 / (ours->median * 1e-6) / 1e9;
    const char *kern = bn_bitlinear_device_kernel_name(w, m);
    if (opt->json) {
        printf("{\"bench\":\"bitlinear\",\"device\":\"cuda\",\"kernel\":\"%s\",\"default\":%s,\"m\":%lld,"
               "\"n\":%lld,\"k\":%lld,\"threads\":0,\"isa\":\"cuda\",\"median_us\":%.3f,\"p10_us\":%.3f,"
               "\"p90_us\":%.3f,\"gop_s\":%.1f,\"weight_gb_s\":%.1f,\"floor_us\":%.3f,\"floor_ratio\":%.3f,"
               "\"copy_gb_s\":%.1f,\"ring\":%d",
               kern, is_default ? "true" : "false", (long long)m, (long long)n, (long long)k, ours->median, ours->p10,
               ours->p90, gops, wgbs, floor_us, ours->median / floor_us, bw / 1e9, nring);
        if (rbf) printf(",\"cublas_bf16_median_us\":%.3f", rbf->median);
        else printf(",\"cublas_bf16_median_us\":null");
        if (ri8) printf(",\"cublas_int8_median_us\":%.3f", ri8->median);
        else printf(",\"cublas_int8_median_us\":null");
        printf("}\n");
    } else {
        printf("%6lldx%-6lld m=%-4lld %-30s %9.2f us (p10 %.2f p90 %.2f) %7.1f GOP/s %6.1f GB/s  floor %.2f us "
               "(x%.2f)",
               (long long)n, (long long)k, (long long)m, kern, ours->median, ours->p10, ours->p90, gops, wgbs,
               floor_us, ours->median / floor_us);
        if (rbf) printf("  cuBLAS bf16 %.2f us (x%.2f)", rbf->median, rbf->median / ours->median);
        if (ri8) printf("  cuBLAS int8 %.2f us (x%.2f)", ri8->median, ri8->median / ours->median);
        printf("\n");
    }
    fflush(stdout);
}

static int bench_shape(bn_ctx *ctx, const bnb_options *opt, cudaStream_t s, double bw, int have_blas, int64_t n,
                       int64_t k, const int64_t *ms, int nms) {
    const bn_device gpu = {BN_DEVICE_CUDA, 0}, cpu = {BN_DEVICE_CPU, 0};
    int8_t *w = malloc((size_t)(n * k));
    float *scales = malloc((size_t)n * sizeof(float));
    int64_t mmax = 1;
    for (int i = 0; i < nms; i++) mmax = ms[i] > mmax ? ms[i] : mmax;
    float *xh = malloc((size_t)(mmax * k) * sizeof(float));
    uint16_t *wb = malloc((size_t)(n * k) * 2);
    if (!w || !scales || !xh || !wb) return 0;
    for (int64_t i = 0; i < n * k; i++) w[i] = (int8_t)((int)(rnd() % 3) - 1);
    for (int64_t i = 0; i < n; i++) scales[i] = 0.5f + (float)(rnd() % 100) / 100.0f;
    for (int64_t i = 0; i < mmax * k; i++) xh[i] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
    for (int64_t i = 0; i < n * k; i++) wb[i] = bn_f32_to_bf16((float)w[i]);
    bl_run br = {.m = 0};
    br.nring = ring_count((size_t)(n * k) / 4);
    int ok = 1;
    for (int i = 0; i < br.nring && ok; i++)
        ok = bn_bitlinear_new_from_ternary(ctx, w, n, k, scales, 1, &br.ring[i]) == BN_OK &&
             bn_bitlinear_to_device(br.ring[i], gpu) == BN_OK;
    blas_run bf = {.n = n, .k = k, .int8 = 0}, bi = {.n = n, .k = k, .int8 = 1};
    bf.nring = ring_count((size_t)(n * k) * 2);
    bi.nring = ring_count((size_t)(n * k));
    if (ok) ok = cudaMalloc((void **)&br.x, (size_t)(mmax * k) * 4) == cudaSuccess &&
                 cudaMalloc((void **)&br.y, (size_t)(mmax * n) * 4) == cudaSuccess &&
                 bn_device_copy(gpu, br.x, cpu, xh, (size_t)(mmax * k) * 4) == BN_OK;
    if (ok && have_blas) {
        for (int i = 0; i < bf.nring && ok; i++)
            ok = cudaMalloc(&bf.ring[i], (size_t)(n * k) * 2) == cudaSuccess &&
                 cudaMemcpy(bf.ring[i], wb, (size_t)(n * k) * 2, cudaMemcpyHostToDevice) == cudaSuccess;
        for (int i = 0; i < bi.nring && ok; i++)
            ok = cudaMalloc(&bi.ring[i], (size_t)(n * k)) == cudaSuccess &&
                 cudaMemcpy(bi.ring[i], w, (size_t)(n * k), cudaMemcpyHostToDevice) == cudaSuccess;
        ok = ok && cudaMalloc(&bf.x, (size_t)(mmax * k) * 2) == cudaSuccess &&
             cudaMalloc(&bf.y, (size_t)(mmax * n) * 4) == cudaSuccess &&
             cudaMemset(bf.x, 0x3c, (size_t)(mmax * k) * 2) == cudaSuccess;
        bi.x = br.x; /* any bytes are valid int8 */
        bi.y = bf.y;
    }
    if (!ok) {
        fprintf(stderr, "bench bitlinear cuda: setup of %lldx%lld failed: %s\n", (long long)n, (long long)k,
                bn_last_error());
        return 0;
    }
    for (int mi = 0; mi < nms; mi++) {
        int64_t m = ms[mi];
        br.m = bf.m = bi.m = m;
        const int iters = 200;
        bnb_result rbf = {0}, ri8 = {0};
        int have_bf = have_blas && time_graph(launch_cublas, &bf, s, iters, opt->reps, &rbf);
        int have_i8 = have_blas && m >= 4 && time_graph(launch_cublas, &bi, s, iters, opt->reps, &ri8);
        cudaGetLastError();
        /* every kernel variant for this m: the default first */
        /* the default first (v = -1), then for m = 1 and m > 8 every variant */
        int nvar = m == 1 ? BNI_CUDA_M1_VARIANTS - 1 : m > 8 ? bni_cuda_bl_set_variant(0, -1) : 0;
        for (int v = -1; v < nvar; v++) {
            if (m == 1) bni_cuda_bl_set_variant(v + 1, -1);
            else bni_cuda_bl_set_variant(0, v);
            bnb_result ours;
            if (!time_graph(launch_bitnet, &br, s, iters, opt->reps, &ours)) {
                fprintf(stderr, "bench bitlinear cuda: timing failed (%s)\n", bn_last_error());
                bni_cuda_bl_set_variant(0, -1);
                return 0;
            }
            report(opt, br.ring[0], &ours, have_bf ? &rbf : NULL, have_i8 ? &ri8 : NULL, m, n, k, bw, br.nring,
                   v < 0);
        }
        bni_cuda_bl_set_variant(0, -1);
        fflush(stdout);
    }
    for (int i = 0; i < br.nring; i++) bn_bitlinear_free(br.ring[i]);
    for (int i = 0; i < bf.nring; i++) cudaFree(bf.ring[i]);
    for (int i = 0; i < bi.nring; i++) cudaFree(bi.ring[i]);
    cudaFree(br.x);
    cudaFree(br.y);
    cudaFree(bf.x);
    cudaFree(bf.y);
    free(w);
    free(scales);
    free(xh);
    free(wb);
    return 1;
}

/* Asynchronous launches per second of a tiny forward (16 x 64, one token). */
static void small_op_rate(bn_ctx *ctx, const bnb_options *opt, cudaStream_t s) {
    const bn_device gpu = {BN_DEVICE_CUDA, 0};
    int8_t w[16 * 64];
    float sc[16];
    for (int i = 0; i < 16 * 64; i++) w[i] = (int8_t)((int)(rnd() % 3) - 1);
    for (int i = 0; i < 16; i++) sc[i] = 1.0f;
    bn_bitlinear *bl = NULL;
    float *x = NULL, *y = NULL;
    if (bn_bitlinear_new_from_ternary(ctx, w, 16, 64, sc, 1, &bl) != BN_OK || bn_bitlinear_to_device(bl, gpu) != BN_OK ||
        cudaMalloc((void **)&x, 64 * 4) != cudaSuccess || cudaMalloc((void **)&y, 16 * 4) != cudaSuccess)
        return;
    cudaMemset(x, 0, 64 * 4);
    const int calls = 20000;
    double samples[7];
    for (int r = 0; r < 7; r++) {
        cudaStreamSynchronize(s);
        double t0 = bnb_now();
        for (int i = 0; i < calls; i++) bn_bitlinear_forward_device(bl, x, 1, y, s);
        cudaStreamSynchronize(s);
        samples[r] = (bnb_now() - t0) / calls;
    }
    bnb_result res = bnb_summarize(samples, 7);
    /* the same tiny forward inside a graph: the floor of one dependent launch */
    bl_run tiny = {.nring = 1, .x = x, .y = y, .m = 1};
    tiny.ring[0] = bl;
    bnb_result g;
    if (time_graph(launch_bitnet, &tiny, s, 200, opt->reps, &g)) {
        if (opt->json)
            printf("{\"bench\":\"graph_launch_floor\",\"device\":\"cuda\",\"op\":\"bitlinear 16x64 m=1\","
                   "\"kernel\":\"%s\",\"median_us\":%.3f}\n",
                   bn_bitlinear_device_kernel_name(bl, 1), g.median);
        else
            printf("one tiny forward (16x64) inside a CUDA graph: %.2f us (the floor of a dependent launch)\n", g.median);
    }
    if (opt->json)
        printf("{\"bench\":\"small_op_rate\",\"device\":\"cuda\",\"op\":\"bitlinear 16x64 m=1\",\"median_us\":%.3f,"
               "\"ops_per_s\":%.0f}\n",
               res.median * 1e6, 1.0 / res.median);
    else
        printf("small-op rate: %.0f BitLinear forwards/s (16x64, one token, asynchronous launches, %.2f us each)\n",
               1.0 / res.median, res.median * 1e6);
    bn_bitlinear_free(bl);
    cudaFree(x);
    cudaFree(y);
}

int bnb_bitlinear_cuda(const bnb_options *opt, const int64_t (*shapes)[2], int nshapes, const int64_t *ms, int nms) {
    if (bn_device_available(BN_DEVICE_CUDA) != BN_OK) {
        fprintf(stderr, "bench bitlinear --device cuda: %s\n", bn_last_error());
        return 1;
    }
    static const int64_t def_shapes[][2] = {{2560, 2560}, {3840, 2560}, {6912, 2560}, {2560, 6912}, {13824, 2560}};
    static const int64_t def_ms[] = {1, 128};
    if (nshapes == 0) {
        shapes = def_shapes;
        nshapes = 5;
    }
    if (nms == 0) {
        ms = def_ms;
        nms = 2;
    }
    bn_ctx *ctx = NULL;
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    if (bn_ctx_new(&o, &ctx) != BN_OK) return 1;
    cudaStream_t s;
    cudaSetDevice(0);
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    int have_blas = cublas_load(s);
    double bw = copy_bandwidth(s);
    bn_device_info info;
    bn_device_get_info((bn_device){BN_DEVICE_CUDA, 0}, &info);
    if (opt->json)
        printf("{\"bench\":\"cuda_device\",\"name\":\"%s\",\"copy_gb_s\":%.1f,\"cublas\":%s}\n", info.name, bw / 1e9,
               have_blas ? "true" : "false");
    else
        printf("%s: copy bandwidth %.0f GB/s (read + write); cuBLAS %s; time per forward inside a CUDA graph, "
               "weights cycled through a ring of >= %zu MiB\n",
               info.name, bw / 1e9, have_blas ? "loaded" : "not found", RING_BYTES >> 20);
    int rc = 0;
    for (int i = 0; i < nshapes; i++)
        if (!bench_shape(ctx, opt, s, bw, have_blas, shapes[i][0], shapes[i][1], ms, nms)) rc = 1;
    small_op_rate(ctx, opt, s);
    cudaStreamDestroy(s);
    bn_ctx_free(ctx);
    return rc;
}
