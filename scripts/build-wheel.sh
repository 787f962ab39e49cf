#!/usr/bin/env bash
# Builds the sealant-gitops wheel (pyproject.toml: maturin, bindings = "bin") for this machine
# into target/wheels, with maturin from PyPI in a venv under target/. Extra arguments go to
# `maturin build`. The release workflow builds the other platforms' wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="target/wheel-venv"
if [ ! -x "$venv/bin/maturin" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.7,<2'
fi
"$venv/bin/maturin" build --release --locked --out target/wheels "$@"
