/* Writes the small synthetic seeds of fuzz/corpus/ that tests/data has no
 * file for: BitNet GGUF models with the smallest dimensions each ternary
 * layout allows (I2_S, TQ1_0, TQ2_0; tied and untied output, F16 and F32
 * embeddings) and a safetensors file with one tensor of every dtype.
 *   cc -Iinclude fuzz/tools/make_seeds.c build/libbitnet.a $(pkg-config --libs jansson libpcre2-8) \
 *      -lopenblas -llapacke -lm -lpthread -o make_seeds && ./make_seeds OUTDIR
 * Run once; its output is checked in (fuzz/corpus/gguf_model: *.gguf,
 * fuzz/corpus/gguf: i2s-tied-f16.gguf, fuzz/corpus/safetensors:
 * dtypes.safetensors). The st_model seeds (small-master*) and the other
 * corpora were written with short Python snippets from tests/data files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"

#define ARCH "bitnet-b1.58"
#define TRY(x)                                                                     \
    do {                                                                           \
        bn_status s_ = (x);                                                        \
        if (s_) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, bn_last_error()); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static void *keep[256];
static int nkeep;

static void add_lin(bn_gguf_writer *w, const char *name, int type, bn_quant_format fmt, int64_t n, int64_t k) {
    int8_t *v = malloc((size_t)(n * k));
    for (int64_t i = 0; i < n * k; i++) v[i] = (int8_t)((i * 7 + n) % 3) - 1;
    int64_t count = 0, group = 0;
    TRY(bn_quant_scale_count(fmt, n, k, &count, &group));
    float *sc = malloc((size_t)(count ? count : 1) * sizeof(float));
    for (int64_t i = 0; i < count; i++) sc[i] = 0.5f;
    size_t nb = 0;
    TRY(bn_quant_packed_size(fmt, n, k, &nb));
    void *dst = calloc(1, nb);
    TRY(bn_quant_pack(fmt, n, k, v, sc, group ? group : n * k, dst, nb));
    int64_t dims[2] = {k, n};
    TRY(bn_gguf_writer_add_tensor(w, name, type, 2, dims, dst));
    keep[nkeep++] = dst;
    free(v);
    free(sc);
}

static void add_f(bn_gguf_writer *w, const char *name, int type, int ndim, int64_t d0, int64_t d1) {
    int64_t dims[2] = {d0, d1}, n = d0 * (ndim > 1 ? d1 : 1);
    void *p;
    if (type == BN_GGUF_TENSOR_F32) {
        float *f = malloc((size_t)n * 4);
        for (int64_t i = 0; i < n; i++) f[i] = 1.0f + 0.01f * (float)(i % 13);
        p = f;
    } else {
        uint16_t *h = malloc((size_t)n * 2);
        for (int64_t i = 0; i < n; i++) h[i] = 0x3c00 + (uint16_t)(i % 13);
        p = h;
    }
    TRY(bn_gguf_writer_add_tensor(w, name, type, ndim, dims, p));
    keep[nkeep++] = p;
}

static void model(const char *path, int type, bn_quant_format fmt, int64_t H, int64_t I, int64_t NH, int64_t NKV, int64_t V,
                  int untied, int emb_type) {
    bn_gguf_writer *w = NULL;
    TRY(bn_gguf_writer_new(&w));
    int64_t HD = H / NH;
    TRY(bn_gguf_writer_add_str(w, "general.architecture", ARCH, strlen(ARCH)));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".vocab_size", (uint32_t)V));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".context_length", 16));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".embedding_length", (uint32_t)H));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".block_count", 1));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".feed_forward_length", (uint32_t)I));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".attention.head_count", (uint32_t)NH));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".attention.head_count_kv", (uint32_t)NKV));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".rope.dimension_count", (uint32_t)HD));
    TRY(bn_gguf_writer_add_f32(w, ARCH ".rope.freq_base", 10000.0f));
    TRY(bn_gguf_writer_add_f32(w, ARCH ".attention.layer_norm_rms_epsilon", 1e-5f));
    TRY(bn_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 1));
    TRY(bn_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2));
    add_f(w, "token_embd.weight", emb_type, 2, H, V);
    add_f(w, "output_norm.weight", BN_GGUF_TENSOR_F32, 1, H, 1);
    if (untied) add_f(w, "output.weight", emb_type, 2, H, V);
    add_lin(w, "blk.0.attn_q.weight", type, fmt, NH * HD, H);
    add_lin(w, "blk.0.attn_k.weight", type, fmt, NKV * HD, H);
    add_lin(w, "blk.0.attn_v.weight", type, fmt, NKV * HD, H);
    add_lin(w, "blk.0.attn_output.weight", type, fmt, H, NH * HD);
    add_lin(w, "blk.0.ffn_gate.weight", type, fmt, I, H);
    add_lin(w, "blk.0.ffn_up.weight", type, fmt, I, H);
    add_lin(w, "blk.0.ffn_down.weight", type, fmt, H, I);
    add_f(w, "blk.0.attn_norm.weight", BN_GGUF_TENSOR_F32, 1, H, 1);
    add_f(w, "blk.0.attn_sub_norm.weight", BN_GGUF_TENSOR_F32, 1, NH * HD, 1);
    add_f(w, "blk.0.ffn_norm.weight", BN_GGUF_TENSOR_F32, 1, H, 1);
    add_f(w, "blk.0.ffn_sub_norm.weight", BN_GGUF_TENSOR_F32, 1, I, 1);
    TRY(bn_gguf_writer_write_file(w, path, NULL, NULL, NULL));
    bn_gguf_writer_free(w);
    for (int i = 0; i < nkeep; i++) free(keep[i]);
    nkeep = 0;
    /* it loads and runs */
    bn_ctx *ctx = NULL;
    TRY(bn_ctx_new(NULL, &ctx));
    bn_model *m = NULL;
    TRY(bn_model_load(ctx, path, NULL, &m));
    float *logits = malloc((size_t)V * 4);
    int32_t t[2] = {0, (int32_t)V - 1};
    TRY(bn_model_forward(m, t, 2, logits, 0));
    free(logits);
    bn_model_free(m);
    bn_ctx_free(ctx);
    printf("%s\n", path);
}

static void safetensors(const char *path) {
    static const char *const dt[] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"};
    static const int sz[] = {8, 4, 2, 2, 8, 4, 2, 1, 8, 4, 2, 1, 1};
    char hdr[4096];
    size_t off = 0, hl = 0;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < 13; i++) {
        size_t nb = (size_t)(2 * 3 * sz[i]);
        hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, ",\"t.%s\":{\"dtype\":\"%s\",\"shape\":[2,3],\"data_offsets\":[%zu,%zu]}",
                               dt[i], dt[i], off, off + nb);
        off += nb;
    }
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, ",\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[%zu,%zu]}", off, off + 4);
    off += 4;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, ",\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[%zu,%zu]}}", off, off);
    while (hl % 8) hdr[hl++] = ' ';
    FILE *f = fopen(path, "wb");
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(hdr, 1, hl, f);
    for (size_t i = 0; i < off; i++) fputc((int)(i % 7 == 0 ? 0x3f : i % 5), f);
    fclose(f);
    bn_safetensors *st = NULL;
    TRY(bn_safetensors_open(path, &st));
    bn_safetensors_close(st);
    printf("%s\n", path);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char p[1024];
    snprintf(p, sizeof p, "%s/i2s-tied-f16.gguf", argv[1]);
    model(p, BN_GGUF_TENSOR_I2_S, BN_QUANT_I2_S, 128, 128, 2, 1, 8, 0, BN_GGUF_TENSOR_F16);
    snprintf(p, sizeof p, "%s/i2s-untied-f32.gguf", argv[1]);
    model(p, BN_GGUF_TENSOR_I2_S, BN_QUANT_I2_S, 128, 256, 4, 2, 4, 1, BN_GGUF_TENSOR_F32);
    snprintf(p, sizeof p, "%s/tq1.gguf", argv[1]);
    model(p, BN_GGUF_TENSOR_TQ1_0, BN_QUANT_TQ1_0, 256, 256, 2, 2, 4, 0, BN_GGUF_TENSOR_F16);
    snprintf(p, sizeof p, "%s/tq2.gguf", argv[1]);
    model(p, BN_GGUF_TENSOR_TQ2_0, BN_QUANT_TQ2_0, 256, 256, 2, 1, 4, 1, BN_GGUF_TENSOR_F16);
    snprintf(p, sizeof p, "%s/dtypes.safetensors", argv[1]);
    safetensors(p);
    return 0;
}
