// End to end: alerts pushed to open pages through the collector's event stream (data-events),
// and the polling fallback where the stream cannot work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  RECOUNT_MS, answered, fetchesOf, instrument, nextTask, openPage, pauseClock, percentile, recordConsole, recordFetches, runPastView,
  saidBy, setHidden, widgetLines, withBrowserAndCollectorPerTest,
} from './harness.mjs';
import { GOOD, json, startChaos } from './chaos.mjs';

const TOKEN = 'e2e-push';
const TRIALS = 20;
/** The demo pages' refresh interval (data-refresh="15"). */
const REFRESH_MS = 15_000;
/** A stream's first event must come within this long (live::FIRST_EVENT_MS). */
const FIRST_EVENT_MS = 10_000;

/** The widget's lines the page has written that include `text`. */
const saidOf = async (page, text) => (await saidBy(page)).filter((l) => l.includes(text));

// Each test has a collector of its own (what one publishes no other sees). Where time
// matters, its page's clock is paused and moved by the test.
describe('push alerts', () => {
  const env = withBrowserAndCollectorPerTest(['--publish-token', TOKEN]);
  let chaos;
  /** Holds the slow feed's third answer until the test calls it. */
  let releaseSlow = () => {};
  /** The open responses of `/stream` and `/lagging-stream`, for the tests to send events on. */
  const streams = [];
  const lagging = [];
  const LAGGING = 'Alerte : coupure générale d’électricité à Bamako';
  const withLaggingAlert = (() => {
    const feed = JSON.parse(GOOD);
    feed.items.unshift({ id: 'lagging', title: LAGGING, language: 'fr', date_published: new Date().toISOString(), _depeche: { urgency: 1 } });
    return JSON.stringify(feed);
  })();
  before(async () => {
    chaos = await startChaos({
      '/feed.json': json(GOOD),
      // The third request (the first refresh by the clock) is answered when the test says.
      '/slow-feed': (req, res, hit) => {
        if (hit !== 3) return json(GOOD)(req, res);
        releaseSlow = () => json(GOOD)(req, res);
      },
      '/stream': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('event: feed\nid: 1\ndata: 1\n\n');
        streams.push(res);
      },
      // An instance that had not heard of version 2 yet: its first two answers are version 1
      // (the load, then one after the stream announced 2), the next ones version 2.
      '/lagging-feed': (req, res, hit) =>
        json(hit <= 2 ? GOOD : withLaggingAlert, 200, { 'Depeche-Version': hit <= 2 ? '1' : '2' })(req, res),
      '/lagging-stream': (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('event: feed\nid: 1\ndata: 1\n\n');
        lagging.push(res);
      },
      // A proxy that buffers: the stream's headers come, its events never do.
      '/buffered': (req, res) => { res.writeHead(200, { 'Content-Type': 'text/event-stream' }); res.write(':\n\n'); },
    });
  });
  after(() => chaos?.stop());

  const publish = async (item) => {
    const r = await fetch(`${env.server.origin}/publish`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(item),
    });
    assert.equal(r.status, 201, await r.text());
  };
  const alert = (id, title, status) => ({
    id, title, language: 'fr', date_published: new Date().toISOString(),
    _depeche: status ? { urgency: 1, status } : { urgency: 1 },
  });
  const open = async (url, options = {}, paused = false) => {
    const opened = await openPage(env.browser, { reducedMotion: 'reduce', ...options });
    if (paused) await pauseClock(opened.page);
    await opened.page.addInitScript(instrument);
    await recordFetches(opened.page);
    const feeds = [];
    opened.page.on('request', (r) => { if (r.url().includes('/feed.json')) feeds.push(Date.now()); });
    await opened.page.goto(url);
    await opened.page.locator('[data-depeche=banner] [part=title]').waitFor();
    return { ...opened, feeds };
  };
  /** Starts waiting, in each page, for `text` to be in (or out of) `selector`'s widget. */
  const expect = (pages, selector, text, present) =>
    Promise.all(pages.map(({ page }) => page.evaluate(([s, t, p]) => { window.__pending = window.__when(s, t, p, 10_000); }, [selector, text, present])));
  const arrived = (pages) => Promise.all(pages.map(({ page }) => page.evaluate(() => window.__pending)));

  it(`a published alert reaches the publisher's and a partner's open pages within a second, and a withdrawal leaves them (${TRIALS} trials)`, async () => {
    const pages = [await open(`${env.server.origin}/`), await open(`${env.server.partner}/`)];
    for (const { page } of pages) {
      await page.waitForFunction(() => window.__sources.open === 1);
    }
    const shown = [];
    const gone = [];
    for (let i = 0; i < TRIALS; i++) {
      const title = `Alerte ${i} : explosion signalée près de l’aéroport de Bamako`;
      await expect(pages, '[data-depeche=banner]', title, true);
      const published = Date.now();
      await publish(alert(`push-${i}`, title));
      shown.push(...(await arrived(pages)).map((t) => t - published));
      await expect(pages, '[data-depeche]', title, false);
      const withdrawn = Date.now();
      await publish(alert(`push-${i}`, title, 'withdrawn'));
      gone.push(...(await arrived(pages)).map((t) => t - withdrawn));
    }
    const line = (name, v) => `${name}: p50 ${percentile(v, 50)} ms, p95 ${percentile(v, 95)} ms, max ${Math.max(...v)} ms (${v.length} page-trials)`;
    console.log(`push, publisher and partner pages: ${line('published → in the banner', shown)}; ${line('withdrawn → out of every node', gone)}`);
    for (const { page, record, context } of pages) {
      assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 1 }, 'one stream per page, all along');
      assert.deepEqual(record.errors, []);
      assert.deepEqual(widgetLines(record), []);
      await context.close();
    }
  });

  /** Waits for the page's streams to have brought `n` events in all. */
  const streamEvents = (page, n) => page.waitForFunction((k) => window.__streamEvents >= k, n, { timeout: 10_000 });

  it('a hidden page closes its stream; seen again, it reconnects and fetches once, or shows what was published meanwhile', async () => {
    const { page, context } = await open(`${env.server.origin}/`, {}, true);
    // The stream's first event before the clock moves (it has ten seconds to come), then past
    // the view's beacon and the recount after it.
    await streamEvents(page, 1);
    await runPastView(page);
    await page.clock.runFor(RECOUNT_MS);
    let made = (await answered(page, 2)).length;
    await setHidden(page, true);
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 0 }, 'closed while hidden');

    // Nothing published meanwhile: one conditional request when seen again (the new
    // stream's first event is the version the page has).
    await setHidden(page, false);
    await streamEvents(page, 2);
    assert.equal((await answered(page, made + 1)).length, made + 1, 'one refresh on becoming visible');
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 2, open: 1 });
    made += 1;

    // Published while hidden: nothing is fetched until the page is seen, four refresh
    // intervals on; then it shows at once, the clock standing still.
    await setHidden(page, true);
    const title = 'Publiée pendant que la page était cachée';
    await publish(alert('while-hidden', title));
    await page.clock.runFor(4 * REFRESH_MS);
    assert.equal((await fetchesOf(page)).length, made, 'no request while hidden');
    const shownAt = Date.now();
    await setHidden(page, false);
    await page.locator('[data-depeche=banner] [part=title]', { hasText: title }).waitFor({ timeout: 10_000 });
    console.log(`published while hidden: in the banner ${Date.now() - shownAt} ms after the page was seen again`);
    await context.close();
  });

  it('with the stream blocked, the widget says so once and polling still brings the alert', async () => {
    const { page, context, record } = await openPage(env.browser, { reducedMotion: 'reduce' });
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page);
    await recordConsole(page);
    // As a Content-Security-Policy without the stream in connect-src would, or a proxy that refuses it.
    await page.route('**/events', (route) => route.abort());
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.made >= 1 && window.__sources.open === 0);
    // Past the view's beacon and the recount after it, which starts the refresh interval anew.
    await runPastView(page);
    await page.clock.runFor(RECOUNT_MS);
    const made = (await answered(page, 2)).length;
    const title = 'Alerte arrivée par le rafraîchissement';
    await publish(alert('polled', title));
    // Not before the refresh is due...
    await page.clock.runFor(REFRESH_MS - 100);
    assert.equal((await fetchesOf(page)).length, made, 'no request before the refresh interval');
    // ...and brought by it.
    await page.clock.runFor(200);
    await page.locator('[data-depeche=banner] [part=title]', { hasText: title }).waitFor({ timeout: 10_000 });
    // The stream tried again meanwhile (the first wait is at most a second) and was refused
    // again: still one message.
    await page.waitForFunction(() => window.__sources.made >= 2 && window.__streamErrors >= 2, null, { timeout: 10_000 });
    const said = await saidOf(page, 'live alerts');
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0], /depeche: live alerts from \/events failed; polling instead/);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it("a page whose Content-Security-Policy leaves the stream out of connect-src gets one message, and the widget works", async () => {
    const { page, context, record } = await openPage(env.browser);
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordConsole(page);
    const o = env.server.origin;
    // The feed, the beacon and the wasm are allowed; the stream is not.
    const csp = `<meta http-equiv="Content-Security-Policy" content="connect-src ${o}/feed.json ${o}/beacon ${o}/pkg/">`;
    await page.route(`${o}/`, async (route) => {
      const html = await (await route.fetch()).text();
      await route.fulfill({ body: html.replace('<head>', `<head>${csp}`), contentType: 'text/html; charset=utf-8' });
    });
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
    await page.goto(`${o}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    const failed = 'live alerts from /events failed; polling instead';
    await page.waitForFunction((t) => window.__said.some((l) => l.includes(t)), failed, { timeout: 10_000 });
    // Tried again (the first wait is at most a second), refused again: still one message.
    await page.clock.runFor(1100);
    await page.waitForFunction(() => window.__sources.made >= 2 && window.__streamErrors >= 2, null, { timeout: 10_000 });
    assert.equal((await saidOf(page, failed)).length, 1, widgetLines(record).join('\n'));
    for (let i = 0; i < 100 && !violations.some((v) => v.includes('/events')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(violations.some((v) => v.includes('/events')), `the browser refused the stream: ${violations.join('\n')}`);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('an event that comes while a refresh by the clock is in flight is not lost: the feed is fetched again after it', async () => {
    const { page, context, record } = await openPage(env.browser);
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page, '/slow-feed');
    await page.goto(chaos.host('/slow-feed', 'data-events="/stream" data-refresh="15"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    // The load, then the stream's first event (a version the page has not heard of).
    await streamEvents(page, 1);
    await answered(page, 2);
    await page.clock.runFor(REFRESH_MS + 100);
    // The refresh by the clock: asked, and held by the server.
    await page.waitForFunction(() => window.__fetches.length === 3, null, { timeout: 10_000 });
    streams.at(-1).write('event: feed\nid: 2\ndata: 2\n\n');
    await streamEvents(page, 2);
    await nextTask(page);
    assert.deepEqual((await fetchesOf(page)).map((f) => f.status), [200, 200, null], 'not fetched during the refresh in flight');
    releaseSlow();
    // The control: once it ends, fetched again.
    assert.equal((await answered(page, 4)).length, 4, 'fetched again once the slow refresh ended');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('an answer older than the version the stream announced is fetched again at once', async () => {
    const { page, context, record } = await openPage(env.browser);
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page, '/lagging-feed');
    await page.goto(chaos.host('/lagging-feed', 'data-events="/lagging-stream" data-refresh="0"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await streamEvents(page, 1);
    await nextTask(page);
    assert.equal((await fetchesOf(page)).length, 1, 'the stream opened on the version loaded: nothing fetched again');
    lagging.at(-1).write('event: feed\nid: 2\ndata: 2\n\n');
    // Without polling (and with the clock paused), only fetching again once the answer said 1
    // brings the alert.
    await page.locator('[data-depeche=banner] [part=title]', { hasText: LAGGING }).waitFor({ timeout: 10_000 });
    assert.equal((await answered(page, 3)).length, 3, 'the lagging answer, then the one with the alert, and no more');
    assert.equal(chaos.hits('/lagging-feed').length, 3);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('a stream whose events never come (a buffering proxy) is given up after 10 s', async () => {
    const { page, context, record } = await openPage(env.browser);
    await pauseClock(page);
    // The retry's jitter pinned to half its bound: the first retry waits 500 ms.
    await context.addInitScript(() => { Math.random = () => 0.5; });
    await page.addInitScript(instrument);
    await recordConsole(page);
    await page.goto(chaos.host('/feed.json', 'data-events="/buffered" data-refresh="15"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.open === 1);
    const failed = 'live alerts from /buffered failed';
    await page.clock.runFor(FIRST_EVENT_MS - 100);
    assert.deepEqual(await saidOf(page, failed), [], 'not given up before 10 s');
    await page.clock.runFor(200);
    assert.equal((await saidOf(page, failed)).length, 1, 'given up at 10 s');
    // Closed, and tried again when its backoff says (the clock is at 10.1 s, the retry due at
    // 10.5 s), never two at once.
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 0 }, 'closed');
    await page.clock.runFor(300);
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 0 }, 'not before its backoff');
    await page.clock.runFor(200);
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 2, open: 1 }, 'tried again');
    assert.equal((await saidOf(page, failed)).length, 1, 'said once');
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
