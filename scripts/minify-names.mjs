// Shortens the names the wasm and its JS glue share: wasm-bindgen names every import
// `__wbg_<method>_<16 hex digits>` and every closure shim after its full Rust type, and a hash
// does not compress. Binaryen renames them (as Emscripten does) and prints the mapping; this
// applies the same mapping to the glue. Measured with scripts/size.sh: 4.8 KB gzip less, and
// 0.15 KB more from one more `-Oz` pass over the renamed module.
//
//   node scripts/minify-names.mjs pkg/depeche_bg.wasm pkg/depeche.js [wasm-opt flags and passes, run after its own -Oz]
//
// Every name of the mapping must occur in the glue exactly as expected, or nothing is written
// and the build fails: a glue that calls a name the wasm no longer has would fail at load.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';

const [wasmPath, gluePath, ...extra] = process.argv.slice(2);
if (!wasmPath || !gluePath) {
  console.error('usage: node scripts/minify-names.mjs WASM GLUE [WASM-OPT FLAGS AND PASSES]');
  process.exit(2);
}

const tmp = `${wasmPath}.minified`;
const printed = execFileSync('wasm-opt', [wasmPath, '--minify-imports-and-exports-and-modules', '-Oz',
  ...extra, '-o', tmp], { encoding: 'utf8' });
let mapping;
try {
  mapping = JSON.parse(printed.slice(printed.indexOf('{')));
} catch (error) {
  // Some passes print their own output, and then the mapping cannot be read.
  rmSync(tmp, { force: true });
  console.error(`minify-names: could not read wasm-opt's mapping (${error.message})`);
  process.exit(1);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let glue = readFileSync(gluePath, 'utf8');
const problems = [];

// Renames every match of `pattern` (a regex source matching just the name) to `to`; `once`
// when the name must occur exactly once, else any number of times.
function rename(pattern, to, what, once) {
  const re = new RegExp(pattern, 'g');
  const found = glue.match(re)?.length ?? 0;
  if (once && found !== 1) {
    problems.push(`${what} ${pattern}: found ${found} times`);
    return;
  }
  glue = glue.replace(re, () => to);
}

for (const [, name, to] of mapping.imports) {
  // An import is a key of the object the glue hands to the instance: `name: function(…`.
  rename(`(?<![\\w$])${escape(name)}(?=: function\\()`, to, 'import', true);
}
for (const [name, to] of mapping.exports) {
  // An export is read as `wasm.name`, as many times as the glue calls it; some (the runtime's
  // abort flags, `__wbindgen_free`) are not read by this glue at all.
  rename(`(?<=\\bwasm\\.)${escape(name)}(?![\\w$])`, to, 'export', false);
}
// The import module is renamed too; the mapping does not say to what, the module does.
const before = new Set(mapping.imports.map(([module]) => module));
const after = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(tmp))).map((i) => i.module));
if (before.size !== 1 || after.size !== 1) {
  problems.push(`expected one import module, found ${[...before].join(', ')} -> ${[...after].join(', ')}`);
} else {
  rename(`"${escape([...before][0])}"(?=: import0)`, JSON.stringify([...after][0]), 'module', true);
}

if (problems.length > 0) {
  console.error(`minify-names: the glue does not match the wasm's names:\n  ${problems.join('\n  ')}`);
  rmSync(tmp);
  process.exit(1);
}
writeFileSync(gluePath, glue);
renameSync(tmp, wasmPath);
console.log(`minify-names: ${mapping.imports.length} imports and ${mapping.exports.length} exports renamed`);
