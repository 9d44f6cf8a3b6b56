/* Encoding: added-token splitting, normalizers, pre-tokenizers and the BPE
 * model, following Hugging Face tokenizers step by step. */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "text/tok_internal.h"

#define WHO "bn_tokenizer_encode"

/* Most backtracking steps of one regex match (PCRE2's own default). */
#define TK_MATCH_LIMIT 10000000u

static bn_status oom(void) { return bni_error(BN_ERR_OUT_OF_MEMORY, WHO ": out of memory"); }

/* ---- scratch ------------------------------------------------------------------ */

void tk_work_free(tk_work *w) {
    if (!w) return;
    tk_bytes_free(&w->clean);
    tk_bytes_free(&w->norm);
    tk_bytes_free(&w->norm2);
    tk_bytes_free(&w->pre);
    tk_i32_free(&w->pieces);
    tk_i32_free(&w->pieces2);
    tk_i32_free(&w->ids);
    bni_free(w->sym_id);
    bni_free(w->sym_prev);
    bni_free(w->sym_next);
    bni_free(w->sym_len);
    bni_free(w->heap);
    if (w->md) pcre2_match_data_free(w->md);
    if (w->mctx) pcre2_match_context_free(w->mctx);
    if (w->jit_stack) pcre2_jit_stack_free(w->jit_stack);
    bni_free(w->cache);
    bni_free(w);
}

bn_status tk_work_get(bn_tokenizer *tok, tk_work **out) {
    pthread_mutex_lock(&tok->lock);
    tk_work *w = tok->free_work;
    if (w) tok->free_work = w->next_free;
    pthread_mutex_unlock(&tok->lock);
    if (w) {
        *out = w;
        return BN_OK;
    }
    w = bni_calloc(1, sizeof *w);
    if (!w) return oom();
    pcre2_general_context *g = tk_pcre2_context();
    w->md = g ? pcre2_match_data_create(1, g) : NULL;
    w->mctx = g ? pcre2_match_context_create(g) : NULL;
    if (!w->md || !w->mctx) {
        tk_work_free(w);
        return oom();
    }
    /* A bound on backtracking per match: a hostile tokenizer.json regex
     * such as (a+)+$ would otherwise take exponential time on a short text
     * (fuzz/regressions/tokenizer_load); real pre-tokenizers stay far below
     * it even on multi-megabyte pieces (docs/reliability.md). */
    pcre2_set_match_limit(w->mctx, TK_MATCH_LIMIT);
    pcre2_set_depth_limit(w->mctx, UINT32_MAX);
    pcre2_set_heap_limit(w->mctx, 1u << 22); /* KiB: 4 GiB */
    w->jit_stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, g);
    if (!w->jit_stack) {
        tk_work_free(w);
        return oom();
    }
    pcre2_jit_stack_assign(w->mctx, NULL, w->jit_stack);
    *out = w;
    return BN_OK;
}

void tk_work_put(bn_tokenizer *tok, tk_work *w) {
    pthread_mutex_lock(&tok->lock);
    w->next_free = tok->free_work;
    tok->free_work = w;
    pthread_mutex_unlock(&tok->lock);
}

/* ---- Unicode bits ----------------------------------------------------------- */

/* Unicode White_Space (Rust's char::is_whitespace, regex \s). */
static int is_space_cp(uint32_t c) {
    return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Start of the code point that ends at s[n]. */
static size_t prev_char(const char *s, size_t n) {
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return i;
}

/* Word character for single_word added tokens: letters, digits, marks and
 * connector punctuation (regex \w), via PCRE2 outside ASCII. */
static pcre2_code *g_word_re;
static pthread_once_t g_word_once = PTHREAD_ONCE_INIT;
static void make_word_re(void) {
    int err;
    PCRE2_SIZE off;
    g_word_re = pcre2_compile((PCRE2_SPTR) "^[\\w\\p{M}\\p{Pc}]", PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err,
                              &off, NULL);
}

static int is_word_at(const char *s, size_t n) {
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    pthread_once(&g_word_once, make_word_re);
    if (!g_word_re) return 0;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) return 0;
    int rc = pcre2_match(g_word_re, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* ---- added tokens: trie and leftmost-longest search ----------------------------- */

static int trie_node(tk_trie *t, unsigned char byte) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tk_trie_node *p = bni_realloc(t->nodes, cap * sizeof *p);
        if (!p) return -1;
        t->nodes = p;
        t->cap = cap;
    }
    tk_trie_node *nd = &t->nodes[t->n];
    nd->first_child = -1;
    nd->next_sibling = -1;
    nd->token = -1;
    nd->byte = byte;
    return (int)t->n++;
}

bn_status tk_trie_build(tk_trie *t, const tk_added *added, size_t n, int normalized, int with_special) {
    memset(t, 0, sizeof *t);
    if (trie_node(t, 0) < 0) return oom();
    for (size_t i = 0; i < n; i++) {
        const tk_added *a = &added[i];
        if ((a->normalized != 0) != (normalized != 0) || (a->special && !with_special) || a->match_len == 0) continue;
        int cur = 0;
        for (size_t k = 0; k < a->match_len; k++) {
            unsigned char b = (unsigned char)a->match[k];
            int c = t->nodes[cur].first_child;
            while (c >= 0 && t->nodes[c].byte != b) c = t->nodes[c].next_sibling;
            if (c < 0) {
                c = trie_node(t, b);
                if (c < 0) return oom();
                t->nodes[c].next_sibling = t->nodes[cur].first_child;
                t->nodes[cur].first_child = c;
            }
            cur = c;
        }
        if (t->nodes[cur].token < 0) t->nodes[cur].token = (int32_t)i;
        t->first[(unsigned char)a->match[0]] = 1;
        t->any = 1;
    }
    return BN_OK;
}

void tk_trie_free(tk_trie *t) {
    bni_free(t->nodes);
    memset(t, 0, sizeof *t);
}

/* Longest match starting at s[0]; returns its length (0 = none), *tokidx. */
static size_t trie_longest(const tk_trie *t, const char *s, size_t n, int32_t *tokidx) {
    int cur = 0;
    size_t best = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char b = (unsigned char)s[k];
        int c = t->nodes[cur].first_child;
        while (c >= 0 && t->nodes[c].byte != b) c = t->nodes[c].next_sibling;
        if (c < 0) break;
        cur = c;
        if (t->nodes[cur].token >= 0) {
            best = k + 1;
            *tokidx = t->nodes[cur].token;
        }
    }
    return best;
}

/* The next added token in s[from..n) as Hugging Face's find_matches sees it:
 * leftmost-longest, single_word matches that touch word characters
 * dropped, lstrip/rstrip widening over whitespace (lstrip never before
 * `floor`). Returns 1 with [*ms, *me) and the token, or 0. */
static int next_added(const bn_tokenizer *tok, const tk_trie *t, const char *s, size_t n, size_t from, size_t floor,
                      size_t *ms, size_t *me, const tk_added **which) {
    size_t i = from;
    while (i < n) {
        if (!t->first[(unsigned char)s[i]]) {
            i++;
            continue;
        }
        int32_t idx = -1;
        size_t len = trie_longest(t, s + i, n - i, &idx);
        if (len == 0) {
            i++;
            continue;
        }
        const tk_added *a = &tok->added[idx];
        size_t start = i, stop = i + len;
        if (a->single_word) {
            int before = start > 0 && is_word_at(s + prev_char(s, start), start - prev_char(s, start));
            int after = stop < n && is_word_at(s + stop, n - stop);
            if (before || after) {
                i = stop; /* the automaton moves past a discarded match */
                continue;
            }
        }
        if (a->lstrip) {
            while (start > floor) {
                size_t p = prev_char(s, start), k;
                if (!is_space_cp(tk_utf8_decode((const unsigned char *)s + p, &k))) break;
                start = p;
            }
        }
        if (a->rstrip) {
            while (stop < n) {
                size_t k;
                if (!is_space_cp(tk_utf8_decode((const unsigned char *)s + stop, &k))) break;
                stop += k;
            }
        }
        *ms = start;
        *me = stop;
        *which = a;
        return 1;
    }
    return 0;
}

/* ---- regex iteration ------------------------------------------------------------- */

/* Find the next match of re in s[0..n) at or after start. Returns 1 with
 * [*ms, *me), 0 for none, or -1 with the error set. */
static int regex_next(const tk_regex *re, tk_work *w, const char *s, size_t n, size_t start, size_t *ms, size_t *me) {
    int rc;
    if (re->jit) {
        rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, start, 0, w->md, w->mctx);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, w->md, w->mctx);
    } else {
        rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, w->md, w->mctx);
    }
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0 && rc != 0) {
        if (rc == PCRE2_ERROR_NOMEMORY || rc == PCRE2_ERROR_HEAPLIMIT)
            bni_error(BN_ERR_OUT_OF_MEMORY, WHO ": out of memory matching a regex");
        else if (rc == PCRE2_ERROR_MATCHLIMIT)
            bni_error(BN_ERR_FORMAT, WHO ": the tokenizer's regex backtracks past %u steps at byte %zu of the text",
                      (unsigned)TK_MATCH_LIMIT, start);
        else {
            PCRE2_UCHAR msg[200];
            pcre2_get_error_message(rc, msg, sizeof msg);
            bni_error(BN_ERR_INTERNAL, WHO ": regex match failed (%d): %s", rc, (const char *)msg);
        }
        return -1;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

/* Pieces are (offset, length) pairs in a tk_i32. */
static int piece_push(tk_i32 *v, size_t off, size_t len) {
    if (len == 0) return 1;
    if (!tk_i32_reserve(v, 2)) return 0;
    v->p[v->n++] = (int32_t)off;
    v->p[v->n++] = (int32_t)len;
    return 1;
}

/* Split piece [off, off+len) of base by re with the given behavior, as
 * Hugging Face's Split pre-tokenizer. Appends to out. */
static bn_status split_piece(const tk_regex *re, tk_split_behavior behavior, int invert, tk_work *w, const char *base,
                             size_t off, size_t len, tk_i32 *out) {
    const char *s = base + off;
    size_t pos = 0, prev_end = 0;
    /* the last piece emitted, for the merging behaviors */
    size_t acc_start = 0, acc_end = 0;
    int have_acc = 0, prev_match = 0;
    size_t last_match_end = (size_t)-1;
    for (;;) {
        size_t ms = len, me = len;
        int found = 0;
        while (pos <= len) {
            int r = regex_next(re, w, s, len, pos, &ms, &me);
            if (r < 0) return bn_last_status();
            if (r == 0) break;
            if (ms == me && ms == last_match_end) { /* empty match right after a match: skip a char */
                if (ms >= len) {
                    r = 0;
                    break;
                }
                size_t k = tk_utf8_valid_len((const unsigned char *)s + ms, len - ms);
                pos = ms + (k ? k : 1);
                continue;
            }
            found = 1;
            break;
        }
        /* the (range, is_match) sequence: gap then match */
        for (int part = 0; part < 2; part++) {
            size_t a, b;
            int is_match;
            if (part == 0) {
                a = prev_end;
                b = found ? ms : len;
                is_match = 0;
                if (a == b) continue;
            } else {
                if (!found) break;
                a = ms;
                b = me;
                is_match = 1;
            }
            if (invert) is_match = !is_match;
            switch (behavior) {
            case TK_SPLIT_REMOVED:
                if (!is_match && !piece_push(out, off + a, b - a)) return oom();
                break;
            case TK_SPLIT_ISOLATED:
                if (!piece_push(out, off + a, b - a)) return oom();
                break;
            case TK_SPLIT_MERGED_WITH_PREVIOUS:
                if (is_match && !prev_match && have_acc) acc_end = b;
                else {
                    if (have_acc && !piece_push(out, off + acc_start, acc_end - acc_start)) return oom();
                    acc_start = a;
                    acc_end = b;
                    have_acc = 1;
                }
                break;
            case TK_SPLIT_CONTIGUOUS:
                if (is_match == prev_match && have_acc) acc_end = b;
                else {
                    if (have_acc && !piece_push(out, off + acc_start, acc_end - acc_start)) return oom();
                    acc_start = a;
                    acc_end = b;
                    have_acc = 1;
                }
                break;
            case TK_SPLIT_MERGED_WITH_NEXT:
                /* a match joins the piece that follows it */
                if (have_acc && prev_match && !is_match) {
                    acc_end = b;
                } else {
                    if (have_acc && !piece_push(out, off + acc_start, acc_end - acc_start)) return oom();
                    acc_start = a;
                    acc_end = b;
                    have_acc = 1;
                }
                break;
            }
            prev_match = is_match;
        }
        if (!found) break;
        prev_end = me;
        last_match_end = me;
        if (me == ms) {
            if (me >= len) break;
            size_t k = tk_utf8_valid_len((const unsigned char *)s + me, len - me);
            pos = me + (k ? k : 1);
        } else {
            pos = me;
        }
        if (pos > len) break;
    }
    if (have_acc && !piece_push(out, off + acc_start, acc_end - acc_start)) return oom();
    return BN_OK;
}

/* ---- normalizers ------------------------------------------------------------------- */

static void swap_bytes(tk_bytes *a, tk_bytes *b) {
    tk_bytes t = *a;
    *a = *b;
    *b = t;
}

bn_status tk_normalize(const bn_tokenizer *tok, tk_work *w, const char *text, size_t len, tk_bytes *out) {
    out->n = 0;
    if (!tk_bytes_append(out, text, len)) return oom();
    for (size_t i = 0; i < tok->n_norms; i++) {
        const tk_norm *nm = &tok->norms[i];
        tk_bytes *tmp = &w->norm2;
        switch (nm->kind) {
        case TK_NORM_PREPEND:
            if (out->n == 0) break;
            tmp->n = 0;
            if (!tk_bytes_append(tmp, nm->text, nm->text_len) || !tk_bytes_append(tmp, out->p, out->n)) return oom();
            swap_bytes(out, tmp);
            break;
        case TK_NORM_APPEND:
            if (out->n == 0) break;
            if (!tk_bytes_append(out, nm->text, nm->text_len)) return oom();
            break;
        case TK_NORM_REPLACE: {
            tmp->n = 0;
            size_t pos = 0;
            if (nm->pat) {
                for (;;) {
                    const char *hit = nm->pat_len <= out->n - pos
                                          ? memmem(out->p + pos, out->n - pos, nm->pat, nm->pat_len)
                                          : NULL;
                    size_t at = hit ? (size_t)(hit - out->p) : out->n;
                    if (!tk_bytes_append(tmp, out->p + pos, at - pos)) return oom();
                    if (!hit) break;
                    if (!tk_bytes_append(tmp, nm->text, nm->text_len)) return oom();
                    pos = at + nm->pat_len;
                }
            } else {
                size_t start = 0;
                for (;;) {
                    size_t ms, me;
                    int r = start <= out->n ? regex_next(&nm->re, w, out->p ? out->p : "", out->n, start, &ms, &me) : 0;
                    if (r < 0) return bn_last_status();
                    if (r == 0) break;
                    if (!tk_bytes_append(tmp, out->p + pos, ms - pos) || !tk_bytes_append(tmp, nm->text, nm->text_len))
                        return oom();
                    pos = me;
                    if (me == ms) {
                        if (me >= out->n) break;
                        size_t k = tk_utf8_valid_len((const unsigned char *)out->p + me, out->n - me);
                        if (!tk_bytes_append(tmp, out->p + me, k ? k : 1)) return oom();
                        pos = start = me + (k ? k : 1);
                    } else {
                        start = me;
                    }
                }
                if (pos < out->n && !tk_bytes_append(tmp, out->p + pos, out->n - pos)) return oom();
            }
            swap_bytes(out, tmp);
            break;
        }
        case TK_NORM_STRIP: {
            size_t a = 0, b = out->n, k;
            if (nm->strip_left)
                while (a < b && is_space_cp(tk_utf8_decode((const unsigned char *)out->p + a, &k))) a += k;
            if (nm->strip_right)
                while (b > a) {
                    size_t p = prev_char(out->p, b);
                    if (!is_space_cp(tk_utf8_decode((const unsigned char *)out->p + p, &k))) break;
                    b = p;
                }
            memmove(out->p, out->p + a, b - a);
            out->n = b - a;
            break;
        }
        }
    }
    return BN_OK;
}

/* ---- BPE ------------------------------------------------------------------------------ */

static int ensure_syms(tk_work *w, size_t n) {
    if (n <= w->sym_cap) return 1;
    size_t cap = w->sym_cap ? w->sym_cap : 64;
    while (cap < n) cap *= 2;
    int32_t *a = bni_realloc(w->sym_id, cap * sizeof *a);
    if (!a) return 0;
    w->sym_id = a;
    a = bni_realloc(w->sym_prev, cap * sizeof *a);
    if (!a) return 0;
    w->sym_prev = a;
    a = bni_realloc(w->sym_next, cap * sizeof *a);
    if (!a) return 0;
    w->sym_next = a;
    a = bni_realloc(w->sym_len, cap * sizeof *a);
    if (!a) return 0;
    w->sym_len = a;
    w->sym_cap = cap;
    return 1;
}

static bn_status push_sym(tk_work *w, size_t *m, int32_t id) {
    if (*m == w->sym_cap && !ensure_syms(w, *m + 1)) return oom();
    w->sym_id[(*m)++] = id;
    return BN_OK;
}

/* The initial symbols of a word, as Hugging Face's merge_word: one per
 * character (a byte for byte-level vocabularies), byte fallback, unknown
 * characters (fused when fuse_unk). */
static bn_status initial_symbols(const bn_tokenizer *tok, tk_work *w, const char *s, size_t n, size_t *count) {
    size_t m = 0;
    if (!ensure_syms(w, n + 1)) return oom();
    int unk_pending = 0; /* an unknown run waiting to be added */
    bn_status st;
    for (size_t i = 0; i < n;) {
        int32_t id;
        size_t clen;
        char mapped[4];
        const char *cs; /* the character as the vocabulary writes it */
        size_t cslen;
        if (tok->byte_level) {
            clen = 1;
            id = tok->byte_ids[(unsigned char)s[i]];
            cslen = tk_utf8_encode(tk_byte_to_cp[(unsigned char)s[i]], mapped);
            cs = mapped;
        } else {
            clen = tk_utf8_valid_len((const unsigned char *)s + i, n - i);
            if (clen == 0) clen = 1; /* cannot happen: input is valid UTF-8 */
            id = clen == 1 && tok->byte_ids[(unsigned char)s[i]] >= 0 ? tok->byte_ids[(unsigned char)s[i]]
                                                                       : tk_strmap_get(&tok->vocab, s + i, clen);
            cs = s + i;
            cslen = clen;
        }
        i += clen;
        if (id >= 0) {
            if (unk_pending) {
                if ((st = push_sym(w, &m, tok->unk_id))) return st;
                unk_pending = 0;
            }
            if ((st = push_sym(w, &m, id))) return st;
            continue;
        }
        if (tok->byte_fallback) {
            int ok = 1;
            for (size_t k = 0; k < cslen; k++)
                if (tok->byte_fallback_ids[(unsigned char)cs[k]] < 0) ok = 0;
            if (ok) {
                /* Hugging Face adds these without flushing a pending unknown */
                for (size_t k = 0; k < cslen; k++)
                    if ((st = push_sym(w, &m, tok->byte_fallback_ids[(unsigned char)cs[k]]))) return st;
                continue;
            }
        }
        if (tok->unk_token) {
            if (tok->unk_id < 0)
                return bni_error(BN_ERR_FORMAT, WHO ": the unknown token '%s' is not in the vocabulary", tok->unk_token);
            if (unk_pending && !tok->fuse_unk) {
                if ((st = push_sym(w, &m, tok->unk_id))) return st;
            }
            unk_pending = 1;
        }
    }
    if (unk_pending && (st = push_sym(w, &m, tok->unk_id))) return st;
    *count = m;
    return BN_OK;
}

/* Merge symbols by rank, leftmost first among equal ranks (the order of
 * Hugging Face's priority queue). Short words: a linear scan per merge. */
static size_t merge_short(const bn_tokenizer *tok, int32_t *ids, size_t m) {
    int32_t rank[64], merged[64];
    if (m < 2) return m;
    for (size_t i = 0; i + 1 < m; i++)
        if (!tk_pairmap_get(&tok->merges, ids[i], ids[i + 1], &rank[i], &merged[i])) rank[i] = INT32_MAX;
    for (;;) {
        size_t best = 0;
        int32_t br = INT32_MAX;
        for (size_t i = 0; i + 1 < m; i++)
            if (rank[i] < br) {
                br = rank[i];
                best = i;
            }
        if (br == INT32_MAX) break;
        ids[best] = merged[best];
        memmove(ids + best + 1, ids + best + 2, (m - best - 2) * sizeof *ids);
        memmove(rank + best + 1, rank + best + 2, (m - best - 2) * sizeof *rank);
        memmove(merged + best + 1, merged + best + 2, (m - best - 2) * sizeof *merged);
        m--;
        if (best > 0 && !tk_pairmap_get(&tok->merges, ids[best - 1], ids[best], &rank[best - 1], &merged[best - 1]))
            rank[best - 1] = INT32_MAX;
        if (best + 1 < m) {
            if (!tk_pairmap_get(&tok->merges, ids[best], ids[best + 1], &rank[best], &merged[best]))
                rank[best] = INT32_MAX;
        } else if (best < m) {
            rank[best] = INT32_MAX;
        }
    }
    return m;
}

static inline void heap_push(uint64_t *h, size_t *n, uint64_t v) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static inline uint64_t heap_pop(uint64_t *h, size_t *n) {
    uint64_t top = h[0], v = h[--(*n)];
    size_t i = 0, cnt = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= cnt) break;
        if (c + 1 < cnt && h[c + 1] < h[c]) c++;
        if (v <= h[c]) break;
        h[i] = h[c];
        i = c;
    }
    if (cnt) h[i] = v;
    return top;
}

/* Long words: a linked list and a heap of (rank, position). Returns the
 * number of symbols, written to ids in order. */
static bn_status merge_long(const bn_tokenizer *tok, tk_work *w, size_t m, size_t *out_m) {
    int32_t *id = w->sym_id, *prev = w->sym_prev, *next = w->sym_next, *alive = w->sym_len;
    size_t need = m * 2 + 4; /* each merge adds at most two entries */
    if (w->heap_cap < need) {
        uint64_t *h = bni_realloc(w->heap, need * sizeof *h);
        if (!h) return oom();
        w->heap = h;
        w->heap_cap = need;
    }
    uint64_t *heap = w->heap;
    size_t hn = 0;
    for (size_t i = 0; i < m; i++) {
        prev[i] = (int32_t)i - 1;
        next[i] = i + 1 < m ? (int32_t)i + 1 : -1;
        alive[i] = 1;
    }
    int32_t r, mg;
    for (size_t i = 0; i + 1 < m; i++)
        if (tk_pairmap_get(&tok->merges, id[i], id[i + 1], &r, &mg)) heap_push(heap, &hn, ((uint64_t)r << 32) | i);
    while (hn) {
        uint64_t top = heap_pop(heap, &hn);
        int32_t rank = (int32_t)(top >> 32);
        size_t pos = (size_t)(top & 0xFFFFFFFFu);
        if (!alive[pos] || next[pos] < 0) continue;
        size_t nx = (size_t)next[pos];
        if (!tk_pairmap_get(&tok->merges, id[pos], id[nx], &r, &mg) || r != rank) continue; /* stale */
        id[pos] = mg;
        alive[nx] = 0;
        next[pos] = next[nx];
        if (next[nx] >= 0) prev[next[nx]] = (int32_t)pos;
        if (hn + 2 > w->heap_cap) return bni_error(BN_ERR_INTERNAL, WHO ": BPE heap overflow");
        if (prev[pos] >= 0 && tk_pairmap_get(&tok->merges, id[prev[pos]], id[pos], &r, &mg))
            heap_push(heap, &hn, ((uint64_t)r << 32) | (uint32_t)prev[pos]);
        if (next[pos] >= 0 && tk_pairmap_get(&tok->merges, id[pos], id[next[pos]], &r, &mg))
            heap_push(heap, &hn, ((uint64_t)r << 32) | pos);
    }
    size_t k = 0;
    for (int32_t i = 0; i >= 0; i = next[i]) id[k++] = id[i];
    *out_m = k;
    return BN_OK;
}

static bn_status bpe_piece(const bn_tokenizer *tok, tk_work *w, const char *s, size_t n) {
    if (n == 0) return BN_OK;
    const tk_strmap *enc = tok->byte_level ? &tok->vocab_enc : &tok->vocab;
    if (tok->ignore_merges) {
        int32_t id = tk_strmap_get(enc, s, n);
        if (id >= 0) return tk_i32_push(&w->ids, id) ? BN_OK : oom();
    }
    tk_cache_entry *ce = NULL;
    uint64_t h = 0;
    if (n <= TK_CACHE_MAX_PIECE) {
        if (!w->cache) {
            w->cache = bni_calloc(TK_CACHE_SLOTS, sizeof *w->cache);
            if (!w->cache) return oom();
        }
        h = tk_hash_bytes(s, n);
        ce = &w->cache[h & (TK_CACHE_SLOTS - 1)];
        if (ce->len == n && ce->hash == h && memcmp(ce->bytes, s, n) == 0) {
            if (!tk_i32_reserve(&w->ids, ce->nids)) return oom();
            memcpy(w->ids.p + w->ids.n, ce->ids, ce->nids * sizeof(int32_t));
            w->ids.n += ce->nids;
            return BN_OK;
        }
    }
    size_t m = 0;
    bn_status st = initial_symbols(tok, w, s, n, &m);
    if (st) return st;
    if (m <= 64) m = merge_short(tok, w->sym_id, m);
    else if ((st = merge_long(tok, w, m, &m))) return st;
    if (!tk_i32_reserve(&w->ids, m)) return oom();
    memcpy(w->ids.p + w->ids.n, w->sym_id, m * sizeof(int32_t));
    w->ids.n += m;
    if (ce && m <= TK_CACHE_MAX_IDS) {
        ce->hash = h;
        ce->len = (uint32_t)n;
        ce->nids = (uint32_t)m;
        memcpy(ce->bytes, s, n);
        memcpy(ce->ids, w->sym_id, m * sizeof(int32_t));
    }
    return BN_OK;
}

/* ---- pre-tokenization + model on one normalized segment ----------------------------- */

static bn_status model_segment(const bn_tokenizer *tok, tk_work *w, const char *s, size_t n) {
    if (n == 0) return BN_OK;
    if (tok->n_pretoks == 0) return bpe_piece(tok, w, s, n);
    const char *base = s;
    tk_i32 *cur = &w->pieces, *nxt = &w->pieces2;
    cur->n = 0;
    if (!piece_push(cur, 0, n)) return oom();
    bn_status st;
    for (size_t k = 0; k < tok->n_pretoks; k++) {
        const tk_pretok *p = &tok->pretoks[k];
        nxt->n = 0;
        if (p->kind == TK_PRE_SPLIT) {
            for (size_t i = 0; i < cur->n; i += 2)
                if ((st = split_piece(&p->re, p->behavior, p->invert, w, base, (size_t)cur->p[i], (size_t)cur->p[i + 1],
                                      nxt)))
                    return st;
        } else { /* ByteLevel: optional prefix space, optional GPT-2 split */
            if (p->add_prefix_space) {
                w->pre.n = 0;
                for (size_t i = 0; i < cur->n; i += 2) {
                    size_t off = (size_t)cur->p[i], len = (size_t)cur->p[i + 1];
                    size_t at = w->pre.n;
                    if (base[off] != ' ' && !tk_bytes_append(&w->pre, " ", 1)) return oom();
                    if (!tk_bytes_append(&w->pre, base + off, len)) return oom();
                    cur->p[i] = (int32_t)at;
                    cur->p[i + 1] = (int32_t)(w->pre.n - at);
                }
                base = w->pre.p;
            }
            if (p->use_regex) {
                for (size_t i = 0; i < cur->n; i += 2)
                    if ((st = split_piece(&p->re, TK_SPLIT_ISOLATED, 0, w, base, (size_t)cur->p[i],
                                          (size_t)cur->p[i + 1], nxt)))
                        return st;
            } else {
                continue; /* the pieces stay as they are */
            }
        }
        tk_i32 *t = cur;
        cur = nxt;
        nxt = t;
    }
    for (size_t i = 0; i < cur->n; i += 2)
        if ((st = bpe_piece(tok, w, base + cur->p[i], (size_t)cur->p[i + 1]))) return st;
    return BN_OK;
}

/* A segment between raw added tokens: normalize, split on normalized
 * added tokens, then pre-tokenize and run the model. */
static bn_status plain_segment(const bn_tokenizer *tok, tk_work *w, const char *s, size_t n, int no_special) {
    if (n == 0) return BN_OK;
    bn_status st;
    if (tok->n_norms) {
        if ((st = tk_normalize(tok, w, s, n, &w->norm))) return st;
        s = w->norm.p;
        n = w->norm.n;
    }
    const tk_trie *t = no_special ? &tok->trie_norm_nospecial : &tok->trie_norm;
    if (!t->any) return model_segment(tok, w, s, n);
    size_t pos = 0, ms, me;
    const tk_added *a;
    while (pos < n) {
        int found = next_added(tok, t, s, n, pos, pos, &ms, &me, &a);
        size_t end = found ? ms : n;
        if ((st = model_segment(tok, w, s + pos, end - pos))) return st;
        if (!found) break;
        if (!tk_i32_push(&w->ids, a->id)) return oom();
        pos = me;
    }
    return BN_OK;
}

bn_status tk_encode(const bn_tokenizer *tok, tk_work *w, const char *text, size_t len, unsigned flags) {
    w->ids.n = 0;
    bn_status st;
    if (flags & BN_TOK_ADD_SPECIAL) {
        if (!tk_i32_reserve(&w->ids, tok->prefix.n)) return oom();
        for (size_t i = 0; i < tok->prefix.n; i++) w->ids.p[w->ids.n++] = tok->prefix.p[i];
    }
    if (len && tk_utf8_first_invalid((const unsigned char *)text, len) < len) {
        w->clean.n = 0;
        if (!tk_utf8_lossy_append(&w->clean, (const unsigned char *)text, len)) return oom();
        text = w->clean.p;
        len = w->clean.n;
    }
    int no_special = (flags & BN_TOK_SPECIAL_AS_TEXT) || tok->special_as_text;
    const tk_trie *t = no_special ? &tok->trie_raw_nospecial : &tok->trie_raw;
    if (!t->any) {
        if ((st = plain_segment(tok, w, text, len, no_special))) return st;
    } else {
        size_t pos = 0, ms, me;
        const tk_added *a;
        while (pos < len) {
            int found = next_added(tok, t, text, len, pos, pos, &ms, &me, &a);
            size_t end = found ? ms : len;
            if ((st = plain_segment(tok, w, text + pos, end - pos, no_special))) return st;
            if (!found) break;
            if (!tk_i32_push(&w->ids, a->id)) return oom();
            pos = me;
        }
    }
    if (flags & BN_TOK_ADD_SPECIAL) {
        if (!tk_i32_reserve(&w->ids, tok->suffix.n)) return oom();
        for (size_t i = 0; i < tok->suffix.n; i++) w->ids.p[w->ids.n++] = tok->suffix.p[i];
    }
    return BN_OK;
}
