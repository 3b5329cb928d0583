// End to end: Subresource Integrity. The loader fetches the wasm with the hash the build wrote
// into it: a wasm altered by one byte is refused (one `depeche:` message, the page left as it
// was) and the genuine one loads. A partner's script tag with `integrity` and `crossorigin`, as
// the README's snippet has them, loads the widget from the collector; with a wrong hash, nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WASM, launch, openPage, root, startCollector, widgetLines } from './harness.mjs';

const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const wasmBytes = readFileSync(join(root, WASM));
const embedBytes = readFileSync(join(root, 'pkg/embed.js'));

/** `wasm` with one byte changed, and still a valid module: a letter of an English label. */
function alteredByOneByte(wasm) {
  const at = wasm.indexOf('Read more');
  assert.ok(at > 0, 'the label is in the wasm');
  const altered = Buffer.from(wasm);
  altered[at] = 'r'.charCodeAt(0);
  return altered;
}

/** Resolves once `check()` holds; fails after `ms`. */
async function until(what, check, ms = 10_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The shadow roots of the page's mount points (null where the widget drew nothing). */
const shadows = (page) => page.evaluate(() => [...document.querySelectorAll('[data-depeche]')].map((m) => m.shadowRoot?.innerHTML ?? null));

/**
 * A partner's site on a loopback port of its own: its one page has the README's snippet, with
 * the `integrity` of the query string. (A page made up by the browser's test driver would not
 * do: Chromium would not let it reach the collector on the loopback address.)
 */
async function partnerSite() {
  let collector = '';
  const server = createServer((request, response) => {
    const integrity = new URL(request.url, 'http://partner').searchParams.get('integrity') ?? '';
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head><body>
      <div data-depeche="card" data-article="kangaba-attack-2017-06-18"></div>
      <script type="module" src="${collector}/embed.js" integrity="${integrity}" crossorigin="anonymous"
              data-feed="${collector}/feed.json" data-beacon="${collector}/beacon" data-lang="fr"></script></body></html>`);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    serveFrom: (origin) => (collector = origin),
    close: () => new Promise((ok) => server.close(ok)),
  };
}

describe('Subresource Integrity', () => {
  const env = { server: null, browser: null, partner: null };
  before(async () => {
    env.partner = await partnerSite();
    env.server = await startCollector(['--allow-origin', env.partner.origin]);
    env.partner.serveFrom(env.server.origin);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
    await env.partner?.close();
  });

  it('the loader carries the hash of the wasm it was built with', () => {
    assert.ok(embedBytes.includes(sri(wasmBytes)), `pkg/embed.js lacks ${sri(wasmBytes)}`);
    assert.ok(WebAssembly.validate(alteredByOneByte(wasmBytes)), 'the altered wasm would compile');
  });

  it('loads the genuine wasm and refuses one altered by one byte: one message, the page untouched', async () => {
    for (const altered of [false, true]) {
      const { context, page, record } = await openPage(env.browser);
      const rejections = [];
      await page.exposeFunction('__rejection', (r) => rejections.push(r));
      await page.addInitScript(() => window.addEventListener('unhandledrejection', (e) => window.__rejection(String(e.reason))));
      let served = 0;
      // The wasm as the collector sends it, or with one byte changed on the way.
      await page.route(`**/${WASM}`, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['content-encoding'];
        delete headers['content-length'];
        const body = await response.body();
        served++;
        await route.fulfill({ status: response.status(), headers, body: altered ? alteredByOneByte(body) : body });
      });
      await page.goto(`${env.server.origin}/`);
      const html = await page.evaluate(() => document.body.innerHTML);
      if (altered) {
        await until('the depeche: message', () => widgetLines(record).length > 0);
        const lines = widgetLines(record);
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0], /^warning: depeche: the widget could not start: .*\/pkg\/depeche_bg\.[0-9a-f]{16}\.wasm could not be fetched, or is not the wasm this embed\.js was built with/);
        assert.ok((await shadows(page)).every((s) => s === null), 'the widget drew nothing');
        assert.equal(await page.evaluate(() => document.body.innerHTML), html, 'the page is as it was');
      } else {
        await page.locator('[data-depeche=card] [part=title]').waitFor();
        assert.deepEqual(widgetLines(record), []);
      }
      assert.equal(served, 1, 'the wasm went through the route once');
      assert.deepEqual(record.errors, []);
      assert.deepEqual(rejections, []);
      await context.close();
    }
  });

  it("a partner page's tag with integrity and crossorigin loads the widget; with a wrong hash, nothing", async () => {
    for (const [integrity, loads] of [[sri(embedBytes), true], [sri(Buffer.from('another loader')), false]]) {
      const { context, page, record } = await openPage(env.browser);
      await page.goto(`${env.partner.origin}/?integrity=${encodeURIComponent(integrity)}`);
      if (loads) {
        await page.locator('[data-depeche=card] [part=title]').waitFor();
        assert.deepEqual(widgetLines(record), []);
        assert.deepEqual(record.console.filter((l) => /integrity|CORS/i.test(l)), []);
      } else {
        await until("Chromium's refusal", () => record.console.some((l) => l.includes("'integrity'")));
        assert.deepEqual(await shadows(page), [null]);
        assert.deepEqual(widgetLines(record), []);
      }
      assert.deepEqual(record.errors, []);
      await context.close();
    }
  });
});
