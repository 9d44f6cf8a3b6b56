/* Fuzz target: bn_model_load on a GGUF file holding the input (written to a
 * temporary file, since the loader takes a path), then, when it loads, a
 * forward pass over two tokens and one sampling step. */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_load_and_run_model(fz_write_file(0, "model.gguf", data, size), 1);
    return 0;
}
