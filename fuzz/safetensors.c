/* Fuzz target: bn_safetensors_open on a file holding the input (the header
 * length, the JSON header, dtypes, shapes and data_offsets), then every
 * tensor by index and by name, all of its bytes, its f32 conversion and
 * the metadata lookup. */
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "fuzz_util.h"

static volatile unsigned g_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_write_file(0, "model.safetensors", data, size);
    bn_safetensors *st = NULL;
    if (bn_safetensors_open(path, &st) != BN_OK) return 0;
    (void)bn_safetensors_metadata(st, "format");
    size_t n = bn_safetensors_count(st);
    for (size_t i = 0; i <= n; i++) {
        bn_st_tensor t;
        if (bn_safetensors_get(st, i, &t) != BN_OK) continue;
        bn_st_tensor u;
        if (bn_safetensors_find(st, t.name, &u) != BN_OK || !bn_safetensors_has(st, t.name)) __builtin_trap();
        (void)bn_safetensors_dtype_name(t.dtype);
        const unsigned char *b = t.data;
        unsigned s = 0;
        for (size_t k = 0; k < t.nbytes; k++) s += b[k];
        g_sink += s;
        if (t.numel > 0 && t.numel <= (1 << 20)) {
            float *f = malloc((size_t)t.numel * sizeof(float));
            if (f) (void)bn_st_tensor_to_f32(&t, f, (size_t)t.numel);
            free(f);
        }
    }
    bn_safetensors_close(st);
    return 0;
}
