// Shared set-up of the end-to-end tests: a collector on free loopback ports with a fresh
// database, and headless Chromium driven by playwright-core (the system's, never a download).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = join(root, 'tests/e2e/artifacts');
mkdirSync(artifacts, { recursive: true });

/** The wasm's path in the build, named by its content (`pkg/depeche_bg.<16 hex>.wasm`, scripts/build.sh). */
export const WASM = (() => {
  const name = readdirSync(join(root, 'pkg')).find((f) => /^depeche_bg\.[0-9a-f]{16}\.wasm$/.test(f));
  if (!name) throw new Error('no pkg/depeche_bg.<hash>.wasm: run scripts/build.sh');
  return `pkg/${name}`;
})();

/** An ordinary desktop User-Agent: the collector does not count "HeadlessChrome". */
export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Folders made for this file's collectors: removed when its process exits (a restart reuses
 * one while the file runs; left behind, they were thousands in /tmp after a few soaks). */
const scratch = [];
process.on('exit', () => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A new folder of this file's, removed when it exits. */
export function scratchDir(prefix = 'depeche-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Starts the collector (over the database in `dir`, if given: a restart); resolves once it
 * answers. Call `stop()` when done. */
export async function startCollector(extraArgs = [], dir = scratchDir()) {
  // The end-to-end files run side by side: a free port found here may be taken by another
  // file's collector before this one binds it. Then this one exits, and starts again on
  // other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(extraArgs, dir);
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 5) throw e;
    }
  }
}

class PortTaken extends Error {}

async function startOnFreePorts(extraArgs, dir) {
  const port = await freePort();
  const partnerPort = await freePort();
  // `make test` points this at the debug build its Rust tests have just made (one compile of
  // the collector, not two); run on its own, a suite uses `make collector`'s release build.
  const bin = process.env.DEPECHE_COLLECTOR ?? join(root, 'target/release/depeche-collector');
  const args = [
    '--listen', `127.0.0.1:${port}`, '--feed', join(root, 'www/feed.json'), '--database', `sqlite:${join(dir, 'e2e.db')}`,
    '--www', join(root, 'www'), '--pkg', join(root, 'pkg'), '--partner-dir', join(root, 'www/partner'),
    '--partner-listen', `127.0.0.1:${partnerPort}`, '--allow-origin', `http://127.0.0.1:${partnerPort}`,
    ...extraArgs,
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const origin = `http://localhost:${port}`;
  // Its own line saying that both ports are bound comes first: until then, what answers on
  // the port may be another file's collector.
  for (let i = 0; !log.includes('(partner site'); i++) {
    if (child.exitCode !== null || i === 500) {
      child.kill('SIGKILL');
      if (log.includes('Address already in use')) throw new PortTaken(log);
      throw new Error(`collector did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {}
    if (child.exitCode !== null) throw new Error(`collector exited: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    partner: `http://127.0.0.1:${partnerPort}`,
    dir,
    log: () => log,
    stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }),
  };
}

/** Launches the system's Chromium with the flags this machine needs, and `extraArgs`. */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** A new page that records console lines and uncaught errors. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ userAgent: USER_AGENT, viewport: { width: 1000, height: 900 }, ...options });
  const page = await context.newPage();
  const record = { console: [], errors: [] };
  page.on('console', (m) => record.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => record.errors.push(e.message));
  return { context, page, record };
}

/** A desk page (`path`) of the collector at `origin`, in French, recording CSP violations in
 * `window.__violations`, signed in with `token` unless `signedIn` is false; with `clock`, its
 * timers under Playwright's clock. */
export async function openDesk(browser, origin, token, path, { signedIn = true, clock = false, ...options } = {}) {
  const opened = await openPage(browser, { locale: 'fr-FR', ...options });
  if (clock) await opened.page.clock.install();
  await opened.page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await opened.page.goto(`${origin}${path}`);
  if (signedIn) {
    await opened.page.locator('#token').fill(token);
    await opened.page.locator('#token').press('Enter');
    await opened.page.locator('#content').waitFor();
  }
  return opened;
}

/** The read count the collector's feed gives the item `id` now: pages of a file share a
 * collector, and one left in view for a second counts a view, which later pages show. */
export async function viewsOf(origin, id) {
  const feed = await (await fetch(`${origin}/feed.json`)).json();
  return feed.items.find((item) => item.id === id)._depeche.views;
}

/** Answers the beacons of `page` in place of the collector, so that the page's own view cannot
 * change the count between the byline's read and the collector's (`viewsOf`). */
export const keepCountStill = (page) => page.route('**/beacon', (route) => route.fulfill({ status: 204 }));

/** Console lines the widget wrote. */
export const widgetLines = (record) => record.console.filter((l) => l.includes('depeche:'));

/** The text of the first element matching `selector` inside the shadow root of `host`. */
export async function shadowText(page, host, selector) {
  return page.evaluate(([h, s]) => {
    const el = document.querySelector(h)?.shadowRoot?.querySelector(s);
    return el ? el.textContent : null;
  }, [host, selector]);
}

/**
 * For a `describe` block: a collector (with `extraArgs`) and a browser, started before its
 * tests and stopped after them. Their handles appear on the returned object.
 */
export function withCollectorAndBrowser(extraArgs = []) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startCollector(extraArgs);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/**
 * For a `describe` block: a browser for the block, and a collector of its own for each test,
 * started before it and stopped after it, so that no other test's page (one left open, a
 * beacon still in flight) can move a count the test compares. Handles as for
 * `withCollectorAndBrowser`.
 */
export function withBrowserAndCollectorPerTest(extraArgs = []) {
  const env = { server: null, browser: null };
  before(async () => {
    env.browser = await launch();
  });
  beforeEach(async () => {
    env.server = await startCollector(extraArgs);
  });
  afterEach(async () => {
    await env.server?.stop();
    env.server = null;
  });
  after(async () => {
    await env.browser?.close();
  });
  return env;
}

/** The widget's own times, as src/ sets them: a view is a second in view
 * (viewability::MIN_MS), the outbox sends half a second after the first event
 * (dom/beacon.rs FLUSH_DELAY_MS), the count is fetched again 1.5 s after a view
 * (refresh::RECOUNT_DELAY_MS), the banner turns every 8 s (banner::ROTATE_MS). */
export const VIEW_MS = 1000;
export const OUTBOX_MS = 500;
export const RECOUNT_MS = 1500;
export const ROTATE_MS = 8000;

/**
 * Installs Playwright's clock in the page's context, paused at the present: from then on the
 * page's timers and `Date` (the widget's, through dom/timer.rs) move only when the test moves
 * them with `page.clock.runFor(ms)`, however slow the machine. Call before `goto`; every
 * later document of the context starts where the clock was left. A timer set while another
 * fires is due a millisecond later, so a test runs the clock a little past a due time.
 */
export async function pauseClock(page) {
  const now = Date.now();
  // Installed a minute back: pausing at a time the clock has already passed throws.
  await page.clock.install({ time: now - 60_000 });
  await page.clock.pauseAt(now);
}

/**
 * Resolves once the widget has rendered into the mount matching `selector` (and so watches
 * it) and the mount is (or is no longer) at least half in the viewport, as an
 * IntersectionObserver made then sees it. The widget's observer was made earlier and is told
 * in the same task, so the widget knows it too once this resolves.
 */
export async function inView(page, selector, visible = true) {
  await page.waitForFunction((sel) => document.querySelector(sel)?.shadowRoot?.querySelector('[part]'), selector, { timeout: 10_000 });
  // The page's timers may be paused: the time limit is the test's.
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${selector} not ${visible ? 'in' : 'out of'} view after 10 s`)), 10_000);
  });
  const seen = page.evaluate(([sel, want]) => new Promise((resolve) => {
    const o = new IntersectionObserver((entries) => {
      const e = entries[entries.length - 1];
      if ((e.intersectionRatio >= 0.5) === want) {
        o.disconnect();
        resolve();
      }
    }, { threshold: [0, 0.5, 1] });
    o.observe(document.querySelector(sel));
  }), [selector, visible]);
  seen.catch(() => {}); // once the limit has won, a page closed later is no news
  try {
    await Promise.race([seen, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * With the page's clock paused (`pauseClock`): runs it past the view's second and then past
 * the outbox's half-second, so that whatever the page has kept in view is counted and sent.
 * Two steps: a view reported during the first schedules the outbox after it.
 */
export async function runPastView(page) {
  await page.clock.runFor(VIEW_MS + 100);
  await page.clock.runFor(OUTBOX_MS + 100);
}

/**
 * In every later document of the page: keeps each beacon the page sends (by sendBeacon or a
 * keepalive fetch), parsed, in the order sent, for `sentBeacons`. Kept by the page as it sends,
 * unlike the network's events, which reach the test later: a check that nothing was sent,
 * made after the clock has moved, sees every beacon sent until then.
 */
export async function recordBeacons(page) {
  await page.addInitScript(() => {
    const sent = (window.__sentBeacons = []);
    const keep = (body) => {
      try {
        sent.push(JSON.parse(String(body)));
      } catch {
        sent.push(String(body));
      }
    };
    const sendBeacon = navigator.sendBeacon.bind(navigator);
    Object.defineProperty(navigator, 'sendBeacon', { configurable: true, value: (url, body) => (keep(body), sendBeacon(url, body)) });
    const fetch = window.fetch.bind(window);
    window.fetch = (url, init) => {
      if (init?.keepalive) keep(init.body);
      return fetch(url, init);
    };
  });
}

/** The beacons the page has sent since its document loaded (`recordBeacons`). */
export const sentBeacons = (page) => page.evaluate(() => window.__sentBeacons);

/**
 * In every later document of the page: keeps each request the page makes by `fetch` for a
 * path ending in `path` (the widget's feed requests), as `{ status, headers }`, the status
 * once answered (`null` until then, `'error'` if it failed) with the headers the page may
 * read, for `fetchesOf`. Kept by the page as it asks, so a check that no request was made,
 * after the clock has moved, sees every one made until then. (`performance`'s resource
 * entries are no help: page.clock fakes them away.)
 */
export async function recordFetches(page, path = '/feed.json') {
  await page.addInitScript((p) => {
    const made = (window.__fetches = []);
    const fetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input.url, location.href);
      if (!url.pathname.endsWith(p)) return fetch(input, init);
      const entry = { status: null };
      made.push(entry);
      const answer = fetch(input, init);
      answer.then((r) => {
        entry.headers = Object.fromEntries(r.headers.entries());
        entry.status = r.status;
      }, () => { entry.status = 'error'; });
      return answer;
    };
  }, path);
}

/** The requests the page has made since its document loaded (`recordFetches`). */
export const fetchesOf = (page) => page.evaluate(() => window.__fetches);

/**
 * Waits until the page has made `count` recorded requests and each is answered, then for one
 * more task of the page's: what the widget does with an answer it has no body to read for (a
 * 304) is promise reactions, done by then. A MessageChannel's task, not a timer: the clock
 * may be paused.
 */
export async function answered(page, count) {
  await page.waitForFunction((n) => window.__fetches.length >= n && window.__fetches.every((f) => f.status !== null), count, { timeout: 10_000 });
  await nextTask(page);
  return fetchesOf(page);
}

/** Resolves after the page's current task, its promise reactions and one more task. */
export const nextTask = (page) => page.evaluate(() => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(0);
}));

/**
 * In every later document of the page: keeps each line the page writes to its console, as
 * `level: text` with Playwright's names of the levels (`warning`, not `warn`), when the page
 * writes it, for `saidBy`. The test's own record (`openPage`) hears of a line later, so a
 * check that a line was said once, after the clock has moved, reads this one.
 */
export async function recordConsole(page) {
  await page.addInitScript(() => {
    window.__said = [];
    for (const level of ['debug', 'log', 'info', 'warn', 'error']) {
      const write = console[level].bind(console);
      console[level] = (...args) => {
        window.__said.push(`${level === 'warn' ? 'warning' : level}: ${args.map(String).join(' ')}`);
        write(...args);
      };
    }
  });
}

/** The lines the widget has written in the page's document (`recordConsole`). */
export const saidBy = (page) => page.evaluate(() => window.__said.filter((l) => l.includes('depeche:')));

/** Makes the page look hidden (or visible again) to the widget, as a switched tab would. */
export async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/**
 * In every page: counts the EventSources the widget opens and has open (`__sources`), the
 * events they brought (`__streamEvents`) and their failures (`__streamErrors`), and waits
 * for a text to be in (or out of) the widget's shadow roots, resolving with the page's clock
 * (`__when`: it polls on a timer, so not in a page whose clock is paused).
 */
export function instrument() {
  const counts = { made: 0, open: 0 };
  window.__sources = counts;
  // The `feed` events the streams have brought and their failures, each counted before the
  // widget hears of it.
  window.__streamEvents = 0;
  window.__streamErrors = 0;
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      counts.made++;
      counts.open++;
      this.addEventListener('feed', () => window.__streamEvents++);
      this.addEventListener('error', () => window.__streamErrors++);
    }
    close() {
      if (this.readyState !== 2) counts.open--;
      super.close();
    }
  };
  // Everything a reader could meet: text and attributes of every node of the widget.
  window.__markup = (selector) => [...document.querySelectorAll(selector)].map((h) => h.shadowRoot?.innerHTML ?? '').join('\n');
  window.__when = (selector, text, present, timeout) => new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (window.__markup(selector).includes(text) === present) {
        clearInterval(timer);
        resolve(Date.now());
      } else if (Date.now() - started > timeout) {
        clearInterval(timer);
        reject(new Error(`"${text}" still ${present ? 'absent from' : 'present in'} ${selector} after ${timeout} ms`));
      }
    }, 5);
  });
}

/** The `p`th percentile of `values` (nearest rank). */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const axeSource = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on `page` (`options` as axe.run takes them), each as `rule: targets`. */
export async function axeViolations(page, options = {}) {
  await page.evaluate(axeSource);
  return page.evaluate(async (o) => (await window.axe.run(document, o)).violations
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), options);
}
