/* The element-wise kernel table: one per ISA level this CPU can run, the
 * current one chosen once from bn_cpu_isa(). */
#include "cpu/ew_kernels.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define BNI_ISA_COUNT 5

static bni_ew_kernels g_tables[BNI_ISA_COUNT];
static int g_usable[BNI_ISA_COUNT];
static const bni_ew_kernels *g_current;
static char g_describe[128];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build(bn_isa isa, bni_ew_kernels *k) {
    memset(k, 0, sizeof *k);
    k->isa = isa;
    bni_ew_fill_binary_scalar(k);
    bni_ew_fill_unary_scalar(k);
    k->binary_isa = k->unary_isa = "scalar";
    switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case BN_ISA_SSE41:
        bni_ew_fill_binary_sse41(k);
        bni_ew_fill_unary_sse41(k);
        k->binary_isa = k->unary_isa = "sse41";
        break;
    case BN_ISA_AVX2:
        bni_ew_fill_binary_avx2(k);
        bni_ew_fill_unary_avx2(k);
        k->binary_isa = k->unary_isa = "avx2";
        break;
    case BN_ISA_AVX512:
        bni_ew_fill_binary_avx512(k);
        bni_ew_fill_unary_avx512(k);
        k->binary_isa = k->unary_isa = "avx512";
        break;
#endif
#if defined(__aarch64__)
    case BN_ISA_NEON:
        bni_ew_fill_binary_neon(k);
        bni_ew_fill_unary_neon(k);
        k->binary_isa = k->unary_isa = "neon";
        break;
#endif
    default: break;
    }
}

static void init(void) {
    for (int i = 0; i < BNI_ISA_COUNT; i++) {
        g_usable[i] = bn_cpu_supports_isa((bn_isa)i);
        if (g_usable[i]) build((bn_isa)i, &g_tables[i]);
    }
    g_usable[BN_ISA_SCALAR] = 1;
    build(BN_ISA_SCALAR, &g_tables[BN_ISA_SCALAR]);
    bn_isa isa = bn_cpu_isa();
    if ((unsigned)isa >= BNI_ISA_COUNT || !g_usable[isa]) isa = BN_ISA_SCALAR;
    g_current = &g_tables[isa];
    snprintf(g_describe, sizeof g_describe, "ew_binary %s\new_unary %s\n", g_current->binary_isa,
             g_current->unary_isa);
}

const bni_ew_kernels *bni_ew_kernels_get(void) {
    pthread_once(&g_once, init);
    return g_current;
}

const bni_ew_kernels *bni_ew_kernels_for_isa(bn_isa isa) {
    pthread_once(&g_once, init);
    if ((unsigned)isa >= BNI_ISA_COUNT || !g_usable[isa]) return NULL;
    return &g_tables[isa];
}

const char *bni_ew_kernels_describe(void) {
    pthread_once(&g_once, init);
    return g_describe;
}
