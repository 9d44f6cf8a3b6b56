/* GGUF reader/writer: the fixture written by llama.cpp's gguf package
 * (tools/make_gguf_fixtures.py), write -> read round trips of every value
 * and tensor type, and malformed inputs (each a clear error, never a crash;
 * run under ASan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#define FIXTURE BITNET_TEST_DATA_DIR "/gguf/fixture.gguf"

static int ternary(int64_t i) { return (int)((i * 7 + i / 5) % 3) - 1; }

static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

static bn_gguf_value kv(const bn_gguf *g, const char *key) {
    bn_gguf_value v;
    memset(&v, 0, sizeof v);
    int64_t i = bn_gguf_find_kv(g, key);
    CHECK(i >= 0);
    if (i >= 0) CHECK_OK(bn_gguf_kv_value(g, i, &v));
    return v;
}

static int str_eq(const bn_gguf_value *v, const char *s) {
    return v->type == BN_GGUF_TYPE_STRING && v->len == strlen(s) && (v->len == 0 || memcmp(v->str, s, v->len) == 0);
}

static void check_ternary_tensor(const bn_gguf *g, const char *name, bn_quant_format fmt, float scale) {
    int64_t i = bn_gguf_find_tensor(g, name);
    CHECK(i >= 0);
    if (i < 0) return;
    bn_gguf_tensor_info t;
    CHECK_OK(bn_gguf_tensor_get_info(g, i, &t));
    int64_t n = t.dims[1], k = t.dims[0];
    int8_t *vals = malloc((size_t)(n * k));
    int64_t ns = 0;
    CHECK_OK(bn_quant_scale_count(fmt, n, k, &ns, NULL));
    float *sc = malloc((size_t)(ns + 1) * sizeof(float));
    CHECK_OK(bn_quant_unpack(fmt, n, k, t.data, t.nbytes, vals, sc));
    int bad = 0;
    for (int64_t j = 0; j < n * k; j++) bad += vals[j] != ternary(j);
    for (int64_t j = 0; j < ns; j++) bad += sc[j] != scale;
    CHECK(bad == 0);
    free(vals);
    free(sc);
}

static void test_fixture(void) {
    bn_gguf *g = NULL;
    CHECK_OK(bn_gguf_open(FIXTURE, &g));
    if (!g) return;
    CHECK(bn_gguf_version(g) == 3);
    CHECK(bn_gguf_alignment(g) == 32);
    CHECK(bn_gguf_kv_count(g) == 18);
    CHECK(bn_gguf_tensor_count(g) == 4);
    CHECK(strcmp(bn_gguf_kv_key(g, 0), "general.architecture") == 0);
    bn_gguf_value v = kv(g, "general.architecture");
    CHECK(str_eq(&v, "bitnet-b1.58"));
    v = kv(g, "t.u8"); CHECK(v.type == BN_GGUF_TYPE_UINT8 && v.u == 200);
    v = kv(g, "t.i8"); CHECK(v.type == BN_GGUF_TYPE_INT8 && v.i == -100);
    v = kv(g, "t.u16"); CHECK(v.type == BN_GGUF_TYPE_UINT16 && v.u == 60000);
    v = kv(g, "t.i16"); CHECK(v.type == BN_GGUF_TYPE_INT16 && v.i == -30000);
    v = kv(g, "t.u32"); CHECK(v.type == BN_GGUF_TYPE_UINT32 && v.u == 4000000000u);
    v = kv(g, "t.i32"); CHECK(v.type == BN_GGUF_TYPE_INT32 && v.i == -2000000000);
    v = kv(g, "t.f32"); CHECK(v.type == BN_GGUF_TYPE_FLOAT32 && v.f == 0.15625);
    v = kv(g, "t.bool"); CHECK(v.type == BN_GGUF_TYPE_BOOL && v.i == 1);
    v = kv(g, "t.str"); CHECK(str_eq(&v, "h\xc3\xa9llo w\xc3\xb6rld"));
    v = kv(g, "t.u64"); CHECK(v.type == BN_GGUF_TYPE_UINT64 && v.u == 18000000000000000000ull);
    v = kv(g, "t.i64"); CHECK(v.type == BN_GGUF_TYPE_INT64 && v.i == -9000000000000000000ll);
    v = kv(g, "t.f64"); CHECK(v.type == BN_GGUF_TYPE_FLOAT64 && v.f == 2.718281828459045);
    v = kv(g, "t.arr_i32");
    CHECK(v.type == BN_GGUF_TYPE_ARRAY && v.array_type == BN_GGUF_TYPE_INT32 && v.len == 5);
    int64_t ai = bn_gguf_find_kv(g, "t.arr_i32");
    static const int want_i32[5] = {1, -2, 3, -4, 5};
    for (uint64_t j = 0; j < 5; j++) {
        CHECK_OK(bn_gguf_array_get(g, ai, j, &v));
        CHECK(v.type == BN_GGUF_TYPE_INT32 && v.i == want_i32[j]);
    }
    CHECK_ERR(bn_gguf_array_get(g, ai, 5, &v), BN_ERR_OUT_OF_RANGE, "t.arr_i32");
    const void *raw = NULL;
    uint64_t cnt = 0;
    CHECK_OK(bn_gguf_array_data(g, ai, &raw, &cnt));
    int32_t tmp[5];
    memcpy(tmp, raw, sizeof tmp);
    CHECK(cnt == 5 && tmp[3] == -4);
    int64_t as = bn_gguf_find_kv(g, "t.arr_str");
    static const char *const want_s[4] = {"a", "", "bc", "\xc4\xa0the"};
    for (uint64_t j = 0; j < 4; j++) {
        CHECK_OK(bn_gguf_array_get(g, as, j, &v));
        CHECK(str_eq(&v, want_s[j]));
    }
    CHECK_ERR(bn_gguf_array_data(g, as, &raw, &cnt), BN_ERR_DTYPE, "t.arr_str");
    int64_t af = bn_gguf_find_kv(g, "t.arr_f32");
    CHECK_OK(bn_gguf_array_get(g, af, 1, &v));
    CHECK(v.type == BN_GGUF_TYPE_FLOAT32 && v.f == -1.25);
    int64_t au = bn_gguf_find_kv(g, "t.arr_u8");
    CHECK_OK(bn_gguf_array_get(g, au, 2, &v));
    CHECK(v.type == BN_GGUF_TYPE_UINT8 && v.u == 255);
    int64_t ab = bn_gguf_find_kv(g, "t.arr_bool");
    CHECK_OK(bn_gguf_array_get(g, ab, 1, &v));
    CHECK(v.type == BN_GGUF_TYPE_BOOL && v.i == 0);
    CHECK_ERR(bn_gguf_array_get(g, bn_gguf_find_kv(g, "t.u8"), 0, &v), BN_ERR_DTYPE, "not an array");

    int64_t i64 = 0;
    double f64 = 0;
    const char *s = NULL;
    size_t sl = 0;
    CHECK_OK(bn_gguf_get_i64(g, "t.u32", &i64));
    CHECK(i64 == 4000000000ll);
    CHECK_ERR(bn_gguf_get_i64(g, "t.u64", &i64), BN_ERR_OVERFLOW, "t.u64");
    CHECK_ERR(bn_gguf_get_i64(g, "t.str", &i64), BN_ERR_DTYPE, "t.str");
    CHECK_ERR(bn_gguf_get_i64(g, "nope", &i64), BN_ERR_OUT_OF_RANGE, "'nope' is missing");
    CHECK_OK(bn_gguf_get_f64(g, "t.f32", &f64));
    CHECK(f64 == 0.15625);
    CHECK_OK(bn_gguf_get_str(g, "t.str", &s, &sl));
    CHECK(sl == 13);
    CHECK(bn_gguf_find_kv(g, "t.missing") == -1);
    CHECK(bn_gguf_find_tensor(g, "nope") == -1);

    bn_gguf_tensor_info t;
    CHECK_OK(bn_gguf_tensor_get_info(g, bn_gguf_find_tensor(g, "f32"), &t));
    CHECK(t.type == BN_GGUF_TENSOR_F32 && t.ndim == 2 && t.dims[0] == 4 && t.dims[1] == 3 && t.nbytes == 48);
    CHECK(t.numel == 12 && t.offset == 0);
    int bad = 0;
    for (int j = 0; j < 12; j++) {
        float x;
        memcpy(&x, (const char *)t.data + 4 * j, 4);
        bad += x != (float)j - 5.5f;
    }
    CHECK(bad == 0);
    CHECK_OK(bn_gguf_tensor_get_info(g, bn_gguf_find_tensor(g, "f16"), &t));
    CHECK(t.type == BN_GGUF_TENSOR_F16 && t.dims[0] == 3 && t.dims[1] == 2 && t.nbytes == 12);
    CHECK(((uintptr_t)t.data - (uintptr_t)0) % 1 == 0 && t.offset % 32 == 0);
    bad = 0;
    for (int j = 0; j < 6; j++) {
        uint16_t h;
        memcpy(&h, (const char *)t.data + 2 * j, 2);
        bad += bn_f16_to_f32(h) != (float)j / 8;
    }
    CHECK(bad == 0);
    CHECK_OK(bn_gguf_tensor_get_info(g, bn_gguf_find_tensor(g, "tq1"), &t));
    CHECK(t.type == BN_GGUF_TENSOR_TQ1_0 && t.nbytes == 108 && t.dims[0] == 256 && t.dims[1] == 2);
    CHECK_OK(bn_gguf_tensor_get_info(g, bn_gguf_find_tensor(g, "tq2"), &t));
    CHECK(t.type == BN_GGUF_TENSOR_TQ2_0 && t.nbytes == 132);
    check_ternary_tensor(g, "tq1", BN_QUANT_TQ1_0, 0.5f);
    check_ternary_tensor(g, "tq2", BN_QUANT_TQ2_0, 0.5f);
    CHECK_ERR(bn_gguf_tensor_get_info(g, 4, &t), BN_ERR_OUT_OF_RANGE, "index 4");
    bn_gguf_free(g);
}

/* Every prefix of the fixture: an error (never a crash) until the last
 * tensor's data is complete; each prefix in its own exact-size buffer so
 * ASan sees any read past it. */
static void test_truncation(void) {
    size_t size = 0;
    unsigned char *file = slurp(FIXTURE, &size);
    CHECK(file != NULL);
    if (!file) return;
    size_t need = 992 + 132; /* end of tensor tq2 */
    int bad = 0;
    for (size_t n = 0; n <= size; n++) {
        unsigned char *b = malloc(n ? n : 1);
        memcpy(b, file, n);
        bn_gguf *g = NULL;
        bn_status st = bn_gguf_open_memory(n ? b : NULL, n, "trunc.gguf", &g);
        if (n < need) {
            if (st != BN_ERR_FORMAT || g != NULL || strstr(bn_last_error(), "trunc.gguf") == NULL) {
                if (bad++ < 5) printf("  prefix %zu: %s: %s\n", n, bn_status_str(st), bn_last_error());
            }
        } else if (st != BN_OK) {
            if (bad++ < 5) printf("  prefix %zu should open: %s\n", n, bn_last_error());
        }
        bn_gguf_free(g);
        free(b);
    }
    CHECK(bad == 0);
    free(file);
}

/* ---- crafted files ---------------------------------------------------------- */

typedef struct buf {
    unsigned char d[4096];
    size_t n;
} buf;

static void put(buf *b, const void *p, size_t n) {
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void u32(buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(buf *b, uint64_t v) { put(b, &v, 8); }
static void str(buf *b, const char *s) {
    u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void header(buf *b, uint64_t nt, uint64_t nkv) {
    b->n = 0;
    put(b, "GGUF", 4);
    u32(b, 3);
    u64(b, nt);
    u64(b, nkv);
}
static void tinfo(buf *b, const char *name, uint32_t ndim, const uint64_t *dims, uint32_t type, uint64_t off) {
    str(b, name);
    u32(b, ndim);
    for (uint32_t d = 0; d < ndim; d++) u64(b, dims[d]);
    u32(b, type);
    u64(b, off);
}
static void pad_to(buf *b, size_t a) {
    while (b->n % a) b->d[b->n++] = 0;
}

static bn_status open_buf(const buf *b) {
    unsigned char *c = malloc(b->n ? b->n : 1);
    memcpy(c, b->d, b->n);
    bn_gguf *g = NULL;
    bn_status st = bn_gguf_open_memory(c, b->n, "bad.gguf", &g);
    if (st == BN_OK) CHECK(g != NULL);
    else CHECK(g == NULL);
    bn_gguf_free(g);
    free(c);
    return st;
}

static void test_malformed(void) {
    buf b;
    uint64_t d2[2] = {4, 2};
    /* a minimal valid file first */
    header(&b, 1, 1);
    str(&b, "a"); u32(&b, BN_GGUF_TYPE_UINT32); u32(&b, 7);
    tinfo(&b, "w", 2, d2, BN_GGUF_TENSOR_F32, 0);
    pad_to(&b, 32);
    for (int i = 0; i < 32; i++) b.d[b.n++] = 0;
    CHECK_OK(open_buf(&b));

    header(&b, 0, 0);
    b.d[0] = 'X';
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "not a GGUF file");
    header(&b, 0, 0);
    b.d[4] = 1;
    CHECK_ERR(open_buf(&b), BN_ERR_NOT_SUPPORTED, "version 1");
    header(&b, 0, 0);
    b.d[4] = 0; b.d[7] = 3;
    CHECK_ERR(open_buf(&b), BN_ERR_NOT_SUPPORTED, "big-endian");
    header(&b, 0, 0);
    b.d[4] = 2; /* v2 reads like v3 */
    CHECK_OK(open_buf(&b));
    header(&b, 0, UINT64_MAX);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "key/value count 18446744073709551615");
    header(&b, UINT64_MAX / 2, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "tensor count");
    /* a key whose length runs past the end */
    header(&b, 0, 1);
    u64(&b, 1000); put(&b, "abcdefghijklmnop", 16);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "past the end");
    header(&b, 0, 1);
    u64(&b, UINT64_MAX); put(&b, "abcdefghijklmnop", 16);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "past the end");
    /* a string value too long */
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_STRING); u64(&b, 1ull << 62); put(&b, "xy", 2);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "past the end");
    /* unknown value type */
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, 13); u32(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "unknown value type 13");
    /* arrays: absurd count, string array count, nested, unknown element */
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_ARRAY); u32(&b, BN_GGUF_TYPE_UINT64); u64(&b, 1ull << 61); u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "runs past the end");
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_ARRAY); u32(&b, BN_GGUF_TYPE_STRING); u64(&b, UINT64_MAX); u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "strings cannot fit");
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_ARRAY); u32(&b, BN_GGUF_TYPE_STRING); u64(&b, 2); str(&b, "ok");
    u64(&b, 99); put(&b, "ab", 2);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "element 1");
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_ARRAY); u32(&b, BN_GGUF_TYPE_ARRAY); u64(&b, 1); u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_NOT_SUPPORTED, "nested");
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_ARRAY); u32(&b, 77); u64(&b, 1); u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "unknown array element type 77");
    /* bool not 0/1, duplicate key, empty key, bad alignment */
    header(&b, 0, 1);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_BOOL); b.d[b.n++] = 2;
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "bool value 2");
    header(&b, 0, 2);
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_UINT8); b.d[b.n++] = 1;
    str(&b, "k"); u32(&b, BN_GGUF_TYPE_UINT8); b.d[b.n++] = 1;
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "duplicate key 'k'");
    header(&b, 0, 1);
    str(&b, ""); u32(&b, BN_GGUF_TYPE_UINT8); b.d[b.n++] = 1; u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "empty key");
    header(&b, 0, 1);
    str(&b, "general.alignment"); u32(&b, BN_GGUF_TYPE_UINT32); u32(&b, 48);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "not a power of two");
    header(&b, 0, 1);
    str(&b, "general.alignment"); u32(&b, BN_GGUF_TYPE_UINT64); u64(&b, 64);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "want uint32");

    /* tensors */
    uint64_t d0[1] = {0};
    uint64_t big[4] = {1ull << 32, 1ull << 32, 4, 1};
    header(&b, 1, 0);
    const uint64_t d5[5] = {1, 1, 1, 1, 1};
    tinfo(&b, "w", 5, d5, 0, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "'w' has 5 dimensions");
    header(&b, 1, 0);
    tinfo(&b, "w", 0, d0, 0, 0);
    u64(&b, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "'w' has 0 dimensions");
    header(&b, 1, 0);
    tinfo(&b, "w", 3, big, 0, 0);
    pad_to(&b, 32);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "overflows");
    uint64_t neg[2] = {UINT64_MAX, 1};
    header(&b, 1, 0);
    tinfo(&b, "w", 2, neg, 0, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "out of range");
    uint64_t bytes_of[1] = {1ull << 62}; /* numel fits, bytes do not */
    header(&b, 1, 0);
    tinfo(&b, "w", 1, bytes_of, BN_GGUF_TENSOR_F32, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "overflows");
    header(&b, 1, 0);
    tinfo(&b, "w", 2, d2, 12, 0); /* Q4_K: a real ggml type we do not read */
    pad_to(&b, 32);
    CHECK_ERR(open_buf(&b), BN_ERR_NOT_SUPPORTED, "tensor 'w' has type 12");
    header(&b, 1, 0);
    tinfo(&b, "w", 2, d2, 0, 32); /* data section holds 32 bytes: offset 32 is past it */
    pad_to(&b, 32);
    for (int i = 0; i < 32; i++) b.d[b.n++] = 0;
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "runs past the end of the data section");
    header(&b, 1, 0);
    tinfo(&b, "w", 2, d2, 0, UINT64_MAX - 31);
    pad_to(&b, 32);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "runs past the end");
    header(&b, 1, 0);
    tinfo(&b, "w", 2, d2, 0, 4);
    pad_to(&b, 32);
    for (int i = 0; i < 64; i++) b.d[b.n++] = 0;
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "not a multiple of the alignment 32");
    uint64_t tq[2] = {100, 2};
    header(&b, 1, 0);
    tinfo(&b, "w", 2, tq, BN_GGUF_TENSOR_TQ2_0, 0);
    pad_to(&b, 32);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "dims[0] % 256");
    header(&b, 2, 0);
    tinfo(&b, "w", 2, d2, 0, 0);
    tinfo(&b, "w", 2, d2, 0, 32);
    pad_to(&b, 32);
    for (int i = 0; i < 64; i++) b.d[b.n++] = 0;
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "duplicate tensor name 'w'");
    /* the header fits, the data section start does not */
    header(&b, 1, 0);
    tinfo(&b, "w", 1, d0, 0, 0);
    CHECK_ERR(open_buf(&b), BN_ERR_FORMAT, "data section");
    /* empty and tiny buffers, files */
    CHECK_ERR(bn_gguf_open_memory(NULL, 0, NULL, &(bn_gguf *){NULL}), BN_ERR_FORMAT, "<memory>");
    bn_gguf *g = NULL;
    CHECK_ERR(bn_gguf_open("/nonexistent/x.gguf", &g), BN_ERR_IO, "/nonexistent/x.gguf");
    CHECK_ERR(bn_gguf_open("/", &g), BN_ERR_IO, "not a regular file");
}

/* ---- writer round trips ------------------------------------------------------ */

static bn_status fill_pattern(void *user, int64_t index, void *dst, size_t nbytes) {
    (void)user;
    for (size_t i = 0; i < nbytes; i++) ((unsigned char *)dst)[i] = (unsigned char)(i * 31 + (size_t)index);
    return BN_OK;
}

static bn_status fill_fail(void *user, int64_t index, void *dst, size_t nbytes) {
    (void)user; (void)dst; (void)nbytes;
    return index == 0 ? BN_OK : BN_ERR_INVALID_ARGUMENT;
}

static int progress_calls;
static void on_progress(void *user, uint64_t done, uint64_t total) {
    (void)user;
    if (done <= total) progress_calls++;
}

static void test_round_trip(uint32_t alignment, int to_file) {
    bn_gguf_writer *w = NULL;
    CHECK_OK(bn_gguf_writer_new(&w));
    if (alignment != 32) CHECK_OK(bn_gguf_writer_set_alignment(w, alignment));
    uint8_t u8 = 250; int8_t i8 = -7; uint16_t u16 = 65535; int16_t i16 = -32768;
    uint64_t u64v = UINT64_MAX; int64_t i64v = INT64_MIN; double f64 = -0.1; uint8_t bl = 0;
    CHECK_OK(bn_gguf_writer_add_str(w, "general.architecture", "bitnet-b1.58", 12));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "u8", BN_GGUF_TYPE_UINT8, &u8));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "i8", BN_GGUF_TYPE_INT8, &i8));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "u16", BN_GGUF_TYPE_UINT16, &u16));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "i16", BN_GGUF_TYPE_INT16, &i16));
    CHECK_OK(bn_gguf_writer_add_u32(w, "u32", 123456789u));
    CHECK_OK(bn_gguf_writer_add_i32(w, "i32", -5));
    CHECK_OK(bn_gguf_writer_add_f32(w, "f32", 1e-6f));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "bool", BN_GGUF_TYPE_BOOL, &bl));
    CHECK_OK(bn_gguf_writer_add_bool(w, "bool2", 5));
    CHECK_OK(bn_gguf_writer_add_str(w, "str", "a\0b", 3));
    CHECK_OK(bn_gguf_writer_add_str(w, "empty", NULL, 0));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "u64", BN_GGUF_TYPE_UINT64, &u64v));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "i64", BN_GGUF_TYPE_INT64, &i64v));
    CHECK_OK(bn_gguf_writer_add_scalar(w, "f64", BN_GGUF_TYPE_FLOAT64, &f64));
    const float fa[3] = {1.5f, -2.0f, 0.0f};
    const int16_t ia[2] = {-1, 2};
    CHECK_OK(bn_gguf_writer_add_array(w, "arr_f32", BN_GGUF_TYPE_FLOAT32, fa, 3));
    CHECK_OK(bn_gguf_writer_add_array(w, "arr_i16", BN_GGUF_TYPE_INT16, ia, 2));
    CHECK_OK(bn_gguf_writer_add_array(w, "arr_empty", BN_GGUF_TYPE_INT32, NULL, 0));
    const char *ss[3] = {"x", "", "yz"};
    CHECK_OK(bn_gguf_writer_add_str_array(w, "arr_str", ss, NULL, 3));
    const size_t lens[2] = {1, 2};
    CHECK_OK(bn_gguf_writer_add_str_array(w, "arr_str2", ss + 1, lens + 0, 0));
    /* argument errors */
    CHECK_ERR(bn_gguf_writer_add_u32(w, "u32", 1), BN_ERR_INVALID_ARGUMENT, "duplicate key 'u32'");
    CHECK_ERR(bn_gguf_writer_add_u32(w, "", 1), BN_ERR_INVALID_ARGUMENT, "key length 0");
    CHECK_ERR(bn_gguf_writer_add_u32(w, "general.alignment", 64), BN_ERR_INVALID_ARGUMENT, "set_alignment");
    CHECK_ERR(bn_gguf_writer_add_scalar(w, "s", BN_GGUF_TYPE_STRING, "x"), BN_ERR_INVALID_ARGUMENT, "not a scalar");
    CHECK_ERR(bn_gguf_writer_add_array(w, "a", BN_GGUF_TYPE_ARRAY, fa, 1), BN_ERR_INVALID_ARGUMENT, "not a scalar");
    CHECK_ERR(bn_gguf_writer_set_alignment(w, 24), BN_ERR_INVALID_ARGUMENT, "power of two");

    /* tensors of every type */
    float f32d[6] = {1, 2, 3, 4, 5, -6};
    uint16_t f16d[4];
    for (int i = 0; i < 4; i++) f16d[i] = bn_f32_to_f16((float)i - 1.5f);
    enum { N = 4, K = 256 };
    int8_t *vals = malloc(N * K);
    for (int i = 0; i < N * K; i++) vals[i] = (int8_t)ternary(i);
    float sc = 0.75f;
    size_t s_i2 = 0, s_tq1 = 0, s_tq2 = 0;
    CHECK_OK(bn_quant_packed_size(BN_QUANT_I2_S, N, K, &s_i2));
    CHECK_OK(bn_quant_packed_size(BN_QUANT_TQ1_0, N, K, &s_tq1));
    CHECK_OK(bn_quant_packed_size(BN_QUANT_TQ2_0, N, K, &s_tq2));
    CHECK(s_i2 == (size_t)N * K / 4 + 32);
    void *i2 = malloc(s_i2), *tq1 = malloc(s_tq1), *tq2 = malloc(s_tq2);
    CHECK_OK(bn_quant_pack(BN_QUANT_I2_S, N, K, vals, &sc, N * K, i2, s_i2));
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ1_0, N, K, vals, &sc, N * K, tq1, s_tq1));
    CHECK_OK(bn_quant_pack(BN_QUANT_TQ2_0, N, K, vals, &sc, N * K, tq2, s_tq2));
    const int64_t dm[2] = {K, N}, d32[2] = {3, 2}, d16[1] = {4}, d3[3] = {2, 2, 2};
    CHECK_OK(bn_gguf_writer_add_tensor(w, "f32", BN_GGUF_TENSOR_F32, 2, d32, f32d));
    CHECK_OK(bn_gguf_writer_add_tensor(w, "f16", BN_GGUF_TENSOR_F16, 1, d16, f16d));
    CHECK_OK(bn_gguf_writer_add_tensor(w, "i2_s", BN_GGUF_TENSOR_I2_S, 2, dm, i2));
    CHECK_OK(bn_gguf_writer_add_tensor(w, "tq1", BN_GGUF_TENSOR_TQ1_0, 2, dm, tq1));
    CHECK_OK(bn_gguf_writer_add_tensor(w, "tq2", BN_GGUF_TENSOR_TQ2_0, 2, dm, tq2));
    CHECK_OK(bn_gguf_writer_add_tensor(w, "filled", BN_GGUF_TENSOR_F32, 3, d3, NULL));
    CHECK_ERR(bn_gguf_writer_add_tensor(w, "f32", BN_GGUF_TENSOR_F32, 2, d32, f32d), BN_ERR_INVALID_ARGUMENT,
              "duplicate tensor name 'f32'");
    CHECK_ERR(bn_gguf_writer_add_tensor(w, "q", 2, 2, d32, f32d), BN_ERR_NOT_SUPPORTED, "type 2");
    CHECK_ERR(bn_gguf_writer_add_tensor(w, "q", BN_GGUF_TENSOR_TQ2_0, 2, d32, f32d), BN_ERR_SHAPE, "256");
    CHECK_ERR(bn_gguf_writer_add_tensor(w, "q", BN_GGUF_TENSOR_F32, 5, d32, f32d), BN_ERR_INVALID_ARGUMENT,
              "ndim 5");

    void *mem = NULL;
    size_t size = 0;
    char path[] = "/tmp/bitnet_test_gguf_XXXXXX";
    bn_gguf *g = NULL;
    if (to_file) {
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        close(fd);
        progress_calls = 0;
        CHECK_OK(bn_gguf_writer_write_file(w, path, fill_pattern, on_progress, NULL));
        CHECK(progress_calls == 6);
        CHECK_OK(bn_gguf_open(path, &g));
    } else {
        CHECK_ERR(bn_gguf_writer_write_memory(w, &mem, &size, NULL, NULL), BN_ERR_INVALID_ARGUMENT, "'filled'");
        CHECK_ERR(bn_gguf_writer_write_memory(w, &mem, &size, fill_fail, NULL), BN_ERR_INVALID_ARGUMENT, "");
        CHECK_OK(bn_gguf_writer_write_memory(w, &mem, &size, fill_pattern, NULL));
        CHECK_OK(bn_gguf_open_memory(mem, size, "rt", &g));
    }
    bn_gguf_writer_free(w);
    if (g) {
        CHECK(bn_gguf_alignment(g) == alignment);
        CHECK(bn_gguf_data_offset(g) % alignment == 0);
        CHECK(bn_gguf_kv_count(g) == 20 + (alignment != 32));
        bn_gguf_value v;
        v = kv(g, "u8"); CHECK(v.type == BN_GGUF_TYPE_UINT8 && v.u == 250);
        v = kv(g, "i8"); CHECK(v.type == BN_GGUF_TYPE_INT8 && v.i == -7);
        v = kv(g, "u16"); CHECK(v.type == BN_GGUF_TYPE_UINT16 && v.u == 65535);
        v = kv(g, "i16"); CHECK(v.type == BN_GGUF_TYPE_INT16 && v.i == -32768);
        v = kv(g, "u32"); CHECK(v.type == BN_GGUF_TYPE_UINT32 && v.u == 123456789u);
        v = kv(g, "i32"); CHECK(v.type == BN_GGUF_TYPE_INT32 && v.i == -5);
        v = kv(g, "f32"); CHECK(v.type == BN_GGUF_TYPE_FLOAT32 && v.f == (double)1e-6f);
        v = kv(g, "bool"); CHECK(v.type == BN_GGUF_TYPE_BOOL && v.i == 0);
        v = kv(g, "bool2"); CHECK(v.type == BN_GGUF_TYPE_BOOL && v.i == 1);
        v = kv(g, "str"); CHECK(v.type == BN_GGUF_TYPE_STRING && v.len == 3 && memcmp(v.str, "a\0b", 3) == 0);
        v = kv(g, "empty"); CHECK(str_eq(&v, ""));
        v = kv(g, "u64"); CHECK(v.type == BN_GGUF_TYPE_UINT64 && v.u == UINT64_MAX);
        v = kv(g, "i64"); CHECK(v.type == BN_GGUF_TYPE_INT64 && v.i == INT64_MIN);
        v = kv(g, "f64"); CHECK(v.type == BN_GGUF_TYPE_FLOAT64 && v.f == -0.1);
        v = kv(g, "arr_empty"); CHECK(v.type == BN_GGUF_TYPE_ARRAY && v.len == 0);
        v = kv(g, "arr_str2"); CHECK(v.array_type == BN_GGUF_TYPE_STRING && v.len == 0);
        int64_t ai = bn_gguf_find_kv(g, "arr_f32");
        CHECK_OK(bn_gguf_array_get(g, ai, 1, &v));
        CHECK(v.f == -2.0);
        ai = bn_gguf_find_kv(g, "arr_i16");
        CHECK_OK(bn_gguf_array_get(g, ai, 0, &v));
        CHECK(v.type == BN_GGUF_TYPE_INT16 && v.i == -1);
        ai = bn_gguf_find_kv(g, "arr_str");
        CHECK_OK(bn_gguf_array_get(g, ai, 2, &v));
        CHECK(str_eq(&v, "yz"));
        CHECK_OK(bn_gguf_array_get(g, ai, 1, &v));
        CHECK(str_eq(&v, ""));
        bn_gguf_tensor_info t;
        CHECK_OK(bn_gguf_tensor_get_info(g, 0, &t));
        CHECK(strcmp(t.name, "f32") == 0 && t.nbytes == 24 && memcmp(t.data, f32d, 24) == 0);
        CHECK_OK(bn_gguf_tensor_get_info(g, 1, &t));
        CHECK(t.ndim == 1 && t.dims[0] == 4 && t.dims[1] == 1 && memcmp(t.data, f16d, 8) == 0);
        CHECK_OK(bn_gguf_tensor_get_info(g, 2, &t));
        CHECK(t.type == BN_GGUF_TENSOR_I2_S && t.nbytes == s_i2 && memcmp(t.data, i2, s_i2) == 0);
        CHECK_OK(bn_gguf_tensor_get_info(g, 3, &t));
        CHECK(t.type == BN_GGUF_TENSOR_TQ1_0 && t.nbytes == s_tq1 && memcmp(t.data, tq1, s_tq1) == 0);
        CHECK_OK(bn_gguf_tensor_get_info(g, 4, &t));
        CHECK(t.type == BN_GGUF_TENSOR_TQ2_0 && t.nbytes == s_tq2 && memcmp(t.data, tq2, s_tq2) == 0);
        CHECK_OK(bn_gguf_tensor_get_info(g, 5, &t));
        CHECK(t.ndim == 3 && t.numel == 8 && t.nbytes == 32);
        int bad = 0;
        for (size_t i = 0; i < t.nbytes; i++) bad += ((const unsigned char *)t.data)[i] != (unsigned char)(i * 31 + 5);
        CHECK(bad == 0);
        for (int64_t i = 0; i < 6; i++) {
            CHECK_OK(bn_gguf_tensor_get_info(g, i, &t));
            CHECK(t.offset % alignment == 0 && (uintptr_t)t.data % (to_file ? alignment : 1) == 0);
        }
        check_ternary_tensor(g, "i2_s", BN_QUANT_I2_S, 0.75f);
        check_ternary_tensor(g, "tq1", BN_QUANT_TQ1_0, 0.75f);
        check_ternary_tensor(g, "tq2", BN_QUANT_TQ2_0, 0.75f);
        bn_gguf_free(g);
    }
    if (to_file) unlink(path);
    free(mem);
    free(vals);
    free(i2);
    free(tq1);
    free(tq2);
}

static void test_nbytes(void) {
    size_t n = 0;
    const int64_t d[2] = {2560, 6912};
    CHECK_OK(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_I2_S, 2, d, &n));
    CHECK(n == 2560 * 6912 / 4 + 32);
    CHECK_OK(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_TQ1_0, 2, d, &n));
    CHECK(n == 2560 / 256 * 6912 * 54);
    CHECK_OK(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_TQ2_0, 2, d, &n));
    CHECK(n == 2560 / 256 * 6912 * 66);
    CHECK_OK(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_F16, 2, d, &n));
    CHECK(n == 2560 * 6912 * 2);
    const int64_t odd[1] = {6};
    CHECK_ERR(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_I2_S, 1, odd, &n), BN_ERR_SHAPE, "numel % 4");
    const int64_t neg[1] = {-1};
    CHECK_ERR(bn_gguf_tensor_nbytes(BN_GGUF_TENSOR_F32, 1, neg, &n), BN_ERR_INVALID_ARGUMENT, "< 0");
    CHECK(strcmp(bn_gguf_tensor_type_name(36), "i2_s") == 0);
    CHECK(strcmp(bn_gguf_type_name(BN_GGUF_TYPE_FLOAT64), "float64") == 0);
    CHECK(strcmp(bn_gguf_type_name((bn_gguf_type)99), "unknown") == 0);
}

int main(void) {
    test_nbytes();
    test_fixture();
    test_truncation();
    test_malformed();
    test_round_trip(32, 0);
    test_round_trip(64, 0);
    test_round_trip(32, 1);
    test_round_trip(4096, 1);
    return bt_summary("test_gguf");
}
