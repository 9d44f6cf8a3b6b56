/* Internal: the model's structures, shared by load, forward and sampling. */
#ifndef BITNET_MODEL_INTERNAL_H
#define BITNET_MODEL_INTERNAL_H

#include <stdint.h>

#include "bitnet/bitlinear.h"
#include "bitnet/model.h"

typedef struct bn_logit_pair {
    float v;
    int32_t i;
} bn_logit_pair;

typedef struct bn_layer {
    bn_bitlinear *q, *k, *v, *o, *gate, *up, *down;
    float *in_norm;   /* [H] */
    float *attn_sub;  /* [NH*HD] */
    float *post_norm; /* [H] */
    float *ffn_sub;   /* [I] */
} bn_layer;

struct bn_model {
    bn_ctx *ctx;
    bn_bitnet_config cfg;
    int64_t H, I, NH, NKV, HD, V, L, QD, KVD;
    int64_t max_seq, max_batch, pos;
    /* Embedding and output layer [V, H]: f32, or kept as bf16 when the file
     * stores bf16 (exact, half the bytes); exactly one of each pair is set.
     * Tied: the output layer is the embedding. */
    float *embed;
    uint16_t *embed16;
    float *lm_head;
    uint16_t *head16;
    int embed16_f16, head16_f16; /* the 16-bit copies are IEEE f16 (GGUF) instead of bf16 */
    float *norm;    /* [H] */
    bn_layer *layers;
    /* rope table [max_seq, HD/2] cos and sin */
    float *rope_cos, *rope_sin;
    /* KV cache [L][max_seq][KVD] */
    float *kc, *vc;
    /* activations for max_batch tokens */
    float *x, *xn, *q, *k, *v, *att, *tmp, *gate, *up;
    int8_t *qx;
    float *qs;
    float *scores; /* [threads][max_seq] */
    int nthreads;
    /* sampling scratch */
    float *probs;         /* [V] */
    bn_logit_pair *pairs; /* [V] */
    float *logits;        /* [V] generation's logits */
    int32_t *hist;        /* [max_seq + 1] generation's ids */
};

/* load.c */
void *bni_model_alloc(int64_t a, int64_t b, size_t el, int *ok); /* zeroed; *ok = 0 on failure */
void bni_model_init_dims(bn_model *m, const bn_model_options *o);
bn_status bni_model_alloc_buffers(bn_model *m);
/* load_gguf.c: fills m (ctx set) from a GGUF file; the caller frees m on failure */
bn_status bni_model_load_gguf(bn_model *m, const char *path, const bn_model_options *o);

#endif
