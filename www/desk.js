// What the desk's pages share: the words (French and English, as data: a language is one
// table), the token kept for this tab, and the collector's answers said in the status line.

const WORDS = {
  fr: {
    brand: 'Pupitre Dépêche', navDesk: 'Publier', navDashboard: 'Audience', signOut: 'Se déconnecter',
    signInTitle: 'Se connecter', token: 'Jeton de publication', signIn: 'Se connecter',
    signedIn: 'Connecté.', signedOut: 'Déconnecté.', refused: (status, why) => `Refusé (${status}) : ${why}`,
    failed: (why) => `Échec : ${why}`, readerPage: 'Page de l’éditeur',
    publishTitle: 'Publier une alerte', correctTitle: (title) => `Corriger « ${title} »`,
    publishHelp: 'L’alerte entre dans le flux servi par le collecteur ; les pages ouvertes l’affichent en une seconde.',
    id: 'Identifiant', title: 'Titre', summary: 'Résumé', url: 'Lien vers l’article (facultatif)',
    urgency: 'Urgence', language: 'Langue', expires: 'Expire dans (minutes, facultatif)',
    at: 'Publier à (facultatif : programmée)', publish: 'Publier', clear: 'Nouvelle alerte',
    preview: 'Aperçu, tel que les lecteurs le verront', light: 'Thème clair', dark: 'Thème sombre',
    previewFrame: (theme) => `Aperçu, ${theme.toLowerCase()}`,
    noBanner: 'Urgence 3 ou plus : pas de bandeau, la carte seulement.',
    listTitle: 'Les alertes', listCaption: 'Toutes les alertes, programmées d’abord, puis les plus récentes',
    colTitle: 'Titre', colUrgency: 'Urgence', colState: 'État', colSource: 'Source', colPublished: 'Publiée',
    colExpires: 'Expire', colViews: 'Vues', colReads: 'Lectures', colActions: 'Actions',
    live: 'en ligne', scheduled: 'programmée', expired: 'expirée', withdrawn: 'retirée',
    desk: 'ce pupitre', file: 'fichier du flux',
    correct: 'Corriger', correctLabel: (title) => `Corriger « ${title} »`,
    withdraw: 'Retirer', withdrawLabel: (title) => `Retirer « ${title} »`,
    confirmWithdraw: (title) => `Retirer « ${title} » de toutes les pages ?`,
    confirmUrgent: (title) => `Une autre alerte URGENT est en ligne (« ${title} »). Publier quand même ?`,
    cancelled: 'Publication annulée.', published: (title) => `Publié : ${title}`,
    signedWith: (key) => `Les alertes sont signées avec la clé ${key}.`,
    notSigned: 'Les alertes ne sont pas signées (le collecteur n’a pas de clé de signature).',
    cannotPublish: (why) => `Publication impossible : ${why}`,
    scheduledFor: (title, at) => `Programmée : ${title}, le ${at}`, withdrawnSaid: (title) => `Retirée : ${title}`,
    dashboardTitle: 'Audience', item: 'Alerte', allItems: 'Toutes les alertes',
    views: 'Vues', reads: 'Lectures', readRate: 'Taux de lecture', none: '—',
    lastHour: 'Dernière heure, par minute', lastDays: 'Trois derniers jours, par heure',
    table: 'Les chiffres en tableau', time: 'Heure', origins: 'D’où viennent les vues',
    origin: 'Origine', share: 'Part', other: 'autres sites', csv: 'Exporter en CSV',
    updated: (at) => `Mis à jour à ${at}`,
  },
  en: {
    brand: 'Dépêche desk', navDesk: 'Publish', navDashboard: 'Audience', signOut: 'Sign out',
    signInTitle: 'Sign in', token: 'Publish token', signIn: 'Sign in',
    signedIn: 'Signed in.', signedOut: 'Signed out.', refused: (status, why) => `Refused (${status}): ${why}`,
    failed: (why) => `Failed: ${why}`, readerPage: 'Publisher’s page',
    publishTitle: 'Publish an alert', correctTitle: (title) => `Correct “${title}”`,
    publishHelp: 'The alert enters the feed the collector serves; open pages show it within a second.',
    id: 'Identifier', title: 'Title', summary: 'Summary', url: 'Link to the story (optional)',
    urgency: 'Urgency', language: 'Language', expires: 'Expires in (minutes, optional)',
    at: 'Publish at (optional: scheduled)', publish: 'Publish', clear: 'New alert',
    preview: 'Preview, as readers will see it', light: 'Light theme', dark: 'Dark theme',
    previewFrame: (theme) => `Preview, ${theme.toLowerCase()}`,
    noBanner: 'Urgency 3 or more: no banner, the card only.',
    listTitle: 'Alerts', listCaption: 'Every alert, scheduled first, then newest first',
    colTitle: 'Title', colUrgency: 'Urgency', colState: 'State', colSource: 'Source', colPublished: 'Published',
    colExpires: 'Expires', colViews: 'Views', colReads: 'Reads', colActions: 'Actions',
    live: 'live', scheduled: 'scheduled', expired: 'expired', withdrawn: 'withdrawn',
    desk: 'this desk', file: 'feed file',
    correct: 'Correct', correctLabel: (title) => `Correct “${title}”`,
    withdraw: 'Withdraw', withdrawLabel: (title) => `Withdraw “${title}”`,
    confirmWithdraw: (title) => `Withdraw “${title}” from every page?`,
    confirmUrgent: (title) => `Another URGENT alert is live (“${title}”). Publish anyway?`,
    cancelled: 'Publishing cancelled.', published: (title) => `Published: ${title}`,
    signedWith: (key) => `Alerts are signed with the key ${key}.`,
    notSigned: 'Alerts are not signed (the collector has no signing key).',
    cannotPublish: (why) => `Cannot publish: ${why}`,
    scheduledFor: (title, at) => `Scheduled: ${title}, at ${at}`, withdrawnSaid: (title) => `Withdrawn: ${title}`,
    dashboardTitle: 'Audience', item: 'Alert', allItems: 'All alerts',
    views: 'Views', reads: 'Reads', readRate: 'Read rate', none: '—',
    lastHour: 'Last hour, per minute', lastDays: 'Last three days, per hour',
    table: 'The figures as a table', time: 'Time', origins: 'Where views come from',
    origin: 'Origin', share: 'Share', other: 'other sites', csv: 'Export as CSV',
    updated: (at) => `Updated at ${at}`,
  },
};

/** Whether `code` is a language of the desk's: its own keys only, never `constructor` or
 * `__proto__`, which every object has. */
const ours = (code) => typeof code === 'string' && Object.hasOwn(WORDS, code);

const LANG_KEY = 'depeche-desk-lang';
/** Storage that may be refused (a browser's privacy setting): then nothing is kept. */
const kept = {
  get: () => { try { return localStorage.getItem(LANG_KEY); } catch { return null; } },
  set: (code) => { try { localStorage.setItem(LANG_KEY, code); } catch { /* not kept */ } },
};

/** The desk's language: `?lang=`, else the last one chosen, else the browser's first of ours. */
export const lang = (() => {
  const asked = new URLSearchParams(location.search).get('lang');
  if (ours(asked)) {
    kept.set(asked);
    return asked;
  }
  const before = kept.get();
  if (ours(before)) return before;
  return navigator.languages.map((l) => l.slice(0, 2)).find(ours) || 'fr';
})();

/** The word for `key` in the desk's language, filled with `args` where it takes some; a key
 * that is not a word of the desk's (a state it does not know, from the collector) as written. */
export function t(key, ...args) {
  const words = WORDS[lang];
  if (!Object.hasOwn(words, key)) return asWritten(key);
  const word = words[key];
  return typeof word === 'function' ? word(...args) : word;
}

/** Fills the page's words: `data-t` (text), `data-t-label` (aria-label), and the language links. */
export function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
  const other = lang === 'fr' ? 'en' : 'fr';
  const link = document.getElementById('lang');
  link.href = `?lang=${other}`;
  link.lang = other;
  link.textContent = other === 'en' ? 'English' : 'Français';
  document.title = `${t(document.body.dataset.title)} — ${t('brand')}`;
}

const KEY = 'depeche-token';
/** The publisher token, kept for this tab only. */
export const token = () => sessionStorage.getItem(KEY);
export const setToken = (value) => (value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY));

/** `init` with the token as `Authorization`. */
export const authorized = (init = {}) => ({ ...init, headers: { ...init.headers, Authorization: `Bearer ${token()}` } });

const status = () => document.getElementById('result');
/** Says `text` in the status line (a polite live region). */
export const say = (text) => { status().textContent = text; };

/** Whether the collector accepted; if not, its reason is said in the status line. */
export async function accepted(response, ok) {
  say(response.ok ? ok : t('refused', response.status, await response.text()));
  return response.ok;
}

/** Shows the sign-in form again (the token was refused); set by `signIn`. */
let signedOut = () => {};

/**
 * The collector's JSON answer to a GET of `path` with the token, or `null`: a refused token
 * shows the sign-in form, another refusal or a network failure is said in the status line.
 */
export async function read(path) {
  try {
    const response = await fetch(path, authorized({ cache: 'no-store' }));
    if (response.status === 401) return signedOut();
    if (!response.ok) return void (await accepted(response));
    return await response.json();
  } catch (error) {
    say(t('failed', error.message));
    return null;
  }
}

/** Shows the sign-in form or the page's content, and wires sign-in and sign-out once. */
export function signIn(onSignedIn) {
  const form = document.getElementById('sign-in');
  const content = document.getElementById('content');
  const out = document.getElementById('sign-out');
  const show = (signedIn) => {
    form.hidden = signedIn;
    content.hidden = !signedIn;
    out.hidden = !signedIn;
    if (signedIn) onSignedIn();
  };
  signedOut = () => show(false);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setToken(new FormData(form).get('token'));
    try {
      if (await accepted(await fetch('/stats', authorized()), t('signedIn'))) {
        form.reset();
        show(true);
        content.querySelector('h1').focus();
      } else {
        setToken(null);
      }
    } catch (error) {
      setToken(null);
      say(t('failed', error.message));
    }
  });
  out.addEventListener('click', () => {
    setToken(null);
    say(t('signedOut'));
    show(false);
    form.querySelector('input').focus();
  });
  show(Boolean(token()));
  return show;
}

/** Calls `then` whenever what readers see changes (the collector's event stream) and every
 * `everyMs` while the page is visible (counts change without an event). */
export function onChange(then, everyMs) {
  new EventSource('/events').addEventListener('feed', () => { if (token()) then(); });
  setInterval(() => { if (token() && document.visibilityState === 'visible') then(); }, everyMs);
}

/** Dates and times as the desk shows them, built once. */
export const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' });
export const timeOnly = new Intl.DateTimeFormat(lang, { timeStyle: 'short' });
export const number = new Intl.NumberFormat(lang);
export const percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });

/** A value from the collector as text, as it was written: a string as is, nothing as '', any
 * other JSON value as JSON. */
export function asWritten(value) {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The date `value` (as the collector writes dates, a string) in `format`, or as written if
 * the browser reads no date from it: a leap second (`23:59:60`) is valid RFC 3339, and
 * `new Date` makes an invalid date of it, which `format` throws on. */
export function when(value, format = dateTime) {
  if (typeof value !== 'string') return asWritten(value);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : format.format(date);
}

/** The time `ms` (milliseconds since 1970, as the collector's figures give times) in
 * `format`, or as written if it is no time. */
export function atMs(ms, format) {
  const date = new Date(typeof ms === 'number' ? ms : Number.NaN);
  return Number.isNaN(date.getTime()) ? asWritten(ms) : format.format(date);
}

/** A count from the collector, formatted if it is a number, else as written. */
export const count = (n) => (typeof n === 'number' && Number.isFinite(n) ? number.format(n) : asWritten(n));

/** How much of a row that cannot be rendered is shown as raw text. */
export const RAW_CHARS = 300;

/** The raw text of `value`, cut to `RAW_CHARS`: what a row that could not be rendered shows. */
export const raw = (value) => {
  const text = value === undefined ? 'undefined' : asWritten(value) || JSON.stringify(value);
  return text.length > RAW_CHARS ? `${text.slice(0, RAW_CHARS)}…` : text;
};

/**
 * `render` of each entry of `list` (not an array: none), each on its own: an entry it throws
 * on is `fallback` of it instead (a `null` fallback leaves it out), so that one bad entry from
 * a source never empties the list.
 */
export function eachOnItsOwn(list, render, fallback) {
  const out = [];
  for (const entry of Array.isArray(list) ? list : []) {
    let node;
    try {
      node = render(entry);
    } catch (error) {
      console.warn('depeche desk: an entry could not be shown:', error);
      node = fallback(entry);
    }
    if (node) out.push(node);
  }
  return out;
}
