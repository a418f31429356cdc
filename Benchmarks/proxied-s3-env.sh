# Sourced by the benchmarks that serve from a local S3 server of their own behind Benchmarks/latency_proxy.py
# (run-tenants.sh, run-scale.sh), with BENCH_NAME and BENCH_PORT set: the proxy's delay ($S3_DELAY_MS, default 20),
# the ports ($S3_BENCH_PORT, default BENCH_PORT; the proxy 10 above), the output folder ($CAIRN_BENCH_OUT), the
# server's state folder (the bucket), and a cleanup at exit that stops the proxy and the server and removes the state.
DELAY="${S3_DELAY_MS:-20}"
PORT="${S3_BENCH_PORT:-$BENCH_PORT}"
PROXY_PORT=$((PORT + 10))
OUT="${CAIRN_BENCH_OUT:-.build-bench-results/$BENCH_NAME}"
mkdir -p "$OUT"
source Benchmarks/server-env.sh
export PATH="$PWD/.venv/bin:$PATH"
STATE="$PWD/.s3-bench-$BENCH_NAME"
cleanup() {
  [ -n "${PROXY:-}" ] && kill "$PROXY" 2>/dev/null || true
  S3_PORT=$PORT S3_STATE_DIR="$STATE" minio/stop.sh >/dev/null 2>&1 || true
  rm -rf "$STATE"  # the bucket and every prefix the run wrote
}
trap cleanup EXIT
rm -rf "$STATE"
