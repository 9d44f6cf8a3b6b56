/* bn_model_load for GGUF files with architecture bitnet-b1.58 (as `bitnet
 * convert` and bitnet.cpp write them): I2_S, TQ1_0, TQ2_0 ternary layers
 * (unpacked and repacked into the BitLinear layout), F32/F16 elsewhere. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bitnet/gguf.h"
#include "bitnet/quant.h"
#include "core/alloc.h"
#include "core/error.h"
#include "model/model_internal.h"

#define FN "bn_model_load"
#define ARCH "bitnet-b1.58"

static bn_status get_u(const bn_gguf *g, const char *path, const char *key, int required, int64_t *out) {
    int64_t v;
    if (bn_gguf_get_i64(g, key, &v) != BN_OK) {
        if (!required) return BN_OK;
        return bni_error(BN_ERR_FORMAT, FN ": '%s': missing or non-integer key '%s'", path, key);
    }
    if (v < 1 || v > ((int64_t)1 << 40)) return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' = %lld out of range", path, key, (long long)v);
    *out = v;
    return BN_OK;
}

static bn_status find(const bn_gguf *g, const char *path, const char *name, int64_t n_out, int64_t k_in,
                      bn_gguf_tensor_info *t) {
    int64_t i = bn_gguf_find_tensor(g, name);
    if (i < 0) return bni_error(BN_ERR_FORMAT, FN ": '%s': missing tensor '%s'", path, name);
    bn_status s = bn_gguf_tensor_get_info(g, i, t);
    if (s != BN_OK) return s;
    int ok = n_out == 1 ? (t->ndim == 1 && t->dims[0] == k_in) || (t->ndim == 2 && t->dims[0] == k_in && t->dims[1] == 1)
                        : t->ndim == 2 && t->dims[0] == k_in && t->dims[1] == n_out;
    if (!ok)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': tensor '%s' has dims [%lld, %lld] (GGUF order), the config needs [%lld, %lld]",
                         path, name, (long long)t->dims[0], (long long)(t->ndim > 1 ? t->dims[1] : 1), (long long)k_in,
                         (long long)n_out);
    return BN_OK;
}

static bn_status to_f32(const bn_gguf_tensor_info *t, const char *path, float **out) {
    float *f = bni_malloc((size_t)t->numel * sizeof(float) + 64);
    if (!f) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", t->name);
    if (t->type == BN_GGUF_TENSOR_F32) {
        memcpy(f, t->data, (size_t)t->numel * 4);
    } else if (t->type == BN_GGUF_TENSOR_F16) {
        const unsigned char *b = t->data;
        for (int64_t i = 0; i < t->numel; i++) {
            uint16_t h;
            memcpy(&h, b + 2 * i, 2);
            f[i] = bn_f16_to_f32(h);
        }
    } else {
        bni_free(f);
        return bni_error(BN_ERR_FORMAT, FN ": '%s': tensor '%s' has type %s, F32 or F16 is needed", path, t->name,
                         bn_gguf_tensor_type_name(t->type));
    }
    for (int64_t i = 0; i < t->numel; i++)
        if (!isfinite(f[i])) {
            bni_free(f);
            return bni_error(BN_ERR_FORMAT, FN ": '%s': tensor '%s' has a non-finite value at %lld", path, t->name, (long long)i);
        }
    *out = f;
    return BN_OK;
}

/* A [V, H] matrix: F16 kept as f16 (exact, half the bytes), F32 as f32. */
static bn_status load_mat(const bn_gguf_tensor_info *t, const char *path, float **f32, uint16_t **f16, int *is_f16) {
    if (t->type != BN_GGUF_TENSOR_F16) return to_f32(t, path, f32);
    uint16_t *b = bni_malloc(t->nbytes + 64);
    if (!b) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", t->name);
    memcpy(b, t->data, t->nbytes);
    for (int64_t i = 0; i < t->numel; i++)
        if ((b[i] & 0x7c00u) == 0x7c00u) {
            bni_free(b);
            return bni_error(BN_ERR_FORMAT, FN ": '%s': tensor '%s' has a non-finite value at %lld", path, t->name,
                             (long long)i);
        }
    *f16 = b;
    *is_f16 = 1;
    return BN_OK;
}

static bn_status load_vec(const bn_gguf *g, const char *path, const char *name, int64_t n, float **out) {
    bn_gguf_tensor_info t;
    bn_status s = find(g, path, name, 1, n, &t);
    if (s == BN_OK) s = to_f32(&t, path, out);
    return s;
}

/* rope_heads > 0: undo llama.cpp's q/k row permutation (file row
 * h*d + 2i + j holds original row h*d + j*(d/2) + i). */
static bn_status load_lin(bn_model *m, const bn_gguf *g, const char *path, const char *name, int64_t n, int64_t k,
                          int64_t rope_heads, bn_bitlinear **out) {
    bn_gguf_tensor_info t;
    bn_status s = find(g, path, name, n, k, &t);
    if (s != BN_OK) return s;
    bn_quant_format fmt;
    if (t.type == BN_GGUF_TENSOR_I2_S) fmt = BN_QUANT_I2_S;
    else if (t.type == BN_GGUF_TENSOR_TQ2_0) fmt = BN_QUANT_TQ2_0;
    else if (t.type == BN_GGUF_TENSOR_TQ1_0) fmt = BN_QUANT_TQ1_0;
    else
        return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': tensor '%s' has type %s (ternary I2_S, TQ1_0 or TQ2_0 expected)",
                         path, name, bn_gguf_tensor_type_name(t.type));
    int64_t count = 0, group = 0;
    if ((s = bn_quant_scale_count(fmt, n, k, &count, &group))) return s;
    int8_t *v = bni_malloc((size_t)(2 * n * k));
    float *sc = bni_malloc((size_t)(count > 0 ? count : 1) * sizeof(float));
    if (!v || !sc) {
        bni_free(v);
        bni_free(sc);
        return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": no memory for '%s'", name);
    }
    s = bn_quant_unpack(fmt, n, k, t.data, t.nbytes, v, sc);
    if (s != BN_OK) s = bni_error(s, FN ": '%s': tensor '%s': %s", path, name, bn_last_error());
    /* one scale per tensor, or per row; anything finer is not supported by BitLinear */
    int per_row = 0;
    float *scales = sc;
    for (int64_t i = 1; s == BN_OK && i < count; i++)
        if (sc[i] != sc[0]) per_row = 1;
    if (s == BN_OK && per_row) {
        int64_t per = k / group; /* blocks per row (TQ: k % 256 == 0) */
        for (int64_t r = 0; s == BN_OK && r < n; r++)
            for (int64_t b = 1; b < per; b++)
                if (sc[r * per + b] != sc[r * per]) {
                    s = bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': tensor '%s' has different scales within row %lld", path,
                                  name, (long long)r);
                    break;
                }
        for (int64_t r = 0; s == BN_OK && r < n; r++) sc[r] = sc[r * per];
    }
    if (s == BN_OK && rope_heads > 0) {
        int64_t d = n / rope_heads, half = d / 2;
        int8_t *tmp = v + n * k;
        memcpy(tmp, v, (size_t)(n * k));
        for (int64_t h = 0; h < rope_heads; h++)
            for (int64_t j = 0; j < 2; j++)
                for (int64_t i = 0; i < half; i++)
                    memcpy(v + (h * d + j * half + i) * k, tmp + (h * d + 2 * i + j) * k, (size_t)k);
        if (per_row) {
            float *ts = bni_malloc((size_t)n * sizeof(float));
            if (!ts) s = bni_error(BN_ERR_OUT_OF_MEMORY, FN ": out of memory");
            for (int64_t h = 0; ts && h < rope_heads; h++)
                for (int64_t j = 0; j < 2; j++)
                    for (int64_t i = 0; i < half; i++) ts[h * d + j * half + i] = sc[h * d + 2 * i + j];
            if (ts) memcpy(sc, ts, (size_t)n * sizeof(float));
            bni_free(ts);
        }
    }
    if (s == BN_OK) s = bn_bitlinear_new_from_ternary(m->ctx, v, n, k, scales, per_row, out);
    if (s == BN_OK) s = bn_bitlinear_reserve(*out, m->max_batch);
    bni_free(v);
    bni_free(sc);
    return s;
}

bn_status bni_model_load_gguf(bn_model *m, const char *path, const bn_model_options *o) {
    bn_gguf *g = NULL;
    bn_status s = bn_gguf_open(path, &g);
    if (s != BN_OK) return s;
    const char *arch = NULL;
    size_t alen = 0;
    if (bn_gguf_get_str(g, "general.architecture", &arch, &alen) != BN_OK || alen != strlen(ARCH) ||
        memcmp(arch, ARCH, alen) != 0) {
        bn_gguf_free(g);
        return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': general.architecture is not '" ARCH "'", path);
    }
    bn_bitnet_config *c = &m->cfg;
    memset(c, 0, sizeof *c);
    int64_t ctxlen = 0;
    if ((s = get_u(g, path, ARCH ".embedding_length", 1, &c->hidden_size)) ||
        (s = get_u(g, path, ARCH ".block_count", 1, &c->num_hidden_layers)) ||
        (s = get_u(g, path, ARCH ".feed_forward_length", 1, &c->intermediate_size)) ||
        (s = get_u(g, path, ARCH ".attention.head_count", 1, &c->num_attention_heads)) ||
        (s = get_u(g, path, ARCH ".context_length", 0, &ctxlen))) {
        bn_gguf_free(g);
        return s;
    }
    c->num_key_value_heads = c->num_attention_heads;
    c->head_dim = c->hidden_size / c->num_attention_heads;
    get_u(g, path, ARCH ".attention.head_count_kv", 0, &c->num_key_value_heads);
    get_u(g, path, ARCH ".rope.dimension_count", 0, &c->head_dim);
    c->max_position_embeddings = ctxlen;
    double d;
    c->rope_theta = 10000.0;
    if (bn_gguf_get_f64(g, ARCH ".rope.freq_base", &d) == BN_OK && d > 0) c->rope_theta = d;
    c->rms_norm_eps = 1e-6;
    if (bn_gguf_get_f64(g, ARCH ".attention.layer_norm_rms_epsilon", &d) == BN_OK && d > 0) c->rms_norm_eps = d;
    int64_t v;
    c->bos_token_id = -1;
    if (bn_gguf_get_i64(g, "tokenizer.ggml.bos_token_id", &v) == BN_OK) c->bos_token_id = v;
    if (bn_gguf_get_i64(g, "tokenizer.ggml.eos_token_id", &v) == BN_OK) c->eos_token_ids[c->n_eos++] = v;
    c->quantized = 1;
    c->linear_kind = BN_LINEAR_OFFLINE;
    strcpy(c->hidden_act, "relu2");
    /* vocab from the embedding */
    int64_t ei = bn_gguf_find_tensor(g, "token_embd.weight");
    bn_gguf_tensor_info et;
    if (ei < 0 || bn_gguf_tensor_get_info(g, ei, &et) != BN_OK || et.ndim != 2) {
        bn_gguf_free(g);
        return bni_error(BN_ERR_FORMAT, FN ": '%s': missing 2-D tensor 'token_embd.weight'", path);
    }
    c->vocab_size = et.dims[1];
    if (bn_gguf_get_i64(g, ARCH ".vocab_size", &v) == BN_OK && v != c->vocab_size) {
        bn_gguf_free(g);
        return bni_error(BN_ERR_FORMAT, FN ": '%s': " ARCH ".vocab_size %lld but token_embd.weight has %lld rows", path,
                         (long long)v, (long long)c->vocab_size);
    }
    c->tie_word_embeddings = bn_gguf_find_tensor(g, "output.weight") < 0;
    if (c->num_attention_heads % c->num_key_value_heads || c->head_dim % 2) {
        bn_gguf_free(g);
        return bni_error(BN_ERR_FORMAT, FN ": '%s': %lld heads, %lld KV heads, head_dim %lld do not fit", path,
                         (long long)c->num_attention_heads, (long long)c->num_key_value_heads, (long long)c->head_dim);
    }
    bni_model_init_dims(m, o);
    int64_t H = m->H;
    bn_gguf_tensor_info t;
    s = find(g, path, "token_embd.weight", m->V, H, &t);
    if (!s) s = load_mat(&t, path, &m->embed, &m->embed16, &m->embed16_f16);
    if (!s) s = load_vec(g, path, "output_norm.weight", H, &m->norm);
    if (!s && c->tie_word_embeddings) {
        m->lm_head = m->embed;
        m->head16 = m->embed16;
        m->head16_f16 = m->embed16_f16;
    }
    if (!s && !c->tie_word_embeddings) {
        s = find(g, path, "output.weight", m->V, H, &t);
        if (!s) s = load_mat(&t, path, &m->lm_head, &m->head16, &m->head16_f16);
    }
    /* 11 tensors per block: a block_count the file cannot hold is refused
     * before it sizes an allocation (fuzz/regressions/gguf_model) */
    if (!s && m->L > bn_gguf_tensor_count(g) / 11)
        s = bni_error(BN_ERR_FORMAT, FN ": '%s': " ARCH ".block_count = %lld but the file has only %lld tensors", path,
                      (long long)m->L, (long long)bn_gguf_tensor_count(g));
    if (!s) {
        m->layers = bni_calloc((size_t)m->L, sizeof(bn_layer));
        if (!m->layers) s = bni_error(BN_ERR_OUT_OF_MEMORY, FN ": out of memory");
    }
    char nm[96];
    for (int64_t l = 0; !s && l < m->L; l++) {
        bn_layer *y = &m->layers[l];
#define LIN(field, gg, n, k, rope)                                                 \
    snprintf(nm, sizeof nm, "blk.%lld.%s.weight", (long long)l, gg);               \
    if (!s) s = load_lin(m, g, path, nm, n, k, rope, &y->field);
#define VEC(field, gg, n)                                                          \
    snprintf(nm, sizeof nm, "blk.%lld.%s.weight", (long long)l, gg);               \
    if (!s) s = load_vec(g, path, nm, n, &y->field);
        LIN(q, "attn_q", m->QD, H, m->NH)
        LIN(k, "attn_k", m->KVD, H, m->NKV)
        LIN(v, "attn_v", m->KVD, H, 0)
        LIN(o, "attn_output", H, m->QD, 0)
        LIN(gate, "ffn_gate", m->I, H, 0)
        LIN(up, "ffn_up", m->I, H, 0)
        LIN(down, "ffn_down", H, m->I, 0)
        VEC(in_norm, "attn_norm", H)
        VEC(attn_sub, "attn_sub_norm", m->QD)
        VEC(post_norm, "ffn_norm", H)
        VEC(ffn_sub, "ffn_sub_norm", m->I)
        if (!s && o->progress) o->progress(o->progress_user, l + 1, m->L);
#undef LIN
#undef VEC
    }
    bn_gguf_free(g);
    if (!s) s = bni_model_alloc_buffers(m);
    return s;
}
