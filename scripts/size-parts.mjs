// What each part of the widget costs: the functions of a build with names kept
// (`scripts/build.sh --named` writes target/size/named.wasm), grouped by the widget's module
// they belong to, with their bytes and what they add to the whole under gzip -9 (the whole
// compressed with and without them: code compresses against the rest, so the parts do not
// add up exactly); then the largest functions. Run by `make size` (scripts/size.sh
// --breakdown).
//   node scripts/size-parts.mjs [target/size/named.wasm] [how many functions, 25]
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const bytes = readFileSync(process.argv[2] ?? 'target/size/named.wasm');
const top = Number(process.argv[3] ?? 25);

/** The module's sections: the code bodies, the data segments' bytes and function names. */
function read(b) {
  let p = 8;
  const uleb = () => {
    let r = 0, shift = 0, x;
    do { x = b[p++]; r += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
    return r;
  };
  const name = () => { const n = uleb(); const s = b.subarray(p, p + n).toString(); p += n; return s; };
  const limits = () => { const flags = b[p++]; uleb(); if (flags & 1) uleb(); };
  let imported = 0;
  const bodies = [], names = new Map();
  let data = 0;
  while (p < b.length) {
    const id = b[p++], size = uleb(), end = p + size;
    if (id === 2) {
      for (let n = uleb(); n > 0; n--) {
        name(); name();
        const kind = b[p++];
        if (kind === 0) { uleb(); imported++; } else if (kind === 1) { p++; limits(); } else if (kind === 2) limits(); else p += 2;
      }
    } else if (id === 10) {
      for (let n = uleb(); n > 0; n--) { const s = uleb(); bodies.push(b.subarray(p, p + s)); p += s; }
    } else if (id === 11) {
      data = size;
    } else if (id === 0 && name() === 'name') {
      while (p < end) {
        const sub = b[p++], subSize = uleb(), subEnd = p + subSize;
        if (sub === 1) for (let n = uleb(); n > 0; n--) { const i = uleb(); names.set(i - imported, name()); }
        p = subEnd;
      }
    }
    p = end;
  }
  return { bodies, names, data };
}

/** The widget's module a function is code for: the first `depeche::…` path in its name
 * (a generic of the standard library instantiated for a widget type counts as the widget's). */
function part(fn) {
  const plain = fn.replace(/\[[0-9a-f]+\]/g, '');
  const m = plain.match(/depeche::((?:dom::)?[a-z_0-9]+)/);
  if (m) return m[1];
  if (/^(<)?(wasm_bindgen|js_sys|web_sys)/.test(plain) || /wasm_bindgen|__wbg|__wbindgen/.test(plain)) return '(wasm-bindgen, js-sys, web-sys)';
  if (/lol_alloc|__rust_alloc|__rust_dealloc|__rust_realloc/.test(plain)) return '(allocator)';
  return '(standard library)';
}

const { bodies, names, data } = read(bytes);
const gz = (parts) => gzipSync(Buffer.concat(parts), { level: 9 }).length;
const all = gz(bodies);
const groups = new Map();
bodies.forEach((body, i) => {
  const key = part(names.get(i) ?? '');
  const g = groups.get(key) ?? { raw: 0, functions: 0, indices: new Set() };
  g.raw += body.length;
  g.functions++;
  g.indices.add(i);
  groups.set(key, g);
});
const rows = [...groups].map(([key, g]) => ({ key, ...g, gzip: all - gz(bodies.filter((_, i) => !g.indices.has(i))) }));
rows.sort((a, b) => b.gzip - a.gzip);
const total = rows.reduce((s, r) => s + r.raw, 0);
console.log(`code: ${total} bytes in ${bodies.length} functions, ${all} with gzip -9; data: ${data} bytes (strings, the stylesheet, tables)`);
console.log(`${'part (module)'.padEnd(36)} ${'bytes'.padStart(7)} ${'gzip -9'.padStart(8)}  functions`);
for (const r of rows) console.log(`${r.key.padEnd(36)} ${String(r.raw).padStart(7)} ${String(r.gzip).padStart(8)}  ${r.functions}`);

if (top > 0) console.log(`\nthe ${top} largest functions (bytes):`);
const named = bodies.map((body, i) => [body.length, (names.get(i) ?? `#${i}`).replace(/\[[0-9a-f]+\]/g, '')]);
named.sort((a, b) => b[0] - a[0]);
for (const [size, fn] of named.slice(0, top)) console.log(`${String(size).padStart(7)}  ${fn.length > 110 ? `${fn.slice(0, 109)}…` : fn}`);
