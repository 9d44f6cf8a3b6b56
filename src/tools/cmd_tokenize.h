/* `bitnet tokenize`: encode stdin to ids, or (--decode) ids to text. */
#ifndef BITNET_TOOLS_CMD_TOKENIZE_H
#define BITNET_TOOLS_CMD_TOKENIZE_H

/* Usage and option text for the command table (cli_command.usage/details). */
#define BN_CLI_TOKENIZE_SUMMARY "Encode text from stdin to token ids, or decode ids to text."
#define BN_CLI_TOKENIZE_USAGE "bitnet tokenize -t TOKENIZER.json [--decode] [--no-special] [--special-as-text]"
#define BN_CLI_TOKENIZE_DETAILS                                                                    \
    "Reads stdin whole. Encoding prints the ids separated by single spaces on one line;\n"        \
    "--decode reads whitespace-separated ids and prints the text exactly (no newline added).\n"   \
    "The text is taken byte for byte (a trailing newline is text too); invalid UTF-8 becomes\n"   \
    "U+FFFD.\n\n"                                                                                  \
    "options:\n"                                                                                   \
    "  -t, --tokenizer FILE  tokenizer.json (tokenizer_config.json beside it is read too)\n"      \
    "  --decode              ids in, text out\n"                                                   \
    "  --no-special          encode: add no BOS/EOS; decode: leave special tokens out\n"          \
    "  --special-as-text     encode: special tokens written in the text are plain text\n"         \
    "  -h, --help            this text\n"                                                          \
    "\nexit status: 0 ok, 1 a library error (message on stderr), 2 a usage error\n"

/* argv[0] is "tokenize". Returns the exit status. */
int bn_cli_cmd_tokenize(int argc, char **argv);

#endif
