#!/usr/bin/env bash
# Runs inside the bare Debian root scripts/dist-test.sh builds (chroot): the release tarball's `cairn serve` with
# the official client, then the wheel in a fresh venv, each installed by the README's command (readme-*.sh beside
# this script). Prints one `PASS name` or `FAIL name` line per check.
#   in-root.sh VERSION CHROMA_VERSION TARBALL WHEEL   (files in this script's folder)
set -uo pipefail
VERSION="$1" CHROMA_VERSION="$2" TARBALL="$3" WHEEL="$4"
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"

check() {  # check NAME COMMAND…: PASS or FAIL with the command's output
  local name="$1"; shift
  local output
  if output="$("$@" 2>&1)"; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    echo "$output" | tail -25 | sed 's/^/    /'
  fi
}

no_swift() {
  if command -v swift swiftc; then return 1; fi
  ! find / -xdev \( -name 'libswiftCore*' -o -name 'libFoundation*.so' \) -print 2>/dev/null | grep .
}

# --version names the release and a stamped commit.
version_line() {  # version_line BINARY
  local line
  line="$("$1" --version)" || return 1
  echo "$line"
  [[ "$line" =~ ^$VERSION\ \(commit\ [0-9a-f]{12}(-dirty)?\)$ ]]
}

# Starts `cairn serve … --port 0` in the background; sets SERVER_PID and SERVER_PORT once it listens.
start_server() {  # start_server BINARY ARGS…
  local out="$HERE/serve.out"
  "$@" > "$out" 2> "$HERE/serve.err" &
  SERVER_PID=$!
  local i
  for i in $(seq 600); do
    SERVER_PORT="$(sed -n 's/^Listening on .*:\([0-9]*\)$/\1/p' "$out")"
    [ -n "$SERVER_PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$HERE/serve.err"
  return 1
}


client_venv() {  # the official client (the thin chromadb-client) in a venv kept in the root between runs
  local venv=/opt/cairn-test-client
  if [ ! -f "$venv/.installed-$CHROMA_VERSION" ]; then
    rm -rf "$venv" && python3 -m venv "$venv" \
      && "$venv/bin/pip" install -q --disable-pip-version-check "chromadb-client==$CHROMA_VERSION" \
      && touch "$venv/.installed-$CHROMA_VERSION"
  fi
}

# Every library the wheel's binary loads is in the wheel, or glibc / the C++ runtime from the system.
wheel_self_contained() {  # wheel_self_contained PACKAGE_DIR
  local out status=0 package
  package="$(realpath "$1")"
  out="$(ldd "$package/bin/cairn")" || return 1
  echo "$out"
  if grep -q 'not found' <<<"$out"; then status=1; fi
  while read -r name path; do
    case "$name" in
      libc.so.6 | libm.so.6 | libstdc++.so.6 | libgcc_s.so.1 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libresolv.so.2) ;;
      *) case "$(realpath "$path")" in
           "$package"/lib/*) ;;
           *) echo "loaded from the system: $name $path"; status=1 ;;
         esac ;;
    esac
  done < <(sed -n 's/^[[:space:]]*\([^ ]*\) => \([^ ]*\) (.*/\1 \2/p' <<<"$out")
  return $status
}

echo "== on $(. /etc/os-release && echo "$PRETTY_NAME"), python $(python3 -c 'import platform; print(platform.python_version())')"
check "no Swift toolchain or runtime in the root" no_swift

echo "== the release tarball"
holds_release_files() {
  local listing name
  listing="$(tar -tzf "$TARBALL")" || return 1
  for name in bin/cairn README.md RUNTIME-DEPENDENCIES docs/operations.md systemd/cairn.service systemd/cairn.env; do
    grep -qx "cairn-$VERSION-linux-x86_64/$name" <<<"$listing" || { echo "missing: $name"; return 1; }
  done
}
check "tarball: holds the binary, docs, systemd unit and env file, RUNTIME-DEPENDENCIES" holds_release_files
rm -f /usr/local/bin/cairn
check "tarball: README's install command ($(cut -c1-60 readme-tarball.sh)…)" bash readme-tarball.sh
BIN=/usr/local/bin/cairn
check "tarball: every library resolves" bash -c "! ldd '$BIN' | grep 'not found'"
check "tarball: cairn --version" version_line "$BIN"
check "tarball: official client installs (chromadb-client $CHROMA_VERSION)" client_venv
rm -rf "$HERE/data-tarball"
if start_server "$BIN" serve --path "$HERE/data-tarball" --port 0; then
  echo "PASS tarball: cairn serve listens (port $SERVER_PORT)"
  check "tarball: quick start through the official client" \
    /opt/cairn-test-client/bin/python quickstart.py connect 127.0.0.1 "$SERVER_PORT"
  # Not through check: its command runs in a subshell, which cannot wait for this shell's child.
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID"
  status=$?
  if [ "$status" = 0 ]; then echo "PASS tarball: SIGTERM stops the server with status 0"
  else echo "FAIL tarball: SIGTERM stops the server with status 0 (status $status)"; sed 's/^/    /' serve.err | tail -20; fi
else
  echo "FAIL tarball: cairn serve listens"
fi

echo "== the wheel"
VENV="$HERE/venv-wheel"
rm -rf "$VENV"
check "wheel: the README's command names this wheel ($WHEEL)" grep -qF "./$WHEEL[" readme-wheel.sh
check "wheel: README's pip install into a fresh venv ($(cat readme-wheel.sh))" bash -c \
  "python3 -m venv '$VENV' && PATH='$VENV/bin':\$PATH bash readme-wheel.sh"
PACKAGE="$("$VENV/bin/python" -c 'import cairn_db, os; print(os.path.dirname(cairn_db.__file__))' 2>/dev/null)"
check "wheel: cairn command --version" version_line "$VENV/bin/cairn"
check "wheel: bundled binary needs only glibc and libstdc++ from the system" wheel_self_contained "$PACKAGE"
rm -rf "$HERE/data-wheel"
check "wheel: quick start through cairn_db.serve()" "$VENV/bin/python" quickstart.py serve "$HERE/data-wheel"
