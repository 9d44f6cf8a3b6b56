/* Fuzz target: the config.json reader of Hugging Face BitNet checkpoints
 * (bn_bitnet_config_load, src/io/json_config.c) on a file holding the
 * input. */
#include "bitnet/bitnet.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_write_file(0, "config.json", data, size);
    bn_bitnet_config c;
    if (bn_bitnet_config_load(path, &c) != BN_OK) return 0;
    /* what the loader relies on */
    if (c.vocab_size < 1 || c.hidden_size < 1 || c.num_attention_heads < 1 || c.num_key_value_heads < 1 ||
        c.num_attention_heads % c.num_key_value_heads != 0 || c.head_dim % 2 != 0 || c.n_eos < 0 || c.n_eos > 8)
        __builtin_trap();
    return 0;
}
