#!/usr/bin/env bash
# Index benchmark, side by side in one run on the standard dataset (Benchmarks/dataset.py): IndexBench (release build of
# the same code as `cairn bench index`), Python hnswlib 0.8.0 (Benchmarks/hnswlib_bench.py: same M / ef_construction /
# ef) and numpy brute force (Benchmarks/index_reference.py). BENCH_SCRATCH is the release build folder (default
# Benchmarks/.build, shared by every benchmark). Results: $CAIRN_BENCH_OUT (default .build-bench-results/index,
# git-ignored), summary table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
OUT="${CAIRN_BENCH_OUT:-.build-bench-results/index}"
export PEERS_DATA_DIR="${PEERS_DATA_DIR:-/tmp/peers-data}"
mkdir -p "$OUT"

# hnswlib 0.8.0 compiles from source (with -march=native, as pip builds it on the machine that runs it).
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r Benchmarks/requirements-bench.txt
PY=.venv/bin/python

echo "== dataset"
$PY Benchmarks/dataset.py > "$OUT/dataset.json"
echo "== filters, ground truth, numpy brute force"
$PY Benchmarks/index_reference.py > "$OUT/numpy.json"
# The index's load time from a local S3 server (its own port and state folder, stopped on exit).
S3_STATE="$PWD/.s3-bench-index"
trap 'S3_PORT=9300 S3_STATE_DIR="$S3_STATE" minio/stop.sh >/dev/null 2>&1 || true' EXIT
eval "$(PATH="$PWD/.venv/bin:$PATH" S3_PORT=9300 S3_STATE_DIR="$S3_STATE" S3_BUCKET=cairn-index minio/start.sh)"
export CAIRN_BENCH_S3_URL="s3://$S3_BUCKET/index-bench?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
echo "== IndexBench (release)"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product IndexBench --disable-build-manifest-caching 2>&1 | tail -1
"$SCRATCH/release/IndexBench" "$PEERS_DATA_DIR" > "$OUT/indexbench.json"
echo "== Python hnswlib $($PY -c 'import importlib.metadata as m; print(m.version("hnswlib"))')"
$PY Benchmarks/hnswlib_bench.py > "$OUT/hnswlib.json"
echo "== summary (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
$PY Benchmarks/index_summary.py "$OUT"
