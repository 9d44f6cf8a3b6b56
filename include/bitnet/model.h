/**
 * @file model.h
 * @brief The BitNet b1.58 transformer: loading Hugging Face checkpoints,
 *        the forward pass with a KV cache, sampling and generation.
 *
 * bn_model_load() reads a Hugging Face directory (config.json +
 * model.safetensors or a sharded index). Linear layers come as master
 * weights (f32/bf16/f16, `autobitlinear` + `online`: ternarized at load with
 * absmean per tensor) or packed (uint8 codes [ceil(out/4), in] +
 * `weight_scale`; `autobitlinear` + `offline`: y = (x_q.w) * weight_scale;
 * `bitlinear`: y = (x_q.w) / weight_scale). Every other tensor is converted
 * to f32. The forward pass is transformers' BitNetForCausalLM in f32
 * (docs/model.md says where it rounds).
 *
 * All buffers (activations for up to `max_batch` tokens at once, the KV
 * cache for `max_seq` positions, the sampling scratch) are allocated at
 * load time: forward and generation allocate nothing per token. Prefill
 * runs the BitLinear GEMM over up to max_batch tokens at once; decode the
 * GEMV. Threads come from the context. A model is not thread-safe: one
 * caller at a time.
 */
#ifndef BITNET_MODEL_H
#define BITNET_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/context.h"
#include "bitnet/export.h"
#include "bitnet/io.h"
#include "bitnet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A loaded model with its KV cache. Opaque. */
typedef struct bn_model bn_model;

/** @brief Load options. */
typedef struct bn_model_options {
    int64_t max_seq;   /**< KV cache positions; 0 = max_position_embeddings capped at 4096 (4096 when absent). */
    int64_t max_batch; /**< Tokens per forward chunk (prefill GEMM); 0 = 64. */
    /** Called after each layer is loaded (done = 1 .. total = layers); NULL: none. */
    void (*progress)(void *user, int64_t done, int64_t total);
    void *progress_user; /**< Passed to @ref progress. */
} bn_model_options;

/** @brief Fill @p o with the defaults. */
BN_API void bn_model_options_default(bn_model_options *o);

/**
 * @brief Load a Hugging Face BitNet directory.
 * @param ctx context (threads, pool); must outlive the model.
 * @param path the directory (config.json + model.safetensors or index).
 * @param options NULL for the defaults.
 * @param[out] out written on success; free with bn_model_free().
 * @return ::BN_ERR_IO, ::BN_ERR_FORMAT (a missing tensor, a wrong shape or
 *         dtype, a config that disagrees with the weights: the message names
 *         the tensor and file), ::BN_ERR_NOT_SUPPORTED, ::BN_ERR_OUT_OF_MEMORY.
 */
BN_API bn_status bn_model_load(bn_ctx *ctx, const char *path, const bn_model_options *options, bn_model **out);

/**
 * @brief A config with the shape of a known model: "2b-4t"
 *        (microsoft/bitnet-b1.58-2B-4T: vocab 128256, hidden 2560, ffn 6912,
 *        30 layers, 20 heads, 5 KV heads, theta 500000) or "tiny".
 */
BN_API bn_status bn_model_config_preset(const char *name, bn_bitnet_config *out);

/**
 * @brief A model of the config's shape with random ternary weights (scale
 *        0.02), random embeddings (tied output layer) and unit norms, for
 *        benchmarks; deterministic for a seed.
 */
BN_API bn_status bn_model_new_random(bn_ctx *ctx, const bn_bitnet_config *cfg, const bn_model_options *options,
                                     uint64_t seed, bn_model **out);

/** @brief Free the model. NULL is ignored. */
BN_API void bn_model_free(bn_model *m);

/** @brief The parsed config. */
BN_API const bn_bitnet_config *bn_model_config(const bn_model *m);

/** @brief Vocabulary size (logits per token). */
BN_API int64_t bn_model_vocab_size(const bn_model *m);

/** @brief KV cache capacity in positions. */
BN_API int64_t bn_model_max_seq(const bn_model *m);

/** @brief Tokens in the KV cache (the position of the next token). */
BN_API int64_t bn_model_position(const bn_model *m);

/** @brief Empty the KV cache (the next token is position 0). */
BN_API void bn_model_reset(bn_model *m);

/** @brief Bytes of weights one decode step reads (ternary packed + output layer + one embedding row). */
BN_API size_t bn_model_bytes_per_token(const bn_model *m);

/**
 * @brief Run @p n tokens through the model at the current position,
 *        appending them to the KV cache.
 * @param m the model.
 * @param tokens n ids, each 0 .. vocab-1.
 * @param n tokens, >= 1; position + n <= max_seq.
 * @param[out] logits with @p all_logits: n * vocab floats (row i for token
 *        i); else vocab floats for the last token. May be NULL (no lm_head).
 * @param all_logits see @p logits.
 * @return ::BN_ERR_OUT_OF_RANGE for a bad id or a full cache (nothing is
 *         appended then).
 */
BN_API bn_status bn_model_forward(bn_model *m, const int32_t *tokens, int64_t n, float *logits, int all_logits);

/** @brief Sampling settings. */
typedef struct bn_sampler_params {
    float temperature;        /**< <= 0: greedy (argmax, lowest id on ties). */
    int top_k;                /**< 0: off. */
    float top_p;              /**< 1: off. */
    float repetition_penalty; /**< 1: off (transformers' rule: logit > 0 ? l / p : l * p for seen ids). */
    uint64_t seed;            /**< Seeds the context's Philox generator at the start of bn_model_generate(). */
} bn_sampler_params;

/** @brief Greedy, top_p 1, penalty 1, seed 0. */
BN_API void bn_sampler_params_default(bn_sampler_params *p);

/**
 * @brief Pick the next token from @p logits (modified in place by the
 *        penalty and temperature). Random draws use the context's Philox
 *        generator (counter-based: bn_ctx_rng_reserve()).
 * @param m the model (context and scratch buffers).
 * @param logits vocab floats.
 * @param history ids already in the sequence (for the penalty), may be NULL when n_history is 0.
 * @param n_history their count.
 * @param p settings.
 * @param[out] token the id.
 */
BN_API bn_status bn_model_sample(bn_model *m, float *logits, const int32_t *history, int64_t n_history,
                                 const bn_sampler_params *p, int32_t *token);

/** @brief Called for each generated token; return non-zero to stop. */
typedef int (*bn_token_callback)(int32_t token, void *user);

/**
 * @brief Generate from a prompt: reset the cache, prefill, then sample up
 *        to @p max_new tokens, stopping after an EOS id of the config (the
 *        EOS is reported and counted) or when @p callback returns non-zero.
 * @param m the model.
 * @param prompt n_prompt ids (>= 1).
 * @param n_prompt their count.
 * @param max_new most tokens to generate; prompt + max_new is capped by max_seq.
 * @param p settings (NULL: greedy).
 * @param callback may be NULL.
 * @param user passed to @p callback.
 * @param[out] out room for max_new ids, may be NULL.
 * @param[out] n_out tokens generated, may be NULL.
 */
BN_API bn_status bn_model_generate(bn_model *m, const int32_t *prompt, int64_t n_prompt, int64_t max_new,
                                   const bn_sampler_params *p, bn_token_callback callback, void *user, int32_t *out,
                                   int64_t *n_out);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_MODEL_H */
