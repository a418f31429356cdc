# Sourced by the scripts that run `cairn serve` beside `chroma run` (run-server.sh, run-fresh.sh): the dataset
# folder, chromadb 1.5.9 in .venv-chroma, and CAIRN_BIN (a release build unless given).
export PEERS_DATA_DIR="${PEERS_DATA_DIR:-/tmp/peers-data}"
if [ ! -x .venv-chroma/bin/python ]; then python3 -m venv .venv-chroma; fi
.venv-chroma/bin/python -c 'import chromadb' 2>/dev/null \
  || .venv-chroma/bin/python -m pip install -q --disable-pip-version-check chromadb==1.5.9
if [ -z "${CAIRN_BIN:-}" ]; then
  swift build -c release --product cairn 2>&1 | tail -1
  export CAIRN_BIN="$PWD/.build/release/cairn"
fi
export ANONYMIZED_TELEMETRY=False
