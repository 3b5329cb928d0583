// End to end: the publisher desk. Sign in once (a wrong token says so), see the live list,
// publish (with a warning when another URGENT alert is live), and withdraw after a
// confirmation: the open demo page follows in about a second.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openPage, withCollectorAndBrowser } from './harness.mjs';

const TOKEN = 'e2e-desk';

describe('publisher desk', () => {
  const env = withCollectorAndBrowser(['--publish-token', TOKEN]);

  it('signs in once, publishes, warns before a second URGENT alert, and withdraws after a confirmation', async () => {
    const { context, page, record } = await openPage(env.browser, { reducedMotion: 'reduce' });
    const reader = await context.newPage();
    await reader.goto(`${env.server.origin}/`);
    // Under the strict policy of strict.html (no inline script or style): nothing refused.
    const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'">`;
    await page.route(`${env.server.origin}/console.html`, async (route) => {
      const html = await (await route.fetch()).text();
      await route.fulfill({ body: html.replace('<head>', `<head>${csp}`), contentType: 'text/html; charset=utf-8' });
    });
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${env.server.origin}/console.html`);

    const status = page.locator('#result');
    await page.getByLabel('Jeton de publication').fill('pas-le-bon');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await status.filter({ hasText: 'Refusé (401) : a valid publish token is needed' }).waitFor();
    assert.equal(await page.locator('#desk').isHidden(), true);

    await page.getByLabel('Jeton de publication').fill(TOKEN);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.locator('#items td', { hasText: 'Attaque en cours contre un lieu à Bamako' }).first().waitFor();
    // Kept for the tab: a reload stays signed in, and the token is in no field.
    await page.reload();
    await page.locator('#desk').waitFor();
    assert.equal(await page.getByLabel('Jeton de publication').inputValue(), '');

    // The demo feed's story is URGENT and live: publishing another asks first.
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await page.getByLabel('Identifiant').fill('desk-flash');
    await page.getByLabel('Titre').fill('Alerte depuis le pupitre');
    await page.getByRole('button', { name: 'Publier' }).click();
    await status.filter({ hasText: 'Publication annulée.' }).waitFor();
    assert.match(dialogs[0], /Une autre alerte URGENT est en ligne/);
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
    await page.getByRole('button', { name: 'Publier' }).click();
    await status.filter({ hasText: 'Publié : Alerte depuis le pupitre' }).waitFor();
    await reader.locator('[data-depeche=banner] [part=title]', { hasText: 'Alerte depuis le pupitre' }).waitFor({ timeout: 3000 });
    await page.locator('#items td', { hasText: 'Alerte depuis le pupitre' }).waitFor();

    // A refused input says why, in the collector's words.
    await page.getByLabel('Identifiant').fill('desk-flash');
    await page.getByLabel('Titre').fill('   ');
    await page.getByRole('button', { name: 'Publier' }).click();
    await status.filter({ hasText: 'Refusé (400)' }).waitFor();

    await page.getByRole('button', { name: 'Retirer « Alerte depuis le pupitre »' }).click();
    await status.filter({ hasText: 'Retirée : Alerte depuis le pupitre' }).waitFor();
    assert.ok(dialogs.some((m) => m.includes('Retirer « Alerte depuis le pupitre » de toutes les pages ?')));
    await reader.waitForFunction(() => !document.querySelector('[data-depeche=banner]').shadowRoot.innerHTML.includes('Alerte depuis le pupitre'), null, { timeout: 3000 });
    await page.locator('#items tr', { hasText: 'Alerte depuis le pupitre' }).locator('td', { hasText: 'retirée' }).waitFor();

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    assert.equal(await page.locator('#sign-in').isVisible(), true);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the strict policy refused nothing');
    assert.deepEqual(record.errors, []);
    await context.close();
  });
});
