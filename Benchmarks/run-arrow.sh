#!/usr/bin/env bash
# Arrow IPC benchmark: pyarrow and Cairn's ArrowIPC (release build) on the same batches in the same run,
# alternating for $ROUNDS rounds (default 2) so a busy machine weighs on both sides alike; the table keeps
# each side's best per measure. Raw JSON stays in $OUT (default /tmp/cairn-bench-arrow).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="${OUT:-/tmp/cairn-bench-arrow}"
ROUNDS="${ROUNDS:-2}"
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
mkdir -p "$OUT"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product ArrowBench --disable-build-manifest-caching >&2
BIN="$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/ArrowBench"
pys=()
sws=()
for r in $(seq 1 "$ROUNDS"); do
  "$PY" Benchmarks/arrow_pyarrow.py prepare "$OUT" > "$OUT/pyarrow-$r.json"
  "$BIN" "$OUT" > "$OUT/cairn-$r.json"
  pys+=("$OUT/pyarrow-$r.json")
  sws+=("$OUT/cairn-$r.json")
done
"$PY" Benchmarks/arrow_pyarrow.py compare "$(IFS=,; echo "${pys[*]}")" "$(IFS=,; echo "${sws[*]}")"
rm -f "$OUT"/source_*.arrow
