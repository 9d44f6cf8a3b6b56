/* Sampling (greedy, temperature, top-k, top-p, repetition penalty) with the
 * context's Philox generator, and the generation loop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/model_internal.h"

void bn_sampler_params_default(bn_sampler_params *p) {
    if (!p) return;
    p->temperature = 0.0f;
    p->top_k = 0;
    p->top_p = 1.0f;
    p->repetition_penalty = 1.0f;
    p->seed = 0;
}

static int cmp_desc(const void *a, const void *b) {
    const bn_logit_pair *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* uniform in [0, 1) from the context's Philox stream */
static float draw_uniform(bn_ctx *ctx) {
    uint64_t c = bn_ctx_rng_reserve(ctx, 1), seed = bn_ctx_seed(ctx);
    uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), 0, 0}, key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t out[4];
    bn_philox4x32_10(ctr, key, out);
    return (float)(out[0] >> 8) * (1.0f / 16777216.0f);
}

bn_status bn_model_sample(bn_model *m, float *logits, const int32_t *history, int64_t n_history,
                          const bn_sampler_params *p, int32_t *token) {
    BNI_CHECK_NULL("bn_model_sample", m);
    BNI_CHECK_NULL("bn_model_sample", logits);
    BNI_CHECK_NULL("bn_model_sample", token);
    bn_sampler_params d;
    bn_sampler_params_default(&d);
    if (!p) p = &d;
    if (!(p->repetition_penalty > 0) || !(p->top_p > 0) || p->top_k < 0 || isnan(p->temperature))
        return bni_error(BN_ERR_INVALID_ARGUMENT,
                         "bn_model_sample: repetition_penalty %g, top_p %g, top_k %d, temperature %g out of range",
                         (double)p->repetition_penalty, (double)p->top_p, p->top_k, (double)p->temperature);
    int64_t V = m->V;
    if (p->repetition_penalty != 1.0f && history) {
        /* each distinct id once: mark with probs[] as a seen flag */
        for (int64_t i = 0; i < n_history; i++) {
            int32_t t = history[i];
            if (t < 0 || t >= V) continue;
            m->probs[t] = 0;
        }
        for (int64_t i = 0; i < n_history; i++) {
            int32_t t = history[i];
            if (t < 0 || t >= V || m->probs[t] != 0) continue;
            m->probs[t] = 1;
            logits[t] = logits[t] > 0 ? logits[t] / p->repetition_penalty : logits[t] * p->repetition_penalty;
        }
    }
    if (p->temperature <= 0 || p->top_k == 1) {
        int32_t best = 0;
        for (int64_t i = 1; i < V; i++)
            if (logits[i] > logits[best]) best = (int32_t)i;
        *token = best;
        return BN_OK;
    }
    for (int64_t i = 0; i < V; i++) logits[i] /= p->temperature;
    int64_t n = V;
    for (int64_t i = 0; i < V; i++) {
        m->pairs[i].v = logits[i];
        m->pairs[i].i = (int32_t)i;
    }
    qsort(m->pairs, (size_t)V, sizeof(bn_logit_pair), cmp_desc);
    if (p->top_k > 0 && p->top_k < n) n = p->top_k;
    float mx = m->pairs[0].v;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        m->probs[i] = expf(m->pairs[i].v - mx);
        sum += m->probs[i];
    }
    if (p->top_p < 1.0f) {
        double cum = 0;
        int64_t keep = n;
        for (int64_t i = 0; i < n; i++) {
            cum += m->probs[i] / sum;
            if (cum >= p->top_p) { keep = i + 1; break; }
        }
        n = keep;
        sum = 0;
        for (int64_t i = 0; i < n; i++) sum += m->probs[i];
    }
    double u = (double)draw_uniform(m->ctx) * sum, acc = 0;
    int32_t pick = m->pairs[n - 1].i;
    for (int64_t i = 0; i < n; i++) {
        acc += m->probs[i];
        if (u < acc) { pick = m->pairs[i].i; break; }
    }
    *token = pick;
    return BN_OK;
}

static int is_eos(const bn_model *m, int32_t t) {
    for (int i = 0; i < m->cfg.n_eos; i++)
        if (m->cfg.eos_token_ids[i] == t) return 1;
    return 0;
}

bn_status bn_model_generate(bn_model *m, const int32_t *prompt, int64_t n_prompt, int64_t max_new,
                            const bn_sampler_params *p, bn_token_callback callback, void *user, int32_t *out,
                            int64_t *n_out) {
    BNI_CHECK_NULL("bn_model_generate", m);
    BNI_CHECK_NULL("bn_model_generate", prompt);
    if (n_prompt < 1 || max_new < 0)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_model_generate: n_prompt %lld, max_new %lld", (long long)n_prompt,
                         (long long)max_new);
    if (n_prompt > m->max_seq)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_model_generate: prompt of %lld tokens is longer than max_seq %lld",
                         (long long)n_prompt, (long long)m->max_seq);
    bn_sampler_params d;
    bn_sampler_params_default(&d);
    if (!p) p = &d;
    bn_ctx_manual_seed(m->ctx, p->seed);
    bn_model_reset(m);
    float *logits = m->logits;
    memcpy(m->hist, prompt, (size_t)n_prompt * sizeof(int32_t));
    bn_status s = bn_model_forward(m, prompt, n_prompt, logits, 0);
    int64_t made = 0;
    if (s != BN_OK) return s;
    if (max_new > m->max_seq - n_prompt) max_new = m->max_seq - n_prompt + 1;
    while (made < max_new) {
        int32_t t;
        /* history: prompt then the generated ids (kept in m->hist) */
        s = bn_model_sample(m, logits, m->hist, n_prompt + made, p, &t);
        if (s != BN_OK) break;
        if (out) out[made] = t;
        m->hist[n_prompt + made] = t;
        made++;
        if (callback && callback(t, user)) break;
        if (is_eos(m, t) || made == max_new) break;
        s = bn_model_forward(m, &t, 1, logits, 0);
        if (s != BN_OK) break;
    }
    if (n_out) *n_out = made;
    return s;
}
