/* The BitNet model against transformers' logits (tests/data/models): one
 * forward pass, chunked prefill, token by token through the KV cache, the
 * greedy continuation; sampling; load errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/model.h"
#include <jansson.h>
#include "test_util.h"

#define TOL 1e-3

typedef struct refdata {
    int32_t ids[256];
    int64_t n_prompt, n_greedy, T, V;
} refdata;

static int load_ref(const char *dir, refdata *r) {
    char p[1024];
    snprintf(p, sizeof p, "%s/reference.json", dir);
    FILE *f = fopen(p, "rb");
    if (!f) return 0;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    json_t *root = json_loadb(buf, n, 0, NULL);
    if (!root) return 0;
    const json_t *pi = json_object_get(root, "prompt_ids"), *gi = json_object_get(root, "greedy_ids");
    const json_t *shape = json_object_get(json_object_get(json_object_get(root, "logits"), "master"), "shape");
    size_t np = json_array_size(pi), ng = json_array_size(gi);
    if (np + ng > sizeof r->ids / sizeof r->ids[0] || json_array_size(shape) != 2) {
        json_decref(root);
        return 0;
    }
    r->n_prompt = (int64_t)np;
    r->n_greedy = (int64_t)ng;
    for (size_t i = 0; i < np; i++) r->ids[i] = (int32_t)json_integer_value(json_array_get(pi, i));
    for (size_t i = 0; i < ng; i++) r->ids[np + i] = (int32_t)json_integer_value(json_array_get(gi, i));
    r->T = (int64_t)json_integer_value(json_array_get(shape, 0));
    r->V = (int64_t)json_integer_value(json_array_get(shape, 1));
    json_decref(root);
    return r->T == r->n_prompt + r->n_greedy;
}

static float *load_logits(const char *dir, const char *variant, int64_t count) {
    char p[1024];
    snprintf(p, sizeof p, "%s/logits_%s.f32", dir, variant);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    float *x = malloc((size_t)count * sizeof(float));
    size_t got = fread(x, sizeof(float), (size_t)count, f);
    fclose(f);
    if ((int64_t)got != count) { free(x); return NULL; }
    return x;
}

/* max|a-b| / max|ref| over rows [r0, r1) */
static double rel_err(const float *a, const float *ref, int64_t rows, int64_t V) {
    double md = 0, mr = 0;
    for (int64_t i = 0; i < rows * V; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        if (d > md || d != d) md = d != d ? INFINITY : d;
        if (fabs((double)ref[i]) > mr) mr = fabs((double)ref[i]);
    }
    return md / mr;
}

static int32_t argmax(const float *x, int64_t n) {
    int32_t b = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = (int32_t)i;
    return b;
}

static void check_model(bn_ctx *ctx, const char *name, const char *variant) {
    char dir[512], mdir[600];
    snprintf(dir, sizeof dir, "%s/models/%s", BITNET_TEST_DATA_DIR, name);
    snprintf(mdir, sizeof mdir, "%s/%s", dir, variant);
    refdata r;
    CHECK(load_ref(dir, &r));
    float *want = load_logits(dir, variant, r.T * r.V);
    CHECK(want != NULL);
    if (!want) return;
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(ctx, mdir, NULL, &m));
    if (!m) { free(want); return; }
    CHECK(bn_model_vocab_size(m) == r.V);
    int64_t T = r.T, V = r.V;
    float *got = malloc((size_t)(T * V) * sizeof(float));
    /* one forward pass */
    CHECK_OK(bn_model_forward(m, r.ids, T, got, 1));
    double e_one = rel_err(got, want, T, V);
    CHECK(e_one <= TOL);
    /* token by token through the KV cache */
    bn_model_reset(m);
    for (int64_t t = 0; t < T; t++) CHECK_OK(bn_model_forward(m, &r.ids[t], 1, got + t * V, 0));
    double e_tok = rel_err(got, want, T, V);
    CHECK(e_tok <= TOL);
    /* prompt, then the rest in uneven chunks */
    bn_model_reset(m);
    CHECK_OK(bn_model_forward(m, r.ids, r.n_prompt, got, 1));
    CHECK_OK(bn_model_forward(m, r.ids + r.n_prompt, 3, got + r.n_prompt * V, 1));
    CHECK_OK(bn_model_forward(m, r.ids + r.n_prompt + 3, T - r.n_prompt - 3, got + (r.n_prompt + 3) * V, 1));
    double e_chunk = rel_err(got, want, T, V);
    CHECK(e_chunk <= TOL);
    CHECK(bn_model_position(m) == T);
    printf("%s/%s: T=%lld max|d|/max|logit|: one pass %.3g, token by token %.3g, chunks %.3g\n", name, variant,
           (long long)T, e_one, e_tok, e_chunk);
    /* greedy continuation (master is what the reference generated with) */
    if (strcmp(variant, "master") == 0) {
        bn_model_reset(m);
        float *lg = malloc((size_t)V * sizeof(float));
        CHECK_OK(bn_model_forward(m, r.ids, r.n_prompt, lg, 0));
        int same = 1;
        for (int64_t g = 0; g < r.n_greedy; g++) {
            int32_t t = argmax(lg, V);
            if (t != r.ids[r.n_prompt + g]) same = 0;
            if (g + 1 < r.n_greedy) CHECK_OK(bn_model_forward(m, &t, 1, lg, 0));
        }
        CHECK(same);
        free(lg);
        /* bn_model_generate, greedy: same ids, stopping after an EOS */
        int32_t out[256];
        int64_t n_out = 0;
        CHECK_OK(bn_model_generate(m, r.ids, r.n_prompt, r.n_greedy, NULL, NULL, NULL, out, &n_out));
        int64_t expect = r.n_greedy;
        for (int64_t g = 0; g < r.n_greedy; g++)
            if (r.ids[r.n_prompt + g] == 2) { expect = g + 1; break; }
        CHECK(n_out == expect);
        CHECK(memcmp(out, r.ids + r.n_prompt, (size_t)expect * sizeof(int32_t)) == 0);
        /* sampling: same seed, same ids; top_k 1 is greedy */
        bn_sampler_params sp;
        bn_sampler_params_default(&sp);
        sp.temperature = 0.8f; sp.top_k = 40; sp.top_p = 0.9f; sp.repetition_penalty = 1.1f; sp.seed = 42;
        int32_t a[16], b[16];
        int64_t na = 0, nb = 0;
        CHECK_OK(bn_model_generate(m, r.ids, r.n_prompt, 16, &sp, NULL, NULL, a, &na));
        CHECK_OK(bn_model_generate(m, r.ids, r.n_prompt, 16, &sp, NULL, NULL, b, &nb));
        CHECK(na == nb && memcmp(a, b, (size_t)na * sizeof(int32_t)) == 0);
        for (int64_t i = 0; i < na; i++) CHECK(a[i] >= 0 && a[i] < V);
        sp.top_k = 1;
        CHECK_OK(bn_model_generate(m, r.ids, r.n_prompt, r.n_greedy, &sp, NULL, NULL, a, &na));
        CHECK(na >= 1 && a[0] == r.ids[r.n_prompt]);
    }
    /* errors leave the cache as it was */
    bn_model_reset(m);
    int32_t bad = (int32_t)V;
    CHECK_ERR(bn_model_forward(m, &bad, 1, got, 0), BN_ERR_OUT_OF_RANGE, "outside the vocabulary");
    CHECK(bn_model_position(m) == 0);
    free(got);
    free(want);
    bn_model_free(m);
}

static void check_errors(bn_ctx *ctx) {
    bn_model *m = NULL;
    CHECK_ERR(bn_model_load(ctx, "/nonexistent/model", NULL, &m), BN_ERR_IO, "/nonexistent/model");
    CHECK(m == NULL);
    /* a small cache: overflow is an error, nothing appended */
    char mdir[512];
    snprintf(mdir, sizeof mdir, "%s/models/bitnet-tiny/packed", BITNET_TEST_DATA_DIR);
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 8;
    o.max_batch = 3;
    CHECK_OK(bn_model_load(ctx, mdir, &o, &m));
    if (!m) return;
    int32_t ids[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float *lg = malloc(512 * sizeof(float));
    CHECK_OK(bn_model_forward(m, ids, 7, lg, 0));
    CHECK_ERR(bn_model_forward(m, ids, 2, lg, 0), BN_ERR_OUT_OF_RANGE, "KV cache");
    CHECK(bn_model_position(m) == 7);
    CHECK_OK(bn_model_forward(m, ids, 1, lg, 0));
    free(lg);
    bn_model_free(m);
    m = NULL;
    /* a config that disagrees with the weights */
    char tmp[] = "/tmp/bn_test_model_XXXXXX";
    if (!mkdtemp(tmp)) return;
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "cp '%s/model.safetensors' '%s/' && sed 's/\"hidden_size\": 128/\"hidden_size\": 64/' '%s/config.json' > "
             "'%s/config.json'",
             mdir, tmp, mdir, tmp);
    CHECK(system(cmd) == 0);
    CHECK_ERR(bn_model_load(ctx, tmp, NULL, &m), BN_ERR_FORMAT, "model.embed_tokens.weight");
    snprintf(cmd, sizeof cmd, "sed 's/\"num_hidden_layers\": 2/\"num_hidden_layers\": 1/' '%s/config.json' > '%s/config.json'",
             mdir, tmp);
    CHECK(system(cmd) == 0);
    CHECK_ERR(bn_model_load(ctx, tmp, NULL, &m), BN_ERR_FORMAT, "num_hidden_layers");
    snprintf(cmd, sizeof cmd, "sed 's/\"offline\"/\"online\"/' '%s/config.json' > '%s/config.json'", mdir, tmp);
    CHECK(system(cmd) == 0);
    CHECK_ERR(bn_model_load(ctx, tmp, NULL, &m), BN_ERR_FORMAT, "packed");
    /* a missing key, and more layers than the file holds (a missing tensor) */
    snprintf(cmd, sizeof cmd, "grep -v '\"num_attention_heads\"' '%s/config.json' > '%s/config.json'", mdir, tmp);
    CHECK(system(cmd) == 0);
    CHECK_ERR(bn_model_load(ctx, tmp, NULL, &m), BN_ERR_FORMAT, "num_attention_heads");
    snprintf(cmd, sizeof cmd, "sed 's/\"num_hidden_layers\": 2/\"num_hidden_layers\": 3/' '%s/config.json' > '%s/config.json'",
             mdir, tmp);
    CHECK(system(cmd) == 0);
    CHECK_ERR(bn_model_load(ctx, tmp, NULL, &m), BN_ERR_FORMAT, "model.layers.2.");
    CHECK(m == NULL);
    /* GGUF: truncated, and a required key renamed (same length) */
    char gguf[512];
    snprintf(gguf, sizeof gguf, "%s/models/gguf/bitnet-tiny-packed-i2_s.gguf", BITNET_TEST_DATA_DIR);
    snprintf(cmd, sizeof cmd, "head -c 100000 '%s' > '%s/t.gguf'", gguf, tmp);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/t.gguf", tmp);
    CHECK_ERR(bn_model_load(ctx, cmd, NULL, &m), BN_ERR_FORMAT, "t.gguf");
    CHECK(m == NULL);
    snprintf(cmd, sizeof cmd, "perl -0777 -pe 's/block_count/block_xount/' '%s' > '%s/k.gguf'", gguf, tmp);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/k.gguf", tmp);
    CHECK_ERR(bn_model_load(ctx, cmd, NULL, &m), BN_ERR_FORMAT, "block_count");
    CHECK(m == NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
}

/* The same packed model as `bitlinear` (y = (x_q.w) / weight_scale): the
 * scales stored as their reciprocals (f32) must give the same logits. */
static void check_bitlinear_class(bn_ctx *ctx) {
    char src[512], dir[] = "/tmp/bn_test_bl_XXXXXX";
    snprintf(src, sizeof src, "%s/models/bitnet-tiny/packed", BITNET_TEST_DATA_DIR);
    if (!mkdtemp(dir)) return;
    bn_safetensors *st = NULL;
    CHECK_OK(bn_safetensors_open(src, &st));
    if (!st) return;
    size_t n = bn_safetensors_count(st);
    char *hdr = malloc(1 << 16);
    size_t hl = 0, off = 0;
    hl += (size_t)sprintf(hdr + hl, "{");
    for (size_t i = 0; i < n; i++) {
        bn_st_tensor t;
        CHECK_OK(bn_safetensors_get(st, i, &t));
        int scale = strstr(t.name, "weight_scale") != NULL;
        const char *dt = scale ? "F32" : bn_safetensors_dtype_name(t.dtype);
        size_t nb = scale ? 4 : t.nbytes;
        hl += (size_t)sprintf(hdr + hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t.name, dt);
        for (int d = 0; d < t.ndim; d++) hl += (size_t)sprintf(hdr + hl, "%s%lld", d ? "," : "", (long long)t.shape[d]);
        hl += (size_t)sprintf(hdr + hl, "],\"data_offsets\":[%zu,%zu]}", off, off + nb);
        off += nb;
    }
    hl += (size_t)sprintf(hdr + hl, "}");
    char p[600];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    FILE *f = fopen(p, "wb");
    uint64_t h64 = hl;
    fwrite(&h64, 8, 1, f);
    fwrite(hdr, 1, hl, f);
    for (size_t i = 0; i < n; i++) {
        bn_st_tensor t;
        CHECK_OK(bn_safetensors_get(st, i, &t));
        if (strstr(t.name, "weight_scale")) {
            float w;
            CHECK_OK(bn_st_tensor_to_f32(&t, &w, 1));
            float r = 1.0f / w;
            fwrite(&r, 4, 1, f);
        } else {
            fwrite(t.data, 1, t.nbytes, f);
        }
    }
    fclose(f);
    free(hdr);
    bn_safetensors_close(st);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "sed 's/\"autobitlinear\"/\"bitlinear\"/' '%s/config.json' > '%s/config.json'", src, dir);
    CHECK(system(cmd) == 0);
    char rdir[512];
    snprintf(rdir, sizeof rdir, "%s/models/bitnet-tiny", BITNET_TEST_DATA_DIR);
    refdata r;
    CHECK(load_ref(rdir, &r));
    float *want = load_logits(rdir, "packed", r.T * r.V);
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(ctx, dir, NULL, &m));
    if (m && want) {
        CHECK(bn_model_config(m)->linear_kind == BN_LINEAR_BITLINEAR);
        float *got = malloc((size_t)(r.T * r.V) * sizeof(float));
        CHECK_OK(bn_model_forward(m, r.ids, r.T, got, 1));
        double e = rel_err(got, want, r.T, r.V);
        CHECK(e <= TOL);
        printf("bitnet-tiny/packed as linear_class bitlinear: max|d|/max|logit| %.3g\n", e);
        free(got);
    }
    bn_model_free(m);
    free(want);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* The same model through GGUF (I2_S, f32 floats, written by bitnet convert). */
/* A GGUF written by `bitnet convert` from a model's packed directory must
 * give transformers' packed logits (converter and loader checked together). */
static void check_gguf_file(bn_ctx *ctx, const char *file, const char *model) {
    char path[512], rdir[512];
    snprintf(path, sizeof path, "%s/models/gguf/%s", BITNET_TEST_DATA_DIR, file);
    snprintf(rdir, sizeof rdir, "%s/models/%s", BITNET_TEST_DATA_DIR, model);
    refdata r;
    CHECK(load_ref(rdir, &r));
    float *want = load_logits(rdir, "packed", r.T * r.V);
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(ctx, path, NULL, &m));
    if (m && want) {
        CHECK(bn_model_vocab_size(m) == r.V);
        float *got = malloc((size_t)(r.T * r.V) * sizeof(float));
        CHECK_OK(bn_model_forward(m, r.ids, r.T, got, 1));
        double e1 = rel_err(got, want, r.T, r.V);
        bn_model_reset(m);
        for (int64_t t = 0; t < r.T; t++) CHECK_OK(bn_model_forward(m, &r.ids[t], 1, got + t * r.V, 0));
        double e2 = rel_err(got, want, r.T, r.V);
        CHECK(e1 <= TOL && e2 <= TOL);
        printf("%s/packed through GGUF %s: max|d|/max|logit| one pass %.3g, token by token %.3g\n", model, file, e1, e2);
        free(got);
    }
    bn_model_free(m);
    free(want);
}

static void check_gguf(bn_ctx *ctx) {
    check_gguf_file(ctx, "bitnet-tiny-packed-i2_s.gguf", "bitnet-tiny");
    /* hidden 256, ffn 512: wide enough for ggml's 256-element TQ blocks */
    check_gguf_file(ctx, "bitnet-mha-packed-i2_s.gguf", "bitnet-mha");
    check_gguf_file(ctx, "bitnet-mha-packed-tq2_0.gguf", "bitnet-mha");
    check_gguf_file(ctx, "bitnet-mha-packed-tq1_0.gguf", "bitnet-mha");
    bn_model *m = NULL;
    CHECK_ERR(bn_model_load(ctx, "/nonexistent/x.gguf", NULL, &m), BN_ERR_IO, "x.gguf");
}

/* bn_model_sample on hand-made logits. */
static void check_sampling(bn_ctx *ctx) {
    char mdir[512];
    snprintf(mdir, sizeof mdir, "%s/models/bitnet-tiny/packed", BITNET_TEST_DATA_DIR);
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(ctx, mdir, NULL, &m));
    if (!m) return;
    float lg[512];
    bn_sampler_params p;
    bn_sampler_params_default(&p);
    int32_t t = -1;
#define FILL() do { for (int i = 0; i < 512; i++) lg[i] = (float)(i % 7) * 0.1f; lg[100] = 5.0f; lg[200] = 4.9f; } while (0)
    FILL();
    CHECK_OK(bn_model_sample(m, lg, NULL, 0, &p, &t));
    CHECK(t == 100);
    /* ties go to the lowest id */
    for (int i = 0; i < 512; i++) lg[i] = 1.0f;
    CHECK_OK(bn_model_sample(m, lg, NULL, 0, &p, &t));
    CHECK(t == 0);
    /* the penalty pushes a seen id below the next one */
    FILL();
    int32_t hist[3] = {100, 100, 7};
    p.repetition_penalty = 1.5f;
    CHECK_OK(bn_model_sample(m, lg, hist, 3, &p, &t));
    CHECK(t == 200);
    CHECK_NEAR(lg[100], 5.0f / 1.5f, 1e-6);
    /* top_k 1 and a tiny top_p are greedy even with a temperature */
    p.repetition_penalty = 1.0f;
    p.temperature = 2.0f;
    p.top_k = 1;
    for (int r = 0; r < 5; r++) { FILL(); CHECK_OK(bn_model_sample(m, lg, NULL, 0, &p, &t)); CHECK(t == 100); }
    p.top_k = 0;
    p.top_p = 1e-6f;
    for (int r = 0; r < 5; r++) { FILL(); CHECK_OK(bn_model_sample(m, lg, NULL, 0, &p, &t)); CHECK(t == 100); }
    /* top_k 2: only the two best ids, both drawn over 200 tries */
    p.top_p = 1.0f;
    p.top_k = 2;
    p.temperature = 1.0f;
    int seen100 = 0, seen200 = 0, other = 0;
    bn_ctx_manual_seed(ctx, 7);
    for (int r = 0; r < 200; r++) {
        FILL();
        CHECK_OK(bn_model_sample(m, lg, NULL, 0, &p, &t));
        if (t == 100) seen100++; else if (t == 200) seen200++; else other++;
    }
    CHECK(seen100 > 0 && seen200 > 0 && other == 0);
    /* bad settings */
    p.top_p = 0.0f;
    CHECK_ERR(bn_model_sample(m, lg, NULL, 0, &p, &t), BN_ERR_INVALID_ARGUMENT, "top_p");
#undef FILL
    bn_model_free(m);
}

int main(void) {
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(NULL, &ctx));
    if (!ctx) return bt_summary("test_model");
    /* GQA (8 heads, 2 KV), MQA (5 heads, 1 KV), MHA (4 heads, 4 KV) */
    const char *names[] = {"bitnet-tiny", "bitnet-tiny-mqa", "bitnet-mha"};
    const char *variants[] = {"master", "packed"};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) check_model(ctx, names[i], variants[j]);
    check_bitlinear_class(ctx);
    check_gguf(ctx);
    check_sampling(ctx);
    check_errors(ctx);
    bn_ctx_free(ctx);
    return bt_summary("test_model");
}
