//! The browser's clock and timers, as handles that cancel on drop (gloo's `Timeout`).
//!
//! Built with the `test-clock` feature (the wasm suites only, through the crate's
//! dev-dependency on itself: never in `pkg/`), the clock is virtual: it stands still until
//! the test calls [`advance`], which runs the timers that fall due in order, as sinon's or
//! Playwright's fake clocks do.

use crate::rfc3339::Millis;
use std::cell::RefCell;

/// A scheduled callback. Dropping it cancels the callback (and frees what it holds);
/// [`Timeout::forget`] lets it run with no owner.
#[must_use = "a timer is cancelled when its handle is dropped: keep it, or call `forget`"]
pub struct Timeout(u32);

impl Timeout {
    /// Lets the callback run when it falls due though nobody keeps the handle; what it
    /// holds is freed once it has run.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        // Dropped after the registry's borrow has ended: what it holds may own timers too.
        drop(take(self.0));
    }
}

/// A callback waiting for its time, by key (which also says the order timers were set in),
/// with its due time on the virtual clock.
type Pending = (u32, Millis, Box<dyn FnOnce()>);

/// The callbacks waiting for their time.
struct Timers {
    last: u32,
    pending: Vec<Pending>,
    /// The virtual time, read from the real clock at first use.
    #[cfg(feature = "test-clock")]
    now: Option<Millis>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = const {
        RefCell::new(Timers {
            last: 0,
            pending: Vec::new(),
            #[cfg(feature = "test-clock")]
            now: None,
        })
    };
}

/// Runs `f` after `ms` milliseconds, unless the handle is dropped first (at once if there is
/// no window to schedule on). A wait outside setTimeout's range (0 to 2^31 − 1 ms, about 24
/// days) is clamped to it.
pub fn after(ms: Millis, f: impl FnOnce() + 'static) -> Timeout {
    // One boxed type for every caller: the rest is not compiled again for each.
    schedule(ms, Box::new(f))
}

fn schedule(ms: Millis, f: Box<dyn FnOnce()>) -> Timeout {
    let ms = ms.clamp(0, Millis::from(i32::MAX));
    // Only the virtual clock orders timers by their time; the browser does it for the others.
    #[cfg(feature = "test-clock")]
    let at = now() + ms;
    #[cfg(not(feature = "test-clock"))]
    let at = 0;
    let key = TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        t.last = t.last.wrapping_add(1);
        let key = t.last;
        t.pending.push((key, at, f));
        key
    });
    start(key, ms);
    Timeout(key)
}

/// The callback of `key`, taken out of the registry (none once it has run or been cancelled).
fn take(key: u32) -> Option<Box<dyn FnOnce()>> {
    TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        let i = t.pending.iter().position(|p| p.0 == key)?;
        Some(t.pending.swap_remove(i).2)
    })
}

/// The time now, for the pure state machines.
#[cfg(not(feature = "test-clock"))]
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// Starts the browser's timer for `key`. A cancelled timer's still fires, and finds nothing:
/// one shared function and no `clearTimeout` cost less wasm than a function per timer.
#[cfg(not(feature = "test-clock"))]
fn start(key: u32, ms: Millis) {
    use crate::dom::el;
    use crate::dom::listener::Callback;
    use wasm_bindgen::{JsCast, JsValue};
    let function = FUNCTION.with(|f| f.take()).unwrap_or_else(|| {
        // Made once and kept for the page's life; the listeners' closure type, so no shim
        // of its own.
        Callback::new(|key: JsValue| {
            if let Some(f) = key.as_f64().and_then(|k| take(k as u32)) {
                f();
            }
        })
        .into_js_value()
    });
    let started = el::window()
        .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_1(function.unchecked_ref(), ms as i32, &JsValue::from(key)).is_ok());
    FUNCTION.with(|f| f.set(Some(function)));
    if started != Some(true) {
        if let Some(f) = take(key) {
            f();
        }
    }
}

#[cfg(not(feature = "test-clock"))]
thread_local! {
    /// The one JS function every timer calls, with its key.
    static FUNCTION: std::cell::Cell<Option<wasm_bindgen::JsValue>> = const { std::cell::Cell::new(None) };
}

/// The time now, for the pure state machines: the virtual clock's.
#[cfg(feature = "test-clock")]
pub fn now() -> Millis {
    TIMERS.with(|t| *t.borrow_mut().now.get_or_insert_with(|| js_sys::Date::now() as Millis))
}

/// The virtual clock starts nothing: [`advance`] runs what falls due.
#[cfg(feature = "test-clock")]
fn start(_key: u32, _ms: Millis) {}

/// Moves the virtual clock `ms` forward, running every timer that falls due on the way
/// (those they set too) at its own time, earliest first, then in the order they were set.
#[cfg(feature = "test-clock")]
pub fn advance(ms: Millis) {
    let end = now() + ms;
    loop {
        // Taken out of the registry before it runs: a callback sets and cancels timers.
        let next = TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            let (i, _) = t.pending.iter().enumerate().filter(|(_, p)| p.1 <= end).min_by_key(|(_, p)| (p.1, p.0))?;
            let (_, at, f) = t.pending.swap_remove(i);
            t.now = t.now.max(Some(at));
            Some(f)
        });
        match next {
            Some(f) => f(),
            None => break,
        }
    }
    TIMERS.with(|t| t.borrow_mut().now = Some(end));
}
