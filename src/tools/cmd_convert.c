/* `bitnet convert`: a Hugging Face BitNet b1.58 directory (or a random model
 * of a known shape) to GGUF with architecture bitnet-b1.58. Tensors are
 * produced one at a time by the writer's fill callback, so memory holds one
 * tensor (plus its f32/int8 working copies) at a time. See docs/gguf.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitnet/bitnet.h"
#include "bitnet/gguf.h"
#include "bitnet/io.h"
#include "cli.h"
#include "cmd_convert.h"

#ifdef BITNET_HAVE_TOKENIZER
#include <jansson.h>
#endif

#define ARCH "bitnet-b1.58"

typedef enum { SRC_FLOAT, SRC_TERNARY } src_kind;

typedef struct job {
    char name[64];    /* GGUF name */
    char src[160];    /* HF name ("model.layers.0.self_attn.q_proj") */
    src_kind kind;
    int type;         /* GGUF tensor type */
    int ndim;
    int64_t dims[2];  /* GGUF order: {k, n} */
    int64_t n, k;
    int rope_heads;   /* > 0: permute rows of q/k for ggml's RoPE */
} job;

typedef struct conv {
    bn_safetensors *st; /* NULL for random */
    bn_bitnet_config cfg;
    job *jobs;
    int n_jobs;
    bn_quant_format qfmt;
    uint64_t seed;
    int progress;
    const char *out;
} conv;

/* ---- shapes ------------------------------------------------------------------ */

static void add_job(conv *c, const char *name, const char *src, src_kind kind, int type, int64_t n, int64_t k,
                    int rope_heads) {
    job *j = &c->jobs[c->n_jobs++];
    memset(j, 0, sizeof *j);
    snprintf(j->name, sizeof j->name, "%s", name);
    snprintf(j->src, sizeof j->src, "%s", src);
    j->kind = kind;
    j->type = type;
    j->n = n;
    j->k = k;
    j->rope_heads = rope_heads;
    if (n == 1) {
        j->ndim = 1;
        j->dims[0] = k;
        j->dims[1] = 1;
    } else {
        j->ndim = 2;
        j->dims[0] = k;
        j->dims[1] = n;
    }
}

static int plan(conv *c, int float_type, int untied) {
    const bn_bitnet_config *g = &c->cfg;
    int64_t h = g->hidden_size, f = g->intermediate_size, v = g->vocab_size;
    int64_t hd = g->head_dim, nh = g->num_attention_heads, nkv = g->num_key_value_heads;
    int ttype = bn_quant_format_get_info(c->qfmt)->ggml_type;
    c->jobs = calloc((size_t)g->num_hidden_layers * 11 + 4, sizeof *c->jobs);
    if (!c->jobs) return 0;
    add_job(c, "token_embd.weight", "model.embed_tokens.weight", SRC_FLOAT, float_type, v, h, 0);
    char name[64], src[160];
    for (int64_t l = 0; l < g->num_hidden_layers; l++) {
        static const struct {
            const char *gg, *hf;
            int lin; /* 0 norm, 1 linear */
            char in, out; /* h hidden, f ffn, q heads*hd, k kv*hd */
        } L[] = {
            {"attn_norm", "input_layernorm", 0, 0, 'h'},
            {"attn_q", "self_attn.q_proj", 1, 'h', 'q'},
            {"attn_k", "self_attn.k_proj", 1, 'h', 'k'},
            {"attn_v", "self_attn.v_proj", 1, 'h', 'k'},
            {"attn_sub_norm", "self_attn.attn_sub_norm", 0, 0, 'q'},
            {"attn_output", "self_attn.o_proj", 1, 'q', 'h'},
            {"ffn_norm", "post_attention_layernorm", 0, 0, 'h'},
            {"ffn_gate", "mlp.gate_proj", 1, 'h', 'f'},
            {"ffn_up", "mlp.up_proj", 1, 'h', 'f'},
            {"ffn_sub_norm", "mlp.ffn_sub_norm", 0, 0, 'f'},
            {"ffn_down", "mlp.down_proj", 1, 'f', 'h'},
        };
        for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
#define DIM(ch) ((ch) == 'h' ? h : (ch) == 'f' ? f : (ch) == 'q' ? nh * hd : nkv * hd)
            int64_t out = DIM(L[i].out);
            snprintf(name, sizeof name, "blk.%" PRId64 ".%s.weight", l, L[i].gg);
            snprintf(src, sizeof src, "model.layers.%" PRId64 ".%s%s", l, L[i].hf, L[i].lin ? "" : ".weight");
            if (L[i].lin) {
                int rope = strcmp(L[i].gg, "attn_q") == 0 ? (int)nh : strcmp(L[i].gg, "attn_k") == 0 ? (int)nkv : 0;
                add_job(c, name, src, SRC_TERNARY, ttype, out, DIM(L[i].in), rope);
            } else {
                add_job(c, name, src, SRC_FLOAT, BN_GGUF_TENSOR_F32, 1, out, 0);
            }
#undef DIM
        }
    }
    add_job(c, "output_norm.weight", "model.norm.weight", SRC_FLOAT, BN_GGUF_TENSOR_F32, 1, h, 0);
    if (untied) add_job(c, "output.weight", "lm_head.weight", SRC_FLOAT, float_type, v, h, 0);
    return 1;
}

/* ---- producing tensors ---------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void store_floats(const float *src, int64_t count, int type, void *dst) {
    if (type == BN_GGUF_TENSOR_F32) {
        memcpy(dst, src, (size_t)count * 4);
    } else {
        uint16_t *d = dst;
        for (int64_t i = 0; i < count; i++) d[i] = bn_f32_to_f16(src[i]);
    }
}

/* llama.cpp's permute for q/k: within each head, row j * (d/2) + i moves to
 * row 2 * i + j (rotate-half pairs become adjacent, as ggml's RoPE wants). */
static void permute_rows(int8_t *v, int64_t n, int64_t k, int heads, int8_t *tmp) {
    int64_t d = n / heads, half = d / 2;
    memcpy(tmp, v, (size_t)(n * k));
    for (int64_t hh = 0; hh < heads; hh++)
        for (int64_t j = 0; j < 2; j++)
            for (int64_t i = 0; i < half; i++)
                memcpy(v + (hh * d + 2 * i + j) * k, tmp + (hh * d + j * half + i) * k, (size_t)k);
}

static bn_status read_float(conv *c, const char *name, int64_t count, float *out) {
    bn_st_tensor t;
    bn_status st = bn_safetensors_find(c->st, name, &t);
    if (st) return st;
    if (t.numel != count) {
        fprintf(stderr, "bitnet convert: %s: tensor %s has %" PRId64 " elements, the config says %" PRId64 "\n",
                t.file, name, t.numel, count);
        return BN_ERR_SHAPE;
    }
    return bn_st_tensor_to_f32(&t, out, (size_t)count);
}

static bn_status ternary_from_hf(conv *c, const job *j, int8_t *vals, float *scale) {
    char wname[200];
    snprintf(wname, sizeof wname, "%s.weight", j->src);
    bn_st_tensor t;
    bn_status st = bn_safetensors_find(c->st, wname, &t);
    if (st) return st;
    int64_t n = j->n, k = j->k;
    if (t.dtype == BN_DTYPE_U8) {
        int64_t rows = (n + 3) / 4;
        if (t.ndim != 2 || t.shape[0] != rows || t.shape[1] != k) {
            fprintf(stderr, "bitnet convert: %s: packed tensor %s has shape [%" PRId64 ",%" PRId64
                            "], want [%" PRId64 ",%" PRId64 "]\n",
                    t.file, wname, t.ndim > 0 ? t.shape[0] : 0, t.ndim > 1 ? t.shape[1] : 0, rows, k);
            return BN_ERR_SHAPE;
        }
        if ((st = bn_quant_unpack(BN_QUANT_HF, n, k, t.data, t.nbytes, vals, NULL))) return st;
        char sname[200];
        snprintf(sname, sizeof sname, "%s.weight_scale", j->src);
        float ws = 0;
        if ((st = read_float(c, sname, 1, &ws))) return st;
        *scale = c->cfg.linear_kind == BN_LINEAR_BITLINEAR ? 1.0f / ws : ws;
        return BN_OK;
    }
    if (t.numel != n * k || t.ndim != 2 || t.shape[0] != n) {
        fprintf(stderr, "bitnet convert: %s: tensor %s has %" PRId64 " elements, want [%" PRId64 ",%" PRId64 "]\n",
                t.file, wname, t.numel, n, k);
        return BN_ERR_SHAPE;
    }
    float *w = malloc((size_t)(n * k) * sizeof(float));
    if (!w) return BN_ERR_OUT_OF_MEMORY;
    st = bn_st_tensor_to_f32(&t, w, (size_t)(n * k));
    if (!st) st = bn_quantize_weights_f32(w, n, k, BN_QUANT_PER_TENSOR, vals, scale);
    free(w);
    return st;
}

static bn_status fill(void *user, int64_t index, void *dst, size_t nbytes) {
    conv *c = user;
    const job *j = &c->jobs[index];
    int64_t count = j->n * j->k;
    if (j->kind == SRC_FLOAT) {
        float *buf = malloc((size_t)count * sizeof(float));
        if (!buf) return BN_ERR_OUT_OF_MEMORY;
        bn_status st = BN_OK;
        if (c->st) {
            st = read_float(c, j->src, count, buf);
        } else {
            uint64_t s = c->seed * 1000003u + (uint64_t)index;
            int norm = j->n == 1;
            for (int64_t i = 0; i < count; i++)
                buf[i] = norm ? 1.0f : (float)((int64_t)(rng_next(&s) % 2001) - 1000) * 2e-5f;
        }
        if (!st) store_floats(buf, count, j->type, dst);
        free(buf);
        return st;
    }
    int8_t *vals = malloc((size_t)count * 2);
    if (!vals) return BN_ERR_OUT_OF_MEMORY;
    float scale = 0;
    bn_status st = BN_OK;
    if (c->st) {
        st = ternary_from_hf(c, j, vals, &scale);
    } else {
        uint64_t s = c->seed * 1000003u + (uint64_t)index;
        for (int64_t i = 0; i < count;) {
            uint64_t r = rng_next(&s);
            for (int b = 0; b < 32 && i < count; b++, i++, r >>= 2) vals[i] = (int8_t)((r & 3) % 3) - 1;
        }
        scale = 0.01f + (float)(rng_next(&s) % 1000) * 1e-5f;
    }
    if (!st && j->rope_heads > 0) permute_rows(vals, j->n, j->k, j->rope_heads, vals + count);
    if (!st) st = bn_quant_pack(c->qfmt, j->n, j->k, vals, &scale, count, dst, nbytes);
    if (st && c->st) fprintf(stderr, "bitnet convert: tensor %s (from %s): %s\n", j->name, j->src, bn_last_error());
    free(vals);
    return st;
}

static void progress(void *user, uint64_t done, uint64_t total) {
    conv *c = user;
    if (!c->progress || total == 0) return;
    int width = 40, filled = (int)((double)done / (double)total * width);
    char bar[48];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%s [%s] %5.1f%% %8.1f MiB", c->out, bar, 100.0 * (double)done / (double)total,
            (double)done / (1024.0 * 1024.0));
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

/* ---- metadata ---------------------------------------------------------------------- */

#define TRY(call)                     \
    do {                              \
        bn_status st_ = (call);       \
        if (st_) return st_;          \
    } while (0)

static bn_status add_hparams(bn_gguf_writer *w, const bn_bitnet_config *g, const char *name) {
    TRY(bn_gguf_writer_add_str(w, "general.architecture", ARCH, strlen(ARCH)));
    TRY(bn_gguf_writer_add_str(w, "general.name", name, strlen(name)));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".vocab_size", (uint32_t)g->vocab_size));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".context_length",
                               (uint32_t)(g->max_position_embeddings > 0 ? g->max_position_embeddings : 4096)));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".embedding_length", (uint32_t)g->hidden_size));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".block_count", (uint32_t)g->num_hidden_layers));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".feed_forward_length", (uint32_t)g->intermediate_size));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".attention.head_count", (uint32_t)g->num_attention_heads));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".attention.head_count_kv", (uint32_t)g->num_key_value_heads));
    TRY(bn_gguf_writer_add_u32(w, ARCH ".rope.dimension_count", (uint32_t)g->head_dim));
    TRY(bn_gguf_writer_add_f32(w, ARCH ".rope.freq_base", (float)g->rope_theta));
    TRY(bn_gguf_writer_add_f32(w, ARCH ".attention.layer_norm_rms_epsilon", (float)g->rms_norm_eps));
    return BN_OK;
}

#ifdef BITNET_HAVE_TOKENIZER
/* tokenizer.ggml.* as llama.cpp's converter writes them for a byte-level BPE
 * (gpt2 model; pre-tokenizer llama-bpe for the Llama 3 vocabulary). */
static bn_status add_tokenizer(bn_gguf_writer *w, const char *dir, const bn_bitnet_config *g) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "bitnet convert: no %s: writing no tokenizer\n", path);
        return BN_OK;
    }
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "bitnet convert: %s:%d: %s\n", path, err.line, err.text);
        return BN_ERR_FORMAT;
    }
    bn_status st = BN_OK;
    json_t *model = json_object_get(root, "model");
    json_t *vocab = json_object_get(model, "vocab");
    json_t *merges = json_object_get(model, "merges");
    json_t *added = json_object_get(root, "added_tokens");
    const char *mtype = json_string_value(json_object_get(model, "type"));
    if (!json_is_object(vocab) || !json_is_array(merges) || !mtype || strcmp(mtype, "BPE") != 0) {
        fprintf(stderr, "bitnet convert: %s: not a BPE tokenizer with model.vocab and model.merges\n", path);
        json_decref(root);
        return BN_ERR_NOT_SUPPORTED;
    }
    int64_t n = g->vocab_size;
    const char **toks = calloc((size_t)n, sizeof *toks);
    int32_t *types = calloc((size_t)n, sizeof *types);
    size_t nm = json_array_size(merges);
    char **mstr = calloc(nm + 1, sizeof *mstr);
    char (*pads)[32] = calloc((size_t)n, sizeof *pads);
    if (!toks || !types || !mstr || !pads) st = BN_ERR_OUT_OF_MEMORY;
    const char *key;
    json_t *val;
    json_int_t max_id = -1, dropped = 0;
    if (!st) {
        json_object_foreach(vocab, key, val) {
            json_int_t id = json_integer_value(val);
            if (id > max_id) max_id = id;
            if (id >= 0 && id < n) {
                toks[id] = key;
                types[id] = 1; /* NORMAL */
            } else {
                dropped++;
            }
        }
        size_t i;
        json_array_foreach(added, i, val) {
            json_int_t id = json_integer_value(json_object_get(val, "id"));
            const char *content = json_string_value(json_object_get(val, "content"));
            if (id > max_id) max_id = id;
            if (id < 0 || id >= n) dropped++;
            if (id >= 0 && id < n && content) {
                toks[id] = content;
                types[id] = json_is_true(json_object_get(val, "special")) ? 3 /* CONTROL */ : 4 /* USER_DEFINED */;
            }
        }
        for (int64_t id = 0; id < n; id++)
            if (!toks[id]) { /* padding entries past the tokenizer's vocabulary */
                snprintf(pads[id], sizeof pads[id], "[PAD%" PRId64 "]", id);
                toks[id] = pads[id];
                types[id] = 5; /* UNUSED */
            }
        json_array_foreach(merges, i, val) {
            if (json_is_string(val)) {
                const char *m = json_string_value(val);
                size_t lm = strlen(m);
                mstr[i] = malloc(lm + 1);
                if (mstr[i]) memcpy(mstr[i], m, lm + 1);
            } else if (json_is_array(val) && json_array_size(val) == 2) {
                const char *a = json_string_value(json_array_get(val, 0));
                const char *b = json_string_value(json_array_get(val, 1));
                size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
                mstr[i] = malloc(la + lb + 2);
                if (mstr[i]) snprintf(mstr[i], la + lb + 2, "%s %s", a ? a : "", b ? b : "");
            }
            if (!mstr[i]) {
                st = BN_ERR_FORMAT;
                fprintf(stderr, "bitnet convert: %s: merge %zu is malformed\n", path, i);
                break;
            }
        }
    }
    if (dropped)
        fprintf(stderr,
                "bitnet convert: warning: %s has ids up to %" PRId64 ", the model's vocabulary is %" PRId64
                ": %" PRId64 " tokens left out\n",
                path, (int64_t)max_id, n, (int64_t)dropped);
    const char *pre = max_id + 1 >= 128000 ? "llama-bpe" : "default";
    if (!st) st = bn_gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2", 4);
    if (!st) st = bn_gguf_writer_add_str(w, "tokenizer.ggml.pre", pre, strlen(pre));
    if (!st) st = bn_gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", toks, NULL, (uint64_t)n);
    if (!st) st = bn_gguf_writer_add_array(w, "tokenizer.ggml.token_type", BN_GGUF_TYPE_INT32, types, (uint64_t)n);
    if (!st)
        st = bn_gguf_writer_add_str_array(w, "tokenizer.ggml.merges", (const char *const *)mstr, NULL, (uint64_t)nm);
    for (size_t i = 0; mstr && i < nm; i++) free(mstr[i]);
    free(mstr);
    free(toks);
    free(types);
    free(pads);
    json_decref(root);
    return st;
}
#endif

static bn_status add_special_ids(bn_gguf_writer *w, const bn_bitnet_config *g) {
    if (g->bos_token_id >= 0) TRY(bn_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)g->bos_token_id));
    if (g->n_eos > 0) TRY(bn_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)g->eos_token_ids[0]));
    return BN_OK;
}

/* ---- the command ----------------------------------------------------------------------- */

static int usage(const char *fmt, const char *arg) { return cli_usage_error("convert", fmt, arg); }

int bn_cli_cmd_convert(int argc, char **argv) {
    const char *pos[2] = {NULL, NULL};
    int npos = 0, quiet = 0;
    const char *type = "i2_s", *flt = "f16", *like = NULL, *seed_s = "1";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            cli_print_command_help(stdout, cli_find("convert"));
            return CLI_EXIT_OK;
        }
        const char **dst = strcmp(a, "--type") == 0 ? &type
                           : strcmp(a, "--float") == 0 ? &flt
                           : strcmp(a, "--random-like") == 0 ? &like
                           : strcmp(a, "--seed") == 0 ? &seed_s
                           : NULL;
        if (dst) {
            if (i + 1 >= argc) return usage("option %s needs a value", a);
            *dst = argv[++i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else {
            if (npos == 2) return usage("unexpected argument '%s'", a);
            pos[npos++] = a;
        }
    }
    conv c;
    memset(&c, 0, sizeof c);
    if (strcmp(type, "i2_s") == 0) c.qfmt = BN_QUANT_I2_S;
    else if (strcmp(type, "tq2_0") == 0) c.qfmt = BN_QUANT_TQ2_0;
    else if (strcmp(type, "tq1_0") == 0) c.qfmt = BN_QUANT_TQ1_0;
    else return usage("--type must be i2_s, tq2_0 or tq1_0, not '%s'", type);
    int float_type;
    if (strcmp(flt, "f16") == 0) float_type = BN_GGUF_TENSOR_F16;
    else if (strcmp(flt, "f32") == 0) float_type = BN_GGUF_TENSOR_F32;
    else return usage("--float must be f16 or f32, not '%s'", flt);
    char *end = NULL;
    errno = 0;
    c.seed = strtoull(seed_s, &end, 10);
    if (errno || !end || *end || !*seed_s) return usage("--seed needs a non-negative integer, not '%s'", seed_s);
    const char *in = NULL, *out = NULL;
    if (like) {
        if (npos != 1) return usage("%s", "--random-like takes one argument: OUT.gguf");
        out = pos[0];
        if (strcmp(like, "2b-4t") != 0) return usage("unknown --random-like shape '%s' (known: 2b-4t)", like);
        bn_bitnet_config *g = &c.cfg;
        g->vocab_size = 128256;
        g->hidden_size = 2560;
        g->intermediate_size = 6912;
        g->num_hidden_layers = 30;
        g->num_attention_heads = 20;
        g->num_key_value_heads = 5;
        g->head_dim = 128;
        g->max_position_embeddings = 4096;
        g->rms_norm_eps = 1e-5;
        g->rope_theta = 500000.0;
        g->tie_word_embeddings = 1;
        g->bos_token_id = 128000;
        g->eos_token_ids[0] = 128001;
        g->n_eos = 1;
    } else {
        if (npos != 2) return usage("%s", "needs IN_HF_DIR and OUT.gguf");
        in = pos[0];
        out = pos[1];
        bn_status st = bn_bitnet_config_load(in, &c.cfg);
        if (st) return cli_lib_error("reading config.json", st);
        if ((st = bn_safetensors_open(in, &c.st))) return cli_lib_error("opening the safetensors", st);
        if (!c.cfg.tie_word_embeddings && !bn_safetensors_has(c.st, "lm_head.weight")) {
            fprintf(stderr, "bitnet convert: %s: tie_word_embeddings is false but lm_head.weight is missing\n", in);
            bn_safetensors_close(c.st);
            return CLI_EXIT_FAIL;
        }
    }
    c.out = out;
    c.progress = !quiet && isatty(STDERR_FILENO);
    int rc = CLI_EXIT_OK;
    bn_gguf_writer *w = NULL;
    bn_status st = plan(&c, float_type, !c.cfg.tie_word_embeddings) ? BN_OK : BN_ERR_OUT_OF_MEMORY;
    if (!st) st = bn_gguf_writer_new(&w);
    if (!st) {
        const char *base = in ? strrchr(in, '/') : NULL;
        const char *name = like ? "bitnet-b1.58-2B-4T (random)" : base && base[1] ? base + 1 : in;
        st = add_hparams(w, &c.cfg, name);
    }
#ifdef BITNET_HAVE_TOKENIZER
    if (!st && in) st = add_tokenizer(w, in, &c.cfg);
#endif
    if (!st) st = add_special_ids(w, &c.cfg);
    for (int i = 0; !st && i < c.n_jobs; i++)
        st = bn_gguf_writer_add_tensor(w, c.jobs[i].name, c.jobs[i].type, c.jobs[i].ndim, c.jobs[i].dims, NULL);
    if (!st) st = bn_gguf_writer_write_file(w, out, fill, progress, &c);
    if (st) rc = cli_lib_error("convert", st);
    bn_gguf_writer_free(w);
    if (c.st) bn_safetensors_close(c.st);
    free(c.jobs);
    return rc;
}
