/* `bitnet generate` and `bitnet logits`: run a BitNet model. */
#ifndef BITNET_TOOLS_CMD_GENERATE_H
#define BITNET_TOOLS_CMD_GENERATE_H

#include <stdint.h>

#define BN_CLI_GENERATE_SUMMARY "Generate text (or ids) with a BitNet b1.58 model, streamed to stdout."
#define BN_CLI_GENERATE_USAGE                                                                       \
    "bitnet generate -m MODEL [-p PROMPT] [-n N] [--temp T] [--top-k K] [--top-p P]\n"               \
    "                [--repeat-penalty R] [--seed S] [--chat] [--system TEXT] [--ids] [--threads N]\n"                \
    "                [--device cpu|cuda]"
#define BN_CLI_GENERATE_DETAILS                                                                     \
    "MODEL is a Hugging Face directory (config.json + model.safetensors; master or packed) or a\n" \
    "GGUF file (bitnet-b1.58: I2_S, TQ1_0, TQ2_0); its tokenizer.json is the one in the directory\n" \
    "or beside the GGUF file.\n"                                                                   \
    "The prompt comes from -p or, without it, from stdin. With a tokenizer.json beside the\n"      \
    "weights the prompt is text (BOS added) and the output text; without one (or with --ids) the\n" \
    "prompt is whitespace-separated token ids and the output ids, one per line.\n"                \
    "Generation stops at an EOS id of config.json or after N tokens.\n\n"                          \
    "options:\n"                                                                                    \
    "  -m, --model PATH        the model directory or GGUF file\n"                                  \
    "  -p, --prompt TEXT       the prompt (default: stdin)\n"                                       \
    "  -n N                    most tokens to generate (default 128)\n"                             \
    "  --temp T                temperature; 0 (default) = greedy\n"                                 \
    "  --top-k K               keep the K most likely tokens (0 = off)\n"                           \
    "  --top-p P               nucleus sampling (1 = off)\n"                                        \
    "  --repeat-penalty R      transformers' repetition penalty (1 = off)\n"                        \
    "  --seed S                sampling seed (default 0)\n"                                         \
    "  --chat                  wrap the prompt in BitNet 2B-4T's chat format\n"                     \
    "  --system TEXT           the chat's system message\n"                                         \
    "  --ids                   ids in and out even when there is a tokenizer\n"                     \
    "  --threads N             worker threads (default: BITNET_NUM_THREADS or all CPUs)\n"          \
    "  --device cpu|cuda       where to run (cpu only for now)\n"                                  \
    "  -h, --help              this text\n"                                                         \
    "\nexit status: 0 ok, 1 a library error (message on stderr), 2 a usage error\n"

#define BN_CLI_LOGITS_SUMMARY "Write the logits of one forward pass as float32 [T, vocab]."
#define BN_CLI_LOGITS_USAGE "bitnet logits -m MODEL --tokens \"ID ID ...\" -o OUT.f32 [--threads N]"
#define BN_CLI_LOGITS_DETAILS                                                                       \
    "Runs the ids through the model in one forward pass and writes float32 logits, row-major,\n"   \
    "one row of vocab_size values per token (little-endian on the machines we build for).\n\n"    \
    "options:\n"                                                                                    \
    "  -m, --model DIR      the model directory\n"                                                  \
    "  --tokens IDS         whitespace-separated token ids\n"                                       \
    "  -o, --output FILE    where to write the logits\n"                                            \
    "  --threads N          worker threads\n"                                                       \
    "  -h, --help           this text\n"                                                            \
    "\nexit status: 0 ok, 1 a library error (message on stderr), 2 a usage error\n"

/* argv[0] is the command's name. Return the exit status. */
int bn_cli_cmd_generate(int argc, char **argv);
int bn_cli_cmd_logits(int argc, char **argv);

/* Shared by both: parse "ID ID ..." (NULL on a bad id; *n ids, malloc'd). */
int32_t *bn_cli_parse_ids(const char *text, int64_t *n);

/* Model options for the commands: a progress bar on stderr while loading
 * when stderr is a terminal. */
#include "bitnet/model.h"
void bn_cli_model_options(bn_model_options *o);
void bn_cli_load_progress(void *user, int64_t done, int64_t total);

/* `bitnet bench model` (dispatched from cmd_bench.c); argv[0] is "model". */
int bn_cli_bench_model(int argc, char **argv);

#endif
