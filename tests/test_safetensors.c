/* safetensors reader and config.json: good files, and every kind of bad
 * file giving a clear BN_ERR_FORMAT (written here into a temp dir). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/io.h"
#include "test_util.h"

static char tmpdir[256];

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

/* header text + data bytes; hlen_override >= 0 replaces the length field. */
static void write_st(const char *name, const char *header, const void *data, size_t dlen, long long hlen_override) {
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    uint64_t hl = hlen_override >= 0 ? (uint64_t)hlen_override : strlen(header);
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hl >> (8 * i));
    fwrite(b, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (dlen) fwrite(data, 1, dlen, f);
    fclose(f);
}

static bn_status open_name(const char *name, bn_safetensors **st) {
    char p[512];
    path_of(p, sizeof p, name);
    return bn_safetensors_open(p, st);
}

static void test_good(void) {
    float vals[6] = {1, 2, 3, 4, 5, 6};
    unsigned char data[24 + 4];
    memcpy(data, vals, 24);
    uint16_t bf[2] = {0x3f80, 0xc000}; /* 1.0, -2.0 */
    memcpy(data + 24, bf, 4);
    write_st("good.safetensors",
             "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[24,28]},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
             data, sizeof data, -1);
    bn_safetensors *st = NULL;
    CHECK_OK(open_name("good.safetensors", &st));
    if (!st) return;
    CHECK(bn_safetensors_count(st) == 2);
    bn_st_tensor t;
    CHECK_OK(bn_safetensors_find(st, "a", &t));
    CHECK(t.dtype == BN_DTYPE_F32 && t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3 && t.numel == 6);
    CHECK(memcmp(t.data, vals, 24) == 0);
    CHECK_OK(bn_safetensors_find(st, "b", &t));
    float f[2];
    CHECK_OK(bn_st_tensor_to_f32(&t, f, 2));
    CHECK(f[0] == 1.0f && f[1] == -2.0f);
    CHECK_ERR(bn_st_tensor_to_f32(&t, f, 3), BN_ERR_SHAPE, "'b'");
    CHECK_ERR(bn_safetensors_find(st, "zz", &t), BN_ERR_OUT_OF_RANGE, "'zz'");
    CHECK(bn_safetensors_has(st, "a") && !bn_safetensors_has(st, "c"));
    CHECK(bn_safetensors_metadata(st, "format") && strcmp(bn_safetensors_metadata(st, "format"), "pt") == 0);
    CHECK_OK(bn_safetensors_get(st, 0, &t));
    CHECK(strcmp(t.name, "a") == 0);
    bn_safetensors_close(st);
}

static void expect_bad(const char *header, size_t dlen, long long hlen, bn_status want, const char *needle) {
    static int n = 0;
    char name[64];
    snprintf(name, sizeof name, "bad%d.safetensors", n++);
    unsigned char data[64] = {0};
    write_st(name, header, data, dlen, hlen);
    bn_safetensors *st = NULL;
    CHECK_ERR(open_name(name, &st), want, needle);
    CHECK(st == NULL);
    CHECK(strstr(bn_last_error(), name) != NULL); /* names the file */
}

static void test_bad(void) {
    const char *ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    /* truncated / wrong header lengths */
    expect_bad(ok, 8, 1000, BN_ERR_FORMAT, "past the end");
    expect_bad(ok, 8, (long long)0x7fffffffffffffffLL, BN_ERR_FORMAT, "past the end");
    expect_bad(ok, 8, 10, BN_ERR_FORMAT, "header JSON");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, -1, BN_ERR_FORMAT, "header JSON");
    expect_bad("[1,2]", 0, -1, BN_ERR_FORMAT, "not a JSON object");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, -1, BN_ERR_FORMAT, "end of file expected");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,NaN]}}", 8, -1, BN_ERR_FORMAT, "header JSON");
    /* offsets outside the file (truncated data) */
    expect_bad(ok, 4, -1, BN_ERR_FORMAT, "outside the data area");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", 8, -1,
               BN_ERR_FORMAT, "too big integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, -1, BN_ERR_FORMAT, "end before begin");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", 8, -1, BN_ERR_FORMAT, "data_offsets[0]");
    /* wrong dtype sizes */
    expect_bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, BN_ERR_FORMAT, "F16 x 2 elements need 4");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[0,8]}}", 12, -1, BN_ERR_FORMAT, "'a'");
    expect_bad("{\"a\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, BN_ERR_NOT_SUPPORTED, "'Q9'");
    expect_bad("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, BN_ERR_FORMAT, "dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, -1, BN_ERR_FORMAT, "shape[0]");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, -1,
               BN_ERR_FORMAT, "overflows");
    /* overlapping / unsorted */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, -1, BN_ERR_FORMAT, "overlap");
    /* unsorted but disjoint is fine */
    write_st("unsorted.safetensors",
             "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
             "\"a\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
             "abcdefgh", 8, -1);
    bn_safetensors *st = NULL;
    CHECK_OK(open_name("unsorted.safetensors", &st));
    bn_safetensors_close(st);
    /* a file shorter than 8 bytes */
    char p[512];
    path_of(p, sizeof p, "tiny.safetensors");
    FILE *f = fopen(p, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    st = NULL;
    CHECK_ERR(bn_safetensors_open(p, &st), BN_ERR_FORMAT, "tiny.safetensors");
    path_of(p, sizeof p, "missing.safetensors");
    CHECK_ERR(bn_safetensors_open(p, &st), BN_ERR_IO, "missing.safetensors");
}

static void test_sharded(void) {
    float a = 1.5f, b = -2.5f;
    write_st("shard-1.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", &a, 4, -1);
    write_st("shard-2.safetensors", "{\"y\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", &b, 4, -1);
    char p[512];
    path_of(p, sizeof p, "model.safetensors.index.json");
    FILE *f = fopen(p, "wb");
    fputs("{\"metadata\":{},\"weight_map\":{\"x\":\"shard-1.safetensors\",\"y\":\"shard-2.safetensors\"}}", f);
    fclose(f);
    bn_safetensors *st = NULL;
    CHECK_OK(bn_safetensors_open(tmpdir, &st)); /* the directory: finds the index */
    if (st) {
        bn_st_tensor t;
        CHECK(bn_safetensors_count(st) == 2);
        CHECK_OK(bn_safetensors_find(st, "y", &t));
        CHECK(t.ndim == 0 && t.numel == 1 && memcmp(t.data, &b, 4) == 0);
        CHECK(strstr(t.file, "shard-2") != NULL);
        bn_safetensors_close(st);
    }
    f = fopen(p, "wb");
    fputs("{\"weight_map\":{\"x\":\"shard-2.safetensors\",\"y\":\"shard-2.safetensors\"}}", f);
    fclose(f);
    CHECK_ERR(bn_safetensors_open(p, &st), BN_ERR_FORMAT, "tensor 'x' is not in shard");
    f = fopen(p, "wb");
    fputs("{\"weight_map\":{\"x\":\"../etc\"}}", f);
    fclose(f);
    CHECK_ERR(bn_safetensors_open(p, &st), BN_ERR_FORMAT, "not a file name");
    unlink(p);
}

static void test_config(void) {
    char p[512];
    path_of(p, sizeof p, "config.json");
    FILE *f = fopen(p, "wb");
    fputs("{\"vocab_size\":512,\"hidden_size\":128,\"intermediate_size\":384,\"num_hidden_layers\":2,"
          "\"num_attention_heads\":8,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-05,\"tie_word_embeddings\":true,"
          "\"rope_parameters\":{\"rope_theta\":500000.0,\"rope_type\":\"default\"},\"bos_token_id\":1,"
          "\"eos_token_id\":[2,3],\"hidden_act\":\"relu2\",\"name\":\"caf\\u00e9 \\ud83d\\ude00\","
          "\"quantization_config\":{\"quant_method\":\"bitnet\",\"linear_class\":\"autobitlinear\","
          "\"quantization_mode\":\"offline\"}}",
          f);
    fclose(f);
    bn_bitnet_config c;
    CHECK_OK(bn_bitnet_config_load(tmpdir, &c));
    CHECK(c.vocab_size == 512 && c.hidden_size == 128 && c.head_dim == 16 && c.num_key_value_heads == 2);
    CHECK(c.rope_theta == 500000.0 && c.rms_norm_eps == 1e-5 && c.tie_word_embeddings == 1);
    CHECK(c.n_eos == 2 && c.eos_token_ids[1] == 3 && c.bos_token_id == 1);
    CHECK(c.quantized && c.linear_kind == BN_LINEAR_OFFLINE);
    f = fopen(p, "wb");
    fputs("{\"vocab_size\":512,\"hidden_size\":128,\"intermediate_size\":384,\"num_hidden_layers\":2}", f);
    fclose(f);
    CHECK_ERR(bn_bitnet_config_load(p, &c), BN_ERR_FORMAT, "num_attention_heads");
    f = fopen(p, "wb");
    fputs("{\"vocab_size\":\"x\"}", f);
    fclose(f);
    CHECK_ERR(bn_bitnet_config_load(p, &c), BN_ERR_FORMAT, "'vocab_size' is not an integer");
    f = fopen(p, "wb");
    fputs("{\"vocab_size\":1,", f);
    fclose(f);
    CHECK_ERR(bn_bitnet_config_load(p, &c), BN_ERR_FORMAT, "config.json");
    f = fopen(p, "wb");
    fputs("{\"vocab_size\":5,\"hidden_size\":8,\"intermediate_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
          "\"quantization_config\":{\"quant_method\":\"gptq\"}}",
          f);
    fclose(f);
    CHECK_ERR(bn_bitnet_config_load(p, &c), BN_ERR_NOT_SUPPORTED, "gptq");
    unlink(p);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bn_test_st_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    test_good();
    test_bad();
    test_sharded();
    test_config();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return bt_summary("test_safetensors");
}
