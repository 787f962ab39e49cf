#!/usr/bin/env python3
"""Scores one tool's report against the planted manifest written by gen_tree.py.

  recall.py MANIFEST REPORT [--details FILE]

Reads the findings from REPORT whatever the tool: one or more JSON documents (sealant, gitleaks,
kingfisher, detect-secrets, secretlint's json, SARIF: any object with a path-like key such as
`path`, `File`, `filename`, `filePath` and a line-like key such as `line`, `StartLine`,
`line_number`, `loc.start.line`, `region.startLine`), or text lines `path:line:...` (ripsecrets,
secretlint's unix format, grep-like tools) or bare paths. Reported paths may be relative,
absolute or relative to the scanned tree: they are matched to the manifest by suffix.

A plant counts as found when a finding names its file and a line within the object that holds
it (the Secret document, the key block, or the line itself); a finding without a line counts on
its file alone. Every finding on a quiet file (SealedSecret, SOPS, Helm, ExternalSecret) is a
false positive.

Prints one line: k8s_found k8s_total all_found all_total fp_findings fp_files
"""

import argparse
import json
import re
import sys
from collections import Counter

PATH_KEYS = ("path", "File", "file", "filePath", "filename", "Path", "uri")
LINE_KEYS = ("line", "StartLine", "line_number", "startLine", "Line", "lineNumber", "start_line")
TEXT_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+)(?::|$)")


def json_documents(text):
    """All JSON values in `text` (kingfisher prints two in a row); None if it is not JSON."""
    dec, docs, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return docs or None
        try:
            doc, i = dec.raw_decode(text, i)
        except ValueError:
            return None
        docs.append(doc)


def line_of(d):
    for k in LINE_KEYS:
        if isinstance(d.get(k), int):
            return d[k]
    for outer, inner in (("loc", "start"), ("region", None), ("location", None)):
        v = d.get(outer)
        if isinstance(v, dict):
            v = v.get(inner) if inner else v
            if isinstance(v, dict):
                got = line_of(v)
                if got is not None:
                    return got
    return None


def walk(node, out, path=None):
    """Collects (path, line) of every finding-like object; `path` is inherited by children
    (secretlint nests messages under a file, SARIF nests regions under a location)."""
    if isinstance(node, list):
        for x in node:
            walk(x, out, path)
        return
    if not isinstance(node, dict):
        return
    own = next((node[k] for k in PATH_KEYS if isinstance(node.get(k), str)), None)
    if own is None and isinstance(node.get("artifactLocation"), dict):
        own = node["artifactLocation"].get("uri")
    line = line_of(node)
    children = [v for v in node.values() if isinstance(v, (dict, list))]
    if own is not None and line is not None:
        out.append((own, line))
    elif own is not None and "messages" in node:
        walk(node["messages"], out, own)  # secretlint: one entry per file, findings inside
    elif own is None and path is not None and line is not None:
        out.append((path, line))
    elif own is not None and not any(isinstance(v, (dict, list)) and v for v in node.values()):
        out.append((own, None))  # a file-level finding
    else:
        for v in children:
            walk(v, out, own or path)


def findings_of(text):
    docs = json_documents(text)
    out = []
    if docs is not None:
        for d in docs:
            if isinstance(d, dict) and isinstance(d.get("results"), dict):  # detect-secrets
                for p, items in d["results"].items():
                    out += [(p, it.get("line_number")) for it in items]
            else:
                walk(d, out)
        return out
    for raw in text.splitlines():
        m = TEXT_LINE.match(raw)
        if m:
            out.append((m["path"], int(m["line"])))
        elif raw.strip() and "/" in raw and " " not in raw.strip():
            out.append((raw.strip(), None))
    return out


def relative(path, known):
    """The manifest path that `path` ends with, or None."""
    p = path.replace("\\", "/").removeprefix("file://")
    while True:
        if p in known:
            return p
        if "/" not in p:
            return None
        p = p.split("/", 1)[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest")
    ap.add_argument("report")
    ap.add_argument("--details", help="write what was found, missed and falsely reported here")
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    with open(args.report, errors="replace") as f:
        findings = findings_of(f.read())
    planted = manifest["planted"]
    quiet_kind = {p: kind for kind, paths in manifest["quiet"].items() for p in paths}
    known = {p["path"] for p in planted} | set(quiet_kind)
    by_file = {}
    for path, line in findings:
        rel = relative(path, known)
        if rel is not None:
            by_file.setdefault(rel, []).append(line)

    def found(p):
        lo, hi = p["span"]
        return any(line is None or lo <= line <= hi for line in by_file.get(p["path"], []))

    hits = [found(p) for p in planted]
    k8s = [h for h, p in zip(hits, planted) if p["kind"] == "k8s"]
    fp = {p: lines for p, lines in by_file.items() if p in quiet_kind}
    print(sum(k8s), len(k8s), sum(hits), len(hits), sum(map(len, fp.values())), len(fp))
    if args.details:
        with open(args.details, "w") as f:
            f.write(f"{len(findings)} findings in the report\n")
            for h, p in zip(hits, planted):
                f.write(f"{'found ' if h else 'MISSED'} {p['form']:30} {p['path']}:{p['line']}\n")
            per_kind = Counter()
            for p, lines in fp.items():
                per_kind[quiet_kind[p]] += len(lines)
            f.write(f"false positives by kind: {dict(per_kind)}\n")
            for p in sorted(fp)[:50]:
                f.write(f"FP {quiet_kind[p]:15} {p}: lines {fp[p][:10]}\n")


if __name__ == "__main__":
    main()
