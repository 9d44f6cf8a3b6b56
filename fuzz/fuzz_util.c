/* See fuzz_util.h. */
#include "fuzz_util.h"

#include "bitnet/bitnet.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[512];

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) remove_tree(p);
    }
    closedir(d);
    rmdir(dir);
}

static void cleanup(void) {
    if (g_dir[0]) remove_tree(g_dir);
}

const char *fz_tmpdir(void) {
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof g_dir, "%s/bitnet-fuzz.XXXXXX", t && t[0] ? t : "/tmp");
        if (!mkdtemp(g_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(cleanup);
    }
    return g_dir;
}

const char *fz_write_file(int slot, const char *name, const void *data, size_t size) {
    static char paths[4][1024];
    if (slot < 0 || slot >= 4) abort();
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fz_tmpdir(), name);
    FILE *f = fopen(paths[slot], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(paths[slot]);
        abort();
    }
    return paths[slot];
}

void fz_init_env(void) {
    setenv("BITNET_NUM_THREADS", "1", 1);
}

void fz_load_and_run_model(const char *path, int sample) {
    static bn_ctx *ctx;
    if (!ctx) {
        fz_init_env();
        bn_ctx_options co;
        bn_ctx_options_default(&co);
        co.num_threads = 1;
        if (bn_ctx_new(&co, &ctx) != BN_OK) abort();
    }
    bn_model_options o;
    bn_model_options_default(&o);
    o.max_seq = 8;
    bn_model *m = NULL;
    if (bn_model_load(ctx, path, &o, &m) != BN_OK) return;
    int64_t V = bn_model_vocab_size(m);
    float *logits = malloc((size_t)V * sizeof(float));
    int32_t toks[2] = {0, (int32_t)(V - 1)};
    if (logits && bn_model_forward(m, toks, 2, logits, 0) == BN_OK && sample) {
        bn_sampler_params p;
        bn_sampler_params_default(&p);
        int32_t next = 0;
        (void)bn_model_sample(m, logits, toks, 2, &p, &next);
    }
    free(logits);
    bn_model_free(m);
}
