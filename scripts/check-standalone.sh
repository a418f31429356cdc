#!/usr/bin/env bash
# The repository stands alone (issue 24): no tracked file may refer to a team kit beside it, because a user's clone
# has nothing beside it. Fails (exit 1) printing every offending line. Run by scripts/test.sh, so `make test` fails
# too; run it alone with `bash scripts/check-standalone.sh` (add `--untracked` to include new files not yet added,
# .gitignore'd ones aside). Test data belongs in Fixtures/, benchmark scripts in Benchmarks/, design notes in docs/.
set -uo pipefail
cd "$(dirname "$0")/.."
self="scripts/check-standalone.sh"
# The two spellings are split so that this file does not match itself when searched by other tools either.
patterns=('\.\./''shared' '/work/''shared')
args=()
[ "${1:-}" = "--untracked" ] && args+=(--untracked)
for p in "${patterns[@]}"; do args+=(-e "$p"); done

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check-standalone: not a git work tree, nothing checked" >&2
  exit 0
fi
# Tracked files as they are in the work tree (uncommitted edits included), binary files skipped (-I).
hits="$(git grep -n -I "${args[@]}" -- . ":(exclude)$self")"
status=$?
if [ $status -eq 0 ]; then
  echo "check-standalone: these tracked files refer to a folder outside the repository:" >&2
  printf '%s\n' "$hits" >&2
  echo "check-standalone: move what they need into the repository (Fixtures/, Benchmarks/, docs/) and point there" >&2
  exit 1
elif [ $status -ne 1 ]; then
  echo "check-standalone: git grep failed (status $status)" >&2
  exit 1
fi
echo "check-standalone: ok, no tracked file refers to a folder beside the repository"
