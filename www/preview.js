// The desk's preview: the real widget, with the draft in the address's fragment as its whole
// feed, in the theme of `?theme=` (the mounts' data-theme, and the page's color-scheme).
const theme = new URLSearchParams(location.search).get('theme') === 'dark' ? 'dark' : 'light';
document.documentElement.classList.add(theme);
for (const mount of document.querySelectorAll('[data-depeche]')) mount.dataset.theme = theme;
let item = {};
try {
  item = JSON.parse(decodeURIComponent(location.hash.slice(1)));
} catch {
  // An empty or cut fragment: an empty preview.
}
const feed = { version: 'https://jsonfeed.org/version/1.1', title: 'Aperçu', items: item.id ? [item] : [] };
const url = URL.createObjectURL(new Blob([JSON.stringify(feed)], { type: 'application/feed+json' }));
document.getElementById('card').dataset.article = item.id || '';
Object.assign(document.getElementById('widget').dataset, { feed: url, lang: item.language || 'fr' });
