/* Helpers of the `bitnet` command: see cli.h. */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

const cli_command *cli_find(const char *name) {
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

int cli_is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

void cli_print_command_help(FILE *f, const cli_command *cmd) {
    fprintf(f, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->details && cmd->details[0]) fprintf(f, "\n%s", cmd->details);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "bitnet%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'bitnet%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

int cli_lib_error(const char *what, bn_status status) {
    const char *msg = bn_last_error();
    fprintf(stderr, "bitnet: %s failed: %s%s%s\n", what, bn_status_str(status), msg[0] ? ": " : "", msg);
    return CLI_EXIT_FAIL;
}

static const cli_option *find_option(const cli_option *opts, const char *name) {
    for (; opts && opts->name; opts++)
        if (strcmp(opts->name, name) == 0) return opts;
    return NULL;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const cli_option *opts) {
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_print_command_help(stdout, cmd);
            return CLI_EXIT_OK;
        }
        const cli_option *o = find_option(opts, argv[i]);
        if (!o && argv[i][0] == '-') return cli_usage_error(cmd->name, "unknown option '%s'", argv[i]);
        if (!o) return cli_usage_error(cmd->name, "unexpected argument '%s'", argv[i]);
        if (o->flag) *o->flag = 1;
        if (o->value) {
            if (i + 1 >= argc) return cli_usage_error(cmd->name, "option '%s' needs a value", argv[i]);
            *o->value = argv[++i];
        }
    }
    return -1;
}

/* ---- JSON ------------------------------------------------------------ */

static void json_escaped(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_key(cli_json *j, const char *key) {
    if (j->need_comma[j->depth]) fputc(',', j->f);
    j->need_comma[j->depth] = 1;
    fprintf(j->f, "\n%*s", 2 * j->depth, "");
    if (key) {
        json_escaped(j->f, key);
        fputs(": ", j->f);
    }
}

void cli_json_begin(cli_json *j, FILE *f) {
    memset(j, 0, sizeof *j);
    j->f = f;
    fputc('{', f);
    j->depth = 1;
}

void cli_json_open(cli_json *j, const char *key, char bracket) {
    json_key(j, key);
    fputc(bracket, j->f);
    if (j->depth + 1 < (int)(sizeof j->need_comma / sizeof j->need_comma[0])) j->depth++;
    j->need_comma[j->depth] = 0;
}

void cli_json_close(cli_json *j, char bracket) {
    int had_items = j->need_comma[j->depth];
    if (j->depth > 0) j->depth--;
    if (had_items) fprintf(j->f, "\n%*s", 2 * j->depth, "");
    fputc(bracket, j->f);
}

void cli_json_str(cli_json *j, const char *key, const char *value) {
    json_key(j, key);
    if (value) json_escaped(j->f, value);
    else fputs("null", j->f);
}

void cli_json_num(cli_json *j, const char *key, double value) {
    json_key(j, key);
    if (!isfinite(value)) fputs("null", j->f);
    else if (value == floor(value) && fabs(value) < 1e18) fprintf(j->f, "%.0f", value);
    else fprintf(j->f, "%.17g", value);
}

void cli_json_bool(cli_json *j, const char *key, int value) {
    json_key(j, key);
    fputs(value ? "true" : "false", j->f);
}

void cli_json_end(cli_json *j) {
    cli_json_close(j, '}');
    fputc('\n', j->f);
}
