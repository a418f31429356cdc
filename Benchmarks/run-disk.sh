#!/usr/bin/env bash
# Bytes on the store (issue 25): `cairn serve` (release build) beside `chroma run` (chromadb 1.5.9), both filled
# through the official client, on 1 x 100k, 300 x 500 and 3,000 x 50 collections (Benchmarks/disk_bench.py).
# DISK_BENCH_SHAPES picks shapes; CAIRN_BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
.venv-chroma/bin/python Benchmarks/disk_bench.py
