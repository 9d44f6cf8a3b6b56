/* BitLinear benchmark: median time of one forward (activation quantization
 * included) per shape, token count, thread count and kernel set, against
 * OpenBLAS f32 sgemv/sgemm of the same shape and the memory-bandwidth floor
 * of the packed weights, all measured in the same run.
 *
 * Fields of each line: m, n, k, threads, isa, median_us, gop_s (2 M N K per
 * second), weight_gb_s (packed bytes per second), blas_median_us, vs_blas
 * (BLAS time / ours), floor_us (packed bytes / measured read bandwidth at
 * that thread count, measured again just before the shape: membw_gb_s),
 * vs_floor (floor / ours: 1 = at the floor), packed_bytes. A "membw" line per thread count gives the bandwidth. */
#include "bitlinear_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cpu/bitlinear_kernels.h"
#include "harness.h"
#include "quant/bitlinear_internal.h"
#ifdef BNB_HAVE_CUDA
#include "bitlinear_cuda.h"
#endif

#ifdef BNB_HAVE_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
#endif

#define MAX_LIST 16

typedef struct shape {
    int64_t n, k;
    int m1_only;
} shape;

static const shape k_default_shapes[] = {
    {2560, 2560, 0}, {640, 2560, 0},  {6912, 2560, 0},   {2560, 6912, 0},
    {2048, 2048, 0}, {2048, 8192, 0}, {16384, 16384, 1},
};

static int parse_ints(const char *s, int64_t *out, int max) {
    int n = 0;
    while (*s && n < max) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v <= 0) return -1;
        out[n++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

/* ---- memory bandwidth ------------------------------------------------ */

typedef struct bw_job {
    const uint64_t *buf;
    size_t words;
    uint64_t sums[64];
} bw_job;

static void bw_range(void *arg, size_t begin, size_t end, int thread) {
    bw_job *j = arg;
    /* 16-byte vectors (SSE2 / NEON baseline), four independent sums */
    typedef uint64_t v2u64 __attribute__((vector_size(16)));
    const v2u64 *p = (const v2u64 *)(const void *)j->buf;
    v2u64 a = {0, 0}, b = a, c = a, d = a;
    size_t i = begin * 512, e = end * 512;
    if (e > j->words / 2) e = j->words / 2;
    for (; i + 4 <= e; i += 4) {
        a += p[i];
        b += p[i + 1];
        c += p[i + 2];
        d += p[i + 3];
    }
    const v2u64 s = a + b + c + d;
    j->sums[thread & 63] += s[0] + s[1];
}

typedef struct bw_arg {
    bn_ctx *ctx;
    bw_job job;
} bw_arg;

static void bw_run(void *arg) {
    bw_arg *a = arg;
    bn_ctx_parallel_for(a->ctx, a->job.words / 1024, 64, bw_range, &a->job);
}

/* Read bandwidth in GB/s: a streaming sum over 512 MiB. */
static double measure_bw(bnb_options *opt, bn_ctx *ctx, uint64_t *buf, size_t words) {
    bw_arg a = {ctx, {buf, words, {0}}};
    bnb_options o = *opt;
    o.warmup = 1;
    o.reps = 5;
    bnb_result r = bnb_measure(&o, bw_run, &a);
    return (double)(words * 8) / r.median * 1e-9;
}

/* ---- the forward ----------------------------------------------------- */

typedef struct fwd_arg {
    bn_ctx *ctx;
    const bn_bitlinear *w;
    const bni_bl_kernels *kern;
    const float *x;
    float *y;
    int64_t m;
    void *work;
    size_t work_bytes;
    int failed;
} fwd_arg;

static void fwd_run(void *arg) {
    fwd_arg *a = arg;
    if (bni_bitlinear_forward_with(a->ctx, a->w, a->kern, a->x, NULL, NULL, a->m, a->y, a->work, a->work_bytes) !=
        BN_OK)
        a->failed = 1;
}

#ifdef BNB_HAVE_OPENBLAS
typedef struct blas_arg {
    const float *w, *x;
    float *y;
    int64_t m, n, k;
} blas_arg;

static void blas_run(void *arg) {
    blas_arg *a = arg;
    if (a->m == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)a->n, (int)a->k, 1.0f, a->w, (int)a->k, a->x, 1, 0.0f, a->y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)a->n, (int)a->k, 1.0f, a->x, (int)a->k,
                    a->w, (int)a->k, 0.0f, a->y, (int)a->n);
}
#endif

/* Repetitions for about 2 s of measuring at most (at least 3). */
static bnb_options reps_for(const bnb_options *opt, double once) {
    bnb_options o = *opt;
    if (once > 0 && once * (o.reps + o.warmup) > 2.0) {
        int r = (int)(2.0 / once);
        o.reps = r < 3 ? 3 : r;
        o.warmup = 1;
    }
    return o;
}

/* Results kept for the implied 2B-4T prefill rate. */
typedef struct rec {
    int64_t n, k, m, threads;
    const char *isa;
    double us;
} rec;
#define MAX_RECS 512
static rec g_recs[MAX_RECS];
static int g_nrecs;

static double find_us(int64_t n, int64_t k, int64_t m, int64_t threads, const char *isa) {
    for (int i = 0; i < g_nrecs; i++)
        if (g_recs[i].n == n && g_recs[i].k == k && g_recs[i].m == m && g_recs[i].threads == threads &&
            strcmp(g_recs[i].isa, isa) == 0)
            return g_recs[i].us;
    return -1.0;
}

/* BitNet b1.58 2B-4T, per layer: q, o (2560x2560), k, v (640x2560),
 * gate, up (6912x2560), down (2560x6912); 30 layers. Prefill tokens per
 * second implied by the BitLinear times at m tokens (attention, norms and
 * the LM head not counted). */
static void report_prefill(bnb_options *opt, const bni_bl_kernels **kerns, int nk, const int64_t *threads,
                           int nthreads, const int64_t *ms, int nms) {
    for (int mi = 0; mi < nms; mi++) {
        const int64_t m = ms[mi];
        if (m < 16) continue;
        for (int ti = 0; ti < nthreads; ti++)
            for (int ki = 0; ki < nk; ki++) {
                const char *isa = kerns[ki]->name;
                double q = find_us(2560, 2560, m, threads[ti], isa), kv = find_us(640, 2560, m, threads[ti], isa);
                double up = find_us(6912, 2560, m, threads[ti], isa), dn = find_us(2560, 6912, m, threads[ti], isa);
                if (q < 0 || kv < 0 || up < 0 || dn < 0) continue;
                const double layer_us = 2 * q + 2 * kv + 2 * up + dn;
                const double tok_s = (double)m / (30.0 * layer_us * 1e-6);
                bnb_result r = {0};
                r.median = r.p10 = r.p90 = r.min = r.max = 30.0 * layer_us * 1e-6;
                r.reps = 1;
                char name[96];
                snprintf(name, sizeof name, "bitlinear/prefill_2b4t/m%lld/t%lld/%s", (long long)m,
                         (long long)threads[ti], isa);
                bnb_field f[] = {BNB_NUM("m", m), BNB_NUM("threads", threads[ti]), BNB_TXT("isa", isa),
                                 BNB_NUM("layer_us", layer_us), BNB_NUM("tok_s", tok_s)};
                bnb_report(opt, name, &r, f, 5);
            }
    }
}

int bn_bench_bitlinear_main(int argc, char **argv) {
    bnb_options opt;
    int first = bnb_parse_args(&opt, argc, argv);
    if (first < 0) return 2;
    int64_t threads[MAX_LIST] = {1, 2}, ms[MAX_LIST] = {1, 128};
    int nthreads = 2, nms = 2, no_blas = 0, nshapes = 0, nisas = 0;
    shape shapes[MAX_LIST];
    const char *isas[MAX_LIST];
    char isa_buf[256] = "";
    const char *device = "cpu";
    int shapes_given = 0, ms_given = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--device") == 0 && v) {
            device = v;
            i++;
        } else if (strcmp(a, "--no-blas") == 0) {
            no_blas = 1;
        } else if (strcmp(a, "--threads") == 0 && v) {
            nthreads = parse_ints(v, threads, MAX_LIST);
            i++;
        } else if (strcmp(a, "--m") == 0 && v) {
            nms = parse_ints(v, ms, MAX_LIST);
            ms_given = 1;
            i++;
        } else if (strcmp(a, "--isa") == 0 && v) {
            snprintf(isa_buf, sizeof isa_buf, "%s", v);
            for (char *p = strtok(isa_buf, ","); p && nisas < MAX_LIST; p = strtok(NULL, ",")) isas[nisas++] = p;
            i++;
        } else if (strcmp(a, "--shapes") == 0 && v) {
            const char *p = v;
            while (*p && nshapes < MAX_LIST) {
                long long n, k;
                int used;
                if (sscanf(p, "%lldx%lld%n", &n, &k, &used) != 2 || n <= 0 || k <= 0) {
                    fprintf(stderr, "bench bitlinear: bad --shapes %s (want NxK,NxK)\n", v);
                    return 2;
                }
                shapes[nshapes++] = (shape){n, k, 0};
                shapes_given = 1;
                p += used;
                if (*p == ',') p++;
            }
            i++;
        } else {
            fprintf(stderr,
                    "bench bitlinear: unknown argument %s\n"
                    "  --device cpu|cuda  --threads LIST  --m LIST  --isa LIST  --shapes NxK,...  --no-blas\n",
                    a);
            return 2;
        }
        if (nthreads < 0 || nms < 0) {
            fprintf(stderr, "bench bitlinear: bad list after %s\n", a);
            return 2;
        }
    }
    if (strcmp(device, "cuda") == 0) {
#ifdef BNB_HAVE_CUDA
        int64_t cs[MAX_LIST][2];
        for (int i = 0; i < nshapes; i++) {
            cs[i][0] = shapes[i].n;
            cs[i][1] = shapes[i].k;
        }
        return bnb_bitlinear_cuda(&opt, (const int64_t(*)[2])cs, shapes_given ? nshapes : 0, ms, ms_given ? nms : 0);
#else
        (void)shapes_given;
        (void)ms_given;
        fprintf(stderr, "bench bitlinear: --device cuda: this build has no CUDA backend (BITNET_CUDA=OFF or no nvcc)\n");
        return 2;
#endif
    }
    if (strcmp(device, "cpu") != 0) {
        fprintf(stderr, "bench bitlinear: --device %s: want cpu or cuda\n", device);
        return 2;
    }
    if (nshapes == 0) {
        nshapes = (int)(sizeof k_default_shapes / sizeof k_default_shapes[0]);
        memcpy(shapes, k_default_shapes, sizeof k_default_shapes);
    }
    const bni_bl_kernels *kerns[8];
    int nk = 0;
    if (nisas == 0) {
        nk = bni_bl_kernels_all(kerns, 8);
    } else {
        for (int i = 0; i < nisas; i++) {
            const bni_bl_kernels *k = bni_bl_kernels_by_name(isas[i]);
            if (!k) {
                fprintf(stderr, "bench bitlinear: kernel set %s is not available here\n", isas[i]);
                return 2;
            }
            kerns[nk++] = k;
        }
    }
#ifndef BNB_HAVE_OPENBLAS
    no_blas = 1; /* no OpenBLAS in this build: nothing to compare with */
    (void)no_blas;
#endif

    /* memory bandwidth per thread count */
    const size_t bw_words = (size_t)64 << 20; /* 512 MiB */
    uint64_t *bw_buf = malloc(bw_words * 8);
    if (!bw_buf) return 1;
    for (size_t i = 0; i < bw_words; i++) bw_buf[i] = i;
    double bw[MAX_LIST];
    bn_ctx *ctxs[MAX_LIST];
    for (int t = 0; t < nthreads; t++) {
        bn_ctx_options o;
        bn_ctx_options_default(&o);
        o.num_threads = (int)threads[t];
        if (bn_ctx_new(&o, &ctxs[t]) != BN_OK) return 1;
        bw[t] = measure_bw(&opt, ctxs[t], bw_buf, bw_words);
        bnb_result r = {0};
        r.median = (double)(bw_words * 8) / (bw[t] * 1e9);
        r.p10 = r.p90 = r.min = r.max = r.median;
        r.reps = 5;
        bnb_field f[] = {BNB_NUM("threads", threads[t]), BNB_NUM("bytes", bw_words * 8), BNB_NUM("gb_s", bw[t])};
        bnb_report(&opt, "bitlinear/membw", &r, f, 3);
    }

    int rc = 0;
    for (int s = 0; s < nshapes && rc == 0; s++) {
        const int64_t n = shapes[s].n, k = shapes[s].k;
        const int64_t mmax = 128 > ms[0] ? 128 : ms[0];
        int8_t *wv = malloc((size_t)(n * k));
        float *x = malloc((size_t)(mmax * k) * sizeof(float));
        float *y = malloc((size_t)(mmax * n) * sizeof(float));
        if (!wv || !x || !y) return 1;
        uint64_t rng = 88172645463325252ull;
        for (int64_t i = 0; i < n * k; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            wv[i] = (int8_t)((int)(rng % 3) - 1);
        }
        for (int64_t i = 0; i < mmax * k; i++) x[i] = (float)((int)(i * 2654435761u % 2001) - 1000) * 1e-3f;
        float scale = 0.02f;
        bn_bitlinear *bl = NULL;
        if (bn_bitlinear_new_from_ternary(ctxs[0], wv, n, k, &scale, 0, &bl) != BN_OK) {
            fprintf(stderr, "bench bitlinear: %s\n", bn_last_error());
            return 1;
        }
        free(wv);
        float *wf = NULL;
#ifdef BNB_HAVE_OPENBLAS
        if (!no_blas && n * k <= ((int64_t)1 << 26)) {
            wf = malloc((size_t)(n * k) * sizeof(float));
            if (wf)
                for (int64_t i = 0; i < n * k; i++) wf[i] = (float)((int)(i % 3) - 1) * 0.02f;
        }
#endif
        const size_t packed = bn_bitlinear_packed_bytes(bl);
        for (int mi = 0; mi < nms; mi++) {
            const int64_t m = ms[mi];
            if (shapes[s].m1_only && m != 1) continue;
            if (m > mmax) continue;
            size_t wb = bn_bitlinear_workspace_size(bl, m);
            void *work = malloc(wb);
            for (int ti = 0; ti < nthreads; ti++) {
                double blas_us = 0.0;
                /* the bandwidth again, right before this shape: the machine
                 * is shared and its free bandwidth drifts */
                const double bw_now = measure_bw(&opt, ctxs[ti], bw_buf, bw_words);
#ifdef BNB_HAVE_OPENBLAS
                if (wf) {
                    openblas_set_num_threads((int)threads[ti]);
                    blas_arg ba = {wf, x, y, m, n, k};
                    double t0 = bnb_now();
                    blas_run(&ba);
                    bnb_options o = reps_for(&opt, bnb_now() - t0);
                    blas_us = bnb_measure(&o, blas_run, &ba).median * 1e6;
                }
#endif
                for (int ki = 0; ki < nk; ki++) {
                    if (nisas == 0 && m > 1 && strcmp(kerns[ki]->name, "scalar") == 0) continue;
                    char name[128];
                    snprintf(name, sizeof name, "bitlinear/%lldx%lld/m%lld/t%lld/%s", (long long)n, (long long)k,
                             (long long)m, (long long)threads[ti], kerns[ki]->name);
                    if (!bnb_selected(&opt, name)) continue;
                    fwd_arg fa = {ctxs[ti], bl, kerns[ki], x, y, m, work, wb, 0};
                    double t0 = bnb_now();
                    fwd_run(&fa);
                    bnb_options o = reps_for(&opt, bnb_now() - t0);
                    bnb_result r = bnb_measure(&o, fwd_run, &fa);
                    if (fa.failed) {
                        fprintf(stderr, "bench bitlinear: %s: %s\n", name, bn_last_error());
                        rc = 1;
                        break;
                    }
                    const double us = r.median * 1e6;
                    const double floor_us = (double)packed / (bw_now * 1e9) * 1e6;
                    bnb_field f[] = {
                        BNB_NUM("m", m),
                        BNB_NUM("n", n),
                        BNB_NUM("k", k),
                        BNB_NUM("threads", threads[ti]),
                        BNB_TXT("isa", kerns[ki]->name),
                        BNB_NUM("median_us", us),
                        BNB_NUM("gop_s", 2.0 * (double)m * (double)n * (double)k / r.median * 1e-9),
                        BNB_NUM("weight_gb_s", (double)packed / r.median * 1e-9),
                        BNB_NUM("blas_median_us", blas_us),
                        BNB_NUM("vs_blas", blas_us > 0 ? blas_us / us : 0.0),
                        BNB_NUM("floor_us", floor_us),
                        BNB_NUM("vs_floor", floor_us / us),
                        BNB_NUM("packed_bytes", packed),
                        BNB_NUM("membw_gb_s", bw_now),
                    };
                    bnb_report(&opt, name, &r, f, (int)(sizeof f / sizeof f[0]));
                    if (g_nrecs < MAX_RECS) g_recs[g_nrecs++] = (rec){n, k, m, threads[ti], kerns[ki]->name, us};
                }
            }
            free(work);
        }
        free(wf);
        free(x);
        free(y);
        bn_bitlinear_free(bl);
    }
    free(bw_buf);
    report_prefill(&opt, kerns, nk, threads, nthreads, ms, nms);
    for (int t = 0; t < nthreads; t++) bn_ctx_free(ctxs[t]);
    int reg = bnb_finish(&opt);
    return rc ? rc : reg;
}
