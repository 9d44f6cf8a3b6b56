/* Internal: the tokenizer's data structures, shared by the files of
 * src/text/ (loading, encoding, decoding). Nothing here is public API.
 *
 * The pipeline follows Hugging Face tokenizers:
 *   text -> (invalid UTF-8 replaced by U+FFFD) -> split on added tokens that
 *   are not normalized -> normalizer on each remaining segment -> split on
 *   normalized added tokens -> pre-tokenizer (pieces) -> BPE model (ids).
 * Decoding maps ids to their token strings and runs the decoder chain.
 *
 * Byte-level tokenizers (a ByteLevel pre-tokenizer last in the chain) keep
 * their vocabulary in GPT-2's byte-to-character mapping; at load time every
 * token is mapped back to raw bytes so the BPE runs on bytes directly and
 * the mapping never happens per call. */
#ifndef BITNET_TEXT_TOK_INTERNAL_H
#define BITNET_TEXT_TOK_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "bitnet/status.h"
#include "bitnet/tokenizer.h"

/* ---- small growable arrays (bni_realloc; 0 on out of memory) ---------- */

typedef struct tk_bytes {
    char *p;
    size_t n, cap;
} tk_bytes;

typedef struct tk_i32 {
    int32_t *p;
    size_t n, cap;
} tk_i32;

int tk_bytes_reserve(tk_bytes *b, size_t extra);
int tk_bytes_append(tk_bytes *b, const void *src, size_t n);
void tk_bytes_free(tk_bytes *b);
int tk_i32_reserve(tk_i32 *v, size_t extra);
int tk_i32_push(tk_i32 *v, int32_t x);
void tk_i32_free(tk_i32 *v);

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (1 to 4), or 0 when the
 * bytes there do not start a valid sequence. */
size_t tk_utf8_valid_len(const unsigned char *s, size_t n);
/* Length of the maximal subpart of an ill-formed sequence at s (at least 1):
 * the bytes that one U+FFFD replaces (Unicode "maximal subpart" practice,
 * as Python's and Rust's lossy decoders do). */
size_t tk_utf8_invalid_len(const unsigned char *s, size_t n);
/* Offset of the first invalid byte, or n when s is valid UTF-8. */
size_t tk_utf8_first_invalid(const unsigned char *s, size_t n);
/* Append s with every ill-formed sequence replaced by U+FFFD. */
int tk_utf8_lossy_append(tk_bytes *out, const unsigned char *s, size_t n);
/* Decode one code point of valid UTF-8; *len gets its byte length. */
uint32_t tk_utf8_decode(const unsigned char *s, size_t *len);
/* Encode cp into out (at least 4 bytes); returns the byte count. */
size_t tk_utf8_encode(uint32_t cp, char *out);

/* GPT-2's byte-to-character table: byte b is written as code point
 * tk_byte_to_cp[b]; tk_cp_to_byte gives the inverse (-1 when cp is not one). */
extern const uint16_t tk_byte_to_cp[256];
int tk_cp_to_byte(uint32_t cp);

/* ---- hashing ----------------------------------------------------------- */

uint64_t tk_hash_bytes(const void *p, size_t n);

/* Byte string -> int32 map; keys live in an arena owned by the map. */
typedef struct tk_strmap {
    uint32_t *slots;  /* index into entries + 1; 0 = empty */
    uint64_t *hashes; /* hash per slot */
    size_t mask;      /* capacity - 1 */
    uint32_t *koff, *klen;
    int32_t *vals;
    size_t n, cap_entries;
    tk_bytes arena;
} tk_strmap;

int tk_strmap_init(tk_strmap *m, size_t expected);
void tk_strmap_free(tk_strmap *m);
/* Insert or overwrite; 0 on out of memory. */
int tk_strmap_put(tk_strmap *m, const char *key, size_t len, int32_t val);
/* The value, or -1 when absent. */
int32_t tk_strmap_get(const tk_strmap *m, const char *key, size_t len);

/* (left id, right id) -> (rank, merged id) */
typedef struct tk_pairmap {
    uint64_t *keys; /* (a << 32 | b) + 1; 0 = empty */
    int32_t *rank, *merged;
    size_t mask, n;
} tk_pairmap;

int tk_pairmap_init(tk_pairmap *m, size_t expected);
void tk_pairmap_free(tk_pairmap *m);
void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged);
static inline int tk_pairmap_get(const tk_pairmap *m, int32_t a, int32_t b, int32_t *rank, int32_t *merged) {
    if (m->mask == 0) return 0;
    uint64_t key = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & m->mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key) {
            *rank = m->rank[i];
            *merged = m->merged[i];
            return 1;
        }
        if (k == 0) return 0;
        i = (i + 1) & m->mask;
    }
}

/* ---- regular expressions (PCRE2, UTF + UCP, JIT when available) -------- */

typedef struct tk_regex {
    pcre2_code *code;
    int jit; /* 1 when JIT-compiled */
} tk_regex;

pcre2_general_context *tk_pcre2_context(void);
/* Compile pattern (literal != 0: match the text as is). who names the caller
 * for the message. */
bn_status tk_regex_compile(tk_regex *re, const char *pattern, size_t len, int literal, const char *who);
void tk_regex_free(tk_regex *re);

/* ---- pipeline components ----------------------------------------------- */

typedef enum tk_norm_kind { TK_NORM_PREPEND, TK_NORM_APPEND, TK_NORM_REPLACE, TK_NORM_STRIP } tk_norm_kind;

typedef struct tk_norm {
    tk_norm_kind kind;
    char *text;      /* Prepend/Append text, Replace content */
    size_t text_len;
    char *pat;       /* Replace: the literal pattern (NULL for a regex) */
    size_t pat_len;
    tk_regex re;     /* Replace: the regex pattern */
    int strip_left, strip_right;
} tk_norm;

typedef enum tk_split_behavior {
    TK_SPLIT_REMOVED,
    TK_SPLIT_ISOLATED,
    TK_SPLIT_MERGED_WITH_PREVIOUS,
    TK_SPLIT_MERGED_WITH_NEXT,
    TK_SPLIT_CONTIGUOUS
} tk_split_behavior;

typedef enum tk_pretok_kind { TK_PRE_SPLIT, TK_PRE_BYTELEVEL } tk_pretok_kind;

typedef struct tk_pretok {
    tk_pretok_kind kind;
    tk_regex re;                /* Split pattern, or ByteLevel's GPT-2 regex */
    tk_split_behavior behavior; /* Split */
    int invert;                 /* Split */
    int add_prefix_space;       /* ByteLevel */
    int use_regex;              /* ByteLevel */
} tk_pretok;

typedef enum tk_dec_kind {
    TK_DEC_BYTELEVEL,
    TK_DEC_REPLACE,
    TK_DEC_BYTEFALLBACK,
    TK_DEC_FUSE,
    TK_DEC_STRIP
} tk_dec_kind;

typedef struct tk_dec {
    tk_dec_kind kind;
    char *pattern, *content; /* Replace: literal pattern and its replacement; Strip: content char */
    size_t pattern_len, content_len;
    int start, stop;         /* Strip */
} tk_dec;

/* An added token (tokenizer.json "added_tokens"). */
typedef struct tk_added {
    int32_t id;
    char *content;
    size_t len;
    char *match;      /* what is searched: content, or normalize(content) when normalized */
    size_t match_len;
    int special, normalized, lstrip, rstrip, single_word;
} tk_added;

/* A byte trie over added-token match strings for leftmost-longest search. */
typedef struct tk_trie_node {
    int32_t first_child, next_sibling;
    int32_t token; /* index into added[] ending here, or -1 */
    unsigned char byte;
} tk_trie_node;

typedef struct tk_trie {
    tk_trie_node *nodes;
    size_t n, cap;
    uint8_t first[256]; /* 1 when some match string starts with this byte */
    int any;
} tk_trie;

/* Per-call scratch, recycled through the tokenizer's free list. */
typedef struct tk_cache_entry {
    uint64_t hash;
    uint32_t len;   /* piece bytes; 0 = empty slot */
    uint32_t nids;
    char bytes[40];
    int32_t ids[10];
} tk_cache_entry;

#define TK_CACHE_SLOTS 4096
#define TK_CACHE_MAX_PIECE 40
#define TK_CACHE_MAX_IDS 10

typedef struct tk_work {
    struct tk_work *next_free;
    tk_bytes clean;     /* input after invalid UTF-8 replacement */
    tk_bytes norm;      /* normalized segment */
    tk_bytes norm2;     /* normalizer scratch */
    tk_bytes pre;       /* pre-tokenizer text (prefix spaces) */
    tk_i32 pieces;      /* (offset, length) pairs into the current text */
    tk_i32 pieces2;
    tk_i32 ids;         /* output */
    /* BPE scratch */
    int32_t *sym_id, *sym_prev, *sym_next, *sym_len;
    uint64_t *heap;
    size_t sym_cap, heap_cap;
    pcre2_match_data *md;
    pcre2_jit_stack *jit_stack;
    pcre2_match_context *mctx;
    tk_cache_entry *cache; /* TK_CACHE_SLOTS entries, allocated on first use */
} tk_work;

struct bn_tokenizer {
    /* model */
    int byte_level;          /* vocabulary keyed by raw bytes (ByteLevel) */
    tk_strmap vocab;         /* token string as in tokenizer.json -> id */
    tk_strmap vocab_enc;     /* what the BPE looks up: raw bytes when byte_level, else = vocab (unused) */
    tk_pairmap merges;
    int32_t byte_fallback_ids[256]; /* <0xXX> ids, -1 when absent */
    int byte_fallback, fuse_unk, ignore_merges;
    int32_t unk_id;          /* -1 when none */
    char *unk_token;
    int32_t byte_ids[256];   /* byte_level: id of each single byte, -1 when absent */

    /* id -> token string */
    int32_t vocab_size;
    uint32_t *tok_off, *tok_len; /* per id; tok_len UINT32_MAX = no token */
    tk_bytes tok_arena;
    uint8_t *is_special;     /* per id */

    /* added tokens */
    tk_added *added;
    size_t n_added;
    tk_trie trie_raw;        /* not normalized */
    tk_trie trie_raw_nospecial;
    tk_trie trie_norm;       /* normalized */
    tk_trie trie_norm_nospecial;

    tk_norm *norms;
    size_t n_norms;
    tk_pretok *pretoks;
    size_t n_pretoks;
    tk_dec *decs;
    size_t n_decs;
    int has_decoder;

    /* special tokens added by BN_TOK_ADD_SPECIAL */
    tk_i32 prefix, suffix;
    int32_t bos_id, eos_id, pad_id;

    int special_as_text;     /* options.special_as_text */

    /* scratch free list */
    pthread_mutex_t lock;
    tk_work *free_work;
};

/* tok_load.c */
bn_status tk_load_json(bn_tokenizer *tok, const char *json, size_t len, const char *config_json,
                       size_t config_len, const bn_tokenizer_options *opt);
void tk_destroy(bn_tokenizer *tok);

/* tok_encode.c */
bn_status tk_work_get(bn_tokenizer *tok, tk_work **out);
void tk_work_put(bn_tokenizer *tok, tk_work *w);
void tk_work_free(tk_work *w);
bn_status tk_encode(const bn_tokenizer *tok, tk_work *w, const char *text, size_t len, unsigned flags);
/* Normalize text with the tokenizer's normalizers into out (replacing it). */
bn_status tk_normalize(const bn_tokenizer *tok, tk_work *w, const char *text, size_t len, tk_bytes *out);
bn_status tk_trie_build(tk_trie *t, const tk_added *added, size_t n, int normalized, int with_special);
void tk_trie_free(tk_trie *t);

/* tok_decode.c */
bn_status tk_decode(const bn_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, tk_bytes *out);

#endif
