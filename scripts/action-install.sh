#!/usr/bin/env bash
# The install step of the sealant GitHub Action (action.yml).
#
#   action-install.sh          install the release binary for this action's version, verified
#                              against the release's SHA256SUMS and kept in the runner's tool
#                              cache; when there is no release to download, write `build=true`
#                              (and the cargo cache key) to GITHUB_OUTPUT for the next steps.
#   action-install.sh build    build from the action's checkout with cargo install.
#
# Environment: VERSION (the action's `version` input), GITHUB_ACTION_REF, GITHUB_ACTION_PATH,
# RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT;
# SEALANT_RELEASE_URL replaces the releases download URL (tests), CARGO the cargo command.
set -euo pipefail

RELEASES="${SEALANT_RELEASE_URL:-https://github.com/sealant-dev/sealant/releases/download}"
ACTION_PATH="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"

notice() { echo "::notice title=sealant::$*"; }
fail() {
  echo "::error title=sealant install::$*"
  exit 1
}

# The release version to install, without the v, or nothing to build from source.
release_version() {
  local ref="${GITHUB_ACTION_REF:-}"
  if [ -n "${VERSION:-}" ]; then
    echo "${VERSION#v}"
  elif [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    echo "${ref#v}"
  elif [[ "$ref" =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
    # A moving major tag (v1) points at a release commit: its Cargo.toml names the release.
    sed -n 's/^version = "\(.*\)"$/\1/p' "$ACTION_PATH/Cargo.toml" | head -n 1
  fi
}

# The Rust target of the release archive built for this runner.
runner_target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
  esac
}

# Downloads $1 to $2; prints the HTTP status (000 when no answer came).
download() {
  curl --silent --show-error --location --proto '=https,http' \
    --connect-timeout 10 --max-time 300 --retry 3 --retry-delay 2 \
    --output "$2" --write-out '%{http_code}' "$1" || true
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# The SHA-256 that sums file $1 lists for file name $2 ("HASH  NAME" or "HASH *NAME").
listed_sum() {
  awk -v name="$2" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$1"
}

unpack() {
  case "$1" in
    *.zip) if command -v unzip >/dev/null; then unzip -q "$1" -d "$2"; else tar -xf "$1" -C "$2"; fi ;;
    *) tar -xzf "$1" -C "$2" ;;
  esac
}

# Tells the next steps to build from source, with the key of their cargo cache.
want_build() {
  local lock
  lock=$(sha256 "$ACTION_PATH/Cargo.lock" 2>/dev/null || echo none)
  {
    echo "build=true"
    echo "cargo-key=sealant-cargo-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$lock"
  } >>"${GITHUB_OUTPUT:-/dev/null}"
}

add_to_path() {
  echo "$1" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
}

install_release() {
  local version="$1" target="$2" cache="$3" tmp="$4"
  local tag="v$version" ext=tar.gz
  if [ "${RUNNER_OS:-}" = Windows ]; then ext=zip; fi
  local archive="sealant-$tag-$target.$ext" url="$RELEASES/$tag"

  local status
  status=$(download "$url/SHA256SUMS" "$tmp/SHA256SUMS")
  case "$status" in
    200) ;;
    404)
      notice "no sealant release $tag to download ($url/SHA256SUMS: HTTP 404): building this action's checkout with cargo install, which takes a few minutes"
      want_build
      return
      ;;
    *) fail "cannot download $url/SHA256SUMS (HTTP $status)" ;;
  esac
  local expected
  expected=$(listed_sum "$tmp/SHA256SUMS" "$archive")
  [ -n "$expected" ] || fail "release $tag: SHA256SUMS has no entry for $archive; refusing to install an unverified binary"

  status=$(download "$url/$archive" "$tmp/$archive")
  [ "$status" = 200 ] || fail "release $tag has no asset $archive ($url/$archive: HTTP $status)"
  local actual
  actual=$(sha256 "$tmp/$archive")
  [ "$actual" = "$expected" ] || fail "checksum mismatch for $archive: SHA256SUMS lists $expected, the download has $actual; nothing was installed"

  mkdir -p "$tmp/unpacked"
  unpack "$tmp/$archive" "$tmp/unpacked" || fail "cannot unpack $archive"
  local binary
  binary=$(find "$tmp/unpacked" -maxdepth 2 -type f \( -name sealant -o -name sealant.exe \) | head -n 1)
  [ -n "$binary" ] || fail "$archive holds no sealant binary"
  chmod +x "$binary"
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  mv "$(dirname "$binary")" "$cache"
  # The tool cache's convention: a version counts as cached once its marker exists.
  touch "$cache.complete"
  add_to_path "$cache"
  echo "sealant $version ($target) installed in $cache"
}

main() {
  local version target
  version=$(release_version)
  if [ -z "$version" ]; then
    notice "sealant action ref '${GITHUB_ACTION_REF:-local}' is not a release tag: building it from source with cargo install"
    want_build
    return
  fi
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
    fail "version '$version' is not a release version (X.Y.Z)"
  target=$(runner_target)
  if [ -z "$target" ]; then
    notice "no sealant release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building from source with cargo install"
    want_build
    return
  fi
  local arch cache
  arch=$(echo "${RUNNER_ARCH:-}" | tr '[:upper:]' '[:lower:]')
  cache="${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}/sealant/$version/$arch"
  if [ -f "$cache.complete" ]; then
    add_to_path "$cache"
    echo "sealant $version found in the tool cache ($cache)"
    return
  fi
  TMP=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sealant-install.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  install_release "$version" "$target" "$cache" "$TMP"
}

build() {
  local cargo="${CARGO:-cargo}"
  command -v "$cargo" >/dev/null ||
    fail "building sealant from source needs cargo: add a Rust toolchain step (dtolnay/rust-toolchain) before this action, or use a released version"
  CARGO_TARGET_DIR="$ACTION_PATH/target" "$cargo" install --locked --path "$ACTION_PATH"
}

case "${1:-}" in
  "") main ;;
  build) build ;;
  *) fail "unknown command '$1' (none, or build)" ;;
esac
