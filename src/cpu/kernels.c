/* The CPU kernel table: filled once from bn_cpu_isa(), holding only kernels
 * the CPU can run. */
#include "cpu/kernels.h"
#include "bitnet/bitlinear.h"
#include "cpu/ew_kernels.h"
#include "cpu/reduce_kernels.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bitnet/device.h"

#define BNI_ISA_COUNT 5

static bni_cpu_kernels g_tables[BNI_ISA_COUNT];
static int g_usable[BNI_ISA_COUNT];
static const bni_cpu_kernels *g_current;
static char g_describe[2048];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build(bn_isa isa, uint32_t features, bni_cpu_kernels *k) {
    memset(k, 0, sizeof *k);
    k->isa = isa;
    k->f32_to_f16 = bni_f32_to_f16_scalar;
    k->f16_to_f32 = bni_f16_to_f32_scalar;
    k->f32_to_bf16 = bni_f32_to_bf16_scalar;
    k->bf16_to_f32 = bni_bf16_to_f32_scalar;
    k->f32_to_f16_isa = k->f16_to_f32_isa = k->f32_to_bf16_isa = k->bf16_to_f32_isa = "scalar";
#ifdef BNI_HAVE_X86_KERNELS
    if (isa >= BN_ISA_SSE41 && isa <= BN_ISA_AVX512 && (features & BN_CPU_SSE41)) {
        k->f32_to_f16 = bni_f32_to_f16_sse41;
        k->f16_to_f32 = bni_f16_to_f32_sse41;
        k->f32_to_bf16 = bni_f32_to_bf16_sse41;
        k->bf16_to_f32 = bni_bf16_to_f32_sse41;
        k->f32_to_f16_isa = k->f16_to_f32_isa = k->f32_to_bf16_isa = k->bf16_to_f32_isa = "sse41";
    }
    if ((isa == BN_ISA_AVX2 || isa == BN_ISA_AVX512) && (features & BN_CPU_AVX2) && (features & BN_CPU_F16C)) {
        k->f32_to_f16 = bni_f32_to_f16_avx2;
        k->f16_to_f32 = bni_f16_to_f32_avx2;
        k->f32_to_bf16 = bni_f32_to_bf16_avx2;
        k->bf16_to_f32 = bni_bf16_to_f32_avx2;
        k->f32_to_f16_isa = k->f16_to_f32_isa = k->f32_to_bf16_isa = k->bf16_to_f32_isa = "avx2";
    }
    const uint32_t need512 = BN_CPU_AVX512F | BN_CPU_AVX512BW | BN_CPU_AVX512VL | BN_CPU_AVX2 | BN_CPU_F16C;
    if (isa == BN_ISA_AVX512 && (features & need512) == need512) {
        k->f32_to_f16 = bni_f32_to_f16_avx512;
        k->f16_to_f32 = bni_f16_to_f32_avx512;
        k->f32_to_bf16 = bni_f32_to_bf16_avx512;
        k->bf16_to_f32 = bni_bf16_to_f32_avx512;
        k->f32_to_f16_isa = k->f16_to_f32_isa = k->f32_to_bf16_isa = k->bf16_to_f32_isa = "avx512";
        if (features & BN_CPU_AVX512BF16) {
            k->f32_to_bf16 = bni_f32_to_bf16_avx512bf16;
            k->f32_to_bf16_isa = "avx512bf16";
        }
    }
#endif
#ifdef BNI_HAVE_NEON_KERNELS
    if (isa == BN_ISA_NEON && (features & BN_CPU_NEON)) {
        k->f32_to_f16 = bni_f32_to_f16_neon;
        k->f16_to_f32 = bni_f16_to_f32_neon;
        k->f32_to_bf16 = bni_f32_to_bf16_neon;
        k->bf16_to_f32 = bni_bf16_to_f32_neon;
        k->f32_to_f16_isa = k->f16_to_f32_isa = k->f32_to_bf16_isa = k->bf16_to_f32_isa = "neon";
    }
#endif
    (void)features;
}

static void init(void) {
    uint32_t features = bn_cpu_features();
    for (int i = 0; i < BNI_ISA_COUNT; i++) {
        g_usable[i] = bn_cpu_supports_isa((bn_isa)i);
        build((bn_isa)i, g_usable[i] ? features : 0, &g_tables[i]);
    }
    bn_isa isa = bn_cpu_isa();
    if ((unsigned)isa >= BNI_ISA_COUNT || !g_usable[isa]) isa = BN_ISA_SCALAR;
    g_current = &g_tables[isa];
    snprintf(g_describe, sizeof g_describe,
             "isa %s\nf32_to_f16 %s\nf16_to_f32 %s\nf32_to_bf16 %s\nbf16_to_f32 %s\n", bn_isa_name(isa),
             g_current->f32_to_f16_isa, g_current->f16_to_f32_isa, g_current->f32_to_bf16_isa,
             g_current->bf16_to_f32_isa);
}

const bni_cpu_kernels *bni_cpu_kernels_get(void) {
    pthread_once(&g_once, init);
    return g_current;
}

const bni_cpu_kernels *bni_cpu_kernels_for_isa(bn_isa isa) {
    pthread_once(&g_once, init);
    if ((unsigned)isa >= BNI_ISA_COUNT || !g_usable[isa]) return NULL;
    return &g_tables[isa];
}

/* One "family isa" line per kernel family, every table included: the
 * conversions here, then element-wise, reductions and BitLinear. */
static pthread_once_t g_describe_once = PTHREAD_ONCE_INIT;

static void describe_all(void) {
    size_t used = strlen(g_describe);
    const char *parts[3] = {bni_ew_kernels_describe(), bni_reduce_kernels_describe(), NULL};
    for (int i = 0; parts[i] != NULL && used < sizeof g_describe; i++) {
        int n = snprintf(g_describe + used, sizeof g_describe - used, "%s", parts[i]);
        if (n > 0) used += (size_t)n;
    }
    if (used < sizeof g_describe)
        snprintf(g_describe + used, sizeof g_describe - used, "bitlinear %s\n", bn_bitlinear_kernel_name());
}

const char *bn_cpu_kernels_describe(void) {
    pthread_once(&g_once, init);
    pthread_once(&g_describe_once, describe_all);
    return g_describe;
}
