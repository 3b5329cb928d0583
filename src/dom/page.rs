//! The widget's life on the page: what is mounted, which events were sent, the page-wide
//! listeners, and the events it gives the host. Everything a mount owns is released when
//! its element leaves the page.
//!
//! Imports neither `entry` nor `live` (nor anything that imports it back): what the rest of
//! the widget does about the page's events (a view counted, the page hidden, a mount added)
//! is given here as a callback by `dom::entry`, which owns the wiring.

use crate::beacon::{self, Event, Sent};
use crate::dom::banner::Banner;
use crate::dom::card::Card;
use crate::dom::console::report_once;
use crate::dom::listener::{Callback, Listener};
use crate::dom::mount::{self, Kind, Mount};
use crate::dom::track::{page_visible, Watch};
use crate::dom::{beacon as outbox, browser, el};
use crate::error::Error;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, MutationObserver};

/// One rendered mount and everything that keeps it alive.
pub struct Mounted {
    /// The publisher's element.
    pub host: Element,
    /// Banner or card.
    pub kind: Kind,
    /// `data-article`, for a card.
    pub article: Option<String>,
    /// The card shown there, if any.
    pub card: Option<Rc<Card>>,
    /// The banner shown there, if any.
    pub banner: Option<Banner>,
    /// A card's viewability watch, when views are counted (a banner keeps its own, for the
    /// item it shows).
    pub watch: Option<Watch>,
    /// The item the watch is for.
    pub watched: Option<String>,
}

/// Where beacons go.
#[derive(Clone)]
pub struct Counting {
    /// `data-beacon`.
    pub beacon: String,
    /// `data-feed`, named in each beacon.
    pub feed: String,
    /// Called once a view is sent (the refresh loop shows the new count).
    pub viewed: fn(),
}

struct State {
    mounts: Vec<Mounted>,
    sent: Sent,
    counting: Option<Counting>,
    listeners: Vec<Listener>,
    removal_observer: Option<(MutationObserver, Callback)>,
}

thread_local! {
    static STATE: RefCell<State> = const {
        RefCell::new(State { mounts: Vec::new(), sent: Sent::new(), counting: None, listeners: Vec::new(), removal_observer: None })
    };
}

/// Gives back every mount this instance rendered, to render them again.
pub fn take_all() -> Vec<Mounted> {
    STATE.with(|s| std::mem::take(&mut s.borrow_mut().mounts))
}

/// Keeps `mounted` alive until its element leaves the page.
pub fn adopt(mounted: Vec<Mounted>) {
    STATE.with(|s| s.borrow_mut().mounts.extend(mounted));
}

/// The page's mount points this instance does not track yet (rendered or left empty), as
/// `mount::find` reads them. The tracked ones are the keys of a JS map (a JS `Map` like
/// `track`'s, not a `Set`: fewer bindings), asked of each element found at one call each,
/// where comparing each element with each mount made ten thousand calls for a hundred cards.
pub fn new_mounts(doc: &Document) -> (Vec<Mount>, Vec<Error>) {
    let tracked = js_sys::Map::new();
    STATE.with(|s| s.borrow().mounts.iter().for_each(|m| {
        tracked.set(&m.host, &JsValue::TRUE);
    }));
    mount::find(doc, |host| tracked.has(host))
}

/// The card showing `item`, if any.
pub fn card_for(item: &str) -> Option<Rc<Card>> {
    STATE.with(|s| s.borrow().mounts.iter().filter_map(|m| m.card.clone()).find(|c| c.item_id == item))
}

/// Turns counting on for this page (once).
pub fn start_counting(counting: Counting) {
    STATE.with(|s| {
        s.borrow_mut().counting.get_or_insert(counting);
    });
}

/// Installs the page-wide listeners (once): on visibility changes, flushes the beacons,
/// pauses or resumes the watches and banners, then calls `changed` with whether the page is
/// visible.
pub fn listen(changed: fn(bool)) {
    if STATE.with(|s| !s.borrow().listeners.is_empty()) {
        return;
    }
    let Some(window) = el::window() else { return };
    let Some(doc) = window.document() else { return };
    let visibility = Listener::new(&doc, "visibilitychange", move |_| {
        let visible = page_visible();
        if !visible {
            outbox::flush();
        }
        // Watches only start timers here: nothing re-enters the page's state synchronously.
        STATE.with(|s| {
            for m in &s.borrow().mounts {
                m.watch.iter().for_each(|w| w.page_visibility(visible));
                m.banner.iter().for_each(|b| b.page_visibility(visible));
            }
        });
        changed(visible);
    });
    let pagehide = Listener::new(&window, "pagehide", |_| outbox::flush());
    STATE.with(|s| s.borrow_mut().listeners.extend([visibility, pagehide]));
}

/// A viewability watch on `host` that reports `item` as viewed, if views are counted.
pub fn watch(host: &Element, item: &str) -> Option<Watch> {
    STATE.with(|s| s.borrow().counting.is_some()).then_some(())?;
    let (id, target) = (item.to_owned(), host.clone());
    Watch::new(
        host,
        Rc::new(move || {
            if report_event(&id, Event::View) {
                dispatch(&target, "depeche:view", "item", &id);
            }
        }),
    )
}

/// Reports a reader event for `item`: at most once per item and kind per page load.
/// Returns whether it was sent.
pub fn report_event(item: &str, event: Event) -> bool {
    let counting = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let counting = s.counting.clone()?;
        s.sent.first(item, event).then_some(counting)
    });
    let Some(counting) = counting else { return false };
    let Some(body) = beacon::body(item, event, &counting.feed) else { return false };
    outbox::queue(&counting.beacon, body);
    if event == Event::View {
        (counting.viewed)();
    }
    true
}

/// Logs `error` once and tells the host through a `depeche:error` event on every mount
/// point of the page, rendered or not (a feed that never loads has no rendered mount).
pub fn error(error: &Error) {
    report_once(error);
    let message = error.message();
    let Some(doc) = el::document().ok() else { return };
    let Ok(hosts) = browser::select_all(&doc, mount::SELECTOR) else { return };
    for host in hosts.iter() {
        dispatch(host.unchecked_ref(), "depeche:error", "message", &message);
    }
}

/// Dispatches a `CustomEvent` on `target` that bubbles out of shadow roots (`composed`),
/// with `{ key: value }` as its detail (`{}` when `key` is empty).
pub fn dispatch(target: &Element, name: &str, key: &str, value: &str) {
    let _ = browser::dispatch(target, name, key, value);
}

/// Watches the document for mounts: one removed from it, or whose `data-depeche` or
/// `data-article` was removed or changed, releases its observers and listeners (and is
/// emptied, if still on the page); one added, or changed, is rendered at once from the feed
/// shown (`added` does). A mount moved within one task is neither: it keeps its state (an
/// open card stays open).
pub fn watch_mounts(added: fn()) {
    let installed = STATE.with(|s| s.borrow().removal_observer.is_some());
    let Some(root) = el::document().ok().and_then(|d| d.document_element()) else { return };
    if installed {
        return;
    }
    let callback = Callback::new(move |records: JsValue| {
        let records: js_sys::Array = records.unchecked_into();
        if !concerns_mounts(&records) {
            return;
        }
        // Read as `mount::find` reads a new mount: a mount stays while it would be found the same.
        let still = |m: &Mounted| {
            m.host.is_connected()
                && mount::kind_of(&m.host) == Ok(m.kind)
                && (m.kind == Kind::Banner || mount::article_of(&m.host) == m.article)
        };
        let gone: Vec<Mounted> = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let (kept, gone) = std::mem::take(&mut s.mounts).into_iter().partition(still);
            s.mounts = kept;
            gone
        });
        for m in gone.iter().filter(|m| m.host.is_connected()) {
            if let Some(root) = m.host.shadow_root() {
                el::clear(&root);
            }
        }
        // Dropping a Mounted disconnects its observer and removes its listeners.
        drop(gone);
        added();
    });
    if let Ok(observer) = browser::observe_mutations(callback.as_ref().unchecked_ref(), &root, mount::ATTRIBUTE, "data-article") {
        STATE.with(|s| s.borrow_mut().removal_observer = Some((observer, callback)));
    }
}

/// Whether a batch of the document's mutations may have added, removed or changed a mount: a
/// mount attribute changed, or an element came or went that is or holds a mount. The host
/// page's own changes (a clock's text, a list growing) are neither, and cost a look at each
/// record instead of a search of the page and a read of every mount.
fn concerns_mounts(records: &js_sys::Array) -> bool {
    // Read in JS (`browser.js`): a record's nodes read one by one from here were ten calls
    // a node. Should the reading fail, looking again costs less than missing a mount.
    browser::touches_mounts(records, mount::ATTRIBUTE, mount::SELECTOR).unwrap_or(true)
}

/// How many mounts are alive (for tests of the release on removal).
pub fn live_mounts() -> usize {
    STATE.with(|s| s.borrow().mounts.len())
}
