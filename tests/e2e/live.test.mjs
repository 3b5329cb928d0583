// End to end: breaking news reaches pages that are already open.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USER_AGENT, instrument, launch, openPage, setHidden, startCollector } from './harness.mjs';
import { GOOD, json, startChaos } from './chaos.mjs';

const TOKEN = 'e2e-token';
const TITLE = 'Attaque en cours contre un lieu à Bamako fréquenté par des expatriés';
const NIAMEY = 'Flash floods cut the main road out of Niamey';

/** The demo feed plus `extra` items first. */
function feedWith(...extra) {
  const feed = JSON.parse(GOOD);
  feed.items.unshift(...extra);
  return JSON.stringify(feed);
}

describe('live alerts', () => {
  let server, browser, chaos;
  before(async () => {
    server = await startCollector(['--publish-token', TOKEN]);
    browser = await launch();
    chaos = await startChaos({
      '/expiring': (req, res) => json(feedWith({
        id: 'short-lived', title: 'Alerte de courte durée', date_published: new Date().toISOString(),
        _depeche: { urgency: 1, expires: new Date(Date.now() + 4000).toISOString() },
      }))(req, res),
      '/demo': json(GOOD),
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await chaos?.stop();
  });

  const feedResponses = (page) => {
    const seen = [];
    page.on('response', (r) => { if (r.url().includes('/feed.json')) seen.push({ status: r.status(), at: Date.now() }); });
    return seen;
  };

  it('a 304 changes nothing; a newly published alert reaches the partner page within the refresh interval', async () => {
    // A User-Agent the collector does not count, so that the feed stays the same until
    // something is published and the first refresh is a 304.
    const { context, page, record } = await openPage(browser, {
      reducedMotion: 'reduce',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    });
    const responses = feedResponses(page);
    const loaded = Date.now();
    await page.goto(`${server.partner}/`);
    await page.locator('[data-depeche=banner] [part=content]', { hasText: TITLE }).waitFor();
    // Under reduced motion the alerts do not rotate, and there is no pause button.
    assert.equal(await page.locator('[data-depeche=banner] [part=pause]').isHidden(), true);
    await page.waitForTimeout(3500); // past the view's beacon and recount
    await page.evaluate(() => {
      window.__mutations = 0;
      window.__updates = [];
      const observer = new MutationObserver((list) => { window.__mutations += list.length; });
      for (const m of document.querySelectorAll('[data-depeche]')) {
        observer.observe(m.shadowRoot, { subtree: true, childList: true, characterData: true, attributes: true });
      }
      document.addEventListener('depeche:update', (e) => window.__updates.push(e.target.getAttribute('data-depeche')));
    });
    const firstRefresh = () => responses.find((r) => r.at - loaded > 10_000);
    for (let i = 0; i < 180 && !firstRefresh(); i++) await page.waitForTimeout(100);
    assert.equal(firstRefresh()?.status, 304, 'the refresh is a conditional request');
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__mutations), 0, 'a 304 causes no DOM mutation');

    const published = Date.now();
    const item = {
      id: 'e2e-flash', title: 'Explosion signalée près de l’aéroport de Bamako', language: 'fr',
      date_published: new Date().toISOString(), _depeche: { urgency: 1 },
    };
    const r = await fetch(`${server.origin}/publish`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(item),
    });
    assert.equal(r.status, 201);
    await page.locator('[data-depeche=banner] [part=title]', { hasText: item.title }).waitFor({ timeout: 17_000 });
    const elapsed = Date.now() - published;
    assert.ok(elapsed <= 16_000, `shown ${elapsed} ms after publication (refresh 15 s + 1 s)`);
    await page.locator('[data-depeche=banner] [part=announce]', { hasText: item.title }).waitFor();
    assert.equal(await page.locator('[data-depeche=banner] [part=counter]').textContent(), '1/3');
    assert.ok((await page.evaluate(() => window.__updates)).includes('banner'), 'depeche:update reached the host');
    assert.deepEqual(record.errors, []);

    // Withdrawn: it leaves the banner at the next refresh.
    const withdrawn = { ...item, _depeche: { urgency: 1, status: 'withdrawn' } };
    await fetch(`${server.origin}/publish`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(withdrawn),
    });
    await page.locator('[data-depeche=banner] [part=counter]', { hasText: '1/2' }).waitFor({ timeout: 17_000 });
    assert.equal(await page.locator('[data-depeche=banner] [part=title]', { hasText: item.title }).count(), 0);
    await context.close();
  });

  it('a page with a live stream asks for the feed once as it loads: the stream’s first event is the version it has', async () => {
    const { context, page } = await openPage(browser, { userAgent: `${USER_AGENT} once` });
    await page.addInitScript(instrument);
    const responses = feedResponses(page);
    await page.goto(`${server.partner}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    await page.waitForFunction(() => window.__sources.made === 1);
    // The collector sends the current version as soon as the stream opens; a view counted
    // (after a second in sight) refreshes the counts later than this.
    await page.waitForTimeout(700);
    assert.equal(await page.evaluate(() => window.__sources.open), 1);
    assert.deepEqual(responses.map((r) => r.status), [200], 'one feed request');
    await context.close();
  });

  it('a hidden page makes no requests, and refreshes once it is visible again', async () => {
    const { context, page } = await openPage(browser, { userAgent: `${USER_AGENT} hidden` });
    const responses = feedResponses(page);
    await page.goto(`${server.partner}/`);
    await page.locator('[data-depeche=card] [part=title]').waitFor();
    await setHidden(page, true);
    const hiddenAt = Date.now();
    await page.waitForTimeout(17_000);
    assert.deepEqual(responses.filter((r) => r.at > hiddenAt), [], 'no request while hidden');
    await setHidden(page, false);
    const shownAt = Date.now();
    for (let i = 0; i < 30 && !responses.some((r) => r.at >= shownAt); i++) await page.waitForTimeout(100);
    assert.equal(responses.filter((r) => r.at >= shownAt).length, 1, 'one refresh on becoming visible');
    await context.close();
  });

  it('an item disappears when it expires, with no refresh', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(chaos.host('/expiring', 'data-refresh="0"'));
    const title = page.locator('[data-depeche=banner] [part=title]');
    await title.filter({ hasText: 'Alerte de courte durée' }).waitFor();
    const expiresAt = chaos.hits('/expiring')[0] + 4000; // set when the feed was served
    await title.filter({ hasText: TITLE }).waitFor({ timeout: 6000 });
    const late = Date.now() - expiresAt;
    assert.ok(late >= -50 && late < 1000, `gone ${late} ms after its expiry`);
    assert.equal(await page.locator('[data-depeche=banner] [part=counter]').textContent(), '1/2');
    await context.close();
  });

  it('alerts rotate every 8 s unless paused, and the pause button says so', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(chaos.host('/demo', 'data-refresh="0"'));
    const counter = page.locator('[data-depeche=banner] [part=counter]');
    await counter.filter({ hasText: '1/2' }).waitFor();
    await page.mouse.move(0, 0);
    await counter.filter({ hasText: '2/2' }).waitFor({ timeout: 9500 });
    assert.equal(await page.locator('[data-depeche=banner] [part=title]').textContent(), NIAMEY);
    const pause = page.locator('[data-depeche=banner] [part=pause]');
    await pause.click();
    assert.equal(await pause.getAttribute('aria-pressed'), 'true');
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.activeElement.blur());
    await page.waitForTimeout(9000);
    assert.equal(await counter.textContent(), '2/2', 'paused: no rotation');
    await page.locator('[data-depeche=banner] [part=previous]').click();
    assert.equal(await counter.textContent(), '1/2');
    await context.close();
  });

  it('data-min-height reserves the slot before the wasm has loaded', async () => {
    const { context, page } = await openPage(browser);
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
      const { context, page } = await openPage(browser, { colorScheme: scheme });
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

  for (const [reserved, expectShift] of [[true, false], [false, true]]) {
    it(`${reserved ? 'no' : 'some'} layout shift below ${reserved ? 'a reserved' : 'an unreserved (control)'} banner slot`, async () => {
      const { context, page } = await openPage(browser);
      await page.addInitScript(() => {
        window.__cls = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
        }).observe({ type: 'layout-shift', buffered: true });
      });
      // Only a banner mount: this measures the banner, not a card appearing above the text.
      // The slot is reserved by the page's own CSS, which applies from the first paint.
      const css = reserved ? '[data-depeche=banner]{display:block;min-height:5rem}' : '';
      await page.goto(chaos.host('/demo', 'data-refresh="0"', '', false, css));
      await page.locator('[data-depeche=banner] [part=title]').waitFor();
      // A later update of the banner: the next alert, by keyboard, so it is not an input-excluded shift.
      await page.evaluate(() => document.querySelector('[data-depeche=banner]').shadowRoot.querySelector('[part=next]').click());
      await page.waitForTimeout(800);
      const cls = await page.evaluate(() => window.__cls);
      if (expectShift) assert.ok(cls > 0, `the measurement sees shifts (CLS ${cls})`);
      else assert.equal(cls, 0);
      await context.close();
    });
  }
});
