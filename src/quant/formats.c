/* Packed ternary layouts: I2_S (bitnet.cpp, x86 blocks of 128), TQ1_0 and
 * TQ2_0 (ggml, blocks of 256 with an f16 scale) and the Hugging Face uint8
 * [ceil(n/4), k] layout; pack, validate, unpack and convert, with every
 * packed -> common -> packed round trip bit-exact. Layouts written from
 * their descriptions in bitnet.cpp and ggml (docs/quantization.md). */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "quant/quant_internal.h"

#define I2S_BLOCK 128  /* elements per I2_S block (x86) */
#define I2S_BLOCK_BYTES 32
#define I2S_TAIL 32    /* f32 scale + 28 bytes of padding */
#define QK 256         /* elements per TQ block */
#define TQ1_QS 48      /* (256 - 4 * 256 / 64) / 5 */
#define TQ1_QH 4       /* 256 / 64 */
#define TQ1_BYTES (TQ1_QS + TQ1_QH + 2)
#define TQ2_QS 64
#define TQ2_BYTES (TQ2_QS + 2)

static const bn_quant_format_info k_formats[BN_QUANT_FORMAT_COUNT] = {
    {BN_QUANT_I2_S, "i2_s", 36, I2S_BLOCK, 0, 2.0, 1},
    {BN_QUANT_TQ1_0, "tq1_0", 34, QK, QK, 8.0 * TQ1_BYTES / QK, 1},
    {BN_QUANT_TQ2_0, "tq2_0", 35, QK, QK, 8.0 * TQ2_BYTES / QK, 1},
    {BN_QUANT_HF, "hf", -1, 1, 0, 2.0, 0},
};

const bn_quant_format_info *bn_quant_format_get_info(bn_quant_format format) {
    if ((int)format < 0 || (int)format >= BN_QUANT_FORMAT_COUNT) return NULL;
    return &k_formats[format];
}

const char *bn_quant_format_name(bn_quant_format format) {
    const bn_quant_format_info *info = bn_quant_format_get_info(format);
    return info ? info->name : "unknown";
}

/* ---- geometry ------------------------------------------------------------ */

typedef struct geom {
    int64_t numel;
    size_t size; /* packed bytes */
} geom;

static bn_status check_geom(const char *fn, bn_quant_format format, int64_t n, int64_t k, geom *g) {
    g->numel = 0; /* defined even on failure (callers' flow analysis) */
    g->size = 0;
    const bn_quant_format_info *info = bn_quant_format_get_info(format);
    if (info == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown packed format %d", fn, (int)format);
    if (n < 0 || k < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: negative size n = %" PRId64 ", k = %" PRId64, fn, n, k);
    if (k % info->k_multiple != 0)
        return bni_error(BN_ERR_SHAPE, "%s: %s needs k to be a multiple of %" PRId64 "; k = %" PRId64
                         " (pad the rows or use another format)", fn, info->name, info->k_multiple, k);
    int64_t numel = 0;
    if (__builtin_mul_overflow(n, k, &numel) || (uint64_t)numel > SIZE_MAX / 4)
        return bni_error(BN_ERR_OVERFLOW, "%s: n * k = %" PRId64 " * %" PRId64 " overflows", fn, n, k);
    size_t size = 0;
    switch (format) {
    case BN_QUANT_I2_S: size = (size_t)numel / 4 + I2S_TAIL; break;
    case BN_QUANT_TQ1_0: size = (size_t)(numel / QK) * TQ1_BYTES; break;
    case BN_QUANT_TQ2_0: size = (size_t)(numel / QK) * TQ2_BYTES; break;
    case BN_QUANT_HF: size = (size_t)((n + 3) / 4) * (size_t)k; break;
    }
    g->numel = numel;
    g->size = size;
    return BN_OK;
}

bn_status bn_quant_packed_size(bn_quant_format format, int64_t n, int64_t k, size_t *nbytes) {
    static const char fn[] = "bn_quant_packed_size";
    BNI_QUANT_CHECK_NULL(fn, nbytes);
    geom g;
    bn_status st = check_geom(fn, format, n, k, &g);
    if (st) return st;
    *nbytes = g.size;
    return BN_OK;
}

bn_status bn_quant_scale_count(bn_quant_format format, int64_t n, int64_t k, int64_t *count, int64_t *group) {
    static const char fn[] = "bn_quant_scale_count";
    geom g;
    bn_status st = check_geom(fn, format, n, k, &g);
    if (st) return st;
    int64_t c = 0, gr = 0;
    switch (format) {
    case BN_QUANT_I2_S: c = 1; gr = g.numel; break;
    case BN_QUANT_TQ1_0:
    case BN_QUANT_TQ2_0: c = g.numel / QK; gr = QK; break;
    case BN_QUANT_HF: break;
    }
    if (count) *count = c;
    if (group) *group = gr;
    return BN_OK;
}

/* ---- little-endian scalars ----------------------------------------------- */

static void put_f32(uint8_t *p, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static float get_f32(const uint8_t *p) {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float v;
    memcpy(&v, &u, 4);
    return v;
}

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t f32_bits(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

/* ---- TQ1_0 base-3 bytes -------------------------------------------------- */

/* The byte ggml stores for the base-3 number v (0..242): ceil(v * 256 / 243). */
static inline uint8_t tq1_byte(unsigned v) { return (uint8_t)((v * 256u + 242u) / 243u); }

/* The base-3 number a byte decodes to: its first five base-3 fraction
 * digits, floor(b * 243 / 256) (what ggml's multiply-and-shift reads). */
static inline unsigned tq1_value(uint8_t b) { return ((unsigned)b * 243u) >> 8; }

/* ---- validation ------------------------------------------------------------ */

static bn_status bad_code(const char *fn, const char *name, size_t off, uint8_t byte, int64_t elem) {
    return bni_error(BN_ERR_FORMAT, "%s: %s byte 0x%02x at offset %zu holds code 3 (element %" PRId64
                     "); codes are 0, 1, 2 for -1, 0, +1", fn, name, byte, off, elem);
}

static bn_status validate(const char *fn, bn_quant_format format, int64_t n, int64_t k, const uint8_t *src,
                          size_t src_size, const geom *g) {
    const char *name = k_formats[format].name;
    if (src_size != g->size)
        return bni_error(BN_ERR_FORMAT, "%s: %s data of %" PRId64 " x %" PRId64 " is %zu bytes, got %zu", fn, name,
                         n, k, g->size, src_size);
    if (g->size > 0 && src == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: src is NULL", fn);
    switch (format) {
    case BN_QUANT_I2_S: {
        size_t nb = (size_t)g->numel / 4;
        for (size_t i = 0; i < nb; i++) {
            uint8_t b = src[i];
            for (int l = 0; l < 4; l++)
                if (((b >> (6 - 2 * l)) & 3) == 3)
                    return bad_code(fn, name, i, b, (int64_t)(i / I2S_BLOCK_BYTES) * I2S_BLOCK + l * 32 +
                                                        (int64_t)(i % I2S_BLOCK_BYTES));
        }
        float s = get_f32(src + nb);
        if (!isfinite(s))
            return bni_error(BN_ERR_FORMAT, "%s: i2_s scale at offset %zu is not finite (%g)", fn, nb, (double)s);
        break;
    }
    case BN_QUANT_TQ2_0: {
        int64_t nblk = g->numel / QK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const uint8_t *blk = src + bi * TQ2_BYTES;
            for (int j = 0; j < TQ2_QS; j++) {
                uint8_t b = blk[j];
                for (int l = 0; l < 4; l++)
                    if (((b >> (2 * l)) & 3) == 3)
                        return bad_code(fn, name, (size_t)(bi * TQ2_BYTES + j), b,
                                        bi * QK + (j / 32) * 128 + l * 32 + j % 32);
            }
            uint16_t d = get_u16(blk + TQ2_QS);
            if ((d & 0x7c00u) == 0x7c00u)
                return bni_error(BN_ERR_FORMAT, "%s: tq2_0 block %" PRId64 " scale d = 0x%04x at offset %zu is not "
                                 "finite", fn, bi, d, (size_t)(bi * TQ2_BYTES + TQ2_QS));
        }
        break;
    }
    case BN_QUANT_TQ1_0: {
        int64_t nblk = g->numel / QK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const uint8_t *blk = src + bi * TQ1_BYTES;
            for (int j = 0; j < TQ1_QS + TQ1_QH; j++) {
                uint8_t b = blk[j];
                unsigned v = tq1_value(b);
                size_t off = (size_t)(bi * TQ1_BYTES + j);
                if (tq1_byte(v) != b)
                    return bni_error(BN_ERR_FORMAT, "%s: tq1_0 byte 0x%02x at offset %zu (block %" PRId64
                                     ", %s[%d]) is not the encoding of any base-3 digits (ggml writes 0x%02x "
                                     "for %u)", fn, b, off, bi, j < TQ1_QS ? "qs" : "qh",
                                     j < TQ1_QS ? j : j - TQ1_QS, tq1_byte(v), v);
                if (j >= TQ1_QS && v % 3 != 0)
                    return bni_error(BN_ERR_FORMAT, "%s: tq1_0 byte 0x%02x at offset %zu (block %" PRId64
                                     ", qh[%d]) has a fifth base-3 digit %u; qh holds four digits and a 0", fn,
                                     b, off, bi, j - TQ1_QS, v % 3);
            }
            uint16_t d = get_u16(blk + TQ1_QS + TQ1_QH);
            if ((d & 0x7c00u) == 0x7c00u)
                return bni_error(BN_ERR_FORMAT, "%s: tq1_0 block %" PRId64 " scale d = 0x%04x at offset %zu is not "
                                 "finite", fn, bi, d, (size_t)(bi * TQ1_BYTES + TQ1_QS + TQ1_QH));
        }
        break;
    }
    case BN_QUANT_HF: {
        int64_t R = (n + 3) / 4;
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = 0; c < k; c++) {
                uint8_t b = src[r * k + c];
                for (int i = 0; i < 4; i++) {
                    int code = (b >> (2 * i)) & 3;
                    int64_t row = i * R + r;
                    if (row < n && code == 3)
                        return bad_code(fn, name, (size_t)(r * k + c), b, row * k + c);
                    if (row >= n && code != 0)
                        return bni_error(BN_ERR_FORMAT, "%s: hf byte 0x%02x at offset %zu has code %d in bits "
                                         "%d-%d for row %" PRId64 " past n = %" PRId64 "; padding rows are 0",
                                         fn, b, (size_t)(r * k + c), code, 2 * i + 1, 2 * i, row, n);
                }
            }
        break;
    }
    }
    return BN_OK;
}

bn_status bn_quant_validate(bn_quant_format format, int64_t n, int64_t k, const void *src, size_t src_size) {
    static const char fn[] = "bn_quant_validate";
    geom g;
    bn_status st = check_geom(fn, format, n, k, &g);
    if (st) return st;
    return validate(fn, format, n, k, (const uint8_t *)src, src_size, &g);
}

/* ---- unpack ---------------------------------------------------------------- */

static bn_status unpack(const char *fn, bn_quant_format format, int64_t n, int64_t k, const uint8_t *src,
                        size_t src_size, int8_t *values, float *scales) {
    geom g;
    bn_status st = check_geom(fn, format, n, k, &g);
    if (st) return st;
    if (g.numel > 0 && values == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: values is NULL", fn);
    if (format != BN_QUANT_HF && (format == BN_QUANT_I2_S || g.numel > 0) && scales == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales is NULL", fn);
    if ((st = validate(fn, format, n, k, src, src_size, &g)) != BN_OK) return st;
    switch (format) {
    case BN_QUANT_I2_S: {
        int64_t nblk = g.numel / I2S_BLOCK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const uint8_t *p = src + bi * I2S_BLOCK_BYTES;
            int8_t *v = values + bi * I2S_BLOCK;
            for (int j = 0; j < 32; j++) {
                uint8_t b = p[j];
                v[j] = (int8_t)((b >> 6 & 3) - 1);
                v[j + 32] = (int8_t)((b >> 4 & 3) - 1);
                v[j + 64] = (int8_t)((b >> 2 & 3) - 1);
                v[j + 96] = (int8_t)((b & 3) - 1);
            }
        }
        scales[0] = get_f32(src + g.numel / 4);
        break;
    }
    case BN_QUANT_TQ2_0: {
        int64_t nblk = g.numel / QK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const uint8_t *p = src + bi * TQ2_BYTES;
            int8_t *v = values + bi * QK;
            for (int h = 0; h < 2; h++)
                for (int m = 0; m < 32; m++) {
                    uint8_t b = p[h * 32 + m];
                    for (int l = 0; l < 4; l++) v[h * 128 + l * 32 + m] = (int8_t)((b >> (2 * l) & 3) - 1);
                }
            scales[bi] = bn_f16_to_f32(get_u16(p + TQ2_QS));
        }
        break;
    }
    case BN_QUANT_TQ1_0: {
        static const unsigned pow3[5] = {81, 27, 9, 3, 1};
        int64_t nblk = g.numel / QK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const uint8_t *p = src + bi * TQ1_BYTES;
            int8_t *v = values + bi * QK;
            for (int m = 0; m < 32; m++) {
                unsigned x = tq1_value(p[m]);
                for (int t = 0; t < 5; t++) v[m + t * 32] = (int8_t)((int)(x / pow3[t] % 3) - 1);
            }
            for (int m = 0; m < 16; m++) {
                unsigned x = tq1_value(p[32 + m]);
                for (int t = 0; t < 5; t++) v[160 + m + t * 16] = (int8_t)((int)(x / pow3[t] % 3) - 1);
            }
            for (int j = 0; j < TQ1_QH; j++) {
                unsigned x = tq1_value(p[TQ1_QS + j]);
                for (int t = 0; t < 4; t++) v[240 + j + t * 4] = (int8_t)((int)(x / pow3[t] % 3) - 1);
            }
            scales[bi] = bn_f16_to_f32(get_u16(p + TQ1_QS + TQ1_QH));
        }
        break;
    }
    case BN_QUANT_HF: {
        int64_t R = (n + 3) / 4;
        for (int64_t r = 0; r < R; r++)
            for (int i = 0; i < 4; i++) {
                int64_t row = i * R + r;
                if (row >= n) continue;
                const uint8_t *p = src + r * k;
                int8_t *v = values + row * k;
                for (int64_t c = 0; c < k; c++) v[c] = (int8_t)((p[c] >> (2 * i) & 3) - 1);
            }
        break;
    }
    }
    return BN_OK;
}

bn_status bn_quant_unpack(bn_quant_format format, int64_t n, int64_t k, const void *src, size_t src_size,
                          int8_t *values, float *scales) {
    return unpack("bn_quant_unpack", format, n, k, (const uint8_t *)src, src_size, values, scales);
}

/* ---- pack ------------------------------------------------------------------ */

/* The one scale stored for elements [a, b): the scale of the first group
 * there with a non-zero code; every other such group must agree (bits).
 * *any says whether a non-zero code was seen. */
static bn_status slot_scale(const char *fn, const char *name, const int8_t *values, const float *scales,
                            int64_t group, int64_t a, int64_t b, float *scale, int *any) {
    *scale = 0.0f; /* defined even on failure */
    *any = 0;
    int found = 0;
    float s = 0.0f;
    int64_t first_g = 0;
    for (int64_t g0 = a - a % group; g0 < b; g0 += group) {
        int64_t lo = g0 > a ? g0 : a, hi = g0 + group < b ? g0 + group : b;
        int nz = 0;
        for (int64_t i = lo; i < hi && !nz; i++) nz = values[i] != 0;
        if (!nz) continue;
        float gs = scales[g0 / group];
        if (!found) {
            found = 1;
            s = gs;
            first_g = g0 / group;
        } else if (f32_bits(gs) != f32_bits(s)) {
            return bni_error(BN_ERR_NOT_SUPPORTED, "%s: %s stores one scale for values %" PRId64 "..%" PRId64
                             ", but they use scales %g (group %" PRId64 ") and %g (group %" PRId64 ")", fn, name,
                             a, b - 1, (double)s, first_g, (double)gs, g0 / group);
        }
    }
    *scale = s;
    *any = found;
    return BN_OK;
}

static bn_status pack(const char *fn, bn_quant_format format, int64_t n, int64_t k, const int8_t *values,
                      const float *scales, int64_t group, uint8_t *dst, size_t dst_size) {
    geom g;
    bn_status st = check_geom(fn, format, n, k, &g);
    if (st) return st;
    const char *name = k_formats[format].name;
    if (dst_size != g.size)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s data of %" PRId64 " x %" PRId64 " is %zu bytes; dst_size "
                         "is %zu", fn, name, n, k, g.size, dst_size);
    if (g.size > 0 && dst == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
    if (g.numel > 0 && values == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: values is NULL", fn);
    if (format != BN_QUANT_HF && g.numel > 0) {
        if (scales == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: scales is NULL", fn);
        if (group <= 0 || g.numel % group != 0)
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: group %" PRId64 " does not divide the %" PRId64
                             " values", fn, group, g.numel);
    }
    for (int64_t i = 0; i < g.numel; i++)
        if (values[i] < -1 || values[i] > 1)
            return bni_error(BN_ERR_OUT_OF_RANGE, "%s: value %d at index %" PRId64 " (row %" PRId64 ", column %"
                             PRId64 ") is not ternary (-1, 0, +1)", fn, values[i], i, i / k, i % k);
    switch (format) {
    case BN_QUANT_I2_S: {
        float s = 0.0f;
        int any = 0;
        if (g.numel > 0 && (st = slot_scale(fn, name, values, scales, group, 0, g.numel, &s, &any)) != BN_OK)
            return st;
        if (!any && scales != NULL) s = scales[0]; /* all zero: the first scale */
        int64_t nblk = g.numel / I2S_BLOCK;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const int8_t *v = values + bi * I2S_BLOCK;
            uint8_t *p = dst + bi * I2S_BLOCK_BYTES;
            for (int j = 0; j < 32; j++)
                p[j] = (uint8_t)((v[j] + 1) << 6 | (v[j + 32] + 1) << 4 | (v[j + 64] + 1) << 2 | (v[j + 96] + 1));
        }
        uint8_t *tail = dst + g.numel / 4;
        memset(tail, 0, I2S_TAIL);
        put_f32(tail, s);
        break;
    }
    case BN_QUANT_TQ2_0:
    case BN_QUANT_TQ1_0: {
        int64_t nblk = g.numel / QK;
        /* every scale first, so that a refusal writes nothing */
        for (int64_t bi = 0; bi < nblk; bi++) {
            float s;
            int any;
            if ((st = slot_scale(fn, name, values, scales, group, bi * QK, bi * QK + QK, &s, &any)) != BN_OK)
                return st;
        }
        for (int64_t bi = 0; bi < nblk; bi++) {
            const int8_t *v = values + bi * QK;
            float s;
            int any;
            (void)slot_scale(fn, name, values, scales, group, bi * QK, bi * QK + QK, &s, &any);
            uint16_t d = any ? bn_f32_to_f16(s) : 0;
            if (format == BN_QUANT_TQ2_0) {
                uint8_t *p = dst + bi * TQ2_BYTES;
                for (int h = 0; h < 2; h++)
                    for (int m = 0; m < 32; m++) {
                        const int8_t *x = v + h * 128 + m;
                        p[h * 32 + m] = (uint8_t)((x[0] + 1) | (x[32] + 1) << 2 | (x[64] + 1) << 4 | (x[96] + 1) << 6);
                    }
                put_u16(p + TQ2_QS, d);
            } else {
                uint8_t *p = dst + bi * TQ1_BYTES;
                for (int m = 0; m < 32; m++) {
                    unsigned q = 0;
                    for (int t = 0; t < 5; t++) q = q * 3 + (unsigned)(v[m + t * 32] + 1);
                    p[m] = tq1_byte(q);
                }
                for (int m = 0; m < 16; m++) {
                    unsigned q = 0;
                    for (int t = 0; t < 5; t++) q = q * 3 + (unsigned)(v[160 + m + t * 16] + 1);
                    p[32 + m] = tq1_byte(q);
                }
                for (int j = 0; j < TQ1_QH; j++) {
                    unsigned q = 0;
                    for (int t = 0; t < 4; t++) q = q * 3 + (unsigned)(v[240 + j + t * 4] + 1);
                    p[TQ1_QS + j] = tq1_byte(q * 3);
                }
                put_u16(p + TQ1_QS + TQ1_QH, d);
            }
        }
        break;
    }
    case BN_QUANT_HF: {
        int64_t R = (n + 3) / 4;
        if (g.size > 0) memset(dst, 0, g.size);
        for (int64_t row = 0; row < n; row++) {
            int64_t r = row % R, i = row / R;
            uint8_t *p = dst + r * k;
            const int8_t *v = values + row * k;
            for (int64_t c = 0; c < k; c++) p[c] = (uint8_t)(p[c] | (unsigned)(v[c] + 1) << (2 * i));
        }
        break;
    }
    }
    return BN_OK;
}

bn_status bn_quant_pack(bn_quant_format format, int64_t n, int64_t k, const int8_t *values, const float *scales,
                        int64_t group, void *dst, size_t dst_size) {
    return pack("bn_quant_pack", format, n, k, values, scales, group, (uint8_t *)dst, dst_size);
}

/* ---- convert --------------------------------------------------------------- */

bn_status bn_quant_convert(bn_quant_format src_format, const void *src, size_t src_size, bn_quant_format dst_format,
                           void *dst, size_t dst_size, int64_t n, int64_t k, float *tensor_scale) {
    static const char fn[] = "bn_quant_convert";
    geom gs, gd;
    bn_status st = check_geom(fn, src_format, n, k, &gs);
    if (st) return st;
    if ((st = check_geom(fn, dst_format, n, k, &gd)) != BN_OK) return st;
    if ((src_format == BN_QUANT_HF || dst_format == BN_QUANT_HF) && tensor_scale == NULL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: tensor_scale is NULL; hf data keeps its scale outside", fn);
    if (dst_size != gd.size)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s data of %" PRId64 " x %" PRId64 " is %zu bytes; dst_size "
                         "is %zu", fn, k_formats[dst_format].name, n, k, gd.size, dst_size);
    if ((st = validate(fn, src_format, n, k, (const uint8_t *)src, src_size, &gs)) != BN_OK) return st;
    int64_t nscales = 0, group = 0;
    (void)bn_quant_scale_count(src_format, n, k, &nscales, &group);
    if (src_format == BN_QUANT_HF) {
        nscales = 1;
        group = gs.numel > 0 ? gs.numel : 1;
    }
    int8_t *values = (int8_t *)bni_malloc(gs.numel > 0 ? (size_t)gs.numel : 1);
    float *scales = (float *)bni_malloc(sizeof(float) * (size_t)(nscales > 0 ? nscales : 1));
    if (values == NULL || scales == NULL) {
        bni_free(values);
        bni_free(scales);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: no memory for %" PRId64 " x %" PRId64 " ternary values", fn, n,
                         k);
    }
    st = unpack(fn, src_format, n, k, (const uint8_t *)src, src_size, values, scales);
    if (st == BN_OK && src_format == BN_QUANT_HF) scales[0] = *tensor_scale;
    float hf_scale = 0.0f;
    if (st == BN_OK && dst_format == BN_QUANT_HF && gs.numel > 0) {
        int any;
        st = slot_scale(fn, "hf", values, scales, group, 0, gs.numel, &hf_scale, &any);
        if (st == BN_OK && !any) hf_scale = scales[0];
    }
    if (st == BN_OK) st = pack(fn, dst_format, n, k, values, scales, group, (uint8_t *)dst, dst_size);
    if (st == BN_OK && dst_format == BN_QUANT_HF) *tensor_scale = hf_scale;
    bni_free(values);
    bni_free(scales);
    return st;
}
