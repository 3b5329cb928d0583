//! localStorage, every call guarded: it may be missing, full, or forbidden by the host.

use crate::dom::el;

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
