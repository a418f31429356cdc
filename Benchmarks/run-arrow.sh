#!/usr/bin/env bash
# Arrow IPC benchmark: pyarrow and Cairn's ArrowIPC (release build) on the same batches in the same run.
# Prints the side-by-side table; raw JSON is kept in $OUT (default /tmp/cairn-bench-arrow).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="${OUT:-/tmp/cairn-bench-arrow}"
mkdir -p "$OUT"
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product ArrowBench >&2
BIN="$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/ArrowBench"
"$PY" Benchmarks/arrow_pyarrow.py prepare "$OUT" > "$OUT/pyarrow.json"
"$BIN" "$OUT" > "$OUT/cairn.json"
"$PY" Benchmarks/arrow_pyarrow.py compare "$OUT/pyarrow.json" "$OUT/cairn.json"
rm -f "$OUT"/source_*.arrow
