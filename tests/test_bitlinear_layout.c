/* The BitLinear kernel layout: hand-placed bytes of a tile, padding codes,
 * pack/unpack round trips over shapes that are not multiples of 16, and
 * the object's to_ternary round trip and sizes. */
#include <stdint.h>
#include <stdlib.h>

#include "cpu/bitlinear_kernels.h"
#include "quant/bitlinear_internal.h"
#include "test_util.h"

static uint64_t g_rng = 0x853C49E6748FEA9Bull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Code of w[row][k] read from the layout by its definition. */
static int code_at(const uint8_t *p, int64_t ktiles, int64_t row, int64_t k) {
    const int64_t b = row / 16, t = k / 16;
    const int l = (int)(row % 16), s = (int)((k % 16) / 4), j = (int)(k % 4);
    return (p[(b * ktiles + t) * 64 + 4 * l + j] >> (2 * s)) & 3;
}

static void test_hand_tile(void) {
    /* 16 x 16 zeros with a few marked values */
    int8_t w[16 * 16];
    memset(w, 0, sizeof w);
    w[0 * 16 + 0] = 1;   /* row 0, k 0: byte 0, bits 0-1 = 2 */
    w[0 * 16 + 5] = -1;  /* row 0, k 5 = 4*1 + 1: byte 1, bits 2-3 = 0 */
    w[3 * 16 + 15] = 1;  /* row 3, k 15 = 4*3 + 3: byte 15, bits 6-7 = 2 */
    w[15 * 16 + 10] = -1;/* row 15, k 10 = 4*2 + 2: byte 62, bits 4-5 = 0 */
    uint8_t p[64];
    bni_bl_pack(w, 16, 16, p);
    /* all-zero weights give code 1 in every field: 0b01010101 = 0x55 */
    CHECK(p[0] == (0x55 & ~0x03) + 0x02);
    CHECK(p[1] == (0x55 & ~0x0C));
    CHECK(p[15] == (0x55 & ~0xC0) + 0x80);
    CHECK(p[62] == (0x55 & ~0x30));
    int others = 1;
    for (int i = 0; i < 64; i++)
        if (i != 0 && i != 1 && i != 15 && i != 62) others &= p[i] == 0x55;
    CHECK(others);
}

static void test_padding(void) {
    /* 17 x 18: two row blocks, two k tiles; padding is code 1 (w = 0) */
    int8_t w[17 * 18];
    for (int i = 0; i < 17 * 18; i++) w[i] = -1;
    uint8_t p[2 * 2 * 64];
    bni_bl_pack(w, 17, 18, p);
    int ok = 1;
    for (int64_t r = 0; r < 32; r++)
        for (int64_t k = 0; k < 32; k++) ok &= code_at(p, 2, r, k) == ((r < 17 && k < 18) ? 0 : 1);
    CHECK(ok);
}

static void test_round_trip(void) {
    for (int iter = 0; iter < 200; iter++) {
        const int64_t n = 1 + (int64_t)(rnd() % 70), k = 1 + (int64_t)(rnd() % 90);
        const int64_t nblk = (n + 15) / 16, kt = (k + 15) / 16;
        int8_t *w = malloc((size_t)(n * k)), *back = malloc((size_t)(n * k));
        uint8_t *p = malloc((size_t)(nblk * kt * 64));
        for (int64_t i = 0; i < n * k; i++) w[i] = (int8_t)((int)(rnd() % 3) - 1);
        bni_bl_pack(w, n, k, p);
        int ok = 1;
        for (int64_t r = 0; r < nblk * 16; r++)
            for (int64_t c = 0; c < kt * 16; c++)
                ok &= code_at(p, kt, r, c) == ((r < n && c < k) ? w[r * k + c] + 1 : 1);
        CHECK(ok);
        memset(back, 7, (size_t)(n * k));
        bni_bl_unpack(p, n, k, back);
        CHECK(memcmp(w, back, (size_t)(n * k)) == 0);
        free(w);
        free(back);
        free(p);
    }
}

static void test_object(void) {
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(NULL, &ctx));
    if (ctx == NULL) return;
    const int64_t n = 45, k = 2563;
    int8_t *w = malloc((size_t)(n * k)), *back = malloc((size_t)(n * k));
    float sc[45], sb[45];
    for (int64_t i = 0; i < n * k; i++) w[i] = (int8_t)((int)(rnd() % 3) - 1);
    for (int i = 0; i < 45; i++) sc[i] = 0.01f * (float)(i + 1);
    bn_bitlinear *bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_ternary(ctx, w, n, k, sc, 1, &bl));
    if (bl) {
        CHECK(bn_bitlinear_packed_bytes(bl) == (size_t)(3 * 161 * 64));
        CHECK_OK(bn_bitlinear_to_ternary(bl, back, sb));
        CHECK(memcmp(w, back, (size_t)(n * k)) == 0);
        CHECK(memcmp(sc, sb, sizeof sc) == 0);
        uint8_t *p = malloc(bn_bitlinear_packed_bytes(bl));
        bni_bl_pack(w, n, k, p);
        CHECK(memcmp(p, bni_bitlinear_packed(bl), bn_bitlinear_packed_bytes(bl)) == 0);
        free(p);
        bn_bitlinear_free(bl);
    }
    bl = NULL;
    CHECK_OK(bn_bitlinear_new_from_ternary(ctx, w, n, k, sc, 0, &bl));
    if (bl) {
        float one = 0.0f;
        CHECK_OK(bn_bitlinear_to_ternary(bl, back, &one));
        CHECK(one == sc[0]);
        CHECK(!bn_bitlinear_per_row(bl));
        bn_bitlinear_free(bl);
    }
    free(w);
    free(back);
    bn_ctx_free(ctx);
}

int main(void) {
    test_hand_tile();
    test_padding();
    test_round_trip();
    test_object();
    return bt_summary("test_bitlinear_layout");
}
