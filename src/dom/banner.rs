//! The urgent-news banner's nodes and listeners. What it shows, when it rotates and what it
//! announces is decided by [`crate::banner::Banner`]; this module only applies its effects.

use crate::banner::{self as model, Content, Effects, Event, Live, TitleKind};
use crate::dismissals;
use crate::dom::browser;
use crate::dom::build::Tree;
use crate::dom::card::Card;
use crate::dom::el::{self, Refused};
use crate::dom::listener::Listener;
use crate::dom::timer::{self, now, Timeout};
use crate::dom::track::Watch;
use crate::dom::storage;
use crate::feed::Item;
use crate::i18n::{self, Locale, Strings};
use crate::rfc3339::Millis;
use crate::url::safe_http_url;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use web_sys::{Document, Element, ShadowRoot};

/// How long the live region stays empty before a new item's text arrives: screen readers
/// announce changes to a live region, not a region that arrives already filled.
pub const ANNOUNCE_DELAY_MS: Millis = 50;

/// The item ids the reader has closed, from localStorage.
pub fn dismissed() -> Vec<String> {
    storage::get(dismissals::STORAGE_KEY).map(|s| dismissals::parse(&s)).unwrap_or_default()
}

/// What a banner asks of the page's mounts, which are not this module's (`dom::entry` gives
/// `dom::page`'s functions).
#[derive(Clone, Copy)]
pub struct Links {
    /// The card showing an item, if any: the banner's title then opens it.
    pub card_for: fn(&str) -> Option<Rc<Card>>,
    /// A viewability watch on the host that reports the item as viewed, if views are counted.
    pub watch: fn(&Element, &str) -> Option<Watch>,
}

/// A rendered banner.
pub struct Banner {
    inner: Rc<Inner>,
    _listeners: Vec<Listener>,
}

struct Inner {
    doc: Document,
    strings: &'static Strings,
    locale: Locale,
    /// The publisher's element, watched for views of the item showing.
    host: Element,
    links: Links,
    parts: Parts,
    // Never borrowed across a DOM call: removing the focused title fires `focusout`
    // synchronously, which sends the banner an event, and a borrow held then would panic.
    // `send` takes the effects out of the model and applies them after the borrow ends.
    model: RefCell<model::Banner>,
    /// The title button's click listener, replaced with the content.
    title: RefCell<Option<Listener>>,
    /// The view watch of the item showing.
    watch: RefCell<Option<Watch>>,
    /// The next rotation, replaced (so cancelled) by each new one and with the banner.
    rotation: Cell<Option<Timeout>>,
    /// The live region's text to come, replaced by a newer announcement.
    announcing: Cell<Option<Timeout>>,
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

impl Banner {
    /// Renders a banner for `queue` (most urgent first) into `host`'s shadow `root`.
    pub fn render(doc: &Document, host: &Element, root: &ShadowRoot, queue: Vec<Rc<Item>>, locale: &Locale, links: Links) -> Result<Banner, Refused> {
        let strings = locale.lang.strings();
        let mut t = Tree::default();
        t.open("aside", "banner")
            .attr("lang", &locale.tag)
            .attr("dir", locale.lang.dir())
            .attr("aria-label", strings.alert_region)
            .keep();
        t.open("div", "announce").attr("aria-atomic", "true").keep().close();
        t.open("div", "content").keep().close();
        t.open("span", "counter").keep().close();
        // Opens a control button; the caller closes it (the pause button takes one more
        // attribute first). One call each, not a loop over a table: 0.16 KB gzip less.
        let button = |t: &mut Tree, part: &str, text: &str, label: &str| {
            t.open("button", part).attr("type", "button").attr("aria-label", label).keep().text(text);
        };
        button(&mut t, "previous", "‹", strings.previous_alert);
        t.close();
        button(&mut t, "next", "›", strings.next_alert);
        t.close();
        button(&mut t, "pause", "❚❚", strings.pause_rotation);
        t.attr("aria-pressed", "false").close();
        button(&mut t, "close", "×", strings.close_alert);
        let mut kept = t.build(doc, root, None)?;
        let (aside, announce, content, counter) = (kept.take()?, kept.take()?, kept.take()?, kept.take()?);
        let (previous, next, pause, close) = (kept.take()?, kept.take()?, kept.take()?, kept.take()?);

        let inner = Rc::new(Inner {
            doc: doc.clone(),
            strings,
            locale: locale.clone(),
            host: host.clone(),
            links,
            parts: Parts { aside, announce, content, counter, previous, next, pause },
            model: RefCell::new(model::Banner::new(locale.lang, dismissed())),
            title: RefCell::new(None),
            watch: RefCell::new(None),
            rotation: Cell::new(None),
            announcing: Cell::new(None),
        });
        let on = |target: &web_sys::EventTarget, kind: &'static str, event: fn() -> Event| {
            let weak: Weak<Inner> = Rc::downgrade(&inner);
            Listener::new(target, kind, move |_| {
                if let Some(i) = weak.upgrade() {
                    i.send(event());
                }
            })
        };
        let p = &inner.parts;
        let listeners = vec![
            on(&close, "click", || Event::Dismiss),
            on(&p.previous, "click", || Event::Step(-1)),
            on(&p.next, "click", || Event::Step(1)),
            on(&p.pause, "click", || Event::TogglePause),
            on(&p.aside, "mouseenter", || Event::Hover(true)),
            on(&p.aside, "mouseleave", || Event::Hover(false)),
            on(&p.aside, "focusin", || Event::Focus(true)),
            on(&p.aside, "focusout", || Event::Focus(false)),
        ];
        inner.send(Event::Queue(queue));
        Ok(Banner { inner, _listeners: listeners })
    }

    /// The id of the item showing now.
    pub fn current(&self) -> Option<String> {
        self.inner.model.borrow().shown().map(|i| i.id.clone())
    }

    /// Takes a newer queue: a new item takes the banner and is announced once; the item
    /// showing stays if it is still there (drawn anew only if its words changed).
    pub fn update(&self, queue: Vec<Rc<Item>>) {
        self.inner.send(Event::Queue(queue));
    }

    /// The page became visible or hidden: the view clock of the item showing follows.
    pub fn page_visibility(&self, visible: bool) {
        if let Some(w) = self.inner.watch.borrow().as_ref() {
            w.page_visibility(visible);
        }
    }
}

impl Inner {
    /// Steps the model, then applies its effects with no borrow of it held.
    fn send(self: &Rc<Self>, event: Event) {
        let reduced = reduced_motion();
        let effects = self.model.borrow_mut().step(event, now(), reduced, |id| (self.links.card_for)(id).is_some());
        self.apply(effects);
    }

    fn apply(self: &Rc<Self>, e: Effects) {
        let p = &self.parts;
        el::set_hidden(&p.aside, e.hidden);
        match e.content {
            Content::Keep => {}
            Content::Clear | Content::Rebuild(..) => {
                // Taken out first: dropping the old listener and clearing the content are
                // DOM calls, and the slot must not be borrowed during them.
                let old = self.title.borrow_mut().take();
                drop(old);
                el::clear(&p.content);
                if let Content::Rebuild(item, kind) = e.content {
                    if let Ok(listener) = self.fill(&item, kind) {
                        *self.title.borrow_mut() = listener;
                    }
                }
            }
        }
        if let Some(item) = e.watch {
            let watch = item.as_deref().and_then(|id| (self.links.watch)(&self.host, id));
            let old = self.watch.replace(watch);
            drop(old);
        }
        for control in [&p.counter, &p.previous, &p.next] {
            el::set_hidden(control, e.counter.is_none());
        }
        if let Some((at, of)) = e.counter {
            let mut text = String::new();
            crate::text::push_u64(&mut text, at as u64);
            text.push('/');
            crate::text::push_u64(&mut text, of as u64);
            el::set_text(&p.counter, &text);
        }
        el::set_hidden(&p.pause, e.pause.is_none());
        if let Some(paused) = e.pause {
            el::attr(&p.pause, "aria-pressed", if paused { "true" } else { "false" });
            el::set_text(&p.pause, if paused { "▶" } else { "❚❚" });
            el::attr(&p.pause, "aria-label", if paused { self.strings.resume_rotation } else { self.strings.pause_rotation });
        }
        match e.live {
            Live::Keep => {}
            Live::Clear => el::clear(&p.announce),
            Live::Say { text, assertive } => self.announce(text, assertive),
        }
        if let Some(id) = e.dismissed {
            let mut list = dismissed();
            // If storage is unavailable the banner still closes, for this page only.
            storage::set(dismissals::STORAGE_KEY, &dismissals::add(&mut list, &id));
        }
        if let Some((ms, generation)) = e.rotate {
            let weak = Rc::downgrade(self);
            self.rotation.set(Some(timer::after(ms, move || {
                if let Some(inner) = weak.upgrade() {
                    inner.send(Event::Rotate(generation));
                }
            })));
        }
    }

    /// Builds the content for `item`: kicker, then the title as `kind` says.
    fn fill(&self, item: &Item, kind: TitleKind) -> Result<Option<Listener>, Refused> {
        let mut t = Tree::default();
        if let Some(k) = i18n::kicker(self.locale.lang, item.urgency, item.kicker.as_deref()) {
            t.open("strong", "kicker").text(k).close().text(self.strings.kicker_separator);
        }
        let url = item.url.as_deref().and_then(safe_http_url);
        let button = kind == TitleKind::Button;
        match (kind, &url) {
            (TitleKind::Button, _) => t.open("button", "title").attr("type", "button"),
            (TitleKind::Link, Some(url)) => t.open("a", "title").attr("href", url),
            _ => t.open("span", "title"),
        };
        // Feed text in its language's direction (an Arabic title under a French interface).
        t.attr("dir", i18n::text_dir(item.language.as_deref())).keep().text(&item.title).close();
        let title = t.build(&self.doc, &self.parts.content, None)?.take()?;
        el::attr(&self.parts.aside, "data-item", &item.id);
        if !button {
            return Ok(None);
        }
        let (id, card_for) = (item.id.clone(), self.links.card_for);
        Ok(Some(Listener::new(&title, "click", move |_| {
            if let Some(card) = card_for(&id) {
                card.reveal();
            }
        })))
    }

    /// Empties the live region, then fills it a moment later if the model still says `text`
    /// then (a withdrawal in between leaves it empty).
    fn announce(self: &Rc<Self>, text: String, assertive: bool) {
        let region = &self.parts.announce;
        el::attr(region, "aria-live", if assertive { "assertive" } else { "polite" });
        el::clear(region);
        let weak = Rc::downgrade(self);
        self.announcing.set(Some(timer::after(ANNOUNCE_DELAY_MS, move || {
            let Some(inner) = weak.upgrade() else { return };
            let current = inner.model.borrow().live().as_deref() == Some(text.as_str());
            if current {
                el::set_text(&inner.parts.announce, &text);
            }
        })));
    }
}

/// Automatic rotation is off for readers who ask for less motion (WCAG 2.2.2).
fn reduced_motion() -> bool {
    browser::matches_media("(prefers-reduced-motion: reduce)") == Ok(true)
}
