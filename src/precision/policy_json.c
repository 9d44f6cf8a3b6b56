/* Policy JSON: a small reader and writer for the one format
 * (precision.h), written here so that policies load and save in every
 * build, with or without jansson. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/precision.h"
#include "core/alloc.h"
#include "core/error.h"
#include "precision/precision_internal.h"

/* ---- writer ---------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s) {
    size_t n = strlen(s);
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = (char *)realloc(b->p, cap);
        if (q == NULL) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void put_str(sbuf *b, const char *s) {
    put(b, "\"");
    for (; *s; s++) {
        char e[8];
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') snprintf(e, sizeof e, "\\%c", c);
        else if (c < 0x20) snprintf(e, sizeof e, "\\u%04x", c);
        else snprintf(e, sizeof e, "%c", c);
        put(b, e);
    }
    put(b, "\"");
}

static void put_spec(sbuf *b, const bn_precision_spec *s) {
    char t[64];
    put(b, "{\"dtype\": ");
    put_str(b, bn_dtype_name(s->dtype));
    if (bn_dtype_get_info(s->dtype)->has_scale) {
        static const char *const g[3] = {"tensor", "row", "block"};
        snprintf(t, sizeof t, ", \"granularity\": \"%s\"", g[s->granularity]);
        put(b, t);
        if (s->granularity == BN_PRECISION_PER_BLOCK) {
            snprintf(t, sizeof t, ", \"block\": %" PRId64, s->block);
            put(b, t);
        }
    }
    put(b, "}");
}

bn_status bn_precision_policy_to_json(const bn_precision_policy *p, char **json) {
    BNI_CHECK_NULL("bn_precision_policy_to_json", p);
    BNI_CHECK_NULL("bn_precision_policy_to_json", json);
    sbuf b = {NULL, 0, 0, 0};
    put(&b, "{\n  \"format\": \"bitnet-precision-policy\",\n  \"version\": 1,\n  \"kinds\": {");
    for (int k = 0; k < BN_LAYER_KIND_COUNT; k++) {
        put(&b, k ? ",\n    " : "\n    ");
        put_str(&b, bn_layer_kind_name((bn_layer_kind)k));
        put(&b, ": ");
        put_spec(&b, &p->kinds[k]);
    }
    put(&b, "\n  },\n  \"overrides\": [");
    for (size_t i = 0; i < p->nov; i++) {
        bn_precision_spec s = p->ov[i].spec;
        put(&b, i ? ",\n    {\"pattern\": " : "\n    {\"pattern\": ");
        put_str(&b, p->ov[i].pattern);
        put(&b, ", \"spec\": ");
        put_spec(&b, &s);
        put(&b, "}");
    }
    put(&b, p->nov ? "\n  ]\n}\n" : "]\n}\n");
    if (b.oom) {
        free(b.p);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_precision_policy_to_json: %zu bytes", b.cap);
    }
    *json = b.p;
    return BN_OK;
}

/* ---- reader ------------------------------------------------------------------ */

typedef enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jt;

typedef struct jv {
    jt t;
    double num;
    char *str;          /* J_STR; key for object members */
    struct jv *kids;    /* J_ARR, J_OBJ */
    char **keys;        /* J_OBJ */
    size_t n;
    int line, col;
} jv;

typedef struct jp {
    const char *s, *p;
    int line;
    const char *line_start;
    char err[200];
} jp;

static void jfree(jv *v) {
    if (v == NULL) return;
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->kids[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
}

static int jerr(jp *j, const char *what) {
    if (!j->err[0])
        snprintf(j->err, sizeof j->err, "line %d, column %d: %s", j->line, (int)(j->p - j->line_start) + 1, what);
    return -1;
}

static void ws(jp *j) {
    for (;;) {
        char c = *j->p;
        if (c == '\n') {
            j->line++;
            j->line_start = ++j->p;
        } else if (c == ' ' || c == '\t' || c == '\r') j->p++;
        else return;
    }
}

static int parse_value(jp *j, jv *v, int depth);

static int parse_string(jp *j, char **out) {
    if (*j->p != '"') return jerr(j, *j->p ? "expected a string" : "unexpected end of input");
    j->p++;
    size_t cap = 32, len = 0;
    char *s = (char *)malloc(cap);
    if (s == NULL) return jerr(j, "out of memory");
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == 0 || c == '\n') {
            free(s);
            return jerr(j, "unterminated string");
        }
        if (c < 0x20) {
            free(s);
            return jerr(j, "control character in a string");
        }
        j->p++;
        if (c == '"') break;
        if (c == '\\') {
            char e = *j->p++;
            switch (e) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned u = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *j->p++;
                    u <<= 4;
                    if (h >= '0' && h <= '9') u |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') u |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') u |= (unsigned)(h - 'A' + 10);
                    else {
                        free(s);
                        return jerr(j, "bad \\u escape");
                    }
                }
                if (u == 0 || u >= 0x80) {
                    free(s);
                    return jerr(j, "\\u escapes outside ASCII are not used in policies");
                }
                c = (unsigned char)u;
                break;
            }
            default: free(s); return jerr(j, "bad escape in a string");
            }
        }
        if (len + 2 > cap) {
            cap *= 2;
            char *q = (char *)realloc(s, cap);
            if (q == NULL) {
                free(s);
                return jerr(j, "out of memory");
            }
            s = q;
        }
        s[len++] = (char)c;
    }
    s[len] = 0;
    *out = s;
    return 0;
}

static int push(jp *j, jv *v, size_t *cap, int with_keys) {
    if (v->n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 4;
    jv *k = (jv *)realloc(v->kids, c * sizeof *k);
    if (k == NULL) return jerr(j, "out of memory");
    v->kids = k;
    if (with_keys) {
        char **ks = (char **)realloc(v->keys, c * sizeof *ks);
        if (ks == NULL) return jerr(j, "out of memory");
        v->keys = ks;
    }
    *cap = c;
    return 0;
}

static int parse_value(jp *j, jv *v, int depth) {
    memset(v, 0, sizeof *v);
    ws(j);
    v->line = j->line;
    v->col = (int)(j->p - j->line_start) + 1;
    if (depth > 32) return jerr(j, "nested too deep");
    char c = *j->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->t = obj ? J_OBJ : J_ARR;
        j->p++;
        ws(j);
        size_t cap = 0;
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            return 0;
        }
        for (;;) {
            ws(j);
            char *key = NULL;
            if (obj) {
                if (parse_string(j, &key)) return -1;
                ws(j);
                if (*j->p != ':') {
                    free(key);
                    return jerr(j, "expected ':' after a key");
                }
                j->p++;
            }
            if (push(j, v, &cap, obj)) {
                free(key);
                return -1;
            }
            if (obj) v->keys[v->n] = key;
            if (parse_value(j, &v->kids[v->n], depth + 1)) {
                v->n++;
                return -1;
            }
            v->n++;
            ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                return 0;
            }
            return jerr(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') {
        v->t = J_STR;
        return parse_string(j, &v->str);
    }
    if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
        v->t = J_BOOL;
        v->num = c == 't';
        j->p += c == 't' ? 4 : 5;
        return 0;
    }
    if (strncmp(j->p, "null", 4) == 0) {
        v->t = J_NULL;
        j->p += 4;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        errno = 0;
        v->t = J_NUM;
        v->num = strtod(j->p, &end);
        if (end == j->p || errno) return jerr(j, "bad number");
        j->p = end;
        return 0;
    }
    return jerr(j, c ? "unexpected character" : "unexpected end of input");
}

/* ---- policy from the tree ----------------------------------------------------- */

static bn_status spec_from(const jv *v, const char *where, bn_precision_spec *out) {
    static const char fn[] = "bn_precision_policy_from_json";
    bn_precision_spec s = {BN_DTYPE_F32, BN_PRECISION_PER_TENSOR, 0};
    if (v->t == J_STR) {
        if (bn_dtype_from_name(v->str, &s.dtype) != BN_OK)
            return bni_error(BN_ERR_FORMAT, "%s: %s: unknown dtype \"%s\" (line %d)", fn, where, v->str, v->line);
        *out = s;
        return BN_OK;
    }
    if (v->t != J_OBJ)
        return bni_error(BN_ERR_FORMAT, "%s: %s: a spec is a dtype name or an object (line %d)", fn, where, v->line);
    int have_dtype = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->keys[i];
        const jv *x = &v->kids[i];
        if (strcmp(k, "dtype") == 0) {
            if (x->t != J_STR || bn_dtype_from_name(x->str, &s.dtype) != BN_OK)
                return bni_error(BN_ERR_FORMAT, "%s: %s: unknown dtype %s%s%s (line %d)", fn, where,
                                 x->t == J_STR ? "\"" : "", x->t == J_STR ? x->str : "(not a string)",
                                 x->t == J_STR ? "\"" : "", x->line);
            have_dtype = 1;
        } else if (strcmp(k, "granularity") == 0) {
            if (x->t == J_STR && strcmp(x->str, "tensor") == 0) s.granularity = BN_PRECISION_PER_TENSOR;
            else if (x->t == J_STR && strcmp(x->str, "row") == 0) s.granularity = BN_PRECISION_PER_ROW;
            else if (x->t == J_STR && strcmp(x->str, "block") == 0) s.granularity = BN_PRECISION_PER_BLOCK;
            else
                return bni_error(BN_ERR_FORMAT, "%s: %s: granularity %s is not \"tensor\", \"row\" or \"block\" "
                                 "(line %d)", fn, where, x->t == J_STR ? x->str : "(not a string)", x->line);
        } else if (strcmp(k, "block") == 0) {
            if (x->t != J_NUM || x->num < 1 || x->num > 1e15 || x->num != (double)(int64_t)x->num)
                return bni_error(BN_ERR_FORMAT, "%s: %s: block must be a positive integer (line %d)", fn, where,
                                 x->line);
            s.block = (int64_t)x->num;
        } else {
            return bni_error(BN_ERR_FORMAT, "%s: %s: unknown key \"%s\" in a spec (line %d)", fn, where, k,
                             x->line);
        }
    }
    if (!have_dtype) return bni_error(BN_ERR_FORMAT, "%s: %s: spec without \"dtype\" (line %d)", fn, where, v->line);
    if (s.granularity == BN_PRECISION_PER_BLOCK && s.block <= 0 && bn_dtype_get_info(s.dtype)->has_scale)
        return bni_error(BN_ERR_FORMAT, "%s: %s: granularity \"block\" needs \"block\" (line %d)", fn, where,
                         v->line);
    *out = s;
    return BN_OK;
}

static bn_status from_tree(const jv *root, bn_precision_policy **out) {
    static const char fn[] = "bn_precision_policy_from_json";
    if (root->t != J_OBJ) return bni_error(BN_ERR_FORMAT, "%s: the top level must be an object", fn);
    bn_precision_preset base = BN_PRECISION_CONSERVATIVE;
    const jv *kinds = NULL, *ovs = NULL;
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i];
        const jv *x = &root->kids[i];
        if (strcmp(k, "format") == 0) {
            if (x->t != J_STR || strcmp(x->str, "bitnet-precision-policy") != 0)
                return bni_error(BN_ERR_FORMAT, "%s: \"format\" must be \"bitnet-precision-policy\"", fn);
        } else if (strcmp(k, "version") == 0) {
            if (x->t != J_NUM || x->num != 1)
                return bni_error(BN_ERR_FORMAT, "%s: version must be 1 (line %d)", fn, x->line);
        } else if (strcmp(k, "base") == 0) {
            if (x->t != J_STR || bn_precision_preset_from_name(x->str, &base) != BN_OK)
                return bni_error(BN_ERR_FORMAT, "%s: \"base\" %s is not conservative, balanced or aggressive "
                                 "(line %d)", fn, x->t == J_STR ? x->str : "(not a string)", x->line);
        } else if (strcmp(k, "kinds") == 0) {
            if (x->t != J_OBJ) return bni_error(BN_ERR_FORMAT, "%s: \"kinds\" must be an object (line %d)", fn, x->line);
            kinds = x;
        } else if (strcmp(k, "overrides") == 0) {
            if (x->t != J_ARR)
                return bni_error(BN_ERR_FORMAT, "%s: \"overrides\" must be an array (line %d)", fn, x->line);
            ovs = x;
        } else {
            return bni_error(BN_ERR_FORMAT, "%s: unknown key \"%s\" (line %d)", fn, k, x->line);
        }
    }
    bn_precision_policy *p;
    bn_status st = bn_precision_policy_new(base, &p);
    if (st) return st;
    for (size_t i = 0; kinds && i < kinds->n; i++) {
        bn_layer_kind kind;
        char where[96];
        if (bn_layer_kind_from_name(kinds->keys[i], &kind) != BN_OK) {
            st = bni_error(BN_ERR_FORMAT, "%s: unknown layer kind \"%s\" (line %d; linear, attention, embedding, "
                           "norm, activation, output, kv_cache)", fn, kinds->keys[i], kinds->kids[i].line);
            goto fail;
        }
        snprintf(where, sizeof where, "kind %s", kinds->keys[i]);
        bn_precision_spec s;
        if ((st = spec_from(&kinds->kids[i], where, &s))) goto fail;
        if ((st = bn_precision_policy_set(p, kind, &s))) goto fail;
    }
    for (size_t i = 0; ovs && i < ovs->n; i++) {
        const jv *o = &ovs->kids[i];
        char where[64];
        snprintf(where, sizeof where, "override %zu", i);
        if (o->t != J_OBJ) {
            st = bni_error(BN_ERR_FORMAT, "%s: %s must be an object (line %d)", fn, where, o->line);
            goto fail;
        }
        const char *pattern = NULL;
        bn_precision_spec s;
        int have_spec = 0;
        for (size_t m = 0; m < o->n; m++) {
            const jv *x = &o->kids[m];
            if (strcmp(o->keys[m], "pattern") == 0 && x->t == J_STR) pattern = x->str;
            else if (strcmp(o->keys[m], "spec") == 0) {
                if ((st = spec_from(x, where, &s))) goto fail;
                have_spec = 1;
            } else {
                st = bni_error(BN_ERR_FORMAT, "%s: %s: unknown key \"%s\" or a pattern that is not a string (line %d)",
                               fn, where, o->keys[m], x->line);
                goto fail;
            }
        }
        if (pattern == NULL || !have_spec) {
            st = bni_error(BN_ERR_FORMAT, "%s: %s needs \"pattern\" and \"spec\" (line %d)", fn, where, o->line);
            goto fail;
        }
        if ((st = bn_precision_policy_add_override(p, pattern, &s))) goto fail;
    }
    *out = p;
    return BN_OK;
fail:
    bn_precision_policy_free(p);
    return st;
}

bn_status bn_precision_policy_from_json(const char *json, bn_precision_policy **out) {
    static const char fn[] = "bn_precision_policy_from_json";
    BNI_PCHECK_NULL(fn, json);
    BNI_PCHECK_NULL(fn, out);
    jp j;
    memset(&j, 0, sizeof j);
    j.s = j.p = j.line_start = json;
    j.line = 1;
    jv root;
    int bad = parse_value(&j, &root, 0);
    if (!bad) {
        ws(&j);
        if (*j.p) bad = jerr(&j, "text after the JSON value");
    }
    if (bad) {
        jfree(&root);
        return bni_error(BN_ERR_FORMAT, "%s: malformed JSON at %s", fn, j.err);
    }
    bn_status st = from_tree(&root, out);
    jfree(&root);
    return st;
}

bn_status bn_precision_policy_save(const bn_precision_policy *p, const char *path) {
    BNI_CHECK_NULL("bn_precision_policy_save", path);
    char *text;
    bn_status st = bn_precision_policy_to_json(p, &text);
    if (st) return st;
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        free(text);
        return bni_error(BN_ERR_IO, "bn_precision_policy_save: cannot open %s: %s", path, strerror(errno));
    }
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    free(text);
    if (!ok) return bni_error(BN_ERR_IO, "bn_precision_policy_save: writing %s failed", path);
    return BN_OK;
}

bn_status bn_precision_policy_load(const char *path, bn_precision_policy **out) {
    BNI_CHECK_NULL("bn_precision_policy_load", path);
    BNI_CHECK_NULL("bn_precision_policy_load", out);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return bni_error(BN_ERR_IO, "bn_precision_policy_load: cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = (char *)malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap > ((size_t)64 << 20)) break;
            char *q = (char *)realloc(buf, cap * 2);
            if (q == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = q;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (buf == NULL) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_precision_policy_load: reading %s", path);
    if (err || len + 1 >= cap) {
        free(buf);
        return bni_error(BN_ERR_IO, "bn_precision_policy_load: reading %s failed (or larger than 64 MiB)", path);
    }
    buf[len] = 0;
    if (memchr(buf, 0, len)) {
        free(buf);
        return bni_error(BN_ERR_FORMAT, "bn_precision_policy_load: %s holds a NUL byte", path);
    }
    bn_status st = bn_precision_policy_from_json(buf, out);
    free(buf);
    return st;
}
