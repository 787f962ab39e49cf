#!/usr/bin/env python3
"""Prints src/rules/byte_frequency.rs: how often each byte occurs, per million bytes, in the text
files of the corpus's tune set (files with a NUL in their first 8 KiB are skipped, as the scan
skips them). The prefilter uses it to estimate how often Teddy's buckets raise candidates.

    scripts/bench/realworld.sh -c /tmp/corpus
    scripts/bench/byte_frequency.py /tmp/corpus > src/rules/byte_frequency.rs
"""
import collections
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tune_set():
    with open(os.path.join(ROOT, "testdata/corpus/repos.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[-1] == "tune":
                yield cols[0].replace("/", "+")


def main(corpus):
    counts = collections.Counter()
    total = 0
    for name in sorted(tune_set()):
        for dirpath, dirnames, filenames in os.walk(os.path.join(corpus, name)):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            for file in sorted(filenames):
                path = os.path.join(dirpath, file)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                if b"\0" in data[:8192]:
                    continue
                counts.update(data)
                total += len(data)
    if total == 0:
        sys.exit(f"no checkouts under {corpus}: run scripts/bench/realworld.sh -c {corpus}")
    table = [max(1, round(counts[b] * 1_000_000 / total)) for b in range(256)]
    print("//! How often each byte occurs, per million bytes, in the text files of the corpus's tune")
    print("//! set (testdata/corpus). Made by scripts/bench/byte_frequency.py; only speed depends on it.")
    print()
    print("pub(super) const PER_MILLION: [u32; 256] = [")
    for row in range(0, 256, 8):
        print("    " + " ".join(f"{v}," for v in table[row:row + 8]))
    print("];")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} CORPUS_DIR")
    main(sys.argv[1])
