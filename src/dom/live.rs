//! The page's one event stream (`data-events`): carries out what `live::Live` decides.

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

/// What the stream does not do itself: fetching the feed (`again`: even after a fetch in
/// flight), given by `start`.
type Refresh = fn(bool);

/// Before `start`: nothing to ask.
fn no_refresh(_: bool) {}

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
    refresh: Cell<Refresh>,
}

thread_local! {
    static STREAM: Stream = const { Stream { model: Cell::new(Live::new()), url: Cell::new(""), open: Cell::new(None), timer: Cell::new(None), refresh: Cell::new(no_refresh) } };
}

/// Opens the event stream at `url` while the page is visible; each event with a version the
/// page has not fetched calls `refresh`. One per page: the loader starts one widget
/// instance, whose first fetch calls this once.
pub fn start(url: String, refresh: Refresh) {
    // Kept for the page's life, like the stream.
    STREAM.with(|s| {
        s.url.set(url.leak());
        s.refresh.set(refresh);
    });
    step(Event::Visible(page_visible()));
}

/// A feed response said the feed's version: kept, for the stream's events to compare with
/// (before `start` too). Returns whether the feed must be fetched once more after this
/// response (it is older than the stream announced).
pub fn fetched(version: u64) -> bool {
    STREAM.with(|s| {
        let mut model = s.model.get();
        let fx = model.step(Event::Fetched(version), 0.0);
        s.model.set(model);
        // A fetch is all that can come of it.
        fx.fetch != Fetch::No
    })
}

/// The page was hidden or shown (nothing happens before `start`).
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
            (s.refresh.get())(fx.fetch == Fetch::Now);
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
