// `make bench-widget`: Dépêche against a hand-written JavaScript widget (bench/reference.js)
// in headless Chromium, cold loads (a new context per load, the HTTP cache disabled),
// alternating the two, on these profiles: the demo feed on localhost, on a Slow 4G network
// (CDP: 150 ms RTT, 1.6 Mbit/s down), the same with preloads, a second visit on Slow 4G (the
// HTTP cache warm from a first visit in the same context), at 4x CPU throttle, and a generated
// 100-item feed with 100 card mounts. It checks that both render the same shadow-root text,
// then prints medians, ratios and bytes, and issue 26's goals: each one's ratio and whether it
// is met. It measures; it asserts nothing.
//   node scripts/bench-widget.mjs [pairs]      (default 9 pairs per profile)
//   PKG=dir   the widget's build to measure (default pkg/), e.g. an older one for a before/after
//   PROFILE=name   one profile only
//   COLLECTOR=path the collector to serve them (default `make collector`'s release build)
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import { minify } from 'terser';
import { launch } from '../tests/e2e/harness.mjs';

const root = new URL('..', import.meta.url).pathname;
const pairs = Number(process.argv[2] || process.env.PAIRS || 9);
const pkg = process.env.PKG || join(root, 'pkg');
const gzip9 = (b) => gzipSync(b, { level: constants.Z_BEST_COMPRESSION }).length;
// The wasm, named by its content since issue 26 (an older build's PKG has the plain name).
const wasmFile = readdirSync(pkg).find((f) => /^depeche_bg(\.[0-9a-f]{16})?\.wasm$/.test(f));
// Issue 26's goals: gzip -9 bytes before the first banner and in all (1 KB = 1,024 bytes, as
// scripts/size.sh has them), and the ratios to the reference.
const GOALS = { firstDownload: 16 * 1024, total: 48 * 1024, slow4g: 1.10, secondVisit: 1.0, hundred: 1.0 };

// The pages and feeds, in a folder of their own that the collector serves.
const www = mkdtempSync(join(tmpdir(), 'depeche-bench-'));
const css = readFileSync(join(root, 'src/dom/widget.css'), 'utf8');
const reference = (await minify(`const WIDGET_CSS = ${JSON.stringify(css)};\n${readFileSync(join(root, 'bench/reference.js'), 'utf8')}`,
  { module: true, compress: { passes: 2 }, mangle: true })).code;
// Served as the widget is, from the pkg/ folder with Brotli and Zopfli copies beside it: a
// reference sent uncompressed would pay for bytes the widget does not.
const served = join(www, 'pkg');
cpSync(pkg, served, { recursive: true, preserveTimestamps: true });
writeFileSync(join(served, 'reference.js'), reference);
execFileSync('node', [join(root, 'scripts/compress.mjs'), join(served, 'reference.js')]);
const demo = JSON.parse(readFileSync(join(root, 'www/feed.json'), 'utf8'));
const story = demo.items[0];
const hundred = { ...demo, items: Array.from({ length: 100 }, (_, i) => ({ ...story, id: `story-${i}`, title: `${story.title} (${i + 1})`,
  _depeche: { ...story._depeche, urgency: i === 0 ? 1 : 3, views: 376 + i } })) };
// Static files: the collector's own /feed.json carries live counts, which the bench has no use for.
writeFileSync(join(www, 'feed-demo.json'), JSON.stringify(demo));
writeFileSync(join(www, 'feed-100.json'), JSON.stringify(hundred));
const page = (loader, feed, mounts, preloads = []) => `<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>bench</title>${preloads.join('')}</head><body>
<div data-depeche="banner"></div>${mounts}
<script type="module" src="${loader}" data-feed="${feed}" data-lang="fr" data-time-zone="Africa/Bamako" data-refresh="0" data-beacon="/beacon"></script></body></html>`;
const one = '<div data-depeche="card" data-article="kangaba-attack-2017-06-18"></div>';
const many = Array.from({ length: 100 }, (_, i) => `<div data-depeche="card" data-article="story-${i}"></div>`).join('\n');
// Each page preloading everything it will fetch, as docs/embedding.md suggests to publishers: the
// downloads start with the page rather than once the script has run.
const preload = (href) => `<link rel="preload" href="${href}" as="fetch" crossorigin>`;
const preloads = {
  widget: ['<link rel="modulepreload" href="/embed.js">', preload(`/pkg/${wasmFile}`), preload('/feed-demo.json')],
  reference: ['<link rel="modulepreload" href="/pkg/reference.js">', preload('/feed-demo.json')],
};
for (const [name, loader] of [['widget', '/embed.js'], ['reference', '/pkg/reference.js']]) {
  writeFileSync(join(www, `${name}.html`), page(loader, '/feed-demo.json', one));
  writeFileSync(join(www, `${name}-preloaded.html`), page(loader, '/feed-demo.json', one, preloads[name]));
  writeFileSync(join(www, `${name}-100.html`), page(loader, '/feed-100.json', many));
}

const port = await new Promise((ok) => { const s = createServer().listen(0, () => { const p = s.address().port; s.close(() => ok(p)); }); });
const collector = spawn(process.env.COLLECTOR || join(root, 'target/release/depeche-collector'), ['--listen', `127.0.0.1:${port}`, '--feed', join(root, 'www/feed.json'),
  '--database', `sqlite:${join(www, 'bench.db')}`, '--www', www, '--pkg', served], { stdio: 'ignore' });
const origin = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try { if ((await fetch(`${origin}/healthz`)).ok) break; } catch {}
  await new Promise((r) => setTimeout(r, 100));
}

const ONLY = process.env.PROFILE;
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };
const PROFILES = {
  localhost: { page: '', cards: 1 },
  'Slow 4G': { page: '', cards: 1, network: SLOW_4G },
  'Slow 4G, preloaded': { page: '-preloaded', cards: 1, network: SLOW_4G },
  'Slow 4G, second visit': { page: '', cards: 1, network: SLOW_4G, second: true },
  '4x CPU': { page: '', cards: 1, cpu: 4 },
  '100 cards': { page: '-100', cards: 100 },
};

const browser = await launch();

/**
 * One load: ms to the first banner, ms to every card rendered, heap + wasm bytes, the shadow
 * text, and what was downloaded before the first banner. Cold, with the cache disabled; or,
 * for a second visit, after a first load of the same page in the same context (unmeasured,
 * with the cache on and no throttling), with what that one left in the HTTP cache.
 */
async function load(name, profile) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  if (profile.second) {
    // The page and the feed as a publisher's would be: revalidated on the second visit, not
    // taken from the cache by heuristic freshness (a tenth of a Last-Modified age: the
    // bench's files, written when it started, would otherwise be fresh for minutes).
    const now = new Date();
    for (const file of [`${name}${profile.page}.html`, 'feed-demo.json']) utimesSync(join(www, file), now, now);
    const first = await context.newPage();
    await first.goto(`${origin}/${name}${profile.page}.html`);
    await first.waitForFunction(() => document.querySelector('[data-depeche=banner]')?.shadowRoot?.querySelector('[part=title]'), null, { timeout: 60_000 });
    await first.close();
  }
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  await cdp.send('Network.enable');
  if (!profile.second) await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  // The main thread's busy time (every task: scripts, parsing, style, layout): a clock read
  // once a frame moves by 17 ms steps, this does not.
  await cdp.send('Performance.enable');
  if (profile.network) await cdp.send('Network.emulateNetworkConditions', profile.network);
  if (profile.cpu) await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
  await p.addInitScript((cards) => {
    // Every frame: the first banner title, and the moment every card has its byline.
    window.__t = {};
    const tick = () => {
      const now = performance.now();
      if (!window.__t.banner && document.querySelector('[data-depeche=banner]')?.shadowRoot?.querySelector('[part=title]')) window.__t.banner = now;
      const done = [...document.querySelectorAll('[data-depeche=card]')].filter((c) => c.shadowRoot?.querySelector('[part=byline]')).length;
      if (!window.__t.cards && done === cards) window.__t.cards = now;
      if (!(window.__t.banner && window.__t.cards)) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, profile.cards);
  await p.goto(`${origin}/${name}${profile.page}.html`);
  await p.waitForFunction(() => window.__t.banner && window.__t.cards, null, { timeout: 60_000 });
  await p.waitForTimeout(300);
  const t = await p.evaluate(() => window.__t);
  const { metrics } = await cdp.send('Performance.getMetrics');
  const busy = Object.fromEntries(metrics.map((m) => [m.name, m.value * 1000]));
  const heap = await cdp.send('Runtime.getHeapUsage');
  // And what is still held once the garbage is collected (the first figure counts garbage
  // not yet collected too).
  await cdp.send('HeapProfiler.collectGarbage');
  const held = await cdp.send('Runtime.getHeapUsage');
  // Wasm memory is not in the JS heap: every WebAssembly.Memory of the page, by its buffer.
  const { result: proto } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId });
  const { result: wasm } = await cdp.send('Runtime.callFunctionOn', { objectId: objects.objectId, returnByValue: true,
    functionDeclaration: 'function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }' });
  const text = await p.evaluate(() => [...document.querySelectorAll('[data-depeche]')].map((m) => m.shadowRoot?.textContent ?? '').join('\n'));
  // A preload that the page's own request does not match downloads the file twice.
  const fetched = await p.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  const twice = fetched.filter((path, i) => fetched.indexOf(path) !== i);
  // What crossed the network for the widget (or the reference), the page's own HTML aside.
  const wire = await p.evaluate(() => performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0));
  // What the page had downloaded when its first banner showed (resource timing: each request
  // whose response had ended by then; the page's own HTML aside): its paths, the bodies as
  // they came (encodedBodySize: Brotli where the server sent it; from the cache too) and what
  // crossed the network (transferSize: headers too, 0 for a response from the cache).
  const before = await p.evaluate((banner) => performance.getEntriesByType('resource').filter((e) => e.responseEnd <= banner)
    .map((e) => ({ path: new URL(e.name).pathname, body: e.encodedBodySize, wire: e.transferSize })), t.banner);
  await context.close();
  return { banner: t.banner, cards: t.cards, task: busy.TaskDuration, wire, memory: heap.usedSize + wasm.value, held: held.usedSize + wasm.value, text, twice,
    bodyBefore: before.reduce((n, e) => n + e.body, 0), wireBefore: before.reduce((n, e) => n + e.wire, 0), before: before.map((e) => e.path) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const rows = [];
// For the goals: each profile's ratio of medians, and the widget's and the reference's own
// files (the loader, its glue, the wasm; not the feed) downloaded before the first banner.
const ratios = {};
let firstFiles = null;
/** The gzip -9 bytes of the build's files among `paths` (as served: /embed.js, /pkg/…). */
const buildBytes = (paths) => [...new Set(paths)].filter((p) => p === '/embed.js' || p.startsWith('/pkg/'))
  .reduce((n, p) => n + gzip9(readFileSync(join(served, p === '/embed.js' ? 'embed.js' : p.slice('/pkg/'.length)))), 0);
for (const [label, profile] of Object.entries(PROFILES).filter(([l]) => !ONLY || l === ONLY)) {
  const runs = { widget: [], reference: [] };
  for (let i = 0; i < pairs; i++) {
    // Alternating, and which goes first alternating too.
    for (const name of i % 2 ? ['reference', 'widget'] : ['widget', 'reference']) runs[name].push(await load(name, profile));
  }
  const same = runs.widget[0].text === runs.reference[0].text;
  for (const [name, list] of Object.entries(runs)) {
    const twice = [...new Set(list.flatMap((r) => r.twice))];
    if (twice.length) console.log(`${label}: the ${name} page downloaded ${twice.join(', ')} twice`);
  }
  const metric = profile.cards > 1 ? 'cards' : 'banner';
  const w = median(runs.widget.map((r) => r[metric]));
  const v = median(runs.reference.map((r) => r[metric]));
  rows.push([label, profile.cards > 1 ? 'all 100 cards rendered' : 'first banner', w, v, same]);
  ratios[label] = w / v;
  if (!profile.second && !firstFiles) {
    firstFiles = { widget: runs.widget[0].before, reference: runs.reference[0].before, label };
  }
  if (profile.network && !profile.second) {
    rows.push([label, 'bytes before the first banner (bodies as sent: loader, glue, wasm, feed)',
      median(runs.widget.map((r) => r.bodyBefore)), median(runs.reference.map((r) => r.bodyBefore)), same]);
  }
  if (profile.second) {
    rows.push([label, 'bytes over the network before the first banner (headers too)',
      median(runs.widget.map((r) => r.wireBefore)), median(runs.reference.map((r) => r.wireBefore)), same]);
  }
  if (profile.network) {
    // The bytes are the floor of the gap: what one page downloads beyond the other's, at the
    // profile's throughput, is time no work on the main thread can win back.
    const ww = median(runs.widget.map((r) => r.wire));
    const vw = median(runs.reference.map((r) => r.wire));
    rows.push([label, 'bytes over the network (headers too)', ww, vw, same]);
    rows.push([label, `those extra bytes at ${profile.network.downloadThroughput * 8 / 1e6} Mbit/s (ms)`, ((ww - vw) / profile.network.downloadThroughput) * 1000, null, same]);
  }
  if (profile.cards > 1) {
    rows.push([label, 'main thread busy, load to the end', median(runs.widget.map((r) => r.task)), median(runs.reference.map((r) => r.task)), same]);
    const wm = median(runs.widget.map((r) => r.memory));
    const vm = median(runs.reference.map((r) => r.memory));
    rows.push([label, 'JS heap + wasm memory (MB)', wm / 1e6, vm / 1e6, same]);
    const wh = median(runs.widget.map((r) => r.held));
    const vh = median(runs.reference.map((r) => r.held));
    rows.push([label, 'the same after a garbage collection (MB)', wh / 1e6, vh / 1e6, same]);
  }
  if (!same) {
    const [a, b] = [runs.widget[0].text, runs.reference[0].text];
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    console.log(`${label}: the shadow texts differ at ${at}:\n  widget:    …${a.slice(Math.max(0, at - 60), at + 60)}\n  reference: …${b.slice(Math.max(0, at - 60), at + 60)}`);
  }
}
await browser.close();
collector.kill();

const widgetBytes = gzip9(readFileSync(join(pkg, 'embed.js'))) + gzip9(readFileSync(join(pkg, wasmFile)));
const referenceBytes = gzip9(Buffer.from(reference));
console.log(`\nDépêche against a hand-written JS widget, ${pairs} cold-load pairs per profile, medians (ms unless said)\n`);
console.log('| profile | measure | Dépêche | reference JS | ratio | same text |');
console.log('|---|---|---|---|---|---|');
for (const [label, measure, w, v, same] of rows) {
  const f = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));
  console.log(`| ${label} | ${measure} | ${f(w)} | ${v === null ? '' : f(v)} | ${v === null ? '' : `${(w / v).toFixed(2)}×`} | ${same ? 'yes' : 'NO'} |`);
}
console.log(`| download | gzip -9 bytes | ${widgetBytes} | ${referenceBytes} | ${(widgetBytes / referenceBytes).toFixed(2)}× | |`);

// Issue 26's goals. The first download: the build's files that the page had downloaded when
// its first banner showed (by resource timing, in the first cold profile run), each gzip -9.
const total = gzip9(readFileSync(join(pkg, 'embed.js'))) + readdirSync(pkg).filter((f) => f.endsWith('.wasm'))
  .reduce((n, f) => n + gzip9(readFileSync(join(pkg, f))), 0);
const goals = [];
if (firstFiles) {
  const w = buildBytes(firstFiles.widget);
  const files = [...new Set(firstFiles.widget)].filter((p) => p === '/embed.js' || p.startsWith('/pkg/')).join(' + ');
  goals.push([`first download, gzip -9 (${files}; reference ${buildBytes(firstFiles.reference)})`, w, GOALS.firstDownload, 'bytes']);
}
goals.push(['all of the widget, gzip -9 (embed.js + every wasm)', total, GOALS.total, 'bytes']);
for (const [label, goal] of [['Slow 4G', GOALS.slow4g], ['Slow 4G, second visit', GOALS.secondVisit], ['100 cards', GOALS.hundred]]) {
  goals.push([`${label}: ${label === '100 cards' ? 'all 100 cards rendered' : 'first banner'}, against the reference`, ratios[label], goal, 'ratio']);
}
console.log(`\nIssue 26's goals (1 KB = 1,024 bytes)\n`);
console.log('| goal | measured | limit | measured / limit | met |');
console.log('|---|---|---|---|---|');
for (const [what, measured, limit, kind] of goals) {
  if (measured === undefined) { console.log(`| ${what} | not run | | | |`); continue; }
  const shown = kind === 'bytes' ? `${measured} B` : `${measured.toFixed(2)}×`;
  const bound = kind === 'bytes' ? `≤ ${limit} B` : `≤ ${limit.toFixed(2)}×`;
  console.log(`| ${what} | ${shown} | ${bound} | ${(measured / limit).toFixed(2)} | ${measured <= limit ? 'yes' : 'no'} |`);
}
