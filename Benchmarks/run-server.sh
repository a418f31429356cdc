#!/usr/bin/env bash
# Server benchmark: `cairn serve` (release build) vs `chroma run` (chromadb 1.5.9), both driven through the official
# client on loopback in one run (Benchmarks/server_bench.py). CAIRN_BIN overrides the binary; SERVER_BENCH_N the
# number of vectors (default 20,000 of the standard dataset, Benchmarks/dataset.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
.venv-chroma/bin/python Benchmarks/server_bench.py
