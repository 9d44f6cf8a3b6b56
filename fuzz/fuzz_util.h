/* Shared helpers of the libFuzzer harnesses (one file per harness in fuzz/). Each harness is one
 * LLVMFuzzerTestOneInput; built with -fsanitize=fuzzer it is a fuzzer
 * (BITNET_FUZZ=ON), linked with replay_main.c it replays files (the
 * fuzz_regress_* tests of the normal ctest run). */
#ifndef BITNET_FUZZ_UTIL_H
#define BITNET_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private temporary directory of this process (created on first use,
 * removed at exit). */
const char *fz_tmpdir(void);

/* Writes data to fz_tmpdir()/name and returns the path (static storage,
 * one per name slot; valid until the next call with the same slot).
 * Aborts when the file cannot be written. */
const char *fz_write_file(int slot, const char *name, const void *data, size_t size);

/* Quiet library warnings and force one thread; called by every harness. */
void fz_init_env(void);

/* bn_model_load(path) with a small KV cache in a one-thread context made
 * once; when it loads, a forward pass over two tokens (the first and last
 * id) and, with `sample`, one sampling step. Errors are the expected
 * outcome for most inputs and are ignored. */
void fz_load_and_run_model(const char *path, int sample);

#endif
