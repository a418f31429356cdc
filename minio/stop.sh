#!/usr/bin/env bash
# Stops the server that minio/start.sh started, by the PID in its state directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PORT="${S3_PORT:-9000}"
DIR="${S3_STATE_DIR:-$here/../.s3-test-server}"
[ -d "$DIR" ] || exit 0
exec "$here/s3-test-server.sh" stop --port "$PORT" --dir "$DIR"
