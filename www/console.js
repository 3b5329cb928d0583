// The publishing desk: sign in once, compose with a live preview rendered by the widget
// itself, publish, schedule, correct and withdraw; the list of every alert follows live.
import { accepted, authorized, dateTime, lang, number, onChange, read, say, signIn, t, translate } from './desk.js';

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
// as its whole feed. Reloaded a moment after typing stops.
let previewTimer = 0;
function preview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => {
    const item = draft();
    item.id ||= 'apercu';
    $('no-banner').hidden = item._depeche.urgency <= 2;
    const hash = encodeURIComponent(JSON.stringify(item));
    for (const theme of ['light', 'dark']) {
      const frame = $(`preview-${theme}`);
      frame.title = t('previewFrame', t(theme));
      // Nothing to show before there is a title.
      frame.src = item.title.trim() ? `/preview.html?theme=${theme}&n=${Date.now()}#${hash}` : 'about:blank';
    }
  }, 300);
}
form.addEventListener('input', preview);

/** The row of `entry` in the list. */
function row(entry) {
  const cell = (text, className) => Object.assign(document.createElement('td'), { textContent: text, className: className || '' });
  const when = (date) => (date ? dateTime.format(new Date(date)) : '');
  const source = entry.source === 'desk' || entry.source === 'file' ? t(entry.source) : new URL(entry.source).host;
  const tr = document.createElement('tr');
  tr.append(cell(entry.title), cell(String(entry.urgency ?? '')), cell(t(entry.state), `state ${entry.state}`), cell(source),
    cell(when(entry.date_published)), cell(when(entry.expires)), cell(number.format(entry.views), 'num'),
    cell(number.format(entry.reads), 'num'));
  const actions = document.createElement('td');
  const button = (word, label, then) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t(word) });
    b.setAttribute('aria-label', t(label, entry.title));
    b.addEventListener('click', then);
    actions.append(b, ' ');
  };
  if (entry.state !== 'withdrawn') {
    button('correct', 'correctLabel', () => correct(entry));
    button('withdraw', 'withdrawLabel', () => withdraw(entry));
  }
  tr.append(actions);
  return tr;
}

async function refresh() {
  const listing = await read('/items');
  if (!listing) return;
  items = listing.items;
  $('items').tBodies[0].replaceChildren(...items.map(row));
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
  const item = entry.item;
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

/** A date as a datetime-local input's value (the reader's zone). */
function toLocalInput(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

async function withdraw(entry) {
  if (!confirm(t('confirmWithdraw', entry.title))) return;
  const item = { ...entry.item, _depeche: { ...entry.item._depeche, status: 'withdrawn' } };
  if (await send(item, t('withdrawnSaid', entry.title)) && editing?.id === entry.id) startOver();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const item = draft();
  const other = items.find((i) => i.id !== item.id && i.urgency === 1 && i.state === 'live');
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
