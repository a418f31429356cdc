#!/usr/bin/env bash
# Fork benchmark (issue 20): `collection.fork()` through the official client against `cairn serve` (release) for
# 1k/10k/100k vectors, with its store requests, beside copying the collection through the client
# (Benchmarks/fork_bench.py). On a folder, then on the local S3 server (started here unless CAIRN_S3_TEST_URL and
# AWS_* are set; FORK_BENCH_S3=0 skips it). CAIRN_BIN, FORK_BENCH_SIZES and FORK_BENCH_FORKS as in fork_bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/server-env.sh
export PATH="$PWD/.venv/bin:$PATH"  # the S3 test server (SeaweedFS from PyPI) lives there
.venv-chroma/bin/python Benchmarks/fork_bench.py
if [ "${FORK_BENCH_S3:-1}" = "0" ]; then exit 0; fi
if [ -z "${CAIRN_S3_TEST_URL:-}" ]; then
  dir="$(mktemp -d)"
  trap 'S3_STATE_DIR="$dir" minio/stop.sh >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  eval "$(S3_STATE_DIR="$dir" minio/start.sh)"
  export CAIRN_S3_TEST_URL="s3://$S3_BUCKET/forkbench?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
fi
# The server talks to S3 through a counting proxy (no added delay): requests per fork are counted on the wire.
target_port="$(echo "$CAIRN_S3_TEST_URL" | sed -E 's/.*endpoint=http:\/\/[^:]+:([0-9]+).*/\1/')"
proxy_port=$((target_port + 17))
stats="$(mktemp)"
.venv/bin/python Benchmarks/latency_proxy.py "$proxy_port" "$target_port" --delay-ms 0 --stats "$stats" &
proxy=$!
sleep 1
url="${CAIRN_S3_TEST_URL%%\?*}-$RANDOM?${CAIRN_S3_TEST_URL#*\?}"
FORK_BENCH_PROXY_PID=$proxy FORK_BENCH_PROXY_STATS="$stats" \
  FORK_BENCH_STORE="$(echo "$url" | sed -E "s/127\.0\.0\.1:$target_port/127.0.0.1:$proxy_port/")" \
  .venv-chroma/bin/python Benchmarks/fork_bench.py
kill "$proxy"
