#!/usr/bin/env bash
# `make bench`: every benchmark, each beside its reference tool in the same run. Needs the local S3 server.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
trap 'minio/stop.sh >/dev/null 2>&1 || true' EXIT
eval "$(minio/start.sh)"
export CAIRN_S3_TEST_URL="s3://$S3_BUCKET/bench?endpoint=$S3_ENDPOINT&region=$AWS_REGION"
status=0
for bench in Benchmarks/run-*.sh; do
  [ -e "$bench" ] || continue
  echo "== $bench"
  bash "$bench" || status=1
done
exit $status
