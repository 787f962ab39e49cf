#!/usr/bin/env bash
# The scan step of the sealant GitHub Action (action.yml). Inputs come as environment variables:
#   PATHS MODE RANGE FORMAT FAIL_ON SARIF_FILE CONFIG BASELINE KEYS ARGS
# and from the event: BASE_SHA (pull request base or push `before`), HEAD_SHA, DEFAULT_BRANCH.
# One scan prints the report in FORMAT and writes the SARIF file; the exit code is sealant's.
set -euo pipefail
zero=0000000000000000000000000000000000000000

notice() { echo "::notice title=sealant::$*"; }

is_commit() {
  [ -n "$1" ] && [ "$1" != "$zero" ] && git cat-file -e "$1^{commit}" 2>/dev/null
}

# Sets `spec` to the range to scan, or empty for the working tree, and says which in the log.
choose_range() {
  local head=${HEAD_SHA:-HEAD} why ref base tip
  spec=
  if [ -n "${RANGE:-}" ]; then
    spec=$RANGE
    notice "scanning the commits of $spec"
    return
  fi
  if is_commit "${BASE_SHA:-}"; then
    spec="$BASE_SHA..$head"
    notice "scanning the commits of $spec"
    return
  fi
  if [ -z "${BASE_SHA:-}" ] || [ "$BASE_SHA" = "$zero" ]; then
    why="no base commit (a new branch)"
  else
    why="base $BASE_SHA is not in the clone (a force push, or fetch-depth is not 0)"
  fi
  tip=$(git rev-parse --verify -q "$head^{commit}" || true)
  for ref in ${DEFAULT_BRANCH:+"origin/$DEFAULT_BRANCH"} origin/HEAD ${DEFAULT_BRANCH:+"$DEFAULT_BRANCH"}; do
    git rev-parse --verify -q "$ref^{commit}" >/dev/null || continue
    base=$(git merge-base "$head" "$ref" 2>/dev/null || true)
    # The default branch itself (or a branch with no commit of its own): no range to take.
    if [ -n "$base" ] && [ "$base" != "$tip" ]; then
      spec="$base..$head"
      notice "$why: scanning from the merge base with $ref ($spec)"
      return
    fi
  done
  notice "$why, and no commits of its own beside the default branch to take a range from: scanning the working tree"
}

args=()
[ -z "${CONFIG:-}" ] || args+=(--config "$CONFIG")
[ -z "${BASELINE:-}" ] || args+=(--baseline "$BASELINE")
if [ -n "${KEYS:-}" ]; then
  # The keys come from a secret: a private file, removed on exit, never on the command line.
  keyfile=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sealant-keys.XXXXXX")
  trap 'rm -f "$keyfile"' EXIT
  chmod 600 "$keyfile"
  printf '%s\n' "$KEYS" >"$keyfile"
  args+=(--keys "$keyfile")
fi
unset KEYS

case "${MODE:-worktree}" in
  worktree) ;;
  staged) args+=(--staged) ;;
  history) args+=(--history) ;;
  range)
    choose_range
    [ -z "$spec" ] || args+=(--range "$spec")
    ;;
  *) echo "::error title=sealant::unknown mode '$MODE' (worktree, staged, range or history)"; exit 2 ;;
esac
[ -z "${SARIF_FILE:-}" ] || args+=(--sarif "$SARIF_FILE")
read -r -a extra <<<"${ARGS:-}"
read -r -a paths <<<"${PATHS:-.}"

status=0
sealant scan "${args[@]}" --format "${FORMAT:-github}" --fail-on "${FAIL_ON:-error}" \
  "${extra[@]}" -- "${paths[@]}" || status=$?
if [ -n "${SARIF_FILE:-}" ] && [ "$status" -le 1 ]; then
  echo "sarif-file=$SARIF_FILE" >>"${GITHUB_OUTPUT:-/dev/null}"
fi
exit "$status"
