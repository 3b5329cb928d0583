// End to end: the widget on host pages with the strictest Content-Security-Policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { artifacts, nextTask, openPage, recordConsole, saidBy, widgetLines, withCollectorAndBrowser } from './harness.mjs';

/** Records `securitypolicyviolation` events from the very start of the page. */
const recordViolations = () => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
};

describe('strict host pages', () => {
  const env = withCollectorAndBrowser();

  it('renders and works under default-src self, style-src self and Trusted Types', async () => {
    const { context, page, record } = await openPage(env.browser);
    await page.addInitScript(recordViolations);
    const response = await page.goto(`${env.server.origin}/strict.html`);
    assert.match(response.headers()['content-security-policy'], /require-trusted-types-for 'script'/);
    const toggle = page.locator('[data-depeche=card] [part=toggle]');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.locator('[data-depeche=banner] [part=title]').waitFor();
    // The adopted stylesheet applies: the banner has the accent background.
    const background = await page.locator('[data-depeche=banner] [part=banner]').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(background, 'rgb(200, 16, 46)');
    await page.screenshot({ path: join(artifacts, 'strict.png'), fullPage: true });
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(record.errors, []);
    assert.deepEqual(widgetLines(record), []);
    await context.close();
  });

  it("fails quietly without 'wasm-unsafe-eval': one message, no error, no half-built DOM", async () => {
    const { context, page, record } = await openPage(env.browser);
    const rejections = [];
    await page.exposeFunction('__rejection', (r) => rejections.push(r));
    await page.addInitScript(() => {
      window.addEventListener('error', (e) => window.__rejection(`error: ${e.message}`));
      window.addEventListener('unhandledrejection', (e) => window.__rejection(`rejection: ${e.reason}`));
    });
    await page.addInitScript(recordViolations);
    await recordConsole(page);
    await page.goto(`${env.server.origin}/strict-no-wasm.html`);
    // The refusal and the widget's word on it, then a task more for anything that followed.
    await page.waitForFunction(() => window.__violations.length > 0 && window.__said.some((l) => l.includes('depeche:')), null, { timeout: 10_000 });
    await nextTask(page);
    // The one violation is the refused wasm compilation itself: nothing else was attempted.
    assert.deepEqual(await page.evaluate(() => window.__violations), ['script-src wasm-eval']);
    assert.deepEqual(await saidBy(page), [
      "warning: depeche: the page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src",
    ]);
    assert.deepEqual(record.errors, []);
    assert.deepEqual(rejections, []);
    const shadows = await page.evaluate(() => [...document.querySelectorAll('[data-depeche]')].map((m) => m.shadowRoot));
    assert.deepEqual(shadows, [null, null]);
    await context.close();
  });
});
