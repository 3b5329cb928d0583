//! Browser calls made in one call each (`browser.js`) where web-sys takes several: each field
//! of an options object, each getter on the way to a method, is a call from the wasm and an
//! import of its own, with its shim in the glue.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, CssStyleSheet, Document, Element, IntersectionObserver, MutationObserver, Node, Response, ShadowRoot};

#[wasm_bindgen(module = "/src/dom/browser.js")]
extern "C" {
    /// `fetch` of a feed with a `RequestCache` value, an abort signal, and `If-None-Match`
    /// unless `etag` is empty.
    #[wasm_bindgen(js_name = feedRequest, catch)]
    pub fn feed_request(url: &str, cache: &str, signal: Option<&AbortSignal>, etag: &str) -> Result<Promise, JsValue>;

    /// A `keepalive` POST of a text body, without credentials or preflight.
    #[wasm_bindgen(js_name = keepalivePost, catch)]
    pub fn keepalive_post(url: &str, body: &str) -> Result<Promise, JsValue>;

    /// Dispatches a composed, bubbling `CustomEvent` whose detail is `{ key: value }`, or
    /// `{}` when `key` is empty.
    #[wasm_bindgen(catch)]
    pub fn dispatch(target: &Element, name: &str, key: &str, value: &str) -> Result<(), JsValue>;

    /// A `MutationObserver` of the elements added and removed under `root`, and of changes
    /// to the two attributes named.
    #[wasm_bindgen(js_name = observeMutations, catch)]
    pub fn observe_mutations(callback: &Function, root: &Node, attribute: &str, other: &str) -> Result<MutationObserver, JsValue>;

    /// An `IntersectionObserver` that reports crossing 0, `ratio` and 1 of an element.
    #[wasm_bindgen(js_name = intersectionObserver, catch)]
    pub fn intersection_observer(callback: &Function, ratio: f64) -> Result<IntersectionObserver, JsValue>;

    /// A response header's value.
    pub fn header(response: &Response, name: &str) -> Option<String>;

    /// The body as text; an error for bytes that are not UTF-8.
    #[wasm_bindgen(js_name = decodeUtf8, catch)]
    pub fn decode_utf8(buffer: &JsValue) -> Result<js_sys::JsString, JsValue>;

    /// `navigator.sendBeacon`; an error where it is missing.
    #[wasm_bindgen(js_name = sendBeacon, catch)]
    pub fn send_beacon(url: &str, body: &str) -> Result<bool, JsValue>;

    /// Whether a media query matches.
    #[wasm_bindgen(js_name = matchesMedia, catch)]
    pub fn matches_media(query: &str) -> Result<bool, JsValue>;

    /// Attaches an open shadow root; an error for an element that cannot have one.
    #[wasm_bindgen(js_name = attachShadow, catch)]
    pub fn attach_shadow(host: &Element) -> Result<ShadowRoot, JsValue>;

    /// A constructed stylesheet holding `css`; an error where stylesheets cannot be
    /// constructed.
    #[wasm_bindgen(catch)]
    pub fn sheet(css: &str) -> Result<CssStyleSheet, JsValue>;

    /// Styles a shadow root with `sheet` alone.
    pub fn adopt(root: &ShadowRoot, sheet: &CssStyleSheet);

    /// Whether a shadow root is styled with `sheet`.
    pub fn adopts(root: &ShadowRoot, sheet: &CssStyleSheet) -> bool;

    /// A language's `Intl` formatters: `DateTimeFormat`s of day, month and year and of hours
    /// (in `hour` style) and minutes, in `time_zone` (the reader's own when empty), then a
    /// `NumberFormat` and `PluralRules`. An error for an unknown locale or time zone.
    #[wasm_bindgen(catch)]
    pub fn formatters(tag: &str, hour: &str, time_zone: &str) -> Result<js_sys::Array, JsValue>;

    /// Whether a batch of `MutationRecord`s may have added, removed or changed a mount.
    #[wasm_bindgen(js_name = touchesMounts, catch)]
    pub fn touches_mounts(records: &js_sys::Array, attribute: &str, selector: &str) -> Result<bool, JsValue>;

    /// A language tag's canonical form; an error for a tag that is not one.
    #[wasm_bindgen(js_name = canonicalLocale, catch)]
    pub fn canonical_locale(tag: &str) -> Result<Option<String>, JsValue>;

    /// localStorage's value for `key`; `None` when absent or when storage is unavailable.
    #[wasm_bindgen(js_name = storageGet)]
    pub fn storage_get(key: &str) -> Option<String>;

    /// Stores `head` followed by `tail`; whether storage took it (it may be missing,
    /// forbidden or full).
    #[wasm_bindgen(js_name = storageSet)]
    pub fn storage_set(key: &str, head: &str, tail: &JsValue) -> bool;

    /// The elements under `root` matching `selector` (`querySelectorAll`, as an array of
    /// elements: no node of another kind to check for).
    #[wasm_bindgen(js_name = selectAll, catch)]
    pub fn select_all(root: &Document, selector: &str) -> Result<js_sys::Array, JsValue>;

    /// Ed25519 checks by WebCrypto of a key, a signature and a text each, one after the
    /// other: a promise of one boolean per check (it throws without WebCrypto).
    #[wasm_bindgen(js_name = verifyAll, catch)]
    pub fn verify_all(list: &js_sys::Array) -> Result<Promise, JsValue>;
}
