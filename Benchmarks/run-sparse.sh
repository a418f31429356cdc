#!/usr/bin/env bash
# Sparse and hybrid search benchmark (issue 21): BM25 top-10 and dense+BM25 Rrf through the official client against
# `cairn serve` (release build), beside exact scoring in numpy and SQLite FTS5 in one run (Benchmarks/sparse_bench.py).
# SPARSE_BENCH_N and SPARSE_BENCH_Q set the corpus and query counts; CAIRN_BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
.venv-chroma/bin/python -c 'import snowballstemmer' 2>/dev/null \
  || .venv-chroma/bin/python -m pip install -q --disable-pip-version-check snowballstemmer==3.1.1
.venv-chroma/bin/python Benchmarks/sparse_bench.py
