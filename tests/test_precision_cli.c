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
