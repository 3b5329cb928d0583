// End to end: the desk survives what a source, a link or another site hands it (issue 25).
// One leap-second date or one file-path source never empties the list of alerts: each row is
// rendered on its own, a date no browser reads and a source that is no URL are shown as
// written. `?lang=constructor` (or a stored one) falls back to a language of the desk's. The
// preview renders a draft only from its parent desk page, never from its address or from
// another window.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, openPage, root, scratchDir, startCollector } from './harness.mjs';

const TOKEN = 'e2e-desk-hostile';
/** A leap second: valid RFC 3339 (the widget reads it), an invalid date to `new Date`. */
const LEAP = '2016-12-31T23:59:60Z';
/** The demo's own file source, given by its path: `/items` reports that path as its source. */
const DEMO_SOURCE = join(root, 'www/sources/alertes.rss');
const DEMO_TITLE = 'Mopti : la crue du Niger coupe la route nationale 16';
/** How long a page is given to show what it must (it is all local). */
const SHOWN_MS = 8000;

describe('the desk against hostile items, links and windows', () => {
  let server;
  let browser;
  const dir = scratchDir('depeche-e2e-hostile-');
  const leapSource = join(dir, 'leap.json');
  before(async () => {
    writeFileSync(leapSource, JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'Agence de la seconde intercalaire',
      items: [{ id: 'leap-source', title: 'Seconde intercalaire (source)', date_published: LEAP, content_text: 'Une seconde de plus.' }],
    }));
    server = await startCollector(['--publish-token', TOKEN, '--source', DEMO_SOURCE, '--source', leapSource]);
    browser = await launch();
    // The sources are read in the background after start: wait until both have been.
    for (let i = 0; ; i++) {
      const response = await fetch(`${server.origin}/status`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const status = await response.json();
      if (status.sources.every((s) => s.last_success_ms)) break;
      if (i === 100) assert.fail(`sources not read: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A desk page in `locale`, signed in unless `signedIn` is false. */
  async function desk(path, { signedIn = true, locale = 'fr-FR' } = {}) {
    const opened = await openPage(browser, { locale });
    await opened.page.goto(`${server.origin}${path}`);
    if (signedIn) {
      await opened.page.locator('#token').fill(TOKEN);
      await opened.page.locator('#token').press('Enter');
      await opened.page.locator('#content').waitFor({ timeout: SHOWN_MS });
    }
    return opened;
  }

  /** The cells of the console's row whose title is `title`, once it is shown. */
  async function cells(page, title) {
    const row = page.locator('#items tbody tr', { hasText: title });
    await row.first().waitFor({ timeout: SHOWN_MS });
    return row.first().locator('td').allTextContents();
  }

  it('lists every row when one has a leap-second date and another a file-path source', async () => {
    const published = await fetch(`${server.origin}/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 'leap-desk', title: 'Seconde intercalaire (pupitre)', date_published: LEAP, _depeche: { urgency: 3, expires: LEAP } }),
    });
    assert.ok(published.ok, await published.text());

    const { context, page, record } = await desk('/console.html');
    // The feed file's story, as before.
    const story = await cells(page, 'Attaque en cours contre un lieu à Bamako');
    assert.equal(story[3], 'fichier du flux');
    // The demo's file source: its path, as written.
    assert.equal((await cells(page, DEMO_TITLE))[3], DEMO_SOURCE);
    // Leap seconds: a source's is read as its :59 by the collector (as feed readers do), the
    // desk's is shown as written.
    const fromSource = await cells(page, 'Seconde intercalaire (source)');
    assert.equal(fromSource[3], leapSource);
    assert.match(fromSource[4], /^31\/12\/2016 23:59$/);
    const fromDesk = await cells(page, 'Seconde intercalaire (pupitre)');
    assert.deepEqual([fromDesk[2], fromDesk[3], fromDesk[4], fromDesk[5]], ['expirée', 'ce pupitre', LEAP, LEAP]);
    // Corrected from the list: the form takes it, the preview too.
    await page.getByRole('button', { name: 'Corriger « Seconde intercalaire (pupitre) »' }).click();
    assert.equal(await page.getByLabel('Identifiant').inputValue(), 'leap-desk');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('renders each row on its own: a row that cannot be rendered shows what it can', async () => {
    const good = (id, title) => ({ id, title, urgency: 2, state: 'live', source: 'desk', date_published: '2026-12-02T07:30:00Z', views: 3, reads: 1, item: { id, title } });
    const listing = {
      generated_ms: Date.now(),
      items: [
        good('first', 'Première alerte'),
        null,
        42,
        { id: 'odd', title: 'Alerte étrange', state: 'constructor', source: { host: 'x' }, date_published: 'hier', expires: 12, views: 'beaucoup', reads: null },
        ['x'.repeat(1000)],
        good('last', 'Dernière alerte'),
      ],
    };
    for (const path of ['/console.html', '/dashboard.html']) {
      const { context, page, record } = await openPage(browser, { locale: 'fr-FR' });
      await context.route(`${server.origin}/items`, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(listing) }));
      await page.goto(`${server.origin}${path}`);
      await page.locator('#token').fill(TOKEN);
      await page.locator('#token').press('Enter');
      if (path === '/console.html') {
        const rows = page.locator('#items tbody tr');
        await rows.nth(5).waitFor({ timeout: SHOWN_MS });
        const texts = await rows.allTextContents();
        assert.equal(texts.length, 6, texts.join('\n'));
        assert.match(texts[0], /^Première alerte/);
        assert.match(texts[5], /^Dernière alerte/);
        assert.deepEqual([texts[1], texts[2]], ['null', '42']);
        // Raw text is cut to the desk's RAW_CHARS.
        const cut = await page.evaluate(async () => (await import('/desk.js')).RAW_CHARS);
        assert.equal(cut, 300);
        assert.equal(texts[4], `["${'x'.repeat(cut - 2)}…`);
        // A state, a source and dates it does not know: as written, never a word of its own.
        const odd = await cells(page, 'Alerte étrange');
        assert.deepEqual(odd.slice(0, 6), ['Alerte étrange', '', 'constructor', '{"host":"x"}', 'hier', '12']);
      } else {
        // The dashboard's choice of alerts keeps every alert that has an id to choose it by.
        const options = page.locator('#item option');
        await page.locator('#item option', { hasText: 'Dernière alerte' }).waitFor({ state: 'attached', timeout: SHOWN_MS });
        assert.deepEqual(await options.allTextContents(), ['Toutes les alertes', 'Première alerte', 'Alerte étrange', 'Dernière alerte']);
      }
      assert.deepEqual(record.errors, [], path);
      await context.close();
    }
  });

  for (const bad of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`reads only its own languages: ?lang=${bad}, and the same kept from before`, async () => {
      for (const path of ['/console.html', '/dashboard.html']) {
        // In the address: the browser's language instead, and nothing kept.
        const { context, page, record } = await desk(`${path}?lang=${bad}`, { signedIn: false, locale: 'en-GB' });
        await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: SHOWN_MS });
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
        assert.match(await page.title(), / — Dépêche desk$/);
        assert.equal(await page.evaluate(() => localStorage.getItem('depeche-desk-lang')), null);
        // Kept (by an older desk, or by hand): the same.
        await page.evaluate((b) => localStorage.setItem('depeche-desk-lang', b), bad);
        await page.goto(`${server.origin}${path}`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: SHOWN_MS });
        // A language of its own is still chosen and kept.
        await page.goto(`${server.origin}${path}?lang=fr`);
        await page.getByRole('heading', { name: 'Se connecter' }).waitFor({ timeout: SHOWN_MS });
        await page.goto(`${server.origin}${path}`);
        await page.getByRole('heading', { name: 'Se connecter' }).waitFor({ timeout: SHOWN_MS });
        assert.deepEqual(record.errors, [], path);
        await context.close();
      }
    });
  }

  /** A draft as the console sends it. */
  const draft = (title) => ({ id: 'apercu', title, date_published: new Date().toISOString(), language: 'fr', _depeche: { urgency: 1 } });
  /** What the preview in `frame` shows: its state, and its banner's title if any. */
  const shown = (frame) => frame.evaluate(() => ({
    state: document.body.dataset.preview,
    title: document.querySelector('[data-depeche=banner]')?.shadowRoot?.querySelector('[part=title]')?.textContent ?? null,
  }));

  it('renders no preview opened on its own, whatever its address or its own messages say', async () => {
    const { context, page, record } = await openPage(browser, { locale: 'fr-FR' });
    const phishing = draft('FAUX : la rédaction annonce…');
    await page.goto(`${server.origin}/preview.html?theme=light#${encodeURIComponent(JSON.stringify(phishing))}`);
    // At the top, the page is its own parent: its own message must not count either.
    await page.evaluate((item) => postMessage({ item }, location.origin), phishing);
    await page.waitForFunction(() => document.body.dataset.preview === 'refused'
      || document.querySelector('[data-depeche=banner]')?.shadowRoot?.querySelector('[part=title]'), null, { timeout: SHOWN_MS });
    assert.deepEqual(await shown(page), { state: 'refused', title: null });
    assert.equal(await page.locator('#refused').isVisible(), true, 'says why it is empty');
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  /** Counts the messages each frame of `context` receives, in a listener that runs before the
   * preview's own: once the count is reached, the preview has had those messages too. */
  const countMessages = (context) => context.addInitScript(() => {
    window.__messages = 0;
    addEventListener('message', () => window.__messages++);
  });

  it('takes its draft from its parent page only, not from itself or another window', async () => {
    const { context, page, record } = await openPage(browser, { locale: 'fr-FR' });
    await countMessages(context);
    // A page of the newsroom's origin that frames the preview as the console does, and posts
    // the draft when its opener says "go"; another site opens it and posts to the frame first.
    await context.route(`${server.origin}/host.html`, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><title>hôte</title><iframe id="p" src="/preview.html?theme=dark"></iframe><script>
        const frame = document.getElementById('p');
        frame.addEventListener('load', () => opener.postMessage('loaded', '*'));
        addEventListener('message', (e) => { if (e.data === 'go') frame.contentWindow.postMessage({ item: ${JSON.stringify(draft('Le vrai brouillon'))} }, location.origin); });
      </script></html>`,
    }));
    await context.route(`${server.partner}/attacker.html`, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><title>ailleurs</title><script>
        addEventListener('message', (e) => { if (e.data === 'loaded') window.__loaded = true; });
        window.__open = () => { window.__host = open('${server.origin}/host.html'); };
      </script></html>`,
    }));
    await page.goto(`${server.partner}/attacker.html`);
    const [host] = await Promise.all([context.waitForEvent('page'), page.evaluate(() => window.__open())]);
    await page.waitForFunction(() => window.__loaded, null, { timeout: SHOWN_MS });
    const frame = host.frame({ url: /\/preview\.html/ });
    assert.deepEqual(await shown(frame), { state: 'waiting', title: null });
    // The frame's own message (its source is not its parent), then another site's.
    await frame.evaluate((item) => postMessage({ item }, location.origin), draft('FAUX : depuis le cadre'));
    await page.evaluate((item) => window.__host.frames[0].postMessage({ item }, '*'), draft('FAUX : depuis un autre site'));
    await frame.waitForFunction(() => window.__messages === 2, null, { timeout: SHOWN_MS });
    assert.deepEqual(await shown(frame), { state: 'waiting', title: null });
    // Its parent's.
    await page.evaluate(() => window.__host.postMessage('go', '*'));
    await host.frameLocator('#p').locator('[data-depeche=banner] [part=title]').waitFor({ timeout: SHOWN_MS });
    assert.deepEqual(await shown(frame), { state: 'shown', title: 'Le vrai brouillon' });
    assert.deepEqual(record.errors, []);
    await context.close();
  });

  it('takes no draft from a parent of another origin, were it let to frame the preview', async () => {
    const { context, page, record } = await openPage(browser, { locale: 'fr-FR' });
    await countMessages(context);
    // The collector's frame-ancestors 'self' keeps other sites from framing the preview; a
    // proxy or a browser that drops it must not make their messages count either.
    await context.route(/\/preview\.html/, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      assert.ok(headers['content-security-policy'].includes("frame-ancestors 'self'"));
      delete headers['content-security-policy'];
      await route.fulfill({ response, headers });
    });
    await context.route(`${server.partner}/framer.html`, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><title>ailleurs</title><iframe id="p" src="${server.origin}/preview.html?theme=light"></iframe><script>
        const frame = document.getElementById('p');
        frame.addEventListener('load', () => frame.contentWindow.postMessage({ item: ${JSON.stringify(draft('FAUX : cadré ailleurs'))} }, '*'));
      </script></html>`,
    }));
    await page.goto(`${server.partner}/framer.html`);
    const frame = await (async () => {
      for (let i = 0; i < 100; i++) {
        const f = page.frame({ url: /\/preview\.html/ });
        if (f) return f;
        await new Promise((r) => setTimeout(r, 50));
      }
      return assert.fail('no preview frame');
    })();
    await frame.waitForFunction(() => window.__messages === 1, null, { timeout: SHOWN_MS });
    assert.deepEqual(await shown(frame), { state: 'waiting', title: null });
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
