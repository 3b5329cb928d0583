// Browser calls made in one call each from the wasm (browser.rs), where web-sys takes
// several: every field of an options object, and every getter on the way to a method, is a
// call of its own from the wasm and an import, with its shim in the glue.

// A feed request: `cache` is a RequestCache value, `signal` aborts it (or undefined), and
// `etag`, when not empty, asks for a 304 if the feed is unchanged.
export function feedRequest(url, cache, signal, etag) {
  return fetch(url, { cache, signal, headers: etag ? { 'If-None-Match': etag } : {} });
}

// A beacon sent as a keepalive request when sendBeacon refused it: text/plain needs no
// preflight, and no cookies go with it.
export function keepalivePost(url, body) {
  return fetch(url, { method: 'POST', body, credentials: 'omit', mode: 'no-cors', keepalive: true });
}

// Dispatches a CustomEvent that bubbles out of shadow roots, its detail `{ [key]: value }`
// (`{}` when `key` is empty).
export function dispatch(target, name, key, value) {
  const detail = {};
  if (key) detail[key] = value;
  target.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

// A MutationObserver of the elements added and removed under `root`, and of changes to the
// two attributes named.
export function observeMutations(callback, root, attribute, other) {
  const observer = new MutationObserver(callback);
  observer.observe(root, { childList: true, subtree: true, attributeFilter: [attribute, other] });
  return observer;
}

// An IntersectionObserver that reports crossing nothing, `ratio` and all of the element.
export function intersectionObserver(callback, ratio) {
  return new IntersectionObserver(callback, { threshold: [0, ratio, 1] });
}

// A response header's value, or null.
export function header(response, name) {
  return response.headers.get(name);
}

// The body as text; throws on bytes that are not UTF-8 rather than replacing them.
export function decodeUtf8(buffer) {
  return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
}

// `navigator.sendBeacon`; throws where it is missing.
export function sendBeacon(url, body) {
  return navigator.sendBeacon(url, body);
}

// Whether the media query matches.
export function matchesMedia(query) {
  return matchMedia(query).matches;
}

// Attaches an open shadow root.
export function attachShadow(host) {
  return host.attachShadow({ mode: 'open' });
}

// A constructed stylesheet holding `css`.
export function sheet(css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  return sheet;
}

// Styles a shadow root with `sheet` alone.
export function adopt(root, sheet) {
  root.adoptedStyleSheets = [sheet];
}

// Whether a shadow root is styled with `sheet`.
export function adopts(root, sheet) {
  return root.adoptedStyleSheets.includes(sheet);
}

// A language's Intl formatters: dates (18 juin 2017) and times (18:48, with the language's
// `hour` style) in `timeZone` (the reader's own when it is empty), numbers, and plural rules.
export function formatters(tag, hour, timeZone) {
  timeZone = timeZone || undefined;
  return [
    new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'long', year: 'numeric', timeZone }),
    new Intl.DateTimeFormat(tag, { hour, minute: '2-digit', timeZone }),
    new Intl.NumberFormat(tag),
    new Intl.PluralRules(tag),
  ];
}

// Whether a batch of MutationRecords may have added, removed or changed a mount: an
// attribute the observer watches changed, or an element came or went that has `attribute`
// or holds an element matching `selector`.
export function touchesMounts(records, attribute, selector) {
  for (const record of records) {
    if (record.type === 'attributes') return true;
    for (const nodes of [record.addedNodes, record.removedNodes]) {
      for (const node of nodes) {
        if (node instanceof Element && (node.hasAttribute(attribute) || node.querySelector(selector))) return true;
      }
    }
  }
  return false;
}

// A language tag's canonical form (`EN-us` → `en-US`); throws for a tag that is not one.
export function canonicalLocale(tag) {
  return Intl.getCanonicalLocales(tag)[0];
}

// localStorage's value for `key`, or null when it is absent or storage is unavailable
// (missing, or forbidden by the host's settings: reading `localStorage` throws then).
export function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

// Stores `head` followed by `tail` (a JS string, not copied through the wasm); whether it
// was stored (storage may be missing, forbidden or full).
export function storageSet(key, head, tail) {
  try {
    localStorage.setItem(key, head + tail);
    return true;
  } catch {
    return false;
  }
}

// The elements under `root` that match `selector`, as an array.
export function selectAll(root, selector) {
  return Array.from(root.querySelectorAll(selector));
}

// Checks Ed25519 signatures with WebCrypto: `list` holds a key, a signature and a text for
// each check, one after the other (the key and signature in unpadded base64url, the text signed
// as UTF-8); a promise of one boolean per check. A key or signature WebCrypto refuses, or no
// WebCrypto, is `false`.
export function verifyAll(list) {
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const checks = [];
  for (let i = 0; i < list.length; i += 3) {
    checks.push(crypto.subtle.importKey('raw', bytes(list[i]), 'Ed25519', false, ['verify'])
      .then((k) => crypto.subtle.verify('Ed25519', k, bytes(list[i + 1]), new TextEncoder().encode(list[i + 2])))
      .catch(() => false));
  }
  return Promise.all(checks);
}
