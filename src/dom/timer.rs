//! Waiting without blocking, on the browser's timer.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Resolves after `ms` milliseconds (at once if there is no window).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        });
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(done.unchecked_ref(), ms).is_ok());
        if scheduled != Some(true) {
            let _ = done.unchecked_ref::<js_sys::Function>().call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
