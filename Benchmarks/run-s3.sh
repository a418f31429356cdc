#!/usr/bin/env bash
# S3 benchmark, Cairn's S3Store beside boto3 on the same local S3 server in the same run: PUT and GET of
# 1 KiB, 1 MiB and 64 MiB objects (throughput, p50/p99, ratio), and SigV4 signing µs/request.
# Uses the server `make bench` started (CAIRN_S3_TEST_URL + AWS_*), or starts its own on $S3_PORT.
# Knobs: S3_BENCH_SIZES (bytes, comma-separated), S3_BENCH_ITERATIONS (per size and round) and
# S3_BENCH_ROUNDS: the tools alternate round by round and every round's samples are pooled, so a
# background load that comes and goes hits both alike.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
SIZES="${S3_BENCH_SIZES:-1024,1048576,67108864}"
ITERATIONS="${S3_BENCH_ITERATIONS:-100,20,3}"
ROUNDS="${S3_BENCH_ROUNDS:-3}"
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
OUT="$(mktemp -d)"
cleanup() { rm -rf "$OUT"; }
if [ -z "${CAIRN_S3_TEST_URL:-}" ]; then
  dir="$(mktemp -d)"
  cleanup() { rm -rf "$OUT"; S3_STATE_DIR="$dir" minio/stop.sh >/dev/null 2>&1 || true; rm -rf "$dir"; }
  eval "$(S3_STATE_DIR="$dir" minio/start.sh)"
  export CAIRN_S3_TEST_URL="s3://$S3_BUCKET/bench?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
fi
trap cleanup EXIT

# No manifest caching: it can miss files added to the parent package since the last build.
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product S3Bench \
  --disable-build-manifest-caching >&2
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  "$SCRATCH/release/S3Bench" --sizes "$SIZES" --iterations "$ITERATIONS" >"$OUT/cairn-$round.jsonl"
  .venv/bin/python Benchmarks/s3_boto3_bench.py bench --sizes "$SIZES" --iterations "$ITERATIONS" >"$OUT/boto3-$round.jsonl"
done
echo "S3 benchmark: $ROUNDS rounds of $ITERATIONS iterations for sizes $SIZES, endpoint from $CAIRN_S3_TEST_URL"
.venv/bin/python Benchmarks/s3_boto3_bench.py report "$OUT"/*.jsonl
