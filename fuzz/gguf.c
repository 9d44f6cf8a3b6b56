/* Fuzz target: the GGUF reader on arbitrary bytes (bn_gguf_open_memory),
 * then every key/value (scalars, strings, each array element, raw array
 * data), the typed getters, every tensor info and all of its data bytes. */
#include <string.h>

#include "bitnet/bitnet.h"
#include "fuzz_util.h"

static volatile unsigned g_sink;

static void touch(const void *p, size_t n) {
    const unsigned char *b = p;
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += b[i];
    g_sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bn_gguf *g = NULL;
    if (bn_gguf_open_memory(data, size, "fuzz.gguf", &g) != BN_OK) return 0;
    (void)bn_gguf_version(g);
    (void)bn_gguf_alignment(g);
    (void)bn_gguf_data_offset(g);
    int64_t nkv = bn_gguf_kv_count(g);
    for (int64_t i = 0; i < nkv; i++) {
        const char *key = bn_gguf_kv_key(g, i);
        if (!key) continue;
        touch(key, strlen(key));
        (void)bn_gguf_find_kv(g, key);
        bn_gguf_value v;
        if (bn_gguf_kv_value(g, i, &v) != BN_OK) continue;
        if (v.type == BN_GGUF_TYPE_STRING && v.len) touch(v.str, (size_t)v.len);
        if (v.type == BN_GGUF_TYPE_ARRAY) {
            uint64_t n = v.len < 4096 ? v.len : 4096;
            for (uint64_t j = 0; j < n; j++) {
                bn_gguf_value e;
                if (bn_gguf_array_get(g, i, j, &e) == BN_OK && e.type == BN_GGUF_TYPE_STRING && e.len)
                    touch(e.str, (size_t)e.len);
            }
            bn_gguf_value e;
            (void)bn_gguf_array_get(g, i, v.len, &e); /* one past the end */
            const void *raw = NULL;
            uint64_t count = 0;
            (void)bn_gguf_array_data(g, i, &raw, &count);
        }
        int64_t iv;
        double dv;
        const char *s;
        size_t sl;
        (void)bn_gguf_get_i64(g, key, &iv);
        (void)bn_gguf_get_f64(g, key, &dv);
        if (bn_gguf_get_str(g, key, &s, &sl) == BN_OK && sl) touch(s, sl);
    }
    (void)bn_gguf_kv_key(g, nkv);
    int64_t nt = bn_gguf_tensor_count(g);
    for (int64_t i = 0; i < nt; i++) {
        bn_gguf_tensor_info t;
        if (bn_gguf_tensor_get_info(g, i, &t) != BN_OK) continue;
        touch(t.name, strlen(t.name));
        (void)bn_gguf_find_tensor(g, t.name);
        (void)bn_gguf_tensor_type_name(t.type);
        size_t nb = 0;
        if (bn_gguf_tensor_nbytes(t.type, t.ndim, t.dims, &nb) == BN_OK && nb != t.nbytes) __builtin_trap();
        touch(t.data, t.nbytes);
    }
    bn_gguf_tensor_info t;
    (void)bn_gguf_tensor_get_info(g, nt, &t);
    bn_gguf_free(g);
    return 0;
}
