#!/usr/bin/env bash
# What Cairn asks of S3 (issue 22's cost model, docs/operations.md): requests and bytes per 1,000 writes, per cold
# and warm query, counted by the server itself (Benchmarks/cost_bench.py) on a local S3 server of its own.
# CAIRN_BIN overrides the binary (a release build unless given); COST_N the big collection's size (100,000).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${S3_BENCH_PORT:-9400}"
source Benchmarks/server-env.sh
export PATH="$PWD/.venv/bin:$PATH"
STATE="$PWD/.s3-bench-cost"
cleanup() {
  S3_PORT=$PORT S3_STATE_DIR="$STATE" minio/stop.sh >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT
rm -rf "$STATE"
eval "$(S3_PORT=$PORT S3_STATE_DIR="$STATE" S3_BUCKET=cairn-cost minio/start.sh)"
export COST_S3_URL="s3://$S3_BUCKET/cost?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
echo "== $S3_TEST_SERVER_BACKEND on :$PORT (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
.venv-chroma/bin/python Benchmarks/cost_bench.py
