//! The browser's clock and timer.

use crate::dom::el;
use crate::rfc3339::Millis;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The time now, for the pure state machines.
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// Runs `f` after `ms` milliseconds (at once if there is no window to schedule on). A wait
/// outside setTimeout's range (0 to 2^31 − 1 ms, about 24 days) is clamped to it.
pub fn after(ms: Millis, f: impl FnOnce() + 'static) {
    schedule(ms, Box::new(f));
}

// One closure type for every timer: wasm-bindgen makes a JS-callable shim per closure type.
fn schedule(ms: Millis, f: Box<dyn FnOnce()>) {
    let ms = ms.clamp(0, Millis::from(i32::MAX)) as i32;
    let callback = Closure::once_into_js(f);
    let scheduled = el::window()
        .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms).is_ok());
    if scheduled != Some(true) {
        let _ = callback.unchecked_ref::<js_sys::Function>().call0(&wasm_bindgen::JsValue::UNDEFINED);
    }
}
