//! The page's one event stream (`data-events`): carries out what `live::Live` decides.

use crate::dom::entry;
use crate::dom::listener::Listener;
use crate::dom::track::page_visible;
use crate::dom::{page, timer};
use crate::error::Error;
use crate::live::{Effects, Event, Live};
use std::cell::Cell;
use web_sys::EventSource;

/// An open stream and its listeners, removed when it is dropped.
struct Open {
    source: EventSource,
    _listeners: [Listener; 2],
}

impl Drop for Open {
    fn drop(&mut self) {
        self.source.close();
    }
}

// Cells, not RefCells: the model is copied out, stepped and put back, so no borrow is held
// while effects run (closing or opening a stream, or fetching, may dispatch events that
// come back here).
thread_local! {
    static MODEL: Cell<Option<Live>> = const { Cell::new(None) };
    static URL: Cell<&'static str> = const { Cell::new("") };
    static OPEN: Cell<Option<Open>> = const { Cell::new(None) };
}

/// Opens the event stream at `url` while the page is visible; each event fetches the feed.
/// One per page: the loader starts one widget instance, which calls this once.
pub fn start(url: String) {
    let (model, fx) = Live::start(page_visible());
    // Kept for the page's life, like the stream.
    URL.with(|u| u.set(url.leak()));
    MODEL.with(|m| m.set(Some(model)));
    page::listen();
    apply(fx);
}

/// The page was hidden or shown (`page` listens; nothing happens before `start`).
pub fn page_visibility(visible: bool) {
    step(Event::Visible(visible));
}

fn step(event: Event) {
    let Some(mut model) = MODEL.with(Cell::get) else { return };
    let fx = model.step(event, js_sys::Math::random());
    MODEL.with(|m| m.set(Some(model)));
    apply(fx);
}

fn apply(fx: Effects) {
    let url = URL.with(Cell::get);
    if fx.close {
        drop(OPEN.with(Cell::take));
    }
    if fx.open {
        let open = connect(url);
        OPEN.with(|o| o.set(open));
    }
    if let Some((ms, generation)) = fx.timer {
        timer::after(ms, move || step(Event::Timer(generation)));
    }
    if fx.report {
        page::error(&Error::NoLive { url: url.to_owned() });
    }
    if fx.refetch {
        entry::refresh_now();
    }
}

/// A new `EventSource`; `None` if the browser refuses the URL at once, which is a failure
/// like any other (the first-event timer is armed).
fn connect(url: &str) -> Option<Open> {
    let source = EventSource::new(url).ok()?;
    let on_feed = Listener::new(&source, "feed", |_| step(Event::Message));
    let target = source.clone();
    let on_error = Listener::new(&source, "error", move |_| {
        step(Event::Failed { closed: target.ready_state() == EventSource::CLOSED });
    });
    Some(Open { source, _listeners: [on_feed, on_error] })
}
