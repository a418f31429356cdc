#!/usr/bin/env bash
# Server benchmark: `cairn serve` (release build) vs `chroma run` (chromadb 1.5.9), both driven through the official
# client on loopback in one run (Benchmarks/server_bench.py). CAIRN_BIN overrides the binary; SERVER_BENCH_N the
# number of vectors (default 20,000 of the standard dataset, Benchmarks/dataset.py).
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
ANONYMIZED_TELEMETRY=False .venv-chroma/bin/python Benchmarks/server_bench.py
