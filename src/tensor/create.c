/* Creation: empty, zeros, ones, full, arange, linspace, eye, from_data,
 * wrap, rand and randn. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "tensor/tensor_internal.h"

#define SHAPE_BUF 192

bn_status bn_tensor_empty(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out) {
    return bni_tensor_alloc("bn_tensor_empty", ctx, dtype, ndim, shape, 0, out);
}

bn_status bn_tensor_empty_quantized(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                                    int64_t group_size, bn_tensor **out) {
    if (bni_dtype_valid(dtype) && !bni_dtype_info(dtype)->has_scale)
        return bni_error(BN_ERR_DTYPE, "bn_tensor_empty_quantized: %s has no scales (use ternary, binary, qint8 "
                         "or qint4)", bn_dtype_name(dtype));
    return bni_tensor_alloc("bn_tensor_empty_quantized", ctx, dtype, ndim, shape, group_size, out);
}

/* Fill a freshly allocated tensor (whole storage) with one value. */
static void fill_value(bn_tensor *t, double value) {
    bni_storage *s = t->storage;
    int64_t n = s->numel;
    if (bni_dtype_is_packed(t->dtype)) {
        int code;
        float scale;
        bni_quantize_one(t->dtype, value, &code, &scale);
        uint8_t byte = 0;
        int per = 8 / bni_dtype_info(t->dtype)->bits;
        for (int i = 0; i < per; i++) bni_packed_set(t->dtype, &byte, i, code);
        memset(s->data, byte, s->nbytes);
        for (int64_t i = 0; i < s->nscales; i++) s->scales[i] = scale;
        return;
    }
    size_t es = bni_dtype_size(t->dtype);
    char *d = (char *)s->data;
    if (n == 0) return;
    bni_store_f64(t->dtype, d, value);
    int all_zero = 1;
    for (size_t i = 0; i < es; i++) all_zero &= d[i] == 0;
    if (all_zero) {
        memset(d, 0, s->nbytes);
        return;
    }
    /* doubling copies */
    size_t done = es, total = s->nbytes;
    while (done < total) {
        size_t c = done < total - done ? done : total - done;
        memcpy(d + done, d, c);
        done += c;
    }
}

bn_status bn_tensor_full(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double value,
                         bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_full", out);
    bn_tensor *t;
    bn_status st = bni_tensor_alloc("bn_tensor_full", ctx, dtype, ndim, shape, 0, &t);
    if (st) return st;
    fill_value(t, value);
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_zeros(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_zeros", out);
    bn_tensor *t;
    bn_status st = bni_tensor_alloc("bn_tensor_zeros", ctx, dtype, ndim, shape, 0, &t);
    if (st) return st;
    fill_value(t, 0.0);
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_ones(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, bn_tensor **out) {
    BNI_CHECK_NULL("bn_tensor_ones", out);
    bn_tensor *t;
    bn_status st = bni_tensor_alloc("bn_tensor_ones", ctx, dtype, ndim, shape, 0, &t);
    if (st) return st;
    fill_value(t, 1.0);
    *out = t;
    return BN_OK;
}

static bn_status check_numeric(const char *fn, bn_dtype dtype) {
    if (!bni_dtype_valid(dtype)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)dtype);
    bn_dtype_kind k = bni_dtype_info(dtype)->kind;
    if (k == BN_KIND_BOOL || k == BN_KIND_PACKED)
        return bni_error(BN_ERR_DTYPE, "%s: dtype %s is not a float or integer dtype", fn, bn_dtype_name(dtype));
    return BN_OK;
}

bn_status bn_tensor_arange(bn_ctx *ctx, bn_dtype dtype, double start, double stop, double step,
                           bn_tensor **out) {
    static const char fn[] = "bn_tensor_arange";
    BNI_CHECK_NULL("bn_tensor_arange", ctx);
    BNI_CHECK_NULL("bn_tensor_arange", out);
    bn_status st = check_numeric(fn, dtype);
    if (st) return st;
    if (!isfinite(start) || !isfinite(stop))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: start %g and stop %g must be finite", fn, start, stop);
    if (step == 0.0 || !isfinite(step))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: step %g must be non-zero and finite", fn, step);
    double len = ceil((stop - start) / step);
    if (!(len >= 0.0)) len = 0.0;
    if (len >= 9.2e18)
        return bni_error(BN_ERR_OVERFLOW, "%s: %g elements (start %g, stop %g, step %g) are too many", fn, len,
                         start, stop, step);
    int64_t n = (int64_t)len;
    bn_tensor *t;
    if ((st = bni_tensor_alloc(fn, ctx, dtype, 1, &n, 0, &t))) return st;
    size_t es = bni_dtype_size(dtype);
    char *d = (char *)t->storage->data;
    for (int64_t i = 0; i < n; i++) bni_store_f64(dtype, d + (size_t)i * es, start + (double)i * step);
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_linspace(bn_ctx *ctx, bn_dtype dtype, double start, double stop, int64_t n,
                             bn_tensor **out) {
    static const char fn[] = "bn_tensor_linspace";
    BNI_CHECK_NULL("bn_tensor_linspace", ctx);
    BNI_CHECK_NULL("bn_tensor_linspace", out);
    bn_status st = check_numeric(fn, dtype);
    if (st) return st;
    if (n < 0) return bni_error(BN_ERR_SHAPE, "%s: negative count %" PRId64, fn, n);
    if (!isfinite(start) || !isfinite(stop))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: start %g and stop %g must be finite", fn, start, stop);
    bn_tensor *t;
    if ((st = bni_tensor_alloc(fn, ctx, dtype, 1, &n, 0, &t))) return st;
    size_t es = bni_dtype_size(dtype);
    char *d = (char *)t->storage->data;
    double div = (double)(n - 1), delta = stop - start;
    double step = n > 1 ? delta / div : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = step != 0.0 ? start + (double)i * step : start + (double)i / div * delta;
        if (n > 1 && i == n - 1) v = stop;
        if (n == 1) v = start;
        bni_store_f64(dtype, d + (size_t)i * es, v);
    }
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_eye(bn_ctx *ctx, bn_dtype dtype, int64_t rows, int64_t cols, bn_tensor **out) {
    static const char fn[] = "bn_tensor_eye";
    BNI_CHECK_NULL("bn_tensor_eye", out);
    if (bni_dtype_valid(dtype) && bni_dtype_is_packed(dtype))
        return bni_error(BN_ERR_DTYPE, "%s: packed dtype %s is not supported", fn, bn_dtype_name(dtype));
    int64_t shape[2] = {rows, cols};
    bn_tensor *t;
    bn_status st = bni_tensor_alloc(fn, ctx, dtype, 2, shape, 0, &t);
    if (st) return st;
    memset(t->storage->data, 0, t->storage->nbytes);
    size_t es = bni_dtype_size(dtype);
    char *d = (char *)t->storage->data;
    int64_t m = rows < cols ? rows : cols;
    for (int64_t i = 0; i < m; i++) bni_store_f64(dtype, d + (size_t)(i * cols + i) * es, 1.0);
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_from_data(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, const void *data,
                              size_t nbytes, bn_tensor **out) {
    static const char fn[] = "bn_tensor_from_data";
    BNI_CHECK_NULL("bn_tensor_from_data", ctx);
    BNI_CHECK_NULL("bn_tensor_from_data", out);
    if (data == NULL && nbytes > 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: data is NULL", fn);
    if (!bni_dtype_valid(dtype)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)dtype);
    int64_t numel;
    bn_status st = bni_check_shape(fn, ndim, shape, &numel);
    if (st) return st;
    size_t need;
    if (bn_dtype_storage_bytes(dtype, numel, &need) != BN_OK || need != nbytes) {
        char a[SHAPE_BUF];
        bni_format_shape(a, sizeof a, ndim, shape);
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %zu bytes given for %s%s, which needs %zu", fn, nbytes,
                         bn_dtype_name(dtype), a, need);
    }
    bn_tensor *t;
    if ((st = bni_tensor_alloc(fn, ctx, dtype, ndim, shape, 0, &t))) return st;
    if (nbytes) memcpy(t->storage->data, data, nbytes);
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_wrap(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, const int64_t *strides,
                         void *data, size_t nbytes, bn_release_fn release, void *user, bn_tensor **out) {
    static const char fn[] = "bn_tensor_wrap";
    BNI_CHECK_NULL("bn_tensor_wrap", ctx);
    BNI_CHECK_NULL("bn_tensor_wrap", out);
    if (data == NULL && nbytes > 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: data is NULL", fn);
    if (!bni_dtype_valid(dtype)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)dtype);
    if (bni_dtype_is_packed(dtype))
        return bni_error(BN_ERR_DTYPE, "%s: packed dtype %s cannot be wrapped; use bn_tensor_from_data", fn,
                         bn_dtype_name(dtype));
    int64_t numel;
    bn_status st = bni_check_shape(fn, ndim, shape, &numel);
    if (st) return st;
    int64_t str[BN_MAX_DIMS];
    if (strides) memcpy(str, strides, (size_t)ndim * sizeof *str);
    else bni_contiguous_strides(ndim, shape, str);
    if (numel > 0) {
        /* lowest and highest element reached, in elements from data */
        int64_t lo = 0, hi = 0;
        int bad = 0;
        for (int i = 0; i < ndim; i++) {
            int64_t span;
            if (__builtin_mul_overflow(str[i], shape[i] - 1, &span)) bad = 1;
            else if (span < 0) bad |= __builtin_add_overflow(lo, span, &lo);
            else bad |= __builtin_add_overflow(hi, span, &hi);
        }
        size_t es = bni_dtype_size(dtype);
        uint64_t end;
        if (!bad && (lo < 0 || __builtin_mul_overflow((uint64_t)hi + 1, (uint64_t)es, &end) || end > nbytes))
            bad = 1;
        if (bad) {
            char a[SHAPE_BUF], b[SHAPE_BUF];
            bni_format_shape(a, sizeof a, ndim, shape);
            bni_format_shape(b, sizeof b, ndim, str);
            return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s%s with strides %s reaches elements %" PRId64
                             " to %" PRId64 ", outside the %zu bytes given", fn, bn_dtype_name(dtype), a, b, lo, hi,
                             nbytes);
        }
    }
    bn_pool *pool = bn_ctx_pool(ctx);
    bni_storage *s = NULL;
    bn_tensor *t = NULL;
    if ((st = BN_POOL_ALLOC(pool, sizeof *s, BNI_TAG_HANDLE, (void **)&s)) != BN_OK ||
        (st = BN_POOL_ALLOC(pool, sizeof *t, BNI_TAG_HANDLE, (void **)&t)) != BN_OK) {
        if (s) bn_pool_release(pool, s);
        return bni_error(st, "%s: cannot allocate a tensor handle: %s", fn, bn_status_str(st));
    }
    memset(s, 0, sizeof *s);
    atomic_init(&s->refs, 1);
    s->ctx = ctx;
    s->pool = pool;
    s->device = bn_ctx_device(ctx);
    s->data = data;
    s->nbytes = nbytes;
    s->release = release;
    s->user = user;
    s->numel = numel;
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->strides[i] = str[i];
    }
    t->storage = s;
    *out = t;
    return BN_OK;
}

/* ---- random ----------------------------------------------------------- */

typedef struct rng_job {
    bn_dtype dtype;
    char *data;
    int64_t n;
    uint64_t first;
    uint32_t key[2];
    int normal;
    double a, b;     /* rand: low, high - low; randn: mean, std */
    double high;     /* rand: exclusive bound */
    double below;    /* rand: largest value of dtype below high */
} rng_job;

static void rng_store(const rng_job *j, int64_t i, double v) {
    switch (j->dtype) {
    case BN_DTYPE_F32: {
        float f = (float)v;
        if (!j->normal && (double)f >= j->high) f = (float)j->below;
        memcpy(j->data + i * 4, &f, 4);
        break;
    }
    case BN_DTYPE_F64:
        if (!j->normal && v >= j->high) v = j->below;
        memcpy(j->data + i * 8, &v, 8);
        break;
    default: {
        char *p = j->data + i * 2;
        bni_store_f64(j->dtype, p, v);
        if (!j->normal && bni_load_f64(j->dtype, p) >= j->high) bni_store_f64(j->dtype, p, j->below);
        break;
    }
    }
}

static void rng_range(void *arg, size_t begin, size_t end, int thread) {
    const rng_job *j = (const rng_job *)arg;
    (void)thread;
    for (size_t c = begin; c < end; c++) {
        uint64_t ctr64 = j->first + c;
        uint32_t ctr[4] = {(uint32_t)ctr64, (uint32_t)(ctr64 >> 32), 0, 0}, w[4];
        bn_philox4x32_10(ctr, j->key, w);
        int64_t i0 = (int64_t)c * 4;
        if (!j->normal) {
            for (int k = 0; k < 4 && i0 + k < j->n; k++)
                rng_store(j, i0 + k, j->a + j->b * ((double)w[k] * 0x1p-32));
        } else {
            for (int k = 0; k < 4 && i0 + k < j->n; k += 2) {
                double u1 = ((double)w[k] + 1.0) * 0x1p-32; /* (0, 1] */
                double u2 = (double)w[k + 1] * 0x1p-32;
                double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
                rng_store(j, i0 + k, j->a + j->b * r * cos(th));
                if (i0 + k + 1 < j->n) rng_store(j, i0 + k + 1, j->a + j->b * r * sin(th));
            }
        }
    }
}

/* Largest value of a float dtype strictly below x. */
static double below_in(bn_dtype dtype, double x) {
    char buf[8];
    bni_store_f64(dtype, buf, x);
    double v = bni_load_f64(dtype, buf);
    for (int guard = 0; v >= x && guard < 4; guard++) {
        switch (dtype) {
        case BN_DTYPE_F64: v = nextafter(v, -INFINITY); break;
        case BN_DTYPE_F32: v = (double)nextafterf((float)v, -INFINITY); break;
        default: {
            uint16_t h;
            bni_store_f64(dtype, &h, v);
            if (h == 0x0000) h = 0x8001;
            else if (h & 0x8000) h++;
            else h--;
            v = bni_load_f64(dtype, &h);
            break;
        }
        }
    }
    return v;
}

static bn_status make_random(const char *fn, bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape,
                             int normal, double a, double b, bn_tensor **out) {
    if (!bni_dtype_valid(dtype)) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn, (int)dtype);
    if (bni_dtype_info(dtype)->kind != BN_KIND_FLOAT)
        return bni_error(BN_ERR_DTYPE, "%s: dtype %s is not a float dtype", fn, bn_dtype_name(dtype));
    bn_tensor *t;
    bn_status st = bni_tensor_alloc(fn, ctx, dtype, ndim, shape, 0, &t);
    if (st) return st;
    rng_job j;
    memset(&j, 0, sizeof j);
    j.dtype = dtype;
    j.data = (char *)t->storage->data;
    j.n = t->storage->numel;
    j.normal = normal;
    j.a = a;
    j.b = normal ? b : b - a;
    j.high = b;
    if (!normal) j.below = below_in(dtype, b);
    uint64_t counters = ((uint64_t)j.n + 3) / 4;
    uint64_t seed = bn_ctx_seed(ctx);
    j.key[0] = (uint32_t)seed;
    j.key[1] = (uint32_t)(seed >> 32);
    j.first = counters ? bn_ctx_rng_reserve(ctx, counters) : 0;
    if (counters) {
        st = bn_ctx_parallel_for(ctx, (size_t)counters, 4096, rng_range, &j);
        if (st) {
            bn_tensor_free(t);
            return st;
        }
    }
    *out = t;
    return BN_OK;
}

bn_status bn_tensor_rand(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double low, double high,
                         bn_tensor **out) {
    static const char fn[] = "bn_tensor_rand";
    BNI_CHECK_NULL("bn_tensor_rand", ctx);
    BNI_CHECK_NULL("bn_tensor_rand", out);
    if (!isfinite(low) || !isfinite(high) || !(low < high))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: bounds [%g, %g) must be finite with low < high", fn, low,
                         high);
    return make_random(fn, ctx, dtype, ndim, shape, 0, low, high, out);
}

bn_status bn_tensor_randn(bn_ctx *ctx, bn_dtype dtype, int ndim, const int64_t *shape, double mean, double std,
                          bn_tensor **out) {
    static const char fn[] = "bn_tensor_randn";
    BNI_CHECK_NULL("bn_tensor_randn", ctx);
    BNI_CHECK_NULL("bn_tensor_randn", out);
    if (!isfinite(mean) || !isfinite(std) || std < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: mean %g and std %g must be finite with std >= 0", fn, mean,
                         std);
    return make_random(fn, ctx, dtype, ndim, shape, 1, mean, std, out);
}
