#!/usr/bin/env bash
# Benchmarks sealant's git modes (run by scripts/bench.sh, or alone after it made the tree):
#  - `--staged` with 10 staged files in a repository of 100,000 tracked files, beside the
#    working-tree scan of the same files;
#  - `--history` on a repository with thousands of commits, beside `gitleaks git`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=target/bench
SEALANT=$PWD/target/release/sealant
export PATH="$PWD/$BENCH/venv/bin:$PATH"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

staged_repo() {
  local repo=$BENCH/git-staged
  if [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"; cp -al "$BENCH/tree" "$repo"
    # Pad to 100,000 tracked files with small config files.
    local have; have=$(find "$repo" -type f | wc -l)
    mkdir -p "$repo/pad"
    for i in $(seq 1 $((100000 - have))); do
      printf 'key: value-%d\n' "$i" > "$repo/pad/f$((i / 1000))-$i.yaml"
    done
    git -C "$repo" init -q -b main
    git -C "$repo" add -A
    git -C "$repo" commit -q -m "import"
    git -C "$repo" gc -q   # packed, as a cloned repository is
  fi
  git -C "$repo" reset -q --hard
  STAGED=()
  for f in $(git -C "$repo" ls-files 'apps/*/base/configmap.yaml' | head -10); do
    printf '  EXTRA: "1"\n' >> "$repo/$f"; STAGED+=("$f")
  done
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData: {pw: staged-PLANTED}\n' > "$repo/${STAGED[0]}"
  git -C "$repo" add "${STAGED[@]}"
  echo "tracked files: $(git -C "$repo" ls-files | wc -l), staged: ${#STAGED[@]}"
  (cd "$repo" && hyperfine -N -i --warmup 3 --export-markdown "$PWD/../staged.md" \
    "$SEALANT scan --staged --format json" \
    "$SEALANT scan --staged --format json ${STAGED[*]}" \
    "$SEALANT scan --format json ${STAGED[*]}")
  cat "$BENCH/staged.md"
}

history_repo() {
  local repo=$BENCH/git-history commits=${BENCH_COMMITS:-3000}
  if [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"; mkdir -p "$repo"; git -C "$repo" init -q -b main
    python3 - "$commits" <<'PY' | git -C "$repo" fast-import --quiet
import random, sys
rng = random.Random(7)
commits = int(sys.argv[1])
files = [f"apps/app-{i:03d}/{kind}.yaml" for i in range(200) for kind in ("deployment", "configmap", "service")]
files += [f"src/mod{i:02d}/file{j}.go" for i in range(40) for j in range(10)]
def blob(path, n):
    if path.endswith(".go"):
        return "".join(f"func f{n}_{k}() int {{ return {rng.randint(0, 1 << 30)} }} // {path}\n" for k in range(rng.randint(40, 400)))
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}}}\ndata:\n" + "".join(f"  k{k}: v{rng.randint(0, 1 << 30)}\n" for k in range(rng.randint(5, 60)))
for n in range(1, commits + 1):
    changes = {p: blob(p, n) for p in rng.sample(files, 3)}
    if n % 500 == 250:  # a leak, removed again by the next commit
        changes[f"leaks/leak{n}.yaml"] = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: l{n}, namespace: x}}\nstringData: {{pw: history-PLANTED-{n}}}\n"
    out = [f"commit refs/heads/main", f"mark :{n}", f"committer bench <bench@example.com> {1700000000 + n * 60} +0000", "data 5", f"c{n:04d}"]
    if n > 1:
        out.append(f"from :{n - 1}")
    for p, text in changes.items():
        data = text.encode()
        out += [f"M 100644 inline {p}", f"data {len(data)}"]
        sys.stdout.write("\n".join(out) + "\n"); sys.stdout.flush(); out = []
        sys.stdout.buffer.write(data + b"\n"); sys.stdout.flush()
    if n % 500 == 251:
        out.append(f"D leaks/leak{n - 1}.yaml")
    if out:
        sys.stdout.write("\n".join(out) + "\n")
PY
    git -C "$repo" reset -q --hard main
  fi
  local size; size=$(du -sb "$repo/.git" | cut -f1)
  echo "history repo: $(git -C "$repo" rev-list --count main) commits, .git $((size / 1048576)) MiB"
  local cmds=("$SEALANT scan --history --format json $repo")
  command -v gitleaks >/dev/null && cmds+=("$(command -v gitleaks) git $repo --no-banner --exit-code 0 --report-format json --report-path $BENCH/out/gitleaks-history.json")
  hyperfine -i --warmup 1 --runs 3 --export-markdown "$BENCH/history.md" "${cmds[@]}"
  "$SEALANT" scan --history --format json "$repo" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["summary"]; print(f"sealant: {len(d[\"findings\"])} findings, {s[\"files_scanned\"]} blobs, {s[\"bytes_scanned\"]/1e6:.0f} MB of distinct blobs")'
  cat "$BENCH/history.md"
}

[ -d "$BENCH/tree" ] || python3 scripts/bench/gen_tree.py "$BENCH/tree"
cargo build --release --locked -q
staged_repo
history_repo
