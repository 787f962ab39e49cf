#!/usr/bin/env bash
# Time `sealant scan` on four large single files whose cost used to grow with findings × file
# size: 40k token lines (1.6 MB), a Secret with 100k keys, 50k Secret documents in one file,
# and 40k token lines half of them marked `# sealant:ignore`.
#   scripts/bench/large.sh                    # release build of this tree
#   SEALANT=/path/to/sealant scripts/bench/large.sh   # a given binary
# hyperfine when installed (BENCH_RUNS runs, default 3, after one /usr/bin/time run for the peak
# RSS), else one /usr/bin/time run per case;
# BENCH_CASES picks cases (default: tokens keys documents suppressed), BENCH_FORMATS the
# formats timed (default: json; e.g. "human json sarif github").
# A run over BENCH_TIMEOUT seconds (default 300) is stopped and reported as such.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${SEALANT:-}" ]; then
  cargo build --release --quiet
  SEALANT=target/release/sealant
fi
runs=${BENCH_RUNS:-3}
limit=${BENCH_TIMEOUT:-300}
out=target/bench/large
rm -rf "$out" && mkdir -p "$out"
python3 - "$out" <<'PY'
import base64, os, random, sys
root = sys.argv[1]
rng = random.Random(7)
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
def token():
    return "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
def b64():
    return base64.b64encode(rng.randbytes(18)).decode()
cases = {
    "tokens": lambda: "".join(token() + "\n" for _ in range(40_000)),
    "keys": lambda: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n"
        + "".join(f"  k{i}: {b64()}\n" for i in range(100_000)),
    "documents": lambda: "".join(
        f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n"
        f"stringData:\n  password: {b64()}\n" for i in range(50_000)),
    "suppressed": lambda: "".join(
        token() + (" # sealant:ignore\n" if i % 2 else "\n") for i in range(40_000)),
}
for name, make in cases.items():
    os.makedirs(f"{root}/{name}")
    ext = "txt" if name in ("tokens", "suppressed") else "yaml"
    with open(f"{root}/{name}/big.{ext}", "w") as f:
        f.write(make())
PY
count() {
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' 2>/dev/null ||
    echo "no report (timed out?)"
}
for case in ${BENCH_CASES:-tokens keys documents suppressed}; do
  dir="$out/$case"
  size=$(du -b "$dir"/big.* | cut -f1)
  if command -v hyperfine >/dev/null; then
    # This first run gives the count and the peak RSS.
    found=$( (/usr/bin/time -f %M -o "$out/$case.rss" timeout "$limit" "$SEALANT" scan --format json "$dir" 2>/dev/null || true) | count)
    echo "## $case: $size bytes, $found findings, peak RSS $(($(tail -1 "$out/$case.rss") / 1024)) MB"
    for format in ${BENCH_FORMATS:-json}; do
      hyperfine --runs "$runs" -i "timeout $limit $SEALANT scan --format $format $dir"
    done
  else
    # One run; exit 1 means findings, so only the report tells success from a timeout.
    /usr/bin/time -f "wall %e s, peak RSS %M KB" timeout "$limit" "$SEALANT" scan --format json \
      "$dir" >"$out/$case.json" 2>"$out/$case.time" || true
    echo "## $case: $size bytes, $(count <"$out/$case.json") findings"
    tail -1 "$out/$case.time"
  fi
done
