/* bn_model_load: Hugging Face BitNet directories (master or packed). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bitnet/quant.h"
#include "core/alloc.h"
#include "core/error.h"
#include "model/model_internal.h"

#define FN "bn_model_load"

void bn_model_options_default(bn_model_options *o) {
    if (!o) return;
    o->max_seq = 0;
    o->max_batch = 0;
    o->progress = NULL;
    o->progress_user = NULL;
}

/* A floating tensor of exactly the given shape, as a new f32 array. */
static bn_status load_f32(const bn_safetensors *st, const char *name, int ndim, const int64_t *shape, float **out) {
    bn_st_tensor t;
    bn_status s = bn_safetensors_find(st, name, &t);
    if (s != BN_OK) return bni_error(BN_ERR_FORMAT, FN ": missing tensor '%s'", name);
    int ok = t.ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t.shape[d] == shape[d];
    if (!ok) {
        char want[96], got[96];
        bni_format_shape(want, sizeof want, ndim, shape);
        bni_format_shape(got, sizeof got, t.ndim, t.shape);
        return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' in '%s' has shape %s, the config needs %s", name, t.file, got, want);
    }
    float *f = bni_malloc((size_t)t.numel * sizeof(float) + 1);
    if (!f) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", name);
    s = bn_st_tensor_to_f32(&t, f, (size_t)t.numel);
    if (s != BN_OK) {
        bni_free(f);
        return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' in '%s' has dtype %s, a floating type is needed", name, t.file,
                         bn_safetensors_dtype_name(t.dtype) ? bn_safetensors_dtype_name(t.dtype) : "?");
    }
    for (int64_t i = 0; i < t.numel; i++)
        if (!isfinite(f[i])) {
            bni_free(f);
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' in '%s' has a non-finite value at %lld", name, t.file,
                             (long long)i);
        }
    *out = f;
    return BN_OK;
}

/* A [V, H] matrix: kept as bf16 when stored so, else converted to f32. */
static bn_status load_matrix(const bn_safetensors *st, const char *name, const int64_t *shape, float **f32,
                             uint16_t **bf16) {
    bn_st_tensor t;
    if (bn_safetensors_find(st, name, &t) != BN_OK) return bni_error(BN_ERR_FORMAT, FN ": missing tensor '%s'", name);
    if (t.dtype != BN_DTYPE_BF16) return load_f32(st, name, 2, shape, f32);
    if (t.ndim != 2 || t.shape[0] != shape[0] || t.shape[1] != shape[1]) return load_f32(st, name, 2, shape, f32);
    uint16_t *b = bni_malloc(t.nbytes + 64);
    if (!b) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", name);
    memcpy(b, t.data, t.nbytes);
    for (int64_t i = 0; i < t.numel; i++)
        if ((b[i] & 0x7f80u) == 0x7f80u) {
            bni_free(b);
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' in '%s' has a non-finite value at %lld", name, t.file,
                             (long long)i);
        }
    *bf16 = b;
    return BN_OK;
}

static bn_status load_linear(bn_model *m, const bn_safetensors *st, const char *prefix, int64_t n, int64_t k,
                             bn_bitlinear **out) {
    char name[256], sname[256];
    snprintf(name, sizeof name, "%s.weight", prefix);
    snprintf(sname, sizeof sname, "%s.weight_scale", prefix);
    bn_st_tensor t;
    if (bn_safetensors_find(st, name, &t) != BN_OK) return bni_error(BN_ERR_FORMAT, FN ": missing tensor '%s'", name);
    bn_status s;
    if (t.dtype == BN_DTYPE_U8) {
        int64_t rows = (n + 3) / 4;
        if (t.ndim != 2 || t.shape[0] != rows || t.shape[1] != k)
            return bni_error(BN_ERR_FORMAT, FN ": packed tensor '%s' in '%s' must be u8 [%lld, %lld] for a %lldx%lld layer",
                             name, t.file, (long long)rows, (long long)k, (long long)n, (long long)k);
        if (m->cfg.linear_kind == BN_LINEAR_ONLINE && m->cfg.quantized)
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' is packed but config.json says quantization_mode online", name);
        bn_st_tensor ts;
        if (bn_safetensors_find(st, sname, &ts) != BN_OK)
            return bni_error(BN_ERR_FORMAT, FN ": missing tensor '%s' (packed weights need their scale)", sname);
        float scale;
        if (ts.numel != 1 || bn_st_tensor_to_f32(&ts, &scale, 1) != BN_OK)
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' in '%s' must be one floating value", sname, ts.file);
        if (!isfinite(scale) || scale <= 0)
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' = %g is not a positive scale", sname, (double)scale);
        if (m->cfg.linear_kind == BN_LINEAR_BITLINEAR) scale = 1.0f / scale;
        int8_t *vals = bni_malloc((size_t)(rows * 4) * (size_t)k);
        if (!vals) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", name);
        s = bn_quant_unpack(BN_QUANT_HF, n, k, t.data, t.nbytes, vals, NULL);
        if (s != BN_OK) {
            bni_free(vals);
            return bni_error(s, FN ": tensor '%s' in '%s': %s", name, t.file, bn_last_error());
        }
        s = bn_bitlinear_new_from_ternary(m->ctx, vals, n, k, &scale, 0, out);
        bni_free(vals);
    } else {
        float *w = NULL;
        int64_t shape[2] = {n, k};
        s = load_f32(st, name, 2, shape, &w);
        if (s != BN_OK) return s;
        if (m->cfg.quantized && m->cfg.linear_kind != BN_LINEAR_ONLINE) {
            bni_free(w);
            return bni_error(BN_ERR_FORMAT, FN ": tensor '%s' holds master weights but config.json says packed (offline)",
                             name);
        }
        s = bn_bitlinear_new_from_f32(m->ctx, w, n, k, 0, out);
        bni_free(w);
    }
    if (s != BN_OK) return s;
    s = bn_bitlinear_reserve(*out, m->max_batch);
    return s;
}

void bn_model_free(bn_model *m) {
    if (!m) return;
    if (m->layers) {
        for (int64_t l = 0; l < m->L; l++) {
            bn_layer *y = &m->layers[l];
            bn_bitlinear_free(y->q); bn_bitlinear_free(y->k); bn_bitlinear_free(y->v); bn_bitlinear_free(y->o);
            bn_bitlinear_free(y->gate); bn_bitlinear_free(y->up); bn_bitlinear_free(y->down);
            bni_free(y->in_norm); bni_free(y->attn_sub); bni_free(y->post_norm); bni_free(y->ffn_sub);
        }
    }
    if (m->lm_head != m->embed) bni_free(m->lm_head);
    if (m->head16 != m->embed16) bni_free(m->head16);
    bni_free(m->embed);
    bni_free(m->embed16);
    bni_free(m->norm);
    bni_free(m->layers);
    bni_free(m->rope_cos); bni_free(m->rope_sin);
    bni_free(m->kc); bni_free(m->vc);
    bni_free(m->x); bni_free(m->xn); bni_free(m->q); bni_free(m->k); bni_free(m->v); bni_free(m->att);
    bni_free(m->tmp); bni_free(m->gate); bni_free(m->up); bni_free(m->qx); bni_free(m->qs); bni_free(m->scores);
    bni_free(m->probs); bni_free(m->pairs); bni_free(m->logits); bni_free(m->hist);
    bni_free(m);
}

void *bni_model_alloc(int64_t a, int64_t b, size_t el, int *ok) {
    size_t n;
    if (!bni_mul_size((size_t)a, (size_t)b, &n) || !bni_mul_size(n, el, &n)) { *ok = 0; return NULL; }
    void *p = bni_calloc(1, n + 64);
    if (!p) *ok = 0;
    return p;
}

bn_status bni_model_alloc_buffers(bn_model *m) {
    int64_t H = m->H, V = m->V;
    /* buffers */
    int ok = 1;
    int64_t B = m->max_batch, W = H > m->I ? H : m->I;
    if (W < m->QD) W = m->QD;
    int64_t half = m->HD / 2;
    m->rope_cos = bni_model_alloc(m->max_seq, half, 4, &ok);
    m->rope_sin = bni_model_alloc(m->max_seq, half, 4, &ok);
    m->kc = bni_model_alloc(m->L * m->max_seq, m->KVD, 4, &ok);
    m->vc = bni_model_alloc(m->L * m->max_seq, m->KVD, 4, &ok);
    m->x = bni_model_alloc(B, H, 4, &ok);
    m->xn = bni_model_alloc(B, W, 4, &ok);
    m->q = bni_model_alloc(B, m->QD, 4, &ok);
    m->k = bni_model_alloc(B, m->KVD, 4, &ok);
    m->v = bni_model_alloc(B, m->KVD, 4, &ok);
    m->att = bni_model_alloc(B, m->QD, 4, &ok);
    m->tmp = bni_model_alloc(B, H, 4, &ok);
    m->gate = bni_model_alloc(B, m->I, 4, &ok);
    m->up = bni_model_alloc(B, m->I, 4, &ok);
    m->qx = bni_model_alloc(B, W, 1, &ok);
    m->qs = bni_model_alloc(B, 1, 4, &ok);
    m->nthreads = bn_ctx_num_threads(m->ctx);
    if (m->nthreads < 1) m->nthreads = 1;
    m->scores = bni_model_alloc(m->nthreads, m->max_seq, 4, &ok);
    m->probs = bni_model_alloc(V, 1, 4, &ok);
    m->pairs = bni_model_alloc(V, 1, sizeof(bn_logit_pair), &ok);
    m->logits = bni_model_alloc(V, 1, 4, &ok);
    m->hist = bni_model_alloc(m->max_seq + 1, 1, 4, &ok);
    if (!ok) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for the buffers (max_seq %lld, max_batch %lld)",
                              (long long)m->max_seq, (long long)B);
    /* transformers' default RoPE table, in f32 (as src/ops/rope.c) */
    for (int64_t i = 0; i < half; i++) {
        float e = (float)(2 * i) / (float)m->HD;
        float inv = 1.0f / (float)pow((double)(float)m->cfg.rope_theta, (double)e);
        for (int64_t p = 0; p < m->max_seq; p++) {
            float a = (float)p * inv;
            m->rope_cos[p * half + i] = (float)cos((double)a);
            m->rope_sin[p * half + i] = (float)sin((double)a);
        }
    }
    return BN_OK;
}

static bn_status load_impl(bn_model *m, const char *path, const bn_safetensors *st, const bn_model_options *o) {
    bn_status s;
    char name[256];
    int64_t H = m->H, V = m->V;
    int64_t shV[2] = {V, H}, shH[1] = {H}, shQ[1] = {m->QD}, shI[1] = {m->I};
    if ((s = load_matrix(st, "model.embed_tokens.weight", shV, &m->embed, &m->embed16))) return s;
    if ((s = load_f32(st, "model.norm.weight", 1, shH, &m->norm))) return s;
    if (m->cfg.tie_word_embeddings) {
        m->lm_head = m->embed;
        m->head16 = m->embed16;
    } else {
        if (!bn_safetensors_has(st, "lm_head.weight"))
            return bni_error(BN_ERR_FORMAT, FN ": '%s': tie_word_embeddings is false but there is no tensor 'lm_head.weight'",
                             path);
        if ((s = load_matrix(st, "lm_head.weight", shV, &m->lm_head, &m->head16))) return s;
    }
    /* 11 tensors per layer at least: a count the file cannot hold is refused
     * before it sizes an allocation (fuzz/regressions/st_model) */
    if ((uint64_t)m->L > bn_safetensors_count(st) / 11)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': num_hidden_layers = %lld but the checkpoint has only %zu tensors", path,
                         (long long)m->L, bn_safetensors_count(st));
    m->layers = bni_calloc((size_t)m->L, sizeof(bn_layer));
    if (!m->layers) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": out of memory");
    for (int64_t l = 0; l < m->L; l++) {
        bn_layer *y = &m->layers[l];
        char p[200];
#define LIN(field, sub, n, k)                                                   \
    snprintf(p, sizeof p, "model.layers.%lld.%s", (long long)l, sub);          \
    if ((s = load_linear(m, st, p, n, k, &y->field))) return s;
#define NORM(field, sub, shape)                                                 \
    snprintf(name, sizeof name, "model.layers.%lld.%s", (long long)l, sub);    \
    if ((s = load_f32(st, name, 1, shape, &y->field))) return s;
        LIN(q, "self_attn.q_proj", m->QD, H)
        LIN(k, "self_attn.k_proj", m->KVD, H)
        LIN(v, "self_attn.v_proj", m->KVD, H)
        LIN(o, "self_attn.o_proj", H, m->QD)
        LIN(gate, "mlp.gate_proj", m->I, H)
        LIN(up, "mlp.up_proj", m->I, H)
        LIN(down, "mlp.down_proj", H, m->I)
        NORM(in_norm, "input_layernorm.weight", shH)
        NORM(post_norm, "post_attention_layernorm.weight", shH)
        NORM(attn_sub, "self_attn.attn_sub_norm.weight", shQ)
        NORM(ffn_sub, "mlp.ffn_sub_norm.weight", shI)
        if (o->progress) o->progress(o->progress_user, l + 1, m->L);
#undef LIN
#undef NORM
    }
    snprintf(name, sizeof name, "model.layers.%lld.input_layernorm.weight", (long long)m->L);
    if (bn_safetensors_has(st, name))
        return bni_error(BN_ERR_FORMAT, FN ": '%s' has tensor '%s' but config.json says num_hidden_layers = %lld", path, name,
                         (long long)m->L);
    return bni_model_alloc_buffers(m);
}


void bni_model_init_dims(bn_model *m, const bn_model_options *o) {
    bn_bitnet_config *c = &m->cfg;
    m->H = c->hidden_size; m->I = c->intermediate_size; m->NH = c->num_attention_heads; m->NKV = c->num_key_value_heads;
    m->HD = c->head_dim; m->V = c->vocab_size; m->L = c->num_hidden_layers;
    m->QD = m->NH * m->HD; m->KVD = m->NKV * m->HD;
    m->max_seq = o->max_seq ? o->max_seq : (c->max_position_embeddings > 0 && c->max_position_embeddings < 4096
                                              ? c->max_position_embeddings : 4096);
    m->max_batch = o->max_batch ? o->max_batch : 64;
    if (m->max_batch > m->max_seq) m->max_batch = m->max_seq;
}

bn_status bn_model_load(bn_ctx *ctx, const char *path, const bn_model_options *options, bn_model **out) {
    BNI_CHECK_NULL(FN, ctx);
    BNI_CHECK_NULL(FN, path);
    BNI_CHECK_NULL(FN, out);
    bn_model_options o;
    bn_model_options_default(&o);
    if (options) o = *options;
    if (o.max_seq < 0 || o.max_batch < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, FN ": max_seq %lld / max_batch %lld negative", (long long)o.max_seq,
                         (long long)o.max_batch);
    bn_model *m = bni_calloc(1, sizeof(*m));
    if (!m) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": out of memory");
    m->ctx = ctx;
    size_t plen = strlen(path);
    if (plen > 5 && strcmp(path + plen - 5, ".gguf") == 0) {
        bn_status gs = bni_model_load_gguf(m, path, &o);
        if (gs != BN_OK) { bn_model_free(m); return gs; }
        *out = m;
        return BN_OK;
    }
    bn_status s = bn_bitnet_config_load(path, &m->cfg);
    if (s != BN_OK) { bni_free(m); return s; }
    bni_model_init_dims(m, &o);
    bn_safetensors *st = NULL;
    s = bn_safetensors_open(path, &st);
    if (s == BN_OK) s = load_impl(m, path, st, &o);
    bn_safetensors_close(st);
    if (s != BN_OK) { bn_model_free(m); return s; }
    *out = m;
    return BN_OK;
}

const bn_bitnet_config *bn_model_config(const bn_model *m) { return m ? &m->cfg : NULL; }
int64_t bn_model_vocab_size(const bn_model *m) { return m ? m->V : 0; }
int64_t bn_model_max_seq(const bn_model *m) { return m ? m->max_seq : 0; }
int64_t bn_model_position(const bn_model *m) { return m ? m->pos : 0; }
void bn_model_reset(bn_model *m) { if (m) m->pos = 0; }

size_t bn_model_bytes_per_token(const bn_model *m) {
    if (!m) return 0;
    size_t b = 0;
    for (int64_t l = 0; l < m->L; l++) {
        const bn_layer *y = &m->layers[l];
        b += bn_bitlinear_packed_bytes(y->q) + bn_bitlinear_packed_bytes(y->k) + bn_bitlinear_packed_bytes(y->v) +
             bn_bitlinear_packed_bytes(y->o) + bn_bitlinear_packed_bytes(y->gate) + bn_bitlinear_packed_bytes(y->up) +
             bn_bitlinear_packed_bytes(y->down);
    }
    b += (size_t)m->V * (size_t)m->H * (m->head16 ? 2 : 4); /* output layer */
    b += (size_t)m->H * (m->embed16 ? 2 : 4);                /* one embedding row */
    return b;
}

bn_status bn_model_config_preset(const char *name, bn_bitnet_config *out) {
    BNI_CHECK_NULL("bn_model_config_preset", name);
    BNI_CHECK_NULL("bn_model_config_preset", out);
    bn_bitnet_config c;
    memset(&c, 0, sizeof c);
    if (strcmp(name, "2b-4t") == 0) {
        c.vocab_size = 128256; c.hidden_size = 2560; c.intermediate_size = 6912; c.num_hidden_layers = 30;
        c.num_attention_heads = 20; c.num_key_value_heads = 5; c.max_position_embeddings = 4096;
        c.rms_norm_eps = 1e-5; c.rope_theta = 500000.0; c.tie_word_embeddings = 1;
        c.bos_token_id = 128000; c.eos_token_ids[0] = 128001; c.n_eos = 1;
    } else if (strcmp(name, "tiny") == 0) {
        c.vocab_size = 512; c.hidden_size = 128; c.intermediate_size = 384; c.num_hidden_layers = 2;
        c.num_attention_heads = 8; c.num_key_value_heads = 2; c.max_position_embeddings = 256;
        c.rms_norm_eps = 1e-5; c.rope_theta = 500000.0; c.tie_word_embeddings = 1;
        c.bos_token_id = 1; c.eos_token_ids[0] = 2; c.n_eos = 1;
    } else {
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_model_config_preset: unknown preset '%s' (known: 2b-4t, tiny)", name);
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
    c.quantized = 1;
    c.linear_kind = BN_LINEAR_OFFLINE;
    strcpy(c.hidden_act, "relu2");
    *out = c;
    return BN_OK;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bn_status random_linear(bn_model *m, uint64_t *rng, int64_t n, int64_t k, bn_bitlinear **out) {
    int8_t *w = bni_malloc((size_t)n * (size_t)k);
    if (!w) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_model_new_random: no memory for a %lldx%lld layer", (long long)n,
                             (long long)k);
    size_t total = (size_t)n * (size_t)k;
    for (size_t i = 0; i < total; i += 32) {
        uint64_t r = splitmix(rng);
        for (size_t j = 0; j < 32 && i + j < total; j++) w[i + j] = (int8_t)((int)((r >> (2 * j)) & 3) % 3 - 1);
    }
    float scale = 0.02f;
    bn_status s = bn_bitlinear_new_from_ternary(m->ctx, w, n, k, &scale, 0, out);
    bni_free(w);
    if (s == BN_OK) s = bn_bitlinear_reserve(*out, m->max_batch);
    return s;
}

bn_status bn_model_new_random(bn_ctx *ctx, const bn_bitnet_config *cfg, const bn_model_options *options, uint64_t seed,
                              bn_model **out) {
    BNI_CHECK_NULL("bn_model_new_random", ctx);
    BNI_CHECK_NULL("bn_model_new_random", cfg);
    BNI_CHECK_NULL("bn_model_new_random", out);
    if (cfg->vocab_size < 1 || cfg->hidden_size < 1 || cfg->intermediate_size < 1 || cfg->num_hidden_layers < 1 ||
        cfg->num_attention_heads < 1 || cfg->num_key_value_heads < 1 || cfg->head_dim < 2 || cfg->head_dim % 2 ||
        cfg->num_attention_heads % cfg->num_key_value_heads || !(cfg->rms_norm_eps > 0) || !(cfg->rope_theta > 0))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_model_new_random: inconsistent config (hidden %lld, heads %lld/%lld, "
                         "head_dim %lld)", (long long)cfg->hidden_size, (long long)cfg->num_attention_heads,
                         (long long)cfg->num_key_value_heads, (long long)cfg->head_dim);
    bn_model_options o;
    bn_model_options_default(&o);
    if (options) o = *options;
    if (o.max_seq < 0 || o.max_batch < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_model_new_random: negative max_seq or max_batch");
    bn_model *m = bni_calloc(1, sizeof(*m));
    if (!m) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_model_new_random: out of memory");
    m->ctx = ctx;
    m->cfg = *cfg;
    bni_model_init_dims(m, &o);
    uint64_t rng = seed;
    bn_status s = BN_OK;
    int ok = 1;
    m->embed16 = bni_model_alloc(m->V, m->H, 2, &ok);
    m->norm = bni_model_alloc(m->H, 1, 4, &ok);
    m->layers = bni_calloc((size_t)m->L, sizeof(bn_layer));
    if (!ok || !m->layers) s = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_model_new_random: out of memory");
    if (s == BN_OK) {
        for (int64_t i = 0; i < m->V * m->H; i++)
            m->embed16[i] = bn_f32_to_bf16((float)((int64_t)(splitmix(&rng) >> 40) - (1 << 23)) / (float)(1 << 23));
        for (int64_t i = 0; i < m->H; i++) m->norm[i] = 1.0f;
        m->head16 = m->embed16;
    }
    for (int64_t l = 0; s == BN_OK && l < m->L; l++) {
        bn_layer *y = &m->layers[l];
        if ((s = random_linear(m, &rng, m->QD, m->H, &y->q))) break;
        if ((s = random_linear(m, &rng, m->KVD, m->H, &y->k))) break;
        if ((s = random_linear(m, &rng, m->KVD, m->H, &y->v))) break;
        if ((s = random_linear(m, &rng, m->H, m->QD, &y->o))) break;
        if ((s = random_linear(m, &rng, m->I, m->H, &y->gate))) break;
        if ((s = random_linear(m, &rng, m->I, m->H, &y->up))) break;
        if ((s = random_linear(m, &rng, m->H, m->I, &y->down))) break;
        y->in_norm = bni_model_alloc(m->H, 1, 4, &ok);
        y->post_norm = bni_model_alloc(m->H, 1, 4, &ok);
        y->attn_sub = bni_model_alloc(m->QD, 1, 4, &ok);
        y->ffn_sub = bni_model_alloc(m->I, 1, 4, &ok);
        if (!ok) { s = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_model_new_random: out of memory"); break; }
        for (int64_t i = 0; i < m->H; i++) y->in_norm[i] = y->post_norm[i] = 1.0f;
        for (int64_t i = 0; i < m->QD; i++) y->attn_sub[i] = 1.0f;
        for (int64_t i = 0; i < m->I; i++) y->ffn_sub[i] = 1.0f;
    }
    if (s == BN_OK) s = bni_model_alloc_buffers(m);
    if (s != BN_OK) {
        bn_model_free(m);
        return s;
    }
    *out = m;
    return BN_OK;
}
