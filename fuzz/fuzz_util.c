/* See fuzz_util.h. */
#include "fuzz_util.h"

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
