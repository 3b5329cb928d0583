//! The urgent banner's decisions, as a state machine: which item shows (and so is watched for
//! a view), when the rotation moves on, what the live region says, and what the DOM must
//! change for it. `dom::banner` feeds it the reader's and the feed's events with the time and
//! applies the [`Effects`] it returns; nothing here touches the browser.

use crate::feed::Item;
use crate::i18n::{self, Lang};
use crate::rfc3339::Millis;
use crate::url::safe_http_url;
use crate::view::is_current;
use std::rc::Rc;

/// How long each item shows when several rotate.
pub const ROTATE_MS: Millis = 8000;

/// Something that happened to the banner.
#[derive(Debug, Clone)]
pub enum Event {
    /// A newer queue (most urgent first): a refresh, a live update or an expiry.
    Queue(Vec<Rc<Item>>),
    /// The previous (-1) or next (+1) button.
    Step(isize),
    /// The rotation timer armed with this generation fired.
    Rotate(u32),
    /// The reader closed the item showing.
    Dismiss,
    /// The pause button.
    TogglePause,
    /// The pointer entered (true) or left the banner.
    Hover(bool),
    /// Keyboard focus entered (true) or left the banner.
    Focus(bool),
}

/// How the title is drawn: a button that opens a card of the page showing the item, else a
/// link to the story, else plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleKind {
    /// Opens the card on this page.
    Button,
    /// Links to the item's `url`.
    Link,
    /// Neither is possible.
    Text,
}

/// What the content part must do.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Content {
    /// Nothing changed.
    #[default]
    Keep,
    /// Build the content anew for this item.
    Rebuild(Rc<Item>, TitleKind),
    /// Empty it: no item shows, and none of a withdrawn item's text may stay behind.
    Clear,
}

/// What the live region must do.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Live {
    /// As it is.
    #[default]
    Keep,
    /// Empty it: what it said is no longer in the banner.
    Clear,
    /// Empty it now and say this a moment later (screen readers announce a change, not a
    /// region that arrives filled), if it is still what [`Banner::live`] says then.
    Say {
        /// The kicker and title.
        text: String,
        /// A flash interrupts the reader; other news waits for a pause.
        assertive: bool,
    },
}

/// What the DOM must do after an event. Everything not named here stays as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// The banner is empty and hidden (it stays on the page for a later item).
    pub hidden: bool,
    /// The item's content.
    pub content: Content,
    /// Watch this item for a view instead (`Some(None)`: watch nothing).
    pub watch: Option<Option<String>>,
    /// Position and count, when several items rotate.
    pub counter: Option<(usize, usize)>,
    /// The pause button shows (several items, motion allowed), and is pressed.
    pub pause: Option<bool>,
    /// The live region.
    pub live: Live,
    /// Remember that the reader closed this item.
    pub dismissed: Option<String>,
    /// Send `Event::Rotate(generation)` after this long.
    pub rotate: Option<(Millis, u32)>,
}

/// What the DOM shows now, as far as the decisions above go.
#[derive(Debug, Clone, Default, PartialEq)]
struct Drawn {
    item: Option<Rc<Item>>,
    title: Option<TitleKind>,
    live: Option<String>,
}

/// One banner's state.
#[derive(Debug, Clone)]
pub struct Banner {
    lang: Lang,
    queue: Vec<Rc<Item>>,
    index: usize,
    /// Every id ever queued: an item not in it is news, announced once.
    known: Vec<String>,
    /// Closed by the reader, here or (from storage) before.
    dismissed: Vec<String>,
    paused: bool,
    hovered: bool,
    focused: bool,
    reduced_motion: bool,
    /// The item the live region announced (its latest version), while it is in the queue.
    live: Option<Rc<Item>>,
    generation: u32,
    drawn: Drawn,
}

impl Banner {
    /// An empty banner speaking `lang`; `dismissed` are the ids the reader closed before.
    pub fn new(lang: Lang, dismissed: Vec<String>) -> Banner {
        Banner {
            lang,
            queue: Vec::new(),
            index: 0,
            known: Vec::new(),
            dismissed,
            paused: false,
            hovered: false,
            focused: false,
            reduced_motion: false,
            live: None,
            generation: 0,
            drawn: Drawn::default(),
        }
    }

    /// The item showing now, if any.
    pub fn shown(&self) -> Option<&Rc<Item>> {
        self.queue.get(self.index)
    }

    /// The items that may show, in order.
    pub fn queue(&self) -> &[Rc<Item>] {
        &self.queue
    }

    /// What the live region says now.
    pub fn live(&self) -> Option<String> {
        self.live.as_ref().map(|i| live_text(self.lang, i))
    }

    /// Whether the rotation is held (paused, hovered, focused, reduced motion, or one item).
    pub fn held(&self) -> bool {
        self.paused || self.hovered || self.focused || self.reduced_motion || self.queue.len() < 2
    }

    /// Takes `event` at `now`, when the reader asks for `reduced_motion` or not (read with
    /// each event, as a preference can change); `has_card` tells whether a card of the page
    /// shows an item.
    pub fn step(&mut self, event: Event, now: Millis, reduced_motion: bool, has_card: impl Fn(&str) -> bool) -> Effects {
        let mut effects = Effects::default();
        self.reduced_motion = reduced_motion;
        let mut rearm = true;
        match event {
            Event::Queue(queue) => self.take(queue),
            Event::Step(by) => self.move_by(by),
            Event::Rotate(generation) => {
                if generation != self.generation || self.held() {
                    // A stale timer: a newer one is armed, or none should be.
                    rearm = false;
                } else {
                    self.move_by(1);
                }
            }
            Event::Dismiss => {
                if let Some(item) = self.shown() {
                    let id = item.id.clone();
                    self.dismissed.push(id.clone());
                    effects.dismissed = Some(id);
                }
            }
            Event::TogglePause => self.paused = !self.paused,
            Event::Hover(on) => self.hovered = on,
            Event::Focus(on) => self.focused = on,
        }
        self.prune(now);
        self.draw(&mut effects, has_card);
        if rearm {
            self.generation = self.generation.wrapping_add(1);
            if !self.held() {
                effects.rotate = Some((ROTATE_MS, self.generation));
            }
        }
        effects
    }

    /// A newer queue: the first item never seen takes the banner and is announced; else the
    /// item showing stays if it is still there.
    fn take(&mut self, queue: Vec<Rc<Item>>) {
        let current = self.shown().map(|i| i.id.clone());
        self.queue = queue;
        // Closed items are pruned after every event; they are never news.
        let fresh = self.queue.iter().position(|i| !self.known.contains(&i.id) && !self.dismissed.contains(&i.id));
        self.index = match (fresh, current) {
            (Some(f), _) => f,
            (None, Some(id)) => self.queue.iter().position(|i| i.id == id).unwrap_or(0),
            (None, None) => 0,
        };
        for item in &self.queue {
            if !self.known.contains(&item.id) {
                self.known.push(item.id.clone());
            }
        }
        if let Some(f) = fresh.and_then(|f| self.queue.get(f)) {
            self.live = Some(Rc::clone(f));
        }
    }

    fn move_by(&mut self, by: isize) {
        let n = self.queue.len() as isize;
        if n > 0 {
            self.index = (self.index as isize + by).rem_euclid(n) as usize;
        }
    }

    /// Drops what may no longer show (closed, expired), keeping the item that showed if it
    /// is still there; the live region follows the item it announced, or empties.
    fn prune(&mut self, now: Millis) {
        let shown = self.shown().map(|i| i.id.clone());
        let dismissed = &self.dismissed;
        self.queue.retain(|i| is_current(i, now) && !dismissed.contains(&i.id));
        // The item showing stays; one that is gone (closed, expired) gives its place to the
        // next one.
        if let Some(at) = shown.and_then(|id| self.queue.iter().position(|i| i.id == id)) {
            self.index = at;
        }
        if self.index >= self.queue.len() {
            self.index = 0;
        }
        // A correction of the announced item is what the region says next.
        self.live = self.live.take().and_then(|old| self.queue.iter().find(|i| i.id == old.id).cloned());
    }

    /// What the DOM must change to show the state, given what it shows now.
    fn draw(&mut self, effects: &mut Effects, has_card: impl Fn(&str) -> bool) {
        let item = self.shown().cloned();
        effects.hidden = item.is_none();
        let several = self.queue.len() > 1;
        effects.counter = several.then_some((self.index + 1, self.queue.len()));
        effects.pause = (several && !self.reduced_motion).then_some(self.paused);
        let same_item = match (&item, &self.drawn.item) {
            (Some(a), Some(b)) => a.id == b.id,
            (a, b) => a.is_none() && b.is_none(),
        };
        if !same_item {
            effects.watch = Some(item.as_ref().map(|i| i.id.clone()));
        }
        match &item {
            Some(now) => {
                let title = title_kind(now, has_card(&now.id));
                let lang = self.lang;
                // A new version with the same words (a new count, say) changes nothing on
                // screen; a corrected title or kicker is drawn anew.
                let same = same_item
                    && Some(title) == self.drawn.title
                    && self.drawn.item.as_ref().is_some_and(|b| {
                        b.title == now.title
                            && i18n::kicker(lang, b.urgency, b.kicker.as_deref()) == i18n::kicker(lang, now.urgency, now.kicker.as_deref())
                    });
                if !same {
                    effects.content = Content::Rebuild(Rc::clone(now), title);
                }
                self.drawn.title = Some(title);
            }
            None => {
                if self.drawn.item.is_some() {
                    effects.content = Content::Clear;
                }
                self.drawn.title = None;
            }
        }
        self.drawn.item = item;
        let live = self.live();
        if live != self.drawn.live {
            effects.live = match (&self.live, &live) {
                (Some(item), Some(text)) => Live::Say { text: text.clone(), assertive: item.urgency <= 1 },
                _ => Live::Clear,
            };
            self.drawn.live = live;
        }
    }
}

/// How the banner's title is drawn for `item`.
pub fn title_kind(item: &Item, has_card: bool) -> TitleKind {
    if has_card {
        TitleKind::Button
    } else if item.url.as_deref().and_then(safe_http_url).is_some() {
        TitleKind::Link
    } else {
        TitleKind::Text
    }
}

/// What the live region says for `item`: its kicker, then its title.
pub fn live_text(lang: Lang, item: &Item) -> String {
    let mut text = String::new();
    if let Some(k) = i18n::kicker(lang, item.urgency, item.kicker.as_deref()) {
        text.push_str(k);
        text.push_str(lang.strings().kicker_separator);
    }
    text.push_str(&item.title);
    text
}

// Natively only: proptest is not a wasm dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(id: &str, urgency: u8) -> Rc<Item> {
        Rc::new(Item { id: id.into(), title: format!("Titre {id}"), urgency, ..Item::default() })
    }

    fn no_card(_: &str) -> bool {
        false
    }

    fn shown(b: &Banner) -> Option<&str> {
        b.shown().map(|i| i.id.as_str())
    }

    #[test]
    fn a_new_item_takes_the_banner_is_announced_once_and_watched() {
        let mut b = Banner::new(Lang::of("fr"), vec![]);
        let e = b.step(Event::Queue(vec![item("a", 1)]), 0, false, no_card);
        assert_eq!(shown(&b), Some("a"));
        assert_eq!(e.watch, Some(Some("a".into())));
        assert_eq!(e.live, Live::Say { text: "URGENT : Titre a".into(), assertive: true });
        assert!(matches!(e.content, Content::Rebuild(_, TitleKind::Text)));
        assert_eq!(e.rotate, None, "one item does not rotate");
        // The same queue again: nothing to redo, nothing announced again.
        let same = b.queue().to_vec();
        let e = b.step(Event::Queue(same), 10, false, no_card);
        assert_eq!((e.content, e.live, e.watch), (Content::Keep, Live::Keep, None));
        // A second, less urgent item is news: it shows and is announced politely.
        let e = b.step(Event::Queue(vec![item("a", 1), item("b", 2)]), 20, false, no_card);
        assert_eq!(shown(&b), Some("b"));
        assert_eq!(e.live, Live::Say { text: "ALERTE : Titre b".into(), assertive: false });
        assert_eq!(e.counter, Some((2, 2)));
        assert_eq!(e.pause, Some(false));
        assert!(e.rotate.is_some());
    }

    #[test]
    fn rotation_moves_on_only_with_the_current_timer_and_when_nothing_holds_it() {
        let mut b = Banner::new(Lang::of("en"), vec![]);
        let e = b.step(Event::Queue(vec![item("a", 1), item("b", 2)]), 0, false, no_card);
        let (_, first) = e.rotate.unwrap();
        let e = b.step(Event::Hover(true), 100, false, no_card);
        assert_eq!(e.rotate, None, "hover holds the rotation");
        assert!(b.step(Event::Rotate(first), 8000, false, no_card).watch.is_none(), "a stale timer does nothing");
        assert_eq!(shown(&b), Some("a"));
        let e = b.step(Event::Hover(false), 9000, false, no_card);
        let (ms, g) = e.rotate.unwrap();
        assert_eq!(ms, ROTATE_MS);
        b.step(Event::Focus(true), 9100, false, no_card);
        b.step(Event::Rotate(g), 17_000, false, no_card);
        assert_eq!(shown(&b), Some("a"), "focus holds it too");
        let g = b.step(Event::Focus(false), 17_100, false, no_card).rotate.unwrap().1;
        let e = b.step(Event::Rotate(g), 25_100, false, no_card);
        assert_eq!(shown(&b), Some("b"));
        assert_eq!(e.watch, Some(Some("b".into())), "the rotated item is the one watched");
        let e = b.step(Event::Hover(false), 25_200, true, no_card);
        assert_eq!((e.rotate, e.pause), (None, None), "no rotation and no pause button under reduced motion");
        let e = b.step(Event::Hover(false), 25_300, false, no_card);
        let e2 = b.step(Event::TogglePause, 25_400, false, no_card);
        assert!(e.rotate.is_some());
        assert_eq!((e2.rotate, e2.pause), (None, Some(true)));
    }

    #[test]
    fn dismissing_shows_the_next_item_watches_it_and_forgets_what_was_said() {
        let mut b = Banner::new(Lang::of("fr"), vec![]);
        b.step(Event::Queue(vec![item("a", 1), item("b", 2)]), 0, false, no_card);
        assert_eq!(b.live().as_deref(), Some("URGENT : Titre a"));
        let e = b.step(Event::Dismiss, 500, false, no_card);
        assert_eq!(e.dismissed.as_deref(), Some("a"));
        assert_eq!(shown(&b), Some("b"));
        assert_eq!(e.watch, Some(Some("b".into())), "the dismissed item is no longer watched");
        assert_eq!(e.live, Live::Clear);
        assert_eq!(b.live(), None);
        // It never comes back, even when the feed still has it.
        b.step(Event::Queue(vec![item("a", 1), item("b", 2)]), 1000, false, no_card);
        assert_eq!(b.queue().len(), 1);
        let e = b.step(Event::Dismiss, 1500, false, no_card);
        assert!(e.hidden);
        assert_eq!(e.watch, Some(None));
    }

    #[test]
    fn a_withdrawn_or_expired_item_leaves_the_live_region() {
        let mut b = Banner::new(Lang::of("fr"), vec![]);
        b.step(Event::Queue(vec![item("a", 1)]), 0, false, no_card);
        let e = b.step(Event::Queue(vec![]), 100, false, no_card);
        assert_eq!((e.live, e.hidden, e.watch, e.content), (Live::Clear, true, Some(None), Content::Clear));
        let expiring = Rc::new(Item { expires: Some(1000), ..(*item("x", 1)).clone() });
        b.step(Event::Queue(vec![expiring]), 200, false, no_card);
        assert_eq!(b.live().as_deref(), Some("URGENT : Titre x"));
        let e = b.step(Event::Hover(true), 1000, false, no_card);
        assert_eq!((e.live, e.hidden), (Live::Clear, true), "expired at 1000, whatever the event");
    }

    #[test]
    fn a_corrected_title_is_drawn_and_said_again() {
        let mut b = Banner::new(Lang::of("en"), vec![]);
        b.step(Event::Queue(vec![item("a", 1)]), 0, false, no_card);
        let fixed = Rc::new(Item { title: "Fixed".into(), ..(*item("a", 1)).clone() });
        let e = b.step(Event::Queue(vec![fixed]), 10, false, no_card);
        assert!(matches!(e.content, Content::Rebuild(ref i, _) if i.title == "Fixed"));
        assert_eq!(e.live, Live::Say { text: "URGENT: Fixed".into(), assertive: true });
        assert_eq!(e.watch, None);
    }

    #[test]
    fn the_title_becomes_a_button_once_a_card_shows_the_item() {
        let mut b = Banner::new(Lang::of("fr"), vec![]);
        b.step(Event::Queue(vec![item("a", 1)]), 0, false, no_card);
        let same = b.queue().to_vec();
        let e = b.step(Event::Queue(same), 10, true, |id| id == "a");
        assert!(matches!(e.content, Content::Rebuild(_, TitleKind::Button)));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Feed(Vec<(u8, u8, Option<u16>, bool)>),
        Step(bool),
        Rotate(bool),
        Dismiss,
        TogglePause,
        Hover(bool),
        Focus(bool),
        Motion(bool),
        Wait(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        let entry = (0u8..6, 1u8..4, proptest::option::of(0u16..20_000), any::<bool>());
        prop_oneof![
            proptest::collection::vec(entry, 0..5).prop_map(Op::Feed),
            any::<bool>().prop_map(Op::Step),
            any::<bool>().prop_map(Op::Rotate),
            Just(Op::Dismiss),
            Just(Op::TogglePause),
            any::<bool>().prop_map(Op::Hover),
            any::<bool>().prop_map(Op::Focus),
            any::<bool>().prop_map(Op::Motion),
            (0u16..10_000).prop_map(Op::Wait),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_sequence_keeps_the_invariants(ops in proptest::collection::vec(op(), 1..60)) {
            let mut b = Banner::new(Lang::of("fr"), vec![]);
            let mut now: Millis = 0;
            // What the DOM would show, watch and say, kept only from the effects.
            let mut watched: Option<String> = None;
            let mut live: Option<String> = None;
            let mut content: Option<String> = None;
            let mut timer: Option<u32> = None;
            let mut reduced = false;
            let mut gone: Vec<String> = Vec::new();
            for op in ops {
                let event = match op {
                    Op::Feed(entries) => {
                        let mut queue: Vec<Rc<Item>> = Vec::new();
                        for (id, urgency, expires, withdrawn) in entries {
                            let id = format!("i{id}");
                            if withdrawn {
                                // A withdrawn item leaves the queue (view::banner_queue drops it).
                                gone.push(id);
                                continue;
                            }
                            if queue.iter().any(|i| i.id == id) {
                                continue;
                            }
                            let expires = expires.map(|e| now + Millis::from(e));
                            queue.push(Rc::new(Item { id: id.clone(), title: format!("T{id}"), urgency, expires, ..Item::default() }));
                        }
                        // Withdrawn ids stay out of every later queue.
                        queue.retain(|i| !gone.contains(&i.id));
                        Event::Queue(queue)
                    }
                    Op::Step(forward) => Event::Step(if forward { 1 } else { -1 }),
                    Op::Rotate(current) => match (current, timer) {
                        (true, Some(g)) => Event::Rotate(g),
                        _ => Event::Rotate(b.generation.wrapping_sub(1)),
                    },
                    Op::Dismiss => Event::Dismiss,
                    Op::TogglePause => Event::TogglePause,
                    Op::Hover(on) => Event::Hover(on),
                    Op::Focus(on) => Event::Focus(on),
                    Op::Motion(on) => {
                        reduced = on;
                        Event::Hover(false)
                    }
                    Op::Wait(ms) => {
                        now += Millis::from(ms);
                        Event::Hover(false)
                    }
                };
                let e = b.step(event, now, reduced, |id| id.ends_with('1'));
                if let Some(w) = e.watch { watched = w; }
                match &e.content {
                    Content::Keep => {}
                    Content::Rebuild(i, _) => content = Some(i.id.clone()),
                    Content::Clear => content = None,
                }
                match e.live { Live::Keep => {}, Live::Clear => live = None, Live::Say { text, .. } => live = Some(text) }
                if let Some((ms, g)) = e.rotate { prop_assert_eq!(ms, ROTATE_MS); timer = Some(g); }
                if let Some(id) = e.dismissed { gone.push(id); }

                let shown = b.shown().map(|i| i.id.clone());
                prop_assert_eq!(&watched, &shown, "the watched item is the item shown");
                prop_assert_eq!(&content, &shown, "the content is the item shown, or empty");
                prop_assert_eq!(e.hidden, shown.is_none());
                prop_assert_eq!(&live, &b.live(), "the live region says what the model says");
                for item in b.queue() {
                    prop_assert!(is_current(item, now), "expired item {} queued", item.id);
                    prop_assert!(!b.dismissed.contains(&item.id));
                }
                for id in &gone {
                    prop_assert!(b.queue().iter().all(|i| &i.id != id), "{} is still queued", id);
                    prop_assert!(live.as_deref().is_none_or(|l| !l.ends_with(&format!("T{id}"))), "{} still said", id);
                }
                if let Some(text) = &live {
                    prop_assert!(b.queue().iter().any(|i| text.ends_with(&i.title)), "live region says an item not queued");
                }
                prop_assert_eq!(e.rotate.is_some() && !b.held(), e.rotate.is_some());
            }
        }
    }
}
