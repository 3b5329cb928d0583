#!/usr/bin/env bash
# Prints the size of what a page downloads: the wasm, and the loader bundled with the wasm's
# JS glue (pkg/embed.js), as scripts/build.sh wrote them to pkg/: raw, compressed with
# `gzip -9`, and as the collector serves them precompressed (Zopfli .gz, Brotli .br;
# scripts/compress.mjs). Then the first download (what a page must have before its first
# banner) and the total against issue 26's limits: it exits 1 above either.
# With --breakdown, also what each module of the widget costs and the largest functions, in
# the same build with names kept (scripts/build.sh --named; scripts/size-parts.mjs).
# Not part of `make test`: the first download is over its limit until the widget is split.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Issue 26's goals, gzip -9 bytes (1 KB = 1,024 bytes): what the page must download before
# the first banner (loader, glue and the wasm it needs), and every file of the widget together.
FIRST_DOWNLOAD_LIMIT=$((16 * 1024))
TOTAL_LIMIT=$((48 * 1024))

# The wasm is named by its content (scripts/build.sh). With no split, the first banner needs
# the loader and the whole wasm; a split must list here only the parts the first banner waits for.
wasms=(pkg/depeche_bg.*.wasm)
first=(pkg/embed.js "${wasms[@]}")
all=(pkg/embed.js pkg/*.wasm)

gz9() { gzip -9 -c "$1" | wc -c; }
gzip9=0 served=0 brotli=0
printf '%-40s %8s %8s %10s %8s\n' "" bytes "gzip -9" "served gz" "br"
for f in "${all[@]}"; do
  raw=$(wc -c < "$f")
  gz=$(gz9 "$f")
  sgz=$(wc -c < "$f.gz")
  br=$(wc -c < "$f.br")
  gzip9=$((gzip9 + gz)) served=$((served + sgz)) brotli=$((brotli + br))
  printf '%-40s %8d %8d %10d %8d\n' "$f" "$raw" "$gz" "$sgz" "$br"
done
printf '%-40s %8s %8d %10d %8d\n' "total" "" "$gzip9" "$served" "$brotli"
echo "(pkg/embed.js is the loader and the wasm's JS glue in one file)"

first_gzip9=0
for f in "${first[@]}"; do first_gzip9=$((first_gzip9 + $(gz9 "$f"))); done
verdict() { # name, bytes, limit
  if [ "$2" -le "$3" ]; then
    printf '%-16s %6d bytes gzip -9, limit %d: met\n' "$1" "$2" "$3"
  else
    printf '%-16s %6d bytes gzip -9, limit %d: %d over (%.2fx)\n' "$1" "$2" "$3" $(($2 - $3)) "$(awk "BEGIN { print $2 / $3 }")"
  fi
}
echo
echo "issue 26's goals (first download: ${first[*]})"
verdict "first download" "$first_gzip9" "$FIRST_DOWNLOAD_LIMIT"
verdict "total" "$gzip9" "$TOTAL_LIMIT"
over=0
[ "$first_gzip9" -le "$FIRST_DOWNLOAD_LIMIT" ] || over=1
[ "$gzip9" -le "$TOTAL_LIMIT" ] || over=1

if [ "${1:-}" = --breakdown ]; then
  # Written by `scripts/build.sh --named` from the same build as pkg/.
  echo
  echo "the wasm's code by part, in the same optimised build with names kept (the names section is not shipped):"
  node scripts/size-parts.mjs target/size/named.wasm 25
fi
exit "$over"
