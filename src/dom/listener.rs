//! Event listeners that unregister themselves when dropped.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

/// The one closure type JS calls with a value (an event, an observer's entries or records, a
/// promise's outcome): wasm-bindgen makes a JS-callable shim per closure type, so listeners,
/// observers and promise callbacks all share this one.
pub type Callback = Closure<dyn FnMut(JsValue)>;

/// A registered listener; dropping it removes it from its target.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Callback,
}

impl Listener {
    /// Registers `f` for `kind` events on `target`.
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(JsValue) + 'static) -> Listener {
        Listener::boxed(target, kind, Box::new(f))
    }

    // One closure type for every listener, as in `timer`: less wasm per call site.
    fn boxed(target: &EventTarget, kind: &'static str, f: Box<dyn FnMut(JsValue)>) -> Listener {
        let callback = Closure::wrap(f);
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener { target: target.clone(), kind, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}
