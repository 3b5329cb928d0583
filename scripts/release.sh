#!/usr/bin/env bash
# Builds the release tarball, target/release-tarball/depeche-VERSION-x86_64-linux.tar.gz:
#   depeche-collector   the collector, one static binary (x86_64, musl; SQLite inside)
#   www/                the demo pages, the desk and the demo feed
#   pkg/                the widget as scripts/build.sh wrote it (embed.js, the wasm named by
#                       its content, their precompressed copies)
#   SHA256SUMS          the SHA-256 of every other file (`sha256sum -c SHA256SUMS`)
#   SRI.txt             the Subresource Integrity of embed.js and of the wasm
# and the tarball's own SHA-256 beside it (.sha256). Then checks what it built: the binary is
# not dynamic (ldd), and the tarball unpacked into an empty folder serves the demo and backs
# its database up. Run by `make release`, after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target=x86_64-unknown-linux-musl
version=$(sed -n 's/^version = "\(.*\)"/\1/p' collector/Cargo.toml | head -1)
name=depeche-$version-x86_64-linux
out=target/release-tarball
stage=$out/$name
say() { printf 'release: %s\n' "$*"; }
fail() { printf 'release: %s\n' "$*" >&2; exit 1; }

# sri FILE: its integrity string, sha384 in base64 (by node, which the build needs anyway).
sri() {
  node -e 'process.stdout.write("sha384-"+require("crypto").createHash("sha384").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$1"
}

# The wasm is named by its content (scripts/build.sh); scripts/check-pkg.sh holds that there is one.
wasm=$(ls pkg/depeche_bg.*.wasm 2>/dev/null | head -1 || true)
[ -f pkg/embed.js ] && [ -n "$wasm" ] || fail "no pkg/embed.js or pkg/depeche_bg.*.wasm: run scripts/build.sh"
wasm_sri=$(sri "$wasm")
embed_sri=$(sri pkg/embed.js)
# The loader fetches the wasm with the hash the build wrote into it: a pkg/ whose wasm changed
# since would ship a widget that refuses its own wasm.
grep -qF "$wasm_sri" pkg/embed.js || fail "pkg/embed.js does not carry the wasm's hash ($wasm_sri): run scripts/build.sh again"

say "building the static collector ($target)"
cargo build --release --locked --target "$target" -p depeche-collector
bin=target/$target/release/depeche-collector
linkage=$(ldd "$bin" 2>&1 | xargs || true)
case "$linkage" in
  *"not a dynamic executable"* | *"statically linked"*) ;;
  *) fail "$bin is dynamic: $linkage" ;;
esac

rm -rf "$stage" "$out/$name.tar.gz" "$out/$name.tar.gz.sha256"
mkdir -p "$stage"
cp "$bin" "$stage/depeche-collector"
# www/ as committed (nothing left over from a local run), pkg/ as built.
git ls-files -z www | xargs -0 cp --parents -t "$stage"
cp -r pkg "$stage/pkg"
rm -rf "$stage/pkg/.gitignore"
{
  echo "# Subresource Integrity of this release's widget: integrity=\"…\" on the script tag takes the"
  echo "# first (pkg/embed.js is served at /embed.js; add crossorigin=\"anonymous\"); embed.js itself"
  echo "# fetches the wasm with the second."
  echo "pkg/embed.js $embed_sri"
  echo "$wasm $wasm_sri"
} > "$stage/SRI.txt"
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)

# The same bytes from the same sources: names sorted, owner and times fixed (the last commit's;
# the collector serves a precompressed copy only if it is not older than its file, so every
# file gets the same time), gzip without a name or time.
epoch=$(git log -1 --format=%ct)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu -C "$out" -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")

# The tarball unpacked into an empty folder, started there with its defaults (www/feed.json,
# www/, pkg/, sqlite:depeche.db), serves the demo; its backup is sound.
check=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$check"' EXIT
tar -xzf "$out/$name.tar.gz" -C "$check"
(cd "$check/$name" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the unpacked files"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')
(cd "$check/$name" && exec env -i ./depeche-collector --listen "127.0.0.1:$port" > "$check/log" 2>&1) &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
for path in / /feed.json /embed.js "/$wasm"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  [ "$status" = 200 ] || fail "the unpacked collector answered $status for $path: $(cat "$check/log")"
done
# Unpacked, every precompressed copy is as new as its file: the Brotli one is served.
curl -fs -D "$check/headers" -o /dev/null -H 'Accept-Encoding: br' "http://127.0.0.1:$port/$wasm"
grep -qi '^content-encoding: br' "$check/headers" || fail "the unpacked collector does not serve the precompressed wasm: $(cat "$check/log")"
# Named by its content, the wasm is kept for a year; the loader, which names it, for minutes.
grep -qi '^cache-control: public, max-age=31536000, immutable' "$check/headers" || fail "the wasm is not served as immutable: $(cat "$check/headers")"
curl -fs -D "$check/headers" -o /dev/null "http://127.0.0.1:$port/embed.js"
grep -qi '^cache-control: public, max-age=300' "$check/headers" || fail "/embed.js is not served short-lived: $(cat "$check/headers")"
curl -fs -o "$check/embed.js" "http://127.0.0.1:$port/embed.js"
served=$(sri "$check/embed.js")
[ "$served" = "$embed_sri" ] || fail "/embed.js as served ($served) is not SRI.txt's ($embed_sri)"
"$check/$name/depeche-collector" backup --database "sqlite:$check/$name/depeche.db" "$check/backup.db" >/dev/null \
  || fail "the unpacked collector could not back its database up"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
# The shipped binary itself given every feed source that once crashed the collector: its
# optimised code wraps where the tests' debug build panics (and is caught), so a wrapped
# length could still abort it (collector/tests/hostile_sources.rs).
DEPECHE_RELEASE_COLLECTOR="$PWD/$bin" cargo test --quiet --locked -p depeche-collector --test hostile_sources \
  a_collector_given_every_source_that_once_crashed_it_still_serves_10_s_later \
  || fail "the release collector did not survive the hostile sources"

say "$out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1)): $(cut -d' ' -f1 "$out/$name.tar.gz.sha256")"
say "collector $(du -h "$bin" | cut -f1), $linkage; unpacked in an empty folder it serves /, /feed.json, /embed.js and the wasm, and backs up; it survives the hostile sources"
sed -n 's/^\(pkg\/[^ ]*\) /release: integrity of \1: /p' "$stage/SRI.txt"
