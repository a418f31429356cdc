#!/usr/bin/env bash
# `make dist-test`: the release tarball and the wheel (`make dist`'s dist/) on a Debian machine without Swift.
#
# Builds a minimal Debian 12 root with debootstrap into .dist-root/ (or reuses the one built before), installs into
# it only the packages the tarball's RUNTIME-DEPENDENCIES names (plus python3-venv), and inside it (chroot):
#   tarball: the README's install command, `cairn --version`, `cairn serve` on a folder, the quick start through the
#            official client from a venv;
#   wheel:   the README's pip install into a fresh venv, `cairn --version`, that the bundled binary needs no library
#            beyond glibc and libstdc++ from the system, the quick start through `cairn_db.serve(...)`.
# Ends with 'N passed, N failed'; exits 1 if anything failed.
#
# Options: --prepare builds (or checks) the root and stops; --fresh throws the cached root away first.
# Needs root (debootstrap, chroot, mount). The Debian mirror and pip's configuration are the machine's own, read at
# run time (/etc/apt/sources.list*, /etc/pip.conf, ~/.config/pip/pip.conf, PIP_* variables): the chroot shares the
# host's network, so pip and apt inside reach what they reach outside.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
ROOT="${CAIRN_DIST_ROOT:-$REPO/.dist-root}"
SUITE=bookworm
READY="$ROOT/.cairn-root-ready"
VERSION="$(tr -d '[:space:]' < VERSION)"
TARBALL="dist/cairn-$VERSION-linux-x86_64.tar.gz"
# The client version the Python checks pin (Tests/python/chroma_venv.py), as the thin chromadb-client package.
CHROMA_VERSION="$(sed -n 's/^CHROMA_PIN = "chromadb==\(.*\)"$/\1/p' Tests/python/chroma_venv.py)"

say() { echo "dist-test: $*"; }
die() { echo "dist-test: $*" >&2; exit 1; }

prepare_only=0
fresh=0
for arg in "$@"; do
  case "$arg" in
    --prepare) prepare_only=1 ;;
    --fresh) fresh=1 ;;
    *) die "unknown option $arg (use --prepare, --fresh)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount)"

# The root is deleted only with nothing mounted inside it: a /dev left bound by a killed run would be emptied too.
remove_root() {
  local target
  for target in $(awk -v root="$ROOT/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$target" || die "cannot unmount $target: remove $ROOT by hand"
  done
  ! awk -v root="$ROOT/" 'index($2, root) == 1 { found = 1 } END { exit !found }' /proc/mounts \
    || die "something is still mounted under $ROOT; not deleting it"
  rm -rf --one-file-system "$ROOT"
}
[ "$fresh" = 1 ] && remove_root
command -v debootstrap >/dev/null || die "debootstrap is missing: make dist-test installs it (APT_PACKAGES)"
[ -n "$CHROMA_VERSION" ] || die "no CHROMA_PIN in Tests/python/chroma_venv.py"

# The machine's Debian mirror for $SUITE (deb822 .sources or one-line .list files; disabled files skipped), and the
# one for $SUITE-security when configured.
mirror_for() {  # mirror_for SUITE
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    case "$file" in
      *.sources)
        awk -v suite="$1" 'BEGIN { RS = ""; FS = "\n" }
          { uris = ""; hit = 0; deb = 0
            for (i = 1; i <= NF; i++) {
              if ($i ~ /^#/) continue
              if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
              if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); uris = u[1] }
              if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) hit = 1 }
            }
            if (deb && hit && uris != "") { print uris; exit } }' "$file" ;;
      *)
        awk -v suite="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i + 1) == suite) { print $i; exit } }' "$file" ;;
    esac
  done | head -n 1
}

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
}
trap cleanup EXIT
mount_in_root() {  # mount_in_root TARGET MOUNT-ARGS…
  local target="$ROOT$1"; shift
  mkdir -p "$target"
  mount "$@" "$target" || die "mount $* $target failed"
  mounted+=("$target")
}

started=$SECONDS
if [ ! -f "$READY" ]; then
  mirror="$(mirror_for "$SUITE")"
  [ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list*"
  say "building a minimal Debian $SUITE root in $ROOT (debootstrap --variant=minbase)"
  remove_root
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" > "$REPO/.dist-root.log" 2>&1 \
    || { tail -20 "$REPO/.dist-root.log" >&2; die "debootstrap failed (log: .dist-root.log)"; }
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    security="$(mirror_for "$SUITE-security")"
    [ -n "$security" ] && echo "deb $security $SUITE-security main"
  } > "$ROOT/etc/apt/sources.list"
  touch "$READY"
  say "root built in $((SECONDS - started)) s"
else
  say "reusing the Debian root in $ROOT (--fresh rebuilds it)"
fi

cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
mount_in_root /proc -t proc proc
mount_in_root /sys -t sysfs sysfs
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive ANONYMIZED_TELEMETRY=False "${pip_env[@]}" "$@"; }

# pip's configuration, as the host has it: config files, PIP_* variables, local find-links folders (bind-mounted
# read-only at the same path) and the certificate file it names (below).
# The host's proxy variables, if any, go along (apt and pip inside use the same network).
pip_env=()
while IFS= read -r line; do pip_env+=("$line"); done < <(env | grep -E '^(PIP_|(http|https|no)_proxy=|(HTTP|HTTPS|NO)_PROXY=)' || true)
mkdir -p "$ROOT/etc" "$ROOT/root/.config/pip"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/pip.conf"
[ -f "$HOME/.config/pip/pip.conf" ] && cp "$HOME/.config/pip/pip.conf" "$ROOT/root/.config/pip/pip.conf"
pip_setting() {  # every value of a pip setting (find-links, cert), from the config files and PIP_* variables
  local name="$1" variable
  variable="PIP_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  [ -n "${!variable:-}" ] && echo "${!variable}" | tr ' ' '\n'
  cat /etc/pip.conf "$HOME/.config/pip/pip.conf" 2>/dev/null | sed -n "s/^[[:space:]]*$name[[:space:]]*=[[:space:]]*//p"
}
for folder in $(pip_setting find-links | sort -u); do
  [ -d "$folder" ] && mount_in_root "$folder" --bind -o ro "$folder"
done

# Only the runtime packages the tarball names (before `make dist`, with --prepare: the list it ships), and
# python3-venv for the client venvs.
if [ -f "$TARBALL" ]; then
  list="$(tar -xzOf "$TARBALL" "cairn-$VERSION-linux-x86_64/RUNTIME-DEPENDENCIES")" || die "$TARBALL has no RUNTIME-DEPENDENCIES"
elif [ "$prepare_only" = 1 ]; then
  list="$(cat packaging/runtime-packages)"
else
  die "no $TARBALL: run make dist first"
fi
packages="$(echo "$list" | sed -n 's/^\([a-z0-9][a-z0-9.+-]*\)\([[:space:]].*\)\{0,1\}$/\1/p')"
missing="$(for p in $packages python3-venv; do
  in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)"
if [ -n "$missing" ]; then
  say "installing into the root: $(echo $missing)"
  in_root apt-get update -qq > "$REPO/.dist-root.log" 2>&1 \
    && in_root apt-get install -y -qq --no-install-recommends $missing >> "$REPO/.dist-root.log" 2>&1 \
    || { tail -20 "$REPO/.dist-root.log" >&2; die "apt-get install in the root failed (log: .dist-root.log)"; }
fi
# The certificates pip trusts on the host (they may include a proxy's own CA) go beside the root's own, for pip
# only: the root's CA store, which cairn's libcurl uses, stays Debian's.
cert="$(pip_setting cert | head -n 1)"
if [ -n "$cert" ] && [ -f "$cert" ]; then
  mkdir -p "$ROOT/etc/cairn-dist-test" && cp "$cert" "$ROOT/etc/cairn-dist-test/pip-cert.pem"
  pip_env+=("PIP_CERT=/etc/cairn-dist-test/pip-cert.pem")
fi
say "root ready in $((SECONDS - started)) s"
[ "$prepare_only" = 1 ] && exit 0

wheel="$(ls dist/cairn_db-"$VERSION"-py3-none-manylinux_*_x86_64.whl 2>/dev/null | head -n 1)"
[ -n "$wheel" ] || die "no wheel in dist/: run make dist first"
work="$ROOT/tmp/cairn-dist-test"
rm -rf "$work" && mkdir -p "$work"
cp "$TARBALL" "$wheel" Tests/dist/quickstart.py Tests/dist/in-root.sh "$work/"
# The README's two install commands, run as written (the root is root already: no sudo), so that they cannot rot.
grep -m 1 '^sudo apt-get install .* && sudo tar ' README.md | sed 's/sudo //g' > "$work/readme-tarball.sh"
grep -m 1 '^pip install "\./cairn_db-' README.md > "$work/readme-wheel.sh"
[ -s "$work/readme-tarball.sh" ] && [ -s "$work/readme-wheel.sh" ] || die "README.md has no tarball or wheel install command"

log="$(mktemp)"
in_root bash /tmp/cairn-dist-test/in-root.sh "$VERSION" "$CHROMA_VERSION" "$(basename "$TARBALL")" \
  "$(basename "$wheel")" 2>&1 | tee "$log"
passed="$(grep -c '^PASS ' "$log")"
failed="$(grep -c '^FAIL ' "$log")"
rm -f "$log"
say "took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
