/* Tokenizer tests: the 400 Hugging Face cases of both tokenizers (ids and
 * decoded text identical), then edge cases: invalid UTF-8, ids out of
 * range, special tokens as text, BOS/EOS from tokenizer_config.json, empty
 * and very long input, batch = sequential for 1 and 2 threads. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define DATA BITNET_TEST_DATA_DIR

static int same_ids(const int32_t *a, size_t na, const json_t *b) {
    if (na != json_array_size(b)) return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i] != (int32_t)json_integer_value(json_array_get(b, i))) return 0;
    return 1;
}

static void print_ids(const char *what, const int32_t *a, size_t n) {
    fprintf(stderr, "  %s:", what);
    for (size_t i = 0; i < n && i < 40; i++) fprintf(stderr, " %d", a[i]);
    fprintf(stderr, "%s\n", n > 40 ? " ..." : "");
}

/* Every line of a cases file: ids and decoded text must match. */
static void run_cases(const bn_tokenizer *tok, const char *path, int *ok_ids, int *ok_text, int *total) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int lineno = 0, printed = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, &err);
        CHECK(o != NULL);
        if (!o) continue;
        json_t *text = json_object_get(o, "text"), *ids = json_object_get(o, "ids"),
               *dec = json_object_get(o, "decoded");
        int32_t *out = NULL;
        size_t n = 0;
        (*total)++;
        bn_status st = bn_tokenizer_encode(tok, json_string_value(text), json_string_length(text), 0, &out, &n);
        CHECK(st == BN_OK);
        if (st == BN_OK && same_ids(out, n, ids)) (*ok_ids)++;
        else if (printed++ < 5) {
            fprintf(stderr, "%s:%d ids differ for %.80s\n", path, lineno, json_string_value(text));
            if (st == BN_OK) print_ids("ours", out, n);
            int32_t want[4096];
            size_t nw = json_array_size(ids);
            for (size_t i = 0; i < nw && i < 4096; i++) want[i] = (int32_t)json_integer_value(json_array_get(ids, i));
            print_ids("want", want, nw);
        }
        bn_tokenizer_ids_free(out);
        /* decode the reference ids */
        size_t nw = json_array_size(ids);
        int32_t *want = malloc((nw ? nw : 1) * sizeof *want);
        for (size_t i = 0; i < nw; i++) want[i] = (int32_t)json_integer_value(json_array_get(ids, i));
        char *s = NULL;
        size_t slen = 0;
        st = bn_tokenizer_decode(tok, want, nw, 0, &s, &slen);
        CHECK(st == BN_OK);
        if (st == BN_OK && slen == json_string_length(dec) && memcmp(s, json_string_value(dec), slen) == 0)
            (*ok_text)++;
        else if (printed++ < 5)
            fprintf(stderr, "%s:%d decoded differs: ours '%.80s' want '%.80s'\n", path, lineno, s ? s : "",
                    json_string_value(dec));
        bn_tokenizer_text_free(s);
        free(want);
        json_decref(o);
    }
    free(line);
    fclose(f);
}

static bn_tokenizer *load(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/tokenizer.json", DATA, name);
    bn_tokenizer *tok = NULL;
    CHECK_OK(bn_tokenizer_load(path, NULL, &tok));
    return tok;
}

static void test_cases(const char *name) {
    bn_tokenizer *tok = load(name);
    if (!tok) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/tokenizer-cases/%s.jsonl", DATA, name);
    int ok_ids = 0, ok_text = 0, total = 0;
    run_cases(tok, path, &ok_ids, &ok_text, &total);
    printf("%s: ids %d/%d identical, decoded text %d/%d identical\n", name, ok_ids, total, ok_text, total);
    CHECK(total == 400);
    CHECK(ok_ids == total);
    CHECK(ok_text == total);
    bn_tokenizer_free(tok);
}

/* Encode and compare with an expected id list. */
static void expect_ids(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags, const int32_t *want,
                       size_t nwant, const char *what) {
    int32_t *ids = NULL;
    size_t n = 0;
    bn_status st = bn_tokenizer_encode(tok, text, len, flags, &ids, &n);
    CHECK(st == BN_OK);
    int same = st == BN_OK && n == nwant && (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
    if (!same) {
        fprintf(stderr, "%s: ids differ\n", what);
        if (st == BN_OK) print_ids("ours", ids, n);
        print_ids("want", want, nwant);
    }
    CHECK(same);
    bn_tokenizer_ids_free(ids);
}

static void expect_decode(const bn_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, const char *want) {
    char *s = NULL;
    size_t len = 0;
    CHECK_OK(bn_tokenizer_decode(tok, ids, n, flags, &s, &len));
    int same = s && len == strlen(want) && memcmp(s, want, len) == 0 && s[len] == '\0';
    if (!same) fprintf(stderr, "decode: got '%s' want '%s'\n", s ? s : "(null)", want);
    CHECK(same);
    bn_tokenizer_text_free(s);
}

/* A checksum of an id list, the same as the one computed in Python for the
 * expectations below: (count, sum of (id + 1) * (index % 1000 + 1) mod 1e9+7). */
static void digest(const int32_t *ids, size_t n, size_t *count, long long *sum) {
    long long acc = 0;
    for (size_t k = 0; k < n; k++) acc = (acc + (long long)(ids[k] + 1) * (long long)(k % 1000 + 1)) % 1000000007LL;
    *count = n;
    *sum = acc;
}

static void test_invalid_utf8(bn_tokenizer *llama, bn_tokenizer *sp) {
    /* Python: raw.decode("utf-8", "replace") then Hugging Face encode */
    static const char raw[] = "ok\xff\xfe a\xe2\x82 b\xed\xa0\x80" "c\xc0\xaf" "d\xf4\x90\x80\x80" "e\xf0\x9f\x99";
    static const int32_t want_l[] = {564, 10178, 264, 5809, 293, 58432, 66, 10178, 67, 24378, 68, 5809};
    static const int32_t want_s[] = {3614,  29137, 29137, 264,   29137, 287,   29137, 29137, 29137, 28717,
                                     29137, 29137, 28715, 29137, 29137, 29137, 29137, 28706, 29137};
    expect_ids(llama, raw, sizeof raw - 1, 0, want_l, sizeof want_l / sizeof *want_l, "llama3 invalid utf-8");
    expect_ids(sp, raw, sizeof raw - 1, 0, want_s, sizeof want_s / sizeof *want_s, "sp invalid utf-8");
    /* the same ids as for the text with U+FFFD written out */
    static const char fixed[] = "ok\xEF\xBF\xBD\xEF\xBF\xBD a\xEF\xBF\xBD b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                "c\xEF\xBF\xBD\xEF\xBF\xBD"
                                "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                "e\xEF\xBF\xBD";
    expect_ids(llama, fixed, sizeof fixed - 1, 0, want_l, sizeof want_l / sizeof *want_l, "llama3 U+FFFD");
    /* every single byte value alone, and truncated sequences at the end: never a crash */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        int32_t *ids = NULL;
        size_t n = 0;
        CHECK_OK(bn_tokenizer_encode(llama, &c, 1, 0, &ids, &n));
        CHECK(n >= 1);
        bn_tokenizer_ids_free(ids);
        CHECK_OK(bn_tokenizer_encode(sp, &c, 1, 0, &ids, &n));
        bn_tokenizer_ids_free(ids);
    }
    /* decoding byte tokens that are not UTF-8 gives U+FFFD (valid output) */
    static const int32_t half[] = {0xE2 + 3, 0x82 + 3}; /* <0xE2> <0x82> in sp */
    expect_decode(sp, half, 2, 0, "\xEF\xBF\xBD\xEF\xBF\xBD");
    int32_t l_half[1];
    CHECK_OK(bn_tokenizer_token_to_id(llama, "\xC3\xA2", 2, &l_half[0])); /* byte 0xE2 alone */
    expect_decode(llama, l_half, 1, 0, "\xEF\xBF\xBD");
}

static void test_specials(bn_tokenizer *llama, bn_tokenizer *sp) {
    static const char text[] = "a<|eot_id|>b<s>c";
    static const int32_t l_special[] = {64, 128009, 65, 45147, 57446};
    static const int32_t l_text[] = {64, 27, 91, 68, 354, 851, 91, 29, 65, 45147, 57446};
    static const int32_t s_special[] = {264, 28789, 28766, 28706, 322, 28730, 313, 28766, 28767, 28726, 1, 277};
    static const int32_t s_text[] = {264, 28789, 28766, 28706, 322, 28730, 313, 28766, 28767, 28726, 28789, 28713, 28767, 28717};
    expect_ids(llama, text, strlen(text), 0, l_special, 5, "llama3 specials matched");
    expect_ids(llama, text, strlen(text), BN_TOK_SPECIAL_AS_TEXT, l_text, 11, "llama3 specials as text");
    expect_ids(sp, text, strlen(text), 0, s_special, 12, "sp specials matched");
    expect_ids(sp, text, strlen(text), BN_TOK_SPECIAL_AS_TEXT, s_text, 14, "sp specials as text");
    expect_decode(llama, l_special, 5, BN_TOK_SKIP_SPECIAL, "ab<s>c");
    expect_decode(llama, l_special, 5, 0, "a<|eot_id|>b<s>c");
    expect_decode(sp, s_special, 12, BN_TOK_SKIP_SPECIAL, "a<|eot_id|>b c");
    static const int32_t hello[] = {128000, 9906, 128001};
    expect_decode(llama, hello, 3, BN_TOK_SKIP_SPECIAL, "Hello");
    CHECK(bn_tokenizer_is_special(llama, 128009));
    CHECK(!bn_tokenizer_is_special(llama, 64));

    /* the option behaves as the flag */
    bn_tokenizer_options o;
    bn_tokenizer_options_default(&o);
    o.special_as_text = 1;
    bn_tokenizer *t2 = NULL;
    CHECK_OK(bn_tokenizer_load(DATA "/llama3/tokenizer.json", &o, &t2));
    if (t2) expect_ids(t2, text, strlen(text), 0, l_text, 11, "llama3 special_as_text option");
    bn_tokenizer_free(t2);
}

static void test_bos_eos(bn_tokenizer *llama, bn_tokenizer *sp) {
    /* Llama 3's tokenizer_config.json names BOS/EOS but does not ask to add
     * them, and its post-processor is ByteLevel: nothing is added. */
    CHECK(bn_tokenizer_bos_id(llama) == 128000);
    CHECK(bn_tokenizer_eos_id(llama) == 128001);
    CHECK(bn_tokenizer_pad_id(llama) == -1);
    static const int32_t hw[] = {15339, 1917};
    expect_ids(llama, "hello world", 11, BN_TOK_ADD_SPECIAL, hw, 2, "llama3 add special");
    /* SP: add_bos_token true, add_eos_token false */
    CHECK(bn_tokenizer_bos_id(sp) == 1);
    CHECK(bn_tokenizer_eos_id(sp) == 2);
    static const int32_t s_hw[] = {1, 6312, 28709, 1526}; /* <s> ▁hell o ▁world */
    expect_ids(sp, "hello world", 11, BN_TOK_ADD_SPECIAL, s_hw, 4, "sp add special");
    static const int32_t bos_only[] = {1};
    expect_ids(sp, "", 0, BN_TOK_ADD_SPECIAL, bos_only, 1, "sp empty + bos");
    expect_ids(sp, NULL, 0, 0, NULL, 0, "sp empty");
    expect_ids(llama, "", 0, 0, NULL, 0, "llama3 empty");

    /* overrides */
    bn_tokenizer_options o;
    bn_tokenizer_options_default(&o);
    o.add_bos = 1;
    o.add_eos = 1;
    bn_tokenizer *t = NULL;
    CHECK_OK(bn_tokenizer_load(DATA "/llama3/tokenizer.json", &o, &t));
    static const int32_t l_be[] = {128000, 15339, 1917, 128001};
    if (t) expect_ids(t, "hello world", 11, BN_TOK_ADD_SPECIAL, l_be, 4, "llama3 forced bos+eos");
    if (t) expect_ids(t, "hello world", 11, 0, hw, 2, "llama3 without the flag");
    bn_tokenizer_free(t);
    t = NULL;
    o.add_bos = 0;
    o.add_eos = -1;
    CHECK_OK(bn_tokenizer_load(DATA "/sp-bpe-32k/tokenizer.json", &o, &t));
    static const int32_t s_plain[] = {6312, 28709, 1526};
    if (t) expect_ids(t, "hello world", 11, BN_TOK_ADD_SPECIAL, s_plain, 3, "sp bos off");
    bn_tokenizer_free(t);
    /* no config: the template (<s> $A) decides */
    bn_tokenizer_options_default(&o);
    o.no_config = 1;
    t = NULL;
    CHECK_OK(bn_tokenizer_load(DATA "/sp-bpe-32k/tokenizer.json", &o, &t));
    if (t) {
        expect_ids(t, "hello world", 11, BN_TOK_ADD_SPECIAL, s_hw, 4, "sp template");
        CHECK(bn_tokenizer_bos_id(t) == 1);
    }
    bn_tokenizer_free(t);
    /* an explicit config path */
    bn_tokenizer_options_default(&o);
    o.config_path = DATA "/tiny-tokenizers/sp/tokenizer_config.json"; /* add_bos and add_eos */
    t = NULL;
    CHECK_OK(bn_tokenizer_load(DATA "/sp-bpe-32k/tokenizer.json", &o, &t));
    static const int32_t s_be[] = {1, 6312, 28709, 1526, 2};
    if (t) {
        expect_ids(t, "hello world", 11, BN_TOK_ADD_SPECIAL, s_be, 5, "sp bos+eos from config");
        CHECK(bn_tokenizer_pad_id(t) == 0);
    }
    bn_tokenizer_free(t);
    /* asking for an EOS a tokenizer lacks */
    bn_tokenizer_options_default(&o);
    o.no_config = 1;
    o.add_eos = 1;
    t = NULL;
    CHECK_ERR(bn_tokenizer_load(DATA "/tiny-tokenizers/byte-level/tokenizer.json", &o, &t), BN_ERR_INVALID_ARGUMENT,
              "no EOS token");
    CHECK(t == NULL);
}

static void test_long(bn_tokenizer *llama, bn_tokenizer *sp) {
    struct {
        int which;
        const char *unit;
        size_t reps;
        const char *tail;
        size_t count;
        long long sum;
    } cases[] = {
        {0, "a", 100000, "", 12500, 504503226},       {0, "hello world ", 50000, "", 100001, 770886150},
        {0, "\xF0\x9F\x98\x80", 5000, "x", 10001, 711113751}, {0, "\xCE\xA9", 3000, "", 3000, 280627436},
        {1, "a", 100000, "", 12503, 345954323},       {1, "hello world ", 50000, "", 150001, 663772308},
        {1, "\xF0\x9F\x98\x80", 5000, "x", 5002, 516525664},  {1, "\xCE\xA9", 3000, "", 3001, 265748891},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t ul = strlen(cases[c].unit), tl = strlen(cases[c].tail), len = ul * cases[c].reps + tl;
        char *text = malloc(len);
        for (size_t i = 0; i < cases[c].reps; i++) memcpy(text + i * ul, cases[c].unit, ul);
        memcpy(text + ul * cases[c].reps, cases[c].tail, tl);
        int32_t *ids = NULL;
        size_t n = 0, count;
        long long sum;
        CHECK_OK(bn_tokenizer_encode(cases[c].which ? sp : llama, text, len, 0, &ids, &n));
        digest(ids, n, &count, &sum);
        if (count != cases[c].count || sum != cases[c].sum)
            fprintf(stderr, "long case %zu: count %zu sum %lld, want %zu %lld\n", c, count, sum, cases[c].count,
                    cases[c].sum);
        CHECK(count == cases[c].count && sum == cases[c].sum);
        /* and back */
        char *back = NULL;
        size_t blen = 0;
        CHECK_OK(bn_tokenizer_decode(cases[c].which ? sp : llama, ids, n, 0, &back, &blen));
        CHECK(back && blen == len && memcmp(back, text, len) == 0);
        bn_tokenizer_text_free(back);
        bn_tokenizer_ids_free(ids);
        free(text);
    }
}

static void test_errors(bn_tokenizer *llama) {
    static const int32_t bad[] = {15339, 130000};
    char *s = (char *)"untouched";
    CHECK_ERR(bn_tokenizer_decode(llama, bad, 2, 0, &s, NULL), BN_ERR_OUT_OF_RANGE,
              "bn_tokenizer_decode: id 130000 out of range (vocabulary 128256)");
    CHECK(strcmp(s, "untouched") == 0);
    static const int32_t neg[] = {-1};
    CHECK_ERR(bn_tokenizer_decode(llama, neg, 1, 0, &s, NULL), BN_ERR_OUT_OF_RANGE, "id -1 out of range");
    CHECK_ERR(bn_tokenizer_decode(llama, NULL, 1, 0, &s, NULL), BN_ERR_INVALID_ARGUMENT, "ids is NULL");
    CHECK_ERR(bn_tokenizer_decode(llama, bad, 1, 99, &s, NULL), BN_ERR_INVALID_ARGUMENT, "unknown flags");
    expect_decode(llama, NULL, 0, 0, "");
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK_ERR(bn_tokenizer_encode(llama, NULL, 3, 0, &ids, &n), BN_ERR_INVALID_ARGUMENT, "text is NULL");
    CHECK_ERR(bn_tokenizer_encode(llama, "x", 1, 64, &ids, &n), BN_ERR_INVALID_ARGUMENT, "unknown flags");
    CHECK_ERR(bn_tokenizer_encode(NULL, "x", 1, 0, &ids, &n), BN_ERR_INVALID_ARGUMENT, "tok is NULL");

    /* encode_to: fits, does not fit */
    int32_t buf[4] = {-7, -7, -7, -7};
    CHECK_OK(bn_tokenizer_encode_to(llama, "hello world", 11, 0, buf, 4, &n));
    CHECK(n == 2 && buf[0] == 15339 && buf[1] == 1917 && buf[2] == -7);
    buf[0] = -7;
    CHECK_ERR(bn_tokenizer_encode_to(llama, "hello world", 11, 0, buf, 1, &n), BN_ERR_OUT_OF_RANGE, "capacity 1");
    CHECK(n == 2 && buf[0] == -7);

    /* lookups */
    const char *t = NULL;
    size_t tl = 0;
    CHECK_OK(bn_tokenizer_id_to_token(llama, 24748, &t, &tl));
    CHECK(t && tl == 7 && strcmp(t, "\xC4\xA0hello") == 0);
    CHECK_OK(bn_tokenizer_id_to_token(llama, 128009, &t, &tl));
    CHECK(t && strcmp(t, "<|eot_id|>") == 0);
    CHECK_ERR(bn_tokenizer_id_to_token(llama, 128256, &t, &tl), BN_ERR_OUT_OF_RANGE, "id 128256");
    int32_t id = -1;
    CHECK_OK(bn_tokenizer_token_to_id(llama, "<|eot_id|>", 10, &id));
    CHECK(id == 128009);
    CHECK_OK(bn_tokenizer_token_to_id(llama, "\xC4\xA0hello", 7, &id));
    CHECK(id == 24748);
    CHECK_ERR(bn_tokenizer_token_to_id(llama, "no such token!", 14, &id), BN_ERR_OUT_OF_RANGE, "no token");
    CHECK(bn_tokenizer_vocab_size(llama) == 128256);

    /* loading errors */
    bn_tokenizer *tok = NULL;
    CHECK_ERR(bn_tokenizer_load(DATA "/no/such/tokenizer.json", NULL, &tok), BN_ERR_IO, "cannot open");
    static const char broken[] = "{\"model\": {";
    CHECK_ERR(bn_tokenizer_load_from_memory(broken, sizeof broken - 1, NULL, 0, NULL, &tok), BN_ERR_FORMAT,
              "JSON error");
    static const char unigram[] = "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(unigram, sizeof unigram - 1, NULL, 0, NULL, &tok), BN_ERR_NOT_SUPPORTED,
              "model type 'Unigram'");
    static const char nfc[] = "{\"normalizer\": {\"type\": \"NFC\"}, \"model\": {\"type\": \"BPE\", \"vocab\": "
                              "{\"a\": 0}, \"merges\": []}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(nfc, sizeof nfc - 1, NULL, 0, NULL, &tok), BN_ERR_NOT_SUPPORTED,
              "normalizer type 'NFC'");
    static const char meta[] = "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": "
                               "\"Metaspace\"}]}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(meta, sizeof meta - 1, NULL, 0, NULL, &tok), BN_ERR_NOT_SUPPORTED,
              "pre_tokenizer type 'Metaspace'");
    static const char wp[] = "{\"decoder\": {\"type\": \"WordPiece\"}, \"model\": {\"type\": \"BPE\", \"vocab\": "
                             "{\"a\": 0}, \"merges\": []}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(wp, sizeof wp - 1, NULL, 0, NULL, &tok), BN_ERR_NOT_SUPPORTED,
              "decoder type 'WordPiece'");
    static const char badmerge[] = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": "
                                   "[\"a b\"]}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(badmerge, sizeof badmerge - 1, NULL, 0, NULL, &tok), BN_ERR_FORMAT,
              "merge 0 gives 'ab'");
    static const char badre[] = "{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, "
                                "\"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
                                "\"merges\": []}}";
    CHECK_ERR(bn_tokenizer_load_from_memory(badre, sizeof badre - 1, NULL, 0, NULL, &tok), BN_ERR_FORMAT, "bad regex");
    CHECK(tok == NULL);
}

/* A minimal tokenizer from memory: pair merges, unknown characters fused,
 * no decoder (tokens joined by spaces), Split behaviors. */
static void test_small_from_memory(void) {
    static const char json[] =
        "{\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\", \"fuse_unk\": true, "
        "\"vocab\": {\"<unk>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3, \"-\": 4, \"abab\": 5}, "
        "\"merges\": [[\"a\", \"b\"], [\"ab\", \"ab\"]]},"
        "\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"Removed\"}}";
    bn_tokenizer *tok = NULL;
    CHECK_OK(bn_tokenizer_load_from_memory(json, sizeof json - 1, NULL, 0, NULL, &tok));
    if (!tok) return;
    static const int32_t want[] = {5, 1, 0, 2, 3};
    expect_ids(tok, "abab-axyb-ab", 12, 0, want, 5, "small: merges, fused unknown, removed delimiter");
    expect_decode(tok, want, 5, 0, "abab a <unk> b ab");
    bn_tokenizer_free(tok);
    /* Split behaviors, with and without invert (expectations from Hugging Face) */
    static const char *behaviors[5] = {"MergedWithPrevious", "MergedWithNext", "Contiguous", "Isolated", "Removed"};
    static const int32_t want_b[5][2][2][8] = {
        /* {text 1, text 2} for invert false, then true; -1 ends a list */
        {{{3, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}, {{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 4, 2, -1}}},
        {{{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 4, 2, -1}}, {{3, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}},
        {{{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}, {{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}},
        {{{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}, {{0, 2, 0, 1, 2, 2, -1}, {2, 0, 1, 2, 2, 1, 2, -1}}},
        {{{0, 0, 1, -1}, {0, 1, 1, -1}}, {{2, 2, 2, -1}, {2, 2, 2, 2, -1}}},
    };
    static const char *texts[2] = {"a-ab--", "-ab--b-"};
    for (int b = 0; b < 5; b++)
        for (int inv = 0; inv < 2; inv++) {
            char json2[512];
            snprintf(json2, sizeof json2,
                     "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"-\": 2, \"a-\": 3, \"-b\": 4}, "
                     "\"merges\": [\"a -\", \"- b\"]}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
                     "{\"Regex\": \"-\"}, \"invert\": %s, \"behavior\": \"%s\"}}",
                     inv ? "true" : "false", behaviors[b]);
            tok = NULL;
            CHECK_OK(bn_tokenizer_load_from_memory(json2, strlen(json2), NULL, 0, NULL, &tok));
            if (!tok) continue;
            for (int t = 0; t < 2; t++) {
                size_t nw = 0;
                while (want_b[b][inv][t][nw] >= 0) nw++;
                char what[96];
                snprintf(what, sizeof what, "Split %s invert %d on '%s'", behaviors[b], inv, texts[t]);
                expect_ids(tok, texts[t], strlen(texts[t]), 0, want_b[b][inv][t], nw, what);
            }
            bn_tokenizer_free(tok);
        }
}

/* The tiny tokenizers' cases (tests/data/tiny-tokenizers, made with Hugging
 * Face by make_tiny.py): plain ids, the template, special tokens as text,
 * decoded with and without special tokens. */
static void test_tiny(const char *name, int config_adds_eos) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tiny-tokenizers/%s/tokenizer.json", DATA, name);
    bn_tokenizer_options o;
    bn_tokenizer_options_default(&o);
    o.no_config = 1;
    bn_tokenizer *tmpl = NULL, *cfg = NULL;
    CHECK_OK(bn_tokenizer_load(path, &o, &tmpl));
    CHECK_OK(bn_tokenizer_load(path, NULL, &cfg));
    if (!tmpl || !cfg) goto out;
    snprintf(path, sizeof path, "%s/tiny-tokenizers/%s/cases.jsonl", DATA, name);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) goto out;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int count = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_t *o2 = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, NULL);
        if (!o2) continue;
        count++;
        const json_t *text = json_object_get(o2, "text");
        const char *s = json_string_value(text);
        size_t len = json_string_length(text);
        int32_t want[512];
        const char *keys[3] = {"ids", "ids_template", "ids_special_as_text"};
        unsigned flags[3] = {0, BN_TOK_ADD_SPECIAL, BN_TOK_SPECIAL_AS_TEXT};
        for (int k = 0; k < 3; k++) {
            const json_t *arr = json_object_get(o2, keys[k]);
            size_t nw = json_array_size(arr);
            for (size_t i = 0; i < nw && i < 512; i++) want[i] = (int32_t)json_integer_value(json_array_get(arr, i));
            expect_ids(tmpl, s, len, flags[k], want, nw, keys[k]);
            if (k == 1 && config_adds_eos) want[nw++] = bn_tokenizer_eos_id(cfg);
            expect_ids(cfg, s, len, flags[k], want, nw, keys[k]);
        }
        const json_t *arr = json_object_get(o2, "ids");
        size_t nw = json_array_size(arr);
        for (size_t i = 0; i < nw && i < 512; i++) want[i] = (int32_t)json_integer_value(json_array_get(arr, i));
        expect_decode(cfg, want, nw, 0, json_string_value(json_object_get(o2, "decoded")));
        expect_decode(cfg, want, nw, BN_TOK_SKIP_SPECIAL, json_string_value(json_object_get(o2, "decoded_skip")));
        json_decref(o2);
    }
    CHECK(count == 16);
    free(line);
    fclose(f);
out:
    bn_tokenizer_free(tmpl);
    bn_tokenizer_free(cfg);
}

/* Batch results equal sequential ones, on 1 and 2 threads. */
static void test_batch(const bn_tokenizer *tok, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tokenizer-cases/%s.jsonl", DATA, name);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    json_t *texts[400];
    const char *ptr[400];
    size_t lens[400], count = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while (count < 400 && (got = getline(&line, &cap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, NULL);
        if (!o) continue;
        texts[count] = o;
        ptr[count] = json_string_value(json_object_get(o, "text"));
        lens[count] = json_string_length(json_object_get(o, "text"));
        count++;
    }
    free(line);
    fclose(f);
    for (int threads = 1; threads <= 2; threads++) {
        bn_ctx_options co;
        bn_ctx_options_default(&co);
        co.num_threads = threads;
        bn_ctx *ctx = NULL;
        CHECK_OK(bn_ctx_new(&co, &ctx));
        if (!ctx) break;
        int32_t *ids[400];
        size_t n[400];
        CHECK_OK(bn_tokenizer_encode_batch(tok, ctx, count, ptr, lens, BN_TOK_ADD_SPECIAL, ids, n));
        int same = 1;
        for (size_t i = 0; i < count; i++) {
            int32_t *one = NULL;
            size_t n1 = 0;
            CHECK_OK(bn_tokenizer_encode(tok, ptr[i], lens[i], BN_TOK_ADD_SPECIAL, &one, &n1));
            if (n1 != n[i] || (n1 && memcmp(one, ids[i], n1 * sizeof *one) != 0)) same = 0;
            bn_tokenizer_ids_free(one);
            bn_tokenizer_ids_free(ids[i]);
        }
        CHECK(same);
        /* a failing batch writes nothing */
        const char *bad_ptr[3] = {"a", NULL, "b"};
        size_t bad_lens[3] = {1, 5, 1};
        int32_t *bad_ids[3] = {NULL, NULL, NULL};
        CHECK_ERR(bn_tokenizer_encode_batch(tok, ctx, 3, bad_ptr, bad_lens, 0, bad_ids, n), BN_ERR_INVALID_ARGUMENT,
                  "text 1 is NULL");
        CHECK(bad_ids[0] == NULL);
        CHECK_OK(bn_tokenizer_encode_batch(tok, ctx, 0, NULL, NULL, 0, NULL, NULL));
        bn_ctx_free(ctx);
    }
    for (size_t i = 0; i < count; i++) json_decref(texts[i]);
}

int main(void) {
    test_cases("llama3");
    test_cases("sp-bpe-32k");
    bn_tokenizer *llama = load("llama3"), *sp = load("sp-bpe-32k");
    if (llama && sp) {
        test_invalid_utf8(llama, sp);
        test_specials(llama, sp);
        test_bos_eos(llama, sp);
        test_long(llama, sp);
        test_errors(llama);
        test_batch(llama, "llama3");
        test_batch(sp, "sp-bpe-32k");
    }
    bn_tokenizer_free(llama);
    bn_tokenizer_free(sp);
    test_small_from_memory();
    test_tiny("byte-level", 0);
    test_tiny("sp", 1);
    return bt_summary("test_tokenizer");
}
