#!/usr/bin/env bash
# Fresh-writes benchmark (issue 19): queries right after a bulk load and under continuous ingest, `cairn serve`
# (release build) beside `chroma run` (chromadb 1.5.9) in one run (Benchmarks/fresh_bench.py). CAIRN_BIN overrides
# the binary; FRESH_BENCH_N, FRESH_BENCH_AFTER, FRESH_BENCH_RATE, FRESH_BENCH_SECONDS and FRESH_BENCH_ONLY (cairn or
# chroma) are described there.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
.venv-chroma/bin/python Benchmarks/fresh_bench.py
