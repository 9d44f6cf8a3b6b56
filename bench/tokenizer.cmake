# The tokenizer's benchmark (owned with src/text): encode MB/s on a text
# file, whole, line by line, and as a batch on 1 and N threads.
#   bench_tokenizer -t tests/data/llama3/tokenizer.json -f TEXT [--json]
# Included from bench/CMakeLists.txt.
add_executable(bench_tokenizer ${CMAKE_CURRENT_LIST_DIR}/bench_tokenizer.c)
target_link_libraries(bench_tokenizer PRIVATE bitnet_bench_harness bitnet_static)
target_compile_definitions(bench_tokenizer PRIVATE _GNU_SOURCE)
bitnet_target_warnings(bench_tokenizer)
