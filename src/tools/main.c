/* The `bitnet` command: dispatch to a sub-command from the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_bench.h"
#include "cmd_generate.h"
#include "cmd_convert.h"
#include "cmd_precision.h"
#include "cmd_tokenize.h"

/* One row per sub-command; see cli.h for how to add one. */
const cli_command cli_commands[] = {
    {"info", "Print the version, build options, CPU features, kernels, devices and pool settings.",
     "bitnet info [--json]",
     "options:\n"
     "  --json      one JSON object instead of text\n"
     "  -h, --help  this text\n"
     "\nenvironment: BITNET_NUM_THREADS, BITNET_ISA, BITNET_DEVICE (see the README)\n",
     cmd_info},
#ifdef BITNET_HAVE_TOKENIZER
    {"convert", BN_CLI_CONVERT_SUMMARY, BN_CLI_CONVERT_USAGE, BN_CLI_CONVERT_DETAILS, bn_cli_cmd_convert},
    {"precision", BN_CLI_PRECISION_SUMMARY, BN_CLI_PRECISION_USAGE, BN_CLI_PRECISION_DETAILS, bn_cli_cmd_precision},
#endif
    {"bench", BN_CLI_BENCH_SUMMARY, BN_CLI_BENCH_USAGE, BN_CLI_BENCH_DETAILS, bn_cli_cmd_bench},
#ifdef BITNET_HAVE_TOKENIZER
    {"tokenize", BN_CLI_TOKENIZE_SUMMARY, BN_CLI_TOKENIZE_USAGE, BN_CLI_TOKENIZE_DETAILS, bn_cli_cmd_tokenize},
    {"generate", BN_CLI_GENERATE_SUMMARY, BN_CLI_GENERATE_USAGE, BN_CLI_GENERATE_DETAILS, bn_cli_cmd_generate},
    {"logits", BN_CLI_LOGITS_SUMMARY, BN_CLI_LOGITS_USAGE, BN_CLI_LOGITS_DETAILS, bn_cli_cmd_logits},
#endif
    {NULL, NULL, NULL, NULL, NULL},
};

static void print_help(FILE *f) {
    fprintf(f,
            "usage: bitnet [--version] [--help] COMMAND [ARGS]\n\n"
            "bitnet: BitNet b1.58 tensor library and runtime, version %s\n\ncommands:\n",
            bn_version());
    for (const cli_command *c = cli_commands; c->name; c++) fprintf(f, "  %-10s  %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'bitnet COMMAND --help' for the options of one command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    const char *first = argv[1];
    if (cli_is_help(first) || strcmp(first, "help") == 0) {
        if (argc < 3 || cli_is_help(first)) {
            print_help(stdout);
            return CLI_EXIT_OK;
        }
        const cli_command *c = cli_find(argv[2]);
        if (!c) return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        cli_print_command_help(stdout, c);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("bitnet %s\n", bn_version());
        return CLI_EXIT_OK;
    }
    if (first[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", first);
    const cli_command *cmd = cli_find(first);
    if (!cmd) return cli_usage_error(NULL, "unknown command '%s'", first);
    return cmd->run(argc - 1, argv + 1);
}
