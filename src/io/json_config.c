/* config.json of Hugging Face BitNet checkpoints. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bitnet/io.h"
#include "core/alloc.h"
#include "core/error.h"
#include "io/json_mini.h"

#define FN "bn_bitnet_config_load"

static bn_status get_int(const bnj *root, const char *path, const char *key, int required, int64_t min, int64_t *out) {
    const bnj *v = bnj_get(root, key);
    if (!v || v->type == BNJ_NULL) {
        if (required) return bni_error(BN_ERR_FORMAT, FN ": '%s': missing key '%s'", path, key);
        return BN_OK;
    }
    if (v->type != BNJ_NUM || !v->is_int)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' is not an integer", path, key);
    if (v->inum < min || v->inum > ((int64_t)1 << 40))
        return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' = %lld out of range", path, key, (long long)v->inum);
    *out = v->inum;
    return BN_OK;
}

static bn_status get_num(const bnj *v, const char *path, const char *key, double *out) {
    if (!v || v->type == BNJ_NULL) return BN_OK;
    if (v->type != BNJ_NUM || !isfinite(v->num) || v->num <= 0)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' is not a positive number", path, key);
    *out = v->num;
    return BN_OK;
}

static bn_status parse(const bnj *root, const char *path, bn_bitnet_config *c) {
    bn_status s;
    if (root->type != BNJ_OBJ) return bni_error(BN_ERR_FORMAT, FN ": '%s' is not a JSON object", path);
    memset(c, 0, sizeof(*c));
    if ((s = get_int(root, path, "vocab_size", 1, 1, &c->vocab_size))) return s;
    if ((s = get_int(root, path, "hidden_size", 1, 1, &c->hidden_size))) return s;
    if ((s = get_int(root, path, "intermediate_size", 1, 1, &c->intermediate_size))) return s;
    if ((s = get_int(root, path, "num_hidden_layers", 1, 1, &c->num_hidden_layers))) return s;
    if ((s = get_int(root, path, "num_attention_heads", 1, 1, &c->num_attention_heads))) return s;
    c->num_key_value_heads = c->num_attention_heads;
    if ((s = get_int(root, path, "num_key_value_heads", 0, 1, &c->num_key_value_heads))) return s;
    c->head_dim = c->hidden_size / c->num_attention_heads;
    if ((s = get_int(root, path, "head_dim", 0, 1, &c->head_dim))) return s;
    if ((s = get_int(root, path, "max_position_embeddings", 0, 0, &c->max_position_embeddings))) return s;
    if (c->num_attention_heads % c->num_key_value_heads != 0)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': num_attention_heads %lld is not a multiple of num_key_value_heads %lld",
                         path, (long long)c->num_attention_heads, (long long)c->num_key_value_heads);
    if (c->head_dim % 2 != 0)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': head_dim %lld is odd (RoPE needs pairs)", path, (long long)c->head_dim);
    c->rms_norm_eps = 1e-6;
    if ((s = get_num(bnj_get(root, "rms_norm_eps"), path, "rms_norm_eps", &c->rms_norm_eps))) return s;
    c->rope_theta = 10000.0;
    const bnj *rp = bnj_get(root, "rope_parameters");
    if (rp && rp->type == BNJ_OBJ) {
        const bnj *rt = bnj_get(rp, "rope_type");
        if (rt && rt->type == BNJ_STR && strcmp(rt->str, "default") != 0)
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': rope_parameters.rope_type '%s' (only 'default')", path, rt->str);
        if ((s = get_num(bnj_get(rp, "rope_theta"), path, "rope_parameters.rope_theta", &c->rope_theta))) return s;
    }
    if ((s = get_num(bnj_get(root, "rope_theta"), path, "rope_theta", &c->rope_theta))) return s;
    const bnj *rs = bnj_get(root, "rope_scaling");
    if (rs && rs->type != BNJ_NULL)
        return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': rope_scaling is not supported", path);
    const bnj *tie = bnj_get(root, "tie_word_embeddings");
    if (tie && tie->type != BNJ_BOOL && tie->type != BNJ_NULL)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': tie_word_embeddings is not a boolean", path);
    c->tie_word_embeddings = tie && tie->type == BNJ_BOOL ? tie->boolean : 0;
    c->bos_token_id = -1;
    if ((s = get_int(root, path, "bos_token_id", 0, 0, &c->bos_token_id))) return s;
    const bnj *eos = bnj_get(root, "eos_token_id");
    if (eos && eos->type == BNJ_NUM) {
        if (!eos->is_int || eos->inum < 0) return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id is not an id", path);
        c->eos_token_ids[c->n_eos++] = eos->inum;
    } else if (eos && eos->type == BNJ_ARR) {
        for (size_t i = 0; i < eos->n && c->n_eos < 8; i++) {
            const bnj *x = &eos->kids[i];
            if (x->type != BNJ_NUM || !x->is_int || x->inum < 0)
                return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id[%zu] is not an id", path, i);
            c->eos_token_ids[c->n_eos++] = x->inum;
        }
    } else if (eos && eos->type != BNJ_NULL) {
        return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id is neither an id nor a list", path);
    }
    strcpy(c->hidden_act, "relu2");
    const bnj *act = bnj_get(root, "hidden_act");
    if (act && act->type == BNJ_STR) {
        if (strcmp(act->str, "relu2") != 0)
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': hidden_act '%s' (only relu2)", path, act->str);
    }
    c->linear_kind = BN_LINEAR_ONLINE;
    const bnj *q = bnj_get(root, "quantization_config");
    if (q && q->type == BNJ_OBJ) {
        const bnj *m = bnj_get(q, "quant_method"), *lc = bnj_get(q, "linear_class"), *mode = bnj_get(q, "quantization_mode");
        if (!m || m->type != BNJ_STR || strcmp(m->str, "bitnet") != 0)
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': quantization_config.quant_method '%s' (only 'bitnet')", path,
                             m && m->type == BNJ_STR ? m->str : "(missing)");
        c->quantized = 1;
        const char *cls = lc && lc->type == BNJ_STR ? lc->str : "bitlinear";
        const char *md = mode && mode->type == BNJ_STR ? mode->str : "offline";
        if (strcmp(cls, "bitlinear") == 0) {
            c->linear_kind = BN_LINEAR_BITLINEAR;
        } else if (strcmp(cls, "autobitlinear") == 0) {
            if (strcmp(md, "online") == 0) c->linear_kind = BN_LINEAR_ONLINE;
            else if (strcmp(md, "offline") == 0) c->linear_kind = BN_LINEAR_OFFLINE;
            else
                return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': quantization_config.quantization_mode '%s'", path, md);
        } else {
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': quantization_config.linear_class '%s'", path, cls);
        }
    }
    return BN_OK;
}

bn_status bn_bitnet_config_load(const char *path, bn_bitnet_config *out) {
    BNI_CHECK_NULL(FN, path);
    BNI_CHECK_NULL(FN, out);
    char file[4096];
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if ((size_t)snprintf(file, sizeof(file), "%s/config.json", path) >= sizeof(file))
            return bni_error(BN_ERR_INVALID_ARGUMENT, FN ": path too long");
    } else {
        if ((size_t)snprintf(file, sizeof(file), "%s", path) >= sizeof(file))
            return bni_error(BN_ERR_INVALID_ARGUMENT, FN ": path too long");
    }
    FILE *fp = fopen(file, "rb");
    if (!fp) return bni_error(BN_ERR_IO, FN ": cannot open '%s': %s", file, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = bni_malloc(cap);
    bn_status s = BN_OK;
    while (buf) {
        size_t r = fread(buf + len, 1, cap - len, fp);
        len += r;
        if (len < cap) break;
        if (cap >= ((size_t)64 << 20)) { s = bni_error(BN_ERR_FORMAT, FN ": '%s' is larger than 64 MB", file); break; }
        char *nb = bni_realloc(buf, cap * 2);
        if (!nb) { bni_free(buf); buf = NULL; break; }
        buf = nb;
        cap *= 2;
    }
    fclose(fp);
    if (!buf) return bni_error(BN_ERR_OUT_OF_MEMORY, FN ": out of memory reading '%s'", file);
    if (s != BN_OK) { bni_free(buf); return s; }
    char err[128];
    bnj *root = bnj_parse(buf, len, err, sizeof(err));
    bni_free(buf);
    if (!root) return bni_error(BN_ERR_FORMAT, FN ": '%s': %s", file, err);
    bn_bitnet_config c;
    s = parse(root, file, &c);
    bnj_free(root);
    if (s == BN_OK) *out = c;
    return s;
}
