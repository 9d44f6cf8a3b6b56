/* Shared benchmark harness: see harness.h.
 *
 * Arguments: bnb_parse_args() consumes the common flags wherever they are
 * and moves the others, in their order, to the end of argv; it returns the
 * index of the first of those. --help prints the common flags and exits 0
 * (a program with flags of its own checks for --help before calling it).
 *
 * Comparison rules (--compare BASELINE.json):
 * - A report line is matched with the baseline line that has the same name
 *   and the same text fields; when several do, the one that agrees on the
 *   most other numeric fields (parameters such as size or threads) wins.
 * - Figures compared: median_ns, every extra field whose key is a time
 *   (ends in _ns, _us, _ms, _sec; worse when higher) and every rate (ends in
 *   _per_s, gb_s, gop_s, gflop_s; worse when lower). p10_ns and p90_ns
 *   describe the spread and are not compared.
 * - A time is flagged when it is more than tolerance above the baseline, a
 *   rate when it is more than tolerance below it.
 */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- options --------------------------------------------------------- */

static int baseline_load(const char *path);
static void baseline_clear(void);

static void print_common_help(FILE *f) {
    fprintf(f,
            "common benchmark options:\n"
            "  --json            one JSON object per line on stdout\n"
            "  --warmup N        untimed runs before measuring (default 3)\n"
            "  --reps N          timed runs (default 15)\n"
            "  --compare FILE    compare with an earlier --json run; exit 1 when a figure\n"
            "                    is more than the tolerance worse\n"
            "  --tolerance F     allowed slowdown for --compare (default 0.10)\n"
            "  --filter S        run only benchmarks whose name contains S\n"
            "  --help            this text\n");
}

static int parse_int(const char *flag, const char *s, int min, int *out) {
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *s == '\0' || *end != '\0' || errno != 0 || v < min || v > 1000000000L) {
        fprintf(stderr, "%s: expected an integer >= %d, got '%s'\n", flag, min, s ? s : "");
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_double(const char *flag, const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0.0;
    if (!s || *s == '\0' || *end != '\0' || errno != 0 || !(v >= 0.0) || !isfinite(v)) {
        fprintf(stderr, "%s: expected a number >= 0, got '%s'\n", flag, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* Handles argv[*i] when it is a common flag: returns 1 when consumed (and
 * advances *i past any value), 0 when not ours, -1 on error. */
static int parse_one(bnb_options *opt, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    const char *value = (*i + 1 < argc) ? argv[*i + 1] : NULL;
    if (strcmp(a, "--json") == 0) {
        opt->json = 1;
        return 1;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        print_common_help(stdout);
        exit(0);
    }
    int takes_value = strcmp(a, "--warmup") == 0 || strcmp(a, "--reps") == 0 ||
                      strcmp(a, "--compare") == 0 || strcmp(a, "--tolerance") == 0 ||
                      strcmp(a, "--filter") == 0;
    if (!takes_value) return 0;
    if (!value) {
        fprintf(stderr, "%s: missing value\n", a);
        return -1;
    }
    (*i)++;
    if (strcmp(a, "--warmup") == 0) return parse_int(a, value, 0, &opt->warmup) ? -1 : 1;
    if (strcmp(a, "--reps") == 0) return parse_int(a, value, 1, &opt->reps) ? -1 : 1;
    if (strcmp(a, "--tolerance") == 0) return parse_double(a, value, &opt->tolerance) ? -1 : 1;
    if (strcmp(a, "--filter") == 0) {
        opt->filter = value;
        return 1;
    }
    opt->compare = value;
    return baseline_load(value) ? -1 : 1;
}

int bnb_parse_args(bnb_options *opt, int argc, char **argv) {
    memset(opt, 0, sizeof *opt);
    opt->warmup = 3;
    opt->reps = 15;
    opt->tolerance = 0.10;
    /* Known flags are consumed; the others keep their order and are moved
     * to the end, starting at the returned index. */
    char **rest = calloc((size_t)(argc > 0 ? argc : 1), sizeof *rest);
    if (!rest) return -1;
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        int r = parse_one(opt, argc, argv, &i);
        if (r < 0) {
            free(rest);
            return -1;
        }
        if (r == 0) rest[nrest++] = argv[i];
    }
    int first = argc - nrest;
    for (int k = 0; k < nrest; k++) argv[first + k] = rest[k];
    free(rest);
    return first < 1 ? 1 : first;
}

/* ---- timing ---------------------------------------------------------- */

double bnb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile of sorted samples with linear interpolation (NumPy's default). */
static double percentile(const double *s, int n, double q) {
    double pos = q * (double)(n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return s[lo] + (s[hi] - s[lo]) * frac;
}

bnb_result bnb_summarize(double *samples, int n) {
    bnb_result r = {0};
    if (!samples || n <= 0) return r;
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    r.median = percentile(samples, n, 0.5);
    r.p10 = percentile(samples, n, 0.1);
    r.p90 = percentile(samples, n, 0.9);
    r.min = samples[0];
    r.max = samples[n - 1];
    r.reps = n;
    return r;
}

bnb_result bnb_measure(const bnb_options *opt, void (*fn)(void *arg), void *arg) {
    int reps = opt->reps > 0 ? opt->reps : 1;
    for (int i = 0; i < opt->warmup; i++) fn(arg);
    double *samples = malloc((size_t)reps * sizeof *samples);
    if (!samples) {
        bnb_result none = {0};
        return none;
    }
    for (int i = 0; i < reps; i++) {
        double t0 = bnb_now();
        fn(arg);
        samples[i] = bnb_now() - t0;
    }
    bnb_result r = bnb_summarize(samples, reps);
    free(samples);
    return r;
}

int bnb_selected(const bnb_options *opt, const char *name) {
    return !opt->filter || !opt->filter[0] || (name && strstr(name, opt->filter) != NULL);
}

/* ---- baseline: flat JSON objects, one per line ------------------------ */

enum { MAX_KEYS = 32, MAX_STR = 128 };

typedef struct kv {
    char key[MAX_STR];
    int is_text;
    char text[MAX_STR];
    double number;
} kv;

typedef struct record {
    char name[MAX_STR];
    int n;
    kv f[MAX_KEYS];
} record;

static struct {
    char path[1024];
    record *recs;
    int n, cap;
    int checked;      /* figures compared so far */
    int unmatched;    /* report lines without a baseline line */
} g_base;

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* Parses a JSON string at p (on the opening quote) into out; returns the
 * position after the closing quote or NULL. \u escapes become '?'. */
static const char *parse_str(const char *p, char *out, size_t size) {
    if (*p != '"') return NULL;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            if (!*p) return NULL;
            c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'u' ? '?' : *p;
            if (*p == 'u') {
                for (int k = 0; k < 4 && p[1]; k++) p++;
            }
        }
        if (n + 1 < size) out[n++] = c;
    }
    if (*p != '"') return NULL;
    out[n] = '\0';
    return p + 1;
}

static const char *parse_value(const char *p, kv *f) {
    if (*p == '"') {
        f->is_text = 1;
        return parse_str(p, f->text, sizeof f->text);
    }
    f->is_text = 0;
    if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0) {
        f->number = p[0] == 't' ? 1.0 : NAN;
        return p + 4;
    }
    if (strncmp(p, "false", 5) == 0) {
        f->number = 0.0;
        return p + 5;
    }
    char *end = NULL;
    f->number = strtod(p, &end);
    return end == p ? NULL : end;
}

/* One line into rec; returns 0 on success, -1 when it is not a flat object
 * with a "name". */
static int parse_record(const char *line, record *rec) {
    memset(rec, 0, sizeof *rec);
    const char *p = skip_ws(line);
    if (*p++ != '{') return -1;
    for (p = skip_ws(p); *p && *p != '}';) {
        kv f;
        memset(&f, 0, sizeof f);
        p = parse_str(p, f.key, sizeof f.key);
        if (!p || *(p = skip_ws(p)) != ':') return -1;
        p = parse_value(skip_ws(p + 1), &f);
        if (!p) return -1;
        if (strcmp(f.key, "name") == 0 && f.is_text) snprintf(rec->name, sizeof rec->name, "%s", f.text);
        else if (rec->n < MAX_KEYS) rec->f[rec->n++] = f;
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
    }
    return (*p == '}' && rec->name[0]) ? 0 : -1;
}

static void baseline_clear(void) {
    free(g_base.recs);
    memset(&g_base, 0, sizeof g_base);
}

static int baseline_add(const record *rec) {
    if (g_base.n == g_base.cap) {
        int cap = g_base.cap ? 2 * g_base.cap : 64;
        record *r = realloc(g_base.recs, (size_t)cap * sizeof *r);
        if (!r) return -1;
        g_base.recs = r;
        g_base.cap = cap;
    }
    g_base.recs[g_base.n++] = *rec;
    return 0;
}

static int baseline_load(const char *path) {
    baseline_clear();
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "--compare: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    snprintf(g_base.path, sizeof g_base.path, "%s", path);
    char line[8192];
    record rec;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        if (parse_record(line, &rec) == 0) rc = baseline_add(&rec);
    }
    fclose(f);
    if (rc == 0 && g_base.n == 0) fprintf(stderr, "--compare: no JSON result lines in '%s'\n", path);
    return rc;
}

/* ---- classification and matching ------------------------------------- */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int key_is_rate(const char *k) {
    return ends_with(k, "_per_s") || ends_with(k, "gb_s") || ends_with(k, "gop_s") ||
           ends_with(k, "gflop_s");
}

static int key_is_time(const char *k) {
    if (strcmp(k, "p10_ns") == 0 || strcmp(k, "p90_ns") == 0) return 0;
    return ends_with(k, "_ns") || ends_with(k, "_us") || ends_with(k, "_ms") || ends_with(k, "_sec");
}

static const kv *rec_get(const record *rec, const char *key) {
    for (int i = 0; i < rec->n; i++)
        if (strcmp(rec->f[i].key, key) == 0) return &rec->f[i];
    return NULL;
}

/* -1 when rec does not carry the same text fields; otherwise the number of
 * parameter fields (numbers that are neither times nor rates) that agree. */
static int match_score(const record *rec, const char *name, const bnb_field *fields, int nfields) {
    if (strcmp(rec->name, name) != 0) return -1;
    int score = 0;
    for (int i = 0; i < nfields; i++) {
        const kv *b = rec_get(rec, fields[i].key);
        if (fields[i].is_text) {
            if (!b || !b->is_text || strcmp(b->text, fields[i].text ? fields[i].text : "") != 0) return -1;
        } else if (b && !b->is_text && !key_is_rate(fields[i].key) && !key_is_time(fields[i].key) &&
                   b->number == fields[i].number) {
            score++;
        }
    }
    return score;
}

static const record *baseline_find(const char *name, const bnb_field *fields, int nfields) {
    const record *best = NULL;
    int best_score = -1;
    for (int i = 0; i < g_base.n; i++) {
        int s = match_score(&g_base.recs[i], name, fields, nfields);
        if (s > best_score) {
            best_score = s;
            best = &g_base.recs[i];
        }
    }
    return best;
}

/* ---- output ---------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_number(FILE *f, double v) {
    if (!isfinite(v)) fputs("null", f);
    else if (v == floor(v) && fabs(v) < 1e15) fprintf(f, "%.0f", v);
    else fprintf(f, "%.10g", v);
}

static void print_json(const char *name, const bnb_result *r, const bnb_field *fields, int nfields) {
    fputs("{\"name\":", stdout);
    json_string(stdout, name);
    for (int i = 0; i < nfields; i++) {
        if (!fields[i].is_text) continue;
        fputc(',', stdout);
        json_string(stdout, fields[i].key);
        fputc(':', stdout);
        json_string(stdout, fields[i].text);
    }
    fputs(",\"median_ns\":", stdout);
    json_number(stdout, r->median * 1e9);
    fputs(",\"p10_ns\":", stdout);
    json_number(stdout, r->p10 * 1e9);
    fputs(",\"p90_ns\":", stdout);
    json_number(stdout, r->p90 * 1e9);
    fprintf(stdout, ",\"reps\":%d", r->reps);
    for (int i = 0; i < nfields; i++) {
        if (fields[i].is_text) continue;
        fputc(',', stdout);
        json_string(stdout, fields[i].key);
        fputc(':', stdout);
        json_number(stdout, fields[i].number);
    }
    fputs("}\n", stdout);
}

static void fmt_time(char *buf, size_t size, double s) {
    if (s < 1e-6) snprintf(buf, size, "%.1f ns", s * 1e9);
    else if (s < 1e-3) snprintf(buf, size, "%.2f us", s * 1e6);
    else if (s < 1.0) snprintf(buf, size, "%.2f ms", s * 1e3);
    else snprintf(buf, size, "%.3f s", s);
}

static void print_human(const char *name, const bnb_result *r, const bnb_field *fields, int nfields) {
    char med[32], p10[32], p90[32];
    fmt_time(med, sizeof med, r->median);
    fmt_time(p10, sizeof p10, r->p10);
    fmt_time(p90, sizeof p90, r->p90);
    printf("%-28s", name);
    for (int i = 0; i < nfields; i++)
        if (fields[i].is_text) printf(" %s=%s", fields[i].key, fields[i].text ? fields[i].text : "");
    printf("  median %10s  p10 %10s  p90 %10s", med, p10, p90);
    for (int i = 0; i < nfields; i++)
        if (!fields[i].is_text) {
            double v = fields[i].number;
            if (v == floor(v) && fabs(v) < 1e15) printf("  %s=%.0f", fields[i].key, v);
            else printf("  %s=%.4g", fields[i].key, v);
        }
    printf("\n");
}

/* Checks one figure; returns 1 when it regressed (and says so on stderr). */
static int check_figure(bnb_options *opt, const char *name, const char *key, double cur, double base,
                        int higher_is_better) {
    if (!isfinite(cur) || !isfinite(base) || base <= 0.0) return 0;
    g_base.checked++;
    double change = higher_is_better ? (base - cur) / base : (cur - base) / base;
    if (change <= opt->tolerance) return 0;
    fprintf(stderr, "REGRESSION %s: %s %.6g -> %.6g (%.1f%% worse, tolerance %.0f%%)\n", name, key, base, cur,
            100.0 * change, 100.0 * opt->tolerance);
    return 1;
}

static void compare_line(bnb_options *opt, const char *name, const bnb_result *r, const bnb_field *fields,
                         int nfields) {
    const record *b = baseline_find(name, fields, nfields);
    if (!b) {
        g_base.unmatched++;
        return;
    }
    const kv *med = rec_get(b, "median_ns");
    if (med && !med->is_text) opt->regressions += check_figure(opt, name, "median_ns", r->median * 1e9, med->number, 0);
    for (int i = 0; i < nfields; i++) {
        const char *k = fields[i].key;
        int rate = key_is_rate(k), time = key_is_time(k);
        const kv *bf = rec_get(b, k);
        if (fields[i].is_text || !(rate || time) || !bf || bf->is_text) continue;
        opt->regressions += check_figure(opt, name, k, fields[i].number, bf->number, rate);
    }
}

void bnb_report(bnb_options *opt, const char *name, const bnb_result *r, const bnb_field *fields, int nfields) {
    if (!fields) nfields = 0;
    if (opt->json) print_json(name, r, fields, nfields);
    else print_human(name, r, fields, nfields);
    fflush(stdout);
    if (opt->compare) compare_line(opt, name, r, fields, nfields);
}

int bnb_finish(bnb_options *opt) {
    if (!opt->compare) return 0;
    FILE *out = opt->json ? stderr : stdout;
    fprintf(out, "compare with %s: %d figure%s checked, %d regression%s (tolerance %.0f%%)", opt->compare,
            g_base.checked, g_base.checked == 1 ? "" : "s", opt->regressions, opt->regressions == 1 ? "" : "s",
            100.0 * opt->tolerance);
    if (g_base.unmatched) fprintf(out, ", %d result%s without a baseline line", g_base.unmatched,
                                  g_base.unmatched == 1 ? "" : "s");
    fprintf(out, "\n");
    baseline_clear();
    return opt->regressions > 0 ? 1 : 0;
}
