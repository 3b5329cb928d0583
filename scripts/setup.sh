#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, skipping what is already there.
#   scripts/setup.sh build   Rust wasm target, nightly with rust-src (the release build rebuilds
#                            std for size), wasm-pack, wasm-bindgen-cli, binaryen, esbuild and terser (npm)
#   scripts/setup.sh test    the above, plus Chromium, ChromeDriver, PostgreSQL, playwright-core, cargo-fuzz
#   scripts/setup.sh bench   the above build tools, plus wrk and PostgreSQL
#   scripts/setup.sh size    the above build tools
#   scripts/setup.sh release the above build tools, plus musl-tools and Rust's musl target (the
#                            release tarball's static collector)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The wasm-bindgen CLI must match the version pinned with `=` in Cargo.toml exactly.
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (release build-std, cargo-fuzz)"
  rustup toolchain install nightly --profile minimal
fi
if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
  say "adding rust-src to nightly (the release build rebuilds std)"
  rustup component add rust-src --toolchain nightly
fi
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (takes a few minutes)"
  cargo install wasm-pack --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version"
  # Not --locked: the registry lacks one of its locked dependencies.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/terser ] || [ ! -x node_modules/.bin/esbuild ] \
  || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@gfx/zopfli ] || [ ! -d node_modules/uplot ] \
  || [ ! -d node_modules/axe-core ] || [ ! -d node_modules/typescript ]; then
  say "installing npm tools (binaryen's wasm-opt, esbuild, terser, zopfli, playwright-core, the desk's uPlot, axe-core, typescript)"
  npm ci --no-audit --no-fund --loglevel=error
fi

case "$what" in
  build) ;;
  test)
    # PostgreSQL: the collector's store tests start throwaway clusters of their own; so does
    # its GRIP test with Pushpin (which reaches the collector through zurl).
    apt_install chromium chromium-driver postgresql pushpin zurl
    if ! command -v cargo-fuzz >/dev/null; then
      say "installing cargo-fuzz"
      cargo install cargo-fuzz --locked
    fi
    ;;
  bench) apt_install wrk postgresql chromium ;;
  size) ;;
  release)
    # The collector's C parts (SQLite, ring) are compiled with musl-gcc for the static binary.
    apt_install musl-tools
    if ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
      say "adding the x86_64-unknown-linux-musl target"
      rustup target add x86_64-unknown-linux-musl
    fi
    ;;
  *) echo "usage: $0 build|test|bench|size|release" >&2; exit 2 ;;
esac
