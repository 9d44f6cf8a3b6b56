/* Internal: the int8/int4-with-scale quantize kernels of the precision
 * engine. Each must give exactly the tensor module's results
 * (src/tensor/convert.c: absmax per group, code = clamp(rint(x / scale)),
 * NaN -> 0); the scalar versions are the reference. */
#ifndef BITNET_PRECISION_PQ_KERNELS_H
#define BITNET_PRECISION_PQ_KERNELS_H

#include <stdint.h>

#include "bitnet/device.h"

/* max |x| over n values, NaN ignored; *nan set to 1 when one was seen. */
typedef float (*bni_pq_absmax_fn)(const float *x, int64_t n, int *nan);
/* codes[i] = clamp(rint(x[i] / scale), lo, hi), NaN -> 0. */
typedef void (*bni_pq_codes_fn)(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);

typedef struct bni_pq_kernels {
    bni_pq_absmax_fn absmax;
    bni_pq_codes_fn codes;
    const char *isa;
} bni_pq_kernels;

/* The kernels for level @p isa (NULL when this CPU or build cannot run
 * them; levels without their own kernels get the next lower ones). */
const bni_pq_kernels *bni_pq_kernels_for_isa(bn_isa isa);
/* The kernels for bn_cpu_isa(). */
const bni_pq_kernels *bni_pq_kernels_get(void);

float bni_pq_absmax_scalar(const float *x, int64_t n, int *nan);
void bni_pq_codes_scalar(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
#if defined(__x86_64__) || defined(_M_X64)
float bni_pq_absmax_avx2(const float *x, int64_t n, int *nan);
void bni_pq_codes_avx2(const float *x, int64_t n, float scale, float lo, float hi, int8_t *codes);
#endif

#endif
