/* Tokenizer helpers: growable arrays, UTF-8, GPT-2's byte map, hash maps,
 * and the PCRE2 wrapper. */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "text/tok_internal.h"

/* ---- growable arrays ---------------------------------------------------- */

int tk_bytes_reserve(tk_bytes *b, size_t extra) {
    if (b->cap - b->n >= extra) return 1;
    size_t need = b->n + extra;
    if (need < b->n) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return 0;
        cap *= 2;
    }
    char *p = bni_realloc(b->p, cap);
    if (!p) return 0;
    b->p = p;
    b->cap = cap;
    return 1;
}

int tk_bytes_append(tk_bytes *b, const void *src, size_t n) {
    if (!tk_bytes_reserve(b, n)) return 0;
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
    return 1;
}

void tk_bytes_free(tk_bytes *b) {
    bni_free(b->p);
    memset(b, 0, sizeof *b);
}

int tk_i32_reserve(tk_i32 *v, size_t extra) {
    if (v->cap - v->n >= extra) return 1;
    size_t need = v->n + extra;
    if (need < v->n || need > SIZE_MAX / 8) return 0;
    size_t cap = v->cap ? v->cap : 32;
    while (cap < need) cap *= 2;
    int32_t *p = bni_realloc(v->p, cap * sizeof *p);
    if (!p) return 0;
    v->p = p;
    v->cap = cap;
    return 1;
}

int tk_i32_push(tk_i32 *v, int32_t x) {
    if (v->n == v->cap && !tk_i32_reserve(v, 1)) return 0;
    v->p[v->n++] = x;
    return 1;
}

void tk_i32_free(tk_i32 *v) {
    bni_free(v->p);
    memset(v, 0, sizeof *v);
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Valid second-byte ranges per lead byte (Unicode Table 3-7). */
static inline int second_ok(unsigned char lead, unsigned char b) {
    switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
    }
}

static inline size_t seq_len(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

size_t tk_utf8_valid_len(const unsigned char *s, size_t n) {
    size_t k = seq_len(s[0]);
    if (k == 0 || k > n) return 0;
    if (k == 1) return 1;
    if (!second_ok(s[0], s[1])) return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return k;
}

size_t tk_utf8_invalid_len(const unsigned char *s, size_t n) {
    size_t k = seq_len(s[0]);
    if (k <= 1) return 1; /* a stray continuation byte or a byte never used */
    if (n < 2 || !second_ok(s[0], s[1])) return 1;
    size_t i = 2;
    while (i < k && i < n && (s[i] & 0xC0) == 0x80) i++;
    return i; /* a valid prefix cut short */
}

size_t tk_utf8_first_invalid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = tk_utf8_valid_len(s + i, n - i);
        if (k == 0) return i;
        i += k;
    }
    return n;
}

int tk_utf8_lossy_append(tk_bytes *out, const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t bad = tk_utf8_first_invalid(s + i, n - i);
        if (!tk_bytes_append(out, s + i, bad)) return 0;
        i += bad;
        if (i >= n) break;
        i += tk_utf8_invalid_len(s + i, n - i);
        if (!tk_bytes_append(out, "\xEF\xBF\xBD", 3)) return 0;
    }
    return 1;
}

uint32_t tk_utf8_decode(const unsigned char *s, size_t *len) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c < 0xE0) {
        *len = 2;
        return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c < 0xF0) {
        *len = 3;
        return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
           (s[3] & 0x3F);
}

size_t tk_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- GPT-2 byte map ------------------------------------------------------ */

/* Printable bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF stand for themselves;
 * the other 68 bytes, in increasing order, take U+0100, U+0101, ... */
const uint16_t tk_byte_to_cp[256] = {
    256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271,
    272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287,
    288, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
    80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
    96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 289,
    290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305,
    306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321,
    322, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 323, 174, 175,
    176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191,
    192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207,
    208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
    240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
};

int tk_cp_to_byte(uint32_t cp) {
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF)) return (int)cp;
    if (cp >= 256 && cp <= 323) {
        /* the n-th non-printable byte */
        static const uint8_t rest[68] = {
            0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,
            17,  18,  19,  20,  21,  22,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  127,
            128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144,
            145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 173};
        return rest[cp - 256];
    }
    return -1;
}

/* ---- hashing --------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    return x;
}

uint64_t tk_hash_bytes(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x87C37B91114253D5ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0x87C37B91114253D5ull;
    }
    return mix64(h);
}

int tk_strmap_init(tk_strmap *m, size_t expected) {
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    m->slots = bni_calloc(cap, sizeof *m->slots);
    m->hashes = bni_calloc(cap, sizeof *m->hashes);
    m->cap_entries = expected ? expected : 1;
    m->koff = bni_malloc(m->cap_entries * sizeof *m->koff);
    m->klen = bni_malloc(m->cap_entries * sizeof *m->klen);
    m->vals = bni_malloc(m->cap_entries * sizeof *m->vals);
    if (!m->slots || !m->hashes || !m->koff || !m->klen || !m->vals) {
        tk_strmap_free(m);
        return 0;
    }
    m->mask = cap - 1;
    return 1;
}

void tk_strmap_free(tk_strmap *m) {
    bni_free(m->slots);
    bni_free(m->hashes);
    bni_free(m->koff);
    bni_free(m->klen);
    bni_free(m->vals);
    tk_bytes_free(&m->arena);
    memset(m, 0, sizeof *m);
}

static int strmap_grow(tk_strmap *m) {
    size_t cap = (m->mask + 1) * 2;
    uint32_t *slots = bni_calloc(cap, sizeof *slots);
    uint64_t *hashes = bni_calloc(cap, sizeof *hashes);
    if (!slots || !hashes) {
        bni_free(slots);
        bni_free(hashes);
        return 0;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i]) continue;
        size_t j = (size_t)m->hashes[i] & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
        hashes[j] = m->hashes[i];
    }
    bni_free(m->slots);
    bni_free(m->hashes);
    m->slots = slots;
    m->hashes = hashes;
    m->mask = cap - 1;
    return 1;
}

int tk_strmap_put(tk_strmap *m, const char *key, size_t len, int32_t val) {
    uint64_t h = tk_hash_bytes(key, len);
    size_t i = (size_t)h & m->mask;
    while (m->slots[i]) {
        uint32_t e = m->slots[i] - 1;
        if (m->hashes[i] == h && m->klen[e] == len && memcmp(m->arena.p + m->koff[e], key, len) == 0) {
            m->vals[e] = val;
            return 1;
        }
        i = (i + 1) & m->mask;
    }
    if (len > UINT32_MAX || m->arena.n + len + 1 > UINT32_MAX) return 0;
    if ((m->n + 1) * 2 > m->mask + 1) {
        if (!strmap_grow(m)) return 0;
        i = (size_t)h & m->mask;
        while (m->slots[i]) i = (i + 1) & m->mask;
    }
    if (m->n == m->cap_entries) {
        size_t cap = m->cap_entries * 2;
        uint32_t *koff = bni_realloc(m->koff, cap * sizeof *koff);
        if (!koff) return 0;
        m->koff = koff;
        uint32_t *klen = bni_realloc(m->klen, cap * sizeof *klen);
        if (!klen) return 0;
        m->klen = klen;
        int32_t *vals = bni_realloc(m->vals, cap * sizeof *vals);
        if (!vals) return 0;
        m->vals = vals;
        m->cap_entries = cap;
    }
    size_t off = m->arena.n;
    if (!tk_bytes_append(&m->arena, key, len) || !tk_bytes_append(&m->arena, "", 1)) return 0;
    m->koff[m->n] = (uint32_t)off;
    m->klen[m->n] = (uint32_t)len;
    m->vals[m->n] = val;
    m->n++;
    m->slots[i] = (uint32_t)m->n;
    m->hashes[i] = h;
    return 1;
}

int32_t tk_strmap_get(const tk_strmap *m, const char *key, size_t len) {
    if (!m->slots) return -1;
    uint64_t h = tk_hash_bytes(key, len);
    size_t i = (size_t)h & m->mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (!s) return -1;
        uint32_t e = s - 1;
        if (m->hashes[i] == h && m->klen[e] == len && memcmp(m->arena.p + m->koff[e], key, len) == 0)
            return m->vals[e];
        i = (i + 1) & m->mask;
    }
}

int tk_pairmap_init(tk_pairmap *m, size_t expected) {
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    m->keys = bni_calloc(cap, sizeof *m->keys);
    m->rank = bni_malloc(cap * sizeof *m->rank);
    m->merged = bni_malloc(cap * sizeof *m->merged);
    if (!m->keys || !m->rank || !m->merged) {
        tk_pairmap_free(m);
        return 0;
    }
    m->mask = cap - 1;
    return 1;
}

void tk_pairmap_free(tk_pairmap *m) {
    bni_free(m->keys);
    bni_free(m->rank);
    bni_free(m->merged);
    memset(m, 0, sizeof *m);
}

/* The table is sized for all merges up front, so put never grows it. A
 * pair listed twice keeps its last rank, as Hugging Face's hash map does. */
void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged) {
    uint64_t key = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & m->mask;
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & m->mask;
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->rank[i] = rank;
    m->merged[i] = merged;
}

/* ---- PCRE2 ------------------------------------------------------------------ */

static void *pcre2_alloc_fn(size_t size, void *data) {
    (void)data;
    return bni_malloc(size);
}

static void pcre2_free_fn(void *p, void *data) {
    (void)data;
    bni_free(p);
}

/* One general context for the process, made on first use: it routes PCRE2's
 * allocations through bni_malloc so out-of-memory injection covers them. */
static pcre2_general_context *g_gctx;
static pthread_once_t g_gctx_once = PTHREAD_ONCE_INIT;

static void make_gctx(void) {
    /* The context allocates itself with the given function: should that
     * first allocation meet an injected failure, PCRE2's own malloc serves
     * from then on (correct, just not covered by injection). */
    g_gctx = pcre2_general_context_create(pcre2_alloc_fn, pcre2_free_fn, NULL);
    if (!g_gctx) g_gctx = pcre2_general_context_create(NULL, NULL, NULL);
}

pcre2_general_context *tk_pcre2_context(void) {
    pthread_once(&g_gctx_once, make_gctx);
    return g_gctx;
}

bn_status tk_regex_compile(tk_regex *re, const char *pattern, size_t len, int literal, const char *who) {
    memset(re, 0, sizeof *re);
    pcre2_general_context *g = tk_pcre2_context();
    if (!g) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory creating the PCRE2 context", who);
    pcre2_compile_context *cc = pcre2_compile_context_create(g);
    if (!cc) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory compiling a regex", who);
    int err = 0;
    PCRE2_SIZE erroff = 0;
    uint32_t opts = PCRE2_UTF | PCRE2_NO_UTF_CHECK | (literal ? PCRE2_LITERAL : PCRE2_UCP);
    re->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &err, &erroff, cc);
    pcre2_compile_context_free(cc);
    if (!re->code) {
        if (err == PCRE2_ERROR_NOMEMORY || err == PCRE2_ERROR_HEAPLIMIT || err == PCRE2_ERROR_HEAP_FAILED)
            return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory compiling a regex", who);
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return bni_error(BN_ERR_FORMAT, "%s: bad regex '%.*s' at offset %zu: %s", who, (int)(len > 200 ? 200 : len),
                         pattern, (size_t)erroff, (const char *)msg);
    }
    int jrc = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
    if (jrc == 0) re->jit = 1;
    else if (jrc == PCRE2_ERROR_NOMEMORY) {
        pcre2_code_free(re->code);
        re->code = NULL;
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory JIT-compiling a regex", who);
    }
    /* else: no JIT on this build or machine; pcre2_match interprets. */
    return BN_OK;
}

void tk_regex_free(tk_regex *re) {
    if (re->code) pcre2_code_free(re->code);
    re->code = NULL;
}
