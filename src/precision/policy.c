/* Precision policies: presets, overrides per name pattern, validation. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bitnet/precision.h"
#include "core/alloc.h"
#include "core/error.h"
#include "precision/precision_internal.h"

static const char *const k_kind_names[BN_LAYER_KIND_COUNT] = {"linear", "attention", "embedding", "norm",
                                                              "activation", "output", "kv_cache"};
static const char *const k_preset_names[3] = {"conservative", "balanced", "aggressive"};

const char *bn_layer_kind_name(bn_layer_kind kind) {
    return (int)kind >= 0 && (int)kind < BN_LAYER_KIND_COUNT ? k_kind_names[kind] : "unknown";
}

bn_status bn_layer_kind_from_name(const char *name, bn_layer_kind *kind) {
    BNI_CHECK_NULL("bn_layer_kind_from_name", name);
    BNI_CHECK_NULL("bn_layer_kind_from_name", kind);
    for (int i = 0; i < BN_LAYER_KIND_COUNT; i++)
        if (strcmp(name, k_kind_names[i]) == 0) {
            *kind = (bn_layer_kind)i;
            return BN_OK;
        }
    return bni_error(BN_ERR_INVALID_ARGUMENT,
                     "bn_layer_kind_from_name: unknown layer kind \"%s\" (linear, attention, embedding, norm, "
                     "activation, output, kv_cache)", name);
}

bn_layer_kind bn_layer_kind_guess(const char *name) {
    if (name == NULL) return BN_LAYER_LINEAR;
    if (strstr(name, "norm")) return BN_LAYER_NORM;
    if (strstr(name, "embed_tokens") || strstr(name, "wte") || strstr(name, "tok_embeddings") ||
        strstr(name, "token_embd"))
        return BN_LAYER_EMBEDDING;
    if (strstr(name, "lm_head") || strcmp(name, "output.weight") == 0 || strcmp(name, "output") == 0)
        return BN_LAYER_OUTPUT;
    if (strstr(name, "k_cache") || strstr(name, "v_cache") || strstr(name, "kv_cache")) return BN_LAYER_KV_CACHE;
    if (strstr(name, "q_proj") || strstr(name, "k_proj") || strstr(name, "v_proj") || strstr(name, "o_proj") ||
        strstr(name, "attn") || strstr(name, "attention"))
        return BN_LAYER_ATTENTION;
    if (strstr(name, "act") && !strstr(name, "proj")) return BN_LAYER_ACTIVATION;
    return BN_LAYER_LINEAR;
}

const char *bn_precision_preset_name(bn_precision_preset preset) {
    return (int)preset >= 0 && (int)preset < 3 ? k_preset_names[preset] : "unknown";
}

bn_status bn_precision_preset_from_name(const char *name, bn_precision_preset *preset) {
    BNI_CHECK_NULL("bn_precision_preset_from_name", name);
    BNI_CHECK_NULL("bn_precision_preset_from_name", preset);
    for (int i = 0; i < 3; i++)
        if (strcasecmp(name, k_preset_names[i]) == 0) {
            *preset = (bn_precision_preset)i;
            return BN_OK;
        }
    return bni_error(BN_ERR_INVALID_ARGUMENT,
                     "bn_precision_preset_from_name: unknown preset \"%s\" (conservative, balanced, aggressive)", name);
}

#define S(d) {BN_DTYPE_##d, BN_PRECISION_PER_TENSOR, 0}
#define ROW(d) {BN_DTYPE_##d, BN_PRECISION_PER_ROW, 0}
#define BLK(d, b) {BN_DTYPE_##d, BN_PRECISION_PER_BLOCK, b}
/* Order: linear, attention, embedding, norm, activation, output, kv_cache. */
static const bn_precision_spec k_presets[3][BN_LAYER_KIND_COUNT] = {
    {S(BF16), S(BF16), S(F32), S(F32), S(F32), S(F32), S(F32)},
    {S(TERNARY), S(TERNARY), S(BF16), S(F32), ROW(QINT8), S(BF16), S(F16)},
    {S(TERNARY), S(TERNARY), ROW(QINT8), S(BF16), ROW(QINT8), ROW(QINT8), BLK(QINT8, 32)},
};

bn_status bni_precision_check_spec(const char *fn, const bn_precision_spec *spec) {
    if (spec == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: spec is NULL", fn);
    if (bn_dtype_get_info(spec->dtype) == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)spec->dtype);
    if ((int)spec->granularity < 0 || (int)spec->granularity > 2)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid granularity %d", fn, (int)spec->granularity);
    if (bn_dtype_get_info(spec->dtype)->has_scale && spec->granularity == BN_PRECISION_PER_BLOCK && spec->block <= 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: block size %" PRId64 " must be > 0", fn, spec->block);
    return BN_OK;
}

/* A spec in canonical form: no granularity for dtypes without scales. */
static bn_precision_spec canon(bn_precision_spec s) {
    if (!bn_dtype_get_info(s.dtype)->has_scale) {
        s.granularity = BN_PRECISION_PER_TENSOR;
        s.block = 0;
    } else if (s.granularity != BN_PRECISION_PER_BLOCK) {
        s.block = 0;
    }
    return s;
}

bn_status bn_precision_policy_new(bn_precision_preset preset, bn_precision_policy **out) {
    BNI_CHECK_NULL("bn_precision_policy_new", out);
    if ((int)preset < 0 || (int)preset > 2)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_policy_new: invalid preset %d", (int)preset);
    bn_precision_policy *p = (bn_precision_policy *)bni_malloc(sizeof *p);
    if (p == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_precision_policy_new: %zu bytes", sizeof *p);
    memset(p, 0, sizeof *p);
    memcpy(p->kinds, k_presets[preset], sizeof p->kinds);
    *out = p;
    return BN_OK;
}

void bn_precision_policy_free(bn_precision_policy *p) {
    if (p == NULL) return;
    bni_free(p->ov);
    bni_free(p);
}

bn_status bn_precision_policy_clone(const bn_precision_policy *p, bn_precision_policy **out) {
    BNI_CHECK_NULL("bn_precision_policy_clone", p);
    BNI_CHECK_NULL("bn_precision_policy_clone", out);
    bn_precision_policy *c = (bn_precision_policy *)bni_malloc(sizeof *c);
    bni_precision_override *ov = p->nov ? (bni_precision_override *)bni_malloc(p->nov * sizeof *ov) : NULL;
    if (c == NULL || (p->nov && ov == NULL)) {
        bni_free(c);
        bni_free(ov);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_precision_policy_clone: %zu overrides", p->nov);
    }
    *c = *p;
    if (p->nov) memcpy(ov, p->ov, p->nov * sizeof *ov);
    c->ov = ov;
    c->cap = p->nov;
    *out = c;
    return BN_OK;
}

bn_status bn_precision_policy_get(const bn_precision_policy *p, bn_layer_kind kind, bn_precision_spec *spec) {
    BNI_CHECK_NULL("bn_precision_policy_get", p);
    BNI_CHECK_NULL("bn_precision_policy_get", spec);
    if ((int)kind < 0 || (int)kind >= BN_LAYER_KIND_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_policy_get: invalid layer kind %d", (int)kind);
    *spec = p->kinds[kind];
    return BN_OK;
}

bn_status bn_precision_policy_set(bn_precision_policy *p, bn_layer_kind kind, const bn_precision_spec *spec) {
    BNI_CHECK_NULL("bn_precision_policy_set", p);
    if ((int)kind < 0 || (int)kind >= BN_LAYER_KIND_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_policy_set: invalid layer kind %d", (int)kind);
    bn_status st = bni_precision_check_spec("bn_precision_policy_set", spec);
    if (st) return st;
    p->kinds[kind] = canon(*spec);
    return BN_OK;
}

bn_status bn_precision_policy_add_override(bn_precision_policy *p, const char *pattern,
                                           const bn_precision_spec *spec) {
    static const char fn[] = "bn_precision_policy_add_override";
    BNI_PCHECK_NULL(fn, p);
    BNI_PCHECK_NULL(fn, pattern);
    size_t len = strlen(pattern);
    if (len == 0 || len >= BNI_PATTERN_MAX)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: pattern length %zu is not 1..%d", fn, len,
                         BNI_PATTERN_MAX - 1);
    bn_status st = bni_precision_check_spec(fn, spec);
    if (st) return st;
    for (size_t i = 0; i < p->nov; i++)
        if (strcmp(p->ov[i].pattern, pattern) == 0) {
            /* replaced: moves to the end, as the latest */
            bni_precision_override o = p->ov[i];
            memmove(&p->ov[i], &p->ov[i + 1], (p->nov - i - 1) * sizeof o);
            o.spec = canon(*spec);
            p->ov[p->nov - 1] = o;
            return BN_OK;
        }
    if (p->nov == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        bni_precision_override *n = (bni_precision_override *)bni_malloc(cap * sizeof *n);
        if (n == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: %zu overrides", fn, cap);
        if (p->nov) memcpy(n, p->ov, p->nov * sizeof *n);
        bni_free(p->ov);
        p->ov = n;
        p->cap = cap;
    }
    memcpy(p->ov[p->nov].pattern, pattern, len + 1);
    p->ov[p->nov].spec = canon(*spec);
    p->nov++;
    return BN_OK;
}

bn_status bn_precision_policy_remove_override(bn_precision_policy *p, const char *pattern) {
    BNI_CHECK_NULL("bn_precision_policy_remove_override", p);
    BNI_CHECK_NULL("bn_precision_policy_remove_override", pattern);
    for (size_t i = 0; i < p->nov; i++)
        if (strcmp(p->ov[i].pattern, pattern) == 0) {
            memmove(&p->ov[i], &p->ov[i + 1], (p->nov - i - 1) * sizeof p->ov[0]);
            p->nov--;
            return BN_OK;
        }
    return bni_error(BN_ERR_OUT_OF_RANGE, "bn_precision_policy_remove_override: no override \"%s\"", pattern);
}

size_t bn_precision_policy_override_count(const bn_precision_policy *p) { return p ? p->nov : 0; }

bn_status bn_precision_policy_override_at(const bn_precision_policy *p, size_t index, const char **pattern,
                                          bn_precision_spec *spec) {
    BNI_CHECK_NULL("bn_precision_policy_override_at", p);
    if (index >= p->nov)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_precision_policy_override_at: index %zu of %zu overrides", index,
                         p->nov);
    if (pattern) *pattern = p->ov[index].pattern;
    if (spec) *spec = p->ov[index].spec;
    return BN_OK;
}

/* Glob match of pat against the first n characters of s. */
static int glob_match_n(const char *pat, const char *s, size_t n) {
    const char *e = s + n;
    const char *star = NULL, *resume = NULL;
    while (s < e) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat && (*pat == '?' || *pat == *s)) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*') pat++;
    return *pat == 0;
}

int bn_precision_glob_match(const char *pat, const char *s) {
    if (pat == NULL || s == NULL) return 0;
    return glob_match_n(pat, s, strlen(s));
}

int bn_precision_override_matches(const char *pattern, const char *name) {
    static const char *const suffixes[2] = {".weight", ".bias"};
    if (pattern == NULL || name == NULL) return 0;
    size_t len = strlen(name);
    if (glob_match_n(pattern, name, len)) return 1;
    for (int i = 0; i < 2; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0) return glob_match_n(pattern, name, len - sl);
    }
    return 0;
}

static size_t literal_chars(const char *pat) {
    size_t n = 0;
    for (; *pat; pat++)
        if (*pat != '*' && *pat != '?') n++;
    return n;
}

bn_status bn_precision_policy_resolve(const bn_precision_policy *p, const char *name, bn_layer_kind kind,
                                      bn_precision_spec *spec, const char **matched) {
    BNI_CHECK_NULL("bn_precision_policy_resolve", p);
    BNI_CHECK_NULL("bn_precision_policy_resolve", spec);
    if ((int)kind < 0 || (int)kind >= BN_LAYER_KIND_COUNT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_precision_policy_resolve: invalid layer kind %d", (int)kind);
    const bni_precision_override *best = NULL;
    size_t best_lit = 0;
    if (name)
        for (size_t i = 0; i < p->nov; i++) {
            if (!bn_precision_override_matches(p->ov[i].pattern, name)) continue;
            size_t lit = literal_chars(p->ov[i].pattern);
            if (best == NULL || lit >= best_lit) {
                best = &p->ov[i];
                best_lit = lit;
            }
        }
    *spec = best ? best->spec : p->kinds[kind];
    if (matched) *matched = best ? best->pattern : NULL;
    return BN_OK;
}

/* ---- validation ---------------------------------------------------------- */

typedef struct vbuf {
    char *buf;
    size_t size, len;
    int errors, warnings;
    bn_status first;
    char first_msg[320];
} vbuf;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static void vadd(vbuf *v, int is_error, bn_status st, const char *fmt, ...) {
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (is_error) {
        if (v->errors++ == 0) {
            v->first = st;
            snprintf(v->first_msg, sizeof v->first_msg, "%s", line);
        }
    } else {
        v->warnings++;
    }
    if (v->buf && v->len + 1 < v->size) {
        int n = snprintf(v->buf + v->len, v->size - v->len, "%s: %s\n", is_error ? "error" : "warning", line);
        if (n > 0) v->len += (size_t)n < v->size - v->len ? (size_t)n : v->size - v->len - 1;
    }
}

static int is_float(bn_dtype d) {
    return d == BN_DTYPE_F32 || d == BN_DTYPE_F16 || d == BN_DTYPE_BF16 || d == BN_DTYPE_F64;
}

/* What the model runtime (src/model) executes for each kind today, whatever
 * the policy says: NULL when it executes @p sp, else a description of what
 * it does run. Keep in step with docs/model.md. */
static const char *runtime_runs(bn_layer_kind kind, const bn_precision_spec *sp) {
    bn_dtype d = sp->dtype;
    switch (kind) {
    case BN_LAYER_LINEAR:
    case BN_LAYER_ATTENTION:
        return d == BN_DTYPE_TERNARY && sp->granularity != BN_PRECISION_PER_BLOCK
                   ? NULL
                   : "it runs linear and attention projections as ternary/tensor or ternary/row";
    case BN_LAYER_EMBEDDING:
        return d == BN_DTYPE_F32 || d == BN_DTYPE_BF16 || d == BN_DTYPE_F16
                   ? NULL
                   : "it keeps the embedding in f32, bf16 or f16";
    case BN_LAYER_OUTPUT:
        return d == BN_DTYPE_F32 || d == BN_DTYPE_BF16 || d == BN_DTYPE_F16
                   ? NULL
                   : "it keeps the output layer in f32, bf16 or f16";
    case BN_LAYER_NORM: return d == BN_DTYPE_F32 ? NULL : "it runs norms in f32";
    case BN_LAYER_ACTIVATION:
        return d == BN_DTYPE_QINT8 && sp->granularity == BN_PRECISION_PER_ROW
                   ? NULL
                   : "it quantizes activations to qint8/row, one scale per token";
    case BN_LAYER_KV_CACHE: return d == BN_DTYPE_F32 ? NULL : "it keeps the KV cache in f32";
    }
    return NULL;
}

static void check_one(vbuf *v, const char *what, bn_layer_kind kind, const bn_precision_spec *sp, bn_device dev) {
    int errors0 = v->errors;
    char text[48];
    if (bn_precision_spec_format(sp, text, sizeof text) != BN_OK) snprintf(text, sizeof text, "?");
    bn_dtype d = sp->dtype;
    const bn_dtype_info *info = bn_dtype_get_info(d);
    if (kind == BN_LAYER_NORM && !is_float(d))
        vadd(v, 1, BN_ERR_DTYPE, "%s is %s: norm layers must stay floating point (f32, bf16, f16)", what, text);
    int runs = is_float(d) || d == BN_DTYPE_I8 || info->kind == BN_KIND_PACKED;
    if (!runs)
        vadd(v, 1, BN_ERR_DTYPE, "%s is %s: no kernel runs a layer in %s on %s", what, text, info->name,
             bn_device_kind_name(dev.kind));
    else if (d == BN_DTYPE_F64 && dev.kind != BN_DEVICE_CPU)
        vadd(v, 1, BN_ERR_DTYPE, "%s is f64: %s runs f64 nowhere; use f32", what, bn_device_kind_name(dev.kind));
    if (kind == BN_LAYER_KV_CACHE && (d == BN_DTYPE_TERNARY || d == BN_DTYPE_BINARY))
        vadd(v, 1, BN_ERR_DTYPE, "%s is %s: keys and values cannot be %s (use f16, bf16, qint8 or qint4)", what, text,
             info->name);
    if (kind == BN_LAYER_OUTPUT && runs && info->logical_bits < 8)
        vadd(v, 0, BN_OK, "%s is %s (%.2f bits): an output layer under 8 bits moves the logits", what, text,
             info->logical_bits);
    if ((kind == BN_LAYER_EMBEDDING || kind == BN_LAYER_ACTIVATION) && runs && info->logical_bits < 8)
        vadd(v, 0, BN_OK, "%s is %s (%.2f bits): %s under 8 bits lose most of their information", what, text,
             info->logical_bits, kind == BN_LAYER_EMBEDDING ? "embeddings" : "activations");
    if ((kind == BN_LAYER_ACTIVATION || kind == BN_LAYER_KV_CACHE) && info->has_scale &&
        sp->granularity == BN_PRECISION_PER_TENSOR)
        vadd(v, 0, BN_OK, "%s is %s: one scale per tensor lets one outlier set the scale of every token", what,
             text);
    const char *rt = v->errors == errors0 ? runtime_runs(kind, sp) : NULL;
    if (rt) vadd(v, 0, BN_OK, "%s is %s: not executed by the model runtime yet (%s)", what, text, rt);
}

bn_status bn_precision_policy_validate(const bn_precision_policy *p, bn_device device, char *report,
                                       size_t report_size, int *nwarnings) {
    BNI_CHECK_NULL("bn_precision_policy_validate", p);
    vbuf v;
    memset(&v, 0, sizeof v);
    v.buf = report;
    v.size = report_size;
    if (report && report_size) report[0] = 0;
    if (bn_device_available(device.kind) != BN_OK)
        vadd(&v, 1, BN_ERR_DEVICE_UNAVAILABLE, "device %s:%d is not available in this build or on this machine",
             bn_device_kind_name(device.kind), device.index);
    for (int k = 0; k < BN_LAYER_KIND_COUNT; k++) {
        char what[64];
        snprintf(what, sizeof what, "kind %s", k_kind_names[k]);
        check_one(&v, what, (bn_layer_kind)k, &p->kinds[k], device);
    }
    for (size_t i = 0; i < p->nov; i++) {
        char what[BNI_PATTERN_MAX + 32];
        snprintf(what, sizeof what, "override \"%s\"", p->ov[i].pattern);
        check_one(&v, what, bn_layer_kind_guess(p->ov[i].pattern), &p->ov[i].spec, device);
    }
    if (nwarnings) *nwarnings = v.warnings;
    if (v.errors)
        return bni_error(v.first, "bn_precision_policy_validate: %s%s", v.first_msg,
                         v.errors > 1 ? " (and more: see the report)" : "");
    return BN_OK;
}
