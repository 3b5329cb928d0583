// End to end: a reader's second page (issue 26, second visits). The wasm is named by its
// content and served for a year, immutable; the loader, which names it, for five minutes. So a
// second page in the same browser takes the wasm from the HTTP cache without asking the network,
// the loader from the cache too (or revalidated: a 304, headers only), and shows the banner
// as the first did. No route is set on these pages: Playwright's routing turns the cache off.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WASM, openPage, root, widgetLines, withCollectorAndBrowser } from './harness.mjs';

const TITLE = 'Attaque en cours contre un lieu à Bamako fréquenté par des expatriés';

/**
 * Loads the demo in `page` and waits for the banner's title; for the loader and the wasm,
 * what Chromium's network layer reports (status, whether from its cache, the bytes that
 * crossed the network, Cache-Control) and the page's own resource timing (transferSize).
 */
async function visit(context, page, origin) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map();
  const paths = new Map([['/embed.js', 'embed.js'], [`/${WASM}`, 'wasm']]);
  const byId = new Map();
  cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
    const name = paths.get(new URL(request.url).pathname);
    if (!name) return;
    byId.set(requestId, name);
    seen.set(name, { requests: (seen.get(name)?.requests ?? 0) + 1, fromCache: false });
  });
  cdp.on('Network.requestServedFromCache', ({ requestId }) => {
    if (byId.has(requestId)) seen.get(byId.get(requestId)).fromCache = true;
  });
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    if (!byId.has(requestId)) return;
    const s = seen.get(byId.get(requestId));
    s.status = response.status;
    s.fromCache ||= response.fromDiskCache || response.fromPrefetchCache;
    s.cacheControl = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'cache-control')?.[1];
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    if (byId.has(requestId)) seen.get(byId.get(requestId)).wire = encodedDataLength;
  });
  await page.goto(`${origin}/`);
  await page.locator('[data-depeche=banner] [part=title]').filter({ hasText: TITLE }).waitFor();
  const timing = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('resource').map((e) => [new URL(e.name).pathname, e.transferSize])));
  for (const [path, name] of paths) seen.get(name).transferSize = timing[path];
  await cdp.detach();
  return Object.fromEntries(seen);
}

describe('a second visit', () => {
  const env = withCollectorAndBrowser();

  it('takes the wasm from the HTTP cache, the loader from the cache or a 304, and shows the banner both times', async (t) => {
    const { context, page, record } = await openPage(env.browser);
    const first = await visit(context, page, env.server.origin);
    // The first visit downloads both, with the policies that make the second one cheap.
    const br = statSync(join(root, `${WASM}.br`)).size;
    assert.equal(first.wasm.requests, 1, JSON.stringify(first));
    assert.equal(first.wasm.status, 200);
    assert.equal(first.wasm.fromCache, false);
    assert.ok(first.wasm.wire >= br, `the wasm crossed the network: ${first.wasm.wire} bytes, its Brotli file ${br}`);
    assert.ok(first.wasm.transferSize >= br, `resource timing: ${first.wasm.transferSize}`);
    assert.equal(first.wasm.cacheControl, 'public, max-age=31536000, immutable');
    assert.equal(first['embed.js'].status, 200);
    assert.equal(first['embed.js'].fromCache, false);
    assert.ok(first['embed.js'].transferSize > 0);
    assert.equal(first['embed.js'].cacheControl, 'public, max-age=300');

    // Another page of the site, in the same browser.
    const second = await context.newPage();
    second.on('console', (m) => record.console.push(`${m.type()}: ${m.text()}`));
    second.on('pageerror', (e) => record.errors.push(e.message));
    const again = await visit(context, second, env.server.origin);
    t.diagnostic(`first visit ${JSON.stringify(first)}; second ${JSON.stringify(again)}`);
    assert.equal(again.wasm.requests, 1, JSON.stringify(again));
    assert.equal(again.wasm.fromCache, true, JSON.stringify(again.wasm));
    assert.equal(again.wasm.wire, 0, 'no byte of the wasm crossed the network');
    assert.equal(again.wasm.transferSize, 0, 'resource timing: from the cache');
    // Five minutes fresh: from the cache; once stale, a 304 (headers only) would do.
    const loader = again['embed.js'];
    assert.ok(loader.fromCache || loader.status === 304, JSON.stringify(loader));
    assert.ok(loader.wire < 1000, `the loader's ${loader.wire} bytes over the network`);
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });
});
