#!/usr/bin/env bash
# S3 benchmark, Cairn's S3Store beside boto3 on the same local S3 server in the same run: PUT and GET of
# 1 KiB, 1 MiB and 64 MiB objects (throughput, p50/p99, ratio), and SigV4 signing µs/request.
# Uses the server `make bench` started (CAIRN_S3_TEST_URL + AWS_*), or starts its own on $S3_PORT.
# Knobs: S3_BENCH_SIZES (bytes, comma-separated) and S3_BENCH_ITERATIONS (per size).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
SIZES="${S3_BENCH_SIZES:-1024,1048576,67108864}"
ITERATIONS="${S3_BENCH_ITERATIONS:-200,40,5}"
SCRATCH="${S3_BENCH_SCRATCH:-.build-s3bench}"
OUT="$(mktemp -d)"
cleanup() { rm -rf "$OUT"; }
if [ -z "${CAIRN_S3_TEST_URL:-}" ]; then
  dir="$(mktemp -d)"
  cleanup() { rm -rf "$OUT"; S3_STATE_DIR="$dir" minio/stop.sh >/dev/null 2>&1 || true; rm -rf "$dir"; }
  eval "$(S3_STATE_DIR="$dir" minio/start.sh)"
  export CAIRN_S3_TEST_URL="s3://$S3_BUCKET/bench?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
fi
trap cleanup EXIT

swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product S3Bench >&2
"$SCRATCH/release/S3Bench" --sizes "$SIZES" --iterations "$ITERATIONS" | tee "$OUT/cairn.jsonl" >&2
.venv/bin/python Benchmarks/s3_boto3_bench.py bench --sizes "$SIZES" --iterations "$ITERATIONS" | tee "$OUT/boto3.jsonl" >&2
.venv/bin/python Benchmarks/s3_boto3_bench.py report "$OUT/cairn.jsonl" "$OUT/boto3.jsonl"
