/**
 * @file tokenizer.h
 * @brief Tokenizers from Hugging Face `tokenizer.json` files: encode text to
 *        ids and decode ids to text, with exactly Hugging Face's results.
 *
 * Supported (anything else fails to load with ::BN_ERR_NOT_SUPPORTED naming
 * the component):
 * - model: BPE (vocab; merges as "a b" strings or [a, b] pairs;
 *   ignore_merges, byte_fallback, fuse_unk, unk_token);
 * - normalizer: null, Sequence, Prepend, Append, Replace (string or regex),
 *   Strip;
 * - pre_tokenizer: null, Sequence, Split (regex or string; behaviors
 *   Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous;
 *   invert), ByteLevel (add_prefix_space, use_regex);
 * - post_processor: null, ByteLevel (no effect on ids), TemplateProcessing
 *   (the special tokens before and after `$A` of the `single` template);
 * - decoder: null, Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip;
 * - added tokens with special, normalized, lstrip, rstrip and single_word.
 *
 * Byte-level BPE (Llama 3, GPT-2) and SentencePiece-style BPE (Llama 2:
 * Prepend/Replace normalizers, byte fallback `<0x..>`) are both covered.
 *
 * **Invalid UTF-8 input.** Encoding never fails on bad bytes: every
 * ill-formed sequence is replaced by U+FFFD before anything else, one
 * replacement per maximal subpart (the Unicode recommendation, which is what
 * Python's `bytes.decode("utf-8", "replace")` and Rust's
 * `String::from_utf8_lossy` do), so the ids are those Hugging Face gives for
 * the lossily decoded string. Decoding always yields valid UTF-8 (byte
 * tokens that do not form characters become U+FFFD as in Hugging Face).
 *
 * **Thread safety.** A loaded tokenizer is immutable apart from an internal
 * list of scratch buffers guarded by a lock: any number of threads may call
 * the encode and decode functions on one tokenizer at the same time.
 */
#ifndef BITNET_TOKENIZER_H
#define BITNET_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A loaded tokenizer. Opaque; create with bn_tokenizer_load(). */
typedef struct bn_tokenizer bn_tokenizer;

/** @brief Encode flag: add the special tokens of the template (BOS, EOS), see ::bn_tokenizer_options. */
#define BN_TOK_ADD_SPECIAL 1u
/** @brief Encode flag: special tokens written in the text are plain text (split like any other text). */
#define BN_TOK_SPECIAL_AS_TEXT 2u
/** @brief Decode flag: leave special tokens (BOS, EOS, `<|eot_id|>`, ...) out of the text. */
#define BN_TOK_SKIP_SPECIAL 4u

/**
 * @brief Loading settings. Start from bn_tokenizer_options_default().
 *
 * Which special tokens ::BN_TOK_ADD_SPECIAL adds: when tokenizer_config.json
 * has `add_bos_token` or `add_eos_token`, its `bos_token` and `eos_token` as
 * those say (as transformers' Llama tokenizers do); otherwise the special
 * tokens around `$A` in the post_processor's TemplateProcessing `single`
 * template (none for other post-processors). @ref add_bos and @ref add_eos
 * override both.
 */
typedef struct bn_tokenizer_options {
    const char *config_path; /**< tokenizer_config.json; NULL = the file of that name beside tokenizer.json, when present. */
    int no_config;           /**< Non-zero: read no tokenizer_config.json at all. */
    int add_bos;             /**< -1 (default): as the files say; 0: never add BOS; 1: always add BOS. */
    int add_eos;             /**< -1 (default): as the files say; 0: never add EOS; 1: always add EOS. */
    int special_as_text;     /**< Non-zero: every encode behaves as with ::BN_TOK_SPECIAL_AS_TEXT. */
} bn_tokenizer_options;

/** @brief Fill @p options with the defaults (auto-detected config, add_bos = add_eos = -1). */
BN_API void bn_tokenizer_options_default(bn_tokenizer_options *options);

/**
 * @brief Load a tokenizer from a `tokenizer.json` file.
 * @param path path of tokenizer.json.
 * @param options settings, or NULL for the defaults.
 * @param[out] out written on success; free with bn_tokenizer_free().
 * @return ::BN_ERR_IO when a file cannot be read; ::BN_ERR_FORMAT for
 *         malformed JSON or an inconsistent tokenizer (a merge of tokens not
 *         in the vocabulary, a bad regex); ::BN_ERR_NOT_SUPPORTED for a
 *         model, normalizer, pre-tokenizer, decoder or post-processor type
 *         this build does not implement; ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_tokenizer_load(const char *path, const bn_tokenizer_options *options, bn_tokenizer **out);

/**
 * @brief Load a tokenizer from `tokenizer.json` contents in memory.
 * @param json the tokenizer.json text.
 * @param len its length in bytes.
 * @param config_json tokenizer_config.json text, or NULL for none
 *        (options->config_path is ignored here).
 * @param config_len its length in bytes.
 * @param options settings, or NULL for the defaults.
 * @param[out] out written on success; free with bn_tokenizer_free().
 * @return as bn_tokenizer_load().
 */
BN_API bn_status bn_tokenizer_load_from_memory(const char *json, size_t len, const char *config_json,
                                               size_t config_len, const bn_tokenizer_options *options,
                                               bn_tokenizer **out);

/** @brief Free a tokenizer. NULL is ignored. */
BN_API void bn_tokenizer_free(bn_tokenizer *tok);

/**
 * @brief Encode text to token ids.
 * @param tok the tokenizer.
 * @param text the text, UTF-8 (invalid sequences become U+FFFD, see the file
 *        comment); may contain NUL bytes; may be NULL when @p len is 0.
 * @param len length of @p text in bytes.
 * @param flags ::BN_TOK_ADD_SPECIAL, ::BN_TOK_SPECIAL_AS_TEXT, or 0.
 * @param[out] ids written on success: a new array of *@p n ids (a valid
 *        pointer even when *n is 0); free with bn_tokenizer_ids_free().
 * @param[out] n number of ids.
 * @return ::BN_ERR_INVALID_ARGUMENT for a NULL pointer or unknown flags;
 *         ::BN_ERR_OUT_OF_MEMORY; ::BN_ERR_FORMAT when a character needs the
 *         unknown token and the vocabulary lacks it.
 */
BN_API bn_status bn_tokenizer_encode(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags,
                                     int32_t **ids, size_t *n);

/**
 * @brief Encode into a caller buffer.
 * @param tok the tokenizer.
 * @param text the text.
 * @param len its length in bytes.
 * @param flags as bn_tokenizer_encode().
 * @param[out] ids buffer of @p capacity ids (may be NULL when capacity is 0).
 * @param capacity size of @p ids.
 * @param[out] n the number of ids the text encodes to, also when that
 *        exceeds @p capacity.
 * @return ::BN_ERR_OUT_OF_RANGE when @p capacity is too small (*@p n then
 *         says how much is needed and @p ids is unchanged); otherwise as
 *         bn_tokenizer_encode().
 */
BN_API bn_status bn_tokenizer_encode_to(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags,
                                        int32_t *ids, size_t capacity, size_t *n);

/**
 * @brief Encode many texts on the context's threads. The results equal
 *        those of bn_tokenizer_encode() on each text, for any thread count.
 * @param tok the tokenizer.
 * @param ctx the context whose thread pool runs the work.
 * @param count number of texts.
 * @param texts @p count texts.
 * @param lens their lengths in bytes.
 * @param flags as bn_tokenizer_encode().
 * @param[out] ids @p count pointers, each written on success with a new array
 *        to free with bn_tokenizer_ids_free().
 * @param[out] n @p count lengths, written on success.
 * @return the first failing text's status (nothing is written then);
 *         ::BN_ERR_INVALID_ARGUMENT for NULL pointers.
 */
BN_API bn_status bn_tokenizer_encode_batch(const bn_tokenizer *tok, bn_ctx *ctx, size_t count,
                                           const char *const *texts, const size_t *lens, unsigned flags,
                                           int32_t **ids, size_t *n);

/** @brief Free an id array from bn_tokenizer_encode(). NULL is ignored. */
BN_API void bn_tokenizer_ids_free(int32_t *ids);

/**
 * @brief Decode ids to text, as Hugging Face's `decode` (with
 *        `skip_special_tokens` from @p flags).
 * @param tok the tokenizer.
 * @param ids the ids (may be NULL when @p n is 0).
 * @param n number of ids.
 * @param flags ::BN_TOK_SKIP_SPECIAL or 0.
 * @param[out] text written on success: a new NUL-terminated UTF-8 string;
 *        free with bn_tokenizer_text_free().
 * @param[out] len its length in bytes without the NUL (may be NULL).
 * @return ::BN_ERR_OUT_OF_RANGE for an id outside [0, vocab size) or one
 *         with no token, naming the id and the vocabulary size;
 *         ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_tokenizer_decode(const bn_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags,
                                     char **text, size_t *len);

/** @brief Free a string from bn_tokenizer_decode(). NULL is ignored. */
BN_API void bn_tokenizer_text_free(char *text);

/**
 * @brief The token string of an id, as written in tokenizer.json (byte-level
 *        vocabularies use GPT-2's characters: "Ġhello").
 * @param tok the tokenizer.
 * @param id the id.
 * @param[out] token written on success: a NUL-terminated string inside the
 *        tokenizer, valid while it lives.
 * @param[out] len length in bytes (may be NULL).
 * @return ::BN_ERR_OUT_OF_RANGE for an id with no token.
 */
BN_API bn_status bn_tokenizer_id_to_token(const bn_tokenizer *tok, int32_t id, const char **token, size_t *len);

/**
 * @brief The id of a token string (added tokens first, then the vocabulary).
 * @param tok the tokenizer.
 * @param token the token as written in tokenizer.json.
 * @param len its length in bytes.
 * @param[out] id written on success.
 * @return ::BN_ERR_OUT_OF_RANGE when no token has that string.
 */
BN_API bn_status bn_tokenizer_token_to_id(const bn_tokenizer *tok, const char *token, size_t len, int32_t *id);

/** @brief One more than the largest id (model vocabulary and added tokens). */
BN_API int32_t bn_tokenizer_vocab_size(const bn_tokenizer *tok);

/** @brief The BOS token's id (tokenizer_config.json `bos_token`, else the template's first special token), or -1. */
BN_API int32_t bn_tokenizer_bos_id(const bn_tokenizer *tok);

/** @brief The EOS token's id (tokenizer_config.json `eos_token`, else the template's last special token), or -1. */
BN_API int32_t bn_tokenizer_eos_id(const bn_tokenizer *tok);

/** @brief The padding token's id (tokenizer_config.json `pad_token`), or -1. */
BN_API int32_t bn_tokenizer_pad_id(const bn_tokenizer *tok);

/** @brief Non-zero when @p id is a special added token. */
BN_API int bn_tokenizer_is_special(const bn_tokenizer *tok, int32_t id);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_TOKENIZER_H */
