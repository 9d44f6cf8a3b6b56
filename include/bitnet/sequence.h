/**
 * @file sequence.h
 * @brief Sequence operations on token ids: padding, truncation, masks from
 *        lengths, length-bucketed batching and batch statistics.
 *
 * Masks are always built from lengths, never by comparing ids with the pad
 * id: a real token may equal the pad id (GPT-2 pads with EOS).
 *
 * Conventions: a batch is @p count id arrays with their lengths; padded
 * outputs are [batch, length] tensors, row b holding sequence b. With
 * ::BN_SIDE_LEFT padding goes before the tokens (so the last token of every
 * row is at the last column), with ::BN_SIDE_RIGHT after them.
 */
#ifndef BITNET_SEQUENCE_H
#define BITNET_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/status.h"
#include "bitnet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Which end padding or truncation applies to. */
typedef enum bn_side {
    BN_SIDE_RIGHT = 0, /**< After the tokens (padding) / drop the last tokens (truncation). */
    BN_SIDE_LEFT = 1   /**< Before the tokens (padding) / drop the first tokens (truncation). */
} bn_side;

/* ---- padding -------------------------------------------------------------- */

/** @brief How long padded rows are. */
typedef enum bn_pad_length {
    BN_PAD_LONGEST = 0, /**< The longest sequence of the batch. */
    BN_PAD_FIXED = 1    /**< bn_pad_options::length; a longer sequence is an error (truncate first). */
} bn_pad_length;

/** @brief Padding settings. Start from bn_pad_options_default(). */
typedef struct bn_pad_options {
    bn_pad_length strategy; /**< ::BN_PAD_LONGEST (default) or ::BN_PAD_FIXED. */
    int64_t length;         /**< Row length for ::BN_PAD_FIXED. */
    int64_t multiple_of;    /**< Round the row length up to a multiple of this (0 or 1 = no rounding). */
    bn_side side;           /**< Where the padding goes; default ::BN_SIDE_RIGHT. */
    int32_t pad_id;         /**< Id written in padding positions; default 0. */
    bn_dtype ids_dtype;     /**< ::BN_DTYPE_I32 (default) or ::BN_DTYPE_I64. */
    bn_dtype mask_dtype;    /**< Attention mask dtype: BOOL, U8, I32, I64 (default) or F32, 1 = real token. */
} bn_pad_options;

/** @brief Fill @p opt with the defaults (longest, right, pad id 0, I32 ids, I64 mask). */
BN_API void bn_pad_options_default(bn_pad_options *opt);

/**
 * @brief The row length padding gives: the longest (or the fixed length),
 *        rounded up to the multiple.
 * @param count number of sequences.
 * @param lens their lengths.
 * @param opt padding settings (NULL = defaults).
 * @param[out] length written on success.
 * @return ::BN_ERR_OUT_OF_RANGE when a sequence is longer than the fixed
 *         length; ::BN_ERR_INVALID_ARGUMENT for a bad setting.
 */
BN_API bn_status bn_seq_padded_length(size_t count, const size_t *lens, const bn_pad_options *opt, int64_t *length);

/**
 * @brief Pad a batch of id arrays into a [count, L] tensor, with its
 *        attention mask (1 for tokens, 0 for padding) from the lengths.
 * @param ctx context the tensors are created in.
 * @param count number of sequences (>= 1).
 * @param ids @p count id arrays (an array may be NULL when its length is 0).
 * @param lens their lengths.
 * @param opt padding settings (NULL = defaults).
 * @param[out] ids_out [count, L] ids; free with bn_tensor_free().
 * @param[out] mask_out [count, L] attention mask, or NULL when not wanted.
 * @return ::BN_ERR_OUT_OF_RANGE when a sequence is longer than the fixed
 *         length (naming it); ::BN_ERR_INVALID_ARGUMENT; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_seq_pad(bn_ctx *ctx, size_t count, const int32_t *const *ids, const size_t *lens,
                            const bn_pad_options *opt, bn_tensor **ids_out, bn_tensor **mask_out);

/**
 * @brief bn_seq_pad() over 1-D tensors of ids (I32 or I64, any strides).
 * @param ctx context.
 * @param count number of tensors.
 * @param seqs @p count 1-D tensors.
 * @param opt padding settings.
 * @param[out] ids_out [count, L] ids.
 * @param[out] mask_out attention mask or NULL.
 * @return as bn_seq_pad(); ::BN_ERR_SHAPE for a tensor that is not 1-D;
 *         ::BN_ERR_DTYPE for one that is not I32 or I64.
 */
BN_API bn_status bn_seq_pad_tensors(bn_ctx *ctx, size_t count, const bn_tensor *const *seqs,
                                    const bn_pad_options *opt, bn_tensor **ids_out, bn_tensor **mask_out);

/* ---- truncation ------------------------------------------------------------- */

/**
 * @brief Truncate one sequence in place to at most @p max_len ids.
 * @param ids the ids; with ::BN_SIDE_LEFT the kept ids move to the front.
 * @param len in: its length; out: the new length.
 * @param max_len the most ids kept.
 * @param side ::BN_SIDE_RIGHT drops the last ids, ::BN_SIDE_LEFT the first.
 */
BN_API bn_status bn_seq_truncate(int32_t *ids, size_t *len, size_t max_len, bn_side side);

/** @brief How a pair of sequences is cut to a total length. */
typedef enum bn_trunc_strategy {
    BN_TRUNC_LONGEST_FIRST = 0, /**< One id at a time from the longer sequence (the second on ties). */
    BN_TRUNC_ONLY_FIRST = 1,    /**< Only from the first; an error when that is not enough. */
    BN_TRUNC_ONLY_SECOND = 2    /**< Only from the second; an error when that is not enough. */
} bn_trunc_strategy;

/**
 * @brief Truncate a pair in place so that *len_a + *len_b <= @p max_total.
 * @param a first sequence.
 * @param len_a in/out length of @p a.
 * @param b second sequence.
 * @param len_b in/out length of @p b.
 * @param max_total the most ids kept in both together.
 * @param strategy which sequence loses ids.
 * @param side which end loses them.
 * @return ::BN_ERR_OUT_OF_RANGE when an ONLY_ strategy cannot reach
 *         @p max_total (nothing is changed then).
 */
BN_API bn_status bn_seq_truncate_pair(int32_t *a, size_t *len_a, int32_t *b, size_t *len_b, size_t max_total,
                                      bn_trunc_strategy strategy, bn_side side);

/* ---- masks -------------------------------------------------------------------------- */

/** @brief Mask kinds, combined with bitwise or. */
enum {
    BN_MASK_PADDING = 1,       /**< Keys outside a row's length are masked. */
    BN_MASK_CAUSAL = 2,        /**< Query i sees keys j <= i only. */
    BN_MASK_SLIDING_WINDOW = 4,/**< Query i sees keys with i - j < window (with CAUSAL: a causal window). */
    BN_MASK_BLOCK_DIAGONAL = 8 /**< Queries see keys of their own segment only (packed sequences). */
};

/** @brief Settings of bn_seq_mask(). Start from bn_mask_options_default(). */
typedef struct bn_mask_options {
    unsigned kinds;             /**< BN_MASK_* bits; 0 = everything visible. */
    size_t batch;               /**< Rows. */
    int64_t length;             /**< Positions per row (queries = keys). */
    const size_t *lengths;      /**< PADDING: tokens per row (NULL = all full). */
    bn_side side;               /**< PADDING: where the padding is. */
    int64_t window;             /**< SLIDING_WINDOW: width, >= 1. */
    const size_t *segment_lengths; /**< BLOCK_DIAGONAL: the segments of all rows, row after row. */
    const size_t *segment_counts;  /**< BLOCK_DIAGONAL: segments per row (they cover the row from its first position; positions after them form no segment and see nothing). */
    bn_dtype dtype;             /**< ::BN_DTYPE_BOOL (default; 1 = visible) or ::BN_DTYPE_F32 (additive: 0 visible, -inf masked). */
} bn_mask_options;

/** @brief Fill @p opt with the defaults (no kinds, BOOL). */
BN_API void bn_mask_options_default(bn_mask_options *opt);

/**
 * @brief A [batch, length, length] mask: element (b, i, j) says whether
 *        query i of row b may attend to key j.
 *
 * A padding query (with ::BN_MASK_PADDING) sees nothing: its row is all
 * masked, so with the additive F32 form its softmax is undefined and its
 * output must be ignored, as for any padding position.
 * Causal and sliding-window positions are absolute column indices, so with
 * left padding they still line up with the tokens.
 * @param ctx context.
 * @param opt settings.
 * @param[out] out written on success.
 * @return ::BN_ERR_INVALID_ARGUMENT for a missing length list, a window < 1,
 *         segments longer than a row, or another dtype.
 */
BN_API bn_status bn_seq_mask(bn_ctx *ctx, const bn_mask_options *opt, bn_tensor **out);

/* ---- batching and statistics --------------------------------------------------------- */

/** @brief Sequences grouped into batches (see bn_seq_bucket()). */
typedef struct bn_batch_plan {
    size_t n_batches;  /**< Number of batches. */
    size_t *offsets;   /**< n_batches + 1 offsets into `order`: batch k is order[offsets[k] .. offsets[k+1]). */
    size_t *order;     /**< Sequence indices, batch after batch, shortest first. */
    int64_t *padded;   /**< Per batch: the row length (its longest sequence). */
} bn_batch_plan;

/**
 * @brief Group sequences by length: sort them by length (stable) and fill
 *        batches in that order while rows x longest stays within
 *        @p max_tokens and rows within @p max_batch. A sequence longer
 *        than @p max_tokens gets a batch of its own.
 * @param count number of sequences.
 * @param lens their lengths.
 * @param max_tokens token budget per batch, padding included (0 = no budget).
 * @param max_batch most sequences per batch (0 = no limit).
 * @param[out] plan written on success; free with bn_batch_plan_free().
 */
BN_API bn_status bn_seq_bucket(size_t count, const size_t *lens, size_t max_tokens, size_t max_batch,
                               bn_batch_plan *plan);

/** @brief Free the arrays of a plan (the struct itself is the caller's). */
BN_API void bn_batch_plan_free(bn_batch_plan *plan);

/** @brief Statistics of sequence lengths and of their batching. */
typedef struct bn_seq_stats {
    size_t count;                 /**< Sequences. */
    size_t min_len;               /**< Shortest length. */
    size_t max_len;               /**< Longest length. */
    double mean_len;              /**< Mean length. */
    double median_len;            /**< Median length (mean of the middle two for an even count). */
    size_t real_tokens;           /**< Sum of the lengths. */
    size_t padded_tokens;         /**< Tokens including padding over all batches. */
    double padding_ratio;         /**< (padded - real) / padded; 0 when nothing is padded. */
    size_t n_batches;             /**< Batches. */
    double mean_tokens_per_batch; /**< padded_tokens / n_batches. */
    size_t max_tokens_per_batch;  /**< The largest batch, padding included. */
} bn_seq_stats;

/**
 * @brief Compute statistics.
 * @param count number of sequences.
 * @param lens their lengths.
 * @param plan the batches, or NULL for one batch of all sequences padded to the longest.
 * @param[out] stats written on success.
 */
BN_API bn_status bn_seq_stats_compute(size_t count, const size_t *lens, const bn_batch_plan *plan,
                                      bn_seq_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_SEQUENCE_H */
