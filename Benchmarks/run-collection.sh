#!/usr/bin/env bash
# Collections benchmark (issue 7), side by side in one run on the standard dataset (Benchmarks/dataset.py): chromadb
# 1.5.9 embedded (Benchmarks/chroma_bench.py) and CollectionBench (release build) doing the same ingest, queries,
# filtered queries, gets, count, cold reopen and disk measures. chromadb lives in its own venv (.venv-bench): it
# upgrades python-dateutil/pydantic past what moto's botocore accepts, so it must stay out of .venv. Knobs:
# BENCH_SCRATCH (release build folder), PEERS_NQ_FILTER (queries per filtered case, default 1000; applies to both),
# CAIRN_BENCH_OUT (default .build-bench-results/collection). Table on stdout, raw JSON in $CAIRN_BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
OUT="${CAIRN_BENCH_OUT:-.build-bench-results/collection}"
NQF="${PEERS_NQ_FILTER:-1000}"
export PEERS_DATA_DIR="${PEERS_DATA_DIR:-/tmp/peers-data}"
mkdir -p "$OUT"

[ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
.venv-bench/bin/python -m pip install -q --disable-pip-version-check chromadb==1.5.9 numpy==2.4.6 psutil
PY=.venv-bench/bin/python

echo "== dataset"
$PY Benchmarks/dataset.py > "$OUT/dataset.json"
echo "== CollectionBench (release build)"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product CollectionBench \
  --disable-build-manifest-caching 2>&1 | tail -1
BIN="$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/CollectionBench"
echo "== chromadb $($PY -c 'import importlib.metadata as m; print(m.version("chromadb"))') (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
PEERS_NQ_FILTER="$NQF" $PY Benchmarks/chroma_bench.py > "$OUT/chroma.json"
echo "== Cairn (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
"$BIN" --data "$PEERS_DATA_DIR" --nq-filter "$NQF" --dir "${CAIRN_BENCH_DIR:-/tmp/peers-cairn}" > "$OUT/cairn.json"
echo "== side by side (load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores)"
$PY Benchmarks/collection_compare.py "$OUT/chroma.json" "$OUT/cairn.json"
