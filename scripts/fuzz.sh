#!/usr/bin/env bash
# Runs the fuzz targets under fuzz/ for SECONDS each, seeded from testdata/.
#   scripts/fuzz.sh TARGET|all SECONDS
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Not part of CI.
# Corpora grow in fuzz/corpus/TARGET, crashes land in fuzz/artifacts/TARGET, logs in
# fuzz/logs/TARGET.log: all gitignored. Each run ends with one summary line per target.
# FUZZ_JOBS=N runs N targets at once (default 1); everything runs under `nice -n 10`.
set -euo pipefail

TARGETS=(yaml de detect check fix ciphertext config pin)
usage() { echo "usage: $0 TARGET|all SECONDS (targets: ${TARGETS[*]})" >&2; exit 2; }
[[ $# -eq 2 && $2 =~ ^[0-9]+$ ]] || usage
case $1 in
  all) targets=("${TARGETS[@]}") ;;
  *) [[ " ${TARGETS[*]} " == *" $1 "* ]] || usage; targets=("$1") ;;
esac
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fuzz=$root/fuzz
# Safe Rust on top of a C crypto library we call only through its safe API: the sanitizer
# would halve the executions on a 2-core machine for little; overflow checks stay on (-a).
FUZZ_FLAGS=(--sanitizer none --debug-assertions)

# Each seed is a file of testdata/ (with the mode byte the target reads first, where it
# reads one). Rebuilt each run; the corpus keeps what the fuzzer found before.
seed() { # TARGET NAME PREFIX-BYTE(octal, or "") FILE
  local out=$fuzz/corpus/$1/seed-$2
  { [[ -n $3 ]] && printf "\\$3"; cat "$4"; } > "$out"
}
manifests() { find testdata -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort; }
seed_target() {
  local t=$1 dir=$fuzz/corpus/$1 f n=0
  mkdir -p "$dir"
  case $t in
    yaml)
      while read -r f; do seed yaml $((n++)) "" "$f"; done < <(manifests) ;;
    de)
      # Manifests as values (000); configurations and rule packs as a struct (001).
      while read -r f; do seed de $((n++)) 000 "$f"; done < <(manifests)
      while read -r f; do seed de $((n++)) 001 "$f"; done < <(find testdata rules -name '.sealant.y*ml' -o -name '*.yaml' -path 'rules/*' | sort) ;;
    detect)
      while read -r f; do
        local byte=000
        case $f in *.json) byte=001 ;; *kustomization.y*ml) byte=002 ;; *.env) byte=004 ;; *.txt) byte=005 ;; esac
        seed detect $((n++)) $byte "$f"
        seed detect $((n++)) 200 "$f" # with the test cert and key
      done < <(manifests; find testdata -type f \( -name '*.env' -o -name '*.txt' -o -name '*.example' -o -name '*.negative' \) | sort) ;;
    check)
      while read -r f; do
        seed check $((n++)) 000 "$f"
        seed check $((n++)) 003 "$f"
      done < <(grep -rlE 'SealedSecret' testdata --include='*.yaml' --include='*.yml' | sort) ;;
    fix)
      while read -r f; do
        case $f in *.json) seed fix $((n++)) 001 "$f" ;; *) seed fix $((n++)) 000 "$f"; seed fix $((n++)) 002 "$f" ;; esac
      done < <(grep -rlE 'kind: *"?Secret"?$|"kind": *"Secret"' testdata | sort) ;;
    ciphertext)
      # Every sealed value in testdata, decoded.
      grep -rhoE '[A-Za-z0-9+/]{300,}={0,2}' testdata | sort -u | while read -r v; do
        printf '%s' "$v" | base64 -d > "$dir/seed-$((n++))" 2>/dev/null || rm -f "$dir/seed-$((n-1))"
      done ;;
    config)
      while read -r f; do seed config $((n++)) "" "$f"; done < <(find testdata -name '.sealant.y*ml' | sort)
      # One that pins the test cert (paths resolve from testdata/vectors).
      local sha
      sha=$(openssl x509 -in testdata/vectors/cert2048.pem -outform der | sha256sum | cut -d' ' -f1)
      printf 'exclude: ["vendor/**", "*.tmpl"]\nmax-file-size: 1MiB\nscope: namespace-wide\nfingerprint-salt: s\nallow:\n  - rule: secret-data\n    path: "apps/**"\n    fingerprint: abc\ncerts:\n  - name: test\n    cert: cert2048.pem\n    sha256: %s\n    paths: ["apps/**", "!x"]\n' "$sha" > "$dir/seed-pinned" ;;
    pin)
      # Every configuration in testdata, to be edited for roots (000), paths (001), another name (002).
      while read -r f; do
        for byte in 000 001 002; do seed pin $((n++)) $byte "$f"; done
      done < <(find testdata -name '.sealant.y*ml' | sort) ;;
  esac
}

echo "building fuzz targets" >&2
nice -n 10 cargo +nightly fuzz build "${FUZZ_FLAGS[@]}" >&2
mkdir -p "$fuzz/logs"
bin_dir=$fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

run_target() {
  local t=$1 log=$fuzz/logs/$1.log start end
  seed_target "$t"
  mkdir -p "$fuzz/artifacts/$t"
  start=$(date +%s)
  # -rss_limit_mb and -timeout make memory blow-ups and hangs crashes; -max_len keeps inputs
  # the size of real manifests.
  # The binary that was just built, not `cargo fuzz run`: no rebuild in the middle of a run
  # when src/ changes, and the wall time is the fuzzing alone.
  nice -n 10 "$bin_dir/$t" "$fuzz/corpus/$t" -artifact_prefix="$fuzz/artifacts/$t/" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -dict="$fuzz/yaml.dict" -print_final_stats=1 > "$log" 2>&1 || true
  end=$(date +%s)
  local execs rate cov crashes
  execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -aoE '[0-9]+$' || echo 0)
  rate=$(grep -aoE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -aoE '[0-9]+$' || echo 0)
  cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | grep -aoE '[0-9]+' || echo '?')
  crashes=$(find "$fuzz/artifacts/$t" -type f | wc -l)
  echo "$t: ${execs} execs, ${rate} exec/s, cov ${cov}, $((end - start)) s, artifacts ${crashes} (log fuzz/logs/$t.log)"
}

jobs=${FUZZ_JOBS:-1}
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  run_target "$t" &
done
wait
