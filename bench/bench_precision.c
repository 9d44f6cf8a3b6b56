/* Mixed-precision conversion throughput.
 *
 *   bench_precision [--json] [--reps N] [--filter S] [--compare BASELINE.json] [--quick]
 *
 * 1. The f16/bf16 kernels of every ISA table this CPU runs (scalar, avx2,
 *    avx512, neon), each against the scalar table in the same run, for 1M
 *    and 64M elements (--quick: 1M only). GB/s counts bytes read plus
 *    written; vs_scalar is the rate over the scalar kernel's.
 * 2. The engine (bn_precision_convert, _stream with a 1 MiB budget) from
 *    f32 to f16, qint8 per row (rows of 4096), int4 with scale per block 32
 *    and ternary per tensor: GB/s of f32 read plus codes and scales written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cpu/kernels.h"
#include "harness.h"

typedef struct kjob {
    const bni_cpu_kernels *k;
    int which; /* 0 f32->f16, 1 f16->f32, 2 f32->bf16, 3 bf16->f32 */
    float *f;
    uint16_t *h;
    size_t n;
} kjob;

static void run_kernel(void *arg) {
    kjob *j = arg;
    switch (j->which) {
    case 0: j->k->f32_to_f16(j->f, j->h, j->n); break;
    case 1: j->k->f16_to_f32(j->h, j->f, j->n); break;
    case 2: j->k->f32_to_bf16(j->f, j->h, j->n); break;
    default: j->k->bf16_to_f32(j->h, j->f, j->n); break;
    }
}

static const char *const k_names[4] = {"f32_to_f16", "f16_to_f32", "f32_to_bf16", "bf16_to_f32"};

static double gb_s(double bytes, const bnb_result *r) { return r->median > 0 ? bytes / r->median * 1e-9 : 0.0; }

static void bench_kernels(bnb_options *opt, size_t n) {
    float *f = malloc(n * 4);
    uint16_t *h = malloc(n * 2);
    if (!f || !h) {
        fprintf(stderr, "bench_precision: out of memory for %zu elements\n", n);
        free(f);
        free(h);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)((double)(i % 10007) * 0.0173 - 80.0);
        h[i] = bn_f32_to_f16(f[i]);
    }
    const bni_cpu_kernels *scalar = bni_cpu_kernels_for_isa(BN_ISA_SCALAR);
    for (int w = 0; w < 4; w++) {
        double scalar_rate = 0;
        for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
            const bni_cpu_kernels *k = isa == BN_ISA_SCALAR ? scalar : bni_cpu_kernels_for_isa((bn_isa)isa);
            if (k == NULL || (isa != BN_ISA_SCALAR && k->isa != (bn_isa)isa)) continue;
            const char *kisa = w == 0 ? k->f32_to_f16_isa : w == 1 ? k->f16_to_f32_isa
                             : w == 2 ? k->f32_to_bf16_isa : k->bf16_to_f32_isa;
            if (isa != BN_ISA_SCALAR && strcmp(kisa, "scalar") == 0) continue; /* same code as scalar */
            char name[96];
            snprintf(name, sizeof name, "precision/%s/%s/%zu", k_names[w], kisa, n);
            if (!bnb_selected(opt, name)) continue;
            kjob j = {k, w, f, h, n};
            bnb_result r = bnb_measure(opt, run_kernel, &j);
            double rate = gb_s((double)n * 6.0, &r);
            if (isa == BN_ISA_SCALAR) scalar_rate = rate;
            bnb_field fl[] = {BNB_TXT("kernel", k_names[w]), BNB_TXT("isa", kisa), BNB_NUM("elements", (double)n),
                              BNB_NUM("gb_s", rate),
                              BNB_NUM("vs_scalar", scalar_rate > 0 ? rate / scalar_rate : 0.0)};
            bnb_report(opt, name, &r, fl, 5);
        }
    }
    free(f);
    free(h);
}

typedef struct ejob {
    bn_tensor *src;
    bn_precision_spec spec;
    int stream;
    int failed;
} ejob;

static void run_engine(void *arg) {
    ejob *j = arg;
    bn_tensor *out = NULL;
    bn_status st = j->stream ? bn_precision_convert_stream(j->src, &j->spec, (size_t)1 << 20, &out)
                             : bn_precision_convert(j->src, &j->spec, &out, NULL);
    if (st) j->failed = 1;
    bn_tensor_free(out);
}

static void bench_engine(bnb_options *opt, bn_ctx *ctx, int64_t n) {
    int64_t shape[2] = {n / 4096, 4096};
    bn_tensor *x = NULL;
    if (bn_tensor_rand(ctx, BN_DTYPE_F32, 2, shape, -1.0, 1.0, &x) != BN_OK) {
        fprintf(stderr, "bench_precision: %s\n", bn_last_error());
        return;
    }
    bn_precision_spec specs[4] = {{BN_DTYPE_F16, BN_PRECISION_PER_TENSOR, 0},
                                  {BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0},
                                  {BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 32},
                                  {BN_DTYPE_TERNARY, BN_PRECISION_PER_TENSOR, 0}};
    for (int s = 0; s < 4; s++) {
        for (int stream = 0; stream < 2; stream++) {
            char spec[48], name[128];
            bn_precision_spec_format(&specs[s], spec, sizeof spec);
            snprintf(name, sizeof name, "precision/engine/%s/%s/%lld", stream ? "stream_1MiB" : "convert", spec,
                     (long long)n);
            if (!bnb_selected(opt, name)) continue;
            ejob j = {x, specs[s], stream, 0};
            bnb_result r = bnb_measure(opt, run_engine, &j);
            size_t out_bytes = 0;
            bn_precision_bytes(&specs[s], 2, shape, &out_bytes);
            double rate = gb_s((double)n * 4.0 + (double)out_bytes, &r);
            bnb_field fl[] = {BNB_TXT("path", stream ? "stream_1MiB" : "convert"), BNB_TXT("spec", spec),
                              BNB_NUM("elements", (double)n), BNB_NUM("gb_s", rate)};
            bnb_report(opt, name, &r, fl, 4);
            if (j.failed) fprintf(stderr, "bench_precision: %s failed: %s\n", name, bn_last_error());
        }
    }
    bn_tensor_free(x);
}

int main(int argc, char **argv) {
    bnb_options opt;
    int first = bnb_parse_args(&opt, argc, argv);
    if (first < 0) return 2;
    int quick = 0;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else {
            fprintf(stderr, "bench_precision: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    bn_ctx *ctx = NULL;
    if (bn_ctx_new(NULL, &ctx) != BN_OK) {
        fprintf(stderr, "bench_precision: %s\n", bn_last_error());
        return 1;
    }
    size_t sizes[2] = {(size_t)1 << 20, (size_t)64 << 20};
    for (int s = 0; s < (quick ? 1 : 2); s++) bench_kernels(&opt, sizes[s]);
    for (int s = 0; s < (quick ? 1 : 2); s++) bench_engine(&opt, ctx, (int64_t)sizes[s]);
    bn_ctx_free(ctx);
    return bnb_finish(&opt);
}
