#!/usr/bin/env bash
# Scale (Benchmarks/scale_bench.py): 1M x 128-d from dataset.py in `cairn serve` as an HNSW and as a SPANN
# collection, beside chromadb 1.5.9 embedded, in one run: ingest, time until indexed, RSS, bytes on the store, recall /
# QPS / p50 / p99 over the search width; then each Cairn collection's cold first query from a fresh node whose bucket
# sits behind Benchmarks/latency_proxy.py ($S3_DELAY_MS, default 20, per request; each connection paced to
# $S3_STREAM_MBPS, default 90: one S3 GET stream). Cairn stores in the local S3 server throughout. SCALE_N (1000000),
# SCALE_DIM (128), SCALE_ONLY (cairn-hnsw,cairn-spann,chroma) and the other SCALE_* knobs are described there
# (SCALE_N=20000 for a quick run); CAIRN_BIN overrides the binary (a release build unless given).
set -euo pipefail
cd "$(dirname "$0")/.."
STREAM_MBPS="${S3_STREAM_MBPS:-90}"
BENCH_NAME=scale BENCH_PORT=9500
source Benchmarks/proxied-s3-env.sh
case ",${SCALE_ONLY:-cairn}," in
  *,cairn-*|*,cairn,*)
    eval "$(S3_PORT=$PORT S3_STATE_DIR="$STATE" S3_BUCKET=cairn-scale minio/start.sh)"
    python Benchmarks/latency_proxy.py "$PROXY_PORT" "$PORT" --delay-ms "$DELAY" --stream-mbps "$STREAM_MBPS" \
      --stats "$OUT/proxy.json" ${SCALE_TRACE:+--trace "$SCALE_TRACE"} &
    PROXY=$!
    sleep 1
    # The cold node reads as from a distant bucket: parallel parts and ranges (see run-coldstart-s3.sh).
    export SCALE_S3_URL="s3://$S3_BUCKET/{prefix}?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
    PROXIED="endpoint=http://127.0.0.1:$PROXY_PORT&region=$AWS_REGION&transfers=${S3_TRANSFERS:-parallel}"
    export SCALE_PROXY_URL="s3://$S3_BUCKET/{prefix}?$PROXIED"
    export SCALE_PROXY_PID=$PROXY SCALE_PROXY_STATS="$OUT/proxy.json"
    export SCALE_DELAY_MS=$DELAY SCALE_STREAM_MBPS=$STREAM_MBPS
    echo "== $S3_TEST_SERVER_BACKEND on :$PORT, proxy :$PROXY_PORT adding $DELAY ms, streams paced to $STREAM_MBPS MB/s"
    ;;
esac
export SCALE_LOG="$OUT/serve.log"
: >"$SCALE_LOG"
echo "== scale: ${SCALE_N:-1000000} x ${SCALE_DIM:-128}, ${SCALE_ONLY:-cairn-hnsw,cairn-spann,chroma}" \
  "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
.venv-chroma/bin/python Benchmarks/scale_bench.py | tee "$OUT/result.txt"
