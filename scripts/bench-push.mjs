// How long a published alert takes to reach open pages: polling every 15 s and every 60 s
// against push (data-events). PAGES pages of the demo per mode, in headless Chromium, loaded
// at even intervals over one polling period (so that their polls fall at every phase), then
// one publish; the time until its title is in each page's banner. A measurement, not a test:
// it asserts nothing. Bounded: each mode ends when every page has the alert or after 90 s.
//   node scripts/bench-push.mjs            PAGES=20 by default
import { instrument, launch, openPage, percentile, startCollector } from '../tests/e2e/harness.mjs';

const PAGES = Number(process.env.PAGES || 20);
const TOKEN = 'bench-push';
const server = await startCollector(['--publish-token', TOKEN, '--rate-limit', '0']);
const browser = await launch();

const publish = (item) => fetch(`${server.origin}/publish`, {
  method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(item),
});

/** The demo page, refreshing every `refresh` s, with or without the event stream. */
async function open(refresh, push) {
  const { context, page } = await openPage(browser, { reducedMotion: 'reduce' });
  await page.addInitScript(instrument);
  await page.route(`${server.origin}/`, async (route) => {
    const html = await (await route.fetch()).text();
    const refreshing = html.replace('data-refresh="15"', `data-refresh="${refresh}"`);
    const body = push ? refreshing : refreshing.replace(/ data-events="[^"]*"/, '');
    await route.fulfill({ body, contentType: 'text/html; charset=utf-8' });
  });
  await page.goto(`${server.origin}/`);
  await page.locator('[data-depeche=banner] [part=title]').waitFor();
  return { context, page };
}

async function measure(name, refresh, push, n) {
  const pages = [];
  for (let i = 0; i < PAGES; i++) {
    pages.push(await open(refresh, push));
    if (!push) await new Promise((r) => setTimeout(r, (refresh * 1000) / PAGES));
  }
  const title = `Alerte de mesure ${n}`;
  await Promise.all(pages.map(({ page }) => page.evaluate((t) => { window.__pending = window.__when('[data-depeche=banner]', t, true, 90_000); }, title)));
  const published = Date.now();
  await publish({ id: `bench-${n}`, title, date_published: new Date().toISOString(), _depeche: { urgency: 1 } });
  const times = (await Promise.all(pages.map(({ page }) => page.evaluate(() => window.__pending.catch(() => null)))))
    .filter((t) => t !== null)
    .map((t) => t - published);
  await publish({ id: `bench-${n}`, title, _depeche: { urgency: 1, status: 'withdrawn' } });
  for (const { context } of pages) await context.close();
  const s = (p) => (times.length ? `${percentile(times, p)}` : '–');
  console.log(`| ${name} | ${times.length}/${PAGES} | ${s(50)} | ${s(95)} | ${times.length ? Math.max(...times) : '–'} |`);
}

console.log(`A published alert reaching ${PAGES} open demo pages (headless Chromium, loopback, one collector on SQLite)`);
console.log();
console.log('| delivery | pages reached | p50 ms | p95 ms | max ms |');
console.log('|---|---:|---:|---:|---:|');
try {
  await measure('push (data-events)', 15, true, 1);
  await measure('polling, data-refresh="15"', 15, false, 2);
  await measure('polling, data-refresh="60"', 60, false, 3);
} finally {
  await browser.close();
  await server.stop();
}
