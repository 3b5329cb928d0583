//! Watching a mounted element's visibility with an IntersectionObserver.

use crate::dom::el;
use crate::dom::timer::{self, now};
use crate::viewability::{Step, Tracker};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// Whether the document is visible.
pub fn page_visible() -> bool {
    el::document().ok().is_some_and(|d| !d.hidden())
}

/// A watched element; dropping it disconnects the observer.
pub struct Watch {
    observer: IntersectionObserver,
    tracker: Rc<RefCell<Tracker>>,
    on_view: Rc<dyn Fn()>,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Watch {
    /// Observes `el`; `on_view` runs once, when the element has been seen.
    pub fn new(el: &Element, on_view: Rc<dyn Fn()>) -> Option<Watch> {
        let tracker = Rc::new(RefCell::new(Tracker::new(page_visible())));
        let (t, v) = (Rc::clone(&tracker), Rc::clone(&on_view));
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            for entry in entries.iter() {
                let ratio = entry.unchecked_into::<IntersectionObserverEntry>().intersection_ratio();
                let step = t.borrow_mut().intersection(ratio, now());
                follow(step, &t, &v);
            }
        });
        let init = IntersectionObserverInit::new();
        let thresholds = js_sys::Array::of3(&0.0.into(), &0.5.into(), &1.0.into());
        init.set_threshold(&thresholds);
        let observer = IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init).ok()?;
        observer.observe(el);
        Some(Watch { observer, tracker, on_view, _callback: callback })
    }

    /// The page became visible or hidden.
    pub fn page_visibility(&self, visible: bool) {
        let step = self.tracker.borrow_mut().page_visibility(visible, now());
        follow(step, &self.tracker, &self.on_view);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// Carries out a step: wait, set a timer, or report the view.
fn follow(step: Step, tracker: &Rc<RefCell<Tracker>>, on_view: &Rc<dyn Fn()>) {
    match step {
        Step::Wait => {}
        // Later, not now: the caller may be iterating the page's mounts.
        Step::Viewed => {
            let v = Rc::clone(on_view);
            timer::after(0, move || v());
        }
        Step::WakeIn(ms) => {
            // A weak handle: a timer must not keep a removed mount's tracker alive.
            let (t, v) = (Rc::downgrade(tracker), Rc::clone(on_view));
            timer::after(ms, move || {
                if let Some(t) = t.upgrade() {
                    let step = t.borrow_mut().tick(now());
                    follow(step, &t, &v);
                }
            });
        }
    }
}
