#!/usr/bin/env bash
# Builds pkg/: the release wasm and its JS glue, as small as they can be shipped.
#   scripts/build.sh          pkg/ for the demo and the end-to-end tests
#   scripts/build.sh --named  also target/size/named.wasm: the same build with function names
#                             kept (for scripts/size-parts.mjs; the names section is never shipped)
#
# pkg/ is committed, and the build is reproducible: the same sources give the same bytes
# wherever the clone lives (scripts/check-pkg.sh, run by `make test`, fails on any difference).
# So every tool is pinned: the nightly below, wasm-bindgen by Cargo.toml (`=`), wasm-pack by
# scripts/setup.sh, wasm-opt (binaryen), esbuild, terser, Zopfli and uPlot by package-lock.json;
# and the paths of the clone, of cargo's registry and of the toolchain are remapped.
#
# The standard library is rebuilt for size with nightly's build-std, and a panic aborts at
# once (`-Cpanic=immediate-abort`): no panic message, location or formatting code is shipped
# (-4.8 KB gzip, measured with scripts/size.sh). Nothing in the widget depends on Debug
# output, so `-Zfmt-debug=none` drops those impls too. The names shared by the wasm and its
# glue are shortened (scripts/minify-names.mjs), and the glue is bundled into the loader.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The nightly that builds pkg/ (and runs cargo-fuzz): another one may compile to other bytes.
# scripts/setup.sh and scripts/fuzz.sh read it from this line.
NIGHTLY=nightly-2026-05-20
export RUSTUP_TOOLCHAIN=$NIGHTLY
# Without reference types, wasm-bindgen keeps JS objects in a table on the JS side instead of
# an externref table in the wasm, with its allocator and a shim per import (0.76 KB gzip less
# in all, measured with scripts/size.sh: the wasm loses 0.9 KB, the glue gains 0.15 KB).
# LLVM's inliner at opt-level=z inlines calls up to a cost of 5; at 7 to 10 the whole is
# 0.23 KB gzip smaller (measured with scripts/size.sh over 0, 5, 7, 8, 9, 10, 11, 12, 15, 25,
# 50: 7 to 10 give the same bytes, 11 and up grow), as small callees disappear into callers.
# The stack is 64 KiB, not Rust's 1 MiB: nothing in the widget recurses deeper than the
# allowlisted HTML (32 levels), and a page's wasm memory is mostly its stack (1.8 MB after
# 100 cards with the default, measured with scripts/bench-widget.mjs). The stack comes first
# in memory, so an overflow traps rather than overwriting data.
rustflags=(-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types
  -Cllvm-args=-inline-threshold=8 -Clink-arg=-zstack-size=65536)
# No path of this machine in the wasm: the clone (and the target folder inside it), cargo's
# registry and the toolchain's std sources (rebuilt by build-std) read the same everywhere.
rustflags+=("--remap-path-prefix=$PWD=/depeche" "--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
  "--remap-path-prefix=$(rustc --print sysroot)=/toolchain")
# Encoded (separated by 0x1f, not spaces) so that a clone's path may hold a space.
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f'; printf '%s' "${rustflags[*]}")
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
# Its own target folder: switching flags or toolchains would otherwise rebuild every crate
# each time the tests (stable) and the release (nightly) take turns.
export CARGO_TARGET_DIR="$PWD/target/release-wasm"
# The wasm's release profile (Cargo.toml's [profile.release] is the collector's).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_PANIC=abort
build_std=(-Zbuild-std=std,panic_abort)
# The wasm features Chromium needs wasm-opt to keep.
features=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-multivalue)
# Binaryen inlines every function that has one caller, whatever its size; an inlined body
# costs a block and a local per argument, and the merged functions leave -Oz and gzip less
# that repeats. It now inlines only those up to 25 bytes (0.74 KB gzip less, measured with
# scripts/size.sh over 0, 10, 20, 25, 30, 35, 40, 50: 25 is the smallest). Every -Oz needs
# it, or a later one inlines what it left.
inlining=(--one-caller-inline-max-function-size=25)

# A precompressed copy left from an earlier build must never be served for a new file, nor
# a wasm of an earlier build be shipped beside this one.
rm -f pkg/*.gz pkg/*.br pkg/depeche_bg.*.wasm
# The library alone, as a cdylib only: Cargo.toml's crate-type also has an rlib (the collector
# and the tests use the crate), and a build of both (what `wasm-pack build` runs) ships a
# wasm of 611 functions instead of 377: 5.2 KB gzip more (measured with scripts/size.sh,
# 42,792 against 37,589 bytes). Then what wasm-pack would do: the glue, and a first -Oz.
cargo rustc --release --quiet --target wasm32-unknown-unknown "${build_std[@]}" --lib --crate-type cdylib
wasm-bindgen "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/depeche.wasm" --out-dir pkg --target web --no-typescript
wasm-opt pkg/depeche_bg.wasm -Oz "${features[@]}" "${inlining[@]}" --strip-debug --strip-producers -o pkg/depeche_bg.wasm
# The last passes, over the renamed module (0.7 KB gzip less, measured with scripts/size.sh):
# Rust puts the stack first, so no address below 1 KB is ever real data and Binaryen may fold
# constant offsets into loads (--low-memory-unused); re-deriving the control flow
# (--flatten --rereloop) lets -Oz merge more of it, and a second -Oz finds a little more.
# The target_features section is only for linkers; browsers ignore it (0.1 KB).
last_passes=(--low-memory-unused --flatten --rereloop -Oz -Oz --strip-target-features)
node scripts/minify-names.mjs pkg/depeche_bg.wasm pkg/depeche.js "${features[@]}" "${inlining[@]}" "${last_passes[@]}"
# Short ASCII strings from the wasm read by a loop rather than TextDecoder (scripts/fast-strings.mjs).
node scripts/fast-strings.mjs pkg/depeche.js
# The wasm as shipped is named by its content (the first 16 hex digits of its SHA-256): the
# collector lets browsers keep such a file for a year without asking again (issue 26, second
# visits), and a new build is a new name, which the loader below carries.
wasm_file=depeche_bg.$(sha256sum pkg/depeche_bg.wasm | cut -c1-16).wasm
mv pkg/depeche_bg.wasm "pkg/$wasm_file"
# The loader as shipped, bundled with the glue into one minified file that the collector
# serves at /embed.js: one request fewer before the wasm, and the glue's unused exports
# (initSync) left out (0.25 KB gzip less than the two files, measured with scripts/size.sh).
# Read from stdin so that its `./pkg/depeche.js` resolves from here, as it does in a browser
# from /embed.js.
# The loader fetches the wasm with its Subresource Integrity hash (WASM_INTEGRITY in
# www/embed.js), taken here from the wasm as shipped: nothing below changes it.
# The loader fetches the wasm by its name (WASM_FILE in www/embed.js), also written in here.
wasm_integrity=sha384-$(node -e 'process.stdout.write(require("crypto").createHash("sha384").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "pkg/$wasm_file")
esbuild --bundle --format=esm --log-level=warning --sourcefile=embed.js --define:DEPECHE_WASM_INTEGRITY="\"$wasm_integrity\"" \
  --define:DEPECHE_WASM_FILE="\"$wasm_file\"" < www/embed.js > pkg/embed.js
terser pkg/embed.js --module --compress passes=2 --mangle --output pkg/embed.js
# The desk's chart library (uPlot, from npm), minified, served from /pkg with the widget.
esbuild --minify --format=esm --log-level=warning node_modules/uplot/dist/uPlot.esm.js --outfile=pkg/uplot.js
cp node_modules/uplot/dist/uPlot.min.css pkg/uplot.css
# Precompressed copies for the server: Zopfli .gz, Brotli .br.
node scripts/compress.mjs "pkg/$wasm_file" pkg/embed.js pkg/uplot.js pkg/uplot.css

if [ "${1:-}" = --named ]; then
  out=target/size
  mkdir -p "$out"
  wasm-bindgen "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/depeche.wasm" --out-dir "$out" \
    --target web --no-typescript --keep-debug
  wasm-opt -Oz -g "${features[@]}" "${inlining[@]}" "${last_passes[@]}" "$out/depeche_bg.wasm" -o "$out/named.wasm"
fi
