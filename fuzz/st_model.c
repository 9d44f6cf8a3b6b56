/* Fuzz target: bn_model_load on a Hugging Face directory: the input up to
 * its first NUL byte is config.json, the rest model.safetensors (master or
 * packed weights). When it loads: a forward pass over two tokens. */
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bn_ctx *ctx;
    if (!ctx) {
        fz_init_env();
        bn_ctx_options co;
        bn_ctx_options_default(&co);
        co.num_threads = 1;
        if (bn_ctx_new(&co, &ctx) != BN_OK) abort();
    }
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul) return 0;
    size_t clen = (size_t)(nul - data);
    fz_write_file(0, "config.json", data, clen);
    fz_write_file(1, "model.safetensors", nul + 1, size - clen - 1);
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 8;
    bn_model *m = NULL;
    if (bn_model_load(ctx, fz_tmpdir(), &o, &m) != BN_OK) return 0;
    int64_t V = bn_model_vocab_size(m);
    float *logits = malloc((size_t)V * sizeof(float));
    int32_t toks[2] = {0, (int32_t)(V - 1)};
    if (logits) (void)bn_model_forward(m, toks, 2, logits, 0);
    free(logits);
    bn_model_free(m);
    return 0;
}
