/* The reduction kernel tables: one per ISA level, the current one chosen
 * from bn_cpu_isa() (BITNET_ISA honoured) among those the CPU can run. */
#include "cpu/reduce_kernels.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bitnet/device.h"

#define NISA 5

static bni_reduce_kernels g_tables[NISA];
static int g_usable[NISA];
static const bni_reduce_kernels *g_current;
static char g_describe[256];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#define FILL(k, isa)                                         \
    do {                                                     \
        (k)->name = #isa;                                    \
        (k)->sum_f32 = bni_sum_f32_##isa;                    \
        (k)->sumsq_f32 = bni_sumsq_f32_##isa;                \
        (k)->max_f32 = bni_max_f32_##isa;                    \
        (k)->min_f32 = bni_min_f32_##isa;                    \
        (k)->softmax_f32 = bni_softmax_f32_##isa;            \
        (k)->log_softmax_f32 = bni_log_softmax_f32_##isa;    \
        (k)->rms_norm_f32 = bni_rms_norm_f32_##isa;          \
        (k)->softmax_rows_f32 = bni_softmax_rows_f32_##isa;  \
        (k)->rms_norm_rows_f32 = bni_rms_norm_rows_f32_##isa; \
    } while (0)

static void build(bn_isa isa, int usable, bni_reduce_kernels *k) {
    memset(k, 0, sizeof *k);
    k->isa = isa;
    FILL(k, scalar);
    if (!usable) return;
    switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case BN_ISA_SSE41: FILL(k, sse41); break;
    case BN_ISA_AVX2: FILL(k, avx2); break;
    case BN_ISA_AVX512: FILL(k, avx512); break;
#endif
#if defined(__aarch64__)
    case BN_ISA_NEON: FILL(k, neon); break;
#endif
    default: break;
    }
}

static void init(void) {
    for (int i = 0; i < NISA; i++) {
        g_usable[i] = bn_cpu_supports_isa((bn_isa)i);
        build((bn_isa)i, g_usable[i], &g_tables[i]);
    }
    bn_isa isa = bn_cpu_isa();
    if ((unsigned)isa >= NISA || !g_usable[isa]) isa = BN_ISA_SCALAR;
    g_current = &g_tables[isa];
    const char *n = g_current->name;
    snprintf(g_describe, sizeof g_describe, "sum_f32 %s\nmax_f32 %s\nsoftmax_f32 %s\nrms_norm_f32 %s\n", n, n, n,
             n);
}

const bni_reduce_kernels *bni_reduce_kernels_get(void) {
    pthread_once(&g_once, init);
    return g_current;
}

const bni_reduce_kernels *bni_reduce_kernels_for_isa(bn_isa isa) {
    pthread_once(&g_once, init);
    if ((unsigned)isa >= NISA || !g_usable[isa]) return NULL;
    return &g_tables[isa];
}

const char *bni_reduce_kernels_describe(void) {
    pthread_once(&g_once, init);
    return g_describe;
}
