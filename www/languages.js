// The languages demo: `?lang=` picks the widget's interface language; the switcher names
// each language in its own words (Intl.DisplayNames).
const LANGUAGES = ['fr', 'en', 'es', 'pt', 'de', 'ar', 'sw', 'zh'];
const asked = new URLSearchParams(location.search).get('lang');
const lang = LANGUAGES.includes(asked) ? asked : 'fr';
document.getElementById('widget').dataset.lang = lang;
const nav = document.getElementById('languages');
for (const code of LANGUAGES) {
  const link = Object.assign(document.createElement('a'), { href: `?lang=${code}`, lang: code,
    textContent: new Intl.DisplayNames(code, { type: 'language' }).of(code) });
  if (code === lang) link.setAttribute('aria-current', 'page');
  nav.append(link, ' ');
}
