// End to end: axe-core finds no violation on the desk and the dashboard, in French and in
// English, light and dark, at 360 px and wide, and neither page is wider than the screen.
// Its own file, so that it runs beside desk.test.mjs rather than after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axeViolations, openDesk, withCollectorAndBrowser } from './harness.mjs';

const TOKEN = 'e2e-desk-a11y';

describe('the desk and the dashboard are accessible', () => {
  const env = withCollectorAndBrowser(['--publish-token', TOKEN]);

  for (const path of ['/console.html', '/dashboard.html', '/console.html?lang=en']) {
    it(`${path}: no axe violation, light and dark, at 360 px and wide, nothing wider than the screen`, async () => {
      for (const width of [360, 1280]) {
        // axe is injected as a script: the pages' policy would refuse it. A page loads at its
        // width, as a phone or a desktop would; the reader's colour scheme changes in place.
        const { context, page } = await openDesk(env.browser, env.server.origin, TOKEN, path,
          { colorScheme: 'light', viewport: { width, height: 800 }, bypassCSP: true });
        if (path.startsWith('/console')) {
          await page.locator('#f-title').fill('Vérifier l’accessibilité');
          await page.frameLocator('#preview-dark').locator('[data-depeche=banner] [part=title]').waitFor();
        } else {
          await page.locator('#minutes canvas').waitFor();
        }
        for (const colorScheme of ['light', 'dark']) {
          await page.emulateMedia({ colorScheme });
          assert.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), colorScheme === 'dark');
          const found = await axeViolations(page, { iframes: false });
          assert.deepEqual(found, [], `${path} ${colorScheme} ${width}px`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.equal(overflow, 0, `${path} ${colorScheme} ${width}px is no wider than the screen`);
        }
        await context.close();
      }
    });
  }
});
