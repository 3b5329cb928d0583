//! The raw DOM calls on elements the widget has built (`build` makes them), gathered here so
//! the rest reads as a description of the widget.
//!
//! Feed text only ever goes through `set_text_content` and `set_attribute`: nothing here
//! parses HTML.

use crate::error::Error;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, Node, Window};

#[wasm_bindgen]
extern "C" {
    /// `globalThis`, read once. `web_sys::window()` goes through js-sys's search for the
    /// global object, which tries four names; a page's global is always `globalThis`.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: JsValue;
}

/// The page's window; `None` where the global object is not one (a worker, Node).
pub fn window() -> Option<Window> {
    GLOBAL.with(|g| g.dyn_ref::<Window>().cloned())
}

/// A DOM call refused: it only happens for invalid names, which are all ours. A unit type
/// rather than [`Error`] keeps the many `?` below cheap; it becomes an `Error` at the caller.
#[derive(Debug, Clone, Copy)]
pub struct Refused;

impl From<Refused> for Error {
    fn from(_: Refused) -> Error {
        Error::Unsupported("a DOM call the widget needs")
    }
}

/// The current document.
pub fn document() -> Result<Document, Error> {
    window().and_then(|w| w.document()).ok_or(Error::Unsupported("a document"))
}

/// Sets an attribute; a refusal only happens for invalid names, which are all ours.
pub fn attr(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

/// Replaces `el`'s text, only if it differs: an unchanged text is no DOM mutation.
pub fn set_text(el: &Element, text: &str) {
    if el.text_content().as_deref() != Some(text) {
        el.set_text_content(Some(text));
    }
}

/// Sets or removes the `hidden` attribute; `toggleAttribute` with a force changes nothing
/// (no DOM mutation) when the attribute is already as wanted.
pub fn set_hidden(el: &Element, hidden: bool) {
    let _ = el.toggle_attribute_with_force("hidden", hidden);
}

/// Removes every child of `node` (no DOM mutation if it has none).
pub fn clear(node: &Node) {
    node.set_text_content(None);
}

/// Moves keyboard focus to `el` if it can take it.
pub fn focus(el: &Element) {
    // Every element the widget makes is an HTML element (createElement in an HTML document).
    let _ = el.unchecked_ref::<HtmlElement>().focus();
}

/// Clicks `el` as the user would, running its listeners.
pub fn click(el: &Element) {
    el.unchecked_ref::<HtmlElement>().click();
}
