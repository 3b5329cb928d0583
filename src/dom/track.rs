//! Watching a mounted element's visibility with an IntersectionObserver.

use crate::dom::listener::Callback;
use crate::dom::{browser, el};
use crate::dom::timer::{self, now, Timeout};
use crate::viewability::{Step, Tracker, MIN_RATIO};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry};

/// Whether the document is visible.
pub fn page_visible() -> bool {
    el::document().ok().is_some_and(|d| !d.hidden())
}

/// One watch's state, which the page's observer finds by its element.
struct Watched {
    el: Element,
    tracker: Rc<Tracked>,
    on_view: Rc<dyn Fn()>,
}

/// A watch's viewability clock and its wake-up, cancelled with the watch.
struct Tracked {
    tracker: RefCell<Tracker>,
    wake: Cell<Option<Timeout>>,
}

thread_local! {
    /// The page's one IntersectionObserver (a hundred cards need no hundred observers), and
    /// what it watches.
    static OBSERVER: RefCell<Option<(IntersectionObserver, Callback)>> = const { RefCell::new(None) };
    static WATCHED: RefCell<Vec<Watched>> = const { RefCell::new(Vec::new()) };
}

/// The page's observer, made on first use.
fn observer() -> Option<IntersectionObserver> {
    if let Some(o) = OBSERVER.with(|o| o.borrow().as_ref().map(|(o, _)| o.clone())) {
        return Some(o);
    }
    let callback = Callback::new(|entries: wasm_bindgen::JsValue| {
        let entries: js_sys::Array = entries.unchecked_into();
        // Each element's latest entry (all are of this instant), found by element in a JS map:
        // matching every entry against every watch made a hundred cards' first report ten
        // thousand comparisons across the wasm boundary.
        let latest = js_sys::Map::new();
        for entry in entries.iter() {
            latest.set(&entry.unchecked_ref::<IntersectionObserverEntry>().target(), &entry);
        }
        // Every watch of an element (a banner's outgoing and incoming items), each taken from
        // the list and followed with no borrow of the list held.
        let mut i = 0;
        while let Some((entry, t, v)) = WATCHED.with(|w| w.borrow().get(i).map(|x| (latest.get(&x.el), Rc::clone(&x.tracker), Rc::clone(&x.on_view)))) {
            if !entry.is_undefined() {
                let ratio = entry.unchecked_ref::<IntersectionObserverEntry>().intersection_ratio();
                let step = t.tracker.borrow_mut().intersection(ratio, now());
                follow(step, &t, &v);
            }
            i += 1;
        }
    });
    let o = browser::intersection_observer(callback.as_ref().unchecked_ref(), MIN_RATIO).ok()?;
    OBSERVER.with(|cell| *cell.borrow_mut() = Some((o.clone(), callback)));
    Some(o)
}

/// A watched element; dropping it stops watching it.
pub struct Watch {
    el: Element,
    tracker: Rc<Tracked>,
    on_view: Rc<dyn Fn()>,
}

impl Watch {
    /// Observes `el`; `on_view` runs once, when the element has been seen.
    pub fn new(el: &Element, on_view: Rc<dyn Fn()>) -> Option<Watch> {
        let tracker = Rc::new(Tracked { tracker: RefCell::new(Tracker::new(page_visible())), wake: Cell::new(None) });
        let o = observer()?;
        WATCHED.with(|w| w.borrow_mut().push(Watched { el: el.clone(), tracker: Rc::clone(&tracker), on_view: Rc::clone(&on_view) }));
        // Observed afresh, so that the new watch hears where the element is now (observing an
        // element already observed says nothing).
        o.unobserve(el);
        o.observe(el);
        Some(Watch { el: el.clone(), tracker, on_view })
    }

    /// The page became visible or hidden.
    pub fn page_visibility(&self, visible: bool) {
        let step = self.tracker.tracker.borrow_mut().page_visibility(visible, now());
        follow(step, &self.tracker, &self.on_view);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // This watch's entry only: another may watch the same element (a banner's next item).
        let watched = WATCHED.with(|w| {
            let mut w = w.borrow_mut();
            w.retain(|x| !Rc::ptr_eq(&x.tracker, &self.tracker));
            w.iter().any(|x| x.el == self.el)
        });
        if !watched {
            // The observer exists: this watch was made with it.
            if let Some(o) = observer() {
                o.unobserve(&self.el);
            }
        }
    }
}

/// Carries out a step: wait, set a timer, or report the view.
fn follow(step: Step, tracker: &Rc<Tracked>, on_view: &Rc<dyn Fn()>) {
    match step {
        Step::Wait => {}
        // Later, not now: the caller may be iterating the page's mounts. Not cancelled with
        // the watch: a view seen is reported even if its item leaves in the same task.
        Step::Viewed => {
            let v = Rc::clone(on_view);
            timer::after(0, move || v()).forget();
        }
        Step::WakeIn(ms) => {
            // Weak: the watch owns its timer, and its timer must not keep it alive.
            let (t, v) = (Rc::downgrade(tracker), Rc::clone(on_view));
            tracker.wake.set(Some(timer::after(ms, move || {
                if let Some(t) = t.upgrade() {
                    let step = t.tracker.borrow_mut().tick(now());
                    follow(step, &t, &v);
                }
            })));
        }
    }
}
