/* Fuzz target: bn_model_load on a GGUF file holding the input (written to a
 * temporary file, since the loader takes a path), then, when it loads, a
 * forward pass over two tokens and one sampling step. */
#include <stdlib.h>

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
    const char *path = fz_write_file(0, "model.gguf", data, size);
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 8;
    bn_model *m = NULL;
    if (bn_model_load(ctx, path, &o, &m) != BN_OK) return 0;
    int64_t V = bn_model_vocab_size(m);
    float *logits = malloc((size_t)V * sizeof(float));
    int32_t toks[2] = {0, (int32_t)(V - 1)};
    if (logits && bn_model_forward(m, toks, 2, logits, 0) == BN_OK) {
        bn_sampler_params p;
        bn_sampler_params_default(&p);
        int32_t next = 0;
        (void)bn_model_sample(m, logits, toks, 2, &p, &next);
    }
    free(logits);
    bn_model_free(m);
    return 0;
}
