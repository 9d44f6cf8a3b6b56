/* The benchmark harness: percentiles, argument parsing, and --compare
 * flagging a 20% slowdown but not a 5% one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "test_util.h"

static void test_summarize(void) {
    double s[] = {7, 3, 11, 1, 5, 9, 2, 10, 4, 8, 6};
    bnb_result r = bnb_summarize(s, 11);
    CHECK(r.reps == 11);
    CHECK_NEAR(r.median, 6.0, 1e-12);
    CHECK_NEAR(r.p10, 2.0, 1e-12);
    CHECK_NEAR(r.p90, 10.0, 1e-12);
    CHECK_NEAR(r.min, 1.0, 0.0);
    CHECK_NEAR(r.max, 11.0, 0.0);
    for (int i = 1; i < 11; i++) CHECK(s[i - 1] <= s[i]);

    double e[] = {4, 1, 3, 2}; /* interpolated: positions 1.5, 0.3, 2.7 */
    r = bnb_summarize(e, 4);
    CHECK_NEAR(r.median, 2.5, 1e-12);
    CHECK_NEAR(r.p10, 1.3, 1e-12);
    CHECK_NEAR(r.p90, 3.7, 1e-12);

    double one = 42.0;
    r = bnb_summarize(&one, 1);
    CHECK(r.median == 42.0 && r.p10 == 42.0 && r.p90 == 42.0 && r.reps == 1);
    r = bnb_summarize(NULL, 0);
    CHECK(r.reps == 0);
}

static void test_parse_args(void) {
    char *argv[] = {"prog", "--reps", "5", "--own", "x", "--json", "--warmup", "0", "--filter", "pool", NULL};
    bnb_options opt;
    int rest = bnb_parse_args(&opt, 10, argv);
    CHECK(rest == 8);
    CHECK(opt.reps == 5 && opt.warmup == 0 && opt.json == 1 && opt.compare == NULL);
    CHECK(opt.tolerance > 0.0999 && opt.tolerance < 0.1001);
    CHECK(strcmp(argv[8], "--own") == 0 && strcmp(argv[9], "x") == 0);
    CHECK(bnb_selected(&opt, "pool/small") && !bnb_selected(&opt, "tensor/copy"));

    char *bad[] = {"prog", "--reps", "zero", NULL};
    CHECK(bnb_parse_args(&opt, 3, bad) == -1);
    char *missing[] = {"prog", "--reps", NULL};
    CHECK(bnb_parse_args(&opt, 2, missing) == -1);
    char *nofile[] = {"prog", "--compare", "/nonexistent/baseline.json", NULL};
    CHECK(bnb_parse_args(&opt, 3, nofile) == -1);
}

static int calls;
static void count_call(void *arg) {
    (void)arg;
    calls++;
}

static void test_measure(void) {
    char *argv[] = {"prog", "--warmup", "2", "--reps", "7", NULL};
    bnb_options opt;
    CHECK(bnb_parse_args(&opt, 5, argv) == 5);
    calls = 0;
    bnb_result r = bnb_measure(&opt, count_call, NULL);
    CHECK(calls == 9);
    CHECK(r.reps == 7 && r.min >= 0.0 && r.p10 <= r.median && r.median <= r.p90);
}

/* A baseline of two lines that differ in a text field, plus one that only
 * differs in a parameter, written to a temporary file. */
static int write_baseline(char *path) {
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) return -1;
    fputs("{\"name\":\"copy\",\"kind\":\"a\",\"median_ns\":1000,\"p10_ns\":900,\"p90_ns\":1100,\"reps\":5,"
          "\"size\":64,\"gb_s\":10}\n", f);
    fputs("{\"name\":\"copy\",\"kind\":\"a\",\"median_ns\":5000,\"p10_ns\":900,\"p90_ns\":1100,\"reps\":5,"
          "\"size\":128,\"gb_s\":10}\n", f);
    fputs("not json\n", f);
    fputs("{\"name\":\"copy\",\"kind\":\"b\",\"median_ns\":100,\"reps\":5,\"size\":64,\"gb_s\":100}\n", f);
    return fclose(f);
}

/* Reports one line against the baseline; returns bnb_finish's result. */
static int compare_once(const char *path, double median_ns, double gb_s, int size, const char *kind) {
    char *argv[] = {"prog", "--json", "--compare", (char *)path, NULL};
    bnb_options opt;
    if (bnb_parse_args(&opt, 4, argv) != 4) return -1;
    bnb_result r = {median_ns * 1e-9, median_ns * 0.9e-9, median_ns * 1.1e-9, 0, 0, 5};
    bnb_field f[] = {BNB_TXT("kind", kind), BNB_NUM("size", size), BNB_NUM("gb_s", gb_s)};
    bnb_report(&opt, "copy", &r, f, 3);
    return bnb_finish(&opt);
}

static void test_compare(void) {
    char path[] = "/tmp/bitnet_bench_baseline_XXXXXX";
    CHECK(write_baseline(path) == 0);
    CHECK(compare_once(path, 1000, 10, 64, "a") == 0);   /* identical */
    CHECK(compare_once(path, 1050, 9.6, 64, "a") == 0);  /* 5% slower: within tolerance */
    CHECK(compare_once(path, 1200, 10, 64, "a") == 1);   /* 20% slower time */
    CHECK(compare_once(path, 1000, 8.0, 64, "a") == 1);  /* 20% lower rate */
    CHECK(compare_once(path, 800, 12, 64, "a") == 0);    /* faster is fine */
    CHECK(compare_once(path, 5100, 10, 128, "a") == 0);  /* matched by parameter size */
    CHECK(compare_once(path, 105, 96, 64, "b") == 0);    /* matched by text field */
    CHECK(compare_once(path, 120, 100, 64, "b") == 1);
    CHECK(compare_once(path, 99999, 0.1, 64, "c") == 0); /* no baseline line: not a regression */

    char *argv[] = {"prog", "--compare", path, "--tolerance", "0.25", NULL};
    bnb_options opt;
    CHECK(bnb_parse_args(&opt, 5, argv) == 5);
    bnb_result r = {1.2e-6, 1.1e-6, 1.3e-6, 0, 0, 5};
    bnb_field f[] = {BNB_TXT("kind", "a"), BNB_NUM("size", 64)};
    bnb_report(&opt, "copy", &r, f, 2);
    CHECK(opt.regressions == 0);
    CHECK(bnb_finish(&opt) == 0);
    unlink(path);
}

int main(void) {
    test_summarize();
    test_parse_args();
    test_measure();
    test_compare();
    return bt_summary("test_bench_harness");
}
