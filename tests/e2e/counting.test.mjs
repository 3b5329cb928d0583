// End to end: real view counting, from a reader's browser to the feed's count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RECOUNT_MS, USER_AGENT, inView, launch, openPage, pauseClock, recordBeacons, runPastView, sentBeacons, setHidden, withBrowserAndCollectorPerTest,
} from './harness.mjs';

const STORY = 'kangaba-attack-2017-06-18';
const SAHEL = 'sahel-summit-2017-06-16';
const DAKAR = 'dakar-port-2017-06-17';

const CARD = '[data-depeche=card]';

// Each test has a collector of its own, so it knows every count it compares (the feed's, in
// www/feed.json), and a paused clock in its pages, so that a slow machine moves no page past
// the view's second or the outbox's half-second: the test moves the clock.
describe('view counting', () => {
  const env = withBrowserAndCollectorPerTest();

  /** The item's count in the feed, as any reader would fetch it now. */
  async function views(id) {
    const feed = await (await fetch(`${env.server.origin}/feed.json`, { cache: 'no-store' })).json();
    return feed.items.find((i) => i.id === id)._depeche.views;
  }

  /** Waits until the collector has counted `expected` (beacons travel after the page is left). */
  async function expectViews(id, expected) {
    for (let i = 0; i < 100 && (await views(id)) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await views(id), expected);
  }

  /**
   * Waits until a feed read now shows every beacon the collector has answered: it reads its
   * counts again once they are a second old (collector/src/feed_view.rs). A wait for at least
   * a time, not for something to happen within it: a slow machine only lengthens it. Only
   * checks that a count did not move need it; one that moved is polled for (`expectViews`).
   */
  const settle = () => new Promise((r) => setTimeout(r, 1100));

  /**
   * Resolves with the collector's answer to the beacon `page` sends for a view of `id`. Tests
   * wait for it before leaving: a beacon sent as the page is left (on pagehide) carries
   * Chromium's own "HeadlessChrome" User-Agent, not the context's, and the collector rightly
   * drops it as a bot's. A fixed 1.6 s wait left 0.1 s past the view's second and the outbox's
   * half-second, so on a loaded CI machine the beacon sometimes went that way (380 !== 381).
   */
  function viewSent(page, id) {
    const view = `"item":${JSON.stringify(id)},"event":"view"`;
    return page.waitForResponse((r) => r.url().endsWith('/beacon') && r.request().postData()?.includes(view), { timeout: 10_000 });
  }

  /** A page with only a card for `id` at the top, then a long column of host text. */
  function tallPage(id, attributes = '') {
    return `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <div data-depeche="card" data-article="${id}"></div>
      <div style="height: 5000px">Suite de la page hôte</div>
      <script type="module" src="/embed.js" data-feed="/feed.json" data-beacon="/beacon"
              data-time-zone="Africa/Bamako" data-urgency="1" ${attributes}></script></body></html>`;
  }

  it('counts a reader who keeps the story in view, once per 30 minutes, and shows the new count', async () => {
    assert.equal(await views(STORY), 376);
    const { context, page } = await openPage(env.browser);
    await pauseClock(page);
    await page.addInitScript(() => {
      window.__events = [];
      for (const name of ['depeche:render', 'depeche:view']) {
        document.addEventListener(name, (e) => window.__events.push(`${e.type} ${e.target.dataset.depeche} ${e.detail.item}`));
      }
    });
    await page.goto(`${env.server.origin}/`);
    const byline = page.locator('[data-depeche=card] [part=byline]');
    await byline.waitFor();
    assert.equal(await byline.textContent(), 'Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu 376 fois');
    // In view for more than a second: the card shows its own view without a reload, once the
    // beacon has been counted and the recount is due.
    await inView(page, CARD);
    const counted = viewSent(page, STORY);
    await runPastView(page);
    assert.equal((await counted).headers()['depeche-reason'], 'counted');
    // The recount is due 1.5 s after the view; the collector reads its counts again 100 ms
    // after it counted one. The paused clock shortens the first, not the second: the test
    // waits for the collector before moving the clock.
    await expectViews(STORY, 377);
    await page.clock.runFor(RECOUNT_MS);
    await page.waitForFunction(
      () => document.querySelector('[data-depeche=card]').shadowRoot.querySelector('[part=byline]').textContent.endsWith('Lu 377 fois'),
      null,
      { timeout: 10_000 },
    );
    // Events for the host page, bubbling out of the widget (composed).
    const events = await page.evaluate(() => window.__events);
    assert.ok(events.includes(`depeche:render card ${STORY}`), events.join('; '));
    assert.ok(events.includes(`depeche:render banner ${STORY}`), events.join('; '));
    assert.ok(events.some((e) => e.startsWith('depeche:view') && e.endsWith(STORY)), events.join('; '));
    await page.goto('about:blank');

    // The same browser again, within 30 minutes: not counted again.
    const again = viewSent(page, STORY);
    await page.goto(`${env.server.origin}/`);
    await inView(page, CARD);
    await runPastView(page);
    assert.equal((await again).headers()['depeche-reason'], 'duplicate');
    await page.goto('about:blank');
    await settle();
    assert.equal(await views(STORY), 377);
    await context.close();

    // The control: another browser (User-Agent) is another reader, and counts.
    const other = await openPage(env.browser, { userAgent: USER_AGENT.replace('Chrome/156', 'Chrome/155') });
    await pauseClock(other.page);
    const otherCounted = viewSent(other.page, STORY);
    await other.page.goto(`${env.server.origin}/`);
    await inView(other.page, CARD);
    await runPastView(other.page);
    assert.equal((await otherCounted).headers()['depeche-reason'], 'counted');
    await other.page.goto('about:blank');
    await expectViews(STORY, 378);
    await other.context.close();
  });

  it('does not count a card scrolled away before one second, and counts it kept in view', async () => {
    assert.equal(await views(SAHEL), 2310);
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} scroller` });
    await pauseClock(page);
    await recordBeacons(page);
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(SAHEL) }));
    const viewsSent = async () => (await sentBeacons(page)).filter((b) => b.item === SAHEL && b.event === 'view').length;
    await page.goto(`${env.server.origin}/tall.html`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    await inView(page, CARD);
    await page.clock.runFor(900);
    await page.evaluate(() => window.scrollTo(0, 4000));
    await inView(page, CARD, false);
    // Ten seconds out of view: time for a view, its outbox and its recount, had it counted.
    await page.clock.runFor(10_000);
    assert.equal(await viewsSent(), 0);

    // The control, same page and reader: scrolled back and kept in view, it counts.
    const counted = viewSent(page, SAHEL);
    await page.evaluate(() => window.scrollTo(0, 0));
    await inView(page, CARD);
    await runPastView(page);
    assert.equal(await viewsSent(), 1);
    assert.equal((await counted).headers()['depeche-reason'], 'counted');
    await expectViews(SAHEL, 2311);
    await context.close();
  });

  it('shows the new count with refreshing off, in one conditional request', async () => {
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} no-refresh` });
    await pauseClock(page);
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(DAKAR, 'data-refresh="0"') }));
    const feeds = [];
    page.on('request', (r) => r.url().endsWith('/feed.json') && feeds.push(r.headers()['if-none-match'] ?? null));
    await page.goto(`${env.server.origin}/tall.html`);
    const byline = page.locator('[data-depeche=card] [part=byline]');
    await byline.waitFor();
    assert.ok((await byline.textContent()).endsWith('| Lu 89 fois'), await byline.textContent());
    await inView(page, CARD);
    const counted = viewSent(page, DAKAR);
    await runPastView(page);
    assert.equal((await counted).headers()['depeche-reason'], 'counted');
    await expectViews(DAKAR, 90);
    await page.clock.runFor(RECOUNT_MS);
    await page.waitForFunction(
      () => document.querySelector('[data-depeche=card]').shadowRoot.querySelector('[part=byline]').textContent.endsWith('| Lu 90 fois'),
      null,
      { timeout: 10_000 },
    );
    // Ten minutes more, refreshing off: no request after the one that brought the view.
    await page.clock.runFor(10 * 60_000);
    // The first load, then one refresh after the view, conditional on the first copy's ETag.
    assert.equal(feeds.length, 2, JSON.stringify(feeds));
    assert.equal(feeds[0], null);
    assert.ok(feeds[1], 'the refresh after the view sends If-None-Match');
    await context.close();
  });

  it('counts the partner site into the same count, cross-origin', async () => {
    const { context, page, record } = await openPage(env.browser, { userAgent: `${USER_AGENT} partner-reader` });
    await pauseClock(page);
    const counted = viewSent(page, STORY);
    await page.goto(`${env.server.partner}/`);
    await inView(page, CARD);
    await runPastView(page);
    assert.equal((await counted).headers()['depeche-reason'], 'counted');
    await page.goto('about:blank');
    await expectViews(STORY, 377);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('sends a view still waiting in the outbox when the reader leaves the page', async () => {
    // A beacon sent on pagehide carries the browser's own User-Agent (the context's went with
    // the page), so this browser's own is an ordinary one.
    const browser = await launch([`--user-agent=${USER_AGENT} leaver`]);
    try {
      const page = await browser.newPage();
      await pauseClock(page);
      await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(DAKAR) }));
      // The reader leaves the moment the card counts the view. The clock stops there, short of
      // the outbox's half-second: only the flush as the page is hidden and left can send it.
      await page.addInitScript((id) => {
        document.addEventListener('depeche:view', (e) => e.detail.item === id && location.assign('about:blank'));
      }, DAKAR);
      await page.goto(`${env.server.origin}/tall.html`);
      await inView(page, CARD);
      assert.equal(await views(DAKAR), 89);
      await page.clock.runFor(1100);
      await page.waitForURL('about:blank', { timeout: 10_000 });
      await expectViews(DAKAR, 90);
    } finally {
      await browser.close();
    }
  });

  it('flushes pending events when the page is hidden', async () => {
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} hider` });
    await pauseClock(page);
    await recordBeacons(page);
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(SAHEL) }));
    await page.goto(`${env.server.origin}/tall.html`);
    await page.locator('[data-depeche=card] [part=toggle]').click();
    // The read event waits in the outbox for half a second, which the paused clock never
    // reaches; hiding the page sends it at once.
    assert.deepEqual(await sentBeacons(page), []);
    const read = page.waitForResponse((r) => r.url().endsWith('/beacon'), { timeout: 10_000 });
    await setHidden(page, true);
    assert.deepEqual((await sentBeacons(page)).map((b) => b.event), ['read']);
    assert.equal((await read).headers()['depeche-reason'], 'counted');
    await settle();
    assert.equal(await views(SAHEL), 2310, 'a read is not a view');

    // The control: the same page shown again and kept in view counts a view.
    const counted = viewSent(page, SAHEL);
    await setHidden(page, false);
    await inView(page, CARD);
    await runPastView(page);
    assert.equal((await counted).headers()['depeche-reason'], 'counted');
    await expectViews(SAHEL, 2311);
    await context.close();
  });
});
