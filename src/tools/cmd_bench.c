/* `bitnet bench ops`: the element-wise ops benchmark of bench/ops_runner.c,
 * compiled into the command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_bench.h"
#include "cmd_generate.h"
#include "bitlinear_runner.h"
#include "ops_runner.h"

#ifdef BITNET_HAVE_TOKENIZER
int bn_bench_tokenizer_main(int argc, char **argv);
#endif

/* Runs one benchmark's main with argv[1] as its program name; usage errors
 * of the runner (2) stay usage errors of the command. */
static int run_sub(int (*main_fn)(int, char **), int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            cli_print_command_help(stdout, cli_find("bench"));
            return CLI_EXIT_OK;
        }
    int rc = main_fn(argc - 1, argv + 1);
    return rc == 2 ? CLI_EXIT_USAGE : rc;
}

int bn_cli_cmd_bench(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        const cli_command *c = cli_find("bench");
        if (c) cli_print_command_help(argc < 2 ? stderr : stdout, c);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "ops") == 0) return run_sub(bnb_ops_main, argc, argv);
    if (strcmp(argv[1], "bitlinear") == 0) return run_sub(bn_bench_bitlinear_main, argc, argv);
#ifdef BITNET_HAVE_TOKENIZER
    if (strcmp(argv[1], "model") == 0) return bn_cli_bench_model(argc - 1, argv + 1);
    if (strcmp(argv[1], "tokenizer") == 0) return run_sub(bn_bench_tokenizer_main, argc, argv);
#endif
    return cli_usage_error("bench", "unknown benchmark '%s' (known: ops, bitlinear, model, tokenizer)", argv[1]);
}
