// End to end: a feed made of XSS vectors, in every field, runs nothing in the host page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextTask, openPage, withCollectorAndBrowser } from './harness.mjs';
import { MARKUP, URLS } from './xss-vectors.mjs';

function hostileFeed() {
  const items = [];
  MARKUP.forEach((v, i) => {
    const common = {
      title: v,
      summary: v,
      authors: [{ name: v }, { name: `${v} 2` }],
      url: URLS[i % URLS.length],
      image: URLS[(i + 3) % URLS.length],
      language: v,
      _depeche: { urgency: 1 + (i % 3), signature: v, dateline: v, kicker: v },
    };
    items.push({ id: `html-${i}`, content_html: `${v}<p>${v}</p>${v}`, ...common });
    items.push({ id: `text-${i}`, content_text: `${v}\n\n${v}`, ...common });
  });
  return { version: 'https://jsonfeed.org/version/1.1', title: MARKUP[0], language: MARKUP[1], items };
}

function hostPage(feed) {
  const cards = feed.items.map((i) => `<div data-depeche="card" data-article="${i.id}"></div>`).join('\n');
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>
    <div data-depeche="banner"></div>${cards}
    <script type="module" src="/embed.js" data-feed="/hostile-feed.json" data-urgency="3"></script></body></html>`;
}

describe('a hostile feed', () => {
  const env = withCollectorAndBrowser();

  it('runs no script: every field, every link clicked, every element focused, with a positive control', async (t) => {
    const feed = hostileFeed();
    const { context, page, record } = await openPage(env.browser);
    const fired = [];
    await context.exposeFunction('__xssFired', (what) => fired.push(what));
    await context.addInitScript(() => {
      for (const name of ['alert', 'confirm', 'prompt', 'print']) {
        window[name] = (...args) => window.__xssFired(`${name}(${args.join(',')})`);
      }
    });
    // Nothing may leave this machine: links to other hosts are aborted, not followed.
    await context.route(/^(?!http:\/\/(localhost|127\.0\.0\.1)[:/])/, (r) => r.abort());
    await page.route('**/hostile.html', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: hostPage(feed) }));
    await page.route('**/hostile-feed.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify(feed) }));
    await page.goto(`${env.server.origin}/hostile.html`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-depeche=card]').length === n &&
      [...document.querySelectorAll('[data-depeche=card]')].every((m) => m.shadowRoot), feed.items.length);
    // A mount is filled in the task that gives it its shadow root; one task more for good measure.
    await nextTask(page);

    // What was built: only the widget's own elements and attributes, only http(s) links.
    const audit = await page.evaluate(() => {
      const allowed = new Set(['ARTICLE', 'ASIDE', 'DIV', 'P', 'H2', 'STRONG', 'SPAN', 'BUTTON', 'A', 'EM', 'B', 'I',
        'BLOCKQUOTE', 'UL', 'OL', 'LI', 'BR', 'IMG']);
      const attrs = new Set(['part', 'id', 'lang', 'hidden', 'type', 'href', 'target', 'rel', 'src', 'alt', 'loading',
        'referrerpolicy', 'aria-label', 'aria-labelledby', 'aria-live', 'aria-atomic', 'aria-expanded', 'aria-controls', 'aria-pressed', 'data-item',
        'dir']);
      const bad = [];
      for (const m of document.querySelectorAll('[data-depeche]')) {
        for (const el of m.shadowRoot.querySelectorAll('*')) {
          if (!allowed.has(el.tagName)) bad.push(`element ${el.tagName}`);
          for (const a of el.attributes) if (!attrs.has(a.name)) bad.push(`attribute ${a.name} on ${el.tagName}`);
          // The widget's own directions only, never a value from the feed.
          if (el.hasAttribute('dir') && !['ltr', 'rtl', 'auto'].includes(el.getAttribute('dir'))) bad.push(`dir=${el.getAttribute('dir')}`);
          for (const a of ['href', 'src']) {
            const v = el.getAttribute(a);
            if (v !== null && !/^https?:\/\//i.test(v)) bad.push(`${a}=${v}`);
          }
        }
      }
      return bad;
    });
    assert.deepEqual(audit, []);

    // Every link clicked, every toggle and banner button pressed, every element focused.
    const handles = await page.evaluateHandle(() =>
      [...document.querySelectorAll('[data-depeche]')].flatMap((m) => [...m.shadowRoot.querySelectorAll('*')]));
    const count = await handles.evaluate((els) => els.length);
    for (let i = 0; i < count; i++) {
      const el = await handles.evaluateHandle((els, i) => els[i], i);
      const tag = await el.evaluate((e) => e.tagName);
      await el.evaluate((e) => { e.focus(); e.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })); });
      if (tag === 'A' || (tag === 'BUTTON' && (await el.evaluate((e) => e.getAttribute('part'))) !== 'close')) {
        await el.evaluate((e) => e.click());
      }
    }
    for (const p of context.pages()) if (p !== page) await p.close();
    assert.deepEqual(record.errors, []);
    assert.ok(count > feed.items.length * 5, `audited ${count} elements`);
    const links = await page.evaluate(() => [...document.querySelectorAll('[data-depeche]')].flatMap((m) => [...m.shadowRoot.querySelectorAll('a[href]')]).length);
    t.diagnostic(`${feed.items.length} items from ${MARKUP.length} vectors; ${count} elements focused, ${links} http(s) links clicked`);

    // The positive control: the same detector fires when the host itself runs a vector, after
    // everything above. The detector's calls reach the test in the order they were made, so
    // once the control's has come, a vector's that ran before it would be there too.
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.setAttribute('onerror', 'alert("control")');
      img.setAttribute('src', '/no-such-image.png');
      document.body.append(img);
    });
    for (let i = 0; i < 100 && !fired.includes('alert(control)'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fired, ['alert(control)'], 'no vector ran; the control did');
    await context.close();
  });
});
