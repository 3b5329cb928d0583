#!/usr/bin/env bash
# Fails if the widget's source, the loader or the generated JS glue names a script or
# HTML-parsing sink. Feed text must only ever reach the DOM as text or as attributes.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(src www/embed.js pkg/depeche.js pkg/embed.js)
for f in "${files[@]}"; do
  # A missing file would make grep find nothing, and the check pass unread.
  [ -e "$f" ] || { echo "check-sinks: $f is missing (run scripts/build.sh first)"; exit 1; }
done
pattern='\beval\s*\(|new\s+Function\b|\binnerHTML\b|\bouterHTML\b|\binsertAdjacentHTML\b|\bDOMParser\b|document\.write|\bsetHTMLUnsafe\b|\bparseHTMLUnsafe\b|createContextualFragment'
if hits=$(grep -rnE "$pattern" "${files[@]}"); then
  echo "forbidden sinks found:"
  echo "$hits"
  exit 1
fi
echo "no script or HTML-parsing sink in: ${files[*]}"
