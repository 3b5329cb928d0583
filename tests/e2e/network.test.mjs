// End to end: failing networks and malformed feeds never throw into the host page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  answered, fetchesOf, launch, nextTask, openPage, pauseClock, recordConsole, recordFetches, saidBy, startCollector, widgetLines,
} from './harness.mjs';
import { GOOD, json, startChaos } from './chaos.mjs';

const TITLE = 'Attaque en cours contre un lieu à Bamako fréquenté par des expatriés';

describe('failing networks and malformed feeds', () => {
  let server, browser, chaos;
  const state = { flaky: 'good', retryAfterHits: 0 };
  before(async () => {
    server = await startCollector();
    browser = await launch();
    const deep = '['.repeat(200) + ']'.repeat(200);
    chaos = await startChaos({
      '/hang': () => {},
      '/500': json('{"error":"boom"}', 500),
      '/truncated': json(GOOD.subarray(0, GOOD.length / 2)),
      '/invalid-utf8': json(Buffer.concat([Buffer.from('{"items":[{"id":"a","title":"caf'), Buffer.from([0xe9, 0xff]), Buffer.from('"}]}')])),
      '/deep': json(`{"items":[${deep}]}`),
      '/wrong-types': json('{"items":"none"}'),
      '/missing': json('{"title":"no items"}'),
      '/bom': json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"items":[{"id":"b","title":"Café à Bamako"}]}')])),
      '/bad-item': json('{"items":[{"id":"x","title":"Bon","_depeche":{"urgency":1}},{"id":"y","title":"T","date_published":"hier"}]}'),
      '/big': json(Buffer.alloc(3_000_000, 0x20)),
      '/big-chunked': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        for (let i = 0; i < 30; i++) res.write(Buffer.alloc(100_000, 0x20));
        res.end('{}');
      },
      '/retry-after': (req, res, hit) =>
        hit === 1 ? json('busy', 429, { 'Retry-After': '2' })(req, res) : json(GOOD)(req, res),
      // The date form: 3 s ahead, which the whole seconds of an HTTP date make 2 to 3 s.
      '/retry-after-date': (req, res, hit) =>
        hit === 1 ? json('busy', 503, { 'Retry-After': new Date(Date.now() + 3000).toUTCString() })(req, res) : json(GOOD)(req, res),
      '/down': json('down', 503),
      '/flaky': (req, res) =>
        state.flaky === 'good' ? json(GOOD)(req, res) :
        state.flaky === 'newer' ? json(GOOD.toString().replace(TITLE, `${TITLE} (mise à jour)`))(req, res) :
        json('down', 503)(req, res),
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await chaos?.stop();
  });

  /**
   * Opens a host page whose feed is `feedPath`, its clock paused (retries, timeouts and
   * Retry-After waits pass when the test moves it), its feed requests and the widget's lines
   * recorded by the page; returns the page and what it recorded.
   */
  async function host(feedPath, attrs = '') {
    const { context, page, record } = await openPage(browser);
    const thrown = [];
    await context.exposeFunction('__thrown', (t) => thrown.push(t));
    await context.addInitScript(() => {
      window.addEventListener('error', (e) => window.__thrown(`error: ${e.message}`));
      window.addEventListener('unhandledrejection', (e) => window.__thrown(`rejection: ${e.reason}`));
      window.__events = [];
      document.addEventListener('depeche:error', (e) => window.__events.push(e.detail.message));
    });
    await pauseClock(page);
    await recordFetches(page, feedPath);
    await recordConsole(page);
    await page.goto(chaos.host(feedPath, attrs));
    return { context, page, record, thrown };
  }

  /** Waits until the widget has written a line, running `step` (if given) between looks. */
  async function untilSaid(page, step) {
    for (let i = 0; i < 100 && (await saidBy(page)).length === 0; i++) {
      await step?.();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Runs the clock past the first `n` retries the widget may make (full jitter: retry k waits
   * up to 2^k s), each answered before the clock moves on: a request in flight while the
   * clock jumps would run out its own time (data-timeout) without the network's fault.
   */
  async function pastRetries(page, n) {
    for (let k = 0; k < n; k++) {
      await answered(page, (await fetchesOf(page)).length);
      await page.clock.runFor(1000 * 2 ** k + 100);
    }
    await answered(page, (await fetchesOf(page)).length);
  }

  const cases = [
    ['/hang', 'data-timeout="1"', (u) => `the feed ${u} did not answer within 1 s (data-timeout)`],
    ['/500', '', (u) => `the feed ${u} answered HTTP 500`],
    ['/truncated', '', (u) => `the feed ${u} is not valid JSON`],
    ['/invalid-utf8', '', (u) => `the feed ${u} is not valid UTF-8`],
    ['/deep', '', () => 'items[0]: expected an object, found an array'],
    ['/wrong-types', '', () => 'items: expected an array, found a string'],
    ['/missing', '', () => 'items: missing'],
    ['/big', '', (u) => `the feed ${u} is larger than the limit of 2000000 bytes (data-max-bytes); not read`],
    ['/big-chunked', '', (u) => `the feed ${u} is larger than the limit of 2000000 bytes (data-max-bytes); not read`],
  ];
  for (const [path, attrs, message] of cases) {
    it(`${path}: one clear message, nothing thrown, the page as it was`, async () => {
      const url = path;
      const { context, page, record, thrown } = await host(path, attrs);
      if (path === '/hang') {
        // The request never ends: its second passes as the clock moves. Then two retries,
        // which hang and run out their second too.
        await untilSaid(page, () => page.clock.runFor(1100));
        for (let i = 0; i < 4; i++) await page.clock.runFor(1100);
        assert.ok((await fetchesOf(page)).length >= 2, 'retried');
      } else {
        await untilSaid(page);
        // Whatever retries the widget makes in the next seven seconds say nothing more.
        await pastRetries(page, 3);
      }
      await nextTask(page);
      assert.deepEqual(await saidBy(page), [`warning: depeche: ${message(url)}`]);
      // The host hears of it too: a depeche:error event from each mount point.
      assert.deepEqual([...new Set(await page.evaluate(() => window.__events))], [message(url)]);
      assert.deepEqual(record.errors, []);
      assert.deepEqual(thrown, []);
      assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('[data-depeche]')].map((m) => m.shadowRoot)), [null, null]);
      assert.equal(await page.locator('#host').textContent(), 'Page hôte');
      await context.close();
    });
  }

  it('an invalid item is skipped with its path, the valid ones render', async () => {
    const { context, page, record, thrown } = await host('/bad-item');
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    assert.equal(await page.locator('[data-depeche=card] [part=title]').textContent(), 'Bon');
    assert.deepEqual(await saidBy(page), ['warning: depeche: items[1].date_published: not an RFC 3339 date']);
    assert.deepEqual(thrown, []);
    await context.close();
  });

  it('reads a feed that starts with a UTF-8 byte order mark, as JSON.parse alone would not', async () => {
    const { context, page, record, thrown } = await host('/bom');
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    assert.equal(await page.locator('[data-depeche=card] [part=title]').textContent(), 'Café à Bamako');
    assert.deepEqual(widgetLines(record), []);
    assert.deepEqual(thrown, []);
    await context.close();
  });

  /**
   * Opens `path`, whose first answer carries Retry-After; checks that the widget asks again
   * exactly when it said, not 50 ms before, and then renders.
   */
  async function honoursRetryAfter(path, status) {
    const { context, page, record, thrown } = await host(path);
    const header = (await answered(page, 1))[0].headers['retry-after'];
    // The page's clock has not moved since the widget read the answer.
    const now = await page.evaluate(() => Date.now());
    const wait = /^\d+$/.test(header) ? Number(header) * 1000 : Math.max(0, Date.parse(header) - now);
    // Without it the first retry would come within a second (full jitter under BASE_MS).
    assert.ok(wait >= 1500, `Retry-After ${header} is ${wait} ms`);
    await page.clock.runFor(wait - 50);
    assert.equal((await fetchesOf(page)).length, 1, `not asked again ${wait - 50} ms after Retry-After: ${header}`);
    await page.clock.runFor(100);
    assert.equal((await fetchesOf(page)).length, 2, `asked again ${wait + 50} ms after`);
    await page.locator('[data-depeche=card] [part=title]').waitFor({ timeout: 10_000 });
    assert.deepEqual(await saidBy(page), [`warning: depeche: the feed ${path} answered HTTP ${status}`]);
    assert.deepEqual(thrown, []);
    assert.deepEqual(record.errors, []);
    await context.close();
  }

  it('honours Retry-After, then renders', () => honoursRetryAfter('/retry-after', 429));

  it('honours Retry-After given as an HTTP date', () => honoursRetryAfter('/retry-after-date', 503));

  it('retries a failing feed five times, then waits for the next refresh', async () => {
    const path = '/down';
    const { context, page } = await openPage(browser);
    // No jitter: every backoff is 0 ms, so the five retries come as soon as the clock moves.
    await context.addInitScript(() => { Math.random = () => 0; });
    await pauseClock(page);
    await recordFetches(page, path);
    await recordConsole(page);
    await page.goto(chaos.host(path, 'data-refresh="3600"'));
    for (let i = 0; i < 10; i++) {
      await answered(page, (await fetchesOf(page)).length);
      await page.clock.runFor(10);
    }
    assert.equal((await answered(page, 6)).length, 6, 'the first request and five retries');
    // An hour less a second: nothing more...
    await page.clock.runFor(3_599_000);
    assert.equal((await fetchesOf(page)).length, 6, 'then nothing until the next refresh');
    // ...and the control: the refresh asks again.
    await page.clock.runFor(2000);
    assert.equal((await answered(page, 7)).length, 7, 'the next refresh');
    assert.deepEqual(await saidBy(page), [`warning: depeche: the feed ${path} answered HTTP 503`]);
    await context.close();
  });

  it('shows the last good copy when the network fails, then the fresh one', async () => {
    const url = '/flaky';
    state.flaky = 'good';
    const { context, page, record, thrown } = await host(url);
    const title = page.locator('[data-depeche=card] [part=title]');
    await title.waitFor();
    const stored = await page.evaluate(() => localStorage.getItem('depeche:last-feed'));
    assert.ok(stored.startsWith(`${url}\n`), 'one namespaced key holds the copy');

    state.flaky = 'down';
    await page.reload();
    await title.waitFor();
    await untilSaid(page);
    assert.equal(await title.textContent(), TITLE, 'the last good copy is shown');
    assert.deepEqual(await saidBy(page), [`warning: depeche: the feed ${url} answered HTTP 503`]);

    // The first retry, within a second, brings the newer copy.
    await answered(page, 1);
    state.flaky = 'newer';
    await page.clock.runFor(1100);
    await page.locator('[data-depeche=card] [part=title]', { hasText: 'mise à jour' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(thrown, []);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('a localStorage that throws changes nothing visible', async () => {
    const { context, page, record } = await openPage(browser);
    await context.addInitScript(() => {
      for (const name of ['getItem', 'setItem', 'removeItem']) {
        Storage.prototype[name] = () => { throw new DOMException('quota', 'QuotaExceededError'); };
      }
    });
    await page.goto(`${server.origin}/`);
    const title = page.locator('[data-depeche=card] [part=title]');
    await title.waitFor();
    assert.equal(await title.textContent(), TITLE);
    await page.locator('[data-depeche=banner] [part=close]').click();
    assert.equal(await page.locator('[data-depeche=banner] [part=title]').textContent(),
      'Flash floods cut the main road out of Niamey', 'the banner still closes its item');
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });
});
