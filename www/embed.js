// Dépêche loader: finds its own <script> tag, loads the widget's wasm, and hands the tag's
// data-* settings to Rust. It never throws into the host page: a failure is one console line.
// The build bundles it with the wasm's JS glue into one file (pkg/embed.js): one request
// fewer before the wasm can load, and the glue's unused exports left out.
import init, { start } from './pkg/depeche.js';

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

const script = Array.from(document.querySelectorAll('script[src]')).find((s) => s.src === import.meta.url);

function explain(error) {
  const text = String((error && error.message) || error);
  // Chromium says "Refused to compile or instantiate WebAssembly module" under a CSP without it.
  if (/WebAssembly|wasm/i.test(text) && /unsafe-eval|Content Security Policy|CSP/i.test(text)) {
    return "the page's Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src";
  }
  return 'the widget could not start: ' + text;
}

// One instance owns the page: a second copy of the script (under another URL, so another
// module) would start a second wasm instance and a second refresh loop. The first renders
// every mount of the page, later ones included.
const owner = Symbol.for('depeche');
if (globalThis[owner]) {
  console.warn('depeche: embed.js is already running on this page; this copy is ignored');
} else {
  globalThis[owner] = 1;
  try {
    await init({ module_or_path: new URL('pkg/depeche_bg.wasm', import.meta.url) });
    if (script) {
      start(script);
    } else {
      console.warn('depeche: the embed <script> tag was not found; load embed.js with <script type="module" src=…>');
    }
  } catch (error) {
    console.warn('depeche: ' + explain(error));
  }
}
