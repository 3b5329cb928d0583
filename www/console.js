// The publishing desk: sign in once, compose with a live preview rendered by the widget
// itself, publish, schedule, correct and withdraw; the list of every alert follows live.
import { accepted, asWritten, authorized, count, dateTime, eachOnItsOwn, lang, onChange, raw, read, say, signIn, t, translate, when } from './desk.js';

const $ = (id) => document.getElementById(id);
const form = $('publish');
/** The last listing of `GET /items`. */
let items = [];
/** The item being corrected, if any. */
let editing = null;

translate();
const names = new Intl.DisplayNames(lang, { type: 'language' });
for (const code of ['fr', 'en', 'es', 'pt', 'de', 'ar', 'sw', 'zh']) {
  $('f-language').append(new Option(names.of(code), code, false, code === 'fr'));
}

const show = signIn(refresh);

/** The item the form describes now (`now`: its time, unless it is scheduled or corrected). */
function draft(now = new Date()) {
  const data = new FormData(form);
  const previous = editing?.item || {};
  const item = {
    id: data.get('id').trim(),
    title: data.get('title'),
    date_published: data.get('at') ? new Date(data.get('at')).toISOString() : previous.date_published || now.toISOString(),
    language: data.get('language'),
    _depeche: { urgency: Number(data.get('urgency')) },
  };
  if (previous._depeche?.views) item._depeche.views = previous._depeche.views;
  if (data.get('summary')) item.summary = item.content_text = data.get('summary');
  if (data.get('url')) item.url = data.get('url');
  if (data.get('expires')) item._depeche.expires = new Date(now.getTime() + Number(data.get('expires')) * 60_000).toISOString();
  return item;
}

// The preview: the real widget, loaded in a page of its own for each theme, with the draft
// as its whole feed. Reloaded a moment after typing stops. The draft goes to the page by
// postMessage once it has loaded, never in its address: the preview page renders only what
// its parent desk page sends it (preview.js), so that no link shows an item of anyone's
// making under the newsroom's name.
let previewTimer = 0;
/** The draft each preview frame is to show once loaded (`null`: nothing). */
const drafts = new Map();
for (const theme of ['light', 'dark']) {
  const frame = $(`preview-${theme}`);
  frame.addEventListener('load', () => {
    const item = drafts.get(frame);
    if (item) frame.contentWindow?.postMessage({ item }, location.origin);
  });
}
function preview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => {
    const item = draft();
    item.id ||= 'apercu';
    $('no-banner').hidden = item._depeche.urgency <= 2;
    for (const theme of ['light', 'dark']) {
      const frame = $(`preview-${theme}`);
      frame.title = t('previewFrame', t(theme));
      // Nothing to show before there is a title.
      const shown = item.title.trim() !== '';
      drafts.set(frame, shown ? item : null);
      frame.src = shown ? `/preview.html?theme=${theme}&n=${Date.now()}` : 'about:blank';
    }
  }, 300);
}
form.addEventListener('input', preview);

/** Where an entry came from, as the list says it: this desk, the feed file, a source URL's
 * host (never its path or query, which may hold a key), or a source that is no URL (a file's
 * path) as written. */
function sourceName(source) {
  if (source === 'desk' || source === 'file') return t(source);
  const host = typeof source === 'string' && URL.canParse(source) ? new URL(source).host : '';
  return host || asWritten(source);
}

const cell = (text, className) => Object.assign(document.createElement('td'), { textContent: text, className: className || '' });

/** The states of an item, each a word of the desk's; another is shown as written. */
const STATES = ['live', 'scheduled', 'expired', 'withdrawn'];

/** The row of `entry` in the list; throws on an entry that is no item (`rawRow` shows it). */
function row(entry) {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new TypeError('not an item');
  const state = asWritten(entry.state);
  const tr = document.createElement('tr');
  tr.dataset.id = asWritten(entry.id);
  tr.append(cell(asWritten(entry.title)), cell(asWritten(entry.urgency)), cell(STATES.includes(state) ? t(state) : state, `state ${state}`),
    cell(sourceName(entry.source)), cell(when(entry.date_published)), cell(when(entry.expires)),
    cell(count(entry.views), 'num'), cell(count(entry.reads), 'num'));
  const actions = document.createElement('td');
  const button = (word, label, then) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t(word) });
    b.dataset.action = word;
    b.setAttribute('aria-label', t(label, asWritten(entry.title)));
    b.addEventListener('click', then);
    actions.append(b, ' ');
  };
  if (state !== 'withdrawn') {
    button('correct', 'correctLabel', () => correct(entry));
    button('withdraw', 'withdrawLabel', () => withdraw(entry));
  }
  tr.append(actions);
  return tr;
}

/** A row for an entry `row` could not render: its raw text, across the columns. */
function rawRow(entry) {
  const tr = document.createElement('tr');
  tr.append(Object.assign(cell(raw(entry)), { colSpan: $('items').tHead.rows[0].cells.length }));
  return tr;
}

/** Which key signs what the desk publishes, and whether readers would be shown it
 * (`GET /signing`): publishing is off while they would not. */
async function signing() {
  const about = await read('/signing');
  if (!about) return;
  const publish = form.querySelector('button:not([type])');
  publish.disabled = about.publishable === false;
  const said = about.publishable === false ? t('cannotPublish', asWritten(about.why))
    : about.key ? t('signedWith', asWritten(about.key)) : t('notSigned');
  $('signing').textContent = said;
}

/** The list as last drawn, to draw it again only when it changed. */
let drawn = '';

async function refresh() {
  signing();
  const listing = await read('/items');
  if (!listing) return;
  items = Array.isArray(listing.items) ? listing.items : [];
  const text = JSON.stringify(items);
  if (text === drawn) return;
  drawn = text;
  // A keyboard user on a row's button stays on it: the list is redrawn whole, so the same
  // action of the same entry takes the focus back.
  const body = $('items').tBodies[0];
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const [id, action] = [focused?.closest('tr')?.dataset.id, focused?.dataset.action];
  body.replaceChildren(...eachOnItsOwn(items, row, rawRow));
  if (id === undefined || action === undefined) return;
  const again = [...body.rows].find((r) => r.dataset.id === id);
  [...(again?.querySelectorAll('button') ?? [])].find((b) => b.dataset.action === action)?.focus();
}

async function send(item, ok) {
  try {
    const response = await fetch('/publish', authorized({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(item) }));
    if (response.status === 401) show(false);
    if (await accepted(response, ok)) {
      refresh();
      return true;
    }
  } catch (error) {
    say(t('failed', error.message));
  }
  return false;
}

function startOver() {
  editing = null;
  form.reset();
  $('f-id').readOnly = false;
  $('form-title').textContent = t('publishTitle');
  preview();
}
$('clear').addEventListener('click', () => { startOver(); $('f-id').focus(); });

/** Fills the form with `entry`, to publish it again corrected (same id). */
function correct(entry) {
  editing = entry;
  const item = entry.item ?? {};
  const field = (name, value) => { form.elements[name].value = value ?? ''; };
  field('id', item.id);
  field('title', item.title);
  field('summary', item.summary || item.content_text);
  field('url', item.url);
  field('urgency', String(item._depeche?.urgency ?? 5));
  field('language', item.language || 'fr');
  const left = item._depeche?.expires ? Math.ceil((Date.parse(item._depeche.expires) - Date.now()) / 60_000) : '';
  field('expires', left > 0 ? left : '');
  field('at', entry.state === 'scheduled' ? toLocalInput(new Date(item.date_published)) : '');
  $('f-id').readOnly = true;
  $('form-title').textContent = t('correctTitle', item.title);
  $('form-title').focus();
  preview();
}

/** A date as a datetime-local input's value (the reader's zone); none for an invalid date. */
function toLocalInput(date) {
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

async function withdraw(entry) {
  const title = asWritten(entry.title);
  if (!confirm(t('confirmWithdraw', title))) return;
  const item = { ...entry.item, _depeche: { ...entry.item?._depeche, status: 'withdrawn' } };
  if (await send(item, t('withdrawnSaid', title)) && editing?.id === entry.id) startOver();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const item = draft();
  const other = items.find((i) => i?.id !== item.id && i?.urgency === 1 && i?.state === 'live');
  if (item._depeche.urgency === 1 && other && !confirm(t('confirmUrgent', other.title))) {
    say(t('cancelled'));
    return;
  }
  const later = Date.parse(item.date_published) > Date.now();
  const ok = later ? t('scheduledFor', item.title, dateTime.format(new Date(item.date_published))) : t('published', item.title);
  if (await send(item, ok)) startOver();
});

onChange(refresh, 10_000);
preview();
