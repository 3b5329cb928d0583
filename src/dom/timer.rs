//! The browser's clock and timers, as handles that cancel on drop (gloo's `Timeout`).
//!
//! Built with the `test-clock` feature (the wasm suites only, through the crate's
//! dev-dependency on itself: never in `pkg/`), the clock is virtual: it stands still until
//! the test calls [`advance`], which runs the timers that fall due in order, as sinon's or
//! Playwright's fake clocks do.

use crate::rfc3339::Millis;
use std::cell::Cell;
use std::rc::Rc;

/// A callback until it runs or is cancelled; the handle and the browser's timer share it.
type Slot = Rc<Cell<Option<Box<dyn FnOnce()>>>>;

/// A scheduled callback. Dropping it cancels the callback (and frees what it holds);
/// [`Timeout::forget`] lets it run with no owner.
#[must_use = "a timer is cancelled when its handle is dropped: keep it, or call `forget`"]
pub struct Timeout(Option<Slot>);

impl Timeout {
    /// Lets the callback run when it falls due though nobody keeps the handle; what it
    /// holds is freed once it has run.
    pub fn forget(mut self) {
        self.0 = None;
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        // The browser's timer still fires, and finds nothing: no `clearTimeout` to bind.
        if let Some(slot) = &self.0 {
            drop(slot.take());
        }
    }
}

/// Runs `f` after `ms` milliseconds, unless the handle is dropped first (at once if there is
/// no window to schedule on). A wait outside setTimeout's range (0 to 2^31 − 1 ms, about 24
/// days) is clamped to it.
pub fn after(ms: Millis, f: impl FnOnce() + 'static) -> Timeout {
    // One boxed type for every caller: the rest is not compiled again for each.
    schedule(ms, Box::new(f))
}

fn schedule(ms: Millis, f: Box<dyn FnOnce()>) -> Timeout {
    let slot: Slot = Rc::new(Cell::new(Some(f)));
    start(Rc::clone(&slot), ms.clamp(0, Millis::from(i32::MAX)));
    Timeout(Some(slot))
}

/// Runs what `slot` still holds.
fn run(slot: &Slot) {
    if let Some(f) = slot.take() {
        f();
    }
}

/// The time now, for the pure state machines.
#[cfg(not(feature = "test-clock"))]
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// Starts the browser's timer for `slot`.
#[cfg(not(feature = "test-clock"))]
fn start(slot: Slot, ms: Millis) {
    use crate::dom::el;
    use crate::dom::listener::Callback;
    use wasm_bindgen::JsCast;
    // The listeners' closure type: no shim of its own. Owned by the JS function, which
    // wasm-bindgen frees once the browser has let go of it (after it ran).
    let function = Callback::new(move |_| run(&slot)).into_js_value();
    let started = el::window().map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(function.unchecked_ref(), ms as i32).is_ok());
    if started != Some(true) {
        let _ = function.unchecked_ref::<js_sys::Function>().call0(&wasm_bindgen::JsValue::UNDEFINED);
    }
}

/// The virtual time (read from the real clock at first use), the number of timers set, and
/// the timers with their due time and the order they were set in.
#[cfg(feature = "test-clock")]
type Clock = (Option<Millis>, u64, Vec<(Millis, u64, Slot)>);

#[cfg(feature = "test-clock")]
thread_local! {
    static CLOCK: std::cell::RefCell<Clock> = const { std::cell::RefCell::new((None, 0, Vec::new())) };
}

/// The time now, for the pure state machines: the virtual clock's.
#[cfg(feature = "test-clock")]
pub fn now() -> Millis {
    CLOCK.with(|c| *c.borrow_mut().0.get_or_insert_with(|| js_sys::Date::now() as Millis))
}

#[cfg(feature = "test-clock")]
fn start(slot: Slot, ms: Millis) {
    let at = now() + ms;
    CLOCK.with(|c| {
        let mut c = c.borrow_mut();
        c.1 += 1;
        let set = c.1;
        c.2.push((at, set, slot));
    });
}

/// Moves the virtual clock `ms` forward, running every timer that falls due on the way
/// (those they set too) at its own time, earliest first, then in the order they were set.
#[cfg(feature = "test-clock")]
pub fn advance(ms: Millis) {
    let end = now() + ms;
    // Taken out of the clock before it runs: a callback sets and cancels timers.
    while let Some(slot) = CLOCK.with(|c| {
        let mut c = c.borrow_mut();
        let (i, _) = c.2.iter().enumerate().filter(|(_, t)| t.0 <= end).min_by_key(|(_, t)| (t.0, t.1))?;
        let (at, _, slot) = c.2.swap_remove(i);
        c.0 = c.0.max(Some(at));
        Some(slot)
    }) {
        run(&slot);
    }
    CLOCK.with(|c| c.borrow_mut().0 = Some(end));
}
