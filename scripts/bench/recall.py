#!/usr/bin/env python3
"""Scores one tool's report against the planted manifest.

  recall.py REPORT MANIFEST

Tools report paths in their own ways (absolute, relative, JSON-escaped), so a planted file
counts as found when its tree-relative path occurs in the report; for sealant's JSON report
the line must match too. Prints: k8s_found k8s_total all_found all_total false_positive_files
"""

import json
import sys

K8S = ("secret-", "kustomize-")


def main():
    report_path, manifest_path = sys.argv[1:3]
    text = open(report_path, errors="replace").read()
    manifest = json.load(open(manifest_path))
    lines = None
    try:
        report = json.loads(text)
        if isinstance(report, dict) and report.get("version") == 1 and "findings" in report:
            lines = {(f["path"], f["line"]) for f in report["findings"]}
    except ValueError:
        pass

    def found(plant):
        if lines is not None:
            return any(p.endswith(plant["path"]) and l == plant["line"] for p, l in lines)
        return plant["path"] in text

    planted = manifest["planted"]
    k8s = [p for p in planted if p["form"].startswith(K8S)]
    fp = sum(1 for q in manifest["quiet"] if q in text)
    print(sum(map(found, k8s)), len(k8s), sum(map(found, planted)), len(planted), fp)


if __name__ == "__main__":
    main()
