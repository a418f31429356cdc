#!/usr/bin/env bash
# Metadata segment benchmark (release build): Cairn's metadata segment beside SQLite (GRDB) over Chroma's local
# metadata layout, same 100,000 records and filters in the same run. SEGMENTS_BENCH_N overrides the record count.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${BENCH_SCRATCH:-Benchmarks/.build}"
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product SegmentsBench \
  --disable-build-manifest-caching >&2
BIN="$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/SegmentsBench"
"$BIN"
