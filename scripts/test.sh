#!/usr/bin/env bash
# The whole test suite. Installs what the tests need (a Python venv with `cryptography` for the
# independent cross-check), then runs every Rust test once against one build of the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="target/test-venv"
if ! "$venv/bin/python" -c 'import cryptography' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'cryptography>=42'
fi
export SEALANT_PYTHON="$PWD/$venv/bin/python"

cargo test --locked "$@"
