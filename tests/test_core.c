/* Core: status strings, error messages, CPU features against /proc/cpuinfo,
 * ISA selection, devices, the thread pool, Philox known-answer vectors and
 * allocation-failure injection in bn_ctx_new. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/cpu_internal.h"
#include "core/error.h"
#include "test_util.h"

static void test_status_strings(void) {
    CHECK(strcmp(bn_status_str(BN_OK), "ok") == 0);
    CHECK(strcmp(bn_status_str(BN_ERR_OUT_OF_MEMORY), "out of memory") == 0);
    CHECK(strcmp(bn_status_str((bn_status)999), "unknown status") == 0);
    for (int s = 0; s <= BN_ERR_INTERNAL; s++) CHECK(strcmp(bn_status_str((bn_status)s), "unknown status") != 0);
}

static void *other_thread_error(void *arg) {
    (void)arg;
    /* The message is per thread: a fresh thread sees none. */
    return (void *)(size_t)(bn_last_error()[0] == '\0' && bn_last_status() == BN_OK);
}

static void test_error_message(void) {
    bn_clear_error();
    CHECK(bn_last_error()[0] == '\0');
    CHECK(bni_error(BN_ERR_SHAPE, "bn_x: a is %d", 3) == BN_ERR_SHAPE);
    CHECK(strcmp(bn_last_error(), "bn_x: a is 3") == 0);
    CHECK(bn_last_status() == BN_ERR_SHAPE);
    /* Wrapping the previous message in a new one must not corrupt it. */
    bni_error(BN_ERR_IO, "outer: %s", bn_last_error());
    CHECK(strcmp(bn_last_error(), "outer: bn_x: a is 3") == 0);
    pthread_t th;
    void *ok = NULL;
    pthread_create(&th, NULL, other_thread_error, NULL);
    pthread_join(th, &ok);
    CHECK(ok != NULL);
    char buf[64];
    int64_t shape[3] = {2, 3, 4};
    bni_format_shape(buf, sizeof buf, 3, shape);
    CHECK(strcmp(buf, "[2,3,4]") == 0);
    bni_format_shape(buf, sizeof buf, 0, NULL);
    CHECK(strcmp(buf, "[]") == 0);
    char tiny[8];
    int64_t big[4] = {123456, 123456, 7, 8};
    bni_format_shape(tiny, sizeof tiny, 4, big);
    CHECK(strlen(tiny) == 7 && strcmp(tiny + 4, "...") == 0);
    bn_clear_error();
    CHECK(bn_last_status() == BN_OK && bn_last_error()[0] == '\0');
}

#if defined(__x86_64__) && defined(__linux__)
/* Independent reference: the kernel's own flag list in /proc/cpuinfo. */
static int cpuinfo_has(const char *flags, const char *flag) {
    size_t n = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0')) return 1;
    return 0;
}
#endif

static void test_cpu_features(void) {
    uint32_t f = bn_cpu_features();
    CHECK(strcmp(bn_cpu_feature_name(BN_CPU_AVX512VNNI), "avx512vnni") == 0);
    CHECK(strcmp(bn_cpu_feature_name((bn_cpu_feature)3), "unknown") == 0);
#if defined(__x86_64__) && defined(__linux__)
    static char line[65536];
    FILE *fp = fopen("/proc/cpuinfo", "r");
    CHECK(fp != NULL);
    if (fp == NULL) return;
    int found = 0;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "flags", 5) == 0) {
            found = 1;
            break;
        }
    fclose(fp);
    CHECK(found);
    struct { const char *flag; bn_cpu_feature bit; } map[] = {
        {"sse4_1", BN_CPU_SSE41}, {"avx2", BN_CPU_AVX2}, {"fma", BN_CPU_FMA}, {"f16c", BN_CPU_F16C},
        {"avx512f", BN_CPU_AVX512F}, {"avx512bw", BN_CPU_AVX512BW}, {"avx512vl", BN_CPU_AVX512VL},
        {"avx512_vnni", BN_CPU_AVX512VNNI}, {"avx512_bf16", BN_CPU_AVX512BF16},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        int want = cpuinfo_has(line, map[i].flag), got = (f & map[i].bit) != 0;
        if (want != got) fprintf(stderr, "feature %s: cpuinfo %d, bitnet %d\n", map[i].flag, want, got);
        CHECK(want == got);
    }
    CHECK((f & (BN_CPU_NEON | BN_CPU_DOTPROD)) == 0);
#elif defined(__aarch64__)
    CHECK((f & BN_CPU_NEON) != 0);
    CHECK(bn_cpu_best_isa() == BN_ISA_NEON);
#endif
}

static void test_isa_choice(void) {
    const char *why = NULL;
    CHECK(bni_isa_from_env(NULL, BN_ISA_AVX512, &why) == BN_ISA_AVX512 && why == NULL);
    CHECK(bni_isa_from_env("avx2", BN_ISA_AVX512, &why) == BN_ISA_AVX2 && why == NULL);
    CHECK(bni_isa_from_env("scalar", BN_ISA_NEON, &why) == BN_ISA_SCALAR && why == NULL);
    CHECK(bni_isa_from_env("avx512", BN_ISA_AVX2, &why) == BN_ISA_AVX2 && why != NULL);
    CHECK(bni_isa_from_env("neon", BN_ISA_AVX2, &why) == BN_ISA_AVX2 && why != NULL);
    CHECK(bni_isa_from_env("avx2", BN_ISA_NEON, &why) == BN_ISA_NEON && why != NULL);
    CHECK(bni_isa_from_env("fast", BN_ISA_SSE41, &why) == BN_ISA_SSE41 && why != NULL);
    CHECK(bn_cpu_supports_isa(BN_ISA_SCALAR));
    CHECK(bn_cpu_supports_isa(bn_cpu_best_isa()));
    CHECK(bn_cpu_supports_isa(bn_cpu_isa()));
    CHECK(strcmp(bn_isa_name(BN_ISA_AVX512), "avx512") == 0);
    CHECK(strcmp(bn_isa_name((bn_isa)42), "unknown") == 0);
    /* The level in force follows BITNET_ISA when the CPU allows it. */
    const char *env = getenv("BITNET_ISA");
    if (env && bni_isa_from_env(env, bn_cpu_best_isa(), &why) != bn_cpu_best_isa())
        CHECK(strcmp(bn_isa_name(bn_cpu_isa()), env) == 0);
}

static void test_devices(void) {
    CHECK_OK(bn_device_available(BN_DEVICE_CPU));
    CHECK_ERR(bn_device_available(BN_DEVICE_METAL), BN_ERR_DEVICE_UNAVAILABLE, "not available on this platform");
    CHECK_ERR(bn_device_available(BN_DEVICE_MLX), BN_ERR_DEVICE_UNAVAILABLE, "mlx");
    if (bn_device_available(BN_DEVICE_CUDA) != BN_OK) /* a GPU machine: see test_cuda */
        CHECK_ERR(bn_device_available(BN_DEVICE_CUDA), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    CHECK_ERR(bn_device_available((bn_device_kind)9), BN_ERR_INVALID_ARGUMENT, "unknown device kind 9");
    int n = -1;
    CHECK_OK(bn_device_count(BN_DEVICE_CPU, &n));
    CHECK(n == 1);
    CHECK_OK(bn_device_count(BN_DEVICE_METAL, &n));
    CHECK(n == 0);
    CHECK_ERR(bn_device_count(BN_DEVICE_CPU, NULL), BN_ERR_INVALID_ARGUMENT, "count is NULL");
    bn_device d;
    unsetenv("BITNET_DEVICE");
    CHECK_OK(bn_device_auto(&d));
    const bn_device_kind first = bn_device_available(BN_DEVICE_CUDA) == BN_OK ? BN_DEVICE_CUDA : BN_DEVICE_CPU;
    CHECK(d.kind == first && d.index == 0);
    setenv("BITNET_DEVICE", "cpu", 1);
    CHECK_OK(bn_device_auto(&d));
    CHECK(d.kind == BN_DEVICE_CPU);
    setenv("BITNET_DEVICE", "gpu", 1);
    CHECK_ERR(bn_device_auto(&d), BN_ERR_INVALID_ARGUMENT, "BITNET_DEVICE=\"gpu\"");
    setenv("BITNET_DEVICE", "cuda:0", 1);
    if (bn_device_available(BN_DEVICE_CUDA) != BN_OK)
        CHECK_ERR(bn_device_auto(&d), BN_ERR_DEVICE_UNAVAILABLE, "cuda");
    setenv("BITNET_DEVICE", "cpu:1", 1);
    CHECK_ERR(bn_device_auto(&d), BN_ERR_DEVICE_UNAVAILABLE, "only 1 cpu device");
    unsetenv("BITNET_DEVICE");
    bn_device_info info;
    bn_device cpu = {BN_DEVICE_CPU, 0};
    CHECK_OK(bn_device_get_info(cpu, &info));
    CHECK(info.compute_units >= 1 && info.total_memory > ((uint64_t)1 << 26) && info.name[0] != '\0');
    CHECK(strcmp(bn_device_kind_name(BN_DEVICE_CUDA), "cuda") == 0);
}

/* Philox4x32-10 known-answer vectors from Random123's kat_vectors. */
static void test_philox(void) {
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        bn_philox4x32_10(kat[i], kat[i] + 4, out);
        CHECK(memcmp(out, kat[i] + 6, sizeof out) == 0);
    }
}

typedef struct cover_arg {
    atomic_int *hits;
    atomic_int max_thread;
} cover_arg;

static void cover_fn(void *p, size_t begin, size_t end, int thread) {
    cover_arg *a = p;
    for (size_t i = begin; i < end; i++) atomic_fetch_add(&a->hits[i], 1);
    int prev = atomic_load(&a->max_thread);
    while (thread > prev && !atomic_compare_exchange_weak(&a->max_thread, &prev, thread)) {}
}

typedef struct nested_arg {
    bn_ctx *ctx;
    atomic_int *hits;
} nested_arg;

static void nested_fn(void *p, size_t begin, size_t end, int thread) {
    nested_arg *a = p;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        cover_arg inner = {a->hits + i * 10, 0};
        bn_ctx_parallel_for(a->ctx, 10, 1, cover_fn, &inner); /* runs serially inside a worker */
    }
}

static void test_thread_pool(void) {
    static const int thread_counts[] = {1, 2, 3, 7};
    static const size_t sizes[] = {0, 1, 2, 5, 64, 1000, 4097};
    static const size_t grains[] = {0, 1, 3, 100, 5000};
    for (size_t t = 0; t < 4; t++) {
        bn_ctx_options o;
        bn_ctx_options_default(&o);
        o.num_threads = thread_counts[t];
        bn_ctx *ctx = NULL;
        CHECK_OK(bn_ctx_new(&o, &ctx));
        if (!ctx) continue;
        CHECK(bn_ctx_num_threads(ctx) == thread_counts[t]);
        for (size_t s = 0; s < 7; s++)
            for (size_t g = 0; g < 5; g++) {
                atomic_int *hits = calloc(sizes[s] + 1, sizeof *hits);
                cover_arg a = {hits, 0};
                CHECK_OK(bn_ctx_parallel_for(ctx, sizes[s], grains[g], cover_fn, &a));
                int exact = 1;
                for (size_t i = 0; i < sizes[s]; i++) exact &= atomic_load(&hits[i]) == 1;
                CHECK(exact);
                CHECK(atomic_load(&a.max_thread) < thread_counts[t]);
                free(hits);
            }
        atomic_int *hits = calloc(1000, sizeof *hits);
        nested_arg na = {ctx, hits};
        CHECK_OK(bn_ctx_parallel_for(ctx, 100, 1, nested_fn, &na));
        int exact = 1;
        for (int i = 0; i < 1000; i++) exact &= atomic_load(&hits[i]) == 1;
        CHECK(exact);
        free(hits);
        CHECK_ERR(bn_ctx_parallel_for(ctx, 10, 1, NULL, NULL), BN_ERR_INVALID_ARGUMENT, "fn is NULL");
        bn_ctx_free(ctx);
    }
}

static void test_ctx_options(void) {
    bn_ctx *ctx = NULL;
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = -1;
    CHECK_ERR(bn_ctx_new(&o, &ctx), BN_ERR_INVALID_ARGUMENT, "num_threads -1");
    CHECK(ctx == NULL);
    o.num_threads = 0;
    setenv("BITNET_NUM_THREADS", "two", 1);
    CHECK_ERR(bn_ctx_new(&o, &ctx), BN_ERR_INVALID_ARGUMENT, "BITNET_NUM_THREADS=\"two\"");
    setenv("BITNET_NUM_THREADS", "0", 1);
    CHECK_ERR(bn_ctx_new(&o, &ctx), BN_ERR_INVALID_ARGUMENT, "BITNET_NUM_THREADS");
    setenv("BITNET_NUM_THREADS", "3", 1);
    CHECK_OK(bn_ctx_new(&o, &ctx));
    CHECK(ctx && bn_ctx_num_threads(ctx) == 3);
    CHECK(ctx && bn_ctx_pool(ctx) != NULL);
    CHECK(ctx && bn_ctx_device(ctx).kind == BN_DEVICE_CPU);
    bn_ctx_free(ctx);
    unsetenv("BITNET_NUM_THREADS");
    o.auto_device = 0;
    o.device.kind = BN_DEVICE_METAL;
    ctx = NULL;
    CHECK_ERR(bn_ctx_new(&o, &ctx), BN_ERR_DEVICE_UNAVAILABLE, "metal");
    CHECK(ctx == NULL);
    CHECK_ERR(bn_ctx_new(NULL, NULL), BN_ERR_INVALID_ARGUMENT, "ctx is NULL");
    bn_ctx_free(NULL);
}

static void test_rng_counter(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.seed = 1234;
    o.num_threads = 1;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&o, &ctx));
    if (!ctx) return;
    CHECK(bn_ctx_seed(ctx) == 1234);
    CHECK(bn_ctx_rng_reserve(ctx, 10) == 0);
    CHECK(bn_ctx_rng_reserve(ctx, 5) == 10);
    CHECK(bn_ctx_rng_reserve(ctx, 0) == 15);
    bn_ctx_manual_seed(ctx, 99);
    CHECK(bn_ctx_seed(ctx) == 99 && bn_ctx_rng_reserve(ctx, 1) == 0);
    bn_ctx_free(ctx);
}

/* Every allocation bn_ctx_new makes, failed in turn: a clean error each
 * time, and success once the walk has passed them all. */
static void test_ctx_oom(void) {
    bn_ctx_options o;
    bn_ctx_options_default(&o);
    o.num_threads = 3;
    int walked = 0;
    for (long n = 1; n < 200; n++) {
        bn_ctx *ctx = NULL;
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_ctx_new(&o, &ctx);
        long made = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (made < n) { /* the failure never fired: all paths covered */
            CHECK(st == BN_OK);
            bn_ctx_free(ctx);
            walked = 1;
            break;
        }
        CHECK(st == BN_ERR_OUT_OF_MEMORY && ctx == NULL);
        if (st == BN_OK) bn_ctx_free(ctx);
    }
    CHECK(walked);
}

int main(void) {
    test_status_strings();
    test_error_message();
    test_cpu_features();
    test_isa_choice();
    test_devices();
    test_philox();
    test_thread_pool();
    test_ctx_options();
    test_rng_counter();
    test_ctx_oom();
    return bt_summary("test_core");
}
