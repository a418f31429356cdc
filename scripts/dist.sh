#!/usr/bin/env bash
# `make dist`: the release artifacts in dist/.
#   cairn-VERSION-linux-x86_64.tar.gz  an optimised `cairn` with the Swift runtime linked statically, README, docs,
#                                      the systemd unit and environment file, RUNTIME-DEPENDENCIES
#   cairn_db-VERSION-py3-none-manylinux_X_Y_x86_64.whl  the same binary with its libraries, and the cairn_db module
#   SHA256SUMS
# The version is the VERSION file; the commit is stamped into the binary here (Sources/cairn/Version.swift says how)
# without touching a tracked file. Fails if the binary links a Swift runtime library, or a library whose Debian
# package is not in packaging/runtime-packages.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT_FLAGS="${SWIFT_FLAGS:--Xcxx -O2}"
VERSION="$(tr -d '[:space:]' < VERSION)"
NAME="cairn-$VERSION-linux-x86_64"
OUT=dist
die() { echo "dist: $*" >&2; exit 1; }

swift_version="$(sed -n 's/^ *static let version = "\(.*\)"$/\1/p' Sources/cairn/Version.swift)"
[ "$swift_version" = "$VERSION" ] \
  || die "VERSION says $VERSION but Sources/cairn/Version.swift says $swift_version: change both"

# The commit, marked -dirty when tracked files differ from it or untracked ones would be built.
commit="$(git rev-parse --short=12 HEAD)"
[ -z "$(git status --porcelain)" ] || commit="$commit-dirty"
stamp="Sources/cairn/BuildStamp.generated.swift"
content="$(printf '%s\n' "// Written by scripts/dist.sh for \`make dist\`: the commit \`cairn --version\` names. Not tracked." \
  "enum BuildStamp {" "    static let commit = \"$commit\"" "}")"
# Rewritten only when it changes, so that a second `make dist` of the same commit rebuilds nothing.
[ "$(cat "$stamp" 2>/dev/null)" = "$content" ] || echo "$content" > "$stamp"

echo "dist: building cairn $VERSION (commit $commit), release, Swift runtime linked statically"
# shellcheck disable=SC2086
swift build -c release --static-swift-stdlib --product cairn $SWIFT_FLAGS -Xswiftc -DCAIRN_BUILD_STAMP
# shellcheck disable=SC2086
binary="$(swift build -c release --static-swift-stdlib $SWIFT_FLAGS -Xswiftc -DCAIRN_BUILD_STAMP --show-bin-path)/cairn"
[ "$("$binary" --version)" = "$VERSION (commit $commit)" ] || die "$binary --version says '$("$binary" --version)'"

# What the binary links, mapped to Debian packages; nothing of Swift's runtime may be left.
if ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|_FoundationICU|not found'; then
  die "the binary still needs the libraries above: the Swift runtime is not linked statically"
fi
libraries=""
for soname in $(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }'); do
  # `name => path (address)`, or `path (address)` for the dynamic loader itself.
  path="$(ldd "$binary" | awk -v name="$soname" '$1 == name { print $3 } $1 ~ ("/" name "$") { print $1 }')"
  [ -n "$path" ] || die "ldd does not say where $soname comes from"
  real="$(realpath "$path")"
  package="$( (dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}") | head -n 1 | cut -d: -f1)"
  [ -n "$package" ] || die "no Debian package owns $real ($soname)"
  grep -qx "$package" packaging/runtime-packages \
    || die "$soname comes from $package, which packaging/runtime-packages does not list: add it"
  libraries="$libraries$(printf '#   %-22s %s' "$soname" "$package")"$'\n'
done

rm -rf "${OUT:?}/$NAME" && mkdir -p "$OUT/$NAME/bin" "$OUT/$NAME/systemd"
# Debug sections off (they are most of the size); the symbol table stays, for readable crash backtraces.
strip --strip-debug -o "$OUT/$NAME/bin/cairn" "$binary"
cp README.md VERSION "$OUT/$NAME/"
cp -r docs "$OUT/$NAME/docs"
cp packaging/cairn.service packaging/cairn.env "$OUT/$NAME/systemd/"
{
  echo "# The Debian packages (Debian 12 bookworm names) cairn $VERSION needs at run time, one a line:"
  echo "#   sudo apt-get install $(grep -v '^#' packaging/runtime-packages | tr '\n' ' ')"
  grep -v '^#' packaging/runtime-packages
  echo "# The shared libraries the binary links (beyond these, only what they load in turn), and their packages:"
  printf '%s' "$libraries"
  echo "# glibc >= $(objdump -T "$OUT/$NAME/bin/cairn" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1 | cut -d_ -f2)"
} > "$OUT/$NAME/RUNTIME-DEPENDENCIES"
# The archive is the same for the same inputs: names sorted, owner root, times those of the commit.
mtime="$(git log -1 --format=%cI)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -C "$OUT" -cf - "$NAME" | gzip -n -9 > "$OUT/$NAME.tar.gz"

# The wheel carries the same (stripped) binary.
rm -f "$OUT"/cairn_db-*.whl
python3 scripts/build-wheel.py --binary "$OUT/$NAME/bin/cairn" --out "$OUT" --version "$VERSION"
rm -rf "${OUT:?}/$NAME"
(cd "$OUT" && sha256sum "$NAME.tar.gz" cairn_db-*.whl > SHA256SUMS)
ls -l "$OUT"
