/* Fuzz target: encoding arbitrary bytes and decoding arbitrary ids with the
 * real tokenizers of tests/data (two tiny ones, Llama 3's byte-level BPE and
 * a 32k SentencePiece-style BPE). The first input byte picks the tokenizer
 * (bits 0-1), the encode flags (bits 2-3) and the mode (bit 4: the rest is
 * ids to decode; else text to encode, whose ids are decoded back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "fuzz_util.h"

#ifndef BITNET_FUZZ_DATA_DIR
#error "BITNET_FUZZ_DATA_DIR must name tests/data"
#endif

static const char *const paths[4] = {
    BITNET_FUZZ_DATA_DIR "/tiny-tokenizers/byte-level/tokenizer.json",
    BITNET_FUZZ_DATA_DIR "/tiny-tokenizers/sp/tokenizer.json",
    BITNET_FUZZ_DATA_DIR "/llama3/tokenizer.json",
    BITNET_FUZZ_DATA_DIR "/sp-bpe-32k/tokenizer.json",
};
static bn_tokenizer *toks[4];

static void free_all(void) {
    for (int i = 0; i < 4; i++) bn_tokenizer_free(toks[i]);
}

static void load_all(void) {
    for (int i = 0; i < 4; i++)
        if (bn_tokenizer_load(paths[i], NULL, &toks[i]) != BN_OK) {
            fprintf(stderr, "fuzz tokenizer_encode: %s: %s\n", paths[i], bn_last_error());
            abort();
        }
    atexit(free_all);
}

static void decode(const bn_tokenizer *tok, const int32_t *ids, size_t n) {
    for (unsigned flags = 0; flags <= BN_TOK_SKIP_SPECIAL; flags += BN_TOK_SKIP_SPECIAL) {
        char *text = NULL;
        size_t len = 0;
        if (bn_tokenizer_decode(tok, ids, n, flags, &text, &len) != BN_OK) continue;
        if (strlen(text) > len) __builtin_trap(); /* NUL-terminated at len (ids may decode to NUL bytes) */
        bn_tokenizer_text_free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!toks[0]) load_all();
    if (size < 1) return 0;
    const bn_tokenizer *tok = toks[data[0] & 3];
    unsigned flags = (data[0] >> 2) & 3;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 16) {
        size_t n = len / 4;
        int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
        if (!ids) return 0;
        int32_t vs = bn_tokenizer_vocab_size(tok);
        for (size_t i = 0; i < n; i++) {
            uint32_t r;
            memcpy(&r, text + 4 * i, 4);
            /* mostly ids in range, sometimes one past the end or raw */
            ids[i] = (data[0] & 32) ? (int32_t)r : (int32_t)(r % (uint32_t)(vs + 1));
        }
        decode(tok, ids, n);
        free(ids);
        return 0;
    }
    int32_t *ids = NULL;
    size_t n = 0;
    if (bn_tokenizer_encode(tok, text, len, flags, &ids, &n) != BN_OK) return 0;
    int32_t small[4];
    size_t n2 = 0;
    bn_status s = bn_tokenizer_encode_to(tok, text, len, flags, small, 4, &n2);
    if (n2 != n || (s == BN_OK) != (n <= 4)) __builtin_trap(); /* encode_to agrees with encode */
    decode(tok, ids, n);
    bn_tokenizer_ids_free(ids);
    return 0;
}
