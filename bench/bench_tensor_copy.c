/* Copy and cast bandwidth of bn_tensor_copy against memcpy, in one run.
 *
 *   bench_tensor_copy [--json] [--reps N] [--compare BASELINE.json] [--elements N]
 *
 * GB/s counts bytes read plus bytes written. vs_memcpy is the rate divided
 * by memcpy's rate measured in the same run on the same buffers' sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "harness.h"

typedef struct job {
    bn_tensor *dst, *src;
    void *raw_dst, *raw_src;
    size_t raw_bytes;
    int failed;
} job;

static void run_memcpy(void *arg) {
    job *j = arg;
    memcpy(j->raw_dst, j->raw_src, j->raw_bytes);
}

static void run_copy(void *arg) {
    job *j = arg;
    if (bn_tensor_copy(j->dst, j->src) != BN_OK) j->failed = 1;
}

static int fail(const char *what) {
    fprintf(stderr, "bench_tensor_copy: %s: %s\n", what, bn_last_error());
    return 1;
}

static double gb_s(size_t bytes, const bnb_result *r) {
    return r->median > 0 ? (double)bytes / r->median * 1e-9 : 0.0;
}

/* Times a dst <- src copy (a cast when the dtypes differ) of n elements. */
static int bench_cast(bnb_options *opt, bn_ctx *ctx, int64_t n, bn_dtype from, bn_dtype to, double memcpy_gb_s) {
    char name[64];
    snprintf(name, sizeof name, "tensor/copy_%s_%s", bn_dtype_name(from), bn_dtype_name(to));
    if (!bnb_selected(opt, name)) return 0;
    job j = {0};
    if (bn_tensor_ones(ctx, from, 1, &n, &j.src) != BN_OK || bn_tensor_empty(ctx, to, 1, &n, &j.dst) != BN_OK) {
        bn_tensor_free(j.src);
        return fail("creating tensors");
    }
    bnb_result r = bnb_measure(opt, run_copy, &j);
    size_t bytes = bn_tensor_nbytes(j.src) + bn_tensor_nbytes(j.dst);
    bn_tensor_free(j.src);
    bn_tensor_free(j.dst);
    if (j.failed) return fail(name);
    double rate = gb_s(bytes, &r);
    bnb_field f[] = {BNB_TXT("from", bn_dtype_name(from)), BNB_TXT("to", bn_dtype_name(to)),
                     BNB_NUM("elements", n), BNB_NUM("gb_s", rate),
                     BNB_NUM("vs_memcpy", memcpy_gb_s > 0 ? rate / memcpy_gb_s : 0.0)};
    bnb_report(opt, name, &r, f, (int)(sizeof f / sizeof f[0]));
    return 0;
}

static double bench_memcpy(bnb_options *opt, size_t bytes) {
    job j = {0};
    j.raw_bytes = bytes;
    j.raw_src = malloc(bytes);
    j.raw_dst = malloc(bytes);
    if (!j.raw_src || !j.raw_dst) {
        free(j.raw_src);
        free(j.raw_dst);
        return 0.0;
    }
    memset(j.raw_src, 1, bytes);
    memset(j.raw_dst, 0, bytes);
    bnb_result r = bnb_measure(opt, run_memcpy, &j);
    free(j.raw_src);
    free(j.raw_dst);
    double rate = gb_s(2 * bytes, &r);
    bnb_field f[] = {BNB_NUM("bytes", (double)bytes), BNB_NUM("gb_s", rate)};
    if (bnb_selected(opt, "memcpy")) bnb_report(opt, "memcpy", &r, f, 2);
    return rate;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            printf("usage: bench_tensor_copy [--elements N (default 16M)] [common options]\n\n");
    bnb_options opt; /* --help: the common options, then exit */
    int rest = bnb_parse_args(&opt, argc, argv);
    if (rest < 0) return 2;
    int64_t n = 16 * 1024 * 1024;
    for (int i = rest; i < argc; i++) {
        if (strcmp(argv[i], "--elements") == 0 && i + 1 < argc && atoll(argv[i + 1]) > 0) {
            n = atoll(argv[++i]);
        } else {
            fprintf(stderr, "bench_tensor_copy: unknown argument '%s' (own option: --elements N)\n", argv[i]);
            return 2;
        }
    }
    bn_ctx *ctx = NULL;
    if (bn_ctx_new(NULL, &ctx) != BN_OK) return fail("bn_ctx_new");
    if (!opt.json) printf("%lld elements, %d threads, ISA %s\n", (long long)n, bn_ctx_num_threads(ctx),
                          bn_isa_name(bn_cpu_isa()));
    double base = bench_memcpy(&opt, (size_t)n * sizeof(float));
    int rc = bench_cast(&opt, ctx, n, BN_DTYPE_F32, BN_DTYPE_F32, base);
    if (rc == 0) rc = bench_cast(&opt, ctx, n, BN_DTYPE_F32, BN_DTYPE_F16, base);
    if (rc == 0) rc = bench_cast(&opt, ctx, n, BN_DTYPE_F16, BN_DTYPE_F32, base);
    bn_ctx_free(ctx);
    int reg = bnb_finish(&opt);
    return rc ? rc : reg;
}
