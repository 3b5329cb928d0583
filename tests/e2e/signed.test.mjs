// End to end: signed alerts. The collector signs the newsroom's items; a mirror between the
// partner page and the collector alters them; the widget with `data-key` shows only what the
// newsroom signed with a key it trusts, and names what it refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, openPage, root, scratchDir, startCollector, widgetLines } from './harness.mjs';

const bin = process.env.DEPECHE_COLLECTOR ?? join(root, 'target/release/depeche-collector');
const dir = scratchDir('depeche-signed-');

/** A new signing key in `dir/name.key`; its public key, as `data-key` takes it. */
function keygen(name) {
  const out = spawnSync(bin, ['keygen', join(dir, `${name}.key`)], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.trim();
}

/** `feed`'s items signed with the key `name` by `depeche-collector sign`. */
function signed(name, feed) {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(feed));
  const out = spawnSync(bin, ['sign', join(dir, `${name}.json`), '--signing-key-file', join(dir, `${name}.key`)], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout).items;
}

// The demo feed's current items (the curfew has expired).
const KANGABA = 'kangaba-attack-2017-06-18';
const NIAMEY = 'niamey-floods-2017-06-18';
const DAKAR = 'dakar-port-2017-06-17';
const SAHEL = 'sahel-summit-2017-06-16';
const ITEMS = [KANGABA, NIAMEY, DAKAR, SAHEL];
const ROTATED = 'signed-by-the-new-key';
const TOKEN = 'e2e-signed-token';

describe('signed alerts', () => {
  const keys = {};
  let server;
  let browser;
  let mirror;
  /** What the mirror does to the collector's feed before passing it on. */
  let alter = (feed) => feed;
  /** Items the mirror adds. */
  let extra = [];
  let unknownDakar;
  /** The partner page the mirror serves next. */
  let pageBody = '';

  before(async () => {
    keys.old = keygen('old');
    keys.new = keygen('new');
    keys.unknown = keygen('unknown');
    extra = [];
    mirror = createServer(async (req, res) => {
      // The partner's page, served for real (a page fulfilled by the test itself would be
      // refused access to loopback addresses by Chromium's local network rules).
      if (req.url.startsWith('/signed.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(pageBody);
      }
      const feed = await (await fetch(`${server.origin}/feed.json`)).json();
      const out = alter(structuredClone(feed));
      out.items.push(...extra);
      res.writeHead(200, { 'content-type': 'application/feed+json', 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
      res.end(JSON.stringify(out));
    });
    await new Promise((ok) => mirror.listen(0, '127.0.0.1', ok));
    // The partner's origin is the mirror's: the collector lets it load the widget.
    server = await startCollector(['--signing-key-file', join(dir, 'old.key'), '--publish-token', TOKEN, '--widget-keys', `${keys.old} ${keys.new}`,
      '--allow-origin', `http://127.0.0.1:${mirror.address().port}`]);
    const served = await (await fetch(`${server.origin}/feed.json`)).json();
    // The collector's Dakar item as another key would sign it: a mirror swapping it in.
    unknownDakar = signed('unknown', { items: [served.items.find((i) => i.id === DAKAR)] })[0];
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    mirror?.close();
    await server?.stop();
  });

  /** The partner page (on the mirror's origin) with `data-key` = `trusted`, reading the feed
   * through the mirror. */
  function partnerPage(trusted, ids) {
    const cards = ids.map((id) => `<div data-depeche="card" data-article="${id}"></div>`).join('');
    const feedUrl = `http://127.0.0.1:${mirror.address().port}/feed.json`;
    return `<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>${cards}
      <script type="module" src="${server.origin}/embed.js" data-feed="${feedUrl}" data-refresh="0"
        data-key="${trusted.join(' ')}"></script></body></html>`;
  }

  /** Loads the partner page; the title each card shows (null: none) and the widget's lines. */
  async function load(trusted, ids = ITEMS, { page: given, offline = false } = {}) {
    const opened = given ? { page: given.page, record: given.record, context: given.context } : await openPage(browser);
    const { page, record } = opened;
    const url = `http://127.0.0.1:${mirror.address().port}/signed.html`;
    pageBody = partnerPage(trusted, ids);
    if (offline) await page.route(`http://127.0.0.1:${mirror.address().port}/feed.json`, (route) => route.abort('internetdisconnected'));
    record.console.length = 0;
    await page.goto(url);
    // Every card either shows its title or was named as not shown.
    const settled = async () => {
      for (let i = 0; i < 100; i++) {
        const titles = await page.evaluate((all) => all.map((id) => document.querySelector(`[data-article="${id}"]`)?.shadowRoot?.querySelector('[part=title]')?.textContent ?? null), ids);
        const named = ids.filter((id, n) => titles[n] === null && widgetLines(record).some((l) => l.includes(`"${id}"`)));
        if (titles.every((t, n) => t !== null || named.includes(ids[n]))) return titles;
        await page.waitForTimeout(50);
      }
      throw new Error(`cards neither shown nor refused: ${JSON.stringify(widgetLines(record))}`);
    };
    const titles = await settled();
    return { ...opened, shown: Object.fromEntries(ids.map((id, n) => [id, titles[n]])), lines: widgetLines(record) };
  }

  const refusedLine = (lines, id, why) => lines.some((l) => l.includes(`item "${id}" is not shown: ${why}`));

  it('a mirror that passes everything untouched: every item shows', async () => {
    alter = (feed) => feed;
    const { shown, lines, context } = await load([keys.old]);
    for (const id of ITEMS) assert.ok(shown[id], `${id} shown: ${JSON.stringify(lines)}`);
    assert.ok(!lines.some((l) => l.includes('is not shown')), JSON.stringify(lines));
    await context.close();
  });

  it('an alert whose title the mirror altered is refused; the others show', async () => {
    alter = (feed) => {
      feed.items.find((i) => i.id === NIAMEY).title = 'FAUX : la route de Niamey est rouverte';
      return feed;
    };
    const { shown, lines, context } = await load([keys.old]);
    assert.equal(shown[NIAMEY], null);
    assert.ok(refusedLine(lines, NIAMEY, 'its signature does not verify'), JSON.stringify(lines));
    for (const id of [KANGABA, DAKAR, SAHEL]) assert.ok(shown[id], `${id} still shown`);
    await context.close();
  });

  it('an item swapped for one signed by an unknown key is refused', async () => {
    alter = (feed) => {
      feed.items = feed.items.map((i) => (i.id === DAKAR ? unknownDakar : i));
      return feed;
    };
    const { shown, lines, context } = await load([keys.old]);
    assert.equal(shown[DAKAR], null);
    assert.ok(refusedLine(lines, DAKAR, 'signed by an unknown key'), JSON.stringify(lines));
    assert.ok(shown[KANGABA] && shown[NIAMEY] && shown[SAHEL]);
    await context.close();
  });

  it('a withdrawal the mirror forged is refused as such, and a signature stripped is refused', async () => {
    alter = (feed) => {
      feed.items.find((i) => i.id === SAHEL)._depeche.status = 'withdrawn';
      delete feed.items.find((i) => i.id === KANGABA)._depeche.sig;
      return feed;
    };
    const { shown, lines, context } = await load([keys.old]);
    assert.ok(refusedLine(lines, SAHEL, 'its signature does not verify'), JSON.stringify(lines));
    assert.ok(refusedLine(lines, KANGABA, 'unsigned'), JSON.stringify(lines));
    assert.ok(shown[NIAMEY] && shown[DAKAR]);
    await context.close();
  });

  it('rotation: items signed by either trusted key show; once the old key is dropped, its items are refused', async () => {
    alter = (feed) => feed;
    extra = signed('new', { items: [{ id: ROTATED, title: 'Signée par la nouvelle clé', _depeche: { urgency: 4 } }] });
    const ids = [...ITEMS, ROTATED];
    const both = await load([keys.old, keys.new], ids);
    for (const id of ids) assert.ok(both.shown[id], `${id} shown with both keys: ${JSON.stringify(both.lines)}`);
    await both.context.close();
    const onlyNew = await load([keys.new], ids);
    assert.ok(onlyNew.shown[ROTATED]);
    for (const id of ITEMS) {
      assert.equal(onlyNew.shown[id], null);
      assert.ok(refusedLine(onlyNew.lines, id, 'signed by an unknown key'), JSON.stringify(onlyNew.lines));
    }
    await onlyNew.context.close();
    extra = [];
  });

  it('a tampered copy in localStorage is refused after a reload with the network down', async () => {
    alter = (feed) => feed;
    const first = await load([keys.old]);
    for (const id of ITEMS) assert.ok(first.shown[id]);
    // The copy kept for offline reading, with one title changed.
    const changed = await first.page.evaluate(() => {
      const stored = localStorage.getItem('depeche:last-feed');
      const tampered = stored.replace('Flash floods cut the main road out of Niamey', 'FAUX : Niamey sous les eaux, évacuez');
      localStorage.setItem('depeche:last-feed', tampered);
      return tampered !== stored;
    });
    assert.ok(changed, 'the copy was kept and changed');
    const again = await load([keys.old], ITEMS, { page: first, offline: true });
    assert.ok(again.lines.some((l) => l.includes('could not fetch the feed')), `the network is down: ${JSON.stringify(again.lines)}`);
    assert.equal(again.shown[NIAMEY], null);
    assert.ok(refusedLine(again.lines, NIAMEY, 'its signature does not verify'), JSON.stringify(again.lines));
    for (const id of [KANGABA, DAKAR, SAHEL]) assert.ok(again.shown[id], `${id} from the untampered part of the copy`);
    await first.context.close();
  });

  /** The desk's line about signing, and whether its publish button is on, once signed in. */
  async function desk(origin) {
    const { page, context } = await openPage(browser);
    await page.goto(`${origin}/console.html?lang=en`);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForFunction(() => document.getElementById('signing')?.textContent);
    const said = await page.textContent('#signing');
    const enabled = await page.isEnabled('#publish button:not([type])');
    await context.close();
    return { said, enabled };
  }

  it('the desk says which key signs, and refuses to publish when the widgets ask for a signature it cannot give', async () => {
    const signing = await desk(server.origin);
    assert.equal(signing.said, `Alerts are signed with the key ${keys.old}.`);
    assert.ok(signing.enabled);
    const keyless = await startCollector(['--publish-token', TOKEN, '--widget-keys', keys.old]);
    try {
      const refused = await desk(keyless.origin);
      assert.match(refused.said, /^Cannot publish: .*no signing key/);
      assert.ok(!refused.enabled, 'the publish button is off');
      const r = await fetch(`${keyless.origin}/publish`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"id":"x","title":"X"}' });
      assert.equal(r.status, 409, 'and the collector refuses it too');
    } finally {
      await keyless.stop();
    }
  });
});
