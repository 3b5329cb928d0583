// Dépêche loader: loads the widget's wasm and hands it its settings. It never throws into the
// host page: a failure is one console line. Two ways in, one code path:
// - the script tag: `<script type="module" src=".../embed.js" data-feed=…>` starts at once
//   with the tag's data-* settings, and renders every [data-depeche] mount, later ones too;
// - the API of this module (and of the npm package): mount(element, options), unmount(element),
//   refresh(); the first mount() without a script tag starts the widget with its options.
// The build bundles it with the wasm's JS glue into one file (pkg/embed.js): one request
// fewer before the wasm can load, and the glue's unused exports left out.
import init, { start, refresh as refreshNow } from './pkg/depeche.js';

// Mount points that reserve their height (data-min-height="5rem") get it at once, before the
// wasm loads, so that nothing below them moves when the widget appears. A constructed sheet
// works under style-src 'self'; attr() reads each mount's own value.
try {
  const reserve = new CSSStyleSheet();
  reserve.replaceSync('[data-depeche][data-min-height]{display:block;min-height:attr(data-min-height type(<length>),0px)}');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, reserve];
} catch {
  // An older browser: the mount simply does not reserve its height.
}

function explain(error) {
  const text = String((error && error.message) || error);
  // Chromium says "Refused to compile or instantiate WebAssembly module" under a CSP without it.
  if (/WebAssembly|wasm/i.test(text) && /unsafe-eval|Content Security Policy|CSP/i.test(text)) {
    return "the page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src";
  }
  return 'the widget could not start: ' + text;
}

/**
 * The wasm's Subresource Integrity hash (`sha384-…`), written in by the build once the wasm is
 * final (scripts/build.sh): a wasm altered on the server or on the way is refused before it
 * is compiled. The readable loader, served when there is no build, has none.
 */
const WASM_INTEGRITY = typeof DEPECHE_WASM_INTEGRITY === 'string' ? DEPECHE_WASM_INTEGRITY : '';

/**
 * The wasm's file in pkg/, named by its content by the build (`depeche_bg.<16 hex>.wasm`,
 * scripts/build.sh), so that browsers keep it for a year and a new build is a new URL. The
 * readable loader finds wasm-pack's own name.
 */
const WASM_FILE = typeof DEPECHE_WASM_FILE === 'string' ? DEPECHE_WASM_FILE : 'depeche_bg.wasm';

/**
 * The wasm for the glue: from `wasm` (an app's URL for it, or the module or bytes themselves),
 * else beside this file; a URL is fetched with the integrity hash.
 */
function wasmSource(wasm) {
  if (wasm != null && typeof wasm !== 'string' && !(wasm instanceof URL)) return wasm;
  const url = wasm || new URL(`pkg/${WASM_FILE}`, import.meta.url);
  if (!WASM_INTEGRITY) return url;
  // Refused, the fetch fails as a network error would: the browser does not say which.
  return fetch(url, { integrity: WASM_INTEGRITY }).catch((error) => {
    throw new Error(`${url} could not be fetched, or is not the wasm this embed.js was built with (${error.message})`);
  });
}

/** Whether the widget runs (a promise), once something started it. */
let started = null;

/** Starts the widget with the data-* settings of `settings` (an element), once per page. */
function boot(settings, wasm) {
  if (started) return started;
  // One instance owns the page: a second copy of the script (under another URL, so another
  // module) would start a second wasm instance and a second refresh loop. The first renders
  // every mount of the page, later ones included.
  const owner = Symbol.for('depeche');
  if (globalThis[owner]) {
    console.warn('depeche: embed.js is already running on this page; this copy is ignored');
    return (started = Promise.resolve(false));
  }
  globalThis[owner] = 1;
  // The feed downloads while the wasm does and compiles: the first request is the widget's
  // own (a plain GET; its answer, limits and failures are read in Rust), only started sooner.
  const feed = (settings.getAttribute('data-feed') || '').trim();
  const abort = feed ? new AbortController() : undefined;
  const early = feed ? fetch(feed, { signal: abort.signal }) : undefined;
  early?.catch(() => {}); // Rust reads its failure, and says it.
  started = init({ module_or_path: wasmSource(wasm) })
    .then(() => { start(settings, early, abort); return true; })
    .catch((error) => { abort?.abort(); console.warn('depeche: ' + explain(error)); return false; });
  return started;
}

// The tag that loaded this module starts the widget: as embed.js (a tag without data-feed
// is then told so), or with a data-feed. Bundled into an app, the tag is the app's own, and
// the app's mount() starts it.
const script = Array.from(document.querySelectorAll('script[src]')).find((s) => s.src === import.meta.url);
if (script && (script.hasAttribute('data-feed') || new URL(import.meta.url).pathname.endsWith('/embed.js'))) boot(script);

/** The widget's settings, by option name, as the script tag's attributes name them. */
const SETTINGS = {
  feed: 'data-feed', beacon: 'data-beacon', events: 'data-events', lang: 'data-lang', timeZone: 'data-time-zone',
  urgency: 'data-urgency', refresh: 'data-refresh', timeout: 'data-timeout', maxBytes: 'data-max-bytes',
};

/**
 * Makes `element` a mount point (`kind` "card" by default, `article`, `theme`) and renders it at
 * once if the widget runs; the first call without a script tag starts the widget with
 * `options`' settings (`feed` at least). Calling it again on a mount changes its options.
 * Resolves to whether the widget runs.
 */
export function mount(element, options = {}) {
  if (!(element instanceof Element)) {
    console.warn('depeche: mount() needs an element');
    return Promise.resolve(false);
  }
  for (const [name, value] of [['data-article', options.article], ['data-theme', options.theme]]) {
    if (value != null) element.setAttribute(name, String(value));
  }
  element.setAttribute('data-depeche', options.kind || element.getAttribute('data-depeche') || 'card');
  if (!started) {
    const settings = document.createElement('div');
    for (const [option, name] of Object.entries(SETTINGS)) {
      if (options[option] != null) settings.setAttribute(name, String(options[option]));
    }
    boot(settings, options.wasm);
  }
  return started;
}

/** Stops rendering into `element`: its listeners and observers are released, its content goes. */
export function unmount(element) {
  if (element instanceof Element) element.removeAttribute('data-depeche');
}

/** Fetches the feed now (a conditional request) rather than at the next refresh. */
export async function refresh() {
  if (started && (await started)) refreshNow();
}
