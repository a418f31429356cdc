#!/usr/bin/env bash
# Many small tenants on one node (issue 22, part 2; Benchmarks/tenants_bench.py): 10,000 collections x 1,000 vectors
# on the local S3 server, then Zipf-skewed queries through a fresh `cairn serve` with bounded caches whose bucket
# sits behind Benchmarks/latency_proxy.py ($S3_DELAY_MS, default 20, per request). TENANTS_* variables scale it
# (TENANTS_COLLECTIONS=300 for a quick run); CAIRN_BIN overrides the binary (a release build unless given).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=tenants BENCH_PORT=9300
source Benchmarks/proxied-s3-env.sh
eval "$(S3_PORT=$PORT S3_STATE_DIR="$STATE" S3_BUCKET=cairn-tenants minio/start.sh)"
python Benchmarks/latency_proxy.py "$PROXY_PORT" "$PORT" --delay-ms "$DELAY" --stats "$OUT/proxy.json" &
PROXY=$!
sleep 1
export TENANTS_DIRECT_URL="s3://$S3_BUCKET/tenants?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
export TENANTS_PROXY_URL="s3://$S3_BUCKET/tenants?endpoint=http://127.0.0.1:$PROXY_PORT&region=$AWS_REGION"
export TENANTS_LOG="$OUT/serve.log"
echo "== $S3_TEST_SERVER_BACKEND on :$PORT, proxy :$PROXY_PORT adding $DELAY ms (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
.venv-chroma/bin/python Benchmarks/tenants_bench.py
