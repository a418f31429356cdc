#!/usr/bin/env bash
# Fresh-writes benchmark (issue 19): queries right after a bulk load and under continuous ingest, `cairn serve`
# (release build) beside `chroma run` (chromadb 1.5.9) in one run (Benchmarks/fresh_bench.py). CAIRN_BIN overrides
# the binary; FRESH_BENCH_N, FRESH_BENCH_AFTER, FRESH_BENCH_RATE, FRESH_BENCH_SECONDS and FRESH_BENCH_ONLY (cairn or
# chroma) are described there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PEERS_DATA_DIR="${PEERS_DATA_DIR:-/tmp/peers-data}"
if [ ! -x .venv-chroma/bin/python ]; then python3 -m venv .venv-chroma; fi
.venv-chroma/bin/python -c 'import chromadb' 2>/dev/null \
  || .venv-chroma/bin/python -m pip install -q --disable-pip-version-check chromadb==1.5.9
if [ -z "${CAIRN_BIN:-}" ]; then
  swift build -c release --product cairn 2>&1 | tail -1
  export CAIRN_BIN="$PWD/.build/release/cairn"
fi
ANONYMIZED_TELEMETRY=False .venv-chroma/bin/python Benchmarks/fresh_bench.py
