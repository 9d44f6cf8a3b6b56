/* Mixed-precision conversion throughput.
 *
 *   bench_precision [--json] [--reps N] [--filter S] [--compare BASELINE.json] [--quick]
 *
 * 1. The f16/bf16 kernels of every ISA table this CPU runs (scalar, avx2,
 *    avx512, neon), each against the scalar table in the same run, for 1M
 *    and 64M elements (--quick: 1M only). GB/s counts bytes read plus
 *    written; vs_scalar is the rate over the scalar kernel's.
 * 2. The quantize kernels of every ISA table (src/precision/pq_kernels.h:
 *    scalar, avx2, avx512, neon), each against the scalar kernel in the
 *    same run: qint8 per row of 4096 (absmax, then codes), qint4 per block
 *    of 32 (absmax, then codes), ternary (packed codes, 4 a byte) and binary
 *    (packed bits); GB/s counts the f32 read plus the codes written (one
 *    byte per qint8/qint4 code, n/4 and n/8 bytes packed). The ternary and
 *    binary scales (mean |x| summed in f64 in order) are not part of it.
 * 3. The engine (bn_precision_convert, _stream with a 1 MiB budget) from
 *    f32 to f16, qint8 per row (rows of 4096), int4 with scale per block 32,
 *    ternary per tensor and per row, binary per tensor: GB/s of f32 read
 *    plus codes and scales written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cpu/kernels.h"
#include "harness.h"
#include "precision/pq_kernels.h"

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

typedef struct qjob {
    const bni_pq_kernels *k;
    int which; /* 0 qint8 per row of 4096, 1 qint4 per block of 32, 2 ternary, 3 binary */
    const float *x;
    int8_t *codes;
    uint8_t *packed;
    size_t n;
} qjob;

static const char *const q_names[4] = {"qint8_row4096", "qint4_block32", "ternary", "binary"};

/* absmax then codes per group, as the engine's two passes over one group */
static void quantize_groups(const bni_pq_kernels *k, const float *x, int8_t *codes, size_t n, int64_t group,
                            float qmax, float lo, float hi) {
    for (size_t g0 = 0; g0 < n; g0 += (size_t)group) {
        int nan = 0;
        float mx = k->absmax(x + g0, group, &nan);
        float sc = mx / qmax;
        if (mx == 0.0f || sc == 0.0f) sc = 1.0f;
        k->codes(x + g0, group, sc, lo, hi, codes + g0);
    }
}

static void run_quantize(void *arg) {
    qjob *j = arg;
    switch (j->which) {
    case 0: quantize_groups(j->k, j->x, j->codes, j->n, 4096, 127.0f, -128.0f, 127.0f); break;
    case 1: quantize_groups(j->k, j->x, j->codes, j->n, 32, 7.0f, -8.0f, 7.0f); break;
    case 2: j->k->ternary(j->x, (int64_t)j->n, 1.0f / 0.5f, j->packed); break;
    default: j->k->binary(j->x, (int64_t)j->n, j->packed); break;
    }
}

static void bench_quantize(bnb_options *opt, size_t n) {
    float *f = malloc(n * 4);
    int8_t *codes = malloc(n);
    uint8_t *packed = malloc(n / 4 + 8);
    if (!f || !codes || !packed) {
        fprintf(stderr, "bench_precision: out of memory for %zu elements\n", n);
        free(f), free(codes), free(packed);
        return;
    }
    for (size_t i = 0; i < n; i++) f[i] = (float)((double)(i % 10007) * 0.000173 - 0.8);
    memset(codes, 0, n), memset(packed, 0, n / 4 + 8); /* touched before timing */
    const bni_pq_kernels *scalar = bni_pq_kernels_for_isa(BN_ISA_SCALAR);
    for (int w = 0; w < 4; w++) {
        double scalar_rate = 0;
        for (int isa = 0; isa <= BN_ISA_NEON; isa++) {
            const bni_pq_kernels *k = bni_pq_kernels_for_isa((bn_isa)isa);
            if (k == NULL || (isa != BN_ISA_SCALAR && k == scalar)) continue; /* SSE4.1: the scalar code */
            char name[96];
            snprintf(name, sizeof name, "precision/quantize/%s/%s/%zu", q_names[w], k->isa, n);
            if (!bnb_selected(opt, name)) continue;
            qjob j = {k, w, f, codes, packed, n};
            bnb_result r = bnb_measure(opt, run_quantize, &j);
            double out = w < 2 ? (double)n : w == 2 ? (double)n / 4 : (double)n / 8;
            double rate = gb_s((double)n * 4.0 + out, &r);
            if (isa == BN_ISA_SCALAR) scalar_rate = rate;
            bnb_field fl[] = {BNB_TXT("kernel", q_names[w]), BNB_TXT("isa", k->isa), BNB_NUM("elements", (double)n),
                              BNB_NUM("gb_s", rate),
                              BNB_NUM("vs_scalar", scalar_rate > 0 ? rate / scalar_rate : 0.0)};
            bnb_report(opt, name, &r, fl, 5);
        }
    }
    free(f), free(codes), free(packed);
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
    bn_precision_spec specs[6] = {{BN_DTYPE_F16, BN_PRECISION_PER_TENSOR, 0},
                                  {BN_DTYPE_QINT8, BN_PRECISION_PER_ROW, 0},
                                  {BN_DTYPE_QINT4, BN_PRECISION_PER_BLOCK, 32},
                                  {BN_DTYPE_TERNARY, BN_PRECISION_PER_TENSOR, 0},
                                  {BN_DTYPE_TERNARY, BN_PRECISION_PER_ROW, 0},
                                  {BN_DTYPE_BINARY, BN_PRECISION_PER_TENSOR, 0}};
    for (int s = 0; s < 6; s++) {
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
    for (int s = 0; s < (quick ? 1 : 2); s++) bench_quantize(&opt, sizes[s]);
    for (int s = 0; s < (quick ? 1 : 2); s++) bench_engine(&opt, ctx, (int64_t)sizes[s]);
    bn_ctx_free(ctx);
    return bnb_finish(&opt);
}
