/* BitLinear kernel choice and the kernel layout's pack/unpack
 * (see bitlinear_kernels.h for the layout). */
#include "cpu/bitlinear_kernels.h"

#include <pthread.h>
#include <string.h>

#include "bitnet/device.h"

void bni_bl_pack(const int8_t *w, int64_t n, int64_t k, uint8_t *packed) {
    const int64_t nblk = (n + BNI_BL_ROWS - 1) / BNI_BL_ROWS;
    const int64_t ktiles = (k + BNI_BL_KT - 1) / BNI_BL_KT;
    for (int64_t b = 0; b < nblk; b++) {
        for (int64_t t = 0; t < ktiles; t++) {
            uint8_t *tile = packed + (b * ktiles + t) * BNI_BL_TILE;
            for (int l = 0; l < BNI_BL_ROWS; l++) {
                const int64_t row = b * BNI_BL_ROWS + l;
                for (int j = 0; j < 4; j++) {
                    unsigned byte = 0;
                    for (int s = 0; s < 4; s++) {
                        const int64_t kk = t * BNI_BL_KT + 4 * s + j;
                        unsigned code = 1; /* padding: w = 0 */
                        if (row < n && kk < k) code = (unsigned)(w[row * k + kk] + 1);
                        byte |= code << (2 * s);
                    }
                    tile[4 * l + j] = (uint8_t)byte;
                }
            }
        }
    }
}

void bni_bl_unpack(const uint8_t *packed, int64_t n, int64_t k, int8_t *w) {
    const int64_t ktiles = (k + BNI_BL_KT - 1) / BNI_BL_KT;
    for (int64_t row = 0; row < n; row++) {
        const int64_t b = row / BNI_BL_ROWS;
        const int l = (int)(row % BNI_BL_ROWS);
        for (int64_t kk = 0; kk < k; kk++) {
            const int64_t t = kk / BNI_BL_KT;
            const int r = (int)(kk % BNI_BL_KT), s = r / 4, j = r % 4;
            const uint8_t byte = packed[(b * ktiles + t) * BNI_BL_TILE + 4 * l + j];
            w[row * k + kk] = (int8_t)(((byte >> (2 * s)) & 3) - 1);
        }
    }
}

static const bni_bl_kernels k_scalar = {"scalar", bni_bl_gemm_scalar, bni_bl_quant_scalar};
#ifdef BNI_BL_HAVE_X86
static const bni_bl_kernels k_avx2 = {"avx2", bni_bl_gemm_avx2, bni_bl_quant_avx2};
static const bni_bl_kernels k_avx512 = {"avx512vnni", bni_bl_gemm_avx512vnni, bni_bl_quant_avx512};
#endif
#ifdef BNI_BL_HAVE_NEON
static const bni_bl_kernels k_neon = {"neon", bni_bl_gemm_neon, bni_bl_quant_neon};
static const bni_bl_kernels k_neon_dot = {"neon-dotprod", bni_bl_gemm_neon_dotprod, bni_bl_quant_neon};
#endif

#define BNI_BL_MAX_SETS 4
static const bni_bl_kernels *g_all[BNI_BL_MAX_SETS];
static int g_count;
static const bni_bl_kernels *g_current;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init(void) {
    const uint32_t f = bn_cpu_features();
    const bn_isa isa = bn_cpu_isa();
    g_all[g_count++] = &k_scalar;
    g_current = &k_scalar;
#ifdef BNI_BL_HAVE_X86
    const int avx2 = bn_cpu_supports_isa(BN_ISA_AVX2) && (f & BN_CPU_AVX2);
    const uint32_t need512 = BN_CPU_AVX512F | BN_CPU_AVX512BW | BN_CPU_AVX512VL | BN_CPU_AVX512VNNI;
    const int vnni = bn_cpu_supports_isa(BN_ISA_AVX512) && (f & need512) == need512;
    if (avx2) g_all[g_count++] = &k_avx2;
    if (vnni) g_all[g_count++] = &k_avx512;
    if (avx2 && (isa == BN_ISA_AVX2 || isa == BN_ISA_AVX512)) g_current = &k_avx2;
    if (vnni && isa == BN_ISA_AVX512) g_current = &k_avx512;
#endif
#ifdef BNI_BL_HAVE_NEON
    if (f & BN_CPU_NEON) {
        g_all[g_count++] = &k_neon;
        if (isa == BN_ISA_NEON) g_current = &k_neon;
        if (f & BN_CPU_DOTPROD) {
            g_all[g_count++] = &k_neon_dot;
            if (isa == BN_ISA_NEON) g_current = &k_neon_dot;
        }
    }
#endif
    (void)f;
    (void)isa;
}

const bni_bl_kernels *bni_bl_kernels_get(void) {
    pthread_once(&g_once, init);
    return g_current;
}

int bni_bl_kernels_all(const bni_bl_kernels **list, int max) {
    pthread_once(&g_once, init);
    int n = 0;
    for (int i = 0; i < g_count && n < max; i++) list[n++] = g_all[i];
    return n;
}

const bni_bl_kernels *bni_bl_kernels_by_name(const char *name) {
    pthread_once(&g_once, init);
    if (name == NULL) return NULL;
    for (int i = 0; i < g_count; i++)
        if (strcmp(g_all[i]->name, name) == 0) return g_all[i];
    return NULL;
}
