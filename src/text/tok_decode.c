/* Decoding: ids to token strings, then the decoder chain (ByteLevel,
 * Replace, ByteFallback, Fuse, Strip) as Hugging Face runs it: each decoder
 * maps the list of token strings to a new list; the result is their
 * concatenation (tokens joined by spaces when there is no decoder). */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "text/tok_internal.h"

#define WHO "bn_tokenizer_decode"

static bn_status oom(void) { return bni_error(BN_ERR_OUT_OF_MEMORY, WHO ": out of memory"); }

/* A list of strings: bytes in buf, (offset, length) pairs in idx. */
typedef struct strlist {
    tk_bytes buf;
    tk_i32 idx;
} strlist;

static void sl_free(strlist *l) {
    tk_bytes_free(&l->buf);
    tk_i32_free(&l->idx);
}

static void sl_clear(strlist *l) {
    l->buf.n = 0;
    l->idx.n = 0;
}

/* Start a new string at the end of buf. */
static int sl_begin(strlist *l) {
    if (!tk_i32_reserve(&l->idx, 2) || !tk_bytes_reserve(&l->buf, 1)) return 0; /* buf.p never NULL */
    l->idx.p[l->idx.n++] = (int32_t)l->buf.n;
    l->idx.p[l->idx.n++] = 0;
    return 1;
}

static int sl_add(strlist *l, const char *s, size_t n) {
    if (!tk_bytes_append(&l->buf, s, n)) return 0;
    l->idx.p[l->idx.n - 1] += (int32_t)n;
    return 1;
}

static int sl_push(strlist *l, const char *s, size_t n) { return sl_begin(l) && sl_add(l, s, n); }

#define SL_STR(l, i) ((l)->buf.p + (l)->idx.p[2 * (i)])
#define SL_LEN(l, i) ((size_t)(l)->idx.p[2 * (i) + 1])
#define SL_COUNT(l) ((l)->idx.n / 2)

static const char replacement[] = "\xEF\xBF\xBD";

/* ByteLevel: every token's characters back to bytes (a token with a
 * character outside the map contributes its UTF-8 as is), all tokens
 * joined, then decoded lossily into one string. */
static bn_status dec_bytelevel(const strlist *in, strlist *out, tk_bytes *scratch) {
    scratch->n = 0;
    for (size_t t = 0; t < SL_COUNT(in); t++) {
        const char *s = SL_STR(in, t);
        size_t n = SL_LEN(in, t), start = scratch->n, i = 0;
        int ok = 1;
        while (i < n) {
            size_t k = tk_utf8_valid_len((const unsigned char *)s + i, n - i), kk;
            int b = k ? tk_cp_to_byte(tk_utf8_decode((const unsigned char *)s + i, &kk)) : -1;
            if (b < 0) {
                ok = 0;
                break;
            }
            char c = (char)b;
            if (!tk_bytes_append(scratch, &c, 1)) return oom();
            i += k;
        }
        if (!ok) {
            scratch->n = start;
            if (!tk_bytes_append(scratch, s, n)) return oom();
        }
    }
    if (!sl_begin(out)) return oom();
    size_t before = out->buf.n;
    if (!tk_utf8_lossy_append(&out->buf, (const unsigned char *)scratch->p, scratch->n)) return oom();
    out->idx.p[out->idx.n - 1] = (int32_t)(out->buf.n - before);
    return BN_OK;
}

static bn_status dec_replace(const tk_dec *d, const strlist *in, strlist *out) {
    for (size_t t = 0; t < SL_COUNT(in); t++) {
        const char *s = SL_STR(in, t);
        size_t n = SL_LEN(in, t), pos = 0;
        if (!sl_begin(out)) return oom();
        for (;;) {
            const char *hit = d->pattern_len <= n - pos ? memmem(s + pos, n - pos, d->pattern, d->pattern_len) : NULL;
            size_t at = hit ? (size_t)(hit - s) : n;
            if (!sl_add(out, s + pos, at - pos)) return oom();
            if (!hit) break;
            if (!sl_add(out, d->content, d->content_len)) return oom();
            pos = at + d->pattern_len;
        }
    }
    return BN_OK;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "<0xAB>" -> 0xAB; -1 otherwise (Rust's u8::from_str_radix also takes a
 * leading '+': "<0x+A>"). */
static int byte_token(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    if (s[3] == '+') return hexval(s[4]);
    int hi = hexval(s[3]), lo = hexval(s[4]);
    if (hi < 0 || lo < 0) return -1;
    return hi * 16 + lo;
}

static bn_status flush_bytes(strlist *out, tk_bytes *pending) {
    if (pending->n == 0) return BN_OK;
    if (tk_utf8_first_invalid((const unsigned char *)pending->p, pending->n) == pending->n) {
        if (!sl_push(out, pending->p, pending->n)) return oom();
    } else {
        for (size_t i = 0; i < pending->n; i++)
            if (!sl_push(out, replacement, 3)) return oom();
    }
    pending->n = 0;
    return BN_OK;
}

/* ByteFallback: runs of byte tokens become their string when it is valid
 * UTF-8, else one U+FFFD per byte. */
static bn_status dec_bytefallback(const strlist *in, strlist *out, tk_bytes *pending) {
    pending->n = 0;
    bn_status st;
    for (size_t t = 0; t < SL_COUNT(in); t++) {
        int b = byte_token(SL_STR(in, t), SL_LEN(in, t));
        if (b >= 0) {
            char c = (char)b;
            if (!tk_bytes_append(pending, &c, 1)) return oom();
            continue;
        }
        if ((st = flush_bytes(out, pending))) return st;
        if (!sl_push(out, SL_STR(in, t), SL_LEN(in, t))) return oom();
    }
    return flush_bytes(out, pending);
}

static bn_status dec_fuse(const strlist *in, strlist *out) {
    if (!sl_begin(out)) return oom();
    for (size_t t = 0; t < SL_COUNT(in); t++)
        if (!sl_add(out, SL_STR(in, t), SL_LEN(in, t))) return oom();
    return BN_OK;
}

/* Strip: up to `start` leading and `stop` trailing copies of the content
 * character. */
static bn_status dec_strip(const tk_dec *d, const strlist *in, strlist *out) {
    size_t cl = d->content_len;
    for (size_t t = 0; t < SL_COUNT(in); t++) {
        const char *s = SL_STR(in, t);
        size_t n = SL_LEN(in, t), a = 0, b = n;
        for (int i = 0; i < d->start && b - a >= cl && memcmp(s + a, d->content, cl) == 0; i++) a += cl;
        for (int i = 0; i < d->stop && b - a >= cl && memcmp(s + b - cl, d->content, cl) == 0; i++) b -= cl;
        if (!sl_push(out, s + a, b - a)) return oom();
    }
    return BN_OK;
}

bn_status tk_decode(const bn_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, tk_bytes *out) {
    strlist a = {{0}, {0}}, b = {{0}, {0}};
    tk_bytes scratch = {0};
    bn_status st = BN_OK;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= tok->vocab_size) {
            st = bni_error(BN_ERR_OUT_OF_RANGE, WHO ": id %d out of range (vocabulary %d)", id, tok->vocab_size);
            goto done;
        }
        if (tok->tok_len[id] == UINT32_MAX) {
            st = bni_error(BN_ERR_OUT_OF_RANGE, WHO ": id %d has no token (vocabulary %d)", id, tok->vocab_size);
            goto done;
        }
        if ((flags & BN_TOK_SKIP_SPECIAL) && tok->is_special[id]) continue;
        if (!sl_push(&a, tok->tok_arena.p + tok->tok_off[id], tok->tok_len[id])) {
            st = oom();
            goto done;
        }
    }
    if (!tok->has_decoder) {
        out->n = 0;
        for (size_t t = 0; t < SL_COUNT(&a); t++)
            if ((t && !tk_bytes_append(out, " ", 1)) || !tk_bytes_append(out, SL_STR(&a, t), SL_LEN(&a, t))) {
                st = oom();
                goto done;
            }
        goto terminate;
    }
    for (size_t k = 0; k < tok->n_decs; k++) {
        const tk_dec *d = &tok->decs[k];
        sl_clear(&b);
        switch (d->kind) {
        case TK_DEC_BYTELEVEL: st = dec_bytelevel(&a, &b, &scratch); break;
        case TK_DEC_REPLACE: st = dec_replace(d, &a, &b); break;
        case TK_DEC_BYTEFALLBACK: st = dec_bytefallback(&a, &b, &scratch); break;
        case TK_DEC_FUSE: st = dec_fuse(&a, &b); break;
        case TK_DEC_STRIP: st = dec_strip(d, &a, &b); break;
        }
        if (st) goto done;
        strlist t = a;
        a = b;
        b = t;
    }
    out->n = 0;
    for (size_t t = 0; t < SL_COUNT(&a); t++)
        if (!tk_bytes_append(out, SL_STR(&a, t), SL_LEN(&a, t))) {
            st = oom();
            goto done;
        }
terminate:
    if (!tk_bytes_append(out, "", 1)) {
        st = oom();
        goto done;
    }
    out->n--;
done:
    sl_free(&a);
    sl_free(&b);
    tk_bytes_free(&scratch);
    return st;
}
