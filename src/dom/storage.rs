//! localStorage, every call guarded: it may be missing, full, or forbidden by the host.

use crate::dom::el;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// `Storage`, bound again for a `setItem` that takes a JS string value: the feed is kept
    /// as it came, not copied through the wasm.
    type JsStorage;
    #[wasm_bindgen(method, js_name = setItem, catch)]
    fn set_item_js(this: &JsStorage, key: &str, value: &js_sys::JsString) -> Result<(), JsValue>;
}

fn local() -> Option<web_sys::Storage> {
    el::window()?.local_storage().ok().flatten()
}

/// The stored value, or `None` when absent or unreadable.
pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

/// Stores a value; returns whether it was stored.
pub fn set(key: &str, value: &str) -> bool {
    local().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Stores a JS string; returns whether it was stored.
pub fn set_js(key: &str, value: &js_sys::JsString) -> bool {
    local().is_some_and(|s| s.unchecked_ref::<JsStorage>().set_item_js(key, value).is_ok())
}
