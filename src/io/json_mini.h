/* Internal: a small strict JSON parser for safetensors headers and
 * config.json (no third-party dependency, so the readers build in every
 * configuration). Depth limited; integers kept exactly when they fit. */
#ifndef BITNET_IO_JSON_MINI_H
#define BITNET_IO_JSON_MINI_H

#include <stddef.h>
#include <stdint.h>

typedef enum bnj_type { BNJ_NULL, BNJ_BOOL, BNJ_NUM, BNJ_STR, BNJ_ARR, BNJ_OBJ } bnj_type;

typedef struct bnj {
    bnj_type type;
    int boolean;
    double num;
    int is_int;       /* a number written without fraction/exponent that fits int64 */
    int64_t inum;
    char *str;        /* BNJ_STR: NUL-terminated UTF-8 */
    size_t len;
    char **keys;      /* BNJ_OBJ: n keys */
    struct bnj *kids; /* BNJ_ARR/BNJ_OBJ: n values */
    size_t n;
} bnj;

/* Parse text[0..len). On failure returns NULL and writes a short reason
 * with the byte offset into err. */
bnj *bnj_parse(const char *text, size_t len, char *err, size_t errsize);
void bnj_free(bnj *v);
const bnj *bnj_get(const bnj *obj, const char *key); /* NULL when absent or obj not an object */

#endif
