/* CPU feature detection and the ISA level kernels run at.
 *
 * x86: CPUID for the instruction sets and XGETBV for the OS saving the wide
 * registers (a CPU with AVX-512 under an OS that does not save ZMM state
 * must not run AVX-512 code). ARM64: NEON is architectural; dotprod comes
 * from the Linux auxiliary vector. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/device.h"
#include "core/cpu_internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define BNI_X86 1
#elif defined(__aarch64__)
#define BNI_ARM64 1
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

static const char *const k_feature_names[BN_CPU_FEATURE_COUNT] = {
    "sse4.1", "avx2", "fma", "f16c", "avx512f", "avx512bw",
    "avx512vl", "avx512vnni", "avx512bf16", "neon", "dotprod",
};

const char *bn_cpu_feature_name(bn_cpu_feature feature) {
    for (int i = 0; i < BN_CPU_FEATURE_COUNT; i++)
        if ((unsigned)feature == (1u << i)) return k_feature_names[i];
    return "unknown";
}

#ifdef BNI_X86
static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static uint32_t detect_features(void) {
    unsigned int a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    if ((c >> 19) & 1) f |= BN_CPU_SSE41;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    int ymm_ok = avx && (xcr0 & 0x6) == 0x6;
    int zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;
    if (ymm_ok && ((c >> 12) & 1)) f |= BN_CPU_FMA;
    if (ymm_ok && ((c >> 29) & 1)) f |= BN_CPU_F16C;
    if (__get_cpuid_max(0, NULL) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    if (ymm_ok && ((b >> 5) & 1)) f |= BN_CPU_AVX2;
    if (zmm_ok) {
        if ((b >> 16) & 1) f |= BN_CPU_AVX512F;
        if ((b >> 30) & 1) f |= BN_CPU_AVX512BW;
        if ((b >> 31) & 1) f |= BN_CPU_AVX512VL;
        if ((c >> 11) & 1) f |= BN_CPU_AVX512VNNI;
        unsigned int max_sub = a;
        if (max_sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if ((a >> 5) & 1) f |= BN_CPU_AVX512BF16;
        }
    }
    return f;
}
#elif defined(BNI_ARM64)
static uint32_t detect_features(void) {
    uint32_t f = BN_CPU_NEON;
#if defined(__linux__) && defined(AT_HWCAP)
    unsigned long hw = getauxval(AT_HWCAP);
    if (hw & (1ul << 20)) f |= BN_CPU_DOTPROD; /* HWCAP_ASIMDDP */
#elif defined(__APPLE__)
    f |= BN_CPU_DOTPROD; /* every Apple arm64 core has it */
#endif
    return f;
}
#else
static uint32_t detect_features(void) { return 0; }
#endif

static atomic_uint g_features;
static atomic_int g_features_ready;

uint32_t bn_cpu_features(void) {
    if (!atomic_load_explicit(&g_features_ready, memory_order_acquire)) {
        atomic_store(&g_features, detect_features()); /* idempotent: races are harmless */
        atomic_store_explicit(&g_features_ready, 1, memory_order_release);
    }
    return atomic_load_explicit(&g_features, memory_order_relaxed);
}

static const char *const k_isa_names[] = {"scalar", "sse41", "avx2", "avx512", "neon"};

const char *bn_isa_name(bn_isa isa) {
    if ((unsigned)isa > BN_ISA_NEON) return "unknown";
    return k_isa_names[isa];
}

int bn_cpu_supports_isa(bn_isa isa) {
    uint32_t f = bn_cpu_features();
    const uint32_t avx2 = BN_CPU_AVX2 | BN_CPU_FMA | BN_CPU_F16C;
    const uint32_t avx512 = avx2 | BN_CPU_AVX512F | BN_CPU_AVX512BW | BN_CPU_AVX512VL;
    switch (isa) {
    case BN_ISA_SCALAR: return 1;
    case BN_ISA_SSE41: return (f & BN_CPU_SSE41) != 0;
    case BN_ISA_AVX2: return (f & (avx2 | BN_CPU_SSE41)) == (avx2 | BN_CPU_SSE41);
    case BN_ISA_AVX512: return (f & (avx512 | BN_CPU_SSE41)) == (avx512 | BN_CPU_SSE41);
    case BN_ISA_NEON: return (f & BN_CPU_NEON) != 0;
    }
    return 0;
}

bn_isa bn_cpu_best_isa(void) {
    static const bn_isa order[] = {BN_ISA_AVX512, BN_ISA_AVX2, BN_ISA_SSE41, BN_ISA_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (bn_cpu_supports_isa(order[i])) return order[i];
    return BN_ISA_SCALAR;
}

/* x86 levels are ordered; NEON stands alone above scalar. */
static int isa_at_most(bn_isa wanted, bn_isa best) {
    if (wanted == BN_ISA_SCALAR) return 1;
    if (best == BN_ISA_NEON || wanted == BN_ISA_NEON) return wanted == best;
    return wanted <= best;
}

bn_isa bni_isa_from_env(const char *value, bn_isa best, const char **why) {
    *why = NULL;
    if (value == NULL || value[0] == '\0') return best;
    for (int i = 0; i <= BN_ISA_NEON; i++) {
        if (strcmp(value, k_isa_names[i]) != 0) continue;
        if (isa_at_most((bn_isa)i, best)) return (bn_isa)i;
        *why = "this CPU does not support it; using the best level it has";
        return best;
    }
    *why = "not one of scalar, sse41, avx2, avx512, neon; using the best level";
    return best;
}

static atomic_int g_isa = -1;

bn_isa bn_cpu_isa(void) {
    int isa = atomic_load_explicit(&g_isa, memory_order_acquire);
    if (isa >= 0) return (bn_isa)isa;
    const char *why = NULL;
    const char *env = getenv("BITNET_ISA");
    bn_isa chosen = bni_isa_from_env(env, bn_cpu_best_isa(), &why);
    int expected = -1;
    if (atomic_compare_exchange_strong(&g_isa, &expected, (int)chosen) && why != NULL)
        fprintf(stderr, "bitnet: BITNET_ISA=%s: %s (%s)\n", env, why, bn_isa_name(chosen));
    return (bn_isa)atomic_load(&g_isa);
}

void bni_cpu_model_name(char *buf, size_t size) {
    if (size == 0) return;
    snprintf(buf, size, "unknown CPU");
#ifdef BNI_X86
    unsigned int regs[12];
    if ((unsigned int)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) {
        for (unsigned int i = 0; i < 3; i++)
            __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
        char brand[49];
        memcpy(brand, regs, 48);
        brand[48] = '\0';
        const char *start = brand;
        while (*start == ' ') start++;
        snprintf(buf, size, "%s", start);
        return;
    }
#endif
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Hardware", 8) == 0 ||
            strncmp(line, "CPU part", 8) == 0) {
            colon++;
            while (*colon == ' ' || *colon == '\t') colon++;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(buf, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}
