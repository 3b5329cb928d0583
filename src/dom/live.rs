//! The page's one event stream (`data-events`): carries out what `live::Live` decides.

use crate::dom::entry;
use crate::dom::listener::Listener;
use crate::dom::track::page_visible;
use crate::dom::page;
use crate::dom::timer::{self, Timeout};
use crate::error::Error;
use crate::live::{Event, Fetch, Live};
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

/// The page's stream. Cells, not RefCells: the model is copied out, stepped and put back
/// before its effects run, and closing or opening a stream, or fetching, may dispatch events
/// that come back here.
struct Stream {
    model: Cell<Live>,
    /// Empty until `start`.
    url: Cell<&'static str>,
    open: Cell<Option<Open>>,
    /// The model's timer; a new one replaces (cancels) the last.
    timer: Cell<Option<Timeout>>,
}

thread_local! {
    static STREAM: Stream = const { Stream { model: Cell::new(Live::new()), url: Cell::new(""), open: Cell::new(None), timer: Cell::new(None) } };
}

/// Opens the event stream at `url` while the page is visible; each event with a version the
/// page has not fetched fetches the feed. One per page: the loader starts one widget
/// instance, whose first fetch calls this once.
pub fn start(url: String) {
    // Kept for the page's life, like the stream.
    STREAM.with(|s| s.url.set(url.leak()));
    page::listen();
    step(Event::Visible(page_visible()));
}

/// A feed response said the feed's version: kept, for the stream's events to compare with
/// (before `start` too); older than the stream announced, the feed is fetched once more
/// after this response.
pub fn fetched(version: u64) {
    let fx = STREAM.with(|s| {
        let mut model = s.model.get();
        let fx = model.step(Event::Fetched(version), 0.0);
        s.model.set(model);
        fx
    });
    // A fetch is all that can come of it.
    if fx.fetch != Fetch::No {
        entry::refresh(true);
    }
}

/// The page was hidden or shown (`page` listens; nothing happens before `start`).
pub fn page_visibility(visible: bool) {
    step(Event::Visible(visible));
}

fn step(event: Event) {
    STREAM.with(|s| {
        let url = s.url.get();
        if url.is_empty() {
            return;
        }
        let mut model = s.model.get();
        let fx = model.step(event, js_sys::Math::random());
        s.model.set(model);
        if fx.close {
            drop(s.open.take());
        }
        if fx.open {
            s.open.set(connect(url));
        }
        if let Some((ms, generation)) = fx.timer {
            s.timer.set(Some(timer::after(ms, move || step(Event::Timer(generation)))));
        }
        if fx.report {
            page::error(&Error::NoLive { url: url.to_owned() });
        }
        if fx.fetch != Fetch::No {
            entry::refresh(fx.fetch == Fetch::Now);
        }
    });
}

/// A new `EventSource`; `None` if the browser refuses the URL at once, which is a failure
/// like any other (the first-event timer is armed).
// Not inlined into `step`: 31 bytes gzip less (measured with scripts/size.sh).
#[inline(never)]
fn connect(url: &str) -> Option<Open> {
    let source = EventSource::new(url).ok()?;
    let on_feed = Listener::new(&source, "feed", |e| {
        // The collector's events carry the feed's version as their data.
        let data = js_sys::Reflect::get(&e, &"data".into()).ok().and_then(|d| d.as_string());
        step(Event::Message(data.and_then(|d| crate::text::parse_u64(&d))));
    });
    let on_error = Listener::new(&source, "error", |_| step(Event::Failed));
    Some(Open { source, _listeners: [on_feed, on_error] })
}
