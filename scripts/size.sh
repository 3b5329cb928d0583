#!/usr/bin/env bash
# Prints the gzip size of what a page downloads: the wasm, its JS glue and the loader.
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
for f in pkg/depeche_bg.wasm pkg/depeche.js www/embed.js; do
  raw=$(wc -c < "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  printf '%-22s %8d bytes  %7d gzip\n' "$f" "$raw" "$gz"
done
printf '%-22s %8s        %7d gzip (budget 40960, goal 30720)\n' "total" "" "$total"
