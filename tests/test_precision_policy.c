/* Mixed precision, policies: presets, getters and setters, overrides and
 * their precedence, glob matching, validation messages, JSON round trip
 * and malformed JSON errors. */
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"

static bn_precision_spec sp(bn_dtype d, bn_precision_granularity g, int64_t b) {
    bn_precision_spec s = {d, g, b};
    return s;
}

static int spec_eq(bn_precision_spec a, bn_precision_spec b) {
    return a.dtype == b.dtype && a.granularity == b.granularity && a.block == b.block;
}

static int same_policy(const bn_precision_policy *a, const bn_precision_policy *b) {
    for (int k = 0; k < BN_LAYER_KIND_COUNT; k++) {
        bn_precision_spec x, y;
        bn_precision_policy_get(a, (bn_layer_kind)k, &x);
        bn_precision_policy_get(b, (bn_layer_kind)k, &y);
        if (!spec_eq(x, y)) return 0;
    }
    size_t n = bn_precision_policy_override_count(a);
    if (n != bn_precision_policy_override_count(b)) return 0;
    for (size_t i = 0; i < n; i++) {
        const char *pa, *pb;
        bn_precision_spec x, y;
        bn_precision_policy_override_at(a, i, &pa, &x);
        bn_precision_policy_override_at(b, i, &pb, &y);
        if (strcmp(pa, pb) != 0 || !spec_eq(x, y)) return 0;
    }
    return 1;
}

static void test_presets(void) {
    bn_precision_policy *c = NULL, *b = NULL, *a = NULL;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_CONSERVATIVE, &c));
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_BALANCED, &b));
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_AGGRESSIVE, &a));
    bn_precision_spec s;
    /* the table in precision.h */
    bn_dtype cons[7] = {BN_DTYPE_BF16, BN_DTYPE_BF16, BN_DTYPE_F32, BN_DTYPE_F32, BN_DTYPE_F32, BN_DTYPE_F32,
                        BN_DTYPE_F32};
    bn_dtype bal[7] = {BN_DTYPE_TERNARY, BN_DTYPE_TERNARY, BN_DTYPE_BF16, BN_DTYPE_F32, BN_DTYPE_QINT8,
                       BN_DTYPE_BF16, BN_DTYPE_F16};
    bn_dtype agg[7] = {BN_DTYPE_TERNARY, BN_DTYPE_TERNARY, BN_DTYPE_QINT8, BN_DTYPE_BF16, BN_DTYPE_QINT8,
                       BN_DTYPE_QINT8, BN_DTYPE_QINT8};
    for (int k = 0; k < 7; k++) {
        CHECK_OK(bn_precision_policy_get(c, (bn_layer_kind)k, &s));
        CHECK(s.dtype == cons[k]);
        CHECK_OK(bn_precision_policy_get(b, (bn_layer_kind)k, &s));
        CHECK(s.dtype == bal[k]);
        CHECK_OK(bn_precision_policy_get(a, (bn_layer_kind)k, &s));
        CHECK(s.dtype == agg[k]);
    }
    CHECK_OK(bn_precision_policy_get(b, BN_LAYER_ACTIVATION, &s));
    CHECK(s.granularity == BN_PRECISION_PER_ROW);
    CHECK_OK(bn_precision_policy_get(b, BN_LAYER_LINEAR, &s));
    CHECK(s.granularity == BN_PRECISION_PER_TENSOR);
    CHECK_OK(bn_precision_policy_get(a, BN_LAYER_KV_CACHE, &s));
    CHECK(s.granularity == BN_PRECISION_PER_BLOCK && s.block == 32);
    /* every preset validates on the CPU; the only warnings are for what the
     * model runtime does not execute yet */
    int nw = -1;
    char rep[2048];
    CHECK_OK(bn_precision_policy_validate(c, (bn_device){BN_DEVICE_CPU, 0}, rep, sizeof rep, &nw));
    CHECK(nw == 3);
    CHECK(strstr(rep, "warning: kind linear is bf16: not executed by the model runtime yet (it runs linear and "
                      "attention projections as ternary/tensor or ternary/row)") != NULL);
    CHECK(strstr(rep, "warning: kind attention is bf16: not executed by the model runtime yet") != NULL);
    CHECK(strstr(rep, "warning: kind activation is f32: not executed by the model runtime yet") != NULL);
    CHECK_OK(bn_precision_policy_validate(b, (bn_device){BN_DEVICE_CPU, 0}, rep, sizeof rep, &nw));
    CHECK(nw == 1);
    CHECK(strcmp(rep, "warning: kind kv_cache is f16: not executed by the model runtime yet (it keeps the KV "
                      "cache in f32)\n") == 0);
    CHECK_OK(bn_precision_policy_validate(a, (bn_device){BN_DEVICE_CPU, 0}, rep, sizeof rep, &nw));
    CHECK(nw == 4);
    CHECK(strstr(rep, "warning: kind embedding is qint8/row: not executed by the model runtime yet (it keeps the "
                      "embedding in f32, bf16 or f16)") != NULL);
    CHECK(strstr(rep, "warning: kind norm is bf16: not executed by the model runtime yet (it runs norms in f32)"));
    CHECK(strstr(rep, "warning: kind output is qint8/row: not executed by the model runtime yet (it keeps the "
                      "output layer in f32, bf16 or f16)") != NULL);
    CHECK(strstr(rep, "warning: kind kv_cache is qint8/block32: not executed by the model runtime yet") != NULL);
    CHECK(strstr(rep, "kind linear") == NULL && strstr(rep, "kind activation") == NULL);
    /* names */
    bn_precision_preset pr;
    CHECK_OK(bn_precision_preset_from_name("Balanced", &pr));
    CHECK(pr == BN_PRECISION_BALANCED);
    CHECK(strcmp(bn_precision_preset_name(BN_PRECISION_AGGRESSIVE), "aggressive") == 0);
    CHECK_ERR(bn_precision_preset_from_name("fast", &pr), BN_ERR_INVALID_ARGUMENT, "unknown preset \"fast\"");
    bn_layer_kind kind;
    CHECK_OK(bn_layer_kind_from_name("kv_cache", &kind));
    CHECK(kind == BN_LAYER_KV_CACHE);
    CHECK(strcmp(bn_layer_kind_name(BN_LAYER_NORM), "norm") == 0);
    CHECK_ERR(bn_layer_kind_from_name("mlp", &kind), BN_ERR_INVALID_ARGUMENT, "unknown layer kind \"mlp\"");
    CHECK_ERR(bn_precision_policy_new((bn_precision_preset)7, &c), BN_ERR_INVALID_ARGUMENT, "invalid preset 7");
    /* set/get; a spec without scales loses its granularity */
    bn_precision_spec f16row = sp(BN_DTYPE_F16, BN_PRECISION_PER_ROW, 0);
    CHECK_OK(bn_precision_policy_set(c, BN_LAYER_EMBEDDING, &f16row));
    CHECK_OK(bn_precision_policy_get(c, BN_LAYER_EMBEDDING, &s));
    CHECK(s.dtype == BN_DTYPE_F16 && s.granularity == BN_PRECISION_PER_TENSOR);
    bn_precision_spec bad = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_BLOCK, 0);
    CHECK_ERR(bn_precision_policy_set(c, BN_LAYER_EMBEDDING, &bad), BN_ERR_INVALID_ARGUMENT, "block size 0");
    CHECK_ERR(bn_precision_policy_set(c, (bn_layer_kind)9, &f16row), BN_ERR_INVALID_ARGUMENT, "invalid layer kind");
    bn_precision_policy_free(c), bn_precision_policy_free(b), bn_precision_policy_free(a);
}

static void test_kind_guess(void) {
    CHECK(bn_layer_kind_guess("model.layers.3.mlp.down_proj.weight") == BN_LAYER_LINEAR);
    CHECK(bn_layer_kind_guess("model.layers.3.self_attn.q_proj.weight") == BN_LAYER_ATTENTION);
    CHECK(bn_layer_kind_guess("model.layers.3.self_attn.inner_attn_ln.weight") == BN_LAYER_ATTENTION);
    CHECK(bn_layer_kind_guess("model.layers.3.input_layernorm.weight") == BN_LAYER_NORM);
    CHECK(bn_layer_kind_guess("model.norm.weight") == BN_LAYER_NORM);
    CHECK(bn_layer_kind_guess("model.embed_tokens.weight") == BN_LAYER_EMBEDDING);
    CHECK(bn_layer_kind_guess("lm_head.weight") == BN_LAYER_OUTPUT);
    CHECK(bn_layer_kind_guess("cache.layers.0.k_cache") == BN_LAYER_KV_CACHE);
}

static void test_overrides(void) {
    CHECK(bn_precision_glob_match("model.layers.*.mlp.down_proj", "model.layers.12.mlp.down_proj"));
    CHECK(!bn_precision_glob_match("model.layers.*.mlp.down_proj", "model.layers.12.mlp.down_proj.weight"));
    CHECK(bn_precision_glob_match("*", ""));
    CHECK(bn_precision_glob_match("a?c", "abc") && !bn_precision_glob_match("a?c", "ac"));
    CHECK(bn_precision_glob_match("*.weight", "x.y.weight"));
    CHECK(bn_precision_glob_match("a*b*c", "aXXbYYbc") && !bn_precision_glob_match("a*b*c", "aXXbYYb"));
    CHECK(bn_precision_glob_match("model.layers.1?.*", "model.layers.12.mlp") &&
          !bn_precision_glob_match("model.layers.1?.*", "model.layers.1.mlp"));
    /* an override also matches the name without a trailing .weight / .bias */
    CHECK(bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj.weight"));
    CHECK(bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj.bias"));
    CHECK(bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj"));
    CHECK(bn_precision_override_matches("model.layers.*.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.weight"));
    CHECK(!bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj.scale"));
    CHECK(!bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj_x.weight"));
    CHECK(!bn_precision_override_matches("model.layers.*.mlp.down_proj", "model.layers.0.mlp.down_proj.weight.bias"));
    CHECK(!bn_precision_override_matches("lm_head", ".weight") && !bn_precision_override_matches("x", NULL));
    CHECK(bn_precision_override_matches("*.weight", "a.weight") && !bn_precision_override_matches("a?", "a.weight"));
    CHECK(!bn_precision_override_matches("model.layers.?", "model.layers.12.weight"));
    {
        /* the documented example through resolve */
        bn_precision_policy *p = NULL;
        bn_precision_spec q8 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0), s;
        const char *m = NULL;
        CHECK_OK(bn_precision_policy_new(BN_PRECISION_BALANCED, &p));
        CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.down_proj", &q8));
        CHECK_OK(bn_precision_policy_resolve(p, "model.layers.0.mlp.down_proj.weight", BN_LAYER_LINEAR, &s, &m));
        CHECK(spec_eq(s, q8) && m && strcmp(m, "model.layers.*.mlp.down_proj") == 0);
        CHECK_OK(bn_precision_policy_resolve(p, "model.layers.0.mlp.up_proj.weight", BN_LAYER_LINEAR, &s, &m));
        CHECK(s.dtype == BN_DTYPE_TERNARY && m == NULL);
        bn_precision_policy_free(p);
    }

    bn_precision_policy *p = NULL;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_BALANCED, &p));
    bn_precision_spec q8 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0), f16 = sp(BN_DTYPE_F16, 0, 0),
                      bf = sp(BN_DTYPE_BF16, 0, 0), q4 = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 32);
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*", &bf));
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.down_proj.weight", &q8));
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.0.mlp.down_proj.weight", &f16));
    CHECK(bn_precision_policy_override_count(p) == 3);
    bn_precision_spec s;
    const char *m;
    /* exact name beats the pattern, which beats the broader one, which beats the kind */
    CHECK_OK(bn_precision_policy_resolve(p, "model.layers.0.mlp.down_proj.weight", BN_LAYER_LINEAR, &s, &m));
    CHECK(s.dtype == BN_DTYPE_F16 && strcmp(m, "model.layers.0.mlp.down_proj.weight") == 0);
    CHECK_OK(bn_precision_policy_resolve(p, "model.layers.7.mlp.down_proj.weight", BN_LAYER_LINEAR, &s, &m));
    CHECK(spec_eq(s, q8) && strcmp(m, "model.layers.*.mlp.down_proj.weight") == 0);
    CHECK_OK(bn_precision_policy_resolve(p, "model.layers.7.mlp.up_proj.weight", BN_LAYER_LINEAR, &s, &m));
    CHECK(s.dtype == BN_DTYPE_BF16 && strcmp(m, "model.layers.*") == 0);
    CHECK_OK(bn_precision_policy_resolve(p, "lm_head.weight", BN_LAYER_OUTPUT, &s, &m));
    CHECK(s.dtype == BN_DTYPE_BF16 && m == NULL);
    CHECK_OK(bn_precision_policy_resolve(p, NULL, BN_LAYER_LINEAR, &s, &m));
    CHECK(s.dtype == BN_DTYPE_TERNARY && m == NULL);
    /* equal specificity: the one added last wins */
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.?.mlp.up_proj.weight", &q4));
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.7.mlp.up_proj.weigh?", &q8));
    CHECK_OK(bn_precision_policy_resolve(p, "model.layers.7.mlp.up_proj.weight", BN_LAYER_LINEAR, &s, &m));
    CHECK(spec_eq(s, q8));
    /* re-adding a pattern replaces it and makes it the latest */
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.?.mlp.up_proj.weight", &q4));
    CHECK(bn_precision_policy_override_count(p) == 5);
    CHECK_OK(bn_precision_policy_resolve(p, "model.layers.7.mlp.up_proj.weight", BN_LAYER_LINEAR, &s, &m));
    CHECK(spec_eq(s, q4));
    const char *pat;
    CHECK_OK(bn_precision_policy_override_at(p, 4, &pat, &s));
    CHECK(strcmp(pat, "model.layers.?.mlp.up_proj.weight") == 0);
    CHECK_ERR(bn_precision_policy_override_at(p, 5, &pat, &s), BN_ERR_OUT_OF_RANGE, "index 5 of 5");
    CHECK_OK(bn_precision_policy_remove_override(p, "model.layers.*"));
    CHECK_ERR(bn_precision_policy_remove_override(p, "model.layers.*"), BN_ERR_OUT_OF_RANGE, "no override");
    CHECK(bn_precision_policy_override_count(p) == 4);
    CHECK_ERR(bn_precision_policy_add_override(p, "", &q8), BN_ERR_INVALID_ARGUMENT, "pattern length 0");
    /* clone is deep */
    bn_precision_policy *c = NULL;
    CHECK_OK(bn_precision_policy_clone(p, &c));
    CHECK(same_policy(p, c));
    CHECK_OK(bn_precision_policy_remove_override(c, "model.layers.?.mlp.up_proj.weight"));
    CHECK(bn_precision_policy_override_count(p) == 4 && bn_precision_policy_override_count(c) == 3);
    bn_precision_policy_free(c);
    bn_precision_policy_free(p);
}

static void test_validation(void) {
    bn_device cpu = {BN_DEVICE_CPU, 0};
    bn_precision_policy *p = NULL;
    char rep[2048];
    int nw;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_BALANCED, &p));
    /* norm must stay floating point */
    bn_precision_spec t = sp(BN_DTYPE_TERNARY, 0, 0), q8 = sp(BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_NORM, &q8));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw), BN_ERR_DTYPE,
              "kind norm is qint8/row: norm layers must stay floating point");
    CHECK(strstr(rep, "error: kind norm is qint8/row") != NULL);
    bn_precision_spec bf = sp(BN_DTYPE_BF16, 0, 0);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_NORM, &bf));
    CHECK_OK(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw));
    /* an override naming a norm is checked as a norm */
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.post_attention_layernorm.weight", &t));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw), BN_ERR_DTYPE,
              "override \"model.layers.*.post_attention_layernorm.weight\" is ternary/tensor: norm layers must stay");
    CHECK_OK(bn_precision_policy_remove_override(p, "model.layers.*.post_attention_layernorm.weight"));
    /* a dtype no kernel runs */
    bn_precision_spec u32 = sp(BN_DTYPE_U32, 0, 0);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_LINEAR, &u32));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw), BN_ERR_DTYPE,
              "no kernel runs a layer in u32 on cpu");
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_LINEAR, &t));
    /* KV cache cannot be ternary */
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_KV_CACHE, &t));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw), BN_ERR_DTYPE, "keys and values cannot be");
    bn_precision_spec f16 = sp(BN_DTYPE_F16, 0, 0);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_KV_CACHE, &f16));
    /* warnings: output under 8 bits, activations per tensor */
    bn_precision_spec q4 = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_ROW, 0), q8t = sp(BN_DTYPE_QINT8, 0, 0);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_OUTPUT, &q4));
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_ACTIVATION, &q8t));
    CHECK_OK(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw));
    /* 2, plus what the model runtime does not execute: bf16 norm, qint4 output, qint8/tensor activations, f16 KV */
    CHECK(nw == 6);
    CHECK(strstr(rep, "warning: kind output is qint4/row (4.00 bits): an output layer under 8 bits") != NULL);
    CHECK(strstr(rep, "warning: kind activation is qint8/tensor: one scale per tensor") != NULL);
    CHECK(strstr(rep, "warning: kind activation is qint8/tensor: not executed by the model runtime yet (it "
                      "quantizes activations to qint8/row, one scale per token)") != NULL);
    CHECK(strstr(rep, "warning: kind output is qint4/row: not executed by the model runtime yet") != NULL);
    /* overrides too; a ternary per-row projection runs, a per-block one does not; an error is not also a warning */
    bn_precision_spec trow = sp(BN_DTYPE_TERNARY, BN_PRECISION_PER_ROW, 0),
                      tblk = sp(BN_DTYPE_TERNARY, BN_PRECISION_PER_BLOCK, 64);
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.up_proj", &trow));
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.down_proj", &tblk));
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.gate_proj", &q8));
    CHECK_OK(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw));
    CHECK(nw == 8);
    CHECK(strstr(rep, "up_proj") == NULL);
    CHECK(strstr(rep, "warning: override \"model.layers.*.mlp.down_proj\" is ternary/block64: not executed by the "
                      "model runtime yet") != NULL);
    CHECK(strstr(rep, "warning: override \"model.layers.*.mlp.gate_proj\" is qint8/row: not executed") != NULL);
    CHECK_OK(bn_precision_policy_remove_override(p, "model.layers.*.mlp.up_proj"));
    CHECK_OK(bn_precision_policy_remove_override(p, "model.layers.*.mlp.down_proj"));
    CHECK_OK(bn_precision_policy_remove_override(p, "model.layers.*.mlp.gate_proj"));
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_KV_CACHE, &t));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, &nw), BN_ERR_DTYPE, "keys and values cannot be");
    CHECK(strstr(rep, "kind kv_cache is ternary/tensor: not executed") == NULL);
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_KV_CACHE, &f16));
    /* several errors: all listed, the first in the message */
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_NORM, &q8));
    CHECK_OK(bn_precision_policy_set(p, BN_LAYER_EMBEDDING, &u32));
    CHECK_ERR(bn_precision_policy_validate(p, cpu, rep, sizeof rep, NULL), BN_ERR_DTYPE, "and more");
    CHECK(strstr(rep, "error: kind embedding") && strstr(rep, "error: kind norm") && strstr(rep, "warning:"));
    /* a small report buffer is truncated, never overrun */
    char tiny[16];
    CHECK(bn_precision_policy_validate(p, cpu, tiny, sizeof tiny, NULL) == BN_ERR_DTYPE);
    CHECK(strlen(tiny) < sizeof tiny);
    /* a device this build does not have */
    bn_precision_policy *c = NULL;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_CONSERVATIVE, &c));
    if (bn_device_available(BN_DEVICE_CUDA) != BN_OK)
        CHECK_ERR(bn_precision_policy_validate(c, (bn_device){BN_DEVICE_CUDA, 0}, rep, sizeof rep, NULL),
                  BN_ERR_DEVICE_UNAVAILABLE, "device cuda:0 is not available");
    bn_precision_policy_free(c);
    bn_precision_policy_free(p);
}

static void test_json(void) {
    bn_precision_policy *p = NULL, *q = NULL;
    CHECK_OK(bn_precision_policy_new(BN_PRECISION_AGGRESSIVE, &p));
    bn_precision_spec q4 = sp(BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 64), f16 = sp(BN_DTYPE_F16, 0, 0);
    CHECK_OK(bn_precision_policy_add_override(p, "model.layers.*.mlp.down_proj.weight", &q4));
    CHECK_OK(bn_precision_policy_add_override(p, "weird \"name\"\\path", &f16));
    char *js = NULL;
    CHECK_OK(bn_precision_policy_to_json(p, &js));
    CHECK(js && strstr(js, "\"format\": \"bitnet-precision-policy\""));
    CHECK_OK(bn_precision_policy_from_json(js, &q));
    CHECK(q && same_policy(p, q));
    bn_precision_policy_free(q);
    q = NULL;
    /* file round trip */
    char path[] = "/tmp/bitnet_policy_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        close(fd);
        CHECK_OK(bn_precision_policy_save(p, path));
        CHECK_OK(bn_precision_policy_load(path, &q));
        CHECK(q && same_policy(p, q));
        bn_precision_policy_free(q);
        q = NULL;
        remove(path);
        CHECK_ERR(bn_precision_policy_load(path, &q), BN_ERR_IO, path);
    }
    free(js);
    /* a short hand-written policy: base + kinds + shorthand specs */
    const char *hand = "{\"base\": \"balanced\", \"kinds\": {\"embedding\": \"f16\",\n"
                       "  \"kv_cache\": {\"dtype\": \"qint8\", \"granularity\": \"block\", \"block\": 64}},\n"
                       "  \"overrides\": [{\"pattern\": \"lm_head.*\", \"spec\": \"bf16\"}]}";
    CHECK_OK(bn_precision_policy_from_json(hand, &q));
    bn_precision_spec s;
    CHECK_OK(bn_precision_policy_get(q, BN_LAYER_EMBEDDING, &s));
    CHECK(s.dtype == BN_DTYPE_F16);
    CHECK_OK(bn_precision_policy_get(q, BN_LAYER_KV_CACHE, &s));
    CHECK(s.dtype == BN_DTYPE_QINT8 && s.granularity == BN_PRECISION_PER_BLOCK && s.block == 64);
    CHECK_OK(bn_precision_policy_get(q, BN_LAYER_LINEAR, &s));
    CHECK(s.dtype == BN_DTYPE_TERNARY);
    CHECK(bn_precision_policy_override_count(q) == 1);
    bn_precision_policy_free(q);
    q = NULL;
    /* malformed JSON: line and column */
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\n  \"linear\": \"f16\",,\n}}", &q), BN_ERR_FORMAT,
              "line 2, column 19");
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {", &q), BN_ERR_FORMAT, "unexpected end of input");
    CHECK_ERR(bn_precision_policy_from_json("{\"base\": \"balanced\"} x", &q), BN_ERR_FORMAT, "text after");
    CHECK_ERR(bn_precision_policy_from_json("{\"a\": \"unterminated}", &q), BN_ERR_FORMAT, "unterminated string");
    CHECK_ERR(bn_precision_policy_from_json("[1, 2]", &q), BN_ERR_FORMAT, "top level must be an object");
    CHECK_ERR(bn_precision_policy_from_json("", &q), BN_ERR_FORMAT, "malformed JSON");
    /* well-formed but wrong */
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\"mlp\": \"f16\"}}", &q), BN_ERR_FORMAT,
              "unknown layer kind \"mlp\"");
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\"linear\": \"f17\"}}", &q), BN_ERR_FORMAT,
              "kind linear: unknown dtype \"f17\"");
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\"linear\": {\"dtype\": \"qint8\", \"granularity\": "
                                            "\"col\"}}}", &q), BN_ERR_FORMAT, "granularity col");
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\"linear\": {\"dtype\": \"qint8\", \"granularity\": "
                                            "\"block\"}}}", &q), BN_ERR_FORMAT, "needs \"block\"");
    CHECK_ERR(bn_precision_policy_from_json("{\"kinds\": {\"linear\": {\"dtype\": \"qint8\", \"block\": 2.5}}}", &q),
              BN_ERR_FORMAT, "positive integer");
    CHECK_ERR(bn_precision_policy_from_json("{\"base\": \"fast\"}", &q), BN_ERR_FORMAT, "\"base\" fast");
    CHECK_ERR(bn_precision_policy_from_json("{\"version\": 2}", &q), BN_ERR_FORMAT, "version must be 1");
    CHECK_ERR(bn_precision_policy_from_json("{\"colour\": 1}", &q), BN_ERR_FORMAT, "unknown key \"colour\"");
    CHECK_ERR(bn_precision_policy_from_json("{\"overrides\": [{\"spec\": \"f16\"}]}", &q), BN_ERR_FORMAT,
              "override 0 needs \"pattern\" and \"spec\"");
    CHECK_ERR(bn_precision_policy_from_json("{\"overrides\": {}}", &q), BN_ERR_FORMAT, "must be an array");
    CHECK(q == NULL);
    bn_precision_policy_free(p);
}

int main(void) {
    test_presets();
    test_kind_guess();
    test_overrides();
    test_validation();
    test_json();
    return bt_summary("test_precision_policy");
}
