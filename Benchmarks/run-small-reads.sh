#!/usr/bin/env bash
# Read speed of many small collections (issue 25, decision 0025): `cairn serve` with vectors kept in the records,
# the same with an HNSW file per collection, and `chroma run`, in one run (Benchmarks/small_read_bench.py).
# CAIRN_BIN overrides the binary; SMALL_READS_COLLECTIONS the number of collections (300).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
.venv-chroma/bin/python Benchmarks/small_read_bench.py
