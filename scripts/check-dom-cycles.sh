#!/usr/bin/env bash
# Fails if a module of src/dom imports one that imports it back, directly or through others:
# each `crate::dom::NAME` a module names (in `use` lines or inline) is an edge, and `tsort`
# refuses a graph with a loop, naming its modules. The same one line is in ARCHITECTURE.md.
# It first checks itself: on a copy of the modules with one loop added, it must fail, and it
# must see edges at all (a pattern that matched nothing would pass any code).
set -u
cd "$(dirname "$0")/.."

# The edges of the modules in folder $1, one "from to" a line.
edges() {
  for f in "$1"/*.rs; do tr '\n' ' ' < "$f" | grep -o 'crate::dom::\({[^}]*}\|[a-z_]*\)' | sed 's/crate::dom:://; s/[{}]//g; s/ as [a-z_]*//g' | tr ', ' '\n\n' | grep . | sed "s/^/$(basename "$f" .rs) /"; done
}

found=$(edges src/dom)
if [ "$(printf '%s\n' "$found" | grep -c .)" -lt 10 ]; then
  echo "check-dom-cycles: fewer than 10 imports found in src/dom: the pattern no longer matches the code" >&2
  exit 1
fi
# The positive control: the same modules, with `page` importing `entry` back.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp src/dom/*.rs "$scratch"/
echo 'use crate::dom::entry;' >> "$scratch/page.rs"
if edges "$scratch" | tsort > /dev/null 2>&1; then
  echo "check-dom-cycles: a loop added on purpose (page -> entry -> page) went unseen" >&2
  exit 1
fi
printf '%s\n' "$found" | tsort > /dev/null
