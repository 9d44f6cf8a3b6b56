/* hello_tensor: a context, a tensor, views that share its storage, casts,
 * and what an error looks like.
 *
 * Build: see CMakeLists.txt or Makefile in this folder. */
#include <stdio.h>

#include <bitnet/bitnet.h>

/* Print a call's failure with the library's message and leave. */
#define TRY(call)                                                                  \
    do {                                                                           \
        bn_status st_ = (call);                                                    \
        if (st_ != BN_OK) {                                                        \
            fprintf(stderr, "%s failed: %s\n", #call, bn_last_error());            \
            return 1;                                                              \
        }                                                                          \
    } while (0)

/* Prints a 2-D tensor through bn_tensor_get, whatever its strides. */
static int print_2d(const char *label, const bn_tensor *t) {
    char desc[160];
    TRY(bn_tensor_describe(t, desc, sizeof desc));
    printf("%s: %s\n", label, desc);
    for (int64_t i = 0; i < bn_tensor_dim(t, 0); i++) {
        printf("  ");
        for (int64_t j = 0; j < bn_tensor_dim(t, 1); j++) {
            int64_t idx[2] = {i, j};
            double v;
            TRY(bn_tensor_get(t, idx, &v));
            printf("%8.4g", v);
        }
        printf("\n");
    }
    return 0;
}

int main(void) {
    printf("bitnet %s\n", bn_version());
    bn_ctx *ctx = NULL;
    TRY(bn_ctx_new(NULL, &ctx)); /* default device, threads from BITNET_NUM_THREADS or the CPUs */

    /* 0, 1, ..., 11 as a 3x4 matrix. */
    bn_tensor *a = NULL, *m = NULL, *mt = NULL, *cols = NULL;
    TRY(bn_tensor_arange(ctx, BN_DTYPE_F32, 0, 12, 1, &a));
    int64_t shape[2] = {3, 4};
    TRY(bn_tensor_reshape(a, 2, shape, &m));
    if (print_2d("m", m)) return 1;

    /* Views copy nothing: the transpose and every other column share m's storage. */
    TRY(bn_tensor_transpose(m, 0, 1, &mt));
    TRY(bn_tensor_slice(m, 1, 0, INT64_MAX, 2, &cols));
    if (print_2d("m transposed", mt) || print_2d("m[:, ::2]", cols)) return 1;
    printf("shares storage with m: %d, contiguous: %d\n", bn_tensor_shares_storage(m, mt),
           bn_tensor_is_contiguous(mt));

    /* A write through one view is seen through the others. */
    int64_t at[2] = {0, 2};
    TRY(bn_tensor_set(cols, (int64_t[2]){0, 1}, 100.0));
    double v;
    TRY(bn_tensor_get(m, at, &v));
    printf("m[0][2] after writing 100 through m[:, ::2]: %g\n", v);

    /* Casts round to nearest even: 1/3 in f16 and bf16. */
    bn_tensor *third = NULL, *h = NULL, *b = NULL;
    TRY(bn_tensor_full(ctx, BN_DTYPE_F32, 1, (int64_t[1]){1}, 1.0 / 3.0, &third));
    TRY(bn_tensor_cast(third, BN_DTYPE_F16, &h));
    TRY(bn_tensor_cast(third, BN_DTYPE_BF16, &b));
    double vf, vh, vb;
    TRY(bn_tensor_get(third, (int64_t[1]){0}, &vf));
    TRY(bn_tensor_get(h, (int64_t[1]){0}, &vh));
    TRY(bn_tensor_get(b, (int64_t[1]){0}, &vb));
    printf("1/3 as f32 %.9f, f16 %.9f, bf16 %.9f\n", vf, vh, vb);

    /* A deliberate mistake: the transpose's strides cannot be read as 12
     * consecutive elements, so reshape refuses and says what to do. */
    bn_tensor *flat = NULL;
    int64_t twelve = 12;
    bn_status st = bn_tensor_reshape(mt, 1, &twelve, &flat);
    printf("reshape of the transpose: %s\n  message: %s\n", bn_status_str(st), bn_last_error());
    if (st == BN_OK) return 1; /* it must have failed */

    /* The fix: make it contiguous (a copy), then reshape. */
    bn_tensor *c = NULL;
    TRY(bn_tensor_contiguous(mt, &c));
    TRY(bn_tensor_reshape(c, 1, &twelve, &flat));
    printf("after bn_tensor_contiguous: %lld elements, shares storage with m: %d\n",
           (long long)bn_tensor_numel(flat), bn_tensor_shares_storage(flat, m));

    /* Every handle is freed; the storage goes with its last handle. */
    bn_tensor *all[] = {a, m, mt, cols, third, h, b, c, flat};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) bn_tensor_free(all[i]);
    bn_ctx_free(ctx);
    return 0;
}
