/* Loading tokenizer.json (and tokenizer_config.json) with jansson into the
 * structures of tok_internal.h. Every component type the file names is
 * either implemented or refused with BN_ERR_NOT_SUPPORTED naming it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "text/tok_internal.h"

#define WHO "bn_tokenizer_load"

static char *dup_n(const char *s, size_t n) {
    char *p = bni_malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bn_status oom(const char *what) {
    return bni_error(BN_ERR_OUT_OF_MEMORY, WHO ": out of memory loading %s", what);
}

static const char *type_of(const json_t *o) {
    const json_t *t = json_object_get(o, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static int get_bool(const json_t *o, const char *key, int dflt) {
    const json_t *v = json_object_get(o, key);
    if (json_is_boolean(v)) return json_is_true(v);
    return dflt;
}

/* A string field: pointer and length (NULL when absent or not a string). */
static const char *get_str(const json_t *o, const char *key, size_t *len) {
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

/* {"String": s} or {"Regex": r}: returns the text; *is_regex says which. */
static const char *get_pattern(const json_t *o, size_t *len, int *is_regex) {
    const json_t *p = json_object_get(o, "pattern");
    if (!json_is_object(p)) return NULL;
    const json_t *s = json_object_get(p, "String");
    if (json_is_string(s)) {
        *is_regex = 0;
        *len = json_string_length(s);
        return json_string_value(s);
    }
    s = json_object_get(p, "Regex");
    if (json_is_string(s)) {
        *is_regex = 1;
        *len = json_string_length(s);
        return json_string_value(s);
    }
    return NULL;
}

/* ---- normalizers --------------------------------------------------------------- */

static bn_status add_norm(bn_tokenizer *tok, const tk_norm *n) {
    tk_norm *p = bni_realloc(tok->norms, (tok->n_norms + 1) * sizeof *p);
    if (!p) return oom("the normalizer");
    tok->norms = p;
    tok->norms[tok->n_norms++] = *n;
    return BN_OK;
}

static bn_status parse_normalizer(bn_tokenizer *tok, const json_t *o, int depth) {
    if (json_is_null(o) || o == NULL) return BN_OK;
    if (!json_is_object(o) || depth > 16) return bni_error(BN_ERR_FORMAT, WHO ": normalizer is not an object");
    const char *type = type_of(o);
    if (!type) return bni_error(BN_ERR_FORMAT, WHO ": normalizer without a type");
    tk_norm n;
    memset(&n, 0, sizeof n);
    size_t len = 0;
    if (strcmp(type, "Sequence") == 0) {
        const json_t *arr = json_object_get(o, "normalizers");
        if (!json_is_array(arr)) return bni_error(BN_ERR_FORMAT, WHO ": normalizer Sequence without 'normalizers'");
        for (size_t i = 0; i < json_array_size(arr); i++) {
            bn_status st = parse_normalizer(tok, json_array_get(arr, i), depth + 1);
            if (st) return st;
        }
        return BN_OK;
    }
    if (strcmp(type, "Prepend") == 0 || strcmp(type, "Append") == 0) {
        int prepend = type[0] == 'P';
        const char *s = get_str(o, prepend ? "prepend" : "append", &len);
        if (!s) return bni_error(BN_ERR_FORMAT, WHO ": normalizer %s without its text", type);
        n.kind = prepend ? TK_NORM_PREPEND : TK_NORM_APPEND;
        n.text = dup_n(s, len);
        n.text_len = len;
        if (!n.text) return oom("the normalizer");
    } else if (strcmp(type, "Replace") == 0) {
        int is_regex = 0;
        size_t plen = 0;
        const char *pat = get_pattern(o, &plen, &is_regex);
        const char *content = get_str(o, "content", &len);
        if (!pat || !content) return bni_error(BN_ERR_FORMAT, WHO ": normalizer Replace without pattern or content");
        n.kind = TK_NORM_REPLACE;
        n.text = dup_n(content, len);
        n.text_len = len;
        if (!n.text) return oom("the normalizer");
        if (is_regex) {
            bn_status st = tk_regex_compile(&n.re, pat, plen, 0, WHO);
            if (st) {
                bni_free(n.text);
                return st;
            }
        } else {
            if (plen == 0) {
                bni_free(n.text);
                return bni_error(BN_ERR_FORMAT, WHO ": normalizer Replace with an empty pattern");
            }
            n.pat = dup_n(pat, plen);
            n.pat_len = plen;
            if (!n.pat) {
                bni_free(n.text);
                return oom("the normalizer");
            }
        }
    } else if (strcmp(type, "Strip") == 0) {
        n.kind = TK_NORM_STRIP;
        n.strip_left = get_bool(o, "strip_left", 1);
        n.strip_right = get_bool(o, "strip_right", 1);
    } else {
        return bni_error(BN_ERR_NOT_SUPPORTED,
                         WHO ": normalizer type '%s' is not supported (supported: Sequence, Prepend, Append, "
                             "Replace, Strip)",
                         type);
    }
    bn_status st = add_norm(tok, &n);
    if (st) {
        bni_free(n.text);
        bni_free(n.pat);
        tk_regex_free(&n.re);
    }
    return st;
}

/* ---- pre-tokenizers ------------------------------------------------------------- */

/* GPT-2's split pattern, as the ByteLevel pre-tokenizer uses with use_regex. */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static bn_status add_pretok(bn_tokenizer *tok, const tk_pretok *p) {
    tk_pretok *q = bni_realloc(tok->pretoks, (tok->n_pretoks + 1) * sizeof *q);
    if (!q) return oom("the pre-tokenizer");
    tok->pretoks = q;
    tok->pretoks[tok->n_pretoks++] = *p;
    return BN_OK;
}

static bn_status parse_pretok(bn_tokenizer *tok, const json_t *o, int depth) {
    if (json_is_null(o) || o == NULL) return BN_OK;
    if (!json_is_object(o) || depth > 16) return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer is not an object");
    const char *type = type_of(o);
    if (!type) return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer without a type");
    tk_pretok p;
    memset(&p, 0, sizeof p);
    if (strcmp(type, "Sequence") == 0) {
        const json_t *arr = json_object_get(o, "pretokenizers");
        if (!json_is_array(arr))
            return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer Sequence without 'pretokenizers'");
        for (size_t i = 0; i < json_array_size(arr); i++) {
            bn_status st = parse_pretok(tok, json_array_get(arr, i), depth + 1);
            if (st) return st;
        }
        return BN_OK;
    }
    bn_status st;
    if (strcmp(type, "Split") == 0) {
        int is_regex = 0;
        size_t plen = 0;
        const char *pat = get_pattern(o, &plen, &is_regex);
        if (!pat) return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer Split without a pattern");
        size_t blen = 0;
        const char *b = get_str(o, "behavior", &blen);
        if (!b) return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer Split without a behavior");
        if (strcmp(b, "Removed") == 0) p.behavior = TK_SPLIT_REMOVED;
        else if (strcmp(b, "Isolated") == 0) p.behavior = TK_SPLIT_ISOLATED;
        else if (strcmp(b, "MergedWithPrevious") == 0) p.behavior = TK_SPLIT_MERGED_WITH_PREVIOUS;
        else if (strcmp(b, "MergedWithNext") == 0) p.behavior = TK_SPLIT_MERGED_WITH_NEXT;
        else if (strcmp(b, "Contiguous") == 0) p.behavior = TK_SPLIT_CONTIGUOUS;
        else return bni_error(BN_ERR_FORMAT, WHO ": pre_tokenizer Split with unknown behavior '%s'", b);
        p.kind = TK_PRE_SPLIT;
        p.invert = get_bool(o, "invert", 0);
        st = tk_regex_compile(&p.re, pat, plen, !is_regex, WHO);
        if (st) return st;
    } else if (strcmp(type, "ByteLevel") == 0) {
        p.kind = TK_PRE_BYTELEVEL;
        p.add_prefix_space = get_bool(o, "add_prefix_space", 1);
        p.use_regex = get_bool(o, "use_regex", 1);
        if (p.use_regex) {
            st = tk_regex_compile(&p.re, gpt2_pattern, sizeof gpt2_pattern - 1, 0, WHO);
            if (st) return st;
        }
    } else {
        return bni_error(BN_ERR_NOT_SUPPORTED,
                         WHO ": pre_tokenizer type '%s' is not supported (supported: Sequence, Split, ByteLevel)",
                         type);
    }
    st = add_pretok(tok, &p);
    if (st) tk_regex_free(&p.re);
    return st;
}

/* ---- decoders ----------------------------------------------------------------------- */

static bn_status add_dec(bn_tokenizer *tok, const tk_dec *d) {
    tk_dec *q = bni_realloc(tok->decs, (tok->n_decs + 1) * sizeof *q);
    if (!q) return oom("the decoder");
    tok->decs = q;
    tok->decs[tok->n_decs++] = *d;
    return BN_OK;
}

static bn_status parse_decoder(bn_tokenizer *tok, const json_t *o, int depth) {
    if (json_is_null(o) || o == NULL) return BN_OK;
    if (!json_is_object(o) || depth > 16) return bni_error(BN_ERR_FORMAT, WHO ": decoder is not an object");
    const char *type = type_of(o);
    if (!type) return bni_error(BN_ERR_FORMAT, WHO ": decoder without a type");
    tok->has_decoder = 1;
    tk_dec d;
    memset(&d, 0, sizeof d);
    size_t len = 0;
    if (strcmp(type, "Sequence") == 0) {
        const json_t *arr = json_object_get(o, "decoders");
        if (!json_is_array(arr)) return bni_error(BN_ERR_FORMAT, WHO ": decoder Sequence without 'decoders'");
        for (size_t i = 0; i < json_array_size(arr); i++) {
            bn_status st = parse_decoder(tok, json_array_get(arr, i), depth + 1);
            if (st) return st;
        }
        return BN_OK;
    }
    if (strcmp(type, "ByteLevel") == 0) d.kind = TK_DEC_BYTELEVEL;
    else if (strcmp(type, "ByteFallback") == 0) d.kind = TK_DEC_BYTEFALLBACK;
    else if (strcmp(type, "Fuse") == 0) d.kind = TK_DEC_FUSE;
    else if (strcmp(type, "Replace") == 0) {
        int is_regex = 0;
        size_t plen = 0;
        const char *pat = get_pattern(o, &plen, &is_regex);
        const char *content = get_str(o, "content", &len);
        if (!pat || !content) return bni_error(BN_ERR_FORMAT, WHO ": decoder Replace without pattern or content");
        if (is_regex) return bni_error(BN_ERR_NOT_SUPPORTED, WHO ": decoder Replace with a Regex pattern is not supported");
        if (plen == 0) return bni_error(BN_ERR_FORMAT, WHO ": decoder Replace with an empty pattern");
        d.kind = TK_DEC_REPLACE;
        d.pattern = dup_n(pat, plen);
        d.pattern_len = plen;
        d.content = dup_n(content, len);
        d.content_len = len;
        if (!d.pattern || !d.content) {
            bni_free(d.pattern);
            bni_free(d.content);
            return oom("the decoder");
        }
    } else if (strcmp(type, "Strip") == 0) {
        const char *content = get_str(o, "content", &len);
        if (!content || len == 0) return bni_error(BN_ERR_FORMAT, WHO ": decoder Strip without content");
        d.kind = TK_DEC_STRIP;
        d.content = dup_n(content, len);
        d.content_len = len;
        if (!d.content) return oom("the decoder");
        json_t *s = json_object_get(o, "start"), *e = json_object_get(o, "stop");
        d.start = json_is_integer(s) ? (int)json_integer_value(s) : 0;
        d.stop = json_is_integer(e) ? (int)json_integer_value(e) : 0;
        if (d.start < 0 || d.stop < 0) {
            bni_free(d.content);
            return bni_error(BN_ERR_FORMAT, WHO ": decoder Strip with a negative count");
        }
    } else {
        return bni_error(BN_ERR_NOT_SUPPORTED,
                         WHO ": decoder type '%s' is not supported (supported: Sequence, ByteLevel, Replace, "
                             "ByteFallback, Fuse, Strip)",
                         type);
    }
    bn_status st = add_dec(tok, &d);
    if (st) {
        bni_free(d.pattern);
        bni_free(d.content);
    }
    return st;
}

/* ---- post-processor --------------------------------------------------------------------- */

/* The ids of one SpecialToken of a template, from "special_tokens". */
static bn_status template_ids(const json_t *specials, const char *name, tk_i32 *out) {
    const json_t *sp = json_object_get(specials, name);
    const json_t *ids = json_object_get(sp, "ids");
    if (!json_is_array(ids))
        return bni_error(BN_ERR_FORMAT, WHO ": TemplateProcessing names special token '%s' without its ids", name);
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const json_t *v = json_array_get(ids, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            return bni_error(BN_ERR_FORMAT, WHO ": TemplateProcessing token '%s' has a bad id", name);
        if (!tk_i32_push(out, (int32_t)json_integer_value(v))) return oom("the post-processor");
    }
    return BN_OK;
}

static bn_status parse_post(bn_tokenizer *tok, const json_t *o, int depth, tk_i32 *prefix, tk_i32 *suffix) {
    if (json_is_null(o) || o == NULL) return BN_OK;
    if (!json_is_object(o) || depth > 16) return bni_error(BN_ERR_FORMAT, WHO ": post_processor is not an object");
    const char *type = type_of(o);
    if (!type) return bni_error(BN_ERR_FORMAT, WHO ": post_processor without a type");
    if (strcmp(type, "ByteLevel") == 0) return BN_OK; /* offsets only */
    if (strcmp(type, "Sequence") == 0) {
        const json_t *arr = json_object_get(o, "processors");
        if (!json_is_array(arr)) return bni_error(BN_ERR_FORMAT, WHO ": post_processor Sequence without 'processors'");
        for (size_t i = 0; i < json_array_size(arr); i++) {
            bn_status st = parse_post(tok, json_array_get(arr, i), depth + 1, prefix, suffix);
            if (st) return st;
        }
        return BN_OK;
    }
    if (strcmp(type, "TemplateProcessing") == 0) {
        const json_t *single = json_object_get(o, "single");
        const json_t *specials = json_object_get(o, "special_tokens");
        if (!json_is_array(single)) return bni_error(BN_ERR_FORMAT, WHO ": TemplateProcessing without 'single'");
        int seen_a = 0;
        for (size_t i = 0; i < json_array_size(single); i++) {
            const json_t *piece = json_array_get(single, i);
            const json_t *sp = json_object_get(piece, "SpecialToken");
            if (json_is_object(sp)) {
                const json_t *id = json_object_get(sp, "id");
                if (!json_is_string(id)) return bni_error(BN_ERR_FORMAT, WHO ": TemplateProcessing SpecialToken without id");
                bn_status st = template_ids(specials, json_string_value(id), seen_a ? suffix : prefix);
                if (st) return st;
            } else if (json_is_object(json_object_get(piece, "Sequence"))) {
                seen_a = 1;
            } else {
                return bni_error(BN_ERR_FORMAT, WHO ": TemplateProcessing piece is neither SpecialToken nor Sequence");
            }
        }
        return BN_OK;
    }
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        const json_t *cls = json_object_get(o, "cls"), *sep = json_object_get(o, "sep");
        const json_t *cid = json_array_get(cls, 1), *sid = json_array_get(sep, 1);
        if (!json_is_integer(cid) || !json_is_integer(sid))
            return bni_error(BN_ERR_FORMAT, WHO ": %s without cls/sep ids", type);
        if (!tk_i32_push(prefix, (int32_t)json_integer_value(cid)) ||
            !tk_i32_push(suffix, (int32_t)json_integer_value(sid)))
            return oom("the post-processor");
        return BN_OK;
    }
    (void)tok;
    return bni_error(BN_ERR_NOT_SUPPORTED,
                     WHO ": post_processor type '%s' is not supported (supported: TemplateProcessing, ByteLevel, "
                         "BertProcessing, RobertaProcessing, Sequence)",
                     type);
}

/* ---- the model ----------------------------------------------------------------------------- */

/* Map a byte-level token (GPT-2 characters) to raw bytes; 0 when some
 * character is not one of the 256. */
static int bytelevel_to_raw(const char *s, size_t n, char *out, size_t *out_len) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = tk_utf8_valid_len((const unsigned char *)s + i, n - i);
        if (k == 0) return 0;
        size_t kk;
        int b = tk_cp_to_byte(tk_utf8_decode((const unsigned char *)s + i, &kk));
        if (b < 0) return 0;
        out[o++] = (char)b;
        i += k;
    }
    *out_len = o;
    return 1;
}

static bn_status set_token(bn_tokenizer *tok, int32_t id, const char *s, size_t n) {
    size_t off = tok->tok_arena.n;
    if (off + n + 1 > UINT32_MAX) return bni_error(BN_ERR_FORMAT, WHO ": vocabulary too large");
    if (!tk_bytes_append(&tok->tok_arena, s, n) || !tk_bytes_append(&tok->tok_arena, "", 1))
        return oom("the vocabulary");
    tok->tok_off[id] = (uint32_t)off;
    tok->tok_len[id] = (uint32_t)n;
    return BN_OK;
}

static bn_status lookup_merge_part(const bn_tokenizer *tok, const char *s, size_t n, size_t rank, int32_t *id) {
    *id = tk_strmap_get(&tok->vocab, s, n);
    if (*id < 0)
        return bni_error(BN_ERR_FORMAT, WHO ": merge %zu names '%.*s', which is not in the vocabulary", rank,
                         (int)(n > 100 ? 100 : n), s);
    return BN_OK;
}

static bn_status parse_merges(bn_tokenizer *tok, const json_t *merges) {
    size_t count = json_array_size(merges);
    if (!tk_pairmap_init(&tok->merges, count)) return oom("the merges");
    tk_bytes joined = {0};
    bn_status st = BN_OK;
    for (size_t r = 0; r < count && st == BN_OK; r++) {
        const json_t *m = json_array_get(merges, r);
        const char *a, *b;
        size_t alen, blen;
        if (json_is_string(m)) {
            const char *s = json_string_value(m);
            size_t n = json_string_length(m);
            const char *sp = memchr(s, ' ', n);
            if (!sp || memchr(sp + 1, ' ', n - (size_t)(sp + 1 - s))) {
                st = bni_error(BN_ERR_FORMAT, WHO ": merge %zu ('%.*s') is not two tokens separated by one space", r,
                               (int)(n > 100 ? 100 : n), s);
                break;
            }
            a = s;
            alen = (size_t)(sp - s);
            b = sp + 1;
            blen = n - alen - 1;
        } else if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
                   json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0));
            alen = json_string_length(json_array_get(m, 0));
            b = json_string_value(json_array_get(m, 1));
            blen = json_string_length(json_array_get(m, 1));
        } else {
            st = bni_error(BN_ERR_FORMAT, WHO ": merge %zu is neither \"a b\" nor [a, b]", r);
            break;
        }
        int32_t ida, idb;
        if ((st = lookup_merge_part(tok, a, alen, r, &ida)) || (st = lookup_merge_part(tok, b, blen, r, &idb))) break;
        joined.n = 0;
        if (!tk_bytes_append(&joined, a, alen) || !tk_bytes_append(&joined, b, blen)) {
            st = oom("the merges");
            break;
        }
        int32_t idm = tk_strmap_get(&tok->vocab, joined.p, joined.n);
        if (idm < 0) {
            st = bni_error(BN_ERR_FORMAT, WHO ": merge %zu gives '%.*s', which is not in the vocabulary", r,
                           (int)(joined.n > 100 ? 100 : joined.n), joined.p);
            break;
        }
        tk_pairmap_put(&tok->merges, ida, idb, (int32_t)r, idm);
    }
    tk_bytes_free(&joined);
    return st;
}

static bn_status parse_model(bn_tokenizer *tok, const json_t *model, int32_t *max_id) {
    if (!json_is_object(model)) return bni_error(BN_ERR_FORMAT, WHO ": no 'model' object");
    const char *type = type_of(model);
    const json_t *vocab = json_object_get(model, "vocab");
    const json_t *merges = json_object_get(model, "merges");
    if (type && strcmp(type, "BPE") != 0)
        return bni_error(BN_ERR_NOT_SUPPORTED, WHO ": model type '%s' is not supported (BPE only)", type);
    if (!json_is_object(vocab) || !json_is_array(merges))
        return bni_error(BN_ERR_FORMAT, WHO ": BPE model without 'vocab' object and 'merges' array");
    const json_t *v = json_object_get(model, "dropout");
    if (json_is_number(v) && json_number_value(v) > 0.0)
        return bni_error(BN_ERR_NOT_SUPPORTED, WHO ": BPE dropout %g is not supported", json_number_value(v));
    size_t plen = 0;
    if (get_str(model, "continuing_subword_prefix", &plen) && plen)
        return bni_error(BN_ERR_NOT_SUPPORTED, WHO ": BPE continuing_subword_prefix is not supported");
    if (get_str(model, "end_of_word_suffix", &plen) && plen)
        return bni_error(BN_ERR_NOT_SUPPORTED, WHO ": BPE end_of_word_suffix is not supported");
    tok->byte_fallback = get_bool(model, "byte_fallback", 0);
    tok->fuse_unk = get_bool(model, "fuse_unk", 0);
    tok->ignore_merges = get_bool(model, "ignore_merges", 0);
    size_t ulen = 0;
    const char *unk = get_str(model, "unk_token", &ulen);
    if (unk) {
        tok->unk_token = dup_n(unk, ulen);
        if (!tok->unk_token) return oom("the model");
    }

    if (!tk_strmap_init(&tok->vocab, json_object_size(vocab) + 300)) return oom("the vocabulary");
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)vocab, key, klen, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) >= INT32_MAX)
            return bni_error(BN_ERR_FORMAT, WHO ": vocabulary entry '%.*s' has no valid id", (int)(klen > 100 ? 100 : klen),
                             key);
        int32_t id = (int32_t)json_integer_value(val);
        if (!tk_strmap_put(&tok->vocab, key, klen, id)) return oom("the vocabulary");
        if (id > *max_id) *max_id = id;
    }
    return parse_merges(tok, merges);
}

/* ---- added tokens ---------------------------------------------------------------------------- */

static bn_status parse_added(bn_tokenizer *tok, const json_t *arr, int32_t *max_id) {
    if (arr == NULL || json_is_null(arr)) return BN_OK;
    if (!json_is_array(arr)) return bni_error(BN_ERR_FORMAT, WHO ": 'added_tokens' is not an array");
    size_t n = json_array_size(arr);
    if (n == 0) return BN_OK;
    tok->added = bni_calloc(n, sizeof *tok->added);
    if (!tok->added) return oom("the added tokens");
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        const json_t *id = json_object_get(o, "id");
        size_t len = 0;
        const char *content = get_str(o, "content", &len);
        if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) >= INT32_MAX || !content)
            return bni_error(BN_ERR_FORMAT, WHO ": added token %zu without a valid id and content", i);
        if (len == 0) return bni_error(BN_ERR_FORMAT, WHO ": added token %zu is empty", i);
        tk_added *a = &tok->added[tok->n_added];
        a->id = (int32_t)json_integer_value(id);
        a->content = dup_n(content, len);
        if (!a->content) return oom("the added tokens");
        a->len = len;
        tok->n_added++;
        a->special = get_bool(o, "special", 0);
        a->normalized = get_bool(o, "normalized", !a->special);
        a->lstrip = get_bool(o, "lstrip", 0);
        a->rstrip = get_bool(o, "rstrip", 0);
        a->single_word = get_bool(o, "single_word", 0);
        if (a->id > *max_id) *max_id = a->id;
    }
    return BN_OK;
}

/* ---- tokenizer_config.json ---------------------------------------------------------------- */

/* "bos_token": "<s>" or {"content": "<s>", ...}; -1 when absent or unknown. */
static int32_t config_token(const bn_tokenizer *tok, const json_t *cfg, const char *key) {
    const json_t *v = json_object_get(cfg, key);
    if (json_is_object(v)) v = json_object_get(v, "content");
    if (!json_is_string(v)) return -1;
    int32_t id = -1;
    if (bn_tokenizer_token_to_id(tok, json_string_value(v), json_string_length(v), &id) != BN_OK) return -1;
    return id;
}

static bn_status apply_special(bn_tokenizer *tok, const json_t *cfg, const bn_tokenizer_options *opt) {
    int32_t bos = cfg ? config_token(tok, cfg, "bos_token") : -1;
    int32_t eos = cfg ? config_token(tok, cfg, "eos_token") : -1;
    tok->pad_id = cfg ? config_token(tok, cfg, "pad_token") : -1;
    if (bos < 0 && tok->prefix.n) bos = tok->prefix.p[0];
    if (eos < 0 && tok->suffix.n) eos = tok->suffix.p[tok->suffix.n - 1];
    tok->bos_id = bos;
    tok->eos_id = eos;
    const json_t *ab = cfg ? json_object_get(cfg, "add_bos_token") : NULL;
    const json_t *ae = cfg ? json_object_get(cfg, "add_eos_token") : NULL;
    int add_bos = -1, add_eos = -1;
    if (json_is_boolean(ab) || json_is_boolean(ae)) {
        add_bos = json_is_true(ab);
        add_eos = json_is_true(ae);
    }
    if (opt->add_bos >= 0) add_bos = opt->add_bos;
    if (opt->add_eos >= 0) add_eos = opt->add_eos;
    if (add_bos >= 0) {
        tok->prefix.n = 0;
        if (add_bos) {
            if (bos < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, WHO ": BOS requested but the tokenizer has no BOS token");
            if (!tk_i32_push(&tok->prefix, bos)) return oom("the special tokens");
        }
    }
    if (add_eos >= 0) {
        tok->suffix.n = 0;
        if (add_eos) {
            if (eos < 0) return bni_error(BN_ERR_INVALID_ARGUMENT, WHO ": EOS requested but the tokenizer has no EOS token");
            if (!tk_i32_push(&tok->suffix, eos)) return oom("the special tokens");
        }
    }
    return BN_OK;
}

/* ---- the whole file -------------------------------------------------------------------------- */

static bn_status load_root(bn_tokenizer *tok, const json_t *root, const json_t *cfg, const bn_tokenizer_options *opt) {
    if (!json_is_object(root)) return bni_error(BN_ERR_FORMAT, WHO ": tokenizer.json is not a JSON object");
    const json_t *trunc = json_object_get(root, "truncation"), *pad = json_object_get(root, "padding");
    (void)trunc;
    (void)pad; /* truncation and padding are the sequence module's business */
    int32_t max_id = -1;
    bn_status st = parse_model(tok, json_object_get(root, "model"), &max_id);
    if (st) return st;
    if ((st = parse_added(tok, json_object_get(root, "added_tokens"), &max_id))) return st;
    if ((st = parse_normalizer(tok, json_object_get(root, "normalizer"), 0))) return st;
    if ((st = parse_pretok(tok, json_object_get(root, "pre_tokenizer"), 0))) return st;
    if ((st = parse_decoder(tok, json_object_get(root, "decoder"), 0))) return st;
    if ((st = parse_post(tok, json_object_get(root, "post_processor"), 0, &tok->prefix, &tok->suffix))) return st;

    for (size_t i = 0; i < tok->n_pretoks; i++)
        if (tok->pretoks[i].kind == TK_PRE_BYTELEVEL) {
            if (i + 1 != tok->n_pretoks)
                return bni_error(BN_ERR_NOT_SUPPORTED,
                                 WHO ": a ByteLevel pre-tokenizer followed by others is not supported");
            tok->byte_level = 1;
        }

    /* id -> token: the model's, then added tokens over them (as HF looks
     * added tokens up first). */
    if (max_id < 0) return bni_error(BN_ERR_FORMAT, WHO ": empty vocabulary");
    tok->vocab_size = max_id + 1;
    size_t vs = (size_t)tok->vocab_size;
    tok->tok_off = bni_malloc(vs * sizeof *tok->tok_off);
    tok->tok_len = bni_malloc(vs * sizeof *tok->tok_len);
    tok->is_special = bni_calloc(vs, 1);
    if (!tok->tok_off || !tok->tok_len || !tok->is_special) return oom("the vocabulary");
    for (size_t i = 0; i < vs; i++) tok->tok_len[i] = UINT32_MAX;
    if (!tk_bytes_reserve(&tok->tok_arena, tok->vocab.arena.n + 64)) return oom("the vocabulary");
    for (size_t e = 0; e < tok->vocab.n; e++) {
        int32_t id = tok->vocab.vals[e];
        if ((st = set_token(tok, id, tok->vocab.arena.p + tok->vocab.koff[e], tok->vocab.klen[e]))) return st;
    }
    for (size_t i = 0; i < tok->n_added; i++) {
        const tk_added *a = &tok->added[i];
        if ((st = set_token(tok, a->id, a->content, a->len))) return st;
        if (a->special) tok->is_special[a->id] = 1;
    }

    /* What the BPE looks up. */
    if (tok->byte_level) {
        if (!tk_strmap_init(&tok->vocab_enc, tok->vocab.n)) return oom("the vocabulary");
        char *raw = bni_malloc(tok->vocab.arena.n + 1);
        if (!raw) return oom("the vocabulary");
        for (size_t e = 0; e < tok->vocab.n; e++) {
            size_t rl = 0;
            if (!bytelevel_to_raw(tok->vocab.arena.p + tok->vocab.koff[e], tok->vocab.klen[e], raw, &rl)) continue;
            if (!tk_strmap_put(&tok->vocab_enc, raw, rl, tok->vocab.vals[e])) {
                bni_free(raw);
                return oom("the vocabulary");
            }
        }
        bni_free(raw);
    }
    const tk_strmap *enc = tok->byte_level ? &tok->vocab_enc : &tok->vocab;
    for (int b = 0; b < 256; b++) {
        char c = (char)b, name[8];
        tok->byte_ids[b] = tk_strmap_get(enc, &c, 1);
        snprintf(name, sizeof name, "<0x%02X>", b);
        tok->byte_fallback_ids[b] = tk_strmap_get(&tok->vocab, name, 6);
    }
    tok->unk_id = tok->unk_token ? tk_strmap_get(&tok->vocab, tok->unk_token, strlen(tok->unk_token)) : -1;

    /* Added tokens: what the text is searched for. */
    for (size_t i = 0; i < tok->n_added; i++) {
        tk_added *a = &tok->added[i];
        if (a->normalized && tok->n_norms) {
            tk_work *w = NULL;
            if ((st = tk_work_get(tok, &w))) return st;
            tk_bytes out = {0};
            st = tk_normalize(tok, w, a->content, a->len, &out);
            tk_work_put(tok, w);
            if (st) {
                tk_bytes_free(&out);
                return st;
            }
            a->match = out.p ? out.p : dup_n("", 0);
            a->match_len = out.n;
            if (!a->match) return oom("the added tokens");
        } else {
            a->match = dup_n(a->content, a->len);
            a->match_len = a->len;
            if (!a->match) return oom("the added tokens");
        }
    }
    if ((st = tk_trie_build(&tok->trie_raw, tok->added, tok->n_added, 0, 1)) ||
        (st = tk_trie_build(&tok->trie_raw_nospecial, tok->added, tok->n_added, 0, 0)) ||
        (st = tk_trie_build(&tok->trie_norm, tok->added, tok->n_added, 1, 1)) ||
        (st = tk_trie_build(&tok->trie_norm_nospecial, tok->added, tok->n_added, 1, 0)))
        return st;

    for (size_t i = 0; i < tok->prefix.n; i++)
        if (tok->prefix.p[i] < 0 || tok->prefix.p[i] >= tok->vocab_size)
            return bni_error(BN_ERR_FORMAT, WHO ": template special token id %d out of range", tok->prefix.p[i]);
    for (size_t i = 0; i < tok->suffix.n; i++)
        if (tok->suffix.p[i] < 0 || tok->suffix.p[i] >= tok->vocab_size)
            return bni_error(BN_ERR_FORMAT, WHO ": template special token id %d out of range", tok->suffix.p[i]);
    return apply_special(tok, cfg, opt);
}

bn_status tk_load_json(bn_tokenizer *tok, const char *json, size_t len, const char *config_json, size_t config_len,
                       const bn_tokenizer_options *opt) {
    json_error_t err;
    json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, &err);
    if (!root)
        return bni_error(BN_ERR_FORMAT, WHO ": tokenizer.json: JSON error at line %d column %d: %s", err.line,
                         err.column, err.text);
    json_t *cfg = NULL;
    if (config_json) {
        /* integers as reals: model_max_length is often 1e30, past int64 */
        cfg = json_loadb(config_json, config_len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
        if (!cfg || !json_is_object(cfg)) {
            json_decref(root);
            json_decref(cfg);
            return bni_error(BN_ERR_FORMAT, WHO ": tokenizer_config.json: JSON error at line %d column %d: %s",
                             err.line, err.column, cfg ? "not an object" : err.text);
        }
    }
    bn_status st = load_root(tok, root, cfg, opt);
    json_decref(root);
    json_decref(cfg);
    return st;
}

void tk_destroy(bn_tokenizer *tok) {
    tk_strmap_free(&tok->vocab);
    tk_strmap_free(&tok->vocab_enc);
    tk_pairmap_free(&tok->merges);
    bni_free(tok->unk_token);
    bni_free(tok->tok_off);
    bni_free(tok->tok_len);
    bni_free(tok->is_special);
    tk_bytes_free(&tok->tok_arena);
    for (size_t i = 0; i < tok->n_added; i++) {
        bni_free(tok->added[i].content);
        bni_free(tok->added[i].match);
    }
    bni_free(tok->added);
    tk_trie_free(&tok->trie_raw);
    tk_trie_free(&tok->trie_raw_nospecial);
    tk_trie_free(&tok->trie_norm);
    tk_trie_free(&tok->trie_norm_nospecial);
    for (size_t i = 0; i < tok->n_norms; i++) {
        bni_free(tok->norms[i].text);
        bni_free(tok->norms[i].pat);
        tk_regex_free(&tok->norms[i].re);
    }
    bni_free(tok->norms);
    for (size_t i = 0; i < tok->n_pretoks; i++) tk_regex_free(&tok->pretoks[i].re);
    bni_free(tok->pretoks);
    for (size_t i = 0; i < tok->n_decs; i++) {
        bni_free(tok->decs[i].pattern);
        bni_free(tok->decs[i].content);
    }
    bni_free(tok->decs);
    tk_i32_free(&tok->prefix);
    tk_i32_free(&tok->suffix);
    while (tok->free_work) {
        tk_work *w = tok->free_work;
        tok->free_work = w->next_free;
        tk_work_free(w);
    }
}
