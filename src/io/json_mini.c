/* A small strict JSON parser (RFC 8259) for safetensors headers and
 * config.json. */
#include "io/json_mini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define BNJ_MAX_DEPTH 64

typedef struct parser {
    const char *s;
    size_t n, i;
    char *err;
    size_t errsize;
    int failed;
} parser;

static void fail(parser *p, const char *what) {
    if (!p->failed) {
        p->failed = 1;
        if (p->err && p->errsize) snprintf(p->err, p->errsize, "%s at byte %zu", what, p->i);
    }
}

static void skip_ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static void free_value(bnj *v) {
    if (!v) return;
    bni_free(v->str);
    for (size_t k = 0; k < v->n; k++) {
        if (v->keys) bni_free(v->keys[k]);
        if (v->kids) free_value(&v->kids[k]);
    }
    bni_free(v->keys);
    bni_free(v->kids);
    memset(v, 0, sizeof(*v));
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *p, unsigned *out) {
    if (p->n - p->i < 4) return 0;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + (size_t)k]);
        if (h < 0) return 0;
        v = v * 16u + (unsigned)h;
    }
    p->i += 4;
    *out = v;
    return 1;
}

static size_t put_utf8(char *d, unsigned cp) {
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) { d[0] = (char)(0xC0 | (cp >> 6)); d[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12)); d[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18)); d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* p->s[p->i] == '"'. The decoded string is never longer than the source. */
static char *parse_string(parser *p, size_t *len_out) {
    p->i++;
    size_t start = p->i, end = start;
    while (end < p->n && p->s[end] != '"') {
        if (p->s[end] == '\\') end++;
        end++;
    }
    if (end >= p->n) { fail(p, "unterminated string"); return NULL; }
    char *d = bni_malloc(end - start + 1);
    if (!d) { fail(p, "out of memory"); return NULL; }
    size_t o = 0;
    while (p->i < end) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20) { fail(p, "control character in string"); bni_free(d); return NULL; }
        if (c != '\\') { d[o++] = (char)c; p->i++; continue; }
        p->i++;
        char e = p->s[p->i++];
        switch (e) {
        case '"': d[o++] = '"'; break;
        case '\\': d[o++] = '\\'; break;
        case '/': d[o++] = '/'; break;
        case 'b': d[o++] = '\b'; break;
        case 'f': d[o++] = '\f'; break;
        case 'n': d[o++] = '\n'; break;
        case 'r': d[o++] = '\r'; break;
        case 't': d[o++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(p, &cp)) { fail(p, "bad \\u escape"); bni_free(d); return NULL; }
            if (cp >= 0xD800 && cp < 0xDC00 && p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                unsigned lo;
                p->i += 2;
                if (read_hex4(p, &lo) && lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    p->i = save;
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
            /* \uXXXX is 6 source bytes, at most 4 output bytes (a pair is 12 -> 4) */
            o += put_utf8(d + o, cp);
            break;
        }
        default: fail(p, "bad escape"); bni_free(d); return NULL;
        }
        if (p->i > end) { fail(p, "bad escape at end of string"); bni_free(d); return NULL; }
    }
    p->i = end + 1;
    d[o] = 0;
    *len_out = o;
    return d;
}

static int parse_number(parser *p, bnj *v) {
    size_t start = p->i;
    int is_int = 1;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') { fail(p, "bad number"); return 0; }
    if (p->s[p->i] == '0' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9') {
        fail(p, "leading zero in number");
        return 0;
    }
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        is_int = 0;
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') { fail(p, "bad fraction"); return 0; }
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        is_int = 0;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') { fail(p, "bad exponent"); return 0; }
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    size_t len = p->i - start;
    char buf[64];
    if (len >= sizeof(buf)) { fail(p, "number too long"); return 0; }
    memcpy(buf, p->s + start, len);
    buf[len] = 0;
    v->type = BNJ_NUM;
    v->num = strtod(buf, NULL);
    v->is_int = 0;
    if (is_int) {
        int neg = buf[0] == '-';
        uint64_t acc = 0;
        int ok = 1;
        for (const char *c = buf + neg; *c; c++) {
            uint64_t d = (uint64_t)(*c - '0');
            if (acc > (UINT64_MAX - d) / 10) { ok = 0; break; }
            acc = acc * 10 + d;
        }
        if (ok && !neg && acc <= (uint64_t)INT64_MAX) { v->is_int = 1; v->inum = (int64_t)acc; }
        if (ok && neg && acc <= (uint64_t)INT64_MAX) { v->is_int = 1; v->inum = -(int64_t)acc; }
    }
    return 1;
}

static int parse_value(parser *p, bnj *v, int depth);

static int grow(parser *p, bnj *v, size_t *cap, int with_keys) {
    if (v->n < *cap) return 1;
    size_t nc = *cap ? *cap * 2 : 4;
    bnj *k = bni_realloc(v->kids, nc * sizeof(bnj));
    if (!k) { fail(p, "out of memory"); return 0; }
    v->kids = k;
    if (with_keys) {
        char **ks = bni_realloc(v->keys, nc * sizeof(char *));
        if (!ks) { fail(p, "out of memory"); return 0; }
        v->keys = ks;
    }
    *cap = nc;
    return 1;
}

static int parse_container(parser *p, bnj *v, int depth, int obj) {
    char close = obj ? '}' : ']';
    v->type = obj ? BNJ_OBJ : BNJ_ARR;
    size_t cap = 0;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) { p->i++; return 1; }
    for (;;) {
        if (!grow(p, v, &cap, obj)) return 0;
        bnj *kid = &v->kids[v->n];
        memset(kid, 0, sizeof(*kid));
        if (obj) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"') { fail(p, "expected a key"); return 0; }
            size_t kl;
            char *key = parse_string(p, &kl);
            if (!key) return 0;
            v->keys[v->n] = key;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { v->n++; fail(p, "expected ':'"); return 0; }
            p->i++;
        }
        v->n++;
        if (!parse_value(p, kid, depth + 1)) return 0;
        skip_ws(p);
        if (p->i >= p->n) { fail(p, "unexpected end"); return 0; }
        if (p->s[p->i] == ',') { p->i++; continue; }
        if (p->s[p->i] == close) { p->i++; return 1; }
        fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return 0;
    }
}

static int parse_lit(parser *p, const char *lit) {
    size_t l = strlen(lit);
    if (p->n - p->i < l || memcmp(p->s + p->i, lit, l) != 0) { fail(p, "bad literal"); return 0; }
    p->i += l;
    return 1;
}

static int parse_value(parser *p, bnj *v, int depth) {
    if (depth > BNJ_MAX_DEPTH) { fail(p, "nesting too deep"); return 0; }
    skip_ws(p);
    if (p->i >= p->n) { fail(p, "unexpected end"); return 0; }
    char c = p->s[p->i];
    switch (c) {
    case '{': return parse_container(p, v, depth, 1);
    case '[': return parse_container(p, v, depth, 0);
    case '"': {
        v->type = BNJ_STR;
        v->str = parse_string(p, &v->len);
        return v->str != NULL;
    }
    case 't': v->type = BNJ_BOOL; v->boolean = 1; return parse_lit(p, "true");
    case 'f': v->type = BNJ_BOOL; v->boolean = 0; return parse_lit(p, "false");
    case 'n': v->type = BNJ_NULL; return parse_lit(p, "null");
    default: return parse_number(p, v);
    }
}

bnj *bnj_parse(const char *text, size_t len, char *err, size_t errsize) {
    parser p = {text, len, 0, err, errsize, 0};
    bnj *v = bni_calloc(1, sizeof(bnj));
    if (!v) {
        if (err && errsize) snprintf(err, errsize, "out of memory");
        return NULL;
    }
    if (parse_value(&p, v, 0)) {
        skip_ws(&p);
        if (p.i != p.n) fail(&p, "trailing characters");
    }
    if (p.failed) {
        free_value(v);
        bni_free(v);
        return NULL;
    }
    return v;
}

void bnj_free(bnj *v) {
    if (!v) return;
    free_value(v);
    bni_free(v);
}

const bnj *bnj_get(const bnj *obj, const char *key) {
    if (!obj || obj->type != BNJ_OBJ) return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (strcmp(obj->keys[k], key) == 0) return &obj->kids[k];
    return NULL;
}
