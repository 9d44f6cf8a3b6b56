/* Packed ternary layouts (I2_S, TQ1_0, TQ2_0, Hugging Face): sizes, every
 * layout round-tripping bit-exactly on random matrices and on random valid
 * packed bytes, conversions between every pair, the reference fixtures
 * (gguf.quants bytes for TQ1_0/TQ2_0, bitnet.cpp's I2_S, transformers'
 * pack_weights), and malformed inputs rejected with the offending offset. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "quant/quant_internal.h"
#include "test_util.h"

static uint64_t g_rng = 0x13198A2E03707344ull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static uint32_t fbits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void *read_file(const char *name, size_t *size) {
    char path[512];
    snprintf(path, sizeof path, "%s/quant/%s", BITNET_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return p;
}

static const bn_quant_format k_all[] = {BN_QUANT_I2_S, BN_QUANT_TQ1_0, BN_QUANT_TQ2_0, BN_QUANT_HF};

/* A random ternary matrix; a fraction p0 of zeros (out of 256). */
static void rand_ternary(int8_t *v, int64_t n, int p0) {
    for (int64_t i = 0; i < n; i++) {
        int r = (int)(rnd() % 256);
        v[i] = r < p0 ? 0 : (r & 1) ? 1 : -1;
    }
}

static size_t psize(bn_quant_format f, int64_t n, int64_t k) {
    size_t s = 0;
    if (bn_quant_packed_size(f, n, k, &s) != BN_OK) return (size_t)-1;
    return s;
}

/* ---- sizes and info ------------------------------------------------------------ */

static void test_info(void) {
    const bn_quant_format_info *i2 = bn_quant_format_get_info(BN_QUANT_I2_S);
    const bn_quant_format_info *t1 = bn_quant_format_get_info(BN_QUANT_TQ1_0);
    const bn_quant_format_info *t2 = bn_quant_format_get_info(BN_QUANT_TQ2_0);
    const bn_quant_format_info *hf = bn_quant_format_get_info(BN_QUANT_HF);
    CHECK(i2 && t1 && t2 && hf);
    CHECK(bn_quant_format_get_info((bn_quant_format)4) == NULL);
    CHECK(strcmp(bn_quant_format_name((bn_quant_format)-1), "unknown") == 0);
    CHECK(strcmp(bn_quant_format_name(BN_QUANT_TQ1_0), "tq1_0") == 0);
    if (i2 && t1 && t2 && hf) {
        CHECK(i2->ggml_type == 36 && t1->ggml_type == 34 && t2->ggml_type == 35 && hf->ggml_type == -1);
        CHECK(t1->bits_per_weight == 1.6875 && t2->bits_per_weight == 2.0625);
        CHECK(i2->k_multiple == 128 && t1->k_multiple == 256 && hf->k_multiple == 1);
    }
    CHECK(psize(BN_QUANT_I2_S, 2560, 2560) == 2560u * 2560 / 4 + 32);
    CHECK(psize(BN_QUANT_TQ1_0, 3, 512) == 6 * 54);
    CHECK(psize(BN_QUANT_TQ2_0, 3, 512) == 6 * 66);
    CHECK(psize(BN_QUANT_HF, 5, 7) == 2 * 7);
    CHECK(psize(BN_QUANT_HF, 8, 7) == 2 * 7);
    CHECK(psize(BN_QUANT_I2_S, 0, 128) == 32);
    size_t s;
    CHECK_ERR(bn_quant_packed_size(BN_QUANT_I2_S, 2, 100, &s), BN_ERR_SHAPE, "multiple of 128");
    CHECK_ERR(bn_quant_packed_size(BN_QUANT_TQ1_0, 2, 384, &s), BN_ERR_SHAPE, "k = 384");
    CHECK_ERR(bn_quant_packed_size(BN_QUANT_TQ2_0, -2, 256, &s), BN_ERR_INVALID_ARGUMENT, "n = -2");
    CHECK_ERR(bn_quant_packed_size((bn_quant_format)9, 2, 256, &s), BN_ERR_INVALID_ARGUMENT, "format 9");
    CHECK_ERR(bn_quant_packed_size(BN_QUANT_HF, INT64_MAX / 2, 4, &s), BN_ERR_OVERFLOW, "overflows");
    int64_t c, g;
    CHECK_OK(bn_quant_scale_count(BN_QUANT_TQ1_0, 3, 512, &c, &g));
    CHECK(c == 6 && g == 256);
    CHECK_OK(bn_quant_scale_count(BN_QUANT_I2_S, 3, 512, &c, &g));
    CHECK(c == 1 && g == 3 * 512);
    CHECK_OK(bn_quant_scale_count(BN_QUANT_HF, 3, 5, &c, &g));
    CHECK(c == 0 && g == 0);
}

/* ---- round trips ---------------------------------------------------------- */

/* common -> packed -> common -> packed for one layout and shape. */
static void roundtrip_values(bn_quant_format f, int64_t n, int64_t k, int p0) {
    int64_t numel = n * k, ns = 0, group = 0;
    CHECK_OK(bn_quant_scale_count(f, n, k, &ns, &group));
    int8_t *v = malloc((size_t)numel + 1), *v2 = malloc((size_t)numel + 1);
    float *sc = malloc(sizeof(float) * (size_t)(ns + 1)), *sc2 = malloc(sizeof(float) * (size_t)(ns + 1));
    rand_ternary(v, numel, p0);
    /* scales that f16 holds exactly, one per block for TQ */
    for (int64_t i = 0; i < ns; i++) sc[i] = bn_f16_to_f32((uint16_t)(0x2000 + rnd() % 0x3000));
    size_t size = psize(f, n, k);
    uint8_t *p = malloc(size + 1), *p2 = malloc(size + 1);
    CHECK_OK(bn_quant_pack(f, n, k, v, ns ? sc : NULL, ns ? group : 1, p, size));
    CHECK_OK(bn_quant_validate(f, n, k, p, size));
    memset(v2, 0x7f, (size_t)numel + 1);
    CHECK_OK(bn_quant_unpack(f, n, k, p, size, v2, sc2));
    int bad = memcmp(v, v2, (size_t)numel) != 0;
    for (int64_t b = 0; b < ns; b++) {
        /* a TQ block of zeros stores d = 0 */
        int any = 0;
        for (int64_t i = b * group; i < (b + 1) * group; i++) any |= v[i] != 0;
        bad += fbits(sc2[b]) != fbits(any || f == BN_QUANT_I2_S ? sc[b] : 0.0f);
    }
    CHECK(bad == 0);
    if (bad) fprintf(stderr, "  %s %" PRId64 " x %" PRId64 "\n", bn_quant_format_name(f), n, k);
    CHECK_OK(bn_quant_pack(f, n, k, v2, ns ? sc2 : NULL, ns ? group : 1, p2, size));
    CHECK(memcmp(p, p2, size) == 0);
    free(v);
    free(v2);
    free(sc);
    free(sc2);
    free(p);
    free(p2);
}

static void test_roundtrip_values(void) {
    const int64_t ns[] = {1, 3, 4, 5, 8, 13};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++) {
        for (int64_t k = 128; k <= 1024; k += 128) {
            roundtrip_values(BN_QUANT_I2_S, ns[a], k, 85);
            if (k % 256 == 0) {
                roundtrip_values(BN_QUANT_TQ1_0, ns[a], k, 85);
                roundtrip_values(BN_QUANT_TQ2_0, ns[a], k, 85);
                roundtrip_values(BN_QUANT_TQ1_0, ns[a], k, 255); /* mostly zeros: some zero blocks */
                roundtrip_values(BN_QUANT_TQ2_0, ns[a], k, 255);
            }
        }
        for (int64_t k = 1; k <= 37; k += 6) roundtrip_values(BN_QUANT_HF, ns[a], k, 85);
    }
    roundtrip_values(BN_QUANT_I2_S, 0, 128, 85);
    roundtrip_values(BN_QUANT_TQ1_0, 0, 256, 85);
    roundtrip_values(BN_QUANT_HF, 3, 0, 85);
    /* all 3^5 digit patterns of a TQ1_0 qs byte and 3^4 of a qh byte: a
     * matrix whose blocks walk through them */
    int8_t v[4 * 256];
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < 256; i++) {
            int idx = b * 256 + i, pat = (b * 61 + (i % 32)) % 243;
            int digit = i < 160 ? (i / 32) : i < 240 ? (i - 160) / 16 : (i - 240) / 4;
            static const int p3[5] = {81, 27, 9, 3, 1};
            v[idx] = (int8_t)(pat / p3[digit % 5] % 3 - 1);
        }
    float sc[4] = {1.0f, 0.5f, 0.25f, 2.0f};
    size_t size = psize(BN_QUANT_TQ1_0, 1, 1024);
    uint8_t p[4 * 54], p2[4 * 54];
    int8_t w[1024];
    float s2[4];
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ1_0, 1, 1024, v, sc, 256, p, size));
    CHECK_OK(bn_quant_unpack(BN_QUANT_TQ1_0, 1, 1024, p, size, w, s2));
    CHECK(memcmp(v, w, 1024) == 0);
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ1_0, 1, 1024, w, s2, 256, p2, size));
    CHECK(memcmp(p, p2, size) == 0);
}

/* Random valid packed bytes (with a different TQ scale per block) unpack
 * and pack back to the same bytes. */
static void roundtrip_bytes(bn_quant_format f, int64_t n, int64_t k) {
    size_t size = psize(f, n, k);
    uint8_t *p = malloc(size), *p2 = malloc(size);
    int64_t numel = n * k, ns, group;
    CHECK_OK(bn_quant_scale_count(f, n, k, &ns, &group));
    /* random 2-bit codes 0..2 per byte, or canonical base-3 bytes */
    for (size_t i = 0; i < size; i++) {
        unsigned b = 0;
        for (int l = 0; l < 4; l++) b |= (unsigned)(rnd() % 3) << (2 * l);
        p[i] = (uint8_t)b;
    }
    if (f == BN_QUANT_TQ1_0 || f == BN_QUANT_TQ2_0) {
        size_t bb = f == BN_QUANT_TQ1_0 ? 54 : 66;
        for (int64_t b = 0; b < numel / 256; b++) {
            uint8_t *blk = p + (size_t)b * bb;
            if (f == BN_QUANT_TQ1_0) {
                for (int j = 0; j < 48; j++) blk[j] = (uint8_t)(((rnd() % 243) * 256 + 242) / 243);
                for (int j = 0; j < 4; j++) blk[48 + j] = (uint8_t)(((rnd() % 81) * 3 * 256 + 242) / 243);
            }
            uint16_t d = (uint16_t)(rnd() % 0x7c00); /* any finite f16, either sign */
            if (rnd() & 1) d |= 0x8000;
            blk[bb - 2] = (uint8_t)d;
            blk[bb - 1] = (uint8_t)(d >> 8);
        }
    } else if (f == BN_QUANT_I2_S) {
        memset(p + numel / 4, 0, 32);
        float s = (float)(rnd() % 1000) / 997.0f;
        memcpy(p + numel / 4, &s, 4);
    } else if (f == BN_QUANT_HF && n % 4 != 0) {
        int64_t R = (n + 3) / 4;
        for (int64_t r = 0; r < R; r++)
            for (int i = 0; i < 4; i++)
                if (i * R + r >= n)
                    for (int64_t c = 0; c < k; c++) p[r * k + c] &= (uint8_t)~(3u << (2 * i));
    }
    int8_t *v = malloc((size_t)numel + 1);
    float *sc = malloc(sizeof(float) * (size_t)(ns + 1));
    CHECK_OK(bn_quant_unpack(f, n, k, p, size, v, sc));
    /* a block of all-zero codes would come back with d = 0 */
    int zero_block = 0;
    for (int64_t b = 0; ns > 1 && b < ns; b++) {
        int any = 0;
        for (int64_t i = b * group; i < (b + 1) * group; i++) any |= v[i] != 0;
        zero_block |= !any;
    }
    if (!zero_block) {
        CHECK_OK(bn_quant_pack(f, n, k, v, sc, group ? group : 1, p2, size));
        CHECK(memcmp(p, p2, size) == 0);
    }
    free(p);
    free(p2);
    free(v);
    free(sc);
}

static void test_roundtrip_bytes(void) {
    for (int rep = 0; rep < 5; rep++) {
        roundtrip_bytes(BN_QUANT_I2_S, 3, 384);
        roundtrip_bytes(BN_QUANT_I2_S, 7, 128);
        roundtrip_bytes(BN_QUANT_TQ1_0, 5, 768);
        roundtrip_bytes(BN_QUANT_TQ2_0, 5, 768);
        roundtrip_bytes(BN_QUANT_HF, 12, 33);
        roundtrip_bytes(BN_QUANT_HF, 7, 9);
        roundtrip_bytes(BN_QUANT_HF, 1, 5);
    }
}

/* ---- conversions ----------------------------------------------------------- */

static void test_convert(void) {
    enum { N = 6, K = 512 };
    int8_t v[N * K];
    rand_ternary(v, N * K, 85);
    const float scale = bn_f16_to_f32(0x2a6b); /* f16-exact, so TQ keeps it */
    uint8_t *packed[4], *out = malloc(4096); /* the largest: hf pads 6 rows to 8 */
    for (int a = 0; a < 4; a++) {
        size_t s = psize(k_all[a], N, K);
        packed[a] = malloc(s);
        CHECK_OK(bn_quant_pack(k_all[a], N, K, v, &scale, N * K, packed[a], s));
    }
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            float ts = scale;
            size_t ss = psize(k_all[a], N, K), ds = psize(k_all[b], N, K);
            CHECK_OK(bn_quant_convert(k_all[a], packed[a], ss, k_all[b], out, ds, N, K, &ts));
            CHECK(memcmp(out, packed[b], ds) == 0);
            if (k_all[b] == BN_QUANT_HF) CHECK(fbits(ts) == fbits(scale));
        }
    float ts = 0;
    CHECK_ERR(bn_quant_convert(BN_QUANT_HF, packed[3], psize(BN_QUANT_HF, N, K), BN_QUANT_I2_S, out,
                               psize(BN_QUANT_I2_S, N, K), N, K, NULL),
              BN_ERR_INVALID_ARGUMENT, "tensor_scale is NULL");
    CHECK_ERR(bn_quant_convert(BN_QUANT_I2_S, packed[0], psize(BN_QUANT_I2_S, N, K) - 1, BN_QUANT_TQ2_0, out,
                               psize(BN_QUANT_TQ2_0, N, K), N, K, NULL),
              BN_ERR_FORMAT, "got");
    CHECK_ERR(bn_quant_convert(BN_QUANT_TQ2_0, packed[2], psize(BN_QUANT_TQ2_0, N, K), BN_QUANT_I2_S, out,
                               psize(BN_QUANT_I2_S, N, K) + 1, N, K, &ts),
              BN_ERR_INVALID_ARGUMENT, "dst_size");
    /* TQ blocks with different scales cannot become one I2_S / HF scale */
    float sc[N * K / 256];
    for (int i = 0; i < N * K / 256; i++) sc[i] = 0.25f * (float)(1 + i);
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ2_0, N, K, v, sc, 256, packed[2], psize(BN_QUANT_TQ2_0, N, K)));
    CHECK_ERR(bn_quant_convert(BN_QUANT_TQ2_0, packed[2], psize(BN_QUANT_TQ2_0, N, K), BN_QUANT_I2_S, out,
                               psize(BN_QUANT_I2_S, N, K), N, K, NULL),
              BN_ERR_NOT_SUPPORTED, "use scales 0.25 (group 0) and 0.5 (group 1)");
    CHECK_ERR(bn_quant_convert(BN_QUANT_TQ2_0, packed[2], psize(BN_QUANT_TQ2_0, N, K), BN_QUANT_HF, out,
                               psize(BN_QUANT_HF, N, K), N, K, &ts),
              BN_ERR_NOT_SUPPORTED, "hf stores one scale");
    for (int a = 0; a < 4; a++) free(packed[a]);
    free(out);
}

/* ---- fixtures -------------------------------------------------------------- */

static void test_fixtures(void) {
    const char *names[] = {"m2x256", "m3x512"};
    const int64_t ns[] = {2, 3}, ks[] = {256, 512};
    const char *exts[] = {"i2_s", "tq1_0", "tq2_0", "hf"};
    for (int c = 0; c < 2; c++) {
        int64_t n = ns[c], k = ks[c], numel = n * k;
        char f[96];
        size_t sq, ss;
        snprintf(f, sizeof f, "%s.q.i8", names[c]);
        int8_t *q = read_file(f, &sq);
        snprintf(f, sizeof f, "%s.scale.f32", names[c]);
        float *sc = read_file(f, &ss);
        CHECK(q && sc);
        if (!q || !sc) continue;
        for (int a = 0; a < 4; a++) {
            size_t sz;
            snprintf(f, sizeof f, "%s.%s", names[c], exts[a]);
            uint8_t *want = read_file(f, &sz);
            CHECK(want != NULL);
            if (!want) continue;
            size_t size = psize(k_all[a], n, k);
            CHECK(sz == size);
            uint8_t *p = malloc(size);
            CHECK_OK(bn_quant_pack(k_all[a], n, k, q, sc, numel, p, size));
            int same = sz == size && memcmp(p, want, size) == 0;
            CHECK(same);
            if (!same) fprintf(stderr, "  fixture %s differs\n", f);
            /* unpack the reference bytes */
            int64_t cnt, grp;
            CHECK_OK(bn_quant_scale_count(k_all[a], n, k, &cnt, &grp));
            int8_t *v = malloc((size_t)numel);
            float *s2 = malloc(sizeof(float) * (size_t)(cnt + 1));
            CHECK_OK(bn_quant_unpack(k_all[a], n, k, want, sz, v, s2));
            CHECK(memcmp(v, q, (size_t)numel) == 0);
            if (k_all[a] == BN_QUANT_I2_S) CHECK(fbits(s2[0]) == fbits(sc[0]));
            if (k_all[a] == BN_QUANT_TQ1_0 || k_all[a] == BN_QUANT_TQ2_0) {
                int bad = 0, zeros = 0;
                for (int64_t b = 0; b < cnt; b++) {
                    int any = 0;
                    for (int64_t i = b * 256; i < (b + 1) * 256; i++) any |= q[i] != 0;
                    zeros += !any;
                    bad += fbits(s2[b]) != fbits(any ? bn_f16_to_f32(bn_f32_to_f16(sc[0])) : 0.0f);
                }
                CHECK(bad == 0);
                CHECK(zeros == (c == 1)); /* m3x512 has one block of zeros: d = 0 */
            }
            free(v);
            free(s2);
            free(p);
            free(want);
        }
        /* ggml's own absmax quantization: different d per block */
        size_t s1, s2z, sd;
        snprintf(f, sizeof f, "%s.ggml.tq1_0", names[c]);
        uint8_t *t1 = read_file(f, &s1);
        snprintf(f, sizeof f, "%s.ggml.tq2_0", names[c]);
        uint8_t *t2 = read_file(f, &s2z);
        snprintf(f, sizeof f, "%s.ggml.deq.f32", names[c]);
        float *deq = read_file(f, &sd);
        CHECK(t1 && t2 && deq);
        if (t1 && t2 && deq) {
            int8_t *v = malloc((size_t)numel);
            float *bs = malloc(sizeof(float) * (size_t)(numel / 256));
            float *out = malloc(sizeof(float) * (size_t)numel);
            uint8_t *p = malloc(s2z);
            const uint8_t *srcs[2] = {t1, t2};
            const size_t sizes[2] = {s1, s2z};
            const bn_quant_format fm[2] = {BN_QUANT_TQ1_0, BN_QUANT_TQ2_0};
            for (int j = 0; j < 2; j++) {
                CHECK_OK(bn_quant_unpack(fm[j], n, k, srcs[j], sizes[j], v, bs));
                CHECK_OK(bn_dequantize_weights_f32(v, numel, bs, 256, out));
                int bad = 0;
                for (int64_t i = 0; i < numel; i++) bad += out[i] != deq[i];
                CHECK(bad == 0);
                CHECK_OK(bn_quant_pack(fm[j], n, k, v, bs, 256, p, sizes[j]));
                CHECK(memcmp(p, srcs[j], sizes[j]) == 0);
            }
            CHECK_OK(bn_quant_convert(BN_QUANT_TQ1_0, t1, s1, BN_QUANT_TQ2_0, p, s2z, n, k, NULL));
            CHECK(memcmp(p, t2, s2z) == 0);
            free(v);
            free(bs);
            free(out);
            free(p);
        }
        free(t1);
        free(t2);
        free(deq);
        /* the zero block's d = 0 does not stop a conversion to I2_S and back */
        if (c == 1) {
            size_t st;
            uint8_t *tq = read_file("m3x512.tq2_0", &st);
            uint8_t *i2 = malloc(psize(BN_QUANT_I2_S, n, k)), *back = malloc(st);
            if (tq) {
                CHECK_OK(bn_quant_convert(BN_QUANT_TQ2_0, tq, st, BN_QUANT_I2_S, i2, psize(BN_QUANT_I2_S, n, k), n,
                                          k, NULL));
                CHECK_OK(bn_quant_convert(BN_QUANT_I2_S, i2, psize(BN_QUANT_I2_S, n, k), BN_QUANT_TQ2_0, back, st,
                                          n, k, NULL));
                CHECK(memcmp(back, tq, st) == 0);
            }
            free(tq);
            free(i2);
            free(back);
        }
        free(q);
        free(sc);
    }
    /* HF with n not a multiple of 4 */
    const char *hn[] = {"hf5x7", "hf6x3"};
    const int64_t hns[] = {5, 6}, hks[] = {7, 3};
    for (int c = 0; c < 2; c++) {
        char f[64];
        size_t sq, sh;
        snprintf(f, sizeof f, "%s.q.i8", hn[c]);
        int8_t *q = read_file(f, &sq);
        snprintf(f, sizeof f, "%s.hf", hn[c]);
        uint8_t *h = read_file(f, &sh);
        CHECK(q && h);
        if (q && h) {
            size_t size = psize(BN_QUANT_HF, hns[c], hks[c]);
            CHECK(sh == size);
            uint8_t p[64];
            int8_t v[64];
            CHECK_OK(bn_quant_pack(BN_QUANT_HF, hns[c], hks[c], q, NULL, 0, p, size));
            CHECK(memcmp(p, h, size) == 0);
            CHECK_OK(bn_quant_unpack(BN_QUANT_HF, hns[c], hks[c], h, sh, v, NULL));
            CHECK(memcmp(v, q, sq) == 0);
        }
        free(q);
        free(h);
    }
}

/* ---- malformed input ------------------------------------------------------------ */

static void test_malformed(void) {
    enum { N = 2, K = 256 };
    int8_t v[N * K], out[N * K];
    rand_ternary(v, N * K, 85);
    float s = 0.5f, sc[2];
    uint8_t p[N * K / 4 + 32], bad[N * K / 4 + 32];

    /* I2_S: code 3 at offset 37 (bits 5-4: element 37 % 32 + 32 of block 1) */
    size_t si = psize(BN_QUANT_I2_S, N, K);
    CHECK_OK(bn_quant_pack(BN_QUANT_I2_S, N, K, v, &s, N * K, p, si));
    memcpy(bad, p, si);
    bad[37] |= 0x30;
    memset(out, 0x55, sizeof out);
    char msg[96];
    snprintf(msg, sizeof msg, "byte 0x%02x at offset 37 holds code 3 (element 165)", bad[37]);
    CHECK_ERR(bn_quant_unpack(BN_QUANT_I2_S, N, K, bad, si, out, sc), BN_ERR_FORMAT, msg);
    int untouched = 1;
    for (int i = 0; i < N * K; i++) untouched &= out[i] == 0x55;
    CHECK(untouched);
    CHECK_ERR(bn_quant_validate(BN_QUANT_I2_S, N, K, bad, si), BN_ERR_FORMAT, "offset 37");
    memcpy(bad, p, si);
    float nan = NAN;
    memcpy(bad + N * K / 4, &nan, 4);
    CHECK_ERR(bn_quant_validate(BN_QUANT_I2_S, N, K, bad, si), BN_ERR_FORMAT, "scale at offset 128 is not finite");
    CHECK_ERR(bn_quant_validate(BN_QUANT_I2_S, N, K, p, si - 1), BN_ERR_FORMAT, "is 160 bytes, got 159");
    CHECK_ERR(bn_quant_validate(BN_QUANT_I2_S, N, 200, p, si), BN_ERR_SHAPE, "k = 200");
    /* padding after the scale is not looked at */
    memcpy(bad, p, si);
    bad[si - 1] = 0xAB;
    CHECK_OK(bn_quant_validate(BN_QUANT_I2_S, N, K, bad, si));

    /* TQ2_0: code 3 in block 1, and an infinite d */
    size_t s2 = psize(BN_QUANT_TQ2_0, N, K);
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ2_0, N, K, v, &s, N * K, p, s2));
    memcpy(bad, p, s2);
    bad[66 + 40] |= 0xC0;
    snprintf(msg, sizeof msg, "byte 0x%02x at offset 106 holds code 3 (element 488)", bad[106]);
    CHECK_ERR(bn_quant_unpack(BN_QUANT_TQ2_0, N, K, bad, s2, out, sc), BN_ERR_FORMAT, msg);
    memcpy(bad, p, s2);
    bad[64] = 0x00;
    bad[65] = 0x7c;
    CHECK_ERR(bn_quant_validate(BN_QUANT_TQ2_0, N, K, bad, s2), BN_ERR_FORMAT, "d = 0x7c00 at offset 64");
    CHECK_ERR(bn_quant_validate(BN_QUANT_TQ2_0, N, K, p, s2 + 1), BN_ERR_FORMAT, "got 133");

    /* TQ1_0: a byte that no base-3 digits encode, and a qh byte with a fifth digit */
    size_t s1 = psize(BN_QUANT_TQ1_0, N, K);
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ1_0, N, K, v, &s, N * K, p, s1));
    int noncanon = -1;
    for (int b = 0; b < 256 && noncanon < 0; b++) {
        unsigned val = ((unsigned)b * 243u) >> 8;
        if ((val * 256u + 242u) / 243u != (unsigned)b) noncanon = b;
    }
    CHECK(noncanon > 0);
    memcpy(bad, p, s1);
    bad[54 + 10] = (uint8_t)noncanon;
    CHECK_ERR(bn_quant_validate(BN_QUANT_TQ1_0, N, K, bad, s1), BN_ERR_FORMAT,
              "at offset 64 (block 1, qs[10]) is not the encoding");
    memcpy(bad, p, s1);
    bad[49] = (uint8_t)((1 * 256 + 242) / 243); /* digits 0000 1 */
    CHECK_ERR(bn_quant_validate(BN_QUANT_TQ1_0, N, K, bad, s1), BN_ERR_FORMAT,
              "at offset 49 (block 0, qh[1]) has a fifth base-3 digit 1");
    memcpy(bad, p, s1);
    bad[52] = 0xff;
    bad[53] = 0xff;
    CHECK_ERR(bn_quant_unpack(BN_QUANT_TQ1_0, N, K, bad, s1, out, sc), BN_ERR_FORMAT, "not finite");

    /* HF: code 3, and a padding row that is not 0 */
    size_t sh = psize(BN_QUANT_HF, 5, 7);
    int8_t hv[35];
    rand_ternary(hv, 35, 85);
    CHECK_OK(bn_quant_pack(BN_QUANT_HF, 5, 7, hv, NULL, 0, p, sh));
    memcpy(bad, p, sh);
    bad[3] |= 0x0C; /* row 2 (i = 1, r = 0), column 3 */
    CHECK_ERR(bn_quant_validate(BN_QUANT_HF, 5, 7, bad, sh), BN_ERR_FORMAT, "offset 3 holds code 3 (element 17)");
    memcpy(bad, p, sh);
    bad[7 + 2] &= (uint8_t)~0x30; /* R = 2: byte row 1, bits 5-4 would be row 5 */
    bad[7 + 2] |= 0x10;
    CHECK_ERR(bn_quant_validate(BN_QUANT_HF, 5, 7, bad, sh), BN_ERR_FORMAT, "row 5 past n = 5");

    /* pack: values out of range, scales that differ, sizes */
    int8_t vv[N * K];
    memcpy(vv, v, sizeof vv);
    vv[300] = 2;
    CHECK_ERR(bn_quant_pack(BN_QUANT_TQ2_0, N, K, vv, &s, N * K, p, s2), BN_ERR_OUT_OF_RANGE,
              "value 2 at index 300 (row 1, column 44)");
    float rows[2] = {0.5f, 0.25f};
    vv[300] = 1;
    CHECK_ERR(bn_quant_pack(BN_QUANT_I2_S, N, K, vv, rows, K, p, si), BN_ERR_NOT_SUPPORTED, "i2_s stores one scale");
    /* per-row scales are fine for TQ (one block per row here) */
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ2_0, N, K, vv, rows, K, p, s2));
    /* and fine for I2_S when a row is all zero */
    memset(vv + K, 0, K);
    CHECK_OK(bn_quant_pack(BN_QUANT_I2_S, N, K, vv, rows, K, p, si));
    float got;
    memcpy(&got, p + N * K / 4, 4);
    CHECK(got == 0.5f);
    CHECK_ERR(bn_quant_pack(BN_QUANT_I2_S, N, K, v, &s, N * K, p, si + 4), BN_ERR_INVALID_ARGUMENT, "dst_size");
    CHECK_ERR(bn_quant_pack(BN_QUANT_I2_S, N, K, v, NULL, N * K, p, si), BN_ERR_INVALID_ARGUMENT, "scales is NULL");
    CHECK_ERR(bn_quant_pack(BN_QUANT_TQ1_0, N, K, v, &s, 3, p, s1), BN_ERR_INVALID_ARGUMENT, "group 3");
    CHECK_ERR(bn_quant_pack(BN_QUANT_TQ1_0, N, 128, v, &s, N * 128, p, s1), BN_ERR_SHAPE, "multiple of 256");
    CHECK_ERR(bn_quant_unpack(BN_QUANT_TQ1_0, N, K, p, s1, NULL, sc), BN_ERR_INVALID_ARGUMENT, "values is NULL");
    CHECK_ERR(bn_quant_unpack(BN_QUANT_TQ1_0, N, K, NULL, s1, out, sc), BN_ERR_INVALID_ARGUMENT, "src is NULL");
}

int main(void) {
    test_info();
    test_roundtrip_values();
    test_roundtrip_bytes();
    test_convert();
    test_fixtures();
    test_malformed();
    return bt_summary("test_quant_formats");
}
