// The demo's publisher desk: sign in once with the publisher token (kept for this tab only),
// see what readers see, publish, and withdraw. Every refusal shows the collector's reason.
const $ = (id) => document.getElementById(id);
const result = $('result');
const KEY = 'depeche-token';
const token = () => sessionStorage.getItem(KEY);
const time = new Intl.DateTimeFormat('fr', { dateStyle: 'short', timeStyle: 'short' });
let items = [];

const authorized = (init = {}) => ({ ...init, headers: { ...init.headers, Authorization: `Bearer ${token()}` } });

/** The collector's answer, said in the status line when it refuses. */
async function said(response, ok) {
  result.textContent = response.ok ? ok : `Refusé (${response.status}) : ${await response.text()}`;
  return response.ok;
}

function show(signedIn) {
  $('sign-in').hidden = signedIn;
  $('desk').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  if (signedIn) refresh();
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, new FormData(event.target).get('token'));
  const response = await fetch('/stats', authorized());
  if (await said(response, 'Connecté.')) {
    event.target.reset();
    show(true);
  } else {
    sessionStorage.removeItem(KEY);
  }
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  result.textContent = 'Déconnecté.';
  show(false);
});

/** What a reader sees of an item now. */
function state(item, now) {
  const d = item._depeche || {};
  if (d.status === 'withdrawn') return 'retirée';
  if (d.expires && Date.parse(d.expires) <= now) return 'expirée';
  return 'en ligne';
}

async function refresh() {
  const response = await fetch('/feed.json', { cache: 'no-store' });
  if (!response.ok) return;
  items = (await response.json()).items || [];
  const now = Date.now();
  const rows = items.map((item) => {
    const d = item._depeche || {};
    const cells = [item.title, String(d.urgency ?? ''), state(item, now),
      item.date_published ? time.format(new Date(item.date_published)) : '',
      d.expires ? time.format(new Date(d.expires)) : '', String(d.views ?? 0)];
    const tr = document.createElement('tr');
    for (const text of cells) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
    const action = document.createElement('td');
    if (state(item, now) === 'en ligne') {
      const withdraw = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Retirer' });
      withdraw.setAttribute('aria-label', `Retirer « ${item.title} »`);
      withdraw.addEventListener('click', () => remove(item));
      action.append(withdraw);
    }
    tr.append(action);
    return tr;
  });
  $('items').tBodies[0].replaceChildren(...rows);
}

async function send(item, ok) {
  try {
    const response = await fetch('/publish', authorized({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(item) }));
    if (response.status === 401) show(false);
    if (await said(response, ok)) refresh();
  } catch (error) {
    result.textContent = `Échec : ${error.message}`;
  }
}

async function remove(item) {
  if (!confirm(`Retirer « ${item.title} » de toutes les pages ?`)) return;
  await send({ ...item, _depeche: { ...item._depeche, status: 'withdrawn' } }, `Retirée : ${item.title}`);
}

$('publish').addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const item = {
    id: data.get('id'),
    title: data.get('title'),
    date_published: new Date().toISOString(),
    language: 'fr',
    _depeche: { urgency: Number(data.get('urgency')) },
  };
  if (data.get('summary')) item.summary = item.content_text = data.get('summary');
  if (data.get('expires')) {
    item._depeche.expires = new Date(Date.now() + Number(data.get('expires')) * 60_000).toISOString();
  }
  const live = items.filter((i) => i.id !== item.id && (i._depeche || {}).urgency === 1 && state(i, Date.now()) === 'en ligne');
  if (item._depeche.urgency === 1 && live.length > 0
      && !confirm(`Une autre alerte URGENT est en ligne (« ${live[0].title} »). Publier quand même ?`)) {
    result.textContent = 'Publication annulée.';
    return;
  }
  await send(item, `Publié : ${item.title}`);
});

// What readers see changes: the collector says so on its event stream.
new EventSource('/events').addEventListener('feed', () => { if (token()) refresh(); });
show(Boolean(token()));
