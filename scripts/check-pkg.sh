#!/usr/bin/env bash
# Fails when pkg/ differs by one byte from the committed one: a file changed, gone, or new.
# pkg/ is committed so that the demo needs no wasm toolchain, and its build is reproducible
# (scripts/build.sh), so anyone can check that the shipped widget is what the sources build.
#   scripts/check-pkg.sh          compare pkg/ as it is (make test has just rebuilt it)
#   scripts/check-pkg.sh --build  rebuild pkg/ first
# Compared with git's index, so that a pkg/ rebuilt and staged with its sources passes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --build ]; then
  scripts/build.sh
fi
# A path of this machine in a shipped file means the remapping in scripts/build.sh failed:
# the same sources built elsewhere would differ.
if leaked=$(grep -l -a -F -e "$PWD" -e "$HOME/" -- pkg/*.wasm pkg/*.js); then
  echo "pkg/: a path of this machine is in $(echo "$leaked" | tr '\n' ' ')(see scripts/build.sh's --remap-path-prefix)"
  exit 1
fi
# One wasm, named by its content, and the loader names it (scripts/build.sh): under another
# name, a browser that keeps it for a year (the collector says it may) keeps stale bytes.
wasms=(pkg/depeche_bg.*.wasm)
if [ "${#wasms[@]}" -ne 1 ] || [ ! -f "${wasms[0]}" ]; then
  echo "pkg/: ${#wasms[@]} depeche_bg.*.wasm files (${wasms[*]}), one expected (run scripts/build.sh)"
  exit 1
fi
named=pkg/depeche_bg.$(sha256sum "${wasms[0]}" | cut -c1-16).wasm
if [ "${wasms[0]}" != "$named" ]; then
  echo "pkg/: ${wasms[0]} is not named by its content ($named)"
  exit 1
fi
if ! grep -qF "\"pkg/${named#pkg/}\"" pkg/embed.js; then
  echo "pkg/: pkg/embed.js does not load ${named#pkg/}"
  exit 1
fi
# Changed or deleted files (against the index), and files git does not know of.
changed=$(git diff --name-only -- pkg/)
new=$(git ls-files --others --exclude-standard -- pkg/)
if [ -z "$changed$new" ]; then
  echo "pkg/: the build gives the committed bytes ($(git ls-files -- pkg/ | wc -l) files)"
  exit 0
fi
echo "pkg/ differs from what the sources build:"
while IFS= read -r f; do
  [ -n "$f" ] || continue
  if [ -f "$f" ]; then
    echo "  changed: $f ($(git cat-file -s ":$f") bytes committed, $(wc -c < "$f") built)"
  else
    echo "  gone:    $f (committed, not built)"
  fi
done <<< "$changed"
while IFS= read -r f; do
  [ -n "$f" ] && echo "  new:     $f (built, not committed)"
done <<< "$new"
echo "If the sources changed on purpose, commit pkg/ with them (git add pkg/)."
exit 1
