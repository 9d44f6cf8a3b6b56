/* `bitnet bench ops`: the element-wise ops benchmark of bench/ops_runner.c,
 * compiled into the command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_bench.h"
#include "ops_runner.h"

int bn_cli_cmd_bench(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        const cli_command *c = cli_find("bench");
        if (c) cli_print_command_help(argc < 2 ? stderr : stdout, c);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "ops") == 0) {
        for (int i = 2; i < argc; i++)
            if (cli_is_help(argv[i])) {
                cli_print_command_help(stdout, cli_find("bench"));
                return CLI_EXIT_OK;
            }
        /* argv[1] ("ops") becomes the runner's program name */
        int rc = bnb_ops_main(argc - 1, argv + 1);
        return rc == 2 ? CLI_EXIT_USAGE : rc;
    }
    return cli_usage_error("bench", "unknown benchmark '%s' (known: ops)", argv[1]);
}
