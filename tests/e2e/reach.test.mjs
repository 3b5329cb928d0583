// End to end: the widget in single-page apps (mounts added, moved and removed at any time; the
// loader's mount/unmount/refresh API; data-theme switched at run time), on a phone, and in
// eight languages (one right to left), each checked by axe-core and photographed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { artifacts, axeViolations, openPage, pauseClock, widgetLines, withBrowserAndCollectorPerTest } from './harness.mjs';

const STORY = 'kangaba-attack-2017-06-18';

/** A page of the collector's origin, served from `body`. */
async function route(page, origin, path, body) {
  await page.route(`${origin}${path}`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body }));
}

// Each test has a collector of its own: a count shown is the feed's own.
describe('reach: single-page apps, phones and languages', () => {
  const env = withBrowserAndCollectorPerTest();

  it('renders a mount added later at once, keeps a moved one as it was, and releases an unmounted one', async () => {
    const { context, page, record } = await openPage(env.browser);
    await route(page, env.server.origin, '/spa.html', `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      <div id="a"><div id="first" data-depeche="card" data-article="${STORY}"></div></div><div id="b"></div>
      <script type="module" src="/embed.js" data-feed="/feed.json" data-refresh="600"></script></body></html>`);
    // The clock stands still: no refresh can be due, whatever the machine's speed, so what
    // renders did so from the feed shown.
    await pauseClock(page);
    await page.goto(`${env.server.origin}/spa.html`);
    await page.locator('#first [part=toggle]').click();
    assert.equal(await page.locator('#first [part=toggle]').getAttribute('aria-expanded'), 'true');

    // A framework inserts a card: no refresh is due for ten minutes, yet it renders now.
    const feeds = [];
    page.on('request', (r) => r.url().endsWith('/feed.json') && feeds.push(r.url()));
    await page.evaluate(() => {
      const el = Object.assign(document.createElement('div'), { id: 'later' });
      el.dataset.depeche = 'card';
      el.dataset.article = 'niamey-floods-2017-06-18';
      document.getElementById('b').append(el);
    });
    await page.locator('#later [part=title]').waitFor({ timeout: 10_000 });
    assert.deepEqual(feeds, [], 'rendered from the feed shown, without fetching it again');

    // Moved within one task (a list re-ordered): the same nodes, still expanded. The widget
    // hears of it in a mutation observer's callback, a microtask of the evaluation's task, so
    // it is done when the evaluation answers.
    const toggle = await page.locator('#first [part=toggle]').elementHandle();
    await page.evaluate(() => document.getElementById('b').prepend(document.getElementById('first')));
    assert.equal(await page.locator('#b > #first [part=toggle]').getAttribute('aria-expanded'), 'true');
    assert.ok(await toggle.evaluate((t) => t.isConnected), 'the same button, not a new one');

    // The API: unmount empties it and lets it go; mount renders it again; refresh fetches.
    await page.evaluate(async () => {
      const api = await import('/embed.js');
      api.unmount(document.getElementById('later'));
    });
    await page.waitForFunction(() => document.getElementById('later').shadowRoot.childElementCount === 0);
    await page.evaluate(async () => {
      const api = await import('/embed.js');
      await api.mount(document.getElementById('later'), { kind: 'card', article: 'dakar-port-2017-06-17' });
    });
    await page.locator('#later [part=title]', { hasText: 'Dakar' }).waitFor({ timeout: 10_000 });
    // The control for the fetch that did not happen: refresh() fetches, clock or no clock.
    const refreshed = page.waitForRequest((r) => r.url().endsWith('/feed.json'), { timeout: 10_000 });
    await page.evaluate(async () => (await import('/embed.js')).refresh());
    await refreshed;

    // data-theme switches at run time: the same card, now dark.
    const card = page.locator('#first [part~=card]');
    const light = await card.evaluate((el) => getComputedStyle(el).backgroundColor);
    await page.evaluate(async () => (await import('/embed.js')).mount(document.getElementById('first'), { theme: 'dark' }));
    assert.equal(await card.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(22, 24, 29)');
    assert.equal(light, 'rgb(255, 255, 255)');
    assert.ok(await toggle.evaluate((t) => t.isConnected), 'nothing re-created');

    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });

  it('leaves the host page’s own DOM changes alone: a ticking clock or a growing list costs it nothing', async () => {
    const { context, page, record } = await openPage(env.browser);
    const cards = ['kangaba-attack-2017-06-18', 'niamey-floods-2017-06-18', 'dakar-port-2017-06-17']
      .map((id) => `<div data-depeche="card" data-article="${id}"></div>`).join('');
    await route(page, env.server.origin, '/busy.html', `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
      ${cards}<p id="clock"></p><ul id="list"></ul>
      <script type="module" src="/embed.js" data-feed="/feed.json" data-refresh="600"></script></body></html>`);
    await page.goto(`${env.server.origin}/busy.html`);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-depeche=card]')].every((c) => c.shadowRoot?.querySelector('[part=byline]')));
    // What the widget reads when it looks for mounts, counted from now on: a search of the
    // document, and a read of a mount's attributes.
    await page.evaluate(() => {
      window.__reads = 0;
      const search = Document.prototype.querySelectorAll;
      Document.prototype.querySelectorAll = function (...args) { window.__reads++; return search.apply(this, args); };
      const read = Element.prototype.getAttribute;
      Element.prototype.getAttribute = function (...args) {
        if (this.hasAttribute('data-depeche')) window.__reads++;
        return read.apply(this, args);
      };
    });
    await page.evaluate(async () => {
      for (let i = 0; i < 30; i++) {
        document.getElementById('clock').textContent = `12:00:${i}`;
        document.getElementById('list').append(Object.assign(document.createElement('li'), { textContent: `item ${i}` }));
        if (i % 10 === 9) document.getElementById('list').firstElementChild.remove();
        await new Promise((r) => setTimeout(r, 0)); // one mutation batch each
      }
    });
    assert.equal(await page.evaluate(() => window.__reads), 0, 'no search for mounts, no mount re-read');
    // The control: a mount among the host's changes is still found at once.
    await page.evaluate(() => {
      const li = document.createElement('li');
      li.innerHTML = '<div id="late" data-depeche="card" data-article="niamey-floods-2017-06-18"></div>';
      document.getElementById('list').append(li);
    });
    await page.locator('#late [part=title]').waitFor({ timeout: 10_000 });
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('starts from the API alone, with the options of the first mount', async () => {
    const { context, page, record } = await openPage(env.browser);
    await route(page, env.server.origin, '/api.html', `<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>
      <div id="card"></div>
      <script type="module">
        import { mount } from '/embed.js';
        window.__started = await mount(document.getElementById('card'),
          { feed: '/feed.json', article: '${STORY}', lang: 'en', timeZone: 'Africa/Bamako', refresh: 0 });
      </script></body></html>`);
    await page.goto(`${env.server.origin}/api.html`);
    await page.locator('#card [part=byline]').waitFor();
    // The demo feed's count: this test's collector has counted no view.
    assert.equal(await page.locator('#card [part=byline]').textContent(), 'By Massene Diop · June 18, 2017 at 6:48 PM · Read 376 times');
    assert.equal(await page.evaluate(() => window.__started), true);
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('gives the banner title the whole width of a 360 px phone', async () => {
    const { context, page } = await openPage(env.browser, { viewport: { width: 360, height: 740 } });
    await page.goto(`${env.server.origin}/`);
    const title = page.locator('[data-depeche=banner] [part=content]');
    await title.waitFor();
    const [box, banner] = [await title.boundingBox(), await page.locator('[data-depeche=banner] [part~=banner]').boundingBox()];
    await page.screenshot({ path: join(artifacts, 'banner-360.png') });
    // The banner's padding aside, the title has the row to itself; the controls go below it.
    assert.ok(box.width >= banner.width - 40, `title ${box.width} px of a ${banner.width} px banner`);
    const close = await page.locator('[data-depeche=banner] [part=close]').boundingBox();
    assert.ok(close.y >= box.y + box.height - 1, 'the controls are under the title');
    await context.close();
  });

  for (const [lang, kicker, more] of [
    ['fr', 'URGENT', 'Lire la suite'], ['en', 'URGENT', 'Read more'], ['es', 'URGENTE', 'Leer más'],
    ['pt', 'URGENTE', 'Ler mais'], ['de', 'EILMELDUNG', 'Weiterlesen'], ['ar', 'عاجل', 'اقرأ المزيد'],
    ['sw', 'DHARURA', 'Soma zaidi'], ['zh', '紧急', '阅读全文'],
  ]) {
    it(`speaks ${lang}, passes axe and is photographed`, async () => {
      const { context, page, record } = await openPage(env.browser);
      await page.goto(`${env.server.origin}/languages.html?lang=${lang}`);
      await page.locator('[data-depeche=card] [part=toggle]', { hasText: more }).waitFor();
      assert.equal(await page.locator('[data-depeche=banner] [part=kicker]').textContent(), kicker);
      const byline = await page.locator('[data-depeche=card] [part=byline]').textContent();
      assert.match(byline, /Massene Diop/);
      const dir = await page.locator('[data-depeche=card] [part~=card]').evaluate((el) => getComputedStyle(el).direction);
      assert.equal(dir, lang === 'ar' ? 'rtl' : 'ltr');
      await page.screenshot({ path: join(artifacts, `languages-${lang}.png`), fullPage: true });
      const found = await axeViolations(page);
      assert.deepEqual(found, [], lang);
      assert.deepEqual(record.errors, []);
      assert.deepEqual(widgetLines(record), []);
      await context.close();
    });
  }

  it('lays Arabic out right to left and keeps a mixed-direction title readable', async () => {
    const { context, page } = await openPage(env.browser);
    const feed = {
      version: 'https://jsonfeed.org/version/1.1', title: 'أخبار', language: 'ar',
      items: [{ id: 'ar-1', title: 'Bamako: هجوم على فندق Kangaba وسقوط 3 قتلى', language: 'ar',
        date_published: '2017-06-18T18:48:00Z', authors: [{ name: 'Massene Diop' }], summary: 'ملخص الخبر.',
        content_text: 'نص الخبر.', _depeche: { urgency: 1, views: 376 } }],
    };
    await page.route(`${env.server.origin}/ar.json`, (r) => r.fulfill({ contentType: 'application/feed+json', body: JSON.stringify(feed) }));
    await route(page, env.server.origin, '/ar.html', `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"></head><body>
      <div data-depeche="banner"></div><div data-depeche="card" data-article="ar-1"></div>
      <script type="module" src="/embed.js" data-feed="/ar.json" data-refresh="0" data-time-zone="Africa/Bamako"></script></body></html>`);
    await page.goto(`${env.server.origin}/ar.html`);
    const title = page.locator('[data-depeche=card] [part=title]');
    await title.waitFor();
    // Starting with a Latin word, the Arabic title still reads right to left ("Bamako:"
    // comes first from the right): its language decides, not its first letter.
    assert.equal(await title.evaluate((el) => getComputedStyle(el).direction), 'rtl');
    assert.equal(await page.locator('[data-depeche=banner] [part=title]').evaluate((el) => getComputedStyle(el).direction), 'rtl');
    assert.equal(await page.locator('[data-depeche=banner] [part~=banner]').evaluate((el) => getComputedStyle(el).direction), 'rtl');
    const byline = await page.locator('[data-depeche=card] [part=byline]').textContent();
    assert.ok(byline.includes('\u2068Massene Diop\u2069'), byline);
    // The close button sits at the left end in a right-to-left banner.
    const [close, content] = [await page.locator('[data-depeche=banner] [part=close]').boundingBox(), await page.locator('[data-depeche=banner] [part=content]').boundingBox()];
    assert.ok(close.x < content.x, 'mirrored');
    await page.screenshot({ path: join(artifacts, 'languages-ar-mixed.png'), fullPage: true });
    await context.close();
  });
});
