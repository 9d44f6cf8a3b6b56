// BitLinear on NVIDIA GPUs: ternary weights x int8 activations.
//
// CUDA layout (made once by bni_cuda_bl_upload): row r of W [N][K] is
// kp / 16 words of 32 bits, kp = K rounded up to 64 (so a row is a whole
// number of 16-byte vectors). In word i, byte b holds in bits 2s..2s+1 the
// code w[r][16i + 4s + b] + 1 (0, 1, 2); codes past K are 1 (w = 0).
// (word >> 2s) & 0x03030303 is then four int8 codes lined up with the four
// activations of int32 word 4i + s of the int8 row, the operand of __dp4a.
// As the codes are w + 1, sum_k code * q = dot + sum_k q; the kernels
// subtract the per-token sum of q. Bounds as on the CPU (cpu/bitlinear_kernels.h):
// |code * q| <= 256 and K <= 2^20 keep every int32 sum below 2^29.
//
// The tensor-core kernel decodes codes to w in {-1, 0, 1} with __vsub4
// (per-byte subtraction, no borrow between bytes) and needs no correction.
//
// Every result equals the CPU's bit for bit: the same int32 dot product,
// the same activation codes (rint of x * s with s = (1 / max(absmax, 1e-5))
// * 127 rounded at each step: __fdiv_rn / __fmul_rn forbid FMA contraction)
// and the same epilogue (float)dot * (w_scale / x_scale).
#include <cuda_runtime.h>
#include <mma.h>
#include <stdint.h>
#include <string.h>

#include "cuda/cuda_internal.h"
extern "C" {
#include "core/error.h"
// From core/alloc.h, whose C11 atomics C++ does not take.
void *bni_malloc(size_t size);
void bni_free(void *ptr);
}

struct bni_cuda_bl {
    int dev;
    int64_t n, k, kp;
    uint32_t *w;   // [n][kp / 16]
    float *scale;  // [n]
};

namespace {

constexpr int kWarp = 32;

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ int warp_sum(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Block-wide reduction with warp_op (warp_max or warp_sum); red holds
// blockDim.x / 32 slots; zero is the identity of both (|x| >= 0 for max).
template <typename T, T (*warp_op)(T)>
__device__ T block_reduce(T v, T *red) {
    const int lane = threadIdx.x % kWarp, wid = threadIdx.x / kWarp, nw = blockDim.x / kWarp;
    v = warp_op(v);
    __syncthreads();
    if (lane == 0) red[wid] = v;
    __syncthreads();
    v = lane < nw ? red[lane] : T(0);
    return warp_op(v);
}

__device__ float block_max(float v, float *red) { return block_reduce<float, warp_max>(v, red); }
__device__ int block_sum(int v, int *red) { return block_reduce<int, warp_sum>(v, red); }

// One activation code, as the CPU's scalar reference.
__device__ __forceinline__ int quant1(float v, float s) {
    float t = rintf(__fmul_rn(v, s));
    if (t != t) t = 0.0f;
    t = fmaxf(t, -128.0f);
    t = fminf(t, 127.0f);
    return (int)t;
}

__device__ __forceinline__ float act_scale(float amax) {
    return __fmul_rn(__fdiv_rn(1.0f, fmaxf(amax, 1e-5f)), 127.0f);
}

// Quantize one row of x (k floats) into q (kp bytes, zero past k); the
// calling block's threads share the work. Returns s and sum q (in every thread).
__device__ void quant_row(const float *x, int64_t k, int64_t kp, int8_t *q, float *s_out, int *sum_out,
                          float *fred, int *ired) {
    float amax = 0.0f;
    for (int64_t i = threadIdx.x; i < k; i += blockDim.x) amax = fmaxf(amax, fabsf(x[i]));
    amax = block_max(amax, fred);
    const float s = act_scale(amax);
    int sum = 0;
    for (int64_t i = threadIdx.x; i < kp; i += blockDim.x) {
        int c = i < k ? quant1(x[i], s) : 0;
        q[i] = (int8_t)c;
        sum += c;
    }
    sum = block_sum(sum, ired);
    *s_out = s;
    *sum_out = sum;
}

__global__ void quant_kernel(const float *x, int64_t k, int64_t kp, int8_t *q, float *xscale, int *xsum) {
    __shared__ float fred[32];
    __shared__ int ired[32];
    const int64_t m = blockIdx.x;
    float s;
    int sum;
    quant_row(x + m * k, k, kp, q + m * kp, &s, &sum, fred, ired);
    if (threadIdx.x == 0) {
        xscale[m] = s;
        xsum[m] = sum;
    }
}

// Sum over one 16-byte vector of weight codes (64 weights) against the 64
// activations at a (16 int32 words).
__device__ __forceinline__ int dot64(uint4 wv, const int4 *a) {
    const uint32_t w[4] = {wv.x, wv.y, wv.z, wv.w};
    int acc = 0;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int4 av = a[i];
        const int xa[4] = {av.x, av.y, av.z, av.w};
#pragma unroll
        for (int s = 0; s < 4; s++) acc = __dp4a((int)((w[i] >> (2 * s)) & 0x03030303u), xa[s], acc);
    }
    return acc;
}

// One token: quantize x into shared memory in every block, then one warp
// per output row (grid-stride). Fusing saves a launch, which at these
// sizes costs as much as reading the weights.
__global__ void gemv_fused(const uint32_t *__restrict__ w, const float *__restrict__ wscale, int64_t n, int64_t kp,
                           const float *__restrict__ x, int64_t k, float *__restrict__ y) {
    extern __shared__ int4 smem_q[];
    __shared__ float fred[32];
    __shared__ int ired[32];
    int8_t *q = reinterpret_cast<int8_t *>(smem_q);
    float s;
    int xsum;
    quant_row(x, k, kp, q, &s, &xsum, fred, ired);
    __syncthreads();
    const int lane = threadIdx.x % kWarp;
    const int64_t vecs = kp / 64;  // 16-byte weight vectors per row
    const int64_t warps = (int64_t)gridDim.x * (blockDim.x / kWarp);
    for (int64_t r = (int64_t)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp; r < n; r += warps) {
        const uint4 *wr = reinterpret_cast<const uint4 *>(w + r * (kp / 16));
        int acc = 0;
        for (int64_t v = lane; v < vecs; v += kWarp) acc += dot64(__ldg(wr + v), smem_q + v * 4);
        acc = warp_sum(acc);
        if (lane == 0) y[r] = __fmul_rn((float)(acc - xsum), __fdiv_rn(wscale[r], s));
    }
}

// A few tokens (codes already in q): one warp per row, every token per
// weight vector so the weights are read once.
template <int M>
__global__ void gemv_q(const uint32_t *__restrict__ w, const float *__restrict__ wscale, int64_t n, int64_t kp,
                       const int8_t *__restrict__ q, const float *__restrict__ xscale, const int *__restrict__ xsum,
                       int64_t m_real, float *__restrict__ y) {
    const int lane = threadIdx.x % kWarp;
    const int64_t vecs = kp / 64;
    const int64_t warps = (int64_t)gridDim.x * (blockDim.x / kWarp);
    for (int64_t r = (int64_t)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp; r < n; r += warps) {
        const uint4 *wr = reinterpret_cast<const uint4 *>(w + r * (kp / 16));
        int acc[M];
#pragma unroll
        for (int m = 0; m < M; m++) acc[m] = 0;
        for (int64_t v = lane; v < vecs; v += kWarp) {
            const uint4 wv = __ldg(wr + v);
#pragma unroll
            for (int m = 0; m < M; m++)
                if (m < m_real) acc[m] += dot64(wv, reinterpret_cast<const int4 *>(q + m * kp) + v * 4);
        }
#pragma unroll
        for (int m = 0; m < M; m++) {
            if (m >= m_real) break;
            int a = warp_sum(acc[m]);
            if (lane == 0) y[m * n + r] = __fmul_rn((float)(a - xsum[m]), __fdiv_rn(wscale[r], xscale[m]));
        }
    }
}

// Many tokens on int8 tensor cores (WMMA 16x16x16, int32 accumulation).
// Block tile: BM tokens x BN rows, k in steps of 64, WM x WN warps, each
// computing (BM / WM) x (BN / WN) in 16 x 16 fragments. Activations are
// copied to shared memory as they are; weights are decoded from codes to w
// in {-1, 0, 1}. The next k-step's global loads are issued into registers
// before the current step's MMAs, so their latency overlaps the math.
// Shared tiles are stored as k-slices of 16 bytes ([slice][row][16]) so
// every fragment pointer is 32-byte aligned, as WMMA requires.
template <int BM, int BN, int WM, int WN, int BK>
__global__ void __launch_bounds__(32 * WM * WN)
    gemm_tc(const uint32_t *__restrict__ w, const float *__restrict__ wscale, int64_t n, int64_t kp,
            const int8_t *__restrict__ q, const float *__restrict__ xscale, int64_t m_total, float *__restrict__ y) {
    using namespace nvcuda;
    constexpr int T = 32 * WM * WN, TM = BM / WM, TN = BN / WN, FM = TM / 16, FN = TN / 16;
    constexpr int SL = BK / 16, WV = BK / 64;  // k-slices of 16, weight vectors (64 codes) per row
    constexpr int NA = (BM * SL + T - 1) / T, NW = (BN * WV + T - 1) / T;
    __shared__ __align__(128) int8_t sa[SL * BM * 16];
    __shared__ __align__(128) int8_t sb[SL * BN * 16];
    __shared__ __align__(128) int sc[WM * WN][TM * TN];
    const int tid = threadIdx.x, warp = tid / kWarp;
    const int wm = warp / WN, wn = warp % WN;
    const int64_t m0 = (int64_t)blockIdx.y * BM, n0 = (int64_t)blockIdx.x * BN;
    const int64_t wrow = kp / 16;  // words per weight row
    wmma::fragment<wmma::accumulator, 16, 16, 16, int> acc[FM][FN];
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++) wmma::fill_fragment(acc[i][j], 0);

    int4 ra[NA];
    uint4 rw[NW];
    auto load = [&](int64_t k0) {
#pragma unroll
        for (int i = 0; i < NA; i++) {
            const int v = tid + i * T, r = v / SL, c = v % SL;
            ra[i] = make_int4(0, 0, 0, 0);
            if (v < BM * SL && m0 + r < m_total && k0 + c * 16 < kp)
                ra[i] = __ldg(reinterpret_cast<const int4 *>(q + (m0 + r) * kp + k0) + c);
        }
#pragma unroll
        for (int i = 0; i < NW; i++) {
            const int v = tid + i * T, r = v / WV, c = v % WV;
            rw[i] = make_uint4(0x55555555u, 0x55555555u, 0x55555555u, 0x55555555u);  // code 1 = w 0
            if (v < BN * WV && n0 + r < n && k0 + c * 64 < kp)
                rw[i] = __ldg(reinterpret_cast<const uint4 *>(w + (n0 + r) * wrow + k0 / 16) + c);
        }
    };
    auto store = [&]() {
#pragma unroll
        for (int i = 0; i < NA; i++) {
            const int v = tid + i * T, r = v / SL, c = v % SL;
            if (v < BM * SL) *reinterpret_cast<int4 *>(sa + (c * BM + r) * 16) = ra[i];
        }
#pragma unroll
        for (int i = 0; i < NW; i++) {
            const int v = tid + i * T, r = v / WV, c = v % WV;
            if (v >= BN * WV) continue;
            const uint32_t wd[4] = {rw[i].x, rw[i].y, rw[i].z, rw[i].w};
#pragma unroll
            for (int sl = 0; sl < 4; sl++) {
                uint4 out;
                out.x = __vsub4((wd[sl] >> 0) & 0x03030303u, 0x01010101u);
                out.y = __vsub4((wd[sl] >> 2) & 0x03030303u, 0x01010101u);
                out.z = __vsub4((wd[sl] >> 4) & 0x03030303u, 0x01010101u);
                out.w = __vsub4((wd[sl] >> 6) & 0x03030303u, 0x01010101u);
                *reinterpret_cast<uint4 *>(sb + ((c * 4 + sl) * BN + r) * 16) = out;
            }
        }
    };

    load(0);
    for (int64_t k0 = 0; k0 < kp; k0 += BK) {
        store();
        __syncthreads();
        if (k0 + BK < kp) load(k0 + BK);
#pragma unroll
        for (int sl = 0; sl < SL; sl++) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, signed char, wmma::row_major> fa[FM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, signed char, wmma::col_major> fb[FN];
#pragma unroll
            for (int i = 0; i < FM; i++)
                wmma::load_matrix_sync(fa[i],
                                       reinterpret_cast<const signed char *>(sa) + (sl * BM + wm * TM + i * 16) * 16, 16);
#pragma unroll
            for (int j = 0; j < FN; j++)
                wmma::load_matrix_sync(fb[j],
                                       reinterpret_cast<const signed char *>(sb) + (sl * BN + wn * TN + j * 16) * 16, 16);
#pragma unroll
            for (int i = 0; i < FM; i++)
#pragma unroll
                for (int j = 0; j < FN; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++)
            wmma::store_matrix_sync(&sc[warp][i * 16 * TN + j * 16], acc[i][j], TN, wmma::mem_row_major);
    __syncwarp();
    const int lane = tid % kWarp;
    for (int e = lane; e < TM * TN; e += kWarp) {
        const int64_t m = m0 + wm * TM + e / TN, r = n0 + wn * TN + e % TN;
        if (m < m_total && r < n) y[m * n + r] = __fmul_rn((float)sc[warp][e], __fdiv_rn(wscale[r], xscale[m]));
    }
}

// The GEMM shapes on offer (bni_cuda_bl_set_variant picks one for tests
// and benchmarks); variant 0 is the default.
struct gemm_variant {
    const char *name;
    int bm, bn, threads;
    void (*kernel)(const uint32_t *, const float *, int64_t, int64_t, const int8_t *, const float *, int64_t, float *);
};
const gemm_variant k_gemm[] = {
    {"cuda-gemm-wmma-int8-32x64-k64", 32, 64, 128, gemm_tc<32, 64, 2, 2, 64>},
    {"cuda-gemm-wmma-int8-64x128-k64", 64, 128, 256, gemm_tc<64, 128, 2, 4, 64>},
    {"cuda-gemm-wmma-int8-32x64-k256", 32, 64, 128, gemm_tc<32, 64, 2, 2, 256>},
    {"cuda-gemm-wmma-int8-64x64-k256", 64, 64, 128, gemm_tc<64, 64, 2, 2, 256>},
    {"cuda-gemm-wmma-int8-32x32-k256", 32, 32, 128, gemm_tc<32, 32, 2, 2, 256>},
};
constexpr int kGemmVariants = sizeof k_gemm / sizeof k_gemm[0];
int g_gemm_variant = -1;  // -1: chosen by shape (gemm_for)

// Measured on an H100 at m = 128 (docs/performance.md): the 64 x 128 tile
// wins from N = 6912 rows on, the 32 x 64 tile below (more blocks in flight).
const gemm_variant &gemm_for(int64_t n) {
    if (g_gemm_variant >= 0) return k_gemm[g_gemm_variant];
    return k_gemm[n >= 4096 ? 1 : 0];
}
int g_m1_variant = 0;  // 0: gemv_fused, 1: quantize kernel + gemv_q

int g_sms[64];

int sm_count(int dev) {
    if (g_sms[dev] == 0) {
        int v = 0;
        cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev);
        g_sms[dev] = v > 0 ? v : 1;
    }
    return g_sms[dev];
}

constexpr int64_t kGemvMaxM = 8;            // up to here: dp4a, weights read once
constexpr int64_t kFusedMaxKp = 48 * 1024;  // shared memory of the fused GEMV
constexpr int kM1Variants = 2;

}  // namespace

extern "C" {

int bni_cuda_bl_device(const bni_cuda_bl *w) { return w->dev; }

const char *bni_cuda_bl_kernel_name(int64_t m, int64_t n) {
    if (m == 1 && g_m1_variant == 0) return "cuda-gemv-dp4a-fused";
    if (m <= kGemvMaxM) return "cuda-gemv-dp4a";
    return gemm_for(n).name;
}

int bni_cuda_bl_set_variant(int m1, int gemm) {
    if (gemm < -1 || gemm >= kGemmVariants || m1 < 0 || m1 >= kM1Variants) return kGemmVariants;
    g_m1_variant = m1;
    g_gemm_variant = gemm;
    return kGemmVariants;
}

bn_status bni_cuda_bl_upload(int index, const int8_t *wv, const float *scales, int64_t n, int64_t k,
                             bni_cuda_bl **out) {
    const char *fn = "bn_bitlinear_to_device";
    bn_status st = bni_cuda_set_device(fn, index);
    if (st != BN_OK) return st;
    const int64_t kp = (k + 63) / 64 * 64, words = kp / 16;
    size_t wbytes = (size_t)n * (size_t)words * 4;
    uint32_t *host = static_cast<uint32_t *>(bni_malloc(wbytes ? wbytes : 1));
    bni_cuda_bl *w = static_cast<bni_cuda_bl *>(bni_malloc(sizeof(bni_cuda_bl)));
    if (host == NULL || w == NULL) {
        bni_free(host);
        bni_free(w);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of host staging", fn, wbytes);
    }
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < words; i++) {
            uint32_t word = 0;
            for (int s = 0; s < 4; s++)
                for (int b = 0; b < 4; b++) {
                    const int64_t kk = 16 * i + 4 * s + b;
                    const uint32_t code = kk < k ? (uint32_t)(wv[r * k + kk] + 1) : 1u;
                    word |= code << (8 * b + 2 * s);
                }
            host[r * words + i] = word;
        }
    memset(w, 0, sizeof *w);
    w->dev = index;
    w->n = n;
    w->k = k;
    w->kp = kp;
    const bn_device d = {BN_DEVICE_CUDA, index};
    st = bni_cuda_alloc(index, wbytes, "weights", NULL, reinterpret_cast<void **>(&w->w));
    if (st == BN_OK)
        st = bni_cuda_alloc(index, (size_t)n * sizeof(float), "weights", NULL, reinterpret_cast<void **>(&w->scale));
    if (st == BN_OK) st = bni_cuda_copy(fn, d, w->w, bn_device{BN_DEVICE_CPU, 0}, host, wbytes, NULL, 1);
    if (st == BN_OK)
        st = bni_cuda_copy(fn, d, w->scale, bn_device{BN_DEVICE_CPU, 0}, scales, (size_t)n * sizeof(float), NULL, 1);
    bni_free(host);
    if (st != BN_OK) {
        bni_cuda_bl_free(w);
        return st;
    }
    *out = w;
    return BN_OK;
}

void bni_cuda_bl_free(bni_cuda_bl *w) {
    if (w == NULL) return;
    if (w->w) bni_cuda_release(w->dev, w->w);
    if (w->scale) bni_cuda_release(w->dev, w->scale);
    bni_free(w);
}

bn_status bni_cuda_bl_forward(const bni_cuda_bl *w, const float *x, int64_t m, float *y, void *stream) {
    const char *fn = "bn_bitlinear_forward_device";
    bn_status st = bni_cuda_set_device(fn, w->dev);
    if (st != BN_OK) return st;
    if (stream == NULL && (st = bni_cuda_stream(w->dev, &stream)) != BN_OK) return st;
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (m == 0 || w->n == 0) return BN_OK;
    const int sms = sm_count(w->dev);
    if (m == 1 && w->kp <= kFusedMaxKp && g_m1_variant == 0) {
        const int threads = 512, rows_per_block = threads / kWarp;
        int64_t blocks = (w->n + rows_per_block - 1) / rows_per_block;
        if (blocks > 4 * sms) blocks = 4 * sms;
        gemv_fused<<<(unsigned)blocks, threads, (size_t)w->kp, s>>>(w->w, w->scale, w->n, w->kp, x, w->k, y);
    } else {
        // Activation codes, scales and sums in one block from the cache.
        const size_t qbytes = (size_t)m * (size_t)w->kp, extra = (size_t)m * 8;
        void *ws = NULL;
        if ((st = bni_cuda_alloc(w->dev, qbytes + extra, "activations", stream, &ws)) != BN_OK) return st;
        int8_t *q = static_cast<int8_t *>(ws);
        float *xscale = reinterpret_cast<float *>(q + qbytes);
        int *xsum = reinterpret_cast<int *>(xscale + m);
        quant_kernel<<<(unsigned)m, 256, 0, s>>>(x, w->k, w->kp, q, xscale, xsum);
        if (m <= kGemvMaxM) {
            const int threads = 256, rows_per_block = threads / kWarp;
            int64_t blocks = (w->n + rows_per_block - 1) / rows_per_block;
            if (blocks > 4 * sms) blocks = 4 * sms;
            gemv_q<kGemvMaxM><<<(unsigned)blocks, threads, 0, s>>>(w->w, w->scale, w->n, w->kp, q, xscale, xsum, m, y);
        } else {
            const gemm_variant &g = gemm_for(w->n);
            dim3 grid((unsigned)((w->n + g.bn - 1) / g.bn), (unsigned)((m + g.bm - 1) / g.bm));
            g.kernel<<<grid, g.threads, 0, s>>>(w->w, w->scale, w->n, w->kp, q, xscale, m, y);
        }
        // Stream-ordered: the next allocation on this stream may reuse it.
        bni_cuda_release(w->dev, ws);
    }
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return bni_cuda_fail(fn, "kernel launch", e);
    return BN_OK;
}

}  // extern "C"
