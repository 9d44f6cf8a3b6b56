/* Shared benchmark harness for the programs in bench/ and `bitnet bench`.
 *
 * A benchmark times a function over warm-up runs and repetitions, reports
 * the median and p10/p90 (and any derived rate), prints a human table or
 * JSON lines, and can compare itself against a saved baseline:
 *
 *   bnb_options opt; bnb_parse_args(&opt, argc, argv);   // --json, --reps N,
 *                                                         // --warmup N, --compare F, --filter S
 *   bnb_result r = bnb_measure(&opt, fn, arg);            // seconds per call
 *   bnb_report(&opt, "pool/small", &r, "size", 64, ...);
 *   return bnb_finish(&opt);                              // non-zero when --compare flagged a regression
 */
#ifndef BITNET_BENCH_HARNESS_H
#define BITNET_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct bnb_options {
    int json;                /* --json: one JSON object per line on stdout */
    int warmup;              /* --warmup N (default 3) */
    int reps;                /* --reps N (default 15) */
    const char *compare;     /* --compare BASELINE.json (JSON lines from an earlier --json run) */
    double tolerance;        /* --tolerance F: allowed slowdown before flagging (default 0.10) */
    const char *filter;      /* --filter S: run only benchmarks whose name contains S */
    int regressions;         /* count of figures flagged by --compare so far */
} bnb_options;

/* Parse the common flags; unknown arguments are left for the caller:
 * returns the index of the first argument not consumed, or -1 after printing
 * an error (bad number, missing value). --help prints the common flags. */
int bnb_parse_args(bnb_options *opt, int argc, char **argv);

/* Monotonic clock in seconds. */
double bnb_now(void);

/* Timing summary of repeated runs, in seconds. */
typedef struct bnb_result {
    double median, p10, p90, min, max;
    int reps;
} bnb_result;

/* Sort `samples` and summarize them. */
bnb_result bnb_summarize(double *samples, int n);

/* Run fn(arg) opt->warmup times untimed, then opt->reps times timed. */
bnb_result bnb_measure(const bnb_options *opt, void (*fn)(void *arg), void *arg);

/* Whether the benchmark `name` passes --filter. */
int bnb_selected(const bnb_options *opt, const char *name);

/* A labelled extra field of a report line. */
typedef struct bnb_field {
    const char *key;
    int is_text;           /* 1: text holds the value; 0: number */
    const char *text;
    double number;
} bnb_field;

#define BNB_NUM(k, v) ((bnb_field){(k), 0, NULL, (double)(v)})
#define BNB_TXT(k, v) ((bnb_field){(k), 1, (v), 0.0})

/* Print one result: name, median/p10/p90 in ns (keys median_ns, p10_ns,
 * p90_ns), plus the extra fields (rates such as gb_s or gop_s, ratios such
 * as vs_baseline). With --compare, looks up the line of the baseline file
 * with the same name and the same text fields, and flags the figure when
 * its median is more than `tolerance` slower (or, for keys ending in _s
 * listed as rates, lower). */
void bnb_report(bnb_options *opt, const char *name, const bnb_result *r, const bnb_field *fields,
                int nfields);

/* Print the --compare summary; returns 0 when nothing regressed, 1 otherwise. */
int bnb_finish(bnb_options *opt);

#endif
