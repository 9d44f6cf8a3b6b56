/* The BitNet b1.58 forward pass (transformers' BitNetForCausalLM, f32),
 * KV cache; nothing allocated here. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "model/model_internal.h"

#define FN "bn_model_forward"

static inline float dot_f32(const float *a, const float *b, int64_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline float bf16f(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float dot_bf16(const float *a, const uint16_t *b, int64_t n) {
    /* blocks of 16: widen to f32 bits through a buffer so the compiler
     * vectorizes both the widening and the products */
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32_t u[16];
        float f[16];
        for (int j = 0; j < 16; j++) u[j] = (uint32_t)b[i + j] << 16;
        memcpy(f, u, sizeof f);
        for (int j = 0; j < 16; j++) acc[j] += a[i + j] * f[j];
    }
    float s = 0;
    for (int j = 0; j < 16; j += 2) s += acc[j] + acc[j + 1];
    for (; i < n; i++) s += a[i] * bf16f(b[i]);
    return s;
}

static float dot_f16(const float *a, const uint16_t *b, int64_t n) {
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float f[16];
        for (int j = 0; j < 16; j++) f[j] = bn_f16_to_f32(b[i + j]);
        for (int j = 0; j < 16; j++) acc[j] += a[i + j] * f[j];
    }
    float s = 0;
    for (int j = 0; j < 16; j += 2) s += acc[j] + acc[j + 1];
    for (; i < n; i++) s += a[i] * bn_f16_to_f32(b[i]);
    return s;
}

/* The output layer's dot products dominate decode after the ternary
 * layers; on x86 with AVX2 (bn_cpu_isa(), so BITNET_ISA can force the
 * portable code) they run 8-wide with FMA. Only the summation order differs. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BN_MODEL_HAVE_AVX2 1
__attribute__((target("avx2,fma"))) static float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) static float dot_bf16_avx2(const float *a, const uint16_t *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i w0 = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(b + i))), 16);
        __m256i w1 = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(b + i + 8))), 16);
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_castsi256_ps(w0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_castsi256_ps(w1), acc1);
    }
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * bf16f(b[i]);
    return s;
}

__attribute__((target("avx2,fma,f16c"))) static float dot_f16_avx2(const float *a, const uint16_t *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i + 8)));
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), w0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), w1, acc1);
    }
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * bn_f16_to_f32(b[i]);
    return s;
}

__attribute__((target("avx2,fma"))) static float dot_f32_avx2(const float *a, const float *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#endif

#ifdef BN_MODEL_HAVE_AVX2
/* o += p * v over n floats (attention's weighted sum of values). */
__attribute__((target("avx2,fma"))) static void axpy_avx2(float *o, float p, const float *v, int64_t n) {
    const __m256 pv = _mm256_set1_ps(p);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(o + i, _mm256_fmadd_ps(pv, _mm256_loadu_ps(v + i), _mm256_loadu_ps(o + i)));
    for (; i < n; i++) o[i] += p * v[i];
}
#endif

static void axpy(float *o, float p, const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) o[i] += p * v[i];
}

/* BitNetRMSNorm: x * rsqrt(mean(x^2) + eps), then weight * that (f32). */
static void rms_norm_rows(const float *x, int64_t ldx, const float *w, int64_t m, int64_t n, double eps, float *y,
                          int64_t ldy) {
    for (int64_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += (double)xr[i] * (double)xr[i];
        float var = (float)(ss / (double)n);
        float inv = 1.0f / sqrtf(var + (float)eps);
        for (int64_t i = 0; i < n; i++) yr[i] = w[i] * (xr[i] * inv);
    }
}

/* rotate-half RoPE on `heads` heads of HD in row x at position p */
static void rope_row(const bn_model *m, float *x, int64_t heads, int64_t p) {
    int64_t half = m->HD / 2;
    const float *c = m->rope_cos + p * half, *s = m->rope_sin + p * half;
    for (int64_t h = 0; h < heads; h++) {
        float *v = x + h * m->HD;
        for (int64_t i = 0; i < half; i++) {
            float a = v[i], b = v[i + half];
            v[i] = a * c[i] - b * s[i];
            v[i + half] = b * c[i] + a * s[i];
        }
    }
}

typedef struct attn_job {
    bn_model *m;
    int64_t layer, pos0;
    int avx2; /* the AVX2 dot and axpy (chosen by bn_cpu_isa()) */
} attn_job;

static void attn_task(void *arg, size_t begin, size_t end, int thread) {
    const attn_job *j = arg;
    bn_model *m = j->m;
    float *sc = m->scores + (size_t)thread * (size_t)m->max_seq;
    int64_t group = m->NH / m->NKV;
    float scale = (float)(1.0 / sqrt((double)m->HD));
    const float *kc = m->kc + j->layer * m->max_seq * m->KVD;
    const float *vc = m->vc + j->layer * m->max_seq * m->KVD;
    for (size_t it = begin; it < end; it++) {
        int64_t i = (int64_t)it / m->NH, h = (int64_t)it % m->NH, kh = h / group;
        int64_t n = j->pos0 + i + 1;
        const float *q = m->q + i * m->QD + h * m->HD;
        float mx = -INFINITY;
        for (int64_t t = 0; t < n; t++) {
            const float *kt = kc + t * m->KVD + kh * m->HD;
#ifdef BN_MODEL_HAVE_AVX2
            float s = (j->avx2 ? dot_f32_avx2(q, kt, m->HD) : dot_f32(q, kt, m->HD)) * scale;
#else
            float s = dot_f32(q, kt, m->HD) * scale;
#endif
            sc[t] = s;
            if (s > mx) mx = s;
        }
        float sum = 0;
        for (int64_t t = 0; t < n; t++) {
            sc[t] = expf(sc[t] - mx);
            sum += sc[t];
        }
        float inv = 1.0f / sum;
        float *o = m->att + i * m->QD + h * m->HD;
        for (int64_t d = 0; d < m->HD; d++) o[d] = 0;
        for (int64_t t = 0; t < n; t++) {
            float p = sc[t] * inv;
            const float *v = vc + t * m->KVD + kh * m->HD;
#ifdef BN_MODEL_HAVE_AVX2
            if (j->avx2) {
                axpy_avx2(o, p, v, m->HD);
                continue;
            }
#endif
            axpy(o, p, v, m->HD);
        }
    }
}

typedef struct head_job {
    const bn_model *m;
    const float *xn; /* [rows, H] */
    int64_t rows;
    float *out; /* [rows, V] */
    int avx2;
} head_job;

static void head_task(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    const head_job *j = arg;
    const bn_model *m = j->m;
    for (int64_t r = 0; r < j->rows; r++) {
        const float *x = j->xn + r * m->H;
        float *o = j->out + r * m->V;
#ifdef BN_MODEL_HAVE_AVX2
        if (j->avx2) {
            if (m->head16 && m->head16_f16)
                for (size_t v = begin; v < end; v++) o[v] = dot_f16_avx2(x, m->head16 + (int64_t)v * m->H, m->H);
            else if (m->head16)
                for (size_t v = begin; v < end; v++) o[v] = dot_bf16_avx2(x, m->head16 + (int64_t)v * m->H, m->H);
            else
                for (size_t v = begin; v < end; v++) o[v] = dot_f32_avx2(x, m->lm_head + (int64_t)v * m->H, m->H);
            continue;
        }
#endif
        if (m->head16 && m->head16_f16)
            for (size_t v = begin; v < end; v++) o[v] = dot_f16(x, m->head16 + (int64_t)v * m->H, m->H);
        else if (m->head16)
            for (size_t v = begin; v < end; v++) o[v] = dot_bf16(x, m->head16 + (int64_t)v * m->H, m->H);
        else
            for (size_t v = begin; v < end; v++) o[v] = dot_f32(x, m->lm_head + (int64_t)v * m->H, m->H);
    }
}

/* Per-row work between the matrix products, split over the context's
 * threads by rows (prefill) and run inline for a few rows (decode, where a
 * wake-up costs more than the work). */
typedef enum { ROWS_ADD_NORM_QUANT, ROWS_NORM, ROWS_RELU2_NORM, ROWS_ADD } rows_kind;

typedef struct rows_job {
    bn_model *m;
    rows_kind kind;
    const float *w; /* norm weight */
    int add;        /* ROWS_ADD_NORM_QUANT: first x += tmp */
} rows_job;

static void rows_task(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    const rows_job *j = arg;
    bn_model *m = j->m;
    const int64_t H = m->H, I = m->I;
    const double eps = m->cfg.rms_norm_eps;
    for (int64_t r = (int64_t)begin; r < (int64_t)end; r++) {
        float *x = m->x + r * H;
        switch (j->kind) {
        case ROWS_ADD_NORM_QUANT:
            if (j->add)
                for (int64_t i = 0; i < H; i++) x[i] += m->tmp[r * H + i];
            rms_norm_rows(x, H, j->w, 1, H, eps, m->xn + r * H, H);
            bn_bitlinear_quantize_activations(m->xn + r * H, 1, H, m->qx + r * H, m->qs + r);
            break;
        case ROWS_NORM: /* attention output -> attn_sub norm */
            rms_norm_rows(m->att + r * m->QD, m->QD, j->w, 1, m->QD, eps, m->xn + r * m->QD, m->QD);
            break;
        case ROWS_RELU2_NORM: {
            float *g = m->gate + r * I;
            const float *u = m->up + r * I;
            for (int64_t i = 0; i < I; i++) {
                float v = g[i] > 0 ? g[i] : 0;
                g[i] = (v * v) * u[i];
            }
            rms_norm_rows(g, I, j->w, 1, I, eps, m->xn + r * I, I);
            break;
        }
        case ROWS_ADD:
            for (int64_t i = 0; i < H; i++) x[i] += m->tmp[r * H + i];
            break;
        }
    }
}

static bn_status run_rows(bn_model *m, int64_t n, rows_kind kind, const float *w, int add) {
    rows_job j = {m, kind, w, add};
    if (n < 4) {
        rows_task(&j, 0, (size_t)n, 0);
        return BN_OK;
    }
    return bn_ctx_parallel_for(m->ctx, (size_t)n, 1, rows_task, &j);
}

/* y = W x for both of a pair sharing one quantized input (q8 in m->qx, m->qs) */
static bn_status lin_q8(bn_model *m, const bn_bitlinear *w, int64_t rows, float *y) {
    return bn_bitlinear_forward_q8(m->ctx, w, m->qx, m->qs, rows, y, NULL, 0);
}

static bn_status run_chunk(bn_model *m, const int32_t *tok, int64_t n, float *logits, int all_logits, int last_chunk) {
    bn_status s;
    int64_t H = m->H;
    double eps = m->cfg.rms_norm_eps;
    for (int64_t i = 0; i < n; i++) {
        if (m->embed16) {
            const uint16_t *e = m->embed16 + (int64_t)tok[i] * H;
            if (m->embed16_f16)
                for (int64_t d = 0; d < H; d++) m->x[i * H + d] = bn_f16_to_f32(e[d]);
            else
                for (int64_t d = 0; d < H; d++) m->x[i * H + d] = bf16f(e[d]);
        } else {
            memcpy(m->x + i * H, m->embed + (int64_t)tok[i] * H, (size_t)H * sizeof(float));
        }
    }
    int avx2 = 0;
#ifdef BN_MODEL_HAVE_AVX2
    avx2 = bn_cpu_isa() >= BN_ISA_AVX2 && bn_cpu_isa() <= BN_ISA_AVX512;
#endif
    for (int64_t l = 0; l < m->L; l++) {
        bn_layer *y = &m->layers[l];
        /* attention (the previous layer's MLP output is added to x here) */
        if ((s = run_rows(m, n, ROWS_ADD_NORM_QUANT, y->in_norm, l > 0))) return s;
        if ((s = lin_q8(m, y->q, n, m->q))) return s;
        if ((s = lin_q8(m, y->k, n, m->k))) return s;
        if ((s = lin_q8(m, y->v, n, m->v))) return s;
        float *kc = m->kc + l * m->max_seq * m->KVD, *vc = m->vc + l * m->max_seq * m->KVD;
        for (int64_t i = 0; i < n; i++) {
            int64_t p = m->pos + i;
            rope_row(m, m->q + i * m->QD, m->NH, p);
            rope_row(m, m->k + i * m->KVD, m->NKV, p);
            memcpy(kc + p * m->KVD, m->k + i * m->KVD, (size_t)m->KVD * sizeof(float));
            memcpy(vc + p * m->KVD, m->v + i * m->KVD, (size_t)m->KVD * sizeof(float));
        }
        attn_job aj = {m, l, m->pos, avx2};
        if ((s = bn_ctx_parallel_for(m->ctx, (size_t)(n * m->NH), 1, attn_task, &aj))) return s;
        if ((s = run_rows(m, n, ROWS_NORM, y->attn_sub, 0))) return s;
        if ((s = bn_bitlinear_forward(m->ctx, y->o, m->xn, n, m->tmp))) return s;
        /* MLP */
        if ((s = run_rows(m, n, ROWS_ADD_NORM_QUANT, y->post_norm, 1))) return s;
        if ((s = lin_q8(m, y->gate, n, m->gate))) return s;
        if ((s = lin_q8(m, y->up, n, m->up))) return s;
        if ((s = run_rows(m, n, ROWS_RELU2_NORM, y->ffn_sub, 0))) return s;
        if ((s = bn_bitlinear_forward(m->ctx, y->down, m->xn, n, m->tmp))) return s;
    }
    if (m->L > 0 && (s = run_rows(m, n, ROWS_ADD, NULL, 0))) return s;
    if (logits) {
        int64_t first = all_logits ? 0 : n - 1;
        if (all_logits || last_chunk) {
            int64_t rows = n - first;
            rms_norm_rows(m->x + first * H, H, m->norm, rows, H, eps, m->xn, H);
            head_job hj = {m, m->xn, rows, logits, 0};
#ifdef BN_MODEL_HAVE_AVX2
            hj.avx2 = bn_cpu_isa() >= BN_ISA_AVX2 && bn_cpu_isa() <= BN_ISA_AVX512;
#endif
            if ((s = bn_ctx_parallel_for(m->ctx, (size_t)m->V, 256, head_task, &hj))) return s;
        }
    }
    m->pos += n;
    return BN_OK;
}

bn_status bn_model_forward(bn_model *m, const int32_t *tokens, int64_t n, float *logits, int all_logits) {
    BNI_CHECK_NULL(FN, m);
    BNI_CHECK_NULL(FN, tokens);
    if (n < 1) return bni_error(BN_ERR_INVALID_ARGUMENT, FN ": n = %lld tokens", (long long)n);
    if (n > m->max_seq - m->pos)
        return bni_error(BN_ERR_OUT_OF_RANGE, FN ": %lld tokens at position %lld pass the KV cache of %lld positions",
                         (long long)n, (long long)m->pos, (long long)m->max_seq);
    for (int64_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->V)
            return bni_error(BN_ERR_OUT_OF_RANGE, FN ": token %lld is id %d, outside the vocabulary of %lld", (long long)i,
                             (int)tokens[i], (long long)m->V);
    int64_t start_pos = m->pos;
    for (int64_t off = 0; off < n; off += m->max_batch) {
        int64_t c = n - off < m->max_batch ? n - off : m->max_batch;
        float *lg = logits ? (all_logits ? logits + off * m->V : logits) : NULL;
        bn_status s = run_chunk(m, tokens + off, c, lg, all_logits, off + c == n);
        if (s != BN_OK) {
            m->pos = start_pos;
            return s;
        }
    }
    return BN_OK;
}
