/* config.json of Hugging Face BitNet checkpoints. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bitnet/io.h"
#include "core/alloc.h"
#include "core/error.h"

#define FN "bn_bitnet_config_load"

/* A JSON integer that is a token id: >= 0 and within int64_t. */
static int is_id(const json_t *x) {
    return json_is_integer(x) && json_integer_value(x) >= 0; /* json_int_t is long long: fits int64_t */
}

static bn_status get_int(const json_t *root, const char *path, const char *key, int required, int64_t min, int64_t *out) {
    const json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) {
        if (required) return bni_error(BN_ERR_FORMAT, FN ": '%s': missing key '%s'", path, key);
        return BN_OK;
    }
    if (!json_is_integer(v)) return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' is not an integer", path, key);
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)min || x > ((json_int_t)1 << 40))
        return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' = %lld out of range", path, key, (long long)x);
    *out = (int64_t)x;
    return BN_OK;
}

static bn_status get_num(const json_t *v, const char *path, const char *key, double *out) {
    if (!v || json_is_null(v)) return BN_OK;
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x) || x <= 0)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': key '%s' is not a positive number", path, key);
    *out = x;
    return BN_OK;
}

/* The string value of an optional key, NULL when absent or not a string. */
static const char *get_str(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

static bn_status parse(const json_t *root, const char *path, bn_bitnet_config *c) {
    bn_status s;
    if (!json_is_object(root)) return bni_error(BN_ERR_FORMAT, FN ": '%s' is not a JSON object", path);
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
    if ((s = get_num(json_object_get(root, "rms_norm_eps"), path, "rms_norm_eps", &c->rms_norm_eps))) return s;
    c->rope_theta = 10000.0;
    const json_t *rp = json_object_get(root, "rope_parameters");
    if (json_is_object(rp)) {
        const char *rt = get_str(rp, "rope_type");
        if (rt && strcmp(rt, "default") != 0)
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': rope_parameters.rope_type '%s' (only 'default')", path, rt);
        if ((s = get_num(json_object_get(rp, "rope_theta"), path, "rope_parameters.rope_theta", &c->rope_theta))) return s;
    }
    if ((s = get_num(json_object_get(root, "rope_theta"), path, "rope_theta", &c->rope_theta))) return s;
    const json_t *rs = json_object_get(root, "rope_scaling");
    if (rs && !json_is_null(rs))
        return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': rope_scaling is not supported", path);
    const json_t *tie = json_object_get(root, "tie_word_embeddings");
    if (tie && !json_is_boolean(tie) && !json_is_null(tie))
        return bni_error(BN_ERR_FORMAT, FN ": '%s': tie_word_embeddings is not a boolean", path);
    c->tie_word_embeddings = json_is_true(tie) ? 1 : 0;
    c->bos_token_id = -1;
    if ((s = get_int(root, path, "bos_token_id", 0, 0, &c->bos_token_id))) return s;
    const json_t *eos = json_object_get(root, "eos_token_id");
    if (json_is_number(eos)) {
        if (!is_id(eos)) return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id is not an id", path);
        c->eos_token_ids[c->n_eos++] = (int64_t)json_integer_value(eos);
    } else if (json_is_array(eos)) {
        for (size_t i = 0; i < json_array_size(eos) && c->n_eos < 8; i++) {
            const json_t *x = json_array_get(eos, i);
            if (!is_id(x)) return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id[%zu] is not an id", path, i);
            c->eos_token_ids[c->n_eos++] = (int64_t)json_integer_value(x);
        }
    } else if (eos && !json_is_null(eos)) {
        return bni_error(BN_ERR_FORMAT, FN ": '%s': eos_token_id is neither an id nor a list", path);
    }
    strcpy(c->hidden_act, "relu2");
    const char *act = get_str(root, "hidden_act");
    if (act && strcmp(act, "relu2") != 0)
        return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': hidden_act '%s' (only relu2)", path, act);
    c->linear_kind = BN_LINEAR_ONLINE;
    const json_t *q = json_object_get(root, "quantization_config");
    if (json_is_object(q)) {
        const char *m = get_str(q, "quant_method"), *lc = get_str(q, "linear_class"), *mode = get_str(q, "quantization_mode");
        if (!m || strcmp(m, "bitnet") != 0)
            return bni_error(BN_ERR_NOT_SUPPORTED, FN ": '%s': quantization_config.quant_method '%s' (only 'bitnet')", path,
                             m ? m : "(missing)");
        c->quantized = 1;
        const char *cls = lc ? lc : "bitlinear";
        const char *md = mode ? mode : "offline";
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
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    bni_free(buf);
    if (!root)
        return bni_error(BN_ERR_FORMAT, FN ": '%s': %s (line %d, column %d)", file, jerr.text, jerr.line, jerr.column);
    bn_bitnet_config c;
    s = parse(root, file, &c);
    json_decref(root);
    if (s == BN_OK) *out = c;
    return s;
}
