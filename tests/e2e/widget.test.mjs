// End to end: the demo pages served by the collector, in headless Chromium.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VIEW_MS, WASM, artifacts, inView, keepCountStill, openPage, pauseClock, root, shadowText, widgetLines, withBrowserAndCollectorPerTest } from './harness.mjs';

const TITLE = 'Attaque en cours contre un lieu à Bamako fréquenté par des expatriés';
const STORY = 'kangaba-attack-2017-06-18';
const byline = (views) => `Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu ${views} fois`;
const BYLINE_FR = byline(376);

// Each test has a collector of its own: a byline shows the feed's own count, 376, which no
// other test's reader can have raised (a page that keeps the card in view for a second
// counts a view, and the next refresh would show it: those tests answer their beacons).
describe('the demo pages', () => {
  const env = withBrowserAndCollectorPerTest();

  it('shows the French banner and card with the exact text', async () => {
    const { context, page, record } = await openPage(env.browser);
    await keepCountStill(page);
    await page.goto(`${env.server.origin}/`);
    const banner = page.locator('[data-depeche=banner] [part=content]');
    await banner.filter({ hasText: TITLE }).waitFor();
    assert.equal(await banner.textContent(), `URGENT : ${TITLE}`);
    const announce = page.locator('[data-depeche=banner] [part=announce]');
    await announce.filter({ hasText: TITLE }).waitFor();
    assert.equal(await announce.getAttribute('aria-live'), 'assertive');
    assert.equal(await shadowText(page, '[data-depeche=card]', '[part=title]'), TITLE);
    assert.equal(await shadowText(page, '[data-depeche=card]', '[part=byline]'), BYLINE_FR);
    assert.equal(
      await shadowText(page, '[data-depeche=card]', '[part=lede]'),
      'Une attaque était en cours dimanche après-midi contre un campement touristique à Bamako, la capitale malienne. ' +
        "Il s'agit du campement Kangaba, un hotel fréquenté par les Occidentaux.",
    );
    await page.screenshot({ path: join(artifacts, 'demo-fr.png'), fullPage: true });
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });

  it('loads the widget precompressed: Brotli files, as built, byte for byte', async () => {
    const { context, page, record } = await openPage(env.browser);
    const served = new Map();
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      if (path === '/embed.js' || path.startsWith('/pkg/')) served.set(path, response);
    });
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    // The loader carries the wasm's JS glue: the page never asks for it separately.
    assert.ok(!served.has('/pkg/depeche.js'), 'the glue was loaded on its own');
    for (const [path, file] of [['/embed.js', 'pkg/embed.js'], [`/${WASM}`, WASM]]) {
      const response = served.get(path);
      assert.ok(response, `${path} was not loaded`);
      assert.equal(response.headers()['content-encoding'], 'br', path);
      // What crossed the wire is the .br file; what the page got is the file itself.
      const sizes = await response.request().sizes();
      assert.equal(sizes.responseBodySize, statSync(join(root, `${file}.br`)).size, path);
      assert.ok((await response.body()).equals(readFileSync(join(root, file))), path);
    }
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('expands and collapses the card by mouse', async () => {
    const { context, page } = await openPage(env.browser);
    await page.goto(`${env.server.origin}/`);
    const toggle = page.locator('[data-depeche=card] button[part=toggle]');
    const signature = page.locator('[data-depeche=card] [part=signature]');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await signature.isVisible(), false);
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await toggle.textContent(), 'Réduire');
    await signature.waitFor({ state: 'visible' });
    assert.equal(await signature.textContent(), 'Kassim Traoré, correspondant à Bamako');
    await page.screenshot({ path: join(artifacts, 'demo-fr-expanded.png'), fullPage: true });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await signature.waitFor({ state: 'hidden' });
    await context.close();
  });

  it('expands and collapses the card by keyboard', async () => {
    const { context, page } = await openPage(env.browser);
    await page.goto(`${env.server.origin}/`);
    const toggle = page.locator('[data-depeche=card] button[part=toggle]');
    await toggle.waitFor();
    // Tab through the page until the toggle has focus, as a keyboard user would.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      if (await toggle.evaluate((el) => el.getRootNode().activeElement === el)) break;
    }
    assert.ok(await toggle.evaluate((el) => el.getRootNode().activeElement === el), 'the toggle is reachable by Tab');
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Space');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await context.close();
  });

  it('opens the card from the banner', async () => {
    const { context, page } = await openPage(env.browser, { viewport: { width: 1000, height: 400 } });
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=banner] button[part=title]').click();
    const toggle = page.locator('[data-depeche=card] button[part=toggle]');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.ok(await toggle.evaluate((el) => el.getRootNode().activeElement === el), 'focus moved to the card');
    await context.close();
  });

  it('closes the banner and remembers it', async () => {
    const { context, page } = await openPage(env.browser);
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=banner] [part=close]').click();
    const next = page.locator('[data-depeche=banner] [part=title]');
    assert.equal(await next.textContent(), 'Flash floods cut the main road out of Niamey');
    await page.reload();
    await next.waitFor();
    assert.equal(await next.textContent(), 'Flash floods cut the main road out of Niamey');
    await context.close();
  });

  it('speaks English on the English page, and inserts the banner itself', async () => {
    const { context, page, record } = await openPage(env.browser);
    await keepCountStill(page);
    await page.goto(`${env.server.origin}/en.html`);
    const byline = page.locator('[data-depeche=card] [part=byline]');
    await byline.waitFor();
    assert.equal((await byline.textContent()).replace(/\u202f/g, ' '), 'By Massene Diop · June 18, 2017 at 6:48 PM · Read 376 times');
    const first = await page.evaluate(() => document.body.firstElementChild.getAttribute('data-depeche'));
    assert.equal(first, 'banner');
    assert.equal(await page.locator('[data-depeche=card] [part=toggle]').textContent(), 'Read more');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('renders once when the script is loaded twice, with several cards', async () => {
    const { context, page, record } = await openPage(env.browser);
    // One instance owns the page (issue 12): one wasm download, one refresh loop.
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${env.server.origin}/two-cards.html`);
    await page.locator('[data-depeche=card] [part=title]').first().waitFor();
    await page.waitForTimeout(300);
    assert.equal(requests.filter((p) => p.endsWith('.wasm')).length, 1, requests.join(' '));
    assert.equal(requests.filter((p) => p === '/feed.json').length, 1, requests.join(' '));
    const counts = await page.evaluate(() => ({
      mounts: document.querySelectorAll('[data-depeche]').length,
      articles: [...document.querySelectorAll('[data-depeche=card]')].map((m) => m.shadowRoot.querySelectorAll('article').length),
      banners: document.querySelector('[data-depeche=banner]').shadowRoot.querySelectorAll('aside').length,
    }));
    assert.deepEqual(counts, { mounts: 3, articles: [1, 1], banners: 1 });
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('works cross-origin on the partner site', async () => {
    const { context, page, record } = await openPage(env.browser);
    await keepCountStill(page);
    await page.goto(`${env.server.partner}/`);
    const banner = page.locator('[data-depeche=banner] [part=content]');
    await banner.filter({ hasText: TITLE }).waitFor();
    assert.equal(await shadowText(page, '[data-depeche=card]', '[part=byline]'), BYLINE_FR);
    await page.screenshot({ path: join(artifacts, 'partner.png'), fullPage: true });
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });

  it('a broken feed costs one console message and leaves the page as it was', async () => {
    const { context, page, record } = await openPage(env.browser);
    await page.route('**/broken.html', (r) =>
      r.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="fr"><body><p id="host">Page hôte</p><div data-depeche="card"></div>
          <script type="module" src="/embed.js" data-feed="/broken-feed.json"></script></body></html>`,
      }));
    await page.route('**/broken-feed.json', (r) => r.fulfill({ contentType: 'application/json', body: '{"items": [' }));
    await pauseClock(page);
    await page.goto(`${env.server.origin}/broken.html`);
    // The clock is paused, so no retry comes between the message and the check.
    for (let i = 0; i < 100 && widgetLines(record).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(widgetLines(record), ['warning: depeche: the feed /broken-feed.json is not valid JSON']);
    assert.deepEqual(record.errors, []);
    assert.equal(await page.evaluate(() => document.querySelector('[data-depeche=card]').shadowRoot), null);
    assert.equal(await page.locator('#host').textContent(), 'Page hôte');
    await context.close();
  });

  it('builds its Intl formatters and its IntersectionObserver once for twenty cards', async () => {
    const { context, page, record } = await openPage(env.browser);
    await page.addInitScript(() => {
      window.__built = { DateTimeFormat: 0, NumberFormat: 0, PluralRules: 0, IntersectionObserver: 0 };
      const count = (owner, name) => {
        owner[name] = new Proxy(owner[name], { construct(target, args) { window.__built[name] += 1; return Reflect.construct(target, args); } });
      };
      for (const name of ['DateTimeFormat', 'NumberFormat', 'PluralRules']) count(Intl, name);
      count(window, 'IntersectionObserver');
    });
    const ids = ['kangaba-attack-2017-06-18', 'niamey-floods-2017-06-18', 'dakar-port-2017-06-17', 'sahel-summit-2017-06-16'];
    const cards = Array.from({ length: 20 }, (_, i) => `<div data-depeche="card" data-article="${ids[i % 4]}"></div>`).join('');
    await page.route(`${env.server.origin}/twenty.html`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>${cards}
        <script type="module" src="/embed.js" data-feed="/feed.json" data-lang="fr" data-refresh="0" data-beacon="/not-counted"></script></body></html>` }));
    await page.goto(`${env.server.origin}/twenty.html`);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-depeche=card]')].every((c) => c.shadowRoot?.querySelector('[part=byline]')));
    // One date and one time format, one number format and one set of plural rules, and one
    // observer of whether they are seen, for all.
    assert.deepEqual(await page.evaluate(() => window.__built), { DateTimeFormat: 2, NumberFormat: 1, PluralRules: 1, IntersectionObserver: 1 });
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('finds a hundred cards’ watches and mounts without comparing them pair by pair', async () => {
    const { context, page, record } = await openPage(env.browser);
    // Element comparisons from the wasm go through Object.is (wasm-bindgen's JsValue ==).
    await page.addInitScript(() => {
      window.__compared = 0;
      const is = Object.is;
      Object.is = (a, b) => { window.__compared += a instanceof Element ? 1 : 0; return is(a, b); };
      window.__views = 0;
      document.addEventListener('depeche:view', () => { window.__views += 1; });
    });
    const ids = ['kangaba-attack-2017-06-18', 'niamey-floods-2017-06-18', 'dakar-port-2017-06-17', 'sahel-summit-2017-06-16'];
    const cards = Array.from({ length: 100 }, (_, i) => `<div data-depeche="card" data-article="${ids[i % 4]}"></div>`).join('');
    await page.route(`${env.server.origin}/hundred.html`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>${cards}<div id="more"></div>
        <script type="module" src="/embed.js" data-feed="/feed.json" data-lang="fr" data-refresh="0" data-beacon="/not-counted"></script></body></html>` }));
    await pauseClock(page);
    await page.goto(`${env.server.origin}/hundred.html`);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-depeche=card]')].every((c) => c.shadowRoot?.querySelector('[part=byline]')));
    // A card seen for a second: the observer has reported where every card is.
    await inView(page, '[data-depeche=card]');
    await page.clock.runFor(VIEW_MS + 100);
    assert.ok(await page.evaluate(() => window.__views > 0), 'a view was reported');
    // A card added later: the page's mounts are searched for the new one (the clock is
    // paused: no refresh brings it).
    await page.evaluate(() => { document.getElementById('more').innerHTML = '<div id="late" data-depeche="card"></div>'; });
    await page.locator('#late [part=title]').waitFor({ timeout: 10_000 });
    // Pair by pair, a hundred cards made about 10,000 comparisons for each of those.
    const compared = await page.evaluate(() => window.__compared);
    assert.ok(compared < 100, `${compared} element comparisons for 100 cards`);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('asks for the feed while the wasm is still loading', async () => {
    const { context, page, record } = await openPage(env.browser);
    await keepCountStill(page);
    const order = [];
    // The wasm takes half a second to arrive: the feed request must not wait for it.
    await page.route(`**/${WASM}`, async (route) => {
      order.push('wasm asked');
      await new Promise((r) => setTimeout(r, 500));
      order.push('wasm sent');
      await route.continue();
    });
    page.on('request', (r) => r.url().endsWith('/feed.json') && order.push('feed asked'));
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=card] [part=byline]').waitFor();
    // (A refresh the event stream asks for may come later.)
    assert.deepEqual(order.filter((e) => e !== 'wasm asked').slice(0, 2), ['feed asked', 'wasm sent'], order.join(', '));
    assert.equal(await shadowText(page, '[data-depeche=card]', '[part=byline]'), BYLINE_FR);
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });

  it('decodes the feed text once: it is parsed, compared and kept on the JS side', async () => {
    const { context, page, record } = await openPage(env.browser);
    await page.addInitScript(() => {
      // Every byte crossing between JS strings and UTF-8 (the wasm's glue, and the widget's
      // own fatal decoder).
      window.__crossed = 0;
      const decode = TextDecoder.prototype.decode;
      TextDecoder.prototype.decode = function (input, ...rest) {
        window.__crossed += input ? input.byteLength : 0;
        return decode.call(this, input, ...rest);
      };
      const encodeInto = TextEncoder.prototype.encodeInto;
      TextEncoder.prototype.encodeInto = function (text, into) {
        const done = encodeInto.call(this, text, into);
        window.__crossed += done.written;
        return done;
      };
      const encode = TextEncoder.prototype.encode;
      TextEncoder.prototype.encode = function (text) {
        const out = encode.call(this, text);
        window.__crossed += out.byteLength;
        return out;
      };
    });
    const story = JSON.parse(readFileSync(join(root, 'www/feed.json'), 'utf8')).items[0];
    const feed = { version: 'https://jsonfeed.org/version/1.1', title: 'Grand flux', language: 'fr',
      items: Array.from({ length: 40 }, (_, i) => ({ ...story, id: `s-${i}`, _depeche: { urgency: 5, views: i } })) };
    const body = JSON.stringify(feed);
    await page.route(`${env.server.origin}/big.json`, (r) => r.fulfill({ contentType: 'application/feed+json', body }));
    await page.route(`${env.server.origin}/big.html`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body><div data-depeche="card" data-article="s-0"></div>
        <script type="module" src="/embed.js" data-feed="/big.json" data-refresh="0"></script></body></html>` }));
    await page.goto(`${env.server.origin}/big.html`);
    await page.locator('[data-depeche=card] [part=byline]').waitFor();
    // Decoded once (the fatal decoder), its fields read into the wasm once to be checked, and
    // one card's text back out: about twice the feed, where copying the whole text into the
    // wasm, back out for JSON.parse and again for localStorage made it about four times.
    const bytes = Buffer.byteLength(body);
    const crossed = await page.evaluate(() => window.__crossed);
    assert.ok(crossed < 2.5 * bytes, `${crossed} bytes crossed for a ${bytes}-byte feed (${(crossed / bytes).toFixed(2)}×)`);
    // The last good copy is the text as it came.
    assert.equal(await page.evaluate(() => localStorage.getItem('depeche:last-feed')), `/big.json\n${body}`);
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
