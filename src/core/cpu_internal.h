/* Internal CPU helpers shared by the device and context code. */
#ifndef BITNET_CORE_CPU_INTERNAL_H
#define BITNET_CORE_CPU_INTERNAL_H

#include <stddef.h>

#include "bitnet/device.h"

/* The level BITNET_ISA=value selects given the CPU's best level; *why is set
 * to a reason when the value is ignored or lowered (NULL otherwise).
 * Exposed for tests. */
bn_isa bni_isa_from_env(const char *value, bn_isa best, const char **why);

/* The CPU's model name ("AMD EPYC 9654"), or "unknown CPU". */
void bni_cpu_model_name(char *buf, size_t size);

/* Online CPUs (at least 1). */
int bni_online_cpus(void);

#endif
