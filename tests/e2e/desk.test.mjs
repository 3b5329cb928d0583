// End to end: the publisher desk and the audience dashboard, as an editor uses them. Sign in
// (a wrong token says so), preview with the real widget in light and dark, publish (a warning
// before a second URGENT alert), see it on the publisher's and the partner's open pages,
// count views from both on the dashboard, schedule, correct and withdraw from the keyboard,
// sign out, and find everything again after a restart; all under the pages' strict CSP.
// Accessibility is desk-a11y.test.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launch, openDesk, openPage, startCollector, USER_AGENT } from './harness.mjs';

const TOKEN = 'e2e-desk';
const STORY = 'kangaba-attack-2017-06-18';

describe('publisher desk and audience dashboard', () => {
  let server;
  let browser;
  before(async () => {
    server = await startCollector(['--publish-token', TOKEN]);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A desk page of this file's collector (see `openDesk`). */
  const desk = (path, options) => openDesk(browser, server.origin, TOKEN, path, options);

  /** The color of `property` of the banner in the preview frame for `theme`. */
  async function previewBanner(page, theme, title) {
    const frame = page.frameLocator(`#preview-${theme}`);
    await frame.locator('[data-depeche=banner] [part=title]', { hasText: title }).waitFor();
    return frame.locator('[data-depeche=banner] [part~=banner]').evaluate((el) => getComputedStyle(el).backgroundColor);
  }

  /** Focuses `button` and presses Enter on it, as a keyboard user would (a redraw of the list
   * in between gives the focus to the same button of the same row: tested below). */
  async function enterOn(page, button) {
    await button.focus();
    await page.keyboard.press('Enter');
  }

  /** The feed's view count of `id`, once it reaches `expected` (beacons travel after a page). */
  async function expectViews(id, expected) {
    const views = async () => ((await (await fetch(`${server.origin}/feed.json`, { cache: 'no-store' })).json())
      .items.find((i) => i.id === id)?._depeche?.views ?? 0);
    for (let i = 0; i < 100 && (await views()) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await views(), expected);
  }

  it('previews, publishes, counts, schedules, corrects and withdraws, and keeps it all over a restart', async () => {
    // Two readers, on the publisher's page and on the partner's (another origin).
    const readers = [];
    for (const [name, url] of [['reader', `${server.origin}/`], ['partner', `${server.partner}/`]]) {
      const opened = await openPage(browser, { userAgent: `${USER_AGENT} ${name}` });
      await opened.page.goto(url);
      await opened.page.locator('[data-depeche=card] [part=byline]').waitFor();
      readers.push(opened);
    }
    const onReaders = (title, present, timeout = 10_000) => Promise.all(readers.map(({ page }) => page.waitForFunction(
      ([t, p]) => document.querySelector('[data-depeche=banner]').shadowRoot.textContent.includes(t) === p,
      [title, present], { timeout })));

    const { context, page, record } = await desk('/console.html', { signedIn: false });
    const status = page.locator('#result');
    await page.getByLabel('Jeton de publication').fill('pas-le-bon');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await status.filter({ hasText: 'Refusé (401) : a valid publish token is needed' }).waitFor();
    assert.equal(await page.locator('#content').isHidden(), true);
    await page.getByLabel('Jeton de publication').fill(TOKEN);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const storyRow = page.locator('#items tr', { hasText: 'Attaque en cours contre un lieu à Bamako' });
    await storyRow.locator('td', { hasText: 'en ligne' }).waitFor();
    assert.equal(await storyRow.locator('td').nth(3).textContent(), 'fichier du flux');
    // Kept for the tab: a reload stays signed in, and the token is in no field.
    await page.reload();
    await page.locator('#content').waitFor();
    assert.equal(await page.getByLabel('Jeton de publication').inputValue(), '');

    // The preview is the widget itself, in both themes, as the editor types.
    await page.getByLabel('Identifiant').fill('desk-flash');
    await page.getByLabel('Titre').fill('Alerte depuis le pupitre');
    assert.equal(await previewBanner(page, 'light', 'Alerte depuis le pupitre'), 'rgb(200, 16, 46)');
    assert.equal(await previewBanner(page, 'dark', 'Alerte depuis le pupitre'), 'rgb(255, 90, 110)');
    await page.frameLocator('#preview-light').locator('[data-depeche=card] [part=title]', { hasText: 'Alerte depuis le pupitre' }).waitFor();

    // The demo's story is URGENT and live: publishing another asks first.
    const dialogs = [];
    let answer = false;
    page.on('dialog', (d) => { dialogs.push(d.message()); return answer ? d.accept() : d.dismiss(); });
    await page.getByRole('button', { name: 'Publier', exact: true }).click();
    await status.filter({ hasText: 'Publication annulée.' }).waitFor();
    assert.match(dialogs[0], /Une autre alerte URGENT est en ligne \(« Attaque en cours/);
    answer = true;
    await page.getByRole('button', { name: 'Publier', exact: true }).click();
    await status.filter({ hasText: 'Publié : Alerte depuis le pupitre' }).waitFor();
    await onReaders('Alerte depuis le pupitre', true);
    const flashRow = page.locator('#items tr', { hasText: 'Alerte depuis le pupitre' });
    await flashRow.locator('td', { hasText: 'ce pupitre' }).waitFor();

    // A refused input says why, in the collector's words.
    await page.getByRole('button', { name: 'Nouvelle alerte' }).click();
    await page.getByLabel('Identifiant').fill('desk-blank');
    await page.getByLabel('Titre').fill('   ');
    await page.getByRole('button', { name: 'Publier', exact: true }).click();
    await status.filter({ hasText: 'Refusé (400) : the widget would not show this item' }).waitFor();

    // Each reader saw it for over a second: two views, one from each origin, on the dashboard.
    await expectViews('desk-flash', 2);
    const board = await desk(`/dashboard.html?item=desk-flash`);
    // Intl separates a number from its % by a no-break space.
    const spaced = (text) => text.replace(/\s/g, ' ');
    const figure = async (id) => spaced(await board.page.locator(`#${id}`).textContent());
    await board.page.locator('#views', { hasText: '2' }).waitFor();
    assert.deepEqual([await figure('views'), await figure('reads'), await figure('rate')], ['2', '0', '0 %']);
    const origins = await board.page.locator('#origins tbody tr').allInnerTexts();
    assert.deepEqual(origins.map((r) => spaced(r.split('\t').join(' | '))).sort(),
      [`${server.origin} | 1 | 0 | 50 %`, `${server.partner} | 1 | 0 | 50 %`].sort());
    // The table beside the chart has the two views: in this minute's row, or in the last
    // one's and this one's if a minute began between the views and the dashboard's read (the
    // collector's clock is the real one).
    const rows = await board.page.locator('#minutes details tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    assert.deepEqual(rows.reduce(([v, r], [views, reads]) => [v + views, r + reads], [0, 0]), [2, 0], JSON.stringify(rows));
    assert.ok(rows.slice(2).every(([views, reads]) => views === 0 && reads === 0), 'in the last two minutes');
    assert.equal(await board.page.locator('#minutes canvas').count(), 1, 'a uPlot chart');
    // The CSV export is the token holder's download.
    const [download] = await Promise.all([board.page.waitForEvent('download'), board.page.getByRole('button', { name: 'Exporter en CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.equal(csv.split('\n')[0], 'start_utc,span_seconds,item,event,origin,n');
    assert.equal(csv.trim().split('\n').length, 3, csv);
    await board.context.close();

    // Corrected and withdrawn from the keyboard alone.
    await enterOn(page, page.getByRole('button', { name: 'Corriger « Alerte depuis le pupitre »' }));
    assert.equal(await page.evaluate(() => document.activeElement.id), 'form-title');
    assert.equal(await page.getByLabel('Identifiant').inputValue(), 'desk-flash');
    await page.getByLabel('Titre').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Alerte corrigée depuis le pupitre');
    await page.keyboard.press('Enter');
    await status.filter({ hasText: 'Publié : Alerte corrigée depuis le pupitre' }).waitFor();
    await onReaders('Alerte corrigée depuis le pupitre', true);
    await enterOn(page, page.getByRole('button', { name: 'Retirer « Alerte corrigée depuis le pupitre »' }));
    await status.filter({ hasText: 'Retirée : Alerte corrigée depuis le pupitre' }).waitFor();
    assert.ok(dialogs.includes('Retirer « Alerte corrigée depuis le pupitre » de toutes les pages ?'), dialogs.join('\n'));
    await onReaders('Alerte corrigée depuis le pupitre', false);
    await page.locator('#items tr', { hasText: 'Alerte corrigée depuis le pupitre' }).locator('td', { hasText: 'retirée' }).waitFor();

    // Scheduled: held until its time, then on the readers' pages without a reload. Its time
    // is the collector's real one, so it is set far enough ahead for a loaded machine to get
    // through the form first. A whole second: the field keeps no milliseconds.
    const at = new Date(Math.ceil((Date.now() + 8000) / 1000) * 1000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByRole('button', { name: 'Nouvelle alerte' }).click();
    await page.getByLabel('Identifiant').fill('desk-later');
    await page.getByLabel('Titre').fill('Alerte programmée');
    await page.getByLabel('Urgence').selectOption('2');
    await page.getByLabel('Publier à').fill(local);
    await page.getByRole('button', { name: 'Publier', exact: true }).click();
    await status.filter({ hasText: 'Programmée : Alerte programmée' }).waitFor();
    await page.locator('#items tr', { hasText: 'Alerte programmée' }).locator('td', { hasText: 'programmée' }).first().waitFor();
    const early = await readers[0].page.evaluate(() => document.querySelector('[data-depeche=banner]').shadowRoot.textContent.includes('Alerte programmée'));
    // Read before its time (checked after the read), it was not shown.
    assert.ok(Date.now() < at.getTime(), 'the form took more than 8 s: too slow to see it held');
    assert.equal(early, false);
    await onReaders('Alerte programmée', true, 15_000);
    assert.ok(Date.now() >= at.getTime(), 'not before its time');
    await page.locator('#items tr', { hasText: 'Alerte programmée' }).locator('td', { hasText: 'en ligne' }).waitFor();

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    assert.equal(await page.locator('#sign-in').isVisible(), true);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the strict policy refused nothing');
    assert.deepEqual(record.errors, []);
    for (const r of readers) await r.context.close();
    await context.close();

    // A restart over the same database keeps the items, their states and their counts.
    await server.stop();
    server = await startCollector(['--publish-token', TOKEN], server.dir);
    const again = await desk('/console.html');
    await again.page.locator('#items tr', { hasText: 'Alerte corrigée depuis le pupitre' }).locator('td', { hasText: 'retirée' }).waitFor();
    await again.page.locator('#items tr', { hasText: 'Alerte programmée' }).locator('td', { hasText: 'en ligne' }).waitFor();
    await again.page.goto(`${server.origin}/dashboard.html?item=desk-flash`);
    await again.page.locator('#views', { hasText: '2' }).waitFor();
    await again.context.close();
  });

  it('keeps the keyboard on the button it was on while the list is redrawn', async () => {
    const publish = async (id, title) => {
      const response = await fetch(`${server.origin}/publish`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id, title, _depeche: { urgency: 3 } }),
      });
      assert.equal(response.status, 201, await response.text());
    };
    await publish('focus-a', 'Focus : première alerte');
    const { context, page } = await desk('/console.html', { clock: true });
    const button = page.locator('#items tr', { hasText: 'Focus : première alerte' }).getByRole('button', { name: 'Corriger « Focus : première alerte »' });
    await button.focus();
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
    assert.equal(await focused(), 'Corriger « Focus : première alerte »');

    // A change from elsewhere redraws the list (the new row shows): the keyboard stays put.
    await publish('focus-b', 'Focus : seconde alerte');
    await page.locator('#items tr', { hasText: 'Focus : seconde alerte' }).waitFor();
    assert.equal(await focused(), 'Corriger « Focus : première alerte »');

    // The 10 s refresh that finds nothing new leaves the very same element focused.
    await page.evaluate(() => { window.__focused = document.activeElement; });
    const listed = page.waitForResponse((r) => r.url().endsWith('/items'));
    await page.clock.runFor(10_500);
    await (await listed).finished();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    assert.equal(await page.evaluate(() => document.activeElement === window.__focused && window.__focused.isConnected), true);
    await context.close();
  });
});
