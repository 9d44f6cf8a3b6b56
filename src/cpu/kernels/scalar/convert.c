/* Reference conversion kernels: the scalar rules of bn_f32_to_f16 and co. */
#include "bitnet/tensor.h"
#include "cpu/kernels.h"

void bni_f32_to_f16_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bn_f32_to_f16(src[i]);
}

void bni_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bn_f16_to_f32(src[i]);
}

void bni_f32_to_bf16_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bn_f32_to_bf16(src[i]);
}

void bni_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bn_bf16_to_f32(src[i]);
}
