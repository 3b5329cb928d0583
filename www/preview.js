// The desk's preview: the real widget, with the console's draft as its whole feed, in the
// theme of `?theme=` (the mounts' data-theme, and the page's color-scheme). It renders only
// inside the desk: the draft comes by postMessage from its parent page, of this origin, and
// from nowhere else (not its address, not another window, not itself), so that no link and no
// other site can show an item of their making under the newsroom's name. Opened on its own
// (at the top, where it is its own parent), it renders nothing. The collector lets only its
// own pages frame it (frame-ancestors 'self').
const theme = new URLSearchParams(location.search).get('theme') === 'dark' ? 'dark' : 'light';
document.documentElement.classList.add(theme);
for (const mount of document.querySelectorAll('[data-depeche]')) mount.dataset.theme = theme;

if (window.top === window || window.parent === window) {
  document.body.dataset.preview = 'refused';
  document.getElementById('refused').hidden = false;
} else {
  document.body.dataset.preview = 'waiting';
  window.addEventListener('message', function take(event) {
    if (event.origin !== location.origin || event.source !== window.parent) return;
    const item = event.data?.item;
    if (typeof item !== 'object' || item === null) return;
    // One draft per page: the console loads a new page for the next one.
    window.removeEventListener('message', take);
    show(item);
  });
}

/** Renders `item` with the widget, as the whole of its feed. */
async function show(item) {
  document.body.dataset.preview = 'shown';
  const feed = { version: 'https://jsonfeed.org/version/1.1', title: 'Aperçu', items: item.id ? [item] : [] };
  const url = URL.createObjectURL(new Blob([JSON.stringify(feed)], { type: 'application/feed+json' }));
  const { mount } = await import('/embed.js');
  const lang = typeof item.language === 'string' && item.language ? item.language : 'fr';
  await mount(document.getElementById('card'), { kind: 'card', article: String(item.id ?? ''), theme, feed: url, lang, refresh: 0 });
  mount(document.getElementById('banner'), { kind: 'banner', theme });
}
