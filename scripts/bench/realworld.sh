#!/usr/bin/env bash
# Scans checkouts of the public repositories in testdata/corpus/repos.tsv with sealant and judges
# every finding against testdata/corpus/expectations.tsv: per repository and per cause, findings,
# true positives, false positives and unjudged ones, and sealant's wall time beside
# `rg -c 'kind: Secret'`. A benchmark and a measuring tool, not a test: it always exits 0 once
# the scans ran. See testdata/corpus/README.md.
#
#   scripts/bench/realworld.sh DIR               # the tune set
#   scripts/bench/realworld.sh -s heldout DIR    # the held-out set (-s all: both)
#   scripts/bench/realworld.sh -v DIR            # also list every unjudged finding (path:line rule)
#   scripts/bench/realworld.sh -r owner/name DIR # one repository
#   scripts/bench/realworld.sh -c -s all DIR     # only make the checkouts (scripts/bench.sh uses it)
#
# DIR holds one checkout per repository, DIR/owner+name (the files of the pinned commit, no .git).
# A missing checkout is made from a bare mirror ($MIRRORS/owner+name/repo, default /work/.mirror)
# with `git archive COMMIT`, else from a shallow fetch of the repository's URL at the commit.
# Blobs a mirror lacks (snapshots leave out files of 4 MiB and more) are skipped with a note.
#
# Environment: SEALANT (the binary; default target/release/sealant, built if missing),
# MIRRORS, REALWORLD_RUNS (timed runs per tool and repository, median; default 3; 0: no timing).
# Reports go to DIR/.out/NAME.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=$ROOT/testdata/corpus
MIRRORS=${MIRRORS:-/work/.mirror}
RUNS=${REALWORLD_RUNS:-3}
SET=tune
VERBOSE=0
ONLY=
CHECKOUTS_ONLY=0
while getopts 's:vr:c' opt; do
  case $opt in
    c) CHECKOUTS_ONLY=1 ;;
    s) SET=$OPTARG ;;
    v) VERBOSE=1 ;;
    r) ONLY=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-s tune|heldout|all] [-v] [-c] [-r owner/name] DIR" >&2; exit 2; }
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
OUT=$DIR/.out
mkdir -p "$OUT"

log() { printf '[realworld] %s\n' "$*" >&2; }

if [ "$CHECKOUTS_ONLY" = 1 ]; then
  SEALANT=true
elif [ -z "${SEALANT:-}" ]; then
  SEALANT=$ROOT/target/release/sealant
  [ -x "$SEALANT" ] || (cd "$ROOT" && cargo build --release --locked -q)
fi
"$SEALANT" --version >/dev/null || { log "$SEALANT does not run"; exit 1; }
RG=$(command -v rg || true)

# Writes the files of COMMIT in the git directory GIT into DEST, skipping blobs the git
# directory does not hold (git archive stops at the first one).
extract() {
  local git=$1 commit=$2 dest=$3
  if git --git-dir="$git" archive "$commit" 2>/dev/null | tar -x -C "$dest" 2>/dev/null; then
    return
  fi
  python3 - "$git" "$commit" "$dest" <<'PY'
import os, subprocess, sys
git, commit, dest = sys.argv[1:4]
tree = subprocess.run(["git", "--git-dir", git, "ls-tree", "-r", "-z", commit],
                      check=True, capture_output=True).stdout.split(b"\0")
entries = []
for entry in filter(None, tree):
    meta, path = entry.split(b"\t", 1)
    mode, kind, sha = meta.split()
    if kind == b"blob":
        entries.append((mode, sha, path.decode("utf-8", "surrogateescape")))
batch = subprocess.Popen(["git", "--git-dir", git, "cat-file", "--batch"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
skipped = 0
for mode, sha, path in entries:
    batch.stdin.write(sha + b"\n")
    batch.stdin.flush()
    header = batch.stdout.readline().split()
    if header[-1] == b"missing":
        skipped += 1
        continue
    data = batch.stdout.read(int(header[2]))
    batch.stdout.read(1)
    target = os.path.join(dest, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if mode == b"120000":
        if not os.path.lexists(target):
            os.symlink(data, target)
    else:
        with open(target, "wb") as f:
            f.write(data)
        if mode == b"100755":
            os.chmod(target, 0o755)
batch.stdin.close()
batch.wait()
if skipped:
    print(f"[realworld] {skipped} blob(s) missing from {git} were skipped", file=sys.stderr)
PY
}

checkout() { # name url commit -> DIR/owner+name
  local name=$1 url=$2 commit=$3 dest=$DIR/${1/\//+}
  if [ -f "$dest/.corpus-commit" ] && [ "$(cat "$dest/.corpus-commit")" = "$commit" ]; then
    return
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  local git=$MIRRORS/${name/\//+}/repo
  if ! git --git-dir="$git" cat-file -e "$commit^{commit}" 2>/dev/null; then
    git=$DIR/.git-cache/${name/\//+}
    log "fetching $url at $commit"
    git init -q --bare "$git"
    git --git-dir="$git" fetch -q --depth 1 "$url" "$commit"
  fi
  extract "$git" "$commit" "$dest"
  # The stamp is a dot file: sealant and rg skip hidden files by default, as they skip .git.
  echo "$commit" >"$dest/.corpus-commit"
}

median_ms() { # command... -> median wall time of RUNS runs, in ms
  local times=() start end
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

TIMES=$OUT/times.tsv
: >"$TIMES"
NAMES=()
while IFS=$'\t' read -r name url commit shape set; do
  case $name in '#'* | '') continue ;; esac
  [ "$SET" = all ] || [ "$set" = "$SET" ] || continue
  [ -z "$ONLY" ] || [ "$name" = "$ONLY" ] || continue
  checkout "$name" "$url" "$commit"
  [ "$CHECKOUTS_ONLY" = 0 ] || continue
  NAMES+=("$name")
  dest=$DIR/${name/\//+}
  (cd "$dest" && "$SEALANT" scan --format json . >"$OUT/${name/\//+}.json" 2>"$OUT/${name/\//+}.stderr") || true
  if [ "$RUNS" -gt 0 ]; then
    s=$(cd "$dest" && median_ms "$SEALANT" scan --format json .)
    r=-
    [ -z "$RG" ] || r=$(cd "$dest" && median_ms "$RG" -c 'kind: Secret' .)
    printf '%s\t%s\t%s\n' "$name" "$s" "$r" >>"$TIMES"
  fi
done <"$CORPUS/repos.tsv"
[ "$CHECKOUTS_ONLY" = 0 ] || exit 0

python3 - "$CORPUS" "$OUT" "$VERBOSE" "${NAMES[@]}" <<'PY'
import csv, fnmatch, json, os, sys
from collections import Counter, defaultdict

corpus, out, verbose, names = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]

def rows(path):
    with open(path, newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and not row[0].startswith("#"):
                yield row

exact, patterns = {}, []
for repo, path, line, rule, verdict, cause in rows(os.path.join(corpus, "expectations.tsv")):
    if "*" in path or "?" in path or line == "*" or rule == "*":
        patterns.append((repo, path, line, rule, verdict, cause))
    else:
        exact[(repo, path, int(line), rule)] = (verdict, cause)

def judge(repo, f):
    key = (repo, f["path"], f["line"], f["rule"])
    if key in exact:
        return exact[key]
    for r, path, line, rule, verdict, cause in patterns:
        if r == repo and fnmatch.fnmatchcase(f["path"], path) \
                and line in ("*", str(f["line"])) and rule in ("*", f["rule"]):
            return verdict, cause
    return None

times = {}
if os.path.exists(os.path.join(out, "times.tsv")):
    for name, s, r in rows(os.path.join(out, "times.tsv")):
        times[name] = (s, r)

per_cause = defaultdict(Counter)   # cause -> verdict counts
per_rule_unjudged = Counter()
total = Counter()
print("| repo | findings | TP | FP | notes | unjudged | errors | sealant ms | rg ms | ×rg |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
unjudged_list = []
for name in names:
    path = os.path.join(out, name.replace("/", "+") + ".json")
    try:
        findings = json.load(open(path))["findings"]
    except (OSError, ValueError) as e:
        print(f"| {name} | scan failed: {e} | | | | | | | |")
        continue
    c = Counter()
    for f in findings:
        path_ = f["path"][2:] if f["path"].startswith("./") else f["path"]
        f["path"] = path_
        verdict = judge(name, f)
        c["findings"] += 1
        c["errors"] += f["severity"] == "error"
        if verdict is None:
            c["unjudged"] += 1
            per_rule_unjudged[f["rule"]] += 1
            unjudged_list.append(f"{name}\t{f['path']}\t{f['line']}\t{f['rule']}\t{f['severity']}")
        else:
            c[verdict[0]] += 1
            per_cause[verdict[1]][verdict[0]] += 1
            per_cause[verdict[1]]["repos:" + name] += 1
    total.update(c)
    s, r = times.get(name, ("-", "-"))
    ratio = f"{int(s) / int(r):.1f}" if s.isdigit() and r.isdigit() and int(r) > 0 else "-"
    print(f"| {name} | {c['findings']} | {c['tp']} | {c['fp']} | {c['note']} | {c['unjudged']} | {c['errors']} | {s} | {r} | {ratio} |")
print(f"| **all** | {total['findings']} | {total['tp']} | {total['fp']} | {total['note']} | {total['unjudged']} | {total['errors']} | | | |")
print()
print("| cause | verdict | findings | repos |")
print("|---|---|---:|---|")
for cause in sorted(per_cause, key=lambda k: (-sum(v for n, v in per_cause[k].items() if n in ("tp", "fp", "note")), k)):
    c = per_cause[cause]
    kinds = [v for v in ("tp", "fp", "note") if c[v]]
    verdict = kinds[0] if len(kinds) == 1 else "mixed"
    repos = sorted(n[6:] for n in c if n.startswith("repos:"))
    print(f"| {cause} | {verdict} | {c['tp'] + c['fp'] + c['note']} | {', '.join(repos)} |")
if per_rule_unjudged:
    print()
    print("| unjudged, by rule | findings |")
    print("|---|---:|")
    for rule, n in per_rule_unjudged.most_common():
        print(f"| {rule} | {n} |")
if verbose and unjudged_list:
    print()
    print("unjudged findings (repo, path, line, rule, severity):")
    print("\n".join(unjudged_list))
PY
