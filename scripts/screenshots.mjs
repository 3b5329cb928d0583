// Takes docs/desk.md's screenshots of the desk and the audience dashboard (docs/desk.png,
// docs/dashboard.png): a collector over a throwaway database, a few views from two origins,
// and the pages at 1280 px in French. Run after `make build collector`:
//   node scripts/screenshots.mjs
import { launch, openPage, startCollector, USER_AGENT } from '../tests/e2e/harness.mjs';

const token = 'screenshots';
const server = await startCollector(['--publish-token', token]);
const browser = await launch();
try {
  // Readers on both origins, each a visitor of its own, for the dashboard to have figures.
  for (let i = 0; i < 6; i++) {
    const { context, page } = await openPage(browser, { userAgent: `${USER_AGENT} reader-${i}` });
    await page.goto(i % 3 ? `${server.origin}/` : `${server.partner}/`);
    await page.locator('[data-depeche=card] [part=byline]').waitFor();
    await page.waitForTimeout(1500);
    if (i % 2) await page.locator('[data-depeche=card] [part=toggle]').click();
    await page.waitForTimeout(700);
    await context.close();
  }
  const { page } = await openPage(browser, { locale: 'fr-FR', viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.origin}/console.html`);
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
  await page.locator('#items td').first().waitFor();
  await page.getByLabel('Identifiant').fill('coupure-dakar');
  await page.getByLabel('Titre').fill('Coupure d’électricité géante à Dakar : le réseau rétabli d’ici ce soir');
  await page.getByLabel('Résumé').fill('La Senelec annonce un retour progressif du courant dans tous les quartiers.');
  await page.getByLabel('Urgence').selectOption('2');
  await page.frameLocator('#preview-dark').locator('[data-depeche=card] [part=title]').waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: 'docs/desk.png', fullPage: true });
  await page.goto(`${server.origin}/dashboard.html?item=kangaba-attack-2017-06-18`);
  await page.locator('#minutes canvas').waitFor();
  await page.locator('#minutes details').evaluate((d) => { d.open = true; });
  await page.waitForTimeout(300);
  await page.screenshot({ path: 'docs/dashboard.png', clip: { x: 0, y: 0, width: 1280, height: 1150 } });
} finally {
  await browser.close();
  await server.stop();
}
