#!/usr/bin/env bash
# Two sealant binaries side by side with rg on the same trees, for before/after figures on a
# machine whose speed drifts from one minute to the next: ROUNDS rounds of hyperfine -N, each
# running rg, OLD and NEW RUNS times, and every run of every round pooled into one median.
# A benchmark, not a test.
#
#   scripts/bench/compare.sh OLD NEW TREE...
#   ROUNDS=8 RUNS=8 scripts/bench/compare.sh /tmp/sealant-old target/release/sealant /tmp/corpus/bitnami+charts
#
# Prints per tree: median ms of each, mean user and system ms, and the ratio to rg.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OLD NEW TREE..." >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
command -v rg >/dev/null || { echo "rg is missing (apt-get install ripgrep)" >&2; exit 1; }
OLD=$1 NEW=$2
shift 2
ROUNDS=${ROUNDS:-8}
RUNS=${RUNS:-8}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for tree in "$@"; do
  for i in $(seq "$ROUNDS"); do
    hyperfine -N -i -w 2 -r "$RUNS" --export-json "$OUT/$i.json" \
      "rg -c 'kind: Secret' $tree" "$OLD scan --format json $tree" "$NEW scan --format json $tree" \
      >/dev/null 2>&1
  done
  python3 - "$OUT" "$tree" <<'PY'
import glob, json, statistics, sys
out, tree = sys.argv[1:]
names = ["rg", "old", "new"]
times, user, system = ({n: [] for n in names} for _ in range(3))
for path in glob.glob(f"{out}/*.json"):
    for name, result in zip(names, json.load(open(path))["results"]):
        times[name] += result["times"]
        user[name].append(result["user"])
        system[name].append(result["system"])
floor = statistics.median(times["rg"])
for name in names:
    median = statistics.median(times[name])
    print(f"{tree}  {name:3}  n={len(times[name])}  median {median * 1e3:.1f} ms  "
          f"user {statistics.mean(user[name]) * 1e3:.1f}  sys {statistics.mean(system[name]) * 1e3:.1f}  "
          f"x rg {median / floor:.2f}")
PY
  rm -f "$OUT"/*.json
done
