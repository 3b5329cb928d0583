//! Reacting to a promise with a callback. The widget's few waits (the feed, its body, a
//! keepalive beacon) chain callbacks instead of `async` code, whose executor and state
//! machines cost more wasm than the waits themselves.

use js_sys::Promise;
use std::cell::RefCell;
use std::rc::Rc;
use crate::dom::listener::Callback;
use wasm_bindgen::JsValue;

/// What a settled promise gave: its value, or the reason it was rejected.
pub type Settled = Result<JsValue, JsValue>;

/// The continuation and both of the promise's callbacks, until one of them runs.
struct Pending {
    then: Box<dyn FnOnce(Settled)>,
    _callbacks: [Callback; 2],
}

/// Calls `f` once with what `promise` settles to. A rejection goes to `f` too, so none
/// reaches the host page as an `unhandledrejection`.
pub fn then(promise: &Promise, f: impl FnOnce(Settled) + 'static) {
    // One boxed type for every caller: wasm-bindgen makes a JS-callable shim per closure type.
    settle(promise, Box::new(f));
}

fn settle(promise: &Promise, then: Box<dyn FnOnce(Settled)>) {
    let slot: Rc<RefCell<Option<Pending>>> = Rc::new(RefCell::new(None));
    let callback = |fulfilled: bool| {
        let slot = Rc::clone(&slot);
        Callback::new(move |value: JsValue| {
            // Taking the pending state also drops both callbacks (and the cycle through
            // `slot`); wasm-bindgen frees the running one when it returns.
            let pending = slot.borrow_mut().take();
            if let Some(p) = pending {
                (p.then)(if fulfilled { Ok(value) } else { Err(value) });
            }
        })
    };
    let callbacks = [callback(true), callback(false)];
    let _ = promise.then2(&callbacks[0], &callbacks[1]);
    *slot.borrow_mut() = Some(Pending { then, _callbacks: callbacks });
}
