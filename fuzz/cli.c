/* Fuzz target: the `bitnet` command line, through the command's own
 * dispatch (main() renamed bitnet_cli_main, fuzz/cli_main.c).
 *
 * Input: the arguments, one per line, up to the first NUL byte; what
 * follows the NUL is the command's stdin. The command runs in a private
 * directory holding small real inputs under short names (m: the packed
 * tiny model with a byte-level tokenizer, mm: the master one, g.gguf with
 * tokenizer.json beside it, t.json, s/tokenizer.json: a SentencePiece-style
 * one with its tokenizer_config.json). Arguments that are absolute paths or
 * have a '..' component are skipped (nothing is read or written outside
 * it), as are the benchmarks and the 2B-4T presets (minutes and gigabytes
 * per run, by design). Files the command writes there are removed after
 * each run, and inputs it overwrote are restored. The harness changes into
 * that directory: give libFuzzer absolute paths (corpus, -artifact_prefix). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

#ifndef BITNET_FUZZ_DATA_DIR
#error "BITNET_FUZZ_DATA_DIR must name tests/data"
#endif
#define D BITNET_FUZZ_DATA_DIR

int bitnet_cli_main(int argc, char **argv);

/* sandbox name -> source file */
static const char *const files[][2] = {
    {"m/config.json", D "/models/bitnet-tiny/packed/config.json"},
    {"m/model.safetensors", D "/models/bitnet-tiny/packed/model.safetensors"},
    {"m/tokenizer.json", D "/tiny-tokenizers/byte-level/tokenizer.json"},
    {"mm/config.json", D "/models/bitnet-tiny/master/config.json"},
    {"mm/model.safetensors", D "/models/bitnet-tiny/master/model.safetensors"},
    {"g.gguf", D "/models/gguf/bitnet-tiny-packed-i2_s.gguf"},
    {"t.json", D "/tiny-tokenizers/byte-level/tokenizer.json"},
    {"tokenizer.json", D "/tiny-tokenizers/byte-level/tokenizer.json"},
    {"s/tokenizer.json", D "/tiny-tokenizers/sp/tokenizer.json"},
    {"s/tokenizer_config.json", D "/tiny-tokenizers/sp/tokenizer_config.json"},
};
static const char *const dirs[] = {".", "m", "mm", "s"};
#define NDIRS (sizeof dirs / sizeof dirs[0])
#define NFILES (sizeof files / sizeof files[0])

static char g_box[600];
static struct stat g_stat[NFILES];

static void copy_in(size_t i) {
    char dst[1024];
    snprintf(dst, sizeof dst, "%s/%s", g_box, files[i][0]);
    FILE *in = fopen(files[i][1], "rb"), *out = fopen(dst, "wb");
    if (!in || !out) {
        perror(in ? dst : files[i][1]);
        abort();
    }
    char buf[65536];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, r, out) != r) abort();
    fclose(in);
    if (fclose(out) != 0) abort();
    if (stat(dst, &g_stat[i]) != 0) abort();
}

static void setup(void) {
    fz_init_env();
    snprintf(g_box, sizeof g_box, "%s/box", fz_tmpdir());
    char p[1024];
    if (mkdir(g_box, 0700) != 0) abort();
    for (size_t i = 1; i < NDIRS; i++) {
        snprintf(p, sizeof p, "%s/%s", g_box, dirs[i]);
        if (mkdir(p, 0700) != 0) abort();
    }
    for (size_t i = 0; i < NFILES; i++) copy_in(i);
    if (chdir(g_box) != 0) abort();
    if (!freopen("/dev/null", "w", stdout)) abort();
}

/* Restore overwritten inputs, remove anything else the run wrote. */
static void tidy(void) {
    for (size_t i = 0; i < NFILES; i++) {
        struct stat sb;
        if (stat(files[i][0], &sb) != 0) {
            copy_in(i);
        } else if (!S_ISREG(sb.st_mode) || sb.st_size != g_stat[i].st_size ||
                   sb.st_mtim.tv_sec != g_stat[i].st_mtim.tv_sec || sb.st_mtim.tv_nsec != g_stat[i].st_mtim.tv_nsec ||
                   sb.st_ino != g_stat[i].st_ino) {
            unlink(files[i][0]);
            copy_in(i);
        }
    }
    for (size_t k = 0; k < NDIRS; k++) {
        DIR *d = opendir(dirs[k]);
        if (!d) continue;
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if (k == 0) snprintf(p, sizeof p, "%s", e->d_name);
            else snprintf(p, sizeof p, "%s/%s", dirs[k], e->d_name);
            int keep = 0;
            for (size_t i = 0; i < NDIRS; i++)
                if (k == 0 && strcmp(p, dirs[i]) == 0) keep = 1;
            for (size_t i = 0; i < NFILES; i++)
                if (strcmp(p, files[i][0]) == 0) keep = 1;
            if (!keep) unlink(p);
        }
        closedir(d);
    }
}

/* Inside the directory: relative, no '..' component. */
static int contained(const char *a) {
    if (a[0] == '/') return 0;
    for (const char *p = a; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == a || p[-1] == '/') && (p[2] == 0 || p[2] == '/')) return 0;
    return 1;
}

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_box[0]) setup();
    const uint8_t *nul = memchr(data, 0, size);
    size_t alen = nul ? (size_t)(nul - data) : size;
    if (alen > 4096) return 0;
    char *args = malloc(alen + 1);
    if (!args) return 0;
    memcpy(args, data, alen);
    args[alen] = 0;
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "bitnet";
    for (char *p = args;;) {
        char *nl = alen ? strchr(p, '\n') : NULL;
        if (argc > MAX_ARGS) {
            free(args);
            return 0;
        }
        if (alen) argv[argc++] = p;
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    argv[argc] = NULL;
    int ok = 1;
    for (int i = 1; i < argc; i++)
        if (!contained(argv[i]) || strstr(argv[i], "2b-4t")) ok = 0;
    if (argc > 2 && strcmp(argv[1], "bench") == 0 &&
        (strcmp(argv[2], "ops") == 0 || strcmp(argv[2], "bitlinear") == 0 || strcmp(argv[2], "tokenizer") == 0 ||
         strcmp(argv[2], "model") == 0))
        ok = 0;
    if (ok) {
        const char *in = nul ? (const char *)nul + 1 : "";
        size_t inlen = nul ? size - alen - 1 : 0;
        FILE *f = fopen("stdin.txt", "wb");
        if (!f || (inlen && fwrite(in, 1, inlen, f) != inlen) || fclose(f) != 0) abort();
        if (!freopen("stdin.txt", "rb", stdin)) abort();
        (void)bitnet_cli_main(argc, argv);
        fflush(stdout);
        tidy();
    }
    free(args);
    return 0;
}
