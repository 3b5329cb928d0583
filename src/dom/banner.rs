//! The urgent-news banner: one item at a time from a queue of urgent items, with a live
//! region that announces each new one once, and a rotation that respects the reader.

use crate::rfc3339::Millis;
use crate::dismissals;
use crate::dom::card::Card;
use crate::dom::el::{self, Refused};
use crate::dom::listener::Listener;
use crate::dom::{storage, timer};
use crate::feed::Item;
use crate::i18n::{self, Locale, Strings};
use crate::url::safe_http_url;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use web_sys::{Document, Element, ShadowRoot};

/// How long the live region stays empty before a new item's text arrives: screen readers
/// announce changes to a live region, not a region that arrives already filled.
pub const ANNOUNCE_DELAY_MS: Millis = 50;
/// How long each item shows when several rotate.
pub const ROTATE_MS: Millis = 8000;

/// The item ids the reader has closed, from localStorage.
pub fn dismissed() -> Vec<String> {
    storage::get(dismissals::STORAGE_KEY).map(|s| dismissals::parse(&s)).unwrap_or_default()
}

/// Finds the card showing an item, for the banner's title to open it.
pub type FindCard = Rc<dyn Fn(&str) -> Option<Rc<Card>>>;

/// A rendered banner.
pub struct Banner {
    inner: Rc<Inner>,
    _listeners: Vec<Listener>,
}

struct Inner {
    doc: Document,
    strings: &'static Strings,
    locale: Locale,
    find_card: FindCard,
    parts: Parts,
    state: RefCell<State>,
    /// The title button's listener, replaced with the content.
    title_listener: RefCell<Option<Listener>>,
}

struct Parts {
    aside: Element,
    announce: Element,
    content: Element,
    counter: Element,
    previous: Element,
    next: Element,
    pause: Element,
}

#[derive(Default)]
struct State {
    queue: Vec<Rc<Item>>,
    index: usize,
    /// Every item that was ever in the queue: an item not in it is news.
    known: Vec<String>,
    dismissed_here: Vec<String>,
    paused: bool,
    hovered: bool,
    focused: bool,
    /// Bumped on each change, so that older rotation timers know they are stale.
    generation: u32,
}

impl Banner {
    /// Renders a banner for `queue` (most urgent first) into `root`.
    pub fn render(doc: &Document, root: &ShadowRoot, queue: Vec<Rc<Item>>, locale: &Locale, find_card: FindCard) -> Result<Banner, Refused> {
        let strings = locale.lang.strings();
        let aside = el::part(doc, "aside", "banner")?;
        el::attr(&aside, "lang", &locale.tag);
        el::attr(&aside, "aria-label", strings.alert_region);
        let announce = el::part(doc, "div", "announce")?;
        el::attr(&announce, "aria-atomic", "true");
        let content = el::part(doc, "div", "content")?;
        let counter = el::part(doc, "span", "counter")?;
        let button = |part: &str, text: &str, label: &str| -> Result<Element, Refused> {
            let b = el::text(doc, "button", part, text)?;
            el::attr(&b, "type", "button");
            el::attr(&b, "aria-label", label);
            Ok(b)
        };
        let previous = button("previous", "‹", strings.previous_alert)?;
        let next = button("next", "›", strings.next_alert)?;
        let pause = button("pause", "❚❚", strings.pause_rotation)?;
        el::attr(&pause, "aria-pressed", "false");
        let close = button("close", "×", strings.close_alert)?;
        for part in [&announce, &content, &counter, &previous, &next, &pause, &close] {
            el::append(&aside, part)?;
        }
        el::append(root, &aside)?;

        let parts = Parts { aside, announce, content, counter, previous, next, pause };
        let inner = Rc::new(Inner {
            doc: doc.clone(),
            strings,
            locale: locale.clone(),
            find_card,
            parts,
            state: RefCell::new(State::default()),
            title_listener: RefCell::new(None),
        });
        let on = |target: &Element, kind: &'static str, f: fn(&Rc<Inner>)| {
            let weak: Weak<Inner> = Rc::downgrade(&inner);
            Listener::new(target, kind, move |_| {
                if let Some(i) = weak.upgrade() {
                    f(&i);
                }
            })
        };
        let p = &inner.parts;
        let listeners = vec![
            on(&close, "click", Inner::dismiss),
            on(&p.previous, "click", |i| i.step(-1)),
            on(&p.next, "click", |i| i.step(1)),
            on(&p.pause, "click", Inner::toggle_pause),
            on(&p.aside, "mouseenter", |i| i.hold(|s| s.hovered = true)),
            on(&p.aside, "mouseleave", |i| i.hold(|s| s.hovered = false)),
            on(&p.aside, "focusin", |i| i.hold(|s| s.focused = true)),
            on(&p.aside, "focusout", |i| i.hold(|s| s.focused = false)),
        ];
        let banner = Banner { inner, _listeners: listeners };
        banner.update(queue);
        Ok(banner)
    }

    /// The id of the item showing now.
    pub fn current(&self) -> Option<String> {
        let s = self.inner.state.borrow();
        s.queue.get(s.index).map(|i| i.id.clone())
    }

    /// Takes a newer queue: a new item takes the banner and is announced once; the item
    /// showing stays, updated in place, if it is still there.
    pub fn update(&self, queue: Vec<Rc<Item>>) {
        let inner = &self.inner;
        let (showing, fresh) = {
            let mut s = inner.state.borrow_mut();
            let mut queue = queue;
            queue.retain(|i| !s.dismissed_here.contains(&i.id));
            let current = s.queue.get(s.index).map(|i| i.id.clone());
            let fresh = queue.iter().position(|i| !s.known.contains(&i.id));
            s.index = match (fresh, &current) {
                (Some(f), _) => f,
                (None, Some(id)) => queue.iter().position(|i| i.id == *id).unwrap_or(0),
                (None, None) => 0,
            };
            for item in &queue {
                if !s.known.contains(&item.id) {
                    s.known.push(item.id.clone());
                }
            }
            let showing = queue.get(s.index).map(|i| i.id.clone());
            let changed = showing != current;
            s.queue = queue;
            (changed, fresh.is_some())
        };
        inner.show(showing);
        if fresh {
            inner.announce();
        }
        inner.rearm();
    }
}

impl Inner {
    /// Shows the current item; rebuilds the content only when the item changed.
    fn show(&self, item_changed: bool) {
        let s = self.state.borrow();
        let p = &self.parts;
        // An empty banner is hidden, not removed, so that a later item can take it again.
        el::set_hidden(&p.aside, s.queue.is_empty());
        let Some(item) = s.queue.get(s.index) else { return };
        if item_changed || !self.update_in_place(item) {
            el::clear(&p.content);
            let _ = self.fill(item);
        }
        let several = s.queue.len() > 1;
        for control in [&p.counter, &p.previous, &p.next] {
            el::set_hidden(control, !several);
        }
        el::set_hidden(&p.pause, !several || reduced_motion());
        if several {
            let mut text = String::new();
            crate::text::push_u64(&mut text, s.index as u64 + 1);
            text.push('/');
            crate::text::push_u64(&mut text, s.queue.len() as u64);
            el::set_text(&p.counter, &text);
        }
    }

    /// A new version of the same item: only its texts change.
    fn update_in_place(&self, item: &Item) -> bool {
        let title = self.parts.content.query_selector("[part~=title]").ok().flatten();
        let kicker = self.parts.content.query_selector("[part~=kicker]").ok().flatten();
        let wanted = i18n::kicker(self.locale.lang, item.urgency, item.kicker.as_deref());
        match (title, kicker, wanted) {
            (Some(t), Some(k), Some(w)) => {
                el::set_text(&t, &item.title);
                el::set_text(&k, w);
                true
            }
            (Some(t), None, None) => {
                el::set_text(&t, &item.title);
                true
            }
            _ => false,
        }
    }

    fn fill(&self, item: &Item) -> Result<(), Refused> {
        let doc = &self.doc;
        if let Some(k) = i18n::kicker(self.locale.lang, item.urgency, item.kicker.as_deref()) {
            let kicker = el::text(doc, "strong", "kicker", k)?;
            el::append(&self.parts.content, &kicker)?;
            el::append_text(doc, &self.parts.content, self.strings.kicker_separator)?;
        }
        // A button when a card on the page shows the item, else a link to it, else text.
        let title = if (self.find_card)(&item.id).is_some() {
            let b = el::text(doc, "button", "title", &item.title)?;
            el::attr(&b, "type", "button");
            let (find, id) = (Rc::clone(&self.find_card), item.id.clone());
            let open = Listener::new(&b, "click", move |_| {
                if let Some(card) = find(&id) {
                    card.reveal();
                }
            });
            *self.title_listener.borrow_mut() = Some(open);
            b
        } else if let Some(url) = item.url.as_deref().and_then(safe_http_url) {
            let a = el::text(doc, "a", "title", &item.title)?;
            el::attr(&a, "href", &url);
            a
        } else {
            el::text(doc, "span", "title", &item.title)?
        };
        el::append(&self.parts.content, &title)?;
        el::attr(&self.parts.aside, "data-item", &item.id);
        Ok(())
    }

    /// Tells screen readers about the item now showing: politely, or at once for a flash.
    fn announce(&self) {
        let s = self.state.borrow();
        let Some(item) = s.queue.get(s.index) else { return };
        let announce = self.parts.announce.clone();
        el::attr(&announce, "aria-live", if item.urgency <= 1 { "assertive" } else { "polite" });
        el::clear(&announce);
        let mut text = String::new();
        if let Some(k) = i18n::kicker(self.locale.lang, item.urgency, item.kicker.as_deref()) {
            text.push_str(k);
            text.push_str(self.strings.kicker_separator);
        }
        text.push_str(&item.title);
        timer::after(ANNOUNCE_DELAY_MS, move || el::set_text(&announce, &text));
    }

    fn dismiss(self: &Rc<Self>) {
        let id = {
            let mut s = self.state.borrow_mut();
            let Some(id) = s.queue.get(s.index).map(|i| i.id.clone()) else { return };
            let at = s.index;
            s.queue.remove(at);
            s.dismissed_here.push(id.clone());
            if s.index >= s.queue.len() {
                s.index = 0;
            }
            id
        };
        let mut list = dismissed();
        // If storage is unavailable the banner still closes, for this page only.
        storage::set(dismissals::STORAGE_KEY, &dismissals::add(&mut list, &id));
        self.show(true);
        self.rearm();
    }

    fn step(self: &Rc<Self>, by: isize) {
        {
            let mut s = self.state.borrow_mut();
            let n = s.queue.len() as isize;
            if n == 0 {
                return;
            }
            s.index = (s.index as isize + by).rem_euclid(n) as usize;
        }
        self.show(true);
        self.rearm();
    }

    fn toggle_pause(self: &Rc<Self>) {
        let paused = {
            let mut s = self.state.borrow_mut();
            s.paused = !s.paused;
            s.paused
        };
        el::attr(&self.parts.pause, "aria-pressed", if paused { "true" } else { "false" });
        el::set_text(&self.parts.pause, if paused { "▶" } else { "❚❚" });
        el::attr(&self.parts.pause, "aria-label", if paused { self.strings.resume_rotation } else { self.strings.pause_rotation });
        self.rearm();
    }

    fn hold(self: &Rc<Self>, change: impl FnOnce(&mut State)) {
        change(&mut self.state.borrow_mut());
        self.rearm();
    }

    /// (Re)starts the rotation timer when several items show and nothing holds it.
    fn rearm(self: &Rc<Self>) {
        let generation = {
            let mut s = self.state.borrow_mut();
            s.generation = s.generation.wrapping_add(1);
            let held = s.paused || s.hovered || s.focused || s.queue.len() < 2 || reduced_motion();
            if held {
                return;
            }
            s.generation
        };
        let weak = Rc::downgrade(self);
        timer::after(ROTATE_MS, move || {
            if let Some(inner) = weak.upgrade() {
                if inner.state.borrow().generation == generation {
                    inner.step(1);
                }
            }
        });
    }
}

/// Automatic rotation is off for readers who ask for less motion (WCAG 2.2.2).
fn reduced_motion() -> bool {
    el::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|m| m.matches())
}
