/* Out-of-memory walks over the tokenizer: make the 1st, 2nd, ... allocation
 * fail during loading, encoding (single and batch) and decoding of the two
 * tiny tokenizers. Every failure must be BN_ERR_OUT_OF_MEMORY, leave the
 * outputs untouched and leak nothing (run under ASan/LSan to see leaks);
 * every success must give the right result. */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define DATA BITNET_TEST_DATA_DIR "/tiny-tokenizers/"

static const char *const texts[] = {
    "hello world <|bos|> a [SEP] b word words\n",
    "naïve café 日本語 🙂 \xff\xfe the cat sat on the mat.<s>x</s>",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* Reference ids with no injection. */
static void reference(const bn_tokenizer *tok, unsigned flags, int32_t **ids, size_t *n) {
    for (size_t i = 0; i < NTEXTS; i++) CHECK_OK(bn_tokenizer_encode(tok, texts[i], strlen(texts[i]), flags, &ids[i], &n[i]));
}

static int same(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void walk_load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, DATA "%s/tokenizer.json", name);
    int ooms = 0, bad = 0;
    for (long n = 1;; n++) {
        bn_tokenizer *tok = NULL;
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_tokenizer_load(path, NULL, &tok);
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (st == BN_ERR_OUT_OF_MEMORY) {
            ooms++;
            if (tok != NULL) bad++;
        } else if (st != BN_OK) {
            fprintf(stderr, "load %s, failing allocation %ld: %s: %s\n", name, n, bn_status_str(st), bn_last_error());
            bad++;
        }
        bn_tokenizer_free(tok);
        if (st == BN_OK && used < n) break; /* the failure never fired: every allocation was covered */
        if (n > 100000) {
            bad++;
            break;
        }
    }
    printf("load %s: %d injected failures, all out of memory\n", name, ooms);
    CHECK(ooms > 10);
    CHECK(bad == 0);
}

static void walk_encode(const char *name, unsigned flags) {
    char path[512];
    snprintf(path, sizeof path, DATA "%s/tokenizer.json", name);
    bn_tokenizer *ref = NULL;
    CHECK_OK(bn_tokenizer_load(path, NULL, &ref));
    if (!ref) return;
    int32_t *want[NTEXTS];
    size_t nwant[NTEXTS];
    reference(ref, flags, want, nwant);
    int ooms = 0, bad = 0;
    for (long n = 1;; n++) {
        /* a fresh tokenizer each time, so its scratch is allocated anew */
        bn_tokenizer *tok = NULL;
        CHECK_OK(bn_tokenizer_load(path, NULL, &tok));
        if (!tok) break;
        bn_debug_fail_nth_alloc(n);
        int fired = 0;
        for (size_t i = 0; i < NTEXTS; i++) {
            int32_t *ids = (int32_t *)&fired; /* must stay untouched on failure */
            size_t k = 12345;
            bn_status st = bn_tokenizer_encode(tok, texts[i], strlen(texts[i]), flags, &ids, &k);
            if (st == BN_ERR_OUT_OF_MEMORY) {
                fired = 1;
                if (ids != (int32_t *)&fired || k != 12345) bad++;
            } else if (st != BN_OK || !same(ids, k, want[i], nwant[i])) {
                fprintf(stderr, "encode %s text %zu, failing allocation %ld: %s\n", name, i, n, bn_last_error());
                bad++;
            }
            if (st == BN_OK) bn_tokenizer_ids_free(ids);
            /* decode what the reference gave */
            char *text = NULL;
            st = bn_tokenizer_decode(tok, want[i], nwant[i], 0, &text, NULL);
            if (st == BN_ERR_OUT_OF_MEMORY) {
                fired = 1;
                if (text != NULL) bad++;
            } else if (st != BN_OK) {
                bad++;
            }
            bn_tokenizer_text_free(text);
        }
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        ooms += fired;
        bn_tokenizer_free(tok);
        if (!fired && used < n) break;
        if (n > 100000) {
            bad++;
            break;
        }
    }
    printf("encode/decode %s (flags %u): %d injected failures, all out of memory\n", name, flags, ooms);
    CHECK(ooms > 5);
    CHECK(bad == 0);
    for (size_t i = 0; i < NTEXTS; i++) bn_tokenizer_ids_free(want[i]);
    bn_tokenizer_free(ref);
}

static void walk_batch(const char *name) {
    char path[512];
    snprintf(path, sizeof path, DATA "%s/tokenizer.json", name);
    bn_tokenizer *ref = NULL;
    CHECK_OK(bn_tokenizer_load(path, NULL, &ref));
    bn_ctx_options co;
    bn_ctx_options_default(&co);
    co.num_threads = 2;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&co, &ctx));
    if (!ref || !ctx) {
        bn_tokenizer_free(ref);
        bn_ctx_free(ctx);
        return;
    }
    int32_t *want[NTEXTS];
    size_t nwant[NTEXTS], lens[NTEXTS];
    reference(ref, 0, want, nwant);
    for (size_t i = 0; i < NTEXTS; i++) lens[i] = strlen(texts[i]);
    int ooms = 0, bad = 0;
    for (long n = 1;; n++) {
        bn_tokenizer *tok = NULL;
        CHECK_OK(bn_tokenizer_load(path, NULL, &tok));
        if (!tok) break;
        int32_t *ids[NTEXTS] = {NULL};
        size_t k[NTEXTS] = {0};
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_tokenizer_encode_batch(tok, ctx, NTEXTS, texts, lens, 0, ids, k);
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (st == BN_ERR_OUT_OF_MEMORY) {
            ooms++;
            for (size_t i = 0; i < NTEXTS; i++)
                if (ids[i] != NULL) bad++;
        } else if (st != BN_OK) {
            bad++;
        } else {
            for (size_t i = 0; i < NTEXTS; i++) {
                if (!same(ids[i], k[i], want[i], nwant[i])) bad++;
                bn_tokenizer_ids_free(ids[i]);
            }
        }
        bn_tokenizer_free(tok);
        if (st == BN_OK && used < n) break;
        if (n > 100000) {
            bad++;
            break;
        }
    }
    printf("batch %s: %d injected failures, all out of memory\n", name, ooms);
    CHECK(ooms > 5);
    CHECK(bad == 0);
    for (size_t i = 0; i < NTEXTS; i++) bn_tokenizer_ids_free(want[i]);
    bn_tokenizer_free(ref);
    bn_ctx_free(ctx);
}

int main(void) {
    const char *names[2] = {"byte-level", "sp"};
    for (int i = 0; i < 2; i++) {
        walk_load(names[i]);
        walk_encode(names[i], 0);
        walk_encode(names[i], BN_TOK_ADD_SPECIAL | BN_TOK_SPECIAL_AS_TEXT);
        walk_batch(names[i]);
    }
    return bt_summary("test_tokenizer_oom");
}
