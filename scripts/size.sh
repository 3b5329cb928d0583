#!/usr/bin/env bash
# Prints the size of what a page downloads: the wasm, and the loader bundled with the wasm's
# JS glue (pkg/embed.js), as scripts/build.sh wrote them to pkg/: raw, compressed with
# `gzip -9`, and as the collector serves them precompressed (Zopfli .gz, Brotli .br;
# scripts/compress.mjs).
# With --breakdown, also what each module of the widget costs and the largest functions, in
# the same build with names kept (scripts/build.sh --named; scripts/size-parts.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
gzip9=0 served=0 brotli=0
printf '%-22s %8s %8s %10s %8s\n' "" bytes "gzip -9" "served gz" "br"
for f in pkg/depeche_bg.wasm pkg/embed.js; do
  raw=$(wc -c < "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  sgz=$(wc -c < "$f.gz")
  br=$(wc -c < "$f.br")
  gzip9=$((gzip9 + gz)) served=$((served + sgz)) brotli=$((brotli + br))
  printf '%-22s %8d %8d %10d %8d\n' "$f" "$raw" "$gz" "$sgz" "$br"
done
printf '%-22s %8s %8d %10d %8d\n' "total" "" "$gzip9" "$served" "$brotli"
echo "(pkg/embed.js is the loader and the wasm's JS glue in one file)"
goal=30720
if [ "$gzip9" -le "$goal" ]; then
  echo "goal: $goal bytes gzip -9 in all, met"
else
  echo "goal: $goal bytes gzip -9 in all, $((gzip9 - goal)) over"
fi

if [ "${1:-}" = --breakdown ]; then
  # Written by `scripts/build.sh --named` from the same build as pkg/.
  echo
  echo "the wasm's code by part, in the same optimised build with names kept (the names section is not shipped):"
  node scripts/size-parts.mjs target/size/named.wasm 25
fi
