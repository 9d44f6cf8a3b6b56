/* `bitnet precision`: per-tensor precision report of a checkpoint under a policy. */
#ifndef BITNET_TOOLS_CMD_PRECISION_H
#define BITNET_TOOLS_CMD_PRECISION_H

#define BN_CLI_PRECISION_SUMMARY "Show what a precision policy does to each tensor of a checkpoint (bytes and error)."
#define BN_CLI_PRECISION_USAGE "bitnet precision -m MODEL [--policy NAME|FILE.json] [--filter TEXT] [--save FILE.json]"
#define BN_CLI_PRECISION_DETAILS                                                                     \
    "Reads every floating tensor (f32, f16, bf16, f64) of a safetensors checkpoint, picks its\n"     \
    "precision from the policy (its kind is guessed from the name; overrides by pattern win),\n"    \
    "converts it, and prints its bytes and the error against f32: MSE, SQNR dB, cosine, max abs\n"  \
    "error. Integer tensors (packed weights) are listed as skipped. The policy is validated first:\n" \
    "errors stop the command, warnings are printed.\n\n"                                          \
    "options:\n"                                                                                    \
    "  -m, --model PATH   model.safetensors, an index.json, or a directory with either\n"          \
    "  --policy P         conservative, balanced (default), aggressive, or a policy JSON file\n"   \
    "  --filter TEXT      only tensors whose name contains TEXT\n"                                  \
    "  --save FILE        write the policy as JSON (e.g. to edit it)\n"                             \
    "  -h, --help         this text\n"                                                              \
    "\nexit status: 0 ok, 1 a library error (message on stderr), 2 a usage error\n"

/* argv[0] is "precision". Returns the exit status. */
int bn_cli_cmd_precision(int argc, char **argv);

#endif
