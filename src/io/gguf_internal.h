/* Internal: pieces shared by the GGUF reader and writer. */
#ifndef BITNET_IO_GGUF_INTERNAL_H
#define BITNET_IO_GGUF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bitnet/gguf.h"

/* "GGUF" read as a little-endian uint32. */
#define BNI_GGUF_MAGIC 0x46554747u

/* Size in bytes of a scalar value type; 0 for STRING, ARRAY and unknown ids. */
size_t bni_gguf_scalar_size(uint32_t type);

/* Open-addressing string set mapping names to indices (FNV-1a). */
typedef struct bni_name_map {
    int64_t *slots; /* index + 1, 0 = empty */
    size_t cap;     /* power of two */
} bni_name_map;

/* Prepare for up to n names; 0 on out of memory. */
int bni_name_map_init(bni_name_map *m, size_t n);
void bni_name_map_free(bni_name_map *m);
/* Look name up among names[] (the map stores indices into it); -1 if absent. */
int64_t bni_name_map_find(const bni_name_map *m, char *const *names, const char *name, size_t len);
/* Insert index i (names[i] set, length len); returns the existing index if
 * the name is there already, else -1. */
int64_t bni_name_map_insert(bni_name_map *m, char *const *names, int64_t i, size_t len);

#endif
