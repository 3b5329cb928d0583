// End to end: feeds a newsroom already has (RSS in ISO-8859-1, Atom, ninjs 2.x and 3.x,
// schema.org JSON-LD, JSON Feed 1.0), given to the collector with --source, end up as banner
// and card text in Chromium with their accents exact.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPage, root, withCollectorAndBrowser } from './harness.mjs';

const fixtures = join(root, 'collector/tests/data/sources');
const SOURCES = ['rss-latin1.xml', 'atom.xml', 'ninjs2.json', 'ninjs3.json', 'newsarticle.jsonld', 'jsonfeed-1.0.json'];
/** /status shows the sources' URLs, which may hold keys: the desk's token only. */
const TOKEN = 'e2e-sources-token';

/** Each source's item, by id, and the title readers must see. */
const EXPECTED = [
  ['journal-attaque-2017-06-18', 'Attaque en cours à Bamako : la sécurité renforcée'],
  ['tag:sahelwire.example,2026:niamey-floods', 'Flash floods cut the main road out of Niamey'],
  ['http://agence.example/2017/06/18/kangaba-attaque', 'Mali : attaque en cours au campement Kangaba, près de Bamako'],
  ['urn:newsml:agence.example:20261201:cotonou-election', 'Bénin : résultats provisoires attendus ce soir à Cotonou'],
  ['https://quotidien.example/2026/12/01/dakar-port#article', 'Sénégal : le port de Dakar paralysé par une grève'],
  ['2017061801', 'Niamey : coupure d’électricité dans plusieurs quartiers'],
];

describe('feed sources', () => {
  const env = withCollectorAndBrowser(['--publish-token', TOKEN, ...SOURCES.flatMap((s) => ['--source', join(fixtures, s)])]);

  it('every format reaches the page as card and banner text, accents exact', async () => {
    // Read at start-up, in the background: wait until every source has been read.
    let status;
    for (let i = 0; i < 100; i++) {
      status = await (await fetch(`${env.server.origin}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
      if (status.sources.every((s) => s.last_success_ms)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status.failing, 0, JSON.stringify(status));
    assert.deepEqual(status.sources.map((s) => s.format), ['rss', 'atom', 'ninjs', 'ninjs', 'jsonld', 'jsonfeed']);

    const { context, page, record } = await openPage(env.browser);
    const cards = EXPECTED.map(([id]) => `<div data-depeche="card" data-article="${id.replace(/"/g, '&quot;')}"></div>`).join('');
    await page.route(`${env.server.origin}/sources.html`, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
        <div data-depeche="banner"></div>${cards}
        <script type="module" src="/embed.js" data-feed="/feed.json" data-time-zone="Africa/Bamako" data-refresh="0"></script></body></html>`,
    }));
    await page.goto(`${env.server.origin}/sources.html`);
    await page.locator('[data-depeche=card] [part=title]').first().waitFor();
    const titles = await page.evaluate(() => [...document.querySelectorAll('[data-depeche=card]')].map((c) => c.shadowRoot?.querySelector('[part=title]')?.textContent ?? null));
    assert.deepEqual(titles, EXPECTED.map(([, title]) => title));
    // The urgent ones (the RSS item's category "Alerte", ninjs urgency 1 and 2, Atom's
    // "breaking") are in the banner's queue; the first shows.
    const banner = await page.locator('[data-depeche=banner] [part=counter]').textContent();
    assert.match(banner, /^1\/\d+$/);
    assert.ok(Number(banner.split('/')[1]) >= 4, `urgent items in the banner: ${banner}`);
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
