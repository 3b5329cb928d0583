#!/usr/bin/env bash
# Fails if a module of src/dom imports one that imports it back, directly or through others:
# each `crate::dom::NAME` a module names (in `use` lines or inline) is an edge, and `tsort`
# refuses a graph with a loop, naming its modules. The same one line is in ARCHITECTURE.md.
set -u
cd "$(dirname "$0")/.."
for f in src/dom/*.rs; do tr '\n' ' ' < "$f" | grep -o 'crate::dom::\({[^}]*}\|[a-z_]*\)' | sed 's/crate::dom:://; s/[{}]//g; s/ as [a-z_]*//g' | tr ', ' '\n\n' | grep . | sed "s/^/$(basename "$f" .rs) /"; done | tsort > /dev/null
