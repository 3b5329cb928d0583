// End to end: real view counting, from a reader's browser to the feed's count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_AGENT, launch, openPage, setHidden, withCollectorAndBrowser } from './harness.mjs';

const STORY = 'kangaba-attack-2017-06-18';
const SAHEL = 'sahel-summit-2017-06-16';
const DAKAR = 'dakar-port-2017-06-17';

describe('view counting', () => {
  const env = withCollectorAndBrowser();

  /** The item's count in the feed, as any reader would fetch it now. */
  async function views(id) {
    const feed = await (await fetch(`${env.server.origin}/feed.json`, { cache: 'no-store' })).json();
    return feed.items.find((i) => i.id === id)._depeche.views;
  }

  /** Waits until the collector has counted `expected` (beacons travel after the page is left). */
  async function expectViews(id, expected) {
    for (let i = 0; i < 30 && (await views(id)) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await views(id), expected);
  }

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
    const before = await views(STORY);
    assert.equal(before, 376);
    const { context, page } = await openPage(env.browser);
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
    // In view for more than a second: the card shows its own view without a reload.
    await page.waitForFunction(
      () => document.querySelector('[data-depeche=card]').shadowRoot.querySelector('[part=byline]').textContent.endsWith('Lu 377 fois'),
      null,
      { timeout: 5000 },
    );
    // Events for the host page, bubbling out of the widget (composed).
    const events = await page.evaluate(() => window.__events);
    assert.ok(events.includes(`depeche:render card ${STORY}`), events.join('; '));
    assert.ok(events.includes(`depeche:render banner ${STORY}`), events.join('; '));
    assert.ok(events.some((e) => e.startsWith('depeche:view') && e.endsWith(STORY)), events.join('; '));
    await page.goto('about:blank');
    await expectViews(STORY, 377);

    // The same browser again, within 30 minutes: not counted again.
    const again = viewSent(page, STORY);
    await page.goto(`${env.server.origin}/`);
    assert.equal((await again).headers()['depeche-reason'], 'duplicate');
    await page.goto('about:blank');
    await expectViews(STORY, 377);
    await context.close();

    // Another browser (User-Agent) is another reader.
    const other = await openPage(env.browser, { userAgent: USER_AGENT.replace('Chrome/156', 'Chrome/155') });
    const counted = viewSent(other.page, STORY);
    await other.page.goto(`${env.server.origin}/`);
    await counted;
    await other.page.goto('about:blank');
    await expectViews(STORY, 378);
    await other.context.close();
  });

  it('does not count a card scrolled away before one second', async () => {
    const before = await views(SAHEL);
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} scroller` });
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(SAHEL) }));
    await page.goto(`${env.server.origin}/tall.html`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 4000));
    await page.waitForTimeout(1700);
    await page.goto('about:blank');
    await page.waitForTimeout(800);
    assert.equal(await views(SAHEL), before);

    // The positive control, same page and reader: kept in view, it counts.
    const counted = viewSent(page, SAHEL);
    await page.goto(`${env.server.origin}/tall.html`);
    await counted;
    await page.goto('about:blank');
    await expectViews(SAHEL, before + 1);
    await context.close();
  });

  it('shows the new count with refreshing off, in one conditional request', async () => {
    const before = await views(DAKAR);
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} no-refresh` });
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(DAKAR, 'data-refresh="0"') }));
    const feeds = [];
    page.on('request', (r) => r.url().endsWith('/feed.json') && feeds.push(r.headers()['if-none-match'] ?? null));
    await page.goto(`${env.server.origin}/tall.html`);
    const byline = page.locator('[data-depeche=card] [part=byline]');
    await byline.waitFor();
    assert.ok((await byline.textContent()).endsWith(`| Lu ${before} fois`), await byline.textContent());
    await page.waitForFunction(
      (n) => document.querySelector('[data-depeche=card]').shadowRoot.querySelector('[part=byline]').textContent.endsWith(`| Lu ${n} fois`),
      before + 1,
      { timeout: 6000 },
    );
    // The first load, then one refresh after the view, conditional on the first copy's ETag.
    assert.equal(feeds.length, 2, JSON.stringify(feeds));
    assert.equal(feeds[0], null);
    assert.ok(feeds[1], 'the refresh after the view sends If-None-Match');
    await context.close();
  });

  it('counts the partner site into the same count, cross-origin', async () => {
    const before = await views(STORY);
    const { context, page, record } = await openPage(env.browser, { userAgent: `${USER_AGENT} partner-reader` });
    const counted = viewSent(page, STORY);
    await page.goto(`${env.server.partner}/`);
    await counted;
    await page.goto('about:blank');
    await expectViews(STORY, before + 1);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('sends a view still waiting in the outbox when the reader leaves the page', async () => {
    // A beacon sent on pagehide carries the browser's own User-Agent (the context's went with
    // the page), so this browser's own is an ordinary one.
    const browser = await launch([`--user-agent=${USER_AGENT} leaver`]);
    try {
      const before = await views(DAKAR);
      const page = await browser.newPage();
      await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(DAKAR) }));
      // The reader leaves the moment the card counts the view, well within the outbox's
      // half-second: only the flush as the page is hidden and left can send it.
      await page.addInitScript((id) => {
        document.addEventListener('depeche:view', (e) => e.detail.item === id && location.assign('about:blank'));
      }, DAKAR);
      await page.goto(`${env.server.origin}/tall.html`);
      await page.waitForURL('about:blank', { timeout: 10_000 });
      await expectViews(DAKAR, before + 1);
    } finally {
      await browser.close();
    }
  });

  it('flushes pending events when the page is hidden', async () => {
    const before = await views(SAHEL);
    const { context, page } = await openPage(env.browser, { userAgent: `${USER_AGENT} hider` });
    await page.route('**/tall.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: tallPage(SAHEL) }));
    const beacons = [];
    page.on('request', (r) => r.url().endsWith('/beacon') && beacons.push(r.postData()));
    await page.goto(`${env.server.origin}/tall.html`);
    await page.locator('[data-depeche=card] [part=toggle]').click();
    // The read event waits in the outbox for half a second; hiding the page sends it now.
    await setHidden(page, true);
    await page.waitForTimeout(100);
    assert.deepEqual(beacons.map((b) => JSON.parse(b).event), ['read']);
    await context.close();
    assert.equal(await views(SAHEL), before, 'a read is not a view');
  });
});
