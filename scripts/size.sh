#!/usr/bin/env bash
# Prints the gzip size of what a page downloads: the wasm, its JS glue and the loader, as
# scripts/build.sh wrote them to pkg/.
# With --breakdown, also twiggy's top items of the same build (scripts/build.sh --named).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
total=0
for f in pkg/depeche_bg.wasm pkg/depeche.js pkg/embed.js; do
  raw=$(wc -c < "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  printf '%-22s %8d bytes  %7d gzip\n' "$f" "$raw" "$gz"
done
printf '%-22s %8s        %7d gzip (budget 40960, goal 30720)\n' "total" "" "$total"

if [ "${1:-}" = --breakdown ]; then
  # Written by `scripts/build.sh --named` from the same build as pkg/.
  echo
  echo "twiggy top of the same optimised build, names kept (the names section is not shipped):"
  twiggy top -n 25 target/size/named.wasm
fi
