#!/usr/bin/env bash
# Packs the npm package `depeche-widget` from pkg/ as scripts/build.sh wrote it: the loader with
# the wasm's glue inside (embed.js, the same file /embed.js serves), the wasm where the loader
# looks for it (pkg/depeche_bg.<hash>.wasm, also exported as `depeche-widget/wasm` for bundlers that
# move files), the TypeScript types and a README. Writes target/npm/depeche-widget-VERSION.tgz
# and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=target/npm/package
rm -rf target/npm
mkdir -p "$out/pkg"
cp pkg/embed.js "$out/embed.js"
# Named by its content (scripts/build.sh), as the loader names it.
wasm=$(cd pkg && ls depeche_bg.*.wasm | head -1)
[ -n "$wasm" ] || { echo "npm: no pkg/depeche_bg.*.wasm: run scripts/build.sh" >&2; exit 1; }
cp "pkg/$wasm" "$out/pkg/$wasm"
cp www/depeche.d.ts "$out/depeche.d.ts"
cat > "$out/package.json" <<JSON
{
  "name": "depeche-widget",
  "version": "$version",
  "description": "Embeddable breaking-news widget: an urgent banner and an article card, in WebAssembly",
  "license": "MIT",
  "type": "module",
  "types": "./depeche.d.ts",
  "exports": {
    ".": { "types": "./depeche.d.ts", "default": "./embed.js" },
    "./wasm": "./pkg/$wasm",
    "./package.json": "./package.json"
  },
  "files": ["embed.js", "pkg/$wasm", "depeche.d.ts", "README.md"],
  "sideEffects": true
}
JSON
cat > "$out/README.md" <<'MD'
# depeche-widget

Dépêche's breaking-news banner and article card, rendered in Shadow DOM by WebAssembly.

```js
import { mount, unmount, refresh } from 'depeche-widget';
// With a bundler that moves files (esbuild --loader:.wasm=file, Vite `?url`), pass the wasm's URL:
import wasm from 'depeche-widget/wasm';

await mount(document.querySelector('#story'), {
  feed: 'https://news.example/feed.json', kind: 'card', article: 'story-id', theme: 'auto', wasm,
});
```

Without a bundler: `<script type="module" src="node_modules/depeche-widget/embed.js" data-feed="…">`
(the wasm is found beside it, in `pkg/`). Types: `depeche.d.ts` (options, events and their
`detail`). The project's docs/embedding.md documents every option and event.
MD
(cd target/npm && npm pack ./package --silent >/dev/null)
ls "$PWD"/target/npm/depeche-widget-"$version".tgz
