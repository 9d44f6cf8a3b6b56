/* Sequence operations (include/bitnet/sequence.h): padding, truncation,
 * masks from lengths, length-bucketed batching and statistics. */
#include "bitnet/sequence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

void bn_pad_options_default(bn_pad_options *opt) {
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->strategy = BN_PAD_LONGEST;
    opt->side = BN_SIDE_RIGHT;
    opt->ids_dtype = BN_DTYPE_I32;
    opt->mask_dtype = BN_DTYPE_I64;
}

void bn_mask_options_default(bn_mask_options *opt) {
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->dtype = BN_DTYPE_BOOL;
}

/* Write an integer value at element i of a contiguous buffer. */
static void put(void *data, bn_dtype dt, size_t i, int64_t v) {
    switch (dt) {
    case BN_DTYPE_BOOL:
    case BN_DTYPE_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case BN_DTYPE_I32: ((int32_t *)data)[i] = (int32_t)v; break;
    case BN_DTYPE_I64: ((int64_t *)data)[i] = v; break;
    case BN_DTYPE_F32: ((float *)data)[i] = (float)v; break;
    default: break;
    }
}

static bn_status check_pad(const char *who, const bn_pad_options *o) {
    if (o->strategy != BN_PAD_LONGEST && o->strategy != BN_PAD_FIXED)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown padding strategy %d", who, (int)o->strategy);
    if (o->strategy == BN_PAD_FIXED && o->length < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: fixed length %lld is negative", who, (long long)o->length);
    if (o->multiple_of < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: multiple_of %lld is negative", who, (long long)o->multiple_of);
    if (o->side != BN_SIDE_LEFT && o->side != BN_SIDE_RIGHT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown side %d", who, (int)o->side);
    if (o->ids_dtype != BN_DTYPE_I32 && o->ids_dtype != BN_DTYPE_I64)
        return bni_error(BN_ERR_DTYPE, "%s: ids dtype %s is not i32 or i64", who, bn_dtype_name(o->ids_dtype));
    if (o->mask_dtype != BN_DTYPE_BOOL && o->mask_dtype != BN_DTYPE_U8 && o->mask_dtype != BN_DTYPE_I32 &&
        o->mask_dtype != BN_DTYPE_I64 && o->mask_dtype != BN_DTYPE_F32)
        return bni_error(BN_ERR_DTYPE, "%s: mask dtype %s is not bool, u8, i32, i64 or f32", who,
                         bn_dtype_name(o->mask_dtype));
    return BN_OK;
}

static bn_status padded_length(const char *who, size_t count, const size_t *lens, const bn_pad_options *o,
                               int64_t *length) {
    bn_status st = check_pad(who, o);
    if (st) return st;
    size_t longest = 0;
    for (size_t i = 0; i < count; i++)
        if (lens[i] > longest) longest = lens[i];
    if (longest > (size_t)INT64_MAX / 2) return bni_error(BN_ERR_OVERFLOW, "%s: length %zu too large", who, longest);
    int64_t L = (int64_t)longest;
    if (o->strategy == BN_PAD_FIXED) {
        for (size_t i = 0; i < count; i++)
            if ((int64_t)lens[i] > o->length)
                return bni_error(BN_ERR_OUT_OF_RANGE,
                                 "%s: sequence %zu has %zu tokens, more than the fixed length %lld: truncate first",
                                 who, i, lens[i], (long long)o->length);
        L = o->length;
    }
    if (o->multiple_of > 1 && L % o->multiple_of) L += o->multiple_of - L % o->multiple_of;
    *length = L;
    return BN_OK;
}

bn_status bn_seq_padded_length(size_t count, const size_t *lens, const bn_pad_options *opt, int64_t *length) {
    BNI_CHECK_NULL("bn_seq_padded_length", length);
    if (count && !lens) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_padded_length: lens is NULL");
    bn_pad_options d;
    if (!opt) {
        bn_pad_options_default(&d);
        opt = &d;
    }
    return padded_length("bn_seq_padded_length", count, lens, opt, length);
}

/* Reads id k of sequence i. */
typedef int64_t (*id_reader)(const void *src, size_t i, size_t k);

static int64_t read_arrays(const void *src, size_t i, size_t k) {
    return ((const int32_t *const *)src)[i][k];
}

static int64_t read_tensors(const void *src, size_t i, size_t k) {
    const bn_tensor *t = ((const bn_tensor *const *)src)[i];
    int64_t off = (int64_t)k * bn_tensor_strides(t)[0];
    const char *base = bn_tensor_data(t);
    if (bn_tensor_dtype(t) == BN_DTYPE_I32) return ((const int32_t *)base)[off];
    return ((const int64_t *)base)[off];
}

static bn_status pad_impl(const char *who, bn_ctx *ctx, size_t count, const void *src, id_reader rd,
                          const size_t *lens, const bn_pad_options *o, bn_tensor **ids_out, bn_tensor **mask_out) {
    int64_t L;
    bn_status st = padded_length(who, count, lens, o, &L);
    if (st) return st;
    int64_t shape[2] = {(int64_t)count, L};
    bn_tensor *ids = NULL, *mask = NULL;
    if ((st = bn_tensor_empty(ctx, o->ids_dtype, 2, shape, &ids))) return st;
    if (mask_out && (st = bn_tensor_empty(ctx, o->mask_dtype, 2, shape, &mask))) {
        bn_tensor_free(ids);
        return st;
    }
    void *idd = bn_tensor_data(ids), *md = mask ? bn_tensor_data(mask) : NULL;
    for (size_t i = 0; i < count; i++) {
        size_t n = lens[i], pad = (size_t)L - n;
        size_t first = o->side == BN_SIDE_LEFT ? pad : 0; /* column of the first token */
        size_t row = i * (size_t)L;
        for (size_t c = 0; c < (size_t)L; c++) {
            int real = c >= first && c < first + n;
            put(idd, o->ids_dtype, row + c, real ? rd(src, i, c - first) : o->pad_id);
            if (md) put(md, o->mask_dtype, row + c, real);
        }
    }
    *ids_out = ids;
    if (mask_out) *mask_out = mask;
    return BN_OK;
}

bn_status bn_seq_pad(bn_ctx *ctx, size_t count, const int32_t *const *ids, const size_t *lens,
                     const bn_pad_options *opt, bn_tensor **ids_out, bn_tensor **mask_out) {
    static const char who[] = "bn_seq_pad";
    BNI_CHECK_NULL("bn_seq_pad", ctx);
    BNI_CHECK_NULL("bn_seq_pad", ids_out);
    if (count == 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_pad: empty batch");
    BNI_CHECK_NULL("bn_seq_pad", ids);
    BNI_CHECK_NULL("bn_seq_pad", lens);
    for (size_t i = 0; i < count; i++)
        if (!ids[i] && lens[i])
            return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_pad: sequence %zu is NULL with length %zu", i, lens[i]);
    bn_pad_options d;
    if (!opt) {
        bn_pad_options_default(&d);
        opt = &d;
    }
    return pad_impl(who, ctx, count, ids, read_arrays, lens, opt, ids_out, mask_out);
}

bn_status bn_seq_pad_tensors(bn_ctx *ctx, size_t count, const bn_tensor *const *seqs, const bn_pad_options *opt,
                             bn_tensor **ids_out, bn_tensor **mask_out) {
    BNI_CHECK_NULL("bn_seq_pad_tensors", ctx);
    BNI_CHECK_NULL("bn_seq_pad_tensors", ids_out);
    if (count == 0) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_pad_tensors: empty batch");
    BNI_CHECK_NULL("bn_seq_pad_tensors", seqs);
    size_t *lens = bni_malloc(count * sizeof *lens);
    if (!lens) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_seq_pad_tensors: out of memory");
    for (size_t i = 0; i < count; i++) {
        const bn_tensor *t = seqs[i];
        bn_status st = BN_OK;
        if (!t) st = bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_pad_tensors: tensor %zu is NULL", i);
        else if (bn_tensor_ndim(t) != 1)
            st = bni_error(BN_ERR_SHAPE, "bn_seq_pad_tensors: tensor %zu has %d dimensions, not 1", i, bn_tensor_ndim(t));
        else if (bn_tensor_dtype(t) != BN_DTYPE_I32 && bn_tensor_dtype(t) != BN_DTYPE_I64)
            st = bni_error(BN_ERR_DTYPE, "bn_seq_pad_tensors: tensor %zu is %s, not i32 or i64", i,
                           bn_dtype_name(bn_tensor_dtype(t)));
        if (st) {
            bni_free(lens);
            return st;
        }
        lens[i] = (size_t)bn_tensor_dim(t, 0);
    }
    bn_pad_options d;
    if (!opt) {
        bn_pad_options_default(&d);
        opt = &d;
    }
    bn_status st = pad_impl("bn_seq_pad_tensors", ctx, count, seqs, read_tensors, lens, opt, ids_out, mask_out);
    bni_free(lens);
    return st;
}

/* ---- truncation ------------------------------------------------------------------- */

static void cut(int32_t *ids, size_t len, size_t keep, bn_side side) {
    if (side == BN_SIDE_LEFT && keep < len && keep) memmove(ids, ids + (len - keep), keep * sizeof *ids);
}

bn_status bn_seq_truncate(int32_t *ids, size_t *len, size_t max_len, bn_side side) {
    BNI_CHECK_NULL("bn_seq_truncate", len);
    if (!ids && *len) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_truncate: ids is NULL with length %zu", *len);
    if (side != BN_SIDE_LEFT && side != BN_SIDE_RIGHT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_truncate: unknown side %d", (int)side);
    if (*len <= max_len) return BN_OK;
    cut(ids, *len, max_len, side);
    *len = max_len;
    return BN_OK;
}

bn_status bn_seq_truncate_pair(int32_t *a, size_t *len_a, int32_t *b, size_t *len_b, size_t max_total,
                               bn_trunc_strategy strategy, bn_side side) {
    BNI_CHECK_NULL("bn_seq_truncate_pair", len_a);
    BNI_CHECK_NULL("bn_seq_truncate_pair", len_b);
    if ((!a && *len_a) || (!b && *len_b))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_truncate_pair: a sequence is NULL with a length");
    if (side != BN_SIDE_LEFT && side != BN_SIDE_RIGHT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_truncate_pair: unknown side %d", (int)side);
    size_t na = *len_a, nb = *len_b;
    if (na + nb <= max_total) return BN_OK;
    size_t excess = na + nb - max_total, ka = na, kb = nb;
    switch (strategy) {
    case BN_TRUNC_LONGEST_FIRST: {
        /* one at a time from the longer, the second on ties: equalize, then
         * split what is left, the second losing the odd one */
        size_t diff = na > nb ? na - nb : nb - na, first = excess < diff ? excess : diff;
        if (na > nb) ka -= first;
        else kb -= first;
        size_t rest = excess - first;
        kb -= (rest + 1) / 2;
        ka -= rest / 2;
        break;
    }
    case BN_TRUNC_ONLY_FIRST:
        if (excess > na)
            return bni_error(BN_ERR_OUT_OF_RANGE,
                             "bn_seq_truncate_pair: cutting the first sequence (%zu) cannot bring %zu + %zu to %zu", na,
                             na, nb, max_total);
        ka -= excess;
        break;
    case BN_TRUNC_ONLY_SECOND:
        if (excess > nb)
            return bni_error(BN_ERR_OUT_OF_RANGE,
                             "bn_seq_truncate_pair: cutting the second sequence (%zu) cannot bring %zu + %zu to %zu", nb,
                             na, nb, max_total);
        kb -= excess;
        break;
    default: return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_truncate_pair: unknown strategy %d", (int)strategy);
    }
    cut(a, na, ka, side);
    cut(b, nb, kb, side);
    *len_a = ka;
    *len_b = kb;
    return BN_OK;
}

/* ---- masks ----------------------------------------------------------------------------- */

bn_status bn_seq_mask(bn_ctx *ctx, const bn_mask_options *o, bn_tensor **out) {
    static const char who[] = "bn_seq_mask";
    BNI_CHECK_NULL("bn_seq_mask", ctx);
    BNI_CHECK_NULL("bn_seq_mask", o);
    BNI_CHECK_NULL("bn_seq_mask", out);
    unsigned known = BN_MASK_PADDING | BN_MASK_CAUSAL | BN_MASK_SLIDING_WINDOW | BN_MASK_BLOCK_DIAGONAL;
    if (o->kinds & ~known) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown mask kinds 0x%x", who, o->kinds);
    if (o->batch == 0 || o->length < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: batch %zu and length %lld must be positive", who, o->batch,
                         (long long)o->length);
    if (o->dtype != BN_DTYPE_BOOL && o->dtype != BN_DTYPE_F32)
        return bni_error(BN_ERR_DTYPE, "%s: dtype %s is not bool or f32", who, bn_dtype_name(o->dtype));
    if (o->side != BN_SIDE_LEFT && o->side != BN_SIDE_RIGHT)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown side %d", who, (int)o->side);
    size_t L = (size_t)o->length;
    if ((o->kinds & BN_MASK_PADDING) && o->lengths)
        for (size_t b = 0; b < o->batch; b++)
            if (o->lengths[b] > L)
                return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: row %zu has length %zu, more than %zu positions", who, b,
                                 o->lengths[b], L);
    if ((o->kinds & BN_MASK_SLIDING_WINDOW) && o->window < 1)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: window %lld must be at least 1", who, (long long)o->window);
    if ((o->kinds & BN_MASK_BLOCK_DIAGONAL) && (!o->segment_lengths || !o->segment_counts))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: block-diagonal mask without segment lengths and counts", who);
    /* segment id of every position: -1 = in no segment */
    int64_t *seg = NULL;
    if (o->kinds & BN_MASK_BLOCK_DIAGONAL) {
        size_t total;
        if (!__builtin_mul_overflow(o->batch, L ? L : 1, &total)) seg = bni_malloc(total * sizeof *seg);
        if (!seg) return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory", who);
        size_t k = 0;
        for (size_t b = 0; b < o->batch; b++) {
            size_t pos = 0;
            for (size_t s = 0; s < o->segment_counts[b]; s++, k++) {
                size_t n = o->segment_lengths[k];
                if (n > L - pos) {
                    bni_free(seg);
                    return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: the segments of row %zu pass its %zu positions", who,
                                     b, L);
                }
                for (size_t i = 0; i < n; i++) seg[b * L + pos + i] = (int64_t)s;
                pos += n;
            }
            for (; pos < L; pos++) seg[b * L + pos] = -1;
        }
    }
    int64_t shape[3] = {(int64_t)o->batch, (int64_t)L, (int64_t)L};
    bn_tensor *t = NULL;
    bn_status st = bn_tensor_empty(ctx, o->dtype, 3, shape, &t);
    if (st) {
        bni_free(seg);
        return st;
    }
    uint8_t *mb = o->dtype == BN_DTYPE_BOOL ? bn_tensor_data(t) : NULL;
    float *mf = o->dtype == BN_DTYPE_F32 ? bn_tensor_data(t) : NULL;
    for (size_t b = 0; b < o->batch; b++) {
        size_t lo = 0, hi = L; /* real tokens are columns [lo, hi) */
        if ((o->kinds & BN_MASK_PADDING) && o->lengths) {
            size_t n = o->lengths[b];
            if (o->side == BN_SIDE_LEFT) lo = L - n;
            else hi = n;
        }
        for (size_t i = 0; i < L; i++) {
            int qreal = i >= lo && i < hi;
            for (size_t j = 0; j < L; j++) {
                int ok = 1;
                if (o->kinds & BN_MASK_PADDING) ok = qreal && j >= lo && j < hi;
                if (ok && (o->kinds & BN_MASK_CAUSAL)) ok = j <= i;
                if (ok && (o->kinds & BN_MASK_SLIDING_WINDOW)) {
                    size_t d = i > j ? i - j : j - i;
                    ok = (int64_t)d < o->window;
                }
                if (ok && seg) ok = seg[b * L + i] >= 0 && seg[b * L + i] == seg[b * L + j];
                size_t at = (b * L + i) * L + j;
                if (mb) mb[at] = (uint8_t)ok;
                else mf[at] = ok ? 0.0f : -INFINITY;
            }
        }
    }
    bni_free(seg);
    *out = t;
    return BN_OK;
}

/* ---- batching ------------------------------------------------------------------------------ */

void bn_batch_plan_free(bn_batch_plan *plan) {
    if (!plan) return;
    bni_free(plan->offsets);
    bni_free(plan->order);
    bni_free(plan->padded);
    memset(plan, 0, sizeof *plan);
}

/* stable sort of indices by length: merge sort */
static void sort_by_len(size_t *idx, size_t *tmp, size_t n, const size_t *lens) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = lens[idx[j]] < lens[idx[i]] ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

bn_status bn_seq_bucket(size_t count, const size_t *lens, size_t max_tokens, size_t max_batch, bn_batch_plan *plan) {
    BNI_CHECK_NULL("bn_seq_bucket", plan);
    if (count && !lens) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_bucket: lens is NULL");
    bn_batch_plan p;
    memset(&p, 0, sizeof p);
    p.order = bni_malloc((count ? count : 1) * sizeof *p.order);
    size_t *tmp = bni_malloc((count ? count : 1) * sizeof *tmp);
    p.offsets = bni_malloc((count + 1) * sizeof *p.offsets);
    p.padded = bni_malloc((count ? count : 1) * sizeof *p.padded);
    if (!p.order || !tmp || !p.offsets || !p.padded) {
        bni_free(tmp);
        bn_batch_plan_free(&p);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_seq_bucket: out of memory for %zu sequences", count);
    }
    for (size_t i = 0; i < count; i++) p.order[i] = i;
    sort_by_len(p.order, tmp, count, lens);
    bni_free(tmp);
    size_t start = 0;
    p.offsets[0] = 0;
    while (start < count) {
        size_t end = start + 1, longest = lens[p.order[start]];
        while (end < count) {
            size_t l = lens[p.order[end]] > longest ? lens[p.order[end]] : longest, rows = end - start + 1;
            if (max_batch && rows > max_batch) break;
            size_t toks;
            if (max_tokens && (__builtin_mul_overflow(rows, l, &toks) || toks > max_tokens)) break;
            longest = l;
            end++;
        }
        p.padded[p.n_batches] = (int64_t)longest;
        p.offsets[++p.n_batches] = end;
        start = end;
    }
    *plan = p;
    return BN_OK;
}

/* ---- statistics ------------------------------------------------------------------------------ */

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

bn_status bn_seq_stats_compute(size_t count, const size_t *lens, const bn_batch_plan *plan, bn_seq_stats *stats) {
    BNI_CHECK_NULL("bn_seq_stats_compute", stats);
    if (count && !lens) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_seq_stats_compute: lens is NULL");
    bn_seq_stats s;
    memset(&s, 0, sizeof s);
    s.count = count;
    if (count) {
        size_t *sorted = bni_malloc(count * sizeof *sorted);
        if (!sorted) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_seq_stats_compute: out of memory");
        memcpy(sorted, lens, count * sizeof *sorted);
        qsort(sorted, count, sizeof *sorted, cmp_size);
        s.min_len = sorted[0];
        s.max_len = sorted[count - 1];
        s.median_len = count % 2 ? (double)sorted[count / 2]
                                 : ((double)sorted[count / 2 - 1] + (double)sorted[count / 2]) / 2.0;
        bni_free(sorted);
        for (size_t i = 0; i < count; i++) s.real_tokens += lens[i];
        s.mean_len = (double)s.real_tokens / (double)count;
    }
    if (plan) {
        s.n_batches = plan->n_batches;
        for (size_t k = 0; k < plan->n_batches; k++) {
            size_t rows = plan->offsets[k + 1] - plan->offsets[k];
            size_t toks = rows * (size_t)plan->padded[k];
            s.padded_tokens += toks;
            if (toks > s.max_tokens_per_batch) s.max_tokens_per_batch = toks;
        }
    } else if (count) {
        s.n_batches = 1;
        s.padded_tokens = count * s.max_len;
        s.max_tokens_per_batch = s.padded_tokens;
    }
    s.padding_ratio = s.padded_tokens ? (double)(s.padded_tokens - s.real_tokens) / (double)s.padded_tokens : 0.0;
    s.mean_tokens_per_batch = s.n_batches ? (double)s.padded_tokens / (double)s.n_batches : 0.0;
    *stats = s;
    return BN_OK;
}
