/* `bitnet tokenize`: text on stdin to ids on stdout, or (--decode) ids to
 * text. A thin layer over include/bitnet/tokenizer.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet/bitnet.h"
#include "cmd_tokenize.h"

enum { EXIT_LIB = 1, EXIT_USAGE = 2 };

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "bitnet tokenize: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'bitnet tokenize --help'.\n");
    return EXIT_USAGE;
}

static int lib_error(const char *what, bn_status st) {
    const char *msg = bn_last_error();
    fprintf(stderr, "bitnet: %s failed: %s%s%s\n", what, bn_status_str(st), msg[0] ? ": " : "", msg);
    return EXIT_LIB;
}

static void print_help(FILE *f) {
    fprintf(f, "usage: %s\n\n%s\n\n%s", BN_CLI_TOKENIZE_USAGE, BN_CLI_TOKENIZE_SUMMARY, BN_CLI_TOKENIZE_DETAILS);
}

/* All of stdin; NULL on a read error or out of memory. */
static char *read_stdin(size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) {
                free(buf);
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int encode(const bn_tokenizer *tok, const char *text, size_t len, unsigned flags) {
    int32_t *ids = NULL;
    size_t n = 0;
    bn_status st = bn_tokenizer_encode(tok, text, len, flags, &ids, &n);
    if (st) return lib_error("encode", st);
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    printf("\n");
    bn_tokenizer_ids_free(ids);
    return 0;
}

static int decode(const bn_tokenizer *tok, const char *text, unsigned flags) {
    size_t cap = 1024, n = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) return usage_error("%s", "out of memory");
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < INT32_MIN || v > INT32_MAX ||
            (*end && !(*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' || *end == '\v' || *end == '\f'))) {
            char word[64];
            size_t k = 0;
            while (p[k] && k < sizeof word - 1 && !(p[k] == ' ' || p[k] == '\n' || p[k] == '\t')) {
                word[k] = p[k];
                k++;
            }
            word[k] = '\0';
            free(ids);
            return usage_error("'%s' on stdin is not a token id", word);
        }
        if (n == cap) {
            int32_t *q = realloc(ids, cap * 2 * sizeof *ids);
            if (!q) {
                free(ids);
                return usage_error("%s", "out of memory");
            }
            ids = q;
            cap *= 2;
        }
        ids[n++] = (int32_t)v;
        p = end;
    }
    char *out = NULL;
    size_t len = 0;
    bn_status st = bn_tokenizer_decode(tok, ids, n, flags, &out, &len);
    free(ids);
    if (st) return lib_error("decode", st);
    fwrite(out, 1, len, stdout);
    bn_tokenizer_text_free(out);
    return 0;
}

int bn_cli_cmd_tokenize(int argc, char **argv) {
    const char *path = NULL;
    int do_decode = 0, no_special = 0, as_text = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(stdout);
            return 0;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--tokenizer") == 0) {
            if (i + 1 >= argc) return usage_error("option '%s' needs a value", a);
            path = argv[++i];
        } else if (strcmp(a, "--decode") == 0) {
            do_decode = 1;
        } else if (strcmp(a, "--no-special") == 0) {
            no_special = 1;
        } else if (strcmp(a, "--special-as-text") == 0) {
            as_text = 1;
        } else if (a[0] == '-') {
            return usage_error("unknown option '%s'", a);
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!path) return usage_error("%s", "-t TOKENIZER.json is required");
    if (do_decode && as_text) return usage_error("%s", "--special-as-text applies to encoding only");
    bn_tokenizer *tok = NULL;
    bn_status st = bn_tokenizer_load(path, NULL, &tok);
    if (st) return lib_error("loading the tokenizer", st);
    size_t len = 0;
    char *text = read_stdin(&len);
    int rc;
    if (!text) {
        fprintf(stderr, "bitnet tokenize: cannot read stdin\n");
        rc = EXIT_LIB;
    } else if (do_decode) {
        rc = decode(tok, text, no_special ? BN_TOK_SKIP_SPECIAL : 0);
    } else {
        unsigned flags = (no_special ? 0 : BN_TOK_ADD_SPECIAL) | (as_text ? BN_TOK_SPECIAL_AS_TEXT : 0);
        rc = encode(tok, text, len, flags);
    }
    free(text);
    bn_tokenizer_free(tok);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "bitnet tokenize: cannot write stdout\n");
        rc = EXIT_LIB;
    }
    return rc;
}
