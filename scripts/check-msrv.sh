#!/usr/bin/env bash
# Fails when Cargo.toml's `rust-version` is older than what a dependency (as locked) declares:
# a user on the declared toolchain would get a build error instead of cargo's clear refusal.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --locked --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
version = lambda v: tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])
root = next(p for p in meta["packages"] if p["id"] == meta["resolve"]["root"])
ours = root.get("rust_version") or "0"
needed = max((p for p in meta["packages"] if p.get("rust_version")), key=lambda p: version(p["rust_version"]))
if version(needed["rust_version"]) > version(ours):
    sys.exit("rust-version = %s in Cargo.toml, but %s %s needs %s: raise it" % (ours, needed["name"], needed["version"], needed["rust_version"]))
print("rust-version %s: every dependency builds with it (highest needed: %s %s)" % (ours, needed["name"], needed["rust_version"]))
'
