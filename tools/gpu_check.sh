#!/usr/bin/env bash
# Build the CUDA backend on a GPU machine and run what needs the GPU: the
# GPU tests (test_cuda compares every CUDA result with the CPU) and the
# BitLinear benchmark. Kernel-only build: the GPU machine has no PCRE2 or
# jansson headers.
#
#   tools/gpu_check.sh [OUT_DIR]      (default: build-gpu/out)
#   BENCH=0 tools/gpu_check.sh        tests only
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build-gpu/out}
mkdir -p "$out"
cd "$root"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv | tee "$out/gpu.txt"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DBITNET_CUDA=ON -DBITNET_TOKENIZER=OFF \
  -DBITNET_BUILD_EXAMPLES=OFF > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" --target bitnet_cli test_cuda test_core test_bitlinear \
  > "$out/build.log" 2>&1 || { grep -E "error" -A3 "$out/build.log" | head -60; exit 1; }
status=0
for t in test_cuda test_core test_bitlinear; do
  ./build-gpu/tests/$t > "$out/$t.log" 2>&1 || status=1
  tail -3 "$out/$t.log"
done
grep -E "mismatch|FAIL" "$out/test_cuda.log" | head -20 || true
if [ "${BENCH:-1}" = 1 ]; then
  ./build-gpu/bitnet bench bitlinear --device cuda --reps 9 | tee "$out/bench_cuda.txt"
  ./build-gpu/bitnet bench bitlinear --device cuda --reps 9 --json > "$out/bench_cuda.json"
fi
exit $status
