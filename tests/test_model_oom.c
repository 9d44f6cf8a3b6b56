/* Out-of-memory walks over model loading and generation: for N = 1, 2, ...
 * until a run sees no injected failure, make the N-th allocation fail
 * (bn_debug_fail_nth_alloc) while loading the tiny model (master f32
 * weights ternarized at load, packed weights, the GGUF file), while loading
 * a tokenizer, and while generating. Every failure must be
 * BN_ERR_OUT_OF_MEMORY with the output untouched, the context's pool must
 * hold no more blocks than before (LeakSanitizer checks the rest under the
 * CI's ASan job), and a retry without injection must load a model whose
 * logits / generated tokens equal the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define MODELS BITNET_TEST_DATA_DIR "/models/"

static const int32_t prompt[] = {1, 628 % 512, 89, 27, 503, 166};
#define NPROMPT ((int64_t)(sizeof prompt / sizeof prompt[0]))
#define NGEN 6

static size_t live_blocks(bn_ctx *ctx) {
    bn_pool_stats s;
    memset(&s, 0, sizeof s);
    bn_pool_get_stats(bn_ctx_pool(ctx), &s);
    return s.live_blocks;
}

/* Logits of the last prompt token and a greedy continuation. */
static int run(bn_model *m, float *logits, int32_t *gen, int64_t *ngen) {
    bn_model_reset(m);
    if (bn_model_forward(m, prompt, NPROMPT, logits, 0) != BN_OK) return 0;
    return bn_model_generate(m, prompt, NPROMPT, NGEN, NULL, NULL, NULL, gen, ngen) == BN_OK;
}

static int same_run(bn_model *m, const float *want_logits, const int32_t *want_gen, int64_t want_n) {
    int64_t V = bn_model_vocab_size(m), n = 0;
    float *logits = malloc((size_t)V * sizeof(float));
    int32_t gen[NGEN];
    int ok = logits && run(m, logits, gen, &n) && n == want_n && memcmp(gen, want_gen, (size_t)n * sizeof *gen) == 0 &&
             memcmp(logits, want_logits, (size_t)V * sizeof(float)) == 0;
    free(logits);
    return ok;
}

static void walk_load(bn_ctx *ctx, const char *path) {
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 32;
    bn_model *ref = NULL;
    CHECK_OK(bn_model_load(ctx, path, &o, &ref));
    if (!ref) return;
    int64_t V = bn_model_vocab_size(ref), want_n = 0;
    float *want = malloc((size_t)V * sizeof(float));
    int32_t want_gen[NGEN];
    CHECK(want && run(ref, want, want_gen, &want_n));
    bn_model_free(ref);
    size_t base = live_blocks(ctx);
    int ooms = 0, bad = 0;
    long n;
    for (n = 1;; n++) {
        bn_model *m = (bn_model *)&ooms; /* must stay untouched on failure */
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_model_load(ctx, path, &o, &m);
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (st == BN_ERR_OUT_OF_MEMORY) {
            ooms++;
            if (m != (bn_model *)&ooms) bad++;
            if (live_blocks(ctx) != base) {
                fprintf(stderr, "load %s, failing allocation %ld: %zu pool blocks left behind\n", path, n,
                        live_blocks(ctx) - base);
                bad++;
            }
            /* the retry works and computes the same */
            bn_model *r = NULL;
            if (bn_model_load(ctx, path, &o, &r) != BN_OK || !same_run(r, want, want_gen, want_n)) {
                fprintf(stderr, "load %s: retry after failing allocation %ld differs\n", path, n);
                bad++;
            }
            bn_model_free(r);
        } else if (st != BN_OK) {
            fprintf(stderr, "load %s, failing allocation %ld: %s: %s\n", path, n, bn_status_str(st), bn_last_error());
            bad++;
        } else {
            if (!same_run(m, want, want_gen, want_n)) {
                fprintf(stderr, "load %s, allocation %ld: a model that loaded computes differently\n", path, n);
                bad++;
            }
            bn_model_free(m);
        }
        if (st == BN_OK && used < n) break; /* every allocation of the load has failed once */
        if (n > 20000) {
            bad++;
            break;
        }
    }
    printf("load %s: %ld allocations, %d injected failures, all out of memory, retries equal\n", path, n - 1, ooms);
    CHECK(ooms > 10);
    CHECK(bad == 0);
    CHECK(live_blocks(ctx) == base);
    free(want);
}

/* Generation runs out of buffers sized at load: a failure anywhere in it
 * must still be out of memory and leave the model usable. */
static void walk_generate(bn_ctx *ctx, const char *path) {
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 32;
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(ctx, path, &o, &m));
    if (!m) return;
    int64_t V = bn_model_vocab_size(m), want_n = 0;
    float *want = malloc((size_t)V * sizeof(float));
    int32_t want_gen[NGEN];
    CHECK(want && run(m, want, want_gen, &want_n));
    size_t base = live_blocks(ctx);
    bn_sampler_params p;
    bn_sampler_params_default(&p);
    p.temperature = 0.7f;
    p.top_k = 20;
    p.top_p = 0.9f;
    p.repetition_penalty = 1.1f;
    int ooms = 0, bad = 0;
    long n;
    for (n = 1;; n++) {
        int32_t gen[NGEN];
        int64_t k = -1;
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_model_generate(m, prompt, NPROMPT, NGEN, (n & 1) ? &p : NULL, NULL, NULL, gen, &k);
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (st == BN_ERR_OUT_OF_MEMORY) ooms++;
        else if (st != BN_OK) bad++;
        if (live_blocks(ctx) != base) bad++;
        if (!same_run(m, want, want_gen, want_n)) bad++;
        if (st == BN_OK && used < n) break;
        if (n > 20000) {
            bad++;
            break;
        }
    }
    printf("generate %s: %ld allocations, %d injected failures, model usable after each\n", path, n - 1, ooms);
    CHECK(bad == 0);
    bn_model_free(m);
    free(want);
}

/* Tokenizer loading: every failure is out of memory, and the retry loads a
 * tokenizer that encodes as the reference. */
static void walk_tokenizer(const char *path) {
    static const char text[] = "hello world <|bos|> naïve café 🙂";
    bn_tokenizer *ref = NULL;
    CHECK_OK(bn_tokenizer_load(path, NULL, &ref));
    if (!ref) return;
    int32_t *want = NULL;
    size_t nwant = 0;
    CHECK_OK(bn_tokenizer_encode(ref, text, sizeof text - 1, BN_TOK_ADD_SPECIAL, &want, &nwant));
    bn_tokenizer_free(ref);
    int ooms = 0, bad = 0;
    long n;
    for (n = 1;; n++) {
        bn_tokenizer *tok = NULL;
        bn_debug_fail_nth_alloc(n);
        bn_status st = bn_tokenizer_load(path, NULL, &tok);
        long used = bn_debug_alloc_count();
        bn_debug_fail_nth_alloc(0);
        if (st == BN_ERR_OUT_OF_MEMORY) {
            ooms++;
            if (tok) bad++;
            if (bn_tokenizer_load(path, NULL, &tok) != BN_OK) bad++;
        } else if (st != BN_OK) {
            fprintf(stderr, "tokenizer %s, failing allocation %ld: %s: %s\n", path, n, bn_status_str(st), bn_last_error());
            bad++;
        }
        int32_t *ids = NULL;
        size_t k = 0;
        if (tok && (bn_tokenizer_encode(tok, text, sizeof text - 1, BN_TOK_ADD_SPECIAL, &ids, &k) != BN_OK || k != nwant ||
                    memcmp(ids, want, k * sizeof *ids) != 0)) {
            fprintf(stderr, "tokenizer %s, failing allocation %ld: the tokenizer encodes differently\n", path, n);
            bad++;
        }
        bn_tokenizer_ids_free(ids);
        bn_tokenizer_free(tok);
        if (st == BN_OK && used < n) break;
        if (n > 100000) {
            bad++;
            break;
        }
    }
    printf("tokenizer %s: %ld allocations, %d injected failures, retries equal\n", path, n - 1, ooms);
    CHECK(ooms > 10);
    CHECK(bad == 0);
    bn_tokenizer_ids_free(want);
}

int main(void) {
    bn_ctx_options co;
    bn_ctx_options_default(&co);
    co.num_threads = 2;
    bn_ctx *ctx = NULL;
    CHECK_OK(bn_ctx_new(&co, &ctx));
    if (!ctx) return bt_summary("test_model_oom");
    walk_load(ctx, MODELS "bitnet-tiny/packed");
    walk_load(ctx, MODELS "bitnet-tiny/master");
    walk_load(ctx, MODELS "gguf/bitnet-tiny-packed-i2_s.gguf");
    walk_generate(ctx, MODELS "bitnet-tiny/packed");
    walk_generate(ctx, MODELS "gguf/bitnet-tiny-packed-i2_s.gguf");
    walk_tokenizer(BITNET_TEST_DATA_DIR "/tiny-tokenizers/byte-level/tokenizer.json");
    walk_tokenizer(BITNET_TEST_DATA_DIR "/tiny-tokenizers/sp/tokenizer.json");
    bn_ctx_free(ctx);
    return bt_summary("test_model_oom");
}
