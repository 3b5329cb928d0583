//! The widget's life on the page: what is mounted, which events were sent, and the
//! page-wide listeners. Everything a mount owns is released when its element leaves the page.

use crate::beacon::{self, Event, Sent};
use crate::dom::card::Card;
use crate::dom::listener::Listener;
use crate::dom::track::{page_visible, Watch};
use crate::dom::fetch::{self, Limits};
use crate::dom::{beacon as outbox, timer};
use crate::feed;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit};

/// After a view is sent, the feed is fetched again this much later to show the new count.
const RECOUNT_DELAY_MS: i32 = 1500;

/// One rendered mount and everything that keeps it alive.
pub struct Mounted {
    /// The publisher's element.
    pub host: Element,
    /// The card shown there, if it is a card.
    pub card: Option<Rc<Card>>,
    /// Its viewability watch, when views are counted.
    pub watch: Option<Watch>,
    /// Its other listeners (banner buttons).
    pub listeners: Vec<Listener>,
}

/// Where beacons go.
#[derive(Clone)]
pub struct Counting {
    /// `data-beacon`.
    pub beacon: String,
    /// `data-feed`, named in each beacon and fetched again for the new count.
    pub feed: String,
    /// The bounds of that fetch.
    pub limits: Limits,
}

#[derive(Default)]
struct State {
    mounts: Vec<Mounted>,
    sent: Sent,
    counting: Option<Counting>,
    listeners: Vec<Listener>,
    removal_observer: Option<(MutationObserver, Closure<dyn FnMut()>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Gives back every mount this instance rendered, to render them again; dropping them
/// releases their observers and listeners.
pub fn take_all() -> Vec<Mounted> {
    STATE.with(|s| std::mem::take(&mut s.borrow_mut().mounts))
}

/// Keeps `mounted` alive until its element leaves the page.
pub fn adopt(mounted: Vec<Mounted>) {
    STATE.with(|s| s.borrow_mut().mounts.extend(mounted));
}

/// Turns counting on for this page (once): page-wide listeners flush pending beacons when
/// the page is hidden and pause viewability while it is.
pub fn start_counting(counting: Counting) {
    let first = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let first = s.counting.is_none();
        s.counting.get_or_insert(counting);
        first
    });
    if !first {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let Some(doc) = window.document() else { return };
    let visibility = Listener::new(&doc, "visibilitychange", |_| {
        let visible = page_visible();
        if !visible {
            outbox::flush();
        }
        STATE.with(|s| s.borrow().mounts.iter().filter_map(|m| m.watch.as_ref()).for_each(|w| w.page_visibility(visible)));
    });
    let pagehide = Listener::new(&window, "pagehide", |_| outbox::flush());
    STATE.with(|s| s.borrow_mut().listeners.extend([visibility, pagehide]));
}

/// Reports a reader event for `item`: at most once per item and kind per page load.
pub fn report_event(item: &str, event: Event) {
    let counting = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let counting = s.counting.clone()?;
        s.sent.first(item, event).then_some(counting)
    });
    let Some(counting) = counting else { return };
    let Some(body) = beacon::body(item, event, &counting.feed) else { return };
    outbox::queue(&counting.beacon, body);
    if event == Event::View {
        timer::after(RECOUNT_DELAY_MS, move || wasm_bindgen_futures::spawn_local(recount(counting)));
    }
}

/// Fetches the feed again, past the HTTP cache, and shows each card's current count.
/// A failure changes nothing on the page: the count just stays as it was.
async fn recount(counting: Counting) {
    let Ok(text) = fetch::feed_text(&counting.feed, true, counting.limits).await else { return };
    let Some(parsed) = fetch::parse_json(&text).and_then(|v| feed::parse(&v).ok()) else { return };
    STATE.with(|s| {
        for card in s.borrow().mounts.iter().filter_map(|m| m.card.as_ref()) {
            if let Some(views) = parsed.feed.items.iter().find(|i| i.id == card.item_id).and_then(|i| i.views) {
                card.set_views(views);
            }
        }
    });
}

/// Watches the document so that mounts removed from it release their observers and listeners.
pub fn watch_removals() {
    let installed = STATE.with(|s| s.borrow().removal_observer.is_some());
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
    if installed {
        return;
    }
    let callback = Closure::<dyn FnMut()>::new(|| {
        // Dropping a Mounted disconnects its observer and removes its listeners.
        let gone: Vec<Mounted> = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let (kept, gone) = std::mem::take(&mut s.mounts).into_iter().partition(|m| m.host.is_connected());
            s.mounts = kept;
            gone
        });
        drop(gone);
    });
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else { return };
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    if observer.observe_with_options(&root, &init).is_ok() {
        STATE.with(|s| s.borrow_mut().removal_observer = Some((observer, callback)));
    }
}

/// How many mounts are alive (for tests of the release on removal).
pub fn live_mounts() -> usize {
    STATE.with(|s| s.borrow().mounts.len())
}
