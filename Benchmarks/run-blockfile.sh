#!/usr/bin/env bash
# Blockfile benchmark (release build): 1,000,000-entry blockfiles on local disk beside SQLite (GRDB) in the same
# run, then cold gets from the local S3 server when one is running (CAIRN_S3_TEST_URL, set by `make bench`).
# BLOCKFILE_ENTRIES and BLOCKFILE_BLOCK_SIZES (comma-separated bytes) override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product BlockfileBench \
  --disable-build-manifest-caching >&2
BIN="$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/BlockfileBench"
args=(--entries "${BLOCKFILE_ENTRIES:-1000000}")
[ -n "${BLOCKFILE_BLOCK_SIZES:-}" ] && args+=(--block-size "$BLOCKFILE_BLOCK_SIZES")
[ -n "${CAIRN_S3_TEST_URL:-}" ] && args+=(--s3 "$CAIRN_S3_TEST_URL")
"$BIN" "${args[@]}"
