/* The `bitnet` command: the sub-command table and small helpers shared by
 * the commands (option parsing, error exits, JSON output).
 *
 * Adding a command: write `int cmd_NAME(int argc, char **argv)` (argv[0] is
 * the command's name; options follow) in its own file, declare it below, and
 * add one row to the table in main.c.
 *
 * Exit codes: 0 success, 1 a library call failed (bn_last_error() printed),
 * 2 a usage error (unknown command or option, bad value).
 */
#ifndef BITNET_TOOLS_CLI_H
#define BITNET_TOOLS_CLI_H

#include <stdio.h>

#include "bitnet/bitnet.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* One sub-command. */
typedef struct cli_command {
    const char *name;     /* "info" */
    const char *summary;  /* one line for `bitnet --help` */
    const char *usage;    /* "bitnet info [--json]" */
    const char *details;  /* options and notes for `bitnet CMD --help` */
    int (*run)(int argc, char **argv);
} cli_command;

/* One option of a command: a flag (value == NULL) sets *flag to 1; an
 * option with a value stores the next argument in *value. */
typedef struct cli_option {
    const char *name; /* "--json" */
    int *flag;
    const char **value;
} cli_option;

/* The table of commands (main.c), ended by a row with name NULL. */
extern const cli_command cli_commands[];

const cli_command *cli_find(const char *name);
int cli_is_help(const char *arg);
void cli_print_command_help(FILE *f, const cli_command *cmd);

/* Parses argv[1..] of command `cmd` against `opts` (ended by a NULL name);
 * --help/-h prints the command's help. Returns -1 when parsing may go on
 * (all options consumed), else the exit code to return (0 after --help,
 * CLI_EXIT_USAGE on an error). */
int cli_parse(const cli_command *cmd, int argc, char **argv, const cli_option *opts);

/* "bitnet CMD: <message>" plus a hint to --help on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "bitnet: <what> failed: <status>: <bn_last_error()>" on stderr; returns 1. */
int cli_lib_error(const char *what, bn_status status);

/* Minimal JSON writer: tracks whether a comma is due at each nesting level. */
typedef struct cli_json {
    FILE *f;
    int depth;
    int need_comma[16];
} cli_json;

void cli_json_begin(cli_json *j, FILE *f);
void cli_json_open(cli_json *j, const char *key, char bracket);  /* key NULL inside arrays */
void cli_json_close(cli_json *j, char bracket);
void cli_json_str(cli_json *j, const char *key, const char *value);
void cli_json_num(cli_json *j, const char *key, double value);
void cli_json_bool(cli_json *j, const char *key, int value);
void cli_json_end(cli_json *j);

/* Sub-commands. */
int cmd_info(int argc, char **argv);

#endif
