/* `bitnet precision` on the bundled tiny models: the table's rows, kinds and
 * choices, a policy saved with --save and read back giving the same table,
 * validation errors and usage errors. Runs the `bitnet` binary built beside
 * the tests (skipped when it or the models are absent). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#define MODELS BITNET_TEST_DATA_DIR "/models"

static char bin[PATH_MAX];

/* Runs `bitnet precision ARGS`; stdout into out (NUL-terminated); returns the exit status. */
static int run(const char *args, char *out, size_t size) {
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd, "%s precision %s 2>/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Runs `bitnet precision ARGS`; stderr into err (stdout dropped); returns the exit status. */
static int run_err(const char *args, char *err, size_t size) {
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd, "%s precision %s 2>&1 >/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return -1;
    size_t n = fread(err, 1, size - 1, p);
    err[n] = 0;
    int rc = pclose(p);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int count_lines_with(const char *text, const char *needle) {
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (len >= sizeof buf) len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = 0;
        if (strstr(buf, needle)) n++;
        line = end ? end + 1 : NULL;
    }
    return n;
}

int main(void) {
    ssize_t n = readlink("/proc/self/exe", bin, sizeof bin - 16);
    if (n <= 0) return bt_summary("test_precision_cli");
    bin[n] = 0;
    char *slash = strrchr(bin, '/');
    if (slash) strcpy(slash, "/../bitnet");
    if (access(bin, X_OK) != 0) {
        printf("SKIP: %s not built\n", bin);
        CHECK(1); /* a skip is not a failure */
        return bt_summary("test_precision_cli");
    }
    char master[PATH_MAX], packed[PATH_MAX];
    snprintf(master, sizeof master, "%s/bitnet-tiny/master", MODELS);
    snprintf(packed, sizeof packed, "%s/bitnet-tiny/packed", MODELS);
    if (access(master, R_OK) != 0) {
        printf("SKIP: %s missing\n", master);
        CHECK(1);
        return bt_summary("test_precision_cli");
    }
    static char out[1 << 16], out2[1 << 16];
    char args[PATH_MAX * 2];

    /* balanced: 24 tensors; norms f32, projections ternary, embeddings bf16 */
    snprintf(args, sizeof args, "-m %s --policy balanced", master);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "total: 24 tensors") != NULL);
    CHECK(count_lines_with(out, "ternary/tensor") == 14);
    CHECK(count_lines_with(out, "  norm        f32  ") == 9);
    CHECK(count_lines_with(out, "  embedding   bf16  ") == 1);
    CHECK(strstr(out, "sqnr_db") != NULL);

    /* aggressive, and its policy saved then read back: the same table */
    char path[] = "/tmp/bitnet_precision_cli_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        close(fd);
        snprintf(args, sizeof args, "-m %s --policy aggressive --save %s", master, path);
        CHECK(run(args, out, sizeof out) == 0);
        snprintf(args, sizeof args, "-m %s --policy %s", master, path);
        CHECK(run(args, out2, sizeof out2) == 0);
        /* the first line names the policy; the table must match */
        const char *t1 = strchr(out, '\n'), *t2 = strchr(out2, '\n');
        CHECK(t1 && t2 && strcmp(t1, t2) == 0);
        CHECK(count_lines_with(out, "qint8/row") == 1); /* the embedding */
        /* a policy that fails validation: exit 1 */
        FILE *f = fopen(path, "w");
        if (f) {
            fputs("{\"kinds\": {\"norm\": \"ternary\"}}", f);
            fclose(f);
        }
        snprintf(args, sizeof args, "-m %s --policy %s", master, path);
        CHECK(run(args, out, sizeof out) == 1);
        remove(path);
    }

    /* overrides without .weight match the parameter; one that matches nothing is warned about */
    {
        char pol[] = "/tmp/bitnet_precision_ov_XXXXXX";
        int pfd = mkstemp(pol);
        CHECK(pfd >= 0);
        if (pfd >= 0) {
            close(pfd);
            FILE *f = fopen(pol, "w");
            if (f) {
                fputs("{\"base\": \"balanced\", \"overrides\": [\n"
                      " {\"pattern\": \"model.layers.*.mlp.down_proj\", \"spec\": {\"dtype\": \"qint4\", \"granularity\": \"row\"}},\n"
                      " {\"pattern\": \"model.layers.*.mlp.nothing_here\", \"spec\": \"f16\"}]}", f);
                fclose(f);
            }
            snprintf(args, sizeof args, "-m %s --policy %s", master, pol);
            CHECK(run(args, out, sizeof out) == 0);
            CHECK(count_lines_with(out, "qint4/row") == count_lines_with(out, "mlp.down_proj.weight"));
            CHECK(count_lines_with(out, "mlp.down_proj.weight") >= 1);
            static char err[1 << 14];
            CHECK(run_err(args, err, sizeof err) == 0);
            CHECK(strstr(err, "warning: override \"model.layers.*.mlp.nothing_here\" matches no tensor") != NULL);
            CHECK(strstr(err, "override \"model.layers.*.mlp.down_proj\" matches no tensor") == NULL);
            remove(pol);
        }
    }

    /* a GGUF file: a clear refusal, not a safetensors parse error */
    {
        static char err[1 << 14];
        char gg[] = "/tmp/bitnet_precision_gguf_XXXXXX";
        int gfd = mkstemp(gg);
        CHECK(gfd >= 0);
        if (gfd >= 0) {
            CHECK(write(gfd, "GGUF\3\0\0\0", 8) == 8);
            close(gfd);
            snprintf(args, sizeof args, "-m %s", gg);
            CHECK(run_err(args, err, sizeof err) == 1);
            CHECK(strstr(err, "GGUF models are not supported by bitnet precision yet; give a Hugging Face directory"));
            CHECK(strstr(err, "safetensors header") == NULL);
            remove(gg);
        }
        char real[PATH_MAX];
        snprintf(real, sizeof real, "%s/gguf/bitnet-tiny-packed-i2_s.gguf", MODELS);
        if (access(real, R_OK) == 0) {
            snprintf(args, sizeof args, "-m %s", real);
            CHECK(run_err(args, err, sizeof err) == 1);
            CHECK(strstr(err, "GGUF models are not supported by bitnet precision yet") != NULL);
        }
    }

    /* --filter and the packed checkpoint: integer tensors and scales skipped */
    if (access(packed, R_OK) == 0) {
        snprintf(args, sizeof args, "-m %s --filter layers.0.", packed);
        CHECK(run(args, out, sizeof out) == 0);
        CHECK(count_lines_with(out, "skipped") >= 7);
        CHECK(strstr(out, "model.layers.1.") == NULL);
    }

    /* errors */
    CHECK(run("--policy balanced", out, sizeof out) == 2);
    snprintf(args, sizeof args, "-m %s --policy nosuchpolicy", master);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK(run("-m /nonexistent/model", out, sizeof out) == 1);
    CHECK(run("--bogus", out, sizeof out) == 2);
    return bt_summary("test_precision_cli");
}
