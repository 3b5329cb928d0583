// End to end: alerts pushed to open pages through the collector's event stream (data-events),
// and the polling fallback where the stream cannot work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instrument, openPage, percentile, setHidden, widgetLines, withCollectorAndBrowser } from './harness.mjs';
import { GOOD, json, startChaos } from './chaos.mjs';

const TOKEN = 'e2e-push';
const TRIALS = 20;

describe('push alerts', () => {
  const env = withCollectorAndBrowser(['--publish-token', TOKEN]);
  let chaos;
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
      // The third request on (the first refresh by the clock) takes 3 s.
      '/slow-feed': (req, res, hit) => setTimeout(() => json(GOOD)(req, res), hit >= 3 ? 3000 : 0),
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
  const open = async (url, options = {}) => {
    const opened = await openPage(env.browser, { reducedMotion: 'reduce', ...options });
    await opened.page.addInitScript(instrument);
    const feeds = [];
    opened.page.on('request', (r) => { if (r.url().includes('/feed.json')) feeds.push(Date.now()); });
    await opened.page.goto(url);
    await opened.page.locator('[data-depeche=banner] [part=title]').waitFor();
    return { ...opened, feeds };
  };
  /** Starts waiting, in each page, for `text` to be in (or out of) `selector`'s widget. */
  const expect = (pages, selector, text, present) =>
    Promise.all(pages.map(({ page }) => page.evaluate(([s, t, p]) => { window.__pending = window.__when(s, t, p, 3000); }, [selector, text, present])));
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

  it('a hidden page closes its stream; seen again, it reconnects and fetches once, or shows what was published meanwhile', async () => {
    const { page, context, feeds } = await open(`${env.server.origin}/`);
    await page.waitForFunction(() => window.__sources.open === 1);
    await page.waitForTimeout(4000); // past the view's beacon and the recount after it
    await setHidden(page, true);
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 0 }, 'closed while hidden');

    // Nothing published meanwhile: one conditional request when seen again.
    let shownAt = Date.now();
    await setHidden(page, false);
    await page.waitForFunction(() => window.__sources.open === 1);
    await page.waitForTimeout(1500);
    assert.equal(feeds.filter((t) => t >= shownAt).length, 1, 'one refresh on becoming visible');
    assert.equal(await page.evaluate(() => window.__sources.made), 2);

    // Published while hidden: nothing is fetched until the page is seen, then it shows at once.
    await setHidden(page, true);
    const hiddenAt = Date.now();
    const title = 'Publiée pendant que la page était cachée';
    await publish(alert('while-hidden', title));
    await page.waitForTimeout(1500);
    assert.deepEqual(feeds.filter((t) => t >= hiddenAt), [], 'no request while hidden');
    shownAt = Date.now();
    await setHidden(page, false);
    await page.locator('[data-depeche=banner] [part=title]', { hasText: title }).waitFor({ timeout: 3000 });
    console.log(`published while hidden: in the banner ${Date.now() - shownAt} ms after the page was seen again`);
    await publish(alert('while-hidden', title, 'withdrawn'));
    await context.close();
  });

  it('with the stream blocked, the widget says so once and polling still brings the alert', async () => {
    const { page, context, record } = await openPage(env.browser, { reducedMotion: 'reduce' });
    await page.addInitScript(instrument);
    // As a Content-Security-Policy without the stream in connect-src would, or a proxy that refuses it.
    await page.route('**/events', (route) => route.abort());
    await page.goto(`${env.server.origin}/`);
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.made >= 1 && window.__sources.open === 0);
    const title = 'Alerte arrivée par le rafraîchissement';
    const published = Date.now();
    await publish(alert('polled', title));
    await page.locator('[data-depeche=banner] [part=title]', { hasText: title }).waitFor({ timeout: 17_000 });
    const elapsed = Date.now() - published;
    console.log(`stream blocked: in the banner ${elapsed} ms after publication (data-refresh 15 s)`);
    assert.ok(elapsed <= 16_500, `polling brought it after ${elapsed} ms`);
    const lines = widgetLines(record);
    assert.equal(lines.filter((l) => l.includes('live alerts')).length, 1, lines.join('\n'));
    assert.match(lines.find((l) => l.includes('live alerts')), /depeche: live alerts from \/events failed; polling instead/);
    assert.deepEqual(record.errors, []);
    assert.ok((await page.evaluate(() => window.__sources.made)) >= 2, 'the stream is tried again, with backoff');
    await publish(alert('polled', title, 'withdrawn'));
    await context.close();
  });

  it("a page whose Content-Security-Policy leaves the stream out of connect-src gets one message, and the widget works", async () => {
    const { page, context, record } = await openPage(env.browser);
    await page.addInitScript(instrument);
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
    const said = () => widgetLines(record).filter((l) => l.includes('live alerts from /events failed; polling instead'));
    for (let i = 0; i < 50 && said().length === 0; i++) await page.waitForTimeout(100);
    assert.equal(said().length, 1, widgetLines(record).join('\n'));
    assert.ok(violations.some((v) => v.includes('/events')), `the browser refused the stream: ${violations.join('\n')}`);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('an event that comes while a refresh by the clock is in flight is not lost: the feed is fetched again after it', async () => {
    const { page, context, record } = await openPage(env.browser);
    await page.goto(chaos.host('/slow-feed', 'data-events="/stream" data-refresh="15"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    const hits = () => chaos.hits('/slow-feed');
    for (let i = 0; i < 200 && hits().length < 3; i++) await page.waitForTimeout(100);
    assert.equal(hits().length, 3, 'the load, the first event, then the refresh by the clock');
    await page.waitForTimeout(500); // the refresh is in flight for 2.5 s more
    streams.at(-1).write('event: feed\nid: 2\ndata: 2\n\n');
    for (let i = 0; i < 50 && hits().length < 4; i++) await page.waitForTimeout(100);
    assert.equal(hits().length, 4, 'fetched again once the slow refresh ended');
    assert.ok(hits()[3] - hits()[2] >= 3000, 'after it, not during it');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('an answer older than the version the stream announced is fetched again at once', async () => {
    const { page, context, record } = await openPage(env.browser);
    await page.addInitScript(instrument);
    await page.goto(chaos.host('/lagging-feed', 'data-events="/lagging-stream" data-refresh="0"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.open === 1);
    await page.waitForTimeout(300);
    const hits = () => chaos.hits('/lagging-feed').length;
    assert.equal(hits(), 1, 'the stream opened on the version loaded: nothing fetched again');
    lagging.at(-1).write('event: feed\nid: 2\ndata: 2\n\n');
    // Without polling, only fetching again once the answer said 1 brings the alert.
    await page.locator('[data-depeche=banner] [part=title]', { hasText: LAGGING }).waitFor({ timeout: 3000 });
    assert.equal(hits(), 3, 'the lagging answer, then the one with the alert');
    await page.waitForTimeout(500);
    assert.equal(hits(), 3, 'and no more');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('a stream whose events never come (a buffering proxy) is given up after 10 s', async () => {
    const { page, context, record } = await openPage(env.browser);
    await page.addInitScript(instrument);
    const loaded = Date.now();
    await page.goto(chaos.host('/feed.json', 'data-events="/buffered" data-refresh="15"'));
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.open === 1);
    const said = () => widgetLines(record).filter((l) => l.includes('live alerts from /buffered failed'));
    for (let i = 0; i < 130 && said().length === 0; i++) await page.waitForTimeout(100);
    const after = Date.now() - loaded;
    assert.equal(said().length, 1, widgetLines(record).join('\n'));
    assert.ok(after >= 10_000 && after < 13_000, `given up after ${after} ms`);
    assert.ok((await page.evaluate(() => window.__sources.open)) <= 1, 'never two streams');
    await page.waitForFunction(() => window.__sources.made >= 2, null, { timeout: 3000 });
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
