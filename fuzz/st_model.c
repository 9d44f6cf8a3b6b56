/* Fuzz target: bn_model_load on a Hugging Face directory: the input up to
 * its first NUL byte is config.json, the rest model.safetensors (master or
 * packed weights). When it loads: a forward pass over two tokens. */
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul) return 0;
    size_t clen = (size_t)(nul - data);
    fz_write_file(0, "config.json", data, clen);
    fz_write_file(1, "model.safetensors", nul + 1, size - clen - 1);
    fz_load_and_run_model(fz_tmpdir(), 0);
    return 0;
}
