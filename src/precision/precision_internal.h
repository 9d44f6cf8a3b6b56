/* Internal: the policy object, shared by policy.c, policy_json.c, report.c. */
#ifndef BITNET_PRECISION_INTERNAL_H
#define BITNET_PRECISION_INTERNAL_H

#include <stddef.h>

#include "bitnet/precision.h"

#define BNI_PATTERN_MAX 256

typedef struct bni_precision_override {
    char pattern[BNI_PATTERN_MAX];
    bn_precision_spec spec;
} bni_precision_override;

struct bn_precision_policy {
    bn_precision_spec kinds[BN_LAYER_KIND_COUNT];
    bni_precision_override *ov; /* in the order added */
    size_t nov, cap;
};

/* Form checks of a spec (valid dtype and granularity, block > 0). */
bn_status bni_precision_check_spec(const char *fn, const bn_precision_spec *spec);



/* BNI_CHECK_NULL for a function name held in a variable. */
#define BNI_PCHECK_NULL(f, p)                                                               \
    do {                                                                                    \
        if ((p) == NULL) return bni_error(BN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", (f), #p); \
    } while (0)

#endif
