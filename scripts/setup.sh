#!/usr/bin/env bash
# Installs what the demo, the build and the tests need, skipping what is already there.
#   scripts/setup.sh demo    nothing: the demo builds the collector with the machine's Rust and
#                            serves the committed pkg/ (it only checks that cargo and a C compiler,
#                            for SQLite and TLS, are there)
#   scripts/setup.sh build   what rebuilds pkg/: the pinned nightly with rust-src and the wasm
#                            target (the release build rebuilds std for size),
#                            wasm-bindgen-cli, binaryen, esbuild, terser, Zopfli and uPlot (npm)
#   scripts/setup.sh test    the above, plus wasm-pack and the wasm target on the default
#                            toolchain (the browser and Node suites), Chromium, ChromeDriver, PostgreSQL,
#                            Pushpin, playwright-core
#   scripts/setup.sh fuzz    the above build tools, plus cargo-fuzz (`make test` replays the
#                            fuzz seeds natively, without it)
#   scripts/setup.sh bench   the above build tools, plus wrk and PostgreSQL
#   scripts/setup.sh size    the above build tools
#   scripts/setup.sh release the above build tools, plus musl-tools and Rust's musl target (the
#                            release tarball's static collector)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
case "$what" in
  demo | build | test | bench | size | release | fuzz) ;;
  *) echo "usage: $0 demo|build|test|bench|size|release|fuzz" >&2; exit 2 ;;
esac
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

need() { command -v "$1" >/dev/null || { echo "setup: $1 is missing: $2" >&2; exit 1; }; }
need cargo "install Rust with rustup (https://rustup.rs)"
need cc "install a C compiler (Debian: apt-get install gcc)"
[ "$what" = demo ] && exit 0

# The wasm-bindgen CLI must match the version pinned with `=` in Cargo.toml exactly.
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
# The nightly that builds pkg/, pinned in scripts/build.sh: the committed pkg/ is what it builds.
nightly=$(sed -n 's/^NIGHTLY=//p' scripts/build.sh)
# wasm-pack runs the browser and Node suites (the build calls cargo and wasm-bindgen itself).
wasm_pack_version=0.15.1

if ! rustup toolchain list | grep -q "^$nightly-"; then
  say "installing $nightly (the release build's build-std, cargo-fuzz)"
  rustup toolchain install "$nightly" --profile minimal
fi
if ! rustup component list --toolchain "$nightly" --installed | grep -q '^rust-src'; then
  say "adding rust-src to $nightly (the release build rebuilds std)"
  rustup component add rust-src --toolchain "$nightly"
fi
if ! rustup target list --toolchain "$nightly" --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target to $nightly"
  rustup target add wasm32-unknown-unknown --toolchain "$nightly"
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
    if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$wasm_pack_version" ]; then
      say "installing wasm-pack $wasm_pack_version (takes a few minutes)"
      cargo install wasm-pack --version "$wasm_pack_version" --locked --force
    fi
    # The browser and Node suites and the wasm lints build with the default toolchain.
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
      say "adding the wasm32-unknown-unknown target"
      rustup target add wasm32-unknown-unknown
    fi
    # PostgreSQL: the collector's store tests start throwaway clusters of their own; so does
    # its GRIP test with Pushpin (which reaches the collector through zurl).
    apt_install chromium chromium-driver postgresql pushpin zurl
    ;;
  fuzz)
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
  *) echo "usage: $0 demo|build|test|bench|size|release|fuzz" >&2; exit 2 ;;
esac
