/* Fuzz target: bn_tokenizer_load on a tokenizer.json holding the input up
 * to its first NUL byte; what follows the NUL (when there is one) is the
 * tokenizer_config.json beside it. A tokenizer that loads encodes and
 * decodes a fixed text with every flag, then the first 256 bytes of the
 * input itself (text the fuzzer controls, for the tokenizer's own regexes),
 * and every id is looked up. */
#include <string.h>

#include "bitnet/bitnet.h"
#include "fuzz_util.h"

static const char text[] = "Hello, world! <s> naïve 日本語 🙂 \xff <|begin_of_text|> 123  \n\tend</s>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t jlen = nul ? (size_t)(nul - data) : size;
    const char *path = fz_write_file(0, "tokenizer.json", data, jlen);
    if (nul) fz_write_file(1, "tokenizer_config.json", nul + 1, size - jlen - 1);
    else fz_write_file(1, "tokenizer_config.json", "{}", 2);
    bn_tokenizer *tok = NULL;
    if (bn_tokenizer_load(path, NULL, &tok) != BN_OK) return 0;
    for (unsigned flags = 0; flags < 4; flags++) {
        int32_t *ids = NULL;
        size_t n = 0;
        if (bn_tokenizer_encode(tok, text, sizeof text - 1, flags, &ids, &n) != BN_OK) continue;
        char *out = NULL;
        size_t olen = 0;
        if (bn_tokenizer_decode(tok, ids, n, flags & 1 ? BN_TOK_SKIP_SPECIAL : 0, &out, &olen) == BN_OK)
            bn_tokenizer_text_free(out);
        bn_tokenizer_ids_free(ids);
    }
    int32_t *ids = NULL;
    size_t n = 0;
    if (bn_tokenizer_encode(tok, (const char *)data, jlen < 256 ? jlen : 256, 0, &ids, &n) == BN_OK)
        bn_tokenizer_ids_free(ids);
    int32_t vs = bn_tokenizer_vocab_size(tok);
    for (int32_t id = -1; id <= vs && id < 70000; id++) {
        const char *t;
        size_t tl;
        if (bn_tokenizer_id_to_token(tok, id, &t, &tl) == BN_OK) {
            int32_t back;
            (void)bn_tokenizer_token_to_id(tok, t, tl, &back);
            (void)bn_tokenizer_is_special(tok, id);
        }
    }
    (void)bn_tokenizer_bos_id(tok);
    (void)bn_tokenizer_eos_id(tok);
    (void)bn_tokenizer_pad_id(tok);
    bn_tokenizer_free(tok);
    return 0;
}
