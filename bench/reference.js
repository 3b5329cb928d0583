// A hand-written JavaScript widget with the same banner, card, byline, toggle, counting and
// events as Dépêche, rendering the same feed to the same shadow-root text: the reference
// `make bench-widget` measures the widget against. Not shipped. The bench inlines the widget's
// stylesheet as WIDGET_CSS and minifies this file, so both pages download comparable things.
/* global WIDGET_CSS */
const script = document.currentScript || [...document.querySelectorAll('script[data-feed]')].pop();
const settings = script.dataset;
const WORDS = {
  fr: { urgent: 'URGENT', breaking: 'ALERTE', sep: ' : ', more: 'Lire la suite', less: 'Réduire', by: 'Rédigé par ', on: ' le ',
    alone: 'Publié le ', at: ' à ', and: ' et ', count: ' | ', read: 'Lu ', times: [' fois', ' fois'], region: 'Alerte info',
    prev: 'Alerte précédente', next: 'Alerte suivante', pause: 'Arrêter le défilement des alertes', close: 'Fermer l’alerte', hour: '2-digit' },
  en: { urgent: 'URGENT', breaking: 'BREAKING', sep: ': ', more: 'Read more', less: 'Show less', by: 'By ', on: ' · ',
    alone: '', at: ' at ', and: ' and ', count: ' · ', read: 'Read ', times: [' time', ' times'], region: 'News alert',
    prev: 'Previous alert', next: 'Next alert', pause: 'Stop rotating alerts', close: 'Close alert', hour: 'numeric' },
};
const sheet = new CSSStyleSheet();
sheet.replaceSync(WIDGET_CSS);
const formatters = new Map();
function fmt(lang) {
  if (!formatters.has(lang)) {
    const tz = settings.timeZone ? { timeZone: settings.timeZone } : {};
    formatters.set(lang, {
      date: new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric', ...tz }),
      time: new Intl.DateTimeFormat(lang, { hour: WORDS[lang].hour, minute: '2-digit', ...tz }),
      number: new Intl.NumberFormat(lang),
      plural: new Intl.PluralRules(lang),
    });
  }
  return formatters.get(lang);
}
const el = (tag, part, text) => {
  const e = document.createElement(tag);
  if (part) e.setAttribute('part', part);
  if (text != null) e.textContent = text;
  return e;
};
const urgencyOf = (item) => item._depeche?.urgency ?? 5;
const live = (item, now) => item._depeche?.status !== 'withdrawn' && !(item._depeche?.expires && Date.parse(item._depeche.expires) <= now);
const kicker = (w, item) => item._depeche?.kicker || (urgencyOf(item) === 1 ? w.urgent : urgencyOf(item) === 2 ? w.breaking : null);
const langOf = (item, feed) => {
  const tag = (settings.lang || item.language || feed.language || document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
  return tag in WORDS ? tag : 'en';
};
function shadow(host) {
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet];
  return root;
}
const sent = new Set();
function countView(host, item) {
  if (!settings.beacon) return;
  let timer = 0;
  const observer = new IntersectionObserver(([entry]) => {
    clearTimeout(timer);
    if (entry.intersectionRatio >= 0.5) {
      timer = setTimeout(() => {
        if (sent.has(item.id)) return;
        sent.add(item.id);
        navigator.sendBeacon(settings.beacon, JSON.stringify({ v: 1, item: item.id, event: 'view', feed: settings.feed }));
        host.dispatchEvent(new CustomEvent('depeche:view', { bubbles: true, composed: true, detail: { item: item.id } }));
        observer.disconnect();
      }, 1000);
    }
  }, { threshold: 0.5 });
  observer.observe(host);
}
function byline(item, lang) {
  const w = WORDS[lang];
  const f = fmt(lang);
  const names = (item.authors || []).map((a) => a.name?.trim()).filter(Boolean);
  let out = names.length ? w.by + (names.length > 1 ? `${names.slice(0, -1).join(', ')}${w.and}${names.at(-1)}` : names[0]) : '';
  if (item.date_published) {
    const d = Date.parse(item.date_published);
    out += (out ? w.on : w.alone) + f.date.format(d) + w.at + f.time.format(d);
  }
  const views = item._depeche?.views;
  if (views != null) {
    const unit = w.times[f.plural.select(views) === 'one' ? 0 : 1];
    out += (out ? w.count : '') + w.read + f.number.format(views) + unit;
  }
  return out;
}
function card(host, item, feed) {
  const lang = langOf(item, feed);
  const w = WORDS[lang];
  const article = el('article', 'card');
  article.lang = item.language || feed.language || lang;
  const k = kicker(w, item);
  if (k) article.append(el('p', 'kicker', k));
  article.append(el('h2', 'title', item.title), el('p', 'byline', byline(item, lang)));
  const paragraphs = (item.content_text || '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  const summary = item.summary?.trim();
  if (summary && paragraphs[0] === summary) paragraphs.shift();
  const lede = summary || paragraphs.shift();
  if (lede) article.append(el('p', 'lede', lede));
  if (paragraphs.length || item._depeche?.signature) {
    const body = el('div', 'body');
    body.hidden = true;
    body.append(...paragraphs.map((p) => el('p', null, p)));
    if (item._depeche?.signature) body.append(el('p', 'signature', item._depeche.signature));
    const toggle = el('button', 'toggle', w.more);
    toggle.setAttribute('aria-expanded', 'false');
    toggle.addEventListener('click', () => {
      body.hidden = !body.hidden;
      toggle.setAttribute('aria-expanded', String(!body.hidden));
      toggle.textContent = body.hidden ? w.more : w.less;
    });
    article.append(body, toggle);
  }
  shadow(host).replaceChildren(article);
  host.dispatchEvent(new CustomEvent('depeche:render', { bubbles: true, composed: true, detail: { item: item.id } }));
  countView(host, item);
}
function banner(host, queue, feed) {
  const item = queue[0];
  const lang = langOf(item, feed);
  const w = WORDS[lang];
  const aside = el('aside', 'banner');
  aside.setAttribute('aria-label', w.region);
  const announce = el('div', 'announce');
  announce.setAttribute('aria-live', 'assertive');
  const content = el('div', 'content');
  const k = kicker(w, item);
  if (k) content.append(el('strong', 'kicker', k), w.sep);
  content.append(el('button', 'title', item.title));
  const button = (part, text, label) => {
    const b = el('button', part, text);
    b.setAttribute('aria-label', label);
    return b;
  };
  aside.append(announce, content, el('span', 'counter', queue.length > 1 ? `1/${queue.length}` : ''), button('previous', '‹', w.prev),
    button('next', '›', w.next), button('pause', '❚❚', w.pause), button('close', '×', w.close));
  shadow(host).replaceChildren(aside);
  setTimeout(() => { announce.textContent = (k ? k + w.sep : '') + item.title; }, 100);
  host.dispatchEvent(new CustomEvent('depeche:render', { bubbles: true, composed: true, detail: { item: item.id } }));
  countView(host, item);
}
fetch(settings.feed).then((r) => r.json()).then((feed) => {
  const now = Date.now();
  const items = feed.items.filter((i) => i.id && i.title && live(i, now));
  const limit = Number(settings.urgency || 2);
  const queue = items.filter((i) => urgencyOf(i) <= limit)
    .sort((a, b) => urgencyOf(a) - urgencyOf(b) || Date.parse(b.date_published || 0) - Date.parse(a.date_published || 0));
  for (const host of document.querySelectorAll('[data-depeche=card]')) {
    const item = host.dataset.article ? items.find((i) => i.id === host.dataset.article) : queue[0] || items[0];
    if (item) card(host, item, feed);
  }
  const hosts = document.querySelectorAll('[data-depeche=banner]');
  if (queue.length) for (const host of hosts) banner(host, queue, feed);
}).catch((e) => console.warn('reference: ' + e.message));
