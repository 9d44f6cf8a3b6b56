/* Scalar conversions with the exact cast rules, the table of elementwise
 * conversion loops between non-packed dtypes, and packing of the packed
 * dtypes (ternary, binary, int4, qint8, qint4). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "cpu/kernels.h"
#include "tensor/tensor_internal.h"

/* ---- f16 / bf16 ------------------------------------------------------ */

static inline uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static inline float bits_f32(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

uint16_t bn_f32_to_f16(float value) {
    uint32_t x = f32_bits(value);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) /* NaN: quiet, keep the top payload bits (as F16C) */
        return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) /* >= 65520 rounds to infinity */
        return (uint16_t)(sign | 0x7C00u);
    if (ax >= 0x38800000u) { /* normal binary16 */
        uint32_t r = ax + 0xFFFu + ((ax >> 13) & 1u);
        r -= 0x38000000u;
        return (uint16_t)(sign | (r >> 13));
    }
    if (ax <= 0x33000000u) /* <= 2^-25: rounds to zero (the tie goes to even 0) */
        return sign;
    uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - (ax >> 23); /* 14 .. 24 */
    uint32_t q = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

float bn_f16_to_f32(uint16_t bits) {
    uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    uint32_t e = (bits >> 10) & 0x1Fu;
    uint32_t m = bits & 0x3FFu;
    if (e == 0x1F) return bits_f32(m ? (sign | 0x7FC00000u | (m << 13)) : (sign | 0x7F800000u));
    if (e == 0) {
        if (m == 0) return bits_f32(sign);
        int32_t ex = 1;
        while (!(m & 0x400u)) {
            m <<= 1;
            ex--;
        }
        m &= 0x3FFu;
        return bits_f32(sign | ((uint32_t)(ex + 112) << 23) | (m << 13));
    }
    return bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

uint16_t bn_f32_to_bf16(float value) {
    uint32_t x = f32_bits(value);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40u);
    x += 0x7FFFu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float bn_bf16_to_f32(uint16_t bits) { return bits_f32((uint32_t)bits << 16); }

/* double -> float rounding to odd, so that a second rounding to fewer than
 * 22 bits is correct (no double rounding). */
static float f64_to_f32_odd(double d) {
    float f = (float)d;
    if ((double)f != d && isfinite(f)) {
        uint32_t b = f32_bits(f);
        if (!(b & 1u)) {
            if (fabs((double)f) > fabs(d)) b -= 1u;
            else b += 1u;
        }
        f = bits_f32(b);
    }
    return f;
}

uint16_t bni_f64_to_f16(double value) {
    if (isnan(value)) {
        uint64_t b;
        memcpy(&b, &value, 8);
        return (uint16_t)(((b >> 48) & 0x8000u) | 0x7E00u | ((b >> 42) & 0x3FFu));
    }
    return bn_f32_to_f16(f64_to_f32_odd(value));
}

uint16_t bni_f64_to_bf16(double value) {
    if (isnan(value)) {
        uint64_t b;
        memcpy(&b, &value, 8);
        return (uint16_t)(((b >> 48) & 0x8000u) | 0x7FC0u | ((b >> 45) & 0x7Fu));
    }
    return bn_f32_to_bf16(f64_to_f32_odd(value));
}

/* u64 -> double rounding to odd (exact below 2^53). */
static double u64_to_f64_odd(uint64_t u) {
    if (u < (1ull << 53)) return (double)u;
    int shift = 64 - __builtin_clzll(u) - 53;
    uint64_t v = (u >> shift) | ((u & ((1ull << shift) - 1)) != 0);
    return ldexp((double)v, shift);
}
static double i64_to_f64_odd(int64_t i) {
    return i < 0 ? -u64_to_f64_odd(0ull - (uint64_t)i) : u64_to_f64_odd((uint64_t)i);
}

/* ---- saturating integer conversions --------------------------------- */

static inline int64_t sat_f_i(double d, int64_t lo, int64_t hi) {
    if (d != d) return 0;
    if (d >= -(double)lo) return hi;
    if (d <= (double)lo) return lo;
    return (int64_t)d;
}
static inline uint64_t sat_f_u(double d, uint64_t hi, double hi_plus_1) {
    if (d != d || d < 1.0) return 0;
    if (d >= hi_plus_1) return hi;
    return (uint64_t)d;
}
static inline int64_t sat_i_i(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline int64_t sat_u_i(uint64_t v, int64_t hi) { return v > (uint64_t)hi ? hi : (int64_t)v; }
static inline uint64_t sat_i_u(int64_t v, uint64_t hi) {
    return v < 0 ? 0 : (uint64_t)v > hi ? hi : (uint64_t)v;
}
static inline uint64_t sat_u_u(uint64_t v, uint64_t hi) { return v > hi ? hi : v; }

/* ---- loads (to the family type) and stores (from each family) -------- */

typedef double fam_F;
typedef int64_t fam_I;
typedef uint64_t fam_U;

#define LOADER(name, ctype, fam, expr)                  \
    static inline fam_##fam load_##name(const char *p) { \
        ctype v;                                        \
        memcpy(&v, p, sizeof v);                        \
        return (fam_##fam)(expr);                       \
    }
LOADER(f32, float, F, v)
LOADER(f64, double, F, v)
LOADER(f16, uint16_t, F, bn_f16_to_f32(v))
LOADER(bf16, uint16_t, F, bn_bf16_to_f32(v))
LOADER(i8, int8_t, I, v)
LOADER(i16, int16_t, I, v)
LOADER(i32, int32_t, I, v)
LOADER(i64, int64_t, I, v)
LOADER(u8, uint8_t, U, v)
LOADER(u16, uint16_t, U, v)
LOADER(u32, uint32_t, U, v)
LOADER(u64, uint64_t, U, v)
LOADER(bool, uint8_t, I, v != 0)

#define STORER(name, ctype, eF, eI, eU)                                                               \
    static inline void store_##name##_F(char *p, fam_F x) { ctype v = (ctype)(eF); memcpy(p, &v, sizeof v); } \
    static inline void store_##name##_I(char *p, fam_I x) { ctype v = (ctype)(eI); memcpy(p, &v, sizeof v); } \
    static inline void store_##name##_U(char *p, fam_U x) { ctype v = (ctype)(eU); memcpy(p, &v, sizeof v); }

STORER(f32, float, x, x, x)
STORER(f64, double, x, x, x)
STORER(f16, uint16_t, bni_f64_to_f16(x), bni_f64_to_f16((double)x), bni_f64_to_f16((double)x))
STORER(bf16, uint16_t, bni_f64_to_bf16(x), bni_f64_to_bf16(i64_to_f64_odd(x)), bni_f64_to_bf16(u64_to_f64_odd(x)))
STORER(i8, int8_t, sat_f_i(x, INT8_MIN, INT8_MAX), sat_i_i(x, INT8_MIN, INT8_MAX), sat_u_i(x, INT8_MAX))
STORER(i16, int16_t, sat_f_i(x, INT16_MIN, INT16_MAX), sat_i_i(x, INT16_MIN, INT16_MAX), sat_u_i(x, INT16_MAX))
STORER(i32, int32_t, sat_f_i(x, INT32_MIN, INT32_MAX), sat_i_i(x, INT32_MIN, INT32_MAX), sat_u_i(x, INT32_MAX))
STORER(i64, int64_t, sat_f_i(x, INT64_MIN, INT64_MAX), x, sat_u_i(x, INT64_MAX))
STORER(u8, uint8_t, sat_f_u(x, UINT8_MAX, 256.0), sat_i_u(x, UINT8_MAX), sat_u_u(x, UINT8_MAX))
STORER(u16, uint16_t, sat_f_u(x, UINT16_MAX, 65536.0), sat_i_u(x, UINT16_MAX), sat_u_u(x, UINT16_MAX))
STORER(u32, uint32_t, sat_f_u(x, UINT32_MAX, 4294967296.0), sat_i_u(x, UINT32_MAX), sat_u_u(x, UINT32_MAX))
STORER(u64, uint64_t, sat_f_u(x, UINT64_MAX, 18446744073709551616.0), sat_i_u(x, UINT64_MAX), x)
STORER(bool, uint8_t, x != 0, x != 0, x != 0)

/* ---- the conversion loops ------------------------------------------- */

#define FOR_EACH_DST(X, s, sf) \
    X(s, sf, f32) X(s, sf, f64) X(s, sf, f16) X(s, sf, bf16) X(s, sf, i8) X(s, sf, i16) X(s, sf, i32) \
    X(s, sf, i64) X(s, sf, u8) X(s, sf, u16) X(s, sf, u32) X(s, sf, u64) X(s, sf, bool)

#define FOR_EACH_SRC(Y) \
    Y(f32, F) Y(f64, F) Y(f16, F) Y(bf16, F) Y(i8, I) Y(i16, I) Y(i32, I) Y(i64, I) Y(u8, U) Y(u16, U) \
    Y(u32, U) Y(u64, U) Y(bool, I)

#define DEF_PAIR(s, sf, d)                                                                       \
    static void cvt_##s##_##d(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) { \
        for (size_t i = 0; i < n; i++, src += ss, dst += ds) store_##d##_##sf(dst, load_##s(src));   \
    }
#define DEF_FROM(s, sf) FOR_EACH_DST(DEF_PAIR, s, sf)
FOR_EACH_SRC(DEF_FROM)

#define PAIR_ENTRY(s, sf, d) cvt_##s##_##d,
#define ROW_ENTRY(s, sf) {FOR_EACH_DST(PAIR_ENTRY, s, sf)},
static const bni_cvt_fn k_cvt[13][13] = {FOR_EACH_SRC(ROW_ENTRY)};

/* Plain copies for same-dtype pairs. */
#define DEF_COPY(bytes, ctype)                                                                   \
    static void copy_##bytes(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) { \
        if (ss == bytes && ds == bytes) {                                                        \
            if (n) memmove(dst, src, n * bytes);                                                 \
            return;                                                                              \
        }                                                                                        \
        for (size_t i = 0; i < n; i++, src += ss, dst += ds) memcpy(dst, src, bytes);            \
    }
DEF_COPY(1, uint8_t)
DEF_COPY(2, uint16_t)
DEF_COPY(4, uint32_t)
DEF_COPY(8, uint64_t)

/* Kernel-table conversions when both sides are contiguous. */
static void k_f32_f16(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) {
    if (ss == 4 && ds == 2 && ((uintptr_t)src & 3) == 0 && ((uintptr_t)dst & 1) == 0)
        bni_cpu_kernels_get()->f32_to_f16((const float *)(const void *)src, (uint16_t *)(void *)dst, n);
    else
        for (size_t i = 0; i < n; i++, src += ss, dst += ds) {
            float f;
            memcpy(&f, src, 4);
            uint16_t h = bn_f32_to_f16(f);
            memcpy(dst, &h, 2);
        }
}
static void k_f16_f32(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) {
    if (ss == 2 && ds == 4 && ((uintptr_t)src & 1) == 0 && ((uintptr_t)dst & 3) == 0)
        bni_cpu_kernels_get()->f16_to_f32((const uint16_t *)(const void *)src, (float *)(void *)dst, n);
    else cvt_f16_f32(src, ss, dst, ds, n);
}
static void k_f32_bf16(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) {
    if (ss == 4 && ds == 2 && ((uintptr_t)src & 3) == 0 && ((uintptr_t)dst & 1) == 0)
        bni_cpu_kernels_get()->f32_to_bf16((const float *)(const void *)src, (uint16_t *)(void *)dst, n);
    else
        for (size_t i = 0; i < n; i++, src += ss, dst += ds) {
            float f;
            memcpy(&f, src, 4);
            uint16_t h = bn_f32_to_bf16(f);
            memcpy(dst, &h, 2);
        }
}
static void k_bf16_f32(const char *src, ptrdiff_t ss, char *dst, ptrdiff_t ds, size_t n) {
    if (ss == 2 && ds == 4 && ((uintptr_t)src & 1) == 0 && ((uintptr_t)dst & 3) == 0)
        bni_cpu_kernels_get()->bf16_to_f32((const uint16_t *)(const void *)src, (float *)(void *)dst, n);
    else cvt_bf16_f32(src, ss, dst, ds, n);
}

bni_cvt_fn bni_cvt_get(bn_dtype src, bn_dtype dst) {
    if (src == dst) {
        switch (bni_dtype_size(src)) {
        case 1: return copy_1;
        case 2: return copy_2;
        case 4: return copy_4;
        default: return copy_8;
        }
    }
    if (src == BN_DTYPE_F32 && dst == BN_DTYPE_F16) return k_f32_f16;
    if (src == BN_DTYPE_F16 && dst == BN_DTYPE_F32) return k_f16_f32;
    if (src == BN_DTYPE_F32 && dst == BN_DTYPE_BF16) return k_f32_bf16;
    if (src == BN_DTYPE_BF16 && dst == BN_DTYPE_F32) return k_bf16_f32;
    return k_cvt[src][dst];
}

double bni_load_f64(bn_dtype dtype, const void *p) {
    double d;
    k_cvt[dtype][BN_DTYPE_F64]((const char *)p, 0, (char *)&d, 0, 1);
    return d;
}

void bni_store_f64(bn_dtype dtype, void *p, double value) {
    k_cvt[BN_DTYPE_F64][dtype]((const char *)&value, 0, (char *)p, 0, 1);
}

/* ---- packed dtypes ---------------------------------------------------- */

int bni_packed_get(bn_dtype dtype, const uint8_t *base, int64_t e) {
    switch (dtype) {
    case BN_DTYPE_TERNARY: return (int)((base[e >> 2] >> ((e & 3) * 2)) & 3u) - 1;
    case BN_DTYPE_BINARY: return ((base[e >> 3] >> (e & 7)) & 1u) ? 1 : -1;
    case BN_DTYPE_INT4:
    case BN_DTYPE_QINT4: {
        int v = (base[e >> 1] >> ((e & 1) * 4)) & 0xF;
        return v >= 8 ? v - 16 : v;
    }
    case BN_DTYPE_QINT8: return (int8_t)base[e];
    default: return 0;
    }
}

void bni_packed_set(bn_dtype dtype, uint8_t *base, int64_t e, int code) {
    switch (dtype) {
    case BN_DTYPE_TERNARY: {
        unsigned sh = (unsigned)(e & 3) * 2;
        base[e >> 2] = (uint8_t)((base[e >> 2] & ~(3u << sh)) | ((unsigned)(code + 1) << sh));
        break;
    }
    case BN_DTYPE_BINARY: {
        unsigned sh = (unsigned)(e & 7);
        base[e >> 3] = (uint8_t)((base[e >> 3] & ~(1u << sh)) | ((code > 0 ? 1u : 0u) << sh));
        break;
    }
    case BN_DTYPE_INT4:
    case BN_DTYPE_QINT4: {
        unsigned sh = (unsigned)(e & 1) * 4;
        base[e >> 1] = (uint8_t)((base[e >> 1] & ~(0xFu << sh)) | (((unsigned)code & 0xFu) << sh));
        break;
    }
    case BN_DTYPE_QINT8: base[e] = (uint8_t)(int8_t)code; break;
    default: break;
    }
}


/* Scale of one group and the factor that maps a value to its code. */
static void group_scale(bn_dtype dtype, const float *x, int64_t n, float *scale, float *inv) {
    double acc = 0.0;
    switch (dtype) {
    case BN_DTYPE_TERNARY: {
        for (int64_t i = 0; i < n; i++) acc += fabs((double)x[i]);
        float m = n ? (float)(acc / (double)n) : 0.0f;
        if (!(m >= 1e-5f) && m == m) m = 1e-5f;
        *inv = 1.0f / m; /* s = 1 / max(mean|x|, 1e-5) */
        *scale = m;      /* = 1 / s */
        break;
    }
    case BN_DTYPE_BINARY: {
        for (int64_t i = 0; i < n; i++) acc += fabs((double)x[i]);
        *scale = n ? (float)(acc / (double)n) : 0.0f;
        *inv = 1.0f;
        break;
    }
    default: { /* qint8 / qint4: absmax */
        float mx = 0.0f;
        int nan = 0;
        for (int64_t i = 0; i < n; i++) {
            float a = fabsf(x[i]);
            if (a != a) nan = 1;
            else if (a > mx) mx = a;
        }
        float qmax = dtype == BN_DTYPE_QINT8 ? 127.0f : 7.0f;
        float s = mx / qmax;
        if (nan) s = NAN;
        else if (mx == 0.0f || s == 0.0f) s = 1.0f; /* all zero (or too small to express): scale 1, codes 0 */
        *scale = s;
        *inv = 1.0f / s;
        break;
    }
    }
}

/* Pack n codes into elements [e0, e0 + n): whole bytes at a time where the
 * elements are byte-aligned, read-modify-write at the edges. */
static void pack_codes(bn_dtype dtype, const int8_t *c, int64_t n, uint8_t *base, int64_t e0) {
    int per = 8 / bni_dtype_info(dtype)->bits;
    int64_t i = 0;
    for (; i < n && (e0 + i) % per != 0; i++) bni_packed_set(dtype, base, e0 + i, c[i]);
    uint8_t *p = base + (e0 + i) / per;
    switch (dtype) {
    case BN_DTYPE_TERNARY:
        for (; i + 4 <= n; i += 4)
            *p++ = (uint8_t)((c[i] + 1) | (c[i + 1] + 1) << 2 | (c[i + 2] + 1) << 4 | (c[i + 3] + 1) << 6);
        break;
    case BN_DTYPE_BINARY:
        for (; i + 8 <= n; i += 8) {
            unsigned b = 0;
            for (int k = 0; k < 8; k++) b |= (unsigned)(c[i + k] > 0) << k;
            *p++ = (uint8_t)b;
        }
        break;
    case BN_DTYPE_INT4:
    case BN_DTYPE_QINT4:
        for (; i + 2 <= n; i += 2) *p++ = (uint8_t)((c[i] & 0xF) | (c[i + 1] & 0xF) << 4);
        break;
    case BN_DTYPE_QINT8:
        memcpy(p, c + i, (size_t)(n - i));
        i = n;
        break;
    default: break;
    }
    for (; i < n; i++) bni_packed_set(dtype, base, e0 + i, c[i]);
}

#define QCHUNK 1024

/* rint (half to even under the default rounding mode) and clamp to
 * [lo, hi], without a libm call; NaN gives 0. */
static inline int8_t round_clamp(float q, float lo, float hi) {
    float c = q > lo - 1.0f ? q : lo - 1.0f; /* NaN becomes lo - 1 here, 0 below */
    c = c < hi + 1.0f ? c : hi + 1.0f;
    c = (c + 12582912.0f) - 12582912.0f; /* 1.5 * 2^23 */
    c = c > lo ? c : lo;
    c = c < hi ? c : hi;
    return (int8_t)(int)(q == q ? c : 0.0f);
}

void bni_quantize_f32(bn_dtype dtype, const float *x, int64_t n, int64_t group, uint8_t *base, int64_t e0,
                      float *scales) {
    const bn_dtype_info *info = bni_dtype_info(dtype);
    const float lo = (float)info->code_min, hi = (float)info->code_max;
    int8_t codes[QCHUNK];
    for (int64_t g0 = 0, gi = 0; g0 < n; g0 += group, gi++) {
        int64_t len = n - g0 < group ? n - g0 : group;
        const float *xs = x + g0;
        float scale, inv;
        group_scale(dtype, xs, len, &scale, &inv);
        scales[gi] = scale;
        for (int64_t c0 = 0; c0 < len; c0 += QCHUNK) {
            int64_t m = len - c0 < QCHUNK ? len - c0 : QCHUNK;
            const float *xc = xs + c0;
            if (dtype == BN_DTYPE_BINARY) {
                for (int64_t i = 0; i < m; i++) codes[i] = xc[i] >= 0.0f ? 1 : -1;
            } else if (dtype == BN_DTYPE_TERNARY) {
                for (int64_t i = 0; i < m; i++) codes[i] = round_clamp(xc[i] * inv, lo, hi);
            } else {
                for (int64_t i = 0; i < m; i++) codes[i] = round_clamp(xc[i] / scale, lo, hi);
            }
            pack_codes(dtype, codes, m, base, e0 + g0 + c0);
        }
    }
}

void bni_quantize_one(bn_dtype dtype, double value, int *code, float *scale) {
    float x = (float)value;
    uint8_t byte = 0;
    if (dtype == BN_DTYPE_INT4) {
        int64_t v = sat_f_i(value, -8, 7);
        *code = (int)v;
        *scale = 1.0f;
        return;
    }
    bni_quantize_f32(dtype, &x, 1, 1, &byte, 0, scale);
    *code = bni_packed_get(dtype, &byte, 0);
}

void bni_pack_int4(const int8_t *x, int64_t n, uint8_t *base, int64_t e0) {
    int8_t codes[QCHUNK];
    for (int64_t c0 = 0; c0 < n; c0 += QCHUNK) {
        int64_t m = n - c0 < QCHUNK ? n - c0 : QCHUNK;
        for (int64_t i = 0; i < m; i++) {
            int8_t v = x[c0 + i];
            codes[i] = (int8_t)(v < -8 ? -8 : v > 7 ? 7 : v);
        }
        pack_codes(BN_DTYPE_INT4, codes, m, base, e0 + c0);
    }
}

void bni_dequantize_f32(bn_dtype dtype, const uint8_t *base, int64_t e0, int64_t n, const float *scales,
                        int64_t group, float *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t e = e0 + i;
        float s = scales ? scales[e / group] : 1.0f;
        out[i] = (float)bni_packed_get(dtype, base, e) * s;
    }
}
