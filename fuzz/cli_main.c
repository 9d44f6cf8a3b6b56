/* The `bitnet` command's main() (src/tools/main.c) under another name, so
 * the cli harness can call the real dispatch with its own argv. */
int bitnet_cli_main(int argc, char **argv);
#define main bitnet_cli_main
#include "../src/tools/main.c"
