/* Concurrency: one tokenizer and one context shared by 4 threads running
 * independent requests (encode a prompt, generate greedily, decode) give
 * exactly what the same requests give one after another. A bn_model holds
 * its KV cache and buffers, so it is not thread-safe (model.h): each thread
 * has its own, loaded from the same files, and they share the context's
 * thread pool. Part of the CI's TSan step. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define NTHREADS 4
#define NREQ 16
#define NGEN 8
#define MODEL BITNET_TEST_DATA_DIR "/models/bitnet-tiny/packed"
#define TOKENIZER BITNET_TEST_DATA_DIR "/tiny-tokenizers/byte-level/tokenizer.json"

static const char *const prompts[NREQ] = {
    "hello world",  "the cat sat on the mat", "naïve café",   "a b c d e f g",  "words words words",
    "12345 67890",  "🙂 smile",               "<|bos|> again", "x",              "long long long long long prompt here",
    "tabs\tand\nnewlines", "QUESTION?",       "emoji 🙂🙂",    "one more",       "zzz",
    "last request",
};

typedef struct result {
    int32_t ids[NGEN];
    int64_t n;
    char *text;
    bn_status st;
} result;

static bn_ctx *g_ctx;
static bn_tokenizer *g_tok;
static result g_seq[NREQ], g_par[NREQ];

static bn_status request(bn_model *m, int i, result *r) {
    int32_t *ids = NULL;
    size_t n = 0;
    bn_status st = bn_tokenizer_encode(g_tok, prompts[i], strlen(prompts[i]), BN_TOK_ADD_SPECIAL, &ids, &n);
    if (st != BN_OK) return st;
    if (n == 0) {
        bn_tokenizer_ids_free(ids);
        return BN_ERR_INVALID_ARGUMENT;
    }
    st = bn_model_generate(m, ids, (int64_t)n, NGEN, NULL, NULL, NULL, r->ids, &r->n);
    bn_tokenizer_ids_free(ids);
    if (st == BN_OK) st = bn_tokenizer_decode(g_tok, r->ids, (size_t)r->n, BN_TOK_SKIP_SPECIAL, &r->text, NULL);
    return st;
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 64;
    bn_model *m = NULL;
    if (bn_model_load(g_ctx, MODEL, &o, &m) != BN_OK) {
        for (int i = t; i < NREQ; i += NTHREADS) g_par[i].st = BN_ERR_IO;
        return NULL;
    }
    for (int round = 0; round < 3; round++)
        for (int i = t; i < NREQ; i += NTHREADS) {
            result r;
            memset(&r, 0, sizeof r);
            r.st = request(m, i, &r);
            if (round == 0) {
                g_par[i] = r;
            } else {
                /* the same request again on this thread's model: the same answer */
                if (r.st != g_par[i].st || r.n != g_par[i].n || memcmp(r.ids, g_par[i].ids, sizeof r.ids) != 0 ||
                    (r.text && g_par[i].text && strcmp(r.text, g_par[i].text) != 0))
                    g_par[i].st = BN_ERR_INVALID_ARGUMENT;
                bn_tokenizer_text_free(r.text);
            }
        }
    bn_model_free(m);
    return NULL;
}

int main(void) {
    bn_ctx_options co;
    bn_ctx_options_default(&co);
    co.num_threads = 2;
    CHECK_OK(bn_ctx_new(&co, &g_ctx));
    CHECK_OK(bn_tokenizer_load(TOKENIZER, NULL, &g_tok));
    if (!g_ctx || !g_tok) return bt_summary("test_shared_threads");
    /* one after another, one model */
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 64;
    bn_model *m = NULL;
    CHECK_OK(bn_model_load(g_ctx, MODEL, &o, &m));
    if (!m) return bt_summary("test_shared_threads");
    for (int i = 0; i < NREQ; i++) {
        g_seq[i].st = request(m, i, &g_seq[i]);
        CHECK(g_seq[i].st == BN_OK);
        CHECK(g_seq[i].n > 0);
    }
    bn_model_free(m);
    /* 4 threads at once */
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    int same = 0;
    for (int i = 0; i < NREQ; i++) {
        int ok = g_par[i].st == BN_OK && g_par[i].n == g_seq[i].n &&
                 memcmp(g_par[i].ids, g_seq[i].ids, (size_t)g_seq[i].n * sizeof(int32_t)) == 0 && g_par[i].text &&
                 g_seq[i].text && strcmp(g_par[i].text, g_seq[i].text) == 0;
        if (!ok) fprintf(stderr, "request %d (\"%s\"): threads gave a different result (%s)\n", i, prompts[i], bn_status_str(g_par[i].st));
        same += ok;
        bn_tokenizer_text_free(g_seq[i].text);
        bn_tokenizer_text_free(g_par[i].text);
    }
    printf("%d of %d requests on %d threads equal the sequential run\n", same, NREQ, NTHREADS);
    CHECK(same == NREQ);
    bn_tokenizer_free(g_tok);
    bn_ctx_free(g_ctx);
    return bt_summary("test_shared_threads");
}
