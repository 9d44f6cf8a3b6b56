/* `bitnet convert`: Hugging Face BitNet b1.58 directory -> GGUF, or a
 * random model of a known shape (for benchmarks). */
#ifndef BITNET_TOOLS_CMD_CONVERT_H
#define BITNET_TOOLS_CMD_CONVERT_H

#define BN_CLI_CONVERT_SUMMARY "Write a BitNet b1.58 GGUF from a Hugging Face directory, or a random model."
#define BN_CLI_CONVERT_USAGE                                                                        \
    "bitnet convert IN_HF_DIR OUT.gguf [--type i2_s|tq2_0|tq1_0] [--float f16|f32]\n"              \
    "       bitnet convert --random-like 2b-4t OUT.gguf [--type T] [--float F] [--seed N]"
#define BN_CLI_CONVERT_DETAILS                                                                      \
    "Reads config.json, model.safetensors (or a sharded index) and tokenizer.json (optional) from\n" \
    "IN_HF_DIR: master weights (f32/bf16) are ternarized with absmean per tensor as transformers\n"  \
    "does; packed checkpoints (uint8 codes + weight_scale) are repacked as they are. The q and k\n"  \
    "projections are stored with their rows permuted for ggml's RoPE, as llama.cpp's converters\n"  \
    "do (see docs/gguf.md). Norms are f32; the embedding and an untied output matrix use --float.\n" \
    "--random-like 2b-4t writes the exact shape of microsoft/bitnet-b1.58-2B-4T with seeded\n"      \
    "random ternary weights and no tokenizer.\n\n"                                                   \
    "options:\n"                                                                                     \
    "  --type T         ternary tensor type: i2_s (default), tq2_0 or tq1_0 (TQ needs every\n"      \
    "                   input size to be a multiple of 256)\n"                                       \
    "  --float F        embedding / output matrix type: f16 (default, as bitnet.cpp) or f32\n"      \
    "  --random-like S  model shape preset: 2b-4t\n"                                                 \
    "  --seed N         seed of the random weights (default 1)\n"                                     \
    "  -q, --quiet      no progress bar\n"                                                           \
    "  -h, --help       this text\n"                                                                 \
    "\nA progress bar is drawn on stderr when it is a terminal.\n"                                   \
    "exit status: 0 ok, 1 a library error (message on stderr), 2 a usage error\n"

/* argv[0] is "convert". Returns the exit status. */
int bn_cli_cmd_convert(int argc, char **argv);

#endif
