/* The CUDA backend against the CPU: device discovery, the caching device
 * allocator, copies, and BitLinear on the GPU bit for bit equal to the CPU
 * kernels. Without a GPU (CI) it checks that every CUDA entry point fails
 * cleanly with the reason and that the CPU keeps working, and says that the
 * GPU half was skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "test_util.h"
#ifdef BITNET_TEST_CUDA_VARIANTS
#include "cuda/cuda_internal.h"
#endif

static bn_ctx *g_ctx;
static const bn_device k_gpu = {BN_DEVICE_CUDA, 0};
static const bn_device k_cpu = {BN_DEVICE_CPU, 0};

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rndf(void) { return (float)(rnd() % 20001) / 10000.0f - 1.0f; }

static bn_bitlinear *make_weights(int64_t n, int64_t k, int per_row, int all_plus) {
    int8_t *w = malloc((size_t)(n * k));
    float *s = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n * k; i++) w[i] = all_plus ? 1 : (int8_t)((int)(rnd() % 3) - 1);
    for (int64_t i = 0; i < n; i++) s[i] = 0.01f + (float)(rnd() % 1000) / 997.0f;
    bn_bitlinear *bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_ternary(g_ctx, w, n, k, s, per_row, &bl));
    free(w);
    free(s);
    return bl;
}

/* ---- no GPU: clean failures, the CPU unaffected ---- */

static void test_without_gpu(void) {
    CHECK_ERR(bn_device_available(BN_DEVICE_CUDA), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    printf("SKIP: the GPU half of test_cuda (%s)\n", bn_last_error());
    int count = -1;
    CHECK_OK(bn_device_count(BN_DEVICE_CUDA, &count));
    CHECK(count == 0);
    bn_device d;
    unsetenv("BITNET_DEVICE");
    CHECK_OK(bn_device_auto(&d));
    CHECK(d.kind == BN_DEVICE_CPU);
    void *p = NULL;
    CHECK_ERR(bn_device_alloc(k_gpu, 64, "x", NULL, &p), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    CHECK(p == NULL);
    char buf[8];
    CHECK_ERR(bn_device_copy(k_gpu, buf, k_cpu, buf, 8), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    bn_device_memory_stats ms;
    CHECK_ERR(bn_device_get_memory_stats(k_gpu, &ms), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    bn_bitlinear *bl = make_weights(20, 70, 1, 0);
    CHECK_ERR(bn_bitlinear_to_device(bl, k_gpu), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    CHECK_ERR(bn_bitlinear_forward_device(bl, (const float *)buf, 1, (float *)buf, NULL), BN_ERR_INVALID_ARGUMENT,
              "bn_bitlinear_to_device first");
    bn_device where;
    CHECK_OK(bn_bitlinear_device(bl, &where));
    CHECK(where.kind == BN_DEVICE_CPU);
    /* still usable on the CPU */
    float x[70], y[20];
    for (int i = 0; i < 70; i++) x[i] = rndf();
    CHECK_OK(bn_bitlinear_forward(g_ctx, bl, x, 1, y));
    bn_bitlinear_free(bl);
}

/* ---- device memory ---- */

static void test_memory(void) {
    bn_device_info info;
    CHECK_OK(bn_device_get_info(k_gpu, &info));
    printf("GPU: %s, %.1f GiB, %d SMs, compute capability %d.%d\n", info.name,
           (double)info.total_memory / (1 << 30), info.compute_units, info.capability_major, info.capability_minor);
    CHECK(info.name[0] != '\0' && info.total_memory > 0 && info.capability_major >= 7);
    int count = 0;
    CHECK_OK(bn_device_count(BN_DEVICE_CUDA, &count));
    CHECK(count >= 1);
    CHECK_ERR(bn_device_get_info((bn_device){BN_DEVICE_CUDA, count}, &info), BN_ERR_OUT_OF_RANGE, "does not exist");

    bn_device_memory_stats s0, s1;
    CHECK_OK(bn_device_get_memory_stats(k_gpu, &s0));
    void *a = NULL, *b = NULL;
    CHECK_OK(bn_device_alloc(k_gpu, 1000, "test-a", NULL, &a));
    CHECK(((uintptr_t)a % 256) == 0);
    size_t bytes = 0, blocks = 0;
    CHECK_OK(bn_device_tag_usage(k_gpu, "test-a", &bytes, &blocks));
    CHECK(bytes == 1000 && blocks == 1);
    /* round trip through the GPU, and a GPU-to-GPU copy */
    unsigned char host[1000], back[1000];
    for (int i = 0; i < 1000; i++) host[i] = (unsigned char)(i * 7 + 3);
    CHECK_OK(bn_device_alloc(k_gpu, 1000, "test-b", NULL, &b));
    CHECK_OK(bn_device_copy(k_gpu, a, k_cpu, host, 1000));
    CHECK_OK(bn_device_copy(k_gpu, b, k_gpu, a, 1000));
    memset(back, 0, sizeof back);
    CHECK_OK(bn_device_copy(k_cpu, back, k_gpu, b, 1000));
    CHECK(memcmp(host, back, 1000) == 0);
    /* stream-ordered reuse: the same size again on the same stream is a cache hit */
    CHECK_OK(bn_device_release(k_gpu, b));
    CHECK_OK(bn_device_get_memory_stats(k_gpu, &s1));
    void *c = NULL;
    CHECK_OK(bn_device_alloc(k_gpu, 900, "test-b", NULL, &c));
    bn_device_memory_stats s2;
    CHECK_OK(bn_device_get_memory_stats(k_gpu, &s2));
    CHECK(c == b && s2.cache_hits == s1.cache_hits + 1);
    CHECK(s2.live_bytes == s0.live_bytes + 1900);
    /* leak report lists the live blocks */
    size_t live = 0;
    CHECK_OK(bn_device_leak_report(k_gpu, NULL, &live));
    CHECK(live == s0.live_blocks + 2);
    CHECK_ERR(bn_device_release(k_gpu, (char *)a + 1), BN_ERR_INVALID_ARGUMENT, "not a live block");
    CHECK_OK(bn_device_release(k_gpu, a));
    CHECK_OK(bn_device_release(k_gpu, c));
    /* the hard limit: fails cleanly, nothing changes, lifting it works again */
    CHECK_OK(bn_device_get_memory_stats(k_gpu, &s1));
    CHECK_OK(bn_device_set_memory_limit(k_gpu, s1.reserved_bytes + ((size_t)4 << 20)));
    void *big = NULL;
    CHECK_ERR(bn_device_alloc(k_gpu, (size_t)64 << 20, "big", NULL, &big), BN_ERR_OUT_OF_MEMORY, "hard limit");
    CHECK(big == NULL);
    CHECK_OK(bn_device_set_memory_limit(k_gpu, 0));
    CHECK_OK(bn_device_alloc(k_gpu, (size_t)64 << 20, "big", NULL, &big));
    CHECK_OK(bn_device_release(k_gpu, big));
    size_t released = 0;
    CHECK_OK(bn_device_empty_cache(k_gpu, &released));
    CHECK(released >= ((size_t)64 << 20));
    /* far more than any GPU has */
    CHECK_ERR(bn_device_alloc(k_gpu, (size_t)1 << 50, "huge", NULL, &big), BN_ERR_OUT_OF_MEMORY, "cuda:0");
    /* pinned host memory */
    void *pinned = NULL;
    CHECK_OK(bn_device_host_alloc(4096, &pinned));
    CHECK_OK(bn_device_host_free(pinned));
    /* contexts stay on the CPU */
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.auto_device = 0;
    o.device = k_gpu;
    bn_ctx *cx = NULL;
    CHECK_ERR(bn_ctx_new(&o, &cx), BN_ERR_NOT_SUPPORTED, "tensors cannot live on a GPU yet");
}

/* ---- BitLinear: the GPU equals the CPU bit for bit ---- */

/* Bit for bit, except that a NaN equals any NaN: x86 makes negative
 * default NaNs (0xffc00000), CUDA positive ones (0x7fffffff). */
static int same_float(float a, float b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

static int compare(const float *a, const float *b, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        if (!same_float(a[i], b[i])) return 0;
    return 1;
}

static void check_bitlinear(int64_t n, int64_t k, int64_t m, int per_row, int kind) {
    bn_bitlinear *bl = make_weights(n, k, per_row, kind == 2);
    float *x = malloc((size_t)(m * k) * sizeof(float));
    float *ycpu = malloc((size_t)(m * n) * sizeof(float) + 4), *ygpu = malloc((size_t)(m * n) * sizeof(float) + 4);
    for (int64_t i = 0; i < m * k; i++) {
        x[i] = rndf() * 3.0f;
        if (kind == 1) { /* adversarial: ties at .5 after scaling, NaN, inf, zeros, huge */
            switch (rnd() % 8) {
            case 0: x[i] = NAN; break;
            case 1: x[i] = 0.0f; break;
            case 2: x[i] = 1e30f; break;
            case 3: x[i] = -0.5f; break;
            default: break;
            }
            if (i % (k + 1) == 3) x[i] = INFINITY;
        }
        if (kind == 2) x[i] = -1.0f;
    }
    CHECK_OK(bn_bitlinear_forward(g_ctx, bl, x, m, ycpu));
    CHECK_OK(bn_bitlinear_to_device(bl, k_gpu));
    float *dx = NULL, *dy = NULL;
    CHECK_OK(bn_device_alloc(k_gpu, (size_t)(m * k) * sizeof(float), "test-x", NULL, (void **)&dx));
    CHECK_OK(bn_device_alloc(k_gpu, (size_t)(m * n) * sizeof(float), "test-y", NULL, (void **)&dy));
    CHECK_OK(bn_device_copy(k_gpu, dx, k_cpu, x, (size_t)(m * k) * sizeof(float)));
    CHECK_OK(bn_bitlinear_forward_device(bl, dx, m, dy, NULL));
    CHECK_OK(bn_device_copy(k_cpu, ygpu, k_gpu, dy, (size_t)(m * n) * sizeof(float)));
    int same = compare(ycpu, ygpu, m * n);
    if (!same) {
        int64_t i = 0;
        while (i < m * n && same_float(ycpu[i], ygpu[i])) i++;
        printf("  mismatch n=%lld k=%lld m=%lld kind=%d (%s): y[%lld] cpu %.9g gpu %.9g\n", (long long)n,
               (long long)k, (long long)m, kind, bn_bitlinear_device_kernel_name(bl, m), (long long)i, (double)ycpu[i],
               (double)ygpu[i]);
    }
    CHECK(same);
    bn_device_release(k_gpu, dx);
    bn_device_release(k_gpu, dy);
    free(x);
    free(ycpu);
    free(ygpu);
    bn_bitlinear_free(bl);
}

static void test_shapes(void) {
    const int64_t shapes[][2] = {{1, 1}, {7, 13}, {16, 64}, {33, 100}, {130, 257}, {256, 2560}, {97, 6912},
                                 {640, 2560}, {300, 1000}};
    const int64_t ms[] = {1, 2, 3, 8, 9, 16, 17, 64, 65, 130};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
            check_bitlinear(shapes[s][0], shapes[s][1], ms[i], (int)((s + i) % 2), (int)(i % 2));
}

static void test_bitlinear(void) {
    test_shapes();
#ifdef BITNET_TEST_CUDA_VARIANTS
    /* every other kernel variant the benchmarks may choose */
    int variants = bni_cuda_bl_set_variant(0, -1);
    for (int v = 0; v < variants; v++) {
        bni_cuda_bl_set_variant(0, v);
        test_shapes();
    }
    for (int m1 = 1; m1 < BNI_CUDA_M1_VARIANTS; m1++) {
        bni_cuda_bl_set_variant(m1, -1);
        test_shapes();
    }
    bni_cuda_bl_set_variant(0, -1);
#endif
    /* the overflow bound: all +1 weights, K = 2^20 */
    check_bitlinear(3, (int64_t)1 << 20, 1, 1, 2);
    check_bitlinear(3, (int64_t)1 << 20, 20, 1, 2);
    /* m = 0 does nothing; no GPU copy is an error */
    bn_bitlinear *bl = make_weights(4, 4, 1, 0);
    CHECK_ERR(bn_bitlinear_forward_device(bl, NULL, 1, NULL, NULL), BN_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(bn_bitlinear_forward_device(bl, (const float *)bl, 1, (float *)bl, NULL), BN_ERR_INVALID_ARGUMENT,
              "not on a GPU");
    CHECK_OK(bn_bitlinear_to_device(bl, k_gpu));
    CHECK_OK(bn_bitlinear_forward_device(bl, NULL, 0, NULL, NULL));
    bn_device where;
    CHECK_OK(bn_bitlinear_device(bl, &where));
    CHECK(where.kind == BN_DEVICE_CUDA && where.index == 0);
    bn_bitlinear_free(bl);
    CHECK_OK(bn_device_synchronize(k_gpu));
}

int main(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 2;
    if (bn_ctx_new(&o, &g_ctx) != BN_OK) {
        fprintf(stderr, "bn_ctx_new: %s\n", bn_last_error());
        return 1;
    }
    if (bn_device_available(BN_DEVICE_CUDA) != BN_OK) {
        test_without_gpu();
    } else {
        test_memory();
        test_bitlinear();
        size_t live = 1;
        bn_device_leak_report(k_gpu, stderr, &live);
        CHECK(live == 0);
    }
    bn_ctx_free(g_ctx);
    return bt_summary("test_cuda");
}
