#!/usr/bin/env bash
# Cold start from a bucket (issue 10): the 100,000-vector collection that run-collection.sh builds is copied into a
# local S3 server, and a fresh process with an empty catalog and empty caches opens it through a proxy that adds
# $S3_DELAY_MS (default 20) to every request, as a distant bucket would, and times the first query; then 1,000
# warm queries. The proxy counts the requests and bytes the cold first query needed. Three fresh nodes in a row.
# S3_STREAM_MBPS (default 0: unpaced) paces each connection's responses, as one S3 GET stream is (~90 MB/s).
# Needs Benchmarks/run-collection.sh to have run (it leaves the store in $CAIRN_BENCH_DIR, default /tmp/peers-cairn).
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY="${S3_DELAY_MS:-20}"
STREAM_MBPS="${S3_STREAM_MBPS:-0}"
FOLDER="${CAIRN_BENCH_DIR:-/tmp/peers-cairn}"
OUT="${CAIRN_BENCH_OUT:-.build-bench-results/coldstart}"
PORT="${S3_BENCH_PORT:-9200}"
PROXY_PORT=$((PORT + 10))
export PEERS_DATA_DIR="${PEERS_DATA_DIR:-/tmp/peers-data}"
mkdir -p "$OUT"
[ -d "$FOLDER/tenant" ] || { echo "no store in $FOLDER: run Benchmarks/run-collection.sh first" >&2; exit 1; }
export PATH="$PWD/.venv/bin:$PATH"

STATE="$PWD/.s3-bench-coldstart"
cleanup() {
  [ -n "${PROXY:-}" ] && kill "$PROXY" 2>/dev/null || true
  S3_PORT=$PORT S3_STATE_DIR="$STATE" minio/stop.sh >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(S3_PORT=$PORT S3_STATE_DIR="$STATE" S3_BUCKET=cairn-bench minio/start.sh)"
echo "== copying $FOLDER into s3://$S3_BUCKET/coldstart ($S3_TEST_SERVER_BACKEND on :$PORT)"
python Benchmarks/upload_folder.py "$FOLDER" "$S3_BUCKET" coldstart

swift build -c release --package-path Benchmarks --product CollectionBench 2>&1 | tail -1
BIN="$(swift build -c release --package-path Benchmarks --show-bin-path)/CollectionBench"
python Benchmarks/latency_proxy.py "$PROXY_PORT" "$PORT" --delay-ms "$DELAY" --stream-mbps "$STREAM_MBPS" --stats "$OUT/proxy.json" &
PROXY=$!
sleep 1
# The proxy stands for a distant bucket: large objects move as they would from one (parallel parts and ranges),
# not in the single requests Cairn uses on a loopback address. S3_TRANSFERS=single measures the latter.
URL="s3://$S3_BUCKET/coldstart?endpoint=http://127.0.0.1:$PROXY_PORT&region=$AWS_REGION&transfers=${S3_TRANSFERS:-parallel}"
echo "== fresh nodes, $DELAY ms added to every request, streams paced to $STREAM_MBPS MB/s (0: unpaced), ${S3_TRANSFERS:-parallel} transfers (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for run in 1 2 3; do
  rm -rf "${TMPDIR:-/tmp}/cairn-catalogs"  # a fresh node: no catalog, no cache
  kill -USR1 "$PROXY"
  COLD_MARK_PID=$PROXY "$BIN" --cold-child "$URL" > "$OUT/run$run.json"
  sleep 0.2
  python - "$OUT/run$run.json" "$OUT/proxy.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1])); proxy = json.load(open(sys.argv[2]))
q = run["queries_after_cold_open"]
print(f"open→first result {run['open_to_first_result_s'] * 1000:.0f} ms (catalog from the bucket "
      f"{run['open_client_s'] * 1000:.0f} ms, collection {run['get_collection_s'] * 1000:.0f} ms, first query "
      f"{run['first_query_s'] * 1000:.0f} ms); {proxy['requests']} requests, {proxy['response_bytes'] / 2**20:.1f} MiB "
      f"fetched; recall {run['first_result_recall']:.1f}; then warm p50 {q['p50_ms']:.3f} ms, p99 {q['p99_ms']:.3f} ms, "
      f"{q['qps']:.0f} QPS")
PY
done
