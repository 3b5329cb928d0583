//! Browser calls that take an options object, made in one call each (`browser.js`): through
//! web-sys each field of an options object is a call from the wasm and an import of its own.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Element, IntersectionObserver, MutationObserver, Node};

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
}
