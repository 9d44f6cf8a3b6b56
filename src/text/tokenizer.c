/* The public tokenizer API (include/bitnet/tokenizer.h): loading, encode
 * (single, into a buffer, batch on a context's threads), decode, lookups. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "text/tok_internal.h"

void bn_tokenizer_options_default(bn_tokenizer_options *options) {
    if (!options) return;
    memset(options, 0, sizeof *options);
    options->add_bos = -1;
    options->add_eos = -1;
}

/* Read a whole file into a NUL-terminated buffer. */
static bn_status read_file(const char *path, char **data, size_t *len, const char *who) {
    FILE *f = fopen(path, "rb");
    if (!f) return bni_error(BN_ERR_IO, "%s: cannot open '%s': %s", who, path, strerror(errno));
    tk_bytes b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (!tk_bytes_append(&b, chunk, got)) {
            fclose(f);
            tk_bytes_free(&b);
            return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory reading '%s'", who, path);
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        tk_bytes_free(&b);
        return bni_error(BN_ERR_IO, "%s: error reading '%s'", who, path);
    }
    if (!tk_bytes_append(&b, "", 1)) {
        tk_bytes_free(&b);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "%s: out of memory reading '%s'", who, path);
    }
    *data = b.p;
    *len = b.n - 1;
    return BN_OK;
}

bn_status bn_tokenizer_load_from_memory(const char *json, size_t len, const char *config_json, size_t config_len,
                                        const bn_tokenizer_options *options, bn_tokenizer **out) {
    BNI_CHECK_NULL("bn_tokenizer_load_from_memory", json);
    BNI_CHECK_NULL("bn_tokenizer_load_from_memory", out);
    bn_tokenizer_options opt;
    if (options) opt = *options;
    else bn_tokenizer_options_default(&opt);
    if (opt.add_bos < -1 || opt.add_bos > 1 || opt.add_eos < -1 || opt.add_eos > 1)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_load: add_bos %d / add_eos %d must be -1, 0 or 1",
                         opt.add_bos, opt.add_eos);
    bn_tokenizer *tok = bni_calloc(1, sizeof *tok);
    if (!tok) return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_load: out of memory");
    if (pthread_mutex_init(&tok->lock, NULL) != 0) {
        bni_free(tok);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_load: cannot create a mutex");
    }
    tok->unk_id = tok->bos_id = tok->eos_id = tok->pad_id = -1;
    tok->special_as_text = opt.special_as_text != 0;
    bn_status st = tk_load_json(tok, json, len, opt.no_config ? NULL : config_json, config_len, &opt);
    if (st) {
        bn_tokenizer_free(tok);
        return st;
    }
    *out = tok;
    return BN_OK;
}

bn_status bn_tokenizer_load(const char *path, const bn_tokenizer_options *options, bn_tokenizer **out) {
    BNI_CHECK_NULL("bn_tokenizer_load", path);
    BNI_CHECK_NULL("bn_tokenizer_load", out);
    bn_tokenizer_options opt;
    if (options) opt = *options;
    else bn_tokenizer_options_default(&opt);
    char *json = NULL, *cfg = NULL, *cfg_path = NULL;
    size_t len = 0, cfg_len = 0;
    bn_status st = read_file(path, &json, &len, "bn_tokenizer_load");
    if (st) return st;
    if (!opt.no_config) {
        if (opt.config_path) {
            st = read_file(opt.config_path, &cfg, &cfg_len, "bn_tokenizer_load");
        } else {
            /* tokenizer_config.json beside tokenizer.json, when there is one */
            const char *slash = strrchr(path, '/');
            size_t dir = slash ? (size_t)(slash - path + 1) : 0;
            static const char name[] = "tokenizer_config.json";
            cfg_path = bni_malloc(dir + sizeof name);
            if (!cfg_path) st = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_load: out of memory");
            else {
                memcpy(cfg_path, path, dir);
                memcpy(cfg_path + dir, name, sizeof name);
                FILE *f = fopen(cfg_path, "rb");
                if (f) {
                    fclose(f);
                    st = read_file(cfg_path, &cfg, &cfg_len, "bn_tokenizer_load");
                }
            }
        }
    }
    if (st == BN_OK) st = bn_tokenizer_load_from_memory(json, len, cfg, cfg_len, &opt, out);
    bni_free(json);
    bni_free(cfg);
    bni_free(cfg_path);
    return st;
}

void bn_tokenizer_free(bn_tokenizer *tok) {
    if (!tok) return;
    tk_destroy(tok);
    pthread_mutex_destroy(&tok->lock);
    bni_free(tok);
}

static bn_status check_encode_args(const char *who, const bn_tokenizer *tok, const char *text, size_t len,
                                   unsigned flags) {
    if (!tok) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: tok is NULL", who);
    if (!text && len) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: text is NULL with length %zu", who, len);
    if (flags & ~(BN_TOK_ADD_SPECIAL | BN_TOK_SPECIAL_AS_TEXT))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", who, flags);
    return BN_OK;
}

/* Encode into the scratch w (the tokenizer is logically const: only its
 * scratch list changes, under its lock). */
static bn_status encode_work(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags, tk_work **wout) {
    tk_work *w = NULL;
    bn_status st = tk_work_get((bn_tokenizer *)tok, &w);
    if (st) return st;
    st = tk_encode(tok, w, text ? text : "", len, flags);
    if (st) {
        tk_work_put((bn_tokenizer *)tok, w);
        return st;
    }
    *wout = w;
    return BN_OK;
}

bn_status bn_tokenizer_encode(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags, int32_t **ids,
                              size_t *n) {
    bn_status st = check_encode_args("bn_tokenizer_encode", tok, text, len, flags);
    if (st) return st;
    BNI_CHECK_NULL("bn_tokenizer_encode", ids);
    BNI_CHECK_NULL("bn_tokenizer_encode", n);
    tk_work *w;
    if ((st = encode_work(tok, text, len, flags, &w))) return st;
    int32_t *out = bni_malloc(w->ids.n ? w->ids.n * sizeof *out : 1);
    if (!out) {
        tk_work_put((bn_tokenizer *)tok, w);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_encode: out of memory for %zu ids", w->ids.n);
    }
    if (w->ids.n) memcpy(out, w->ids.p, w->ids.n * sizeof *out);
    *n = w->ids.n;
    *ids = out;
    tk_work_put((bn_tokenizer *)tok, w);
    return BN_OK;
}

bn_status bn_tokenizer_encode_to(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags, int32_t *ids,
                                 size_t capacity, size_t *n) {
    bn_status st = check_encode_args("bn_tokenizer_encode_to", tok, text, len, flags);
    if (st) return st;
    BNI_CHECK_NULL("bn_tokenizer_encode_to", n);
    if (!ids && capacity) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_encode_to: ids is NULL with capacity %zu", capacity);
    tk_work *w;
    if ((st = encode_work(tok, text, len, flags, &w))) return st;
    size_t need = w->ids.n;
    *n = need;
    if (need > capacity) st = bni_error(BN_ERR_OUT_OF_RANGE, "bn_tokenizer_encode_to: %zu ids do not fit in capacity %zu", need, capacity);
    else if (need) memcpy(ids, w->ids.p, need * sizeof *ids);
    tk_work_put((bn_tokenizer *)tok, w);
    return st;
}

/* ---- batch ---------------------------------------------------------------------- */

typedef struct batch_job {
    const bn_tokenizer *tok;
    const char *const *texts;
    const size_t *lens;
    unsigned flags;
    int32_t **ids;
    size_t *n;
    pthread_mutex_t lock;
    size_t err_index; /* lowest failing text, SIZE_MAX when none */
    bn_status err_status;
    char err_msg[512];
} batch_job;

static void batch_fail(batch_job *job, size_t i, bn_status st) {
    pthread_mutex_lock(&job->lock);
    if (i < job->err_index) {
        job->err_index = i;
        job->err_status = st;
        snprintf(job->err_msg, sizeof job->err_msg, "%s", bn_last_error());
    }
    pthread_mutex_unlock(&job->lock);
}

/* One chunk of the batch: one scratch for the whole chunk, so the texts of
 * a chunk take no lock. */
static void batch_range(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    batch_job *job = arg;
    tk_work *w = NULL;
    bn_status st = tk_work_get((bn_tokenizer *)job->tok, &w);
    if (st) {
        batch_fail(job, begin, st);
        return;
    }
    for (size_t i = begin; i < end; i++) {
        st = tk_encode(job->tok, w, job->texts[i] ? job->texts[i] : "", job->lens[i], job->flags);
        if (st == BN_OK) {
            int32_t *out = bni_malloc(w->ids.n ? w->ids.n * sizeof *out : 1);
            if (!out) st = bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_encode_batch: out of memory for %zu ids", w->ids.n);
            else {
                if (w->ids.n) memcpy(out, w->ids.p, w->ids.n * sizeof *out);
                job->ids[i] = out;
                job->n[i] = w->ids.n;
            }
        }
        if (st) {
            batch_fail(job, i, st);
            break; /* the rest of this chunk is not needed */
        }
    }
    tk_work_put((bn_tokenizer *)job->tok, w);
}

bn_status bn_tokenizer_encode_batch(const bn_tokenizer *tok, bn_ctx *ctx, size_t count, const char *const *texts,
                                    const size_t *lens, unsigned flags, int32_t **ids, size_t *n) {
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", tok);
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", ctx);
    if (count == 0) return BN_OK;
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", texts);
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", lens);
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", ids);
    BNI_CHECK_NULL("bn_tokenizer_encode_batch", n);
    if (flags & ~(BN_TOK_ADD_SPECIAL | BN_TOK_SPECIAL_AS_TEXT))
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_encode_batch: unknown flags 0x%x", flags);
    for (size_t i = 0; i < count; i++)
        if (!texts[i] && lens[i])
            return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_encode_batch: text %zu is NULL with length %zu", i,
                             lens[i]);
    /* outputs are written only on success: work in private arrays */
    int32_t **tmp_ids = bni_calloc(count, sizeof *tmp_ids);
    size_t *tmp_n = bni_calloc(count, sizeof *tmp_n);
    if (!tmp_ids || !tmp_n) {
        bni_free(tmp_ids);
        bni_free(tmp_n);
        return bni_error(BN_ERR_OUT_OF_MEMORY, "bn_tokenizer_encode_batch: out of memory for %zu texts", count);
    }
    batch_job job;
    memset(&job, 0, sizeof job);
    job.tok = tok;
    job.texts = texts;
    job.lens = lens;
    job.flags = flags;
    job.ids = tmp_ids;
    job.n = tmp_n;
    job.err_index = SIZE_MAX;
    pthread_mutex_init(&job.lock, NULL);
    bn_status st = bn_ctx_parallel_for(ctx, count, 1, batch_range, &job);
    pthread_mutex_destroy(&job.lock);
    if (st == BN_OK && job.err_index != SIZE_MAX)
        st = bni_error(job.err_status, "%s (text %zu of the batch)", job.err_msg, job.err_index);
    if (st) {
        for (size_t i = 0; i < count; i++) bni_free(tmp_ids[i]);
    } else {
        memcpy(ids, tmp_ids, count * sizeof *ids);
        memcpy(n, tmp_n, count * sizeof *n);
    }
    bni_free(tmp_ids);
    bni_free(tmp_n);
    return st;
}

void bn_tokenizer_ids_free(int32_t *ids) { bni_free(ids); }

/* ---- decode and lookups ------------------------------------------------------------ */

bn_status bn_tokenizer_decode(const bn_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, char **text,
                              size_t *len) {
    BNI_CHECK_NULL("bn_tokenizer_decode", tok);
    BNI_CHECK_NULL("bn_tokenizer_decode", text);
    if (!ids && n) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_decode: ids is NULL with n %zu", n);
    if (flags & ~BN_TOK_SKIP_SPECIAL)
        return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_decode: unknown flags 0x%x", flags);
    tk_bytes out = {0};
    bn_status st = tk_decode(tok, ids, n, flags, &out);
    if (st) {
        tk_bytes_free(&out);
        return st;
    }
    *text = out.p;
    if (len) *len = out.n;
    return BN_OK;
}

void bn_tokenizer_text_free(char *text) { bni_free(text); }

bn_status bn_tokenizer_id_to_token(const bn_tokenizer *tok, int32_t id, const char **token, size_t *len) {
    BNI_CHECK_NULL("bn_tokenizer_id_to_token", tok);
    BNI_CHECK_NULL("bn_tokenizer_id_to_token", token);
    if (id < 0 || id >= tok->vocab_size || tok->tok_len[id] == UINT32_MAX)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_tokenizer_id_to_token: id %d has no token (vocabulary %d)", id,
                         tok->vocab_size);
    *token = tok->tok_arena.p + tok->tok_off[id];
    if (len) *len = tok->tok_len[id];
    return BN_OK;
}

bn_status bn_tokenizer_token_to_id(const bn_tokenizer *tok, const char *token, size_t len, int32_t *id) {
    BNI_CHECK_NULL("bn_tokenizer_token_to_id", tok);
    BNI_CHECK_NULL("bn_tokenizer_token_to_id", id);
    if (!token && len) return bni_error(BN_ERR_INVALID_ARGUMENT, "bn_tokenizer_token_to_id: token is NULL");
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].len == len && memcmp(tok->added[i].content, token, len) == 0) {
            *id = tok->added[i].id;
            return BN_OK;
        }
    int32_t v = tk_strmap_get(&tok->vocab, token ? token : "", len);
    if (v < 0)
        return bni_error(BN_ERR_OUT_OF_RANGE, "bn_tokenizer_token_to_id: no token '%.*s'", (int)(len > 100 ? 100 : len),
                         token ? token : "");
    *id = v;
    return BN_OK;
}

int32_t bn_tokenizer_vocab_size(const bn_tokenizer *tok) { return tok ? tok->vocab_size : 0; }
int32_t bn_tokenizer_bos_id(const bn_tokenizer *tok) { return tok ? tok->bos_id : -1; }
int32_t bn_tokenizer_eos_id(const bn_tokenizer *tok) { return tok ? tok->eos_id : -1; }
int32_t bn_tokenizer_pad_id(const bn_tokenizer *tok) { return tok ? tok->pad_id : -1; }

int bn_tokenizer_is_special(const bn_tokenizer *tok, int32_t id) {
    return tok && id >= 0 && id < tok->vocab_size && tok->is_special[id];
}
