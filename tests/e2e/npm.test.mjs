// End to end: the npm package as a developer uses it. `scripts/npm.sh` packs it from pkg/; a
// throwaway project installs the tarball, bundles a page with esbuild and renders it in
// Chromium, loads the package's embed.js from a plain <script type="module">, and type-checks
// a usage example with tsc (and a wrong one, which must fail).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, openPage, root, scratchDir } from './harness.mjs';

const BYLINE_FR = 'Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu 376 fois';
const bin = (name) => join(root, 'node_modules/.bin', name);

describe('the npm package', () => {
  let project;
  let server;
  let origin;
  let browser;

  before(async () => {
    const tarball = execFileSync('bash', [join(root, 'scripts/npm.sh')], { encoding: 'utf8' }).trim();
    project = scratchDir('depeche-npm-');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'news-site', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project });
    cpSync(join(root, 'www/feed.json'), join(project, 'feed.json'));
    const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      try {
        const body = readFileSync(join(project, path));
        res.writeHead(200, { 'Content-Type': types[extname(path)] || 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('has a name, a version, types and the wasm in its exports', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/depeche-widget/package.json'), 'utf8'));
    assert.equal(manifest.name, 'depeche-widget');
    assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
    assert.equal(manifest.exports['.'].types, './depeche.d.ts');
    // The wasm under the name the build gave it (its content's hash), which the loader asks for.
    const wasm = manifest.exports['./wasm'];
    assert.match(wasm, /^\.\/pkg\/depeche_bg\.[0-9a-f]{16}\.wasm$/);
    assert.ok(readFileSync(join(project, 'node_modules/depeche-widget', wasm)).equals(readFileSync(join(root, wasm))));
    assert.ok(readFileSync(join(root, 'pkg/embed.js'), 'utf8').includes(`"${wasm.slice(2)}"`), `embed.js names ${wasm}`);
    // The loader is the one the collector serves, byte for byte: one code path.
    assert.ok(readFileSync(join(project, 'node_modules/depeche-widget/embed.js')).equals(readFileSync(join(root, 'pkg/embed.js'))));
  });

  it('bundles with esbuild and renders', async () => {
    writeFileSync(join(project, 'app.js'), `
      import { mount } from 'depeche-widget';
      import wasm from 'depeche-widget/wasm';
      window.__started = await mount(document.getElementById('story'),
        { feed: '/feed.json', article: 'kangaba-attack-2017-06-18', lang: 'fr', timeZone: 'Africa/Bamako', refresh: 0, wasm });
    `);
    execFileSync(bin('esbuild'), ['app.js', '--bundle', '--format=esm', '--outdir=dist', '--loader:.wasm=file', '--public-path=/dist', '--log-level=warning'], { cwd: project });
    writeFileSync(join(project, 'bundled.html'), `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <div id="story"></div><script type="module" src="/dist/app.js"></script></body></html>`);
    const { context, page, record } = await openPage(browser);
    await page.goto(`${origin}/bundled.html`);
    await page.locator('#story [part=byline]').waitFor({ timeout: 10_000 }).catch(() => assert.fail(JSON.stringify(record)));
    assert.equal(await page.locator('#story [part=byline]').textContent(), BYLINE_FR);
    assert.equal(await page.evaluate(() => window.__started), true);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('works from a plain script tag, with the wasm found beside the loader', async () => {
    writeFileSync(join(project, 'plain.html'), `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <div data-depeche="card" data-article="kangaba-attack-2017-06-18"></div>
      <script type="module" src="/node_modules/depeche-widget/embed.js" data-feed="/feed.json" data-time-zone="Africa/Bamako" data-refresh="0"></script></body></html>`);
    const { context, page, record } = await openPage(browser);
    await page.goto(`${origin}/plain.html`);
    await page.locator('[data-depeche=card] [part=byline]').waitFor();
    assert.equal(await page.locator('[data-depeche=card] [part=byline]').textContent(), BYLINE_FR);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('type-checks a usage example, and refuses a wrong one', () => {
    const tsc = (file) => spawnSync(bin('tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext',
      '--moduleResolution', 'bundler', '--lib', 'es2022,dom', file], { cwd: project, encoding: 'utf8' });
    writeFileSync(join(project, 'example.ts'), `
      import { mount, unmount, refresh, type MountOptions } from 'depeche-widget';
      const options: MountOptions = { feed: '/feed.json', kind: 'banner', theme: 'dark', urgency: 1, refresh: 30 };
      const el = document.createElement('div');
      const started: Promise<boolean> = mount(el, options);
      document.addEventListener('depeche:view', (e) => { const id: string = e.detail.item; console.log(id); });
      el.addEventListener('depeche:error', (e) => { const m: string = e.detail.message; console.log(m); });
      void started.then(() => refresh()).then(() => unmount(el));
    `);
    const good = tsc('example.ts');
    assert.equal(good.status, 0, good.stdout + good.stderr);
    writeFileSync(join(project, 'wrong.ts'), `
      import { mount } from 'depeche-widget';
      void mount(document.body, { kind: 'sidebar', theme: 'sepia', urgency: 'high' });
      document.addEventListener('depeche:view', (e) => { const n: number = e.detail.item; console.log(n); });
    `);
    const bad = tsc('wrong.ts');
    assert.notEqual(bad.status, 0, 'a wrong option type-checks');
    // The kind, the theme, the urgency's type and the event detail's type: four errors.
    assert.equal(bad.stdout.match(/error TS2322/g)?.length, 4, bad.stdout);
    assert.ok(bad.stdout.includes(`'"sidebar"' is not assignable to type 'Kind | undefined'`), bad.stdout);
  });
});
