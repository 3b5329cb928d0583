//! localStorage, every call guarded (in `browser.js`): it may be missing, full, or forbidden
//! by the host.

use crate::dom::browser;

/// The stored value, or `None` when absent or unreadable.
pub fn get(key: &str) -> Option<String> {
    browser::storage_get(key)
}

/// Stores a value; returns whether it was stored.
pub fn set(key: &str, value: &str) -> bool {
    browser::storage_set(key, value, &"".into())
}

/// Stores `head` followed by a JS string, which is not copied through the wasm; returns
/// whether it was stored.
pub fn set_js(key: &str, head: &str, tail: &js_sys::JsString) -> bool {
    browser::storage_set(key, head, tail)
}
