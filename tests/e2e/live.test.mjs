// End to end: breaking news reaches pages that are already open.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  RECOUNT_MS, ROTATE_MS, USER_AGENT, answered, fetchesOf, instrument, nextTask, openPage, pauseClock, recordFetches,
  runPastView, setHidden, withBrowserAndCollectorPerTest,
} from './harness.mjs';
import { GOOD, json, startChaos } from './chaos.mjs';

const TOKEN = 'e2e-token';
const TITLE = 'Attaque en cours contre un lieu à Bamako fréquenté par des expatriés';
const NIAMEY = 'Flash floods cut the main road out of Niamey';
/** The partner page's refresh interval (www/partner/index.html, data-refresh). */
const REFRESH_MS = 15_000;

/** The demo feed plus `extra` items first. */
function feedWith(...extra) {
  const feed = JSON.parse(GOOD);
  feed.items.unshift(...extra);
  return JSON.stringify(feed);
}

// Each test has a collector of its own (what one publishes no other sees) and, where time
// matters, a paused clock in its page: the refresh interval, the stream's first ten seconds,
// an expiry and the rotation pass when the test moves the clock, never while it waits.
describe('live alerts', () => {
  const env = withBrowserAndCollectorPerTest(['--publish-token', TOKEN]);
  let chaos;
  /** When the short-lived item served last expires, in ms since the epoch. */
  let expiresAt;
  before(async () => {
    chaos = await startChaos({
      '/expiring': (req, res) => {
        expiresAt = Date.now() + 4000;
        json(feedWith({
          id: 'short-lived', title: 'Alerte de courte durée', date_published: new Date().toISOString(),
          _depeche: { urgency: 1, expires: new Date(expiresAt).toISOString() },
        }))(req, res);
      },
      '/demo': json(GOOD),
    });
  });
  after(async () => {
    await chaos?.stop();
  });

  /** Publishes `item` on this test's collector. */
  async function publish(item) {
    const r = await fetch(`${env.server.origin}/publish`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(item),
    });
    assert.equal(r.status, 201);
  }

  /** Waits for the page's stream to have brought `n` events in all. Before its first, the
   * clock must not move: the widget gives a stream ten seconds to bring it. */
  const streamEvents = (page, n) => page.waitForFunction((k) => window.__streamEvents >= k, n, { timeout: 10_000 });

  it('a 304 changes nothing; a newly published alert reaches the partner page by its stream, before any refresh is due', async () => {
    // A User-Agent the collector does not count, so that the feed stays the same until
    // something is published and the refresh is a 304.
    const { context, page, record } = await openPage(env.browser, {
      reducedMotion: 'reduce',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    });
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page);
    await page.goto(`${env.server.partner}/`);
    await page.locator('[data-depeche=banner] [part=content]', { hasText: TITLE }).waitFor();
    // Under reduced motion the alerts do not rotate, and there is no pause button.
    assert.equal(await page.locator('[data-depeche=banner] [part=pause]').isHidden(), true);
    await streamEvents(page, 1);
    // Past the view's beacon and the recount it asks for.
    await runPastView(page);
    await page.clock.runFor(RECOUNT_MS);
    const loaded = (await answered(page, 2)).length;
    await page.evaluate(() => {
      window.__mutations = 0;
      window.__updates = [];
      const observer = new MutationObserver((list) => { window.__mutations += list.length; });
      for (const m of document.querySelectorAll('[data-depeche]')) {
        observer.observe(m.shadowRoot, { subtree: true, childList: true, characterData: true, attributes: true });
      }
      document.addEventListener('depeche:update', (e) => window.__updates.push(e.target.getAttribute('data-depeche')));
    });
    // One refresh interval on: a conditional request, answered 304, which changes nothing.
    await page.clock.runFor(REFRESH_MS);
    const refreshed = await answered(page, loaded + 1);
    assert.equal(refreshed.length, loaded + 1, JSON.stringify(refreshed));
    assert.equal(refreshed[loaded].status, 304, 'the refresh is a conditional request');
    assert.equal(await page.evaluate(() => window.__mutations), 0, 'a 304 causes no DOM mutation');

    // Published: the stream says so and the page fetches it while its clock stands still, so
    // no refresh interval has passed. The control for the 304: the page changes.
    const item = {
      id: 'e2e-flash', title: 'Explosion signalée près de l’aéroport de Bamako', language: 'fr',
      date_published: new Date().toISOString(), _depeche: { urgency: 1 },
    };
    await publish(item);
    await page.locator('[data-depeche=banner] [part=title]', { hasText: item.title }).waitFor({ timeout: 10_000 });
    assert.ok((await page.evaluate(() => window.__mutations)) > 0);
    // The screen reader hears it a moment later (dom/banner.rs ANNOUNCE_DELAY_MS, 50 ms).
    await page.clock.runFor(100);
    await page.locator('[data-depeche=banner] [part=announce]', { hasText: item.title }).waitFor();
    assert.equal(await page.locator('[data-depeche=banner] [part=counter]').textContent(), '1/3');
    assert.ok((await page.evaluate(() => window.__updates)).includes('banner'), 'depeche:update reached the host');
    assert.deepEqual(record.errors, []);

    // Withdrawn: it leaves the banner as soon as the stream says so.
    await publish({ ...item, _depeche: { urgency: 1, status: 'withdrawn' } });
    await page.locator('[data-depeche=banner] [part=counter]', { hasText: '1/2' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-depeche=banner] [part=title]', { hasText: item.title }).count(), 0);
    await context.close();
  });

  it('a page with a live stream asks for the feed once as it loads: the stream’s first event is the version it has', async () => {
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} once` });
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page);
    await page.goto(`${env.server.partner}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    // The collector sends the current version as soon as the stream opens; the widget decides
    // as the event arrives whether to fetch. (The clock is paused: no view, no recount.)
    await streamEvents(page, 1);
    await nextTask(page);
    assert.deepEqual(await page.evaluate(() => window.__sources), { made: 1, open: 1 });
    assert.equal((await fetchesOf(page)).length, 1, 'one feed request');
    // The control: the same stream's next event, for a feed that did change, is fetched.
    await publish({ id: 'e2e-once', title: 'Une alerte de plus', date_published: new Date().toISOString(), _depeche: { urgency: 1 } });
    await streamEvents(page, 2);
    assert.equal((await answered(page, 2)).length, 2);
    await context.close();
  });

  it('a hidden page makes no requests, and refreshes once it is visible again', async () => {
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} hidden` });
    await pauseClock(page);
    await page.addInitScript(instrument);
    await recordFetches(page);
    await page.goto(`${env.server.partner}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    await streamEvents(page, 1);
    const loaded = (await answered(page, 1)).length;
    await setHidden(page, true);
    // Four refresh intervals hidden.
    await page.clock.runFor(4 * REFRESH_MS);
    assert.equal((await fetchesOf(page)).length, loaded, 'no request while hidden');
    assert.equal(await page.evaluate(() => window.__sources.open), 0, 'the stream closed while hidden');
    // The control: visible again, it asks at once, and once (the new stream's first event is
    // the version it then has).
    await setHidden(page, false);
    await streamEvents(page, 2);
    assert.equal((await answered(page, loaded + 1)).length, loaded + 1, 'one refresh on becoming visible');
    await context.close();
  });

  it('an item disappears when it expires, with no refresh', async () => {
    // Reduced motion: no rotation, so the banner shows the first item until it expires.
    const { context, page } = await openPage(env.browser, { reducedMotion: 'reduce' });
    await pauseClock(page);
    await page.goto(chaos.host('/expiring', 'data-refresh="0"'));
    const title = page.locator('[data-depeche=banner] [part=title]');
    await title.filter({ hasText: 'Alerte de courte durée' }).waitFor();
    const counter = page.locator('[data-depeche=banner] [part=counter]');
    assert.equal(await counter.textContent(), '1/3');
    // Its expiry was set from the server's clock as the feed was served; the page's stands
    // still at the moment the test began, a little before.
    const left = expiresAt - (await page.evaluate(() => Date.now()));
    assert.ok(left >= 4000, `${left} ms left`);
    await page.clock.runFor(left - 50);
    assert.equal(await title.textContent(), 'Alerte de courte durée', 'still there 50 ms before its expiry');
    await page.clock.runFor(100);
    assert.equal(await title.textContent(), TITLE, 'gone 50 ms after its expiry');
    assert.equal(await counter.textContent(), '1/2');
    await context.close();
  });

  it('alerts rotate every 8 s unless paused, and the pause button says so', async () => {
    const { context, page } = await openPage(env.browser);
    await pauseClock(page);
    await page.goto(chaos.host('/demo', 'data-refresh="0"'));
    const counter = page.locator('[data-depeche=banner] [part=counter]');
    await counter.filter({ hasText: '1/2' }).waitFor();
    await page.mouse.move(0, 0);
    await page.clock.runFor(ROTATE_MS - 100);
    assert.equal(await counter.textContent(), '1/2', 'not before 8 s');
    await page.clock.runFor(200);
    assert.equal(await counter.textContent(), '2/2');
    assert.equal(await page.locator('[data-depeche=banner] [part=title]').textContent(), NIAMEY);
    const pause = page.locator('[data-depeche=banner] [part=pause]');
    await pause.click();
    assert.equal(await pause.getAttribute('aria-pressed'), 'true');
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.activeElement.blur());
    await page.clock.runFor(3 * ROTATE_MS);
    assert.equal(await counter.textContent(), '2/2', 'paused: no rotation');
    await page.locator('[data-depeche=banner] [part=previous]').click();
    assert.equal(await counter.textContent(), '1/2');
    // The control: resumed, the same banner turns again.
    await pause.click();
    assert.equal(await pause.getAttribute('aria-pressed'), 'false');
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.activeElement.blur());
    await page.clock.runFor(ROTATE_MS + 100);
    assert.equal(await counter.textContent(), '2/2', 'resumed: it rotates');
    await context.close();
  });

  it('data-min-height reserves the slot before the wasm has loaded', async () => {
    const { context, page } = await openPage(env.browser);
    // The wasm is held back: what shows meanwhile is the loader's reservation alone.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
    await page.goto(chaos.host('/demo', 'data-refresh="0"', 'data-min-height="6rem"', false));
    const height = () => page.evaluate(() => document.querySelector('[data-depeche=banner]').getBoundingClientRect().height);
    await page.waitForFunction(() => document.querySelector('[data-depeche=banner]').getBoundingClientRect().height > 0);
    assert.equal(await height(), 96, '6rem at 16px, before any widget code ran');
    assert.equal(await page.evaluate(() => document.querySelector('[data-depeche=banner]').shadowRoot), null);
    release();
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    assert.ok((await height()) >= 96);
    await context.close();
  });

  it('follows the dark colour scheme, with readable contrast in both', async () => {
    const colours = {};
    for (const scheme of ['light', 'dark']) {
      const { context, page } = await openPage(env.browser, { colorScheme: scheme });
      await page.goto(chaos.host('/demo', 'data-refresh="0"'));
      await page.locator('[data-depeche=card] [part=title]').waitFor();
      colours[scheme] = await page.evaluate(() => {
        const style = (host, part) => getComputedStyle(document.querySelector(host).shadowRoot.querySelector(`[part~=${part}]`));
        const banner = style('[data-depeche=banner]', 'banner');
        const card = style('[data-depeche=card]', 'card');
        const title = style('[data-depeche=card]', 'title');
        return { bannerBg: banner.backgroundColor, bannerFg: banner.color, cardBg: card.backgroundColor, cardFg: title.color };
      });
      await context.close();
    }
    const rgb = (c) => c.match(/\d+/g).slice(0, 3).map(Number);
    const luminance = (c) => {
      const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    assert.notDeepEqual(colours.light, colours.dark, 'the dark scheme changes the colours');
    for (const scheme of ['light', 'dark']) {
      const c = colours[scheme];
      assert.ok(contrast(c.bannerFg, c.bannerBg) >= 4.5, `${scheme} banner contrast ${contrast(c.bannerFg, c.bannerBg)}`);
      assert.ok(contrast(c.cardFg, c.cardBg) >= 4.5, `${scheme} card contrast ${contrast(c.cardFg, c.cardBg)} (${c.cardFg} on ${c.cardBg})`);
    }
    assert.ok(luminance(colours.dark.cardBg) < luminance(colours.light.cardBg), 'a dark card in the dark scheme');
  });

  for (const reserved of [true, false]) {
    it(`${reserved ? 'no' : 'some'} layout shift below ${reserved ? 'a reserved' : 'an unreserved (control)'} banner slot`, async () => {
      const { context, page } = await openPage(env.browser);
      await page.addInitScript(() => {
        window.__shifts = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push({ at: e.startTime, value: e.value });
        }).observe({ type: 'layout-shift', buffered: true });
      });
      // Only a banner mount: this measures the banner, not a card appearing above the text.
      // The slot is reserved by the page's own CSS, which applies from the first paint.
      const css = reserved ? '[data-depeche=banner]{display:block;min-height:5rem}' : '';
      await page.goto(chaos.host('/demo', 'data-refresh="0"', '', false, css));
      await page.locator('[data-depeche=banner] [part=title]').waitFor();
      // A later update of the banner: the next alert, by keyboard, so it is not an
      // input-excluded shift. Two frames later, a line put above everything shifts the page:
      // once its shift is reported, every shift before it has been too.
      const mark = await page.evaluate(async () => {
        document.querySelector('[data-depeche=banner]').shadowRoot.querySelector('[part=next]').click();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const at = performance.now();
        document.body.prepend(Object.assign(document.createElement('p'), { textContent: 'Une ligne de plus' }));
        return at;
      });
      await page.waitForFunction((m) => window.__shifts.some((s) => s.at >= m), mark, { timeout: 10_000 });
      const cls = (await page.evaluate(() => window.__shifts)).filter((s) => s.at < mark).reduce((sum, s) => sum + s.value, 0);
      if (reserved) assert.equal(cls, 0);
      else assert.ok(cls > 0, `the measurement sees shifts (CLS ${cls})`);
      await context.close();
    });
  }
});
