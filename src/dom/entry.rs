//! The wasm entry point: settings in; rendered, refreshed mounts out; errors to the console.
//! It owns the wiring: the refresh loop's model ([`Loop`]) is stepped here, and the page's,
//! the stream's and the banners' callbacks into the rest are given from here, so that no
//! module of `dom` imports one that imports it back.

use crate::beacon::Event;
use crate::dom::banner::{self, Banner};
use crate::dom::card;
use crate::dom::fetch::{self, Failure, Fetched, Limits};
use crate::dom::intl::{self, Formatters};
use crate::dom::live;
use crate::dom::mount::{self, Kind, Mount};
use crate::dom::page::{self, Counting, Mounted};
use crate::dom::timer::{self, now, Timeout};
use crate::dom::track::page_visible;
use crate::dom::{el, json, report, storage};
use crate::error::Error;
use crate::feed::{self, Feed, Item};
use crate::feed_cache;
use crate::i18n::{self, Locale};
use crate::reconcile;
use crate::refresh::{self, Loop, Outcome, Policy, Timer};
use crate::rfc3339::Millis;
use crate::settings::{self, Settings};
use crate::view;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// What a banner asks of the page's mounts.
const LINKS: banner::Links = banner::Links { card_for: page::card_for, watch: page::watch };

/// A locale tag and a time zone: what a set of formatters is built for.
type FormattersKey = (String, Option<String>);

thread_local! {
    /// What is shown now, to show again when an item expires between refreshes.
    static SHOWN: Cell<Option<(Settings, Feed)>> = const { Cell::new(None) };
    /// The timer that shows the feed again when its next item expires; each show replaces
    /// (cancels) the last one's.
    static EXPIRY: Cell<Option<Timeout>> = const { Cell::new(None) };
    /// The refresh loop's model, from `start` on.
    static LOOP: Cell<Loop> = const { Cell::new(Loop::IDLE) };
    /// What the feed requests need, between two fetches (a fetch in flight holds it).
    static FETCHER: Cell<Option<Refresh>> = const { Cell::new(None) };
    /// The refresh loop's wait.
    static WAIT: Cell<Option<Timeout>> = const { Cell::new(None) };
    /// The formatters built last, with their locale tag and time zone.
    static FORMATTERS: Cell<Option<(FormattersKey, Rc<Formatters>)>> = const { Cell::new(None) };
}

/// Steps the refresh loop with `event` (idle before `start`), then does what it says.
fn step(event: refresh::Event) {
    // Stepped in a short borrow: what follows may step it again (a fetch failing at once).
    let fx = LOOP.with(|l| {
        let mut model = l.get();
        let fx = model.step(event);
        l.set(model);
        fx
    });
    match fx.timer {
        Timer::Keep => {}
        Timer::Start(ms) => WAIT.with(|w| w.set(Some(timer::after(ms, || step(refresh::Event::Timer))))),
        Timer::Cancel => drop(WAIT.with(Cell::take)),
    }
    if fx.recount {
        // Not cancelled: each counted view's recount is due, though a fetch on its way makes
        // it a no-op.
        timer::after(refresh::RECOUNT_DELAY_MS, || step(refresh::Event::Wake { again: false })).forget();
    }
    if fx.fetch {
        if let Some(r) = FETCHER.with(Cell::take) {
            r.fetch(fx.revalidate);
        }
    }
}

/// Refreshes the feed now rather than at the next interval, if the loop is waiting for the
/// next one: on a live event, and when the page is seen again. If it is not (a fetch in
/// flight, or a backoff), `again` refreshes once it is done, since what is being fetched may
/// predate what was asked. The same conditional request as any refresh: none of it redone
/// when nothing changed.
pub fn refresh(again: bool) {
    step(refresh::Event::Wake { again });
}

/// A view was counted: the feed is refreshed a moment later, to show the new count.
fn viewed() {
    step(refresh::Event::Viewed);
}

/// The page was hidden or shown: the refresh loop and the live stream follow.
fn visibility(visible: bool) {
    // The loop first: a fetch it starts serves the stream's wish to fetch, if any.
    step(refresh::Event::Visible(visible));
    live::page_visibility(visible);
}

/// Starts the widget for the loader's `<script>` element (or the element carrying the first
/// mount's settings), with the feed request the loader started while the wasm loaded, if
/// any. Never throws: every failure is one console message (and a `depeche:error` event),
/// and the page is left as it was.
#[wasm_bindgen]
pub fn start(script: Element, early: Option<js_sys::Promise>, abort: Option<web_sys::AbortController>) {
    match settings::read(|name| script.get_attribute(name)) {
        Ok((settings, warnings)) => {
            warnings.iter().for_each(report);
            page::listen(visibility);
            // A counted view or a live event can wake a loop that never refreshes by itself.
            let policy = Policy::new(settings.refresh_seconds, settings.beacon.is_some() || settings.events.is_some());
            LOOP.with(|l| l.set(Loop::new(policy, page_visible())));
            let mut first = Refresh::new(settings);
            first.early = early.map(|sent| (sent, abort));
            first.fetch(false);
        }
        Err(e) => page::error(&e),
    }
}

/// The feed requests of the refresh loop: conditional, and read only when their text
/// changed. Until a feed arrives the last good copy is shown ([`Loop`] says when).
struct Refresh {
    settings: Settings,
    etag: Option<String>,
    /// The last feed text read, so that the same text is not read twice (compared in JS).
    last: js_sys::JsString,
    /// The loader's request, for the first fetch.
    early: Option<fetch::Early>,
    /// The event stream's URL until the stream is started, once the first fetch has ended.
    events: Option<String>,
}

impl Refresh {
    fn new(settings: Settings) -> Refresh {
        let events = settings.events.clone();
        Refresh { settings, etag: None, last: js_sys::JsString::from(""), early: None, events }
    }

    /// Fetches the feed (`revalidate`: past the HTTP cache).
    fn fetch(mut self, revalidate: bool) {
        let url = self.settings.feed.clone();
        let etag = self.etag.clone();
        let early = self.early.take();
        fetch::feed(url, revalidate, Limits::of(&self.settings), etag.as_deref(), early, move |r| self.fetched(r));
    }

    /// Shows what came, then tells the loop how the fetch ended.
    fn fetched(mut self, result: Result<fetch::Reply, Failure>) {
        let mut stale = false;
        let result = result.map(|(fetched, version)| {
            stale = version.is_some_and(live::fetched);
            fetched
        });
        // Once the page has a feed and knows its version: the stream's first event (the
        // version now) then fetches only if something was published since.
        if let Some(url) = self.events.take() {
            live::start(url, refresh);
        }
        let outcome = match self.receive(result) {
            Ok(None) => Outcome::Read,
            Ok(Some(f)) => {
                page::error(&f.error);
                Outcome::Failed { transient: f.error.is_transient(), retry_after: f.retry_after }
            }
            Err(e) => return page::error(&e),
        };
        if LOOP.with(|l| l.get().wants_stored_copy(outcome)) && show_last_good_copy(&self.settings) {
            step(refresh::Event::Shown);
        }
        FETCHER.with(|f| f.set(Some(self)));
        // Older than the stream announced: once more, after this fetch.
        if stale {
            refresh(true);
        }
        step(refresh::Event::Fetched(outcome, js_sys::Math::random()));
    }

    /// Shows a new feed; the failure to retry, if any. An error ends the loop.
    fn receive(&mut self, result: Result<Fetched, Failure>) -> Result<Option<Failure>, Error> {
        let (text, etag) = match result {
            Ok(Fetched::NotModified) => return Ok(None),
            Ok(Fetched::Body { text, etag }) => (text, etag),
            Err(f) => return Ok(Some(f)),
        };
        self.etag = etag;
        if text == self.last {
            return Ok(None);
        }
        match read_feed(&self.settings.feed, &text) {
            Ok(feed) => {
                if let Some(feed) = feed {
                    let shown = LOOP.with(|l| l.get().shown());
                    show_checked(&self.settings, feed, shown)?;
                    // Kept as the last good copy once it has been read (its signatures are
                    // checked again whenever it is read back).
                    remember(&self.settings.feed, &text);
                    step(refresh::Event::Shown);
                }
                self.last = text;
                Ok(None)
            }
            Err(e) => Ok(Some(Failure::from(e))),
        }
    }
}

/// Parses and validates feed text; skipped items are reported, a useless feed is an error.
/// `None` when the feed had items but none was valid (each already said why).
fn read_feed(url: &str, text: &js_sys::JsString) -> Result<Option<Feed>, Error> {
    let value = json::parse_text(text).ok_or_else(|| Error::NotJson { url: url.to_owned() })?;
    let parsed = feed::parse(value)?;
    let all_skipped = parsed.feed.items.is_empty() && !parsed.skipped.is_empty();
    parsed.skipped.into_iter().for_each(|e| page::error(&Error::Feed(e)));
    Ok((!all_skipped).then_some(parsed.feed))
}

/// Keeps the feed as the last good copy (if it fits; storage may refuse, harmlessly), as the
/// JS string it came as.
fn remember(url: &str, text: &js_sys::JsString) {
    if let Some(head) = feed_cache::prefix(url, text.length() as usize) {
        storage::set_js(feed_cache::STORAGE_KEY, &head, text);
    }
}

/// Renders the last good copy of the feed, if there is one; returns whether it did.
fn show_last_good_copy(settings: &Settings) -> bool {
    let Some(stored) = storage::get(feed_cache::STORAGE_KEY) else { return false };
    let Some(text) = feed_cache::decode(&stored, &settings.feed) else { return false };
    match read_feed(&settings.feed, &js_sys::JsString::from(text)) {
        Ok(Some(feed)) => show_checked(settings, feed, false).is_ok(),
        _ => false,
    }
}

/// Shows `feed` as `show` does, once the signatures `data-key` asks for are checked: then
/// only the items they vouch for, and errors go to the console.
fn show_checked(settings: &Settings, feed: Feed, again: bool) -> Result<(), Error> {
    let Some(keys) = &settings.keys else { return show(settings, feed, again) };
    let settings_then = settings.clone();
    crate::dom::verify::verified(feed, keys, move |feed| {
        if let Err(e) = show(&settings_then, feed, again) {
            page::error(&e);
        }
    });
    Ok(())
}

/// Shows `feed`: a first render, or an update of what is shown.
fn show(settings: &Settings, feed: Feed, again: bool) -> Result<(), Error> {
    if again {
        update(settings, &feed, now())?;
    } else {
        render(settings, &feed, now())?;
    }
    schedule_expiry(settings.clone(), feed);
    Ok(())
}

/// Shows the feed again when its next item expires, even with no refresh.
fn schedule_expiry(settings: Settings, feed: Feed) {
    let wait = view::reshow_in(&feed, now());
    SHOWN.with(|s| s.set(Some((settings, feed))));
    let timeout = wait.map(|ms| {
        timer::after(ms, || {
            if let Some((settings, feed)) = SHOWN.with(Cell::take) {
                if let Err(e) = update(&settings, &feed, now()) {
                    page::error(&e);
                }
                schedule_expiry(settings, feed);
            }
        })
    });
    // A show without an expiry to come cancels the last show's.
    EXPIRY.with(|e| e.set(timeout));
}

/// Renders the mounts added to the page since the last render (or changed), at once, from the
/// feed shown: a single-page app's new mount does not wait for the next refresh.
pub fn render_added() {
    let Ok(doc) = el::document() else { return };
    if page::new_mounts(&doc).0.is_empty() {
        return;
    }
    if let Some((settings, feed)) = SHOWN.with(Cell::take) {
        if let Err(e) = update(&settings, &feed, now()) {
            page::error(&e);
        }
        SHOWN.with(|s| s.set(Some((settings, feed))));
    }
}

/// Refreshes the feed now, for the loader's `refresh()`: the same conditional request as any
/// refresh, done once a fetch in flight ends.
#[wasm_bindgen(js_name = refresh)]
pub fn refresh_now() {
    refresh(true);
}

/// Renders every unrendered mount of the page from `feed` as of `now`, and keeps what they
/// need to stay interactive (and counted) until they leave the page. A mount that fails is
/// reported and kept, empty, to be filled by a later update.
pub fn render(settings: &Settings, feed: &Feed, now: Millis) -> Result<(), Error> {
    page::listen(visibility);
    if let Some(beacon) = settings.beacon.clone() {
        page::start_counting(Counting { beacon, feed: settings.feed.clone(), viewed });
    }
    page::watch_mounts(render_added);
    let ctx = Context::new(settings)?;
    let (mounts, errors) = page::new_mounts(&ctx.doc);
    errors.iter().for_each(report);
    let mut mounted = Vec::new();
    for m in mounts.iter().filter(|m| m.kind == Kind::Card) {
        mounted.push(ctx.new_card(m, feed, now));
    }
    // Cards first, so that a banner's title can open a card of the page.
    page::adopt(mounted);
    let queue = ctx.banner_queue(feed, now);
    let mut mounted = Vec::new();
    for m in mounts.iter().filter(|m| m.kind == Kind::Banner) {
        mounted.push(ctx.new_banner(m.host.clone(), queue.clone(), feed));
    }
    if reconcile::insert_banner(mounted.len(), queue.len(), mount::has_banner(&ctx.doc)) {
        mounted.push(ctx.new_banner(mount::insert_banner(&ctx.doc)?, queue, feed));
    }
    page::adopt(mounted);
    Ok(())
}

/// Brings every mount of this instance up to date with `feed` as of `now`, changing only
/// what changed; mounts added to the page since are rendered too.
pub fn update(settings: &Settings, feed: &Feed, now: Millis) -> Result<(), Error> {
    let ctx = Context::new(settings)?;
    // No `?` from here until every mount is adopted again: a mount dropped here would lose
    // its listeners and observers while its shadow DOM stayed on the page. Cards go back
    // first, so that a banner's title finds the card it opens.
    let mut banners = Vec::new();
    let mut cards = Vec::new();
    for mut m in page::take_all() {
        if m.kind == Kind::Banner {
            banners.push(m);
            continue;
        }
        match ctx.update_card(&mut m, feed, now) {
            Ok(true) => page::dispatch(&m.host, "depeche:update", "", ""),
            Ok(false) => {}
            Err(e) => page::error(&e),
        }
        cards.push(m);
    }
    page::adopt(cards);
    let queue = ctx.banner_queue(feed, now);
    for m in &mut banners {
        let before = m.banner.as_ref().and_then(Banner::current);
        match (reconcile::banner(m.banner.is_some(), queue.len()), &m.banner) {
            (reconcile::Banner::Update, Some(b)) => b.update(queue.clone()),
            (reconcile::Banner::Build, _) => *m = ctx.new_banner(m.host.clone(), queue.clone(), feed),
            _ => {}
        }
        if before != m.banner.as_ref().and_then(Banner::current) {
            page::dispatch(&m.host, "depeche:update", "", "");
        }
    }
    page::adopt(banners);
    // Mount points the host added since the last render.
    render(settings, feed, now)
}

/// What every mount of one render pass shares.
struct Context<'a> {
    doc: Document,
    settings: &'a Settings,
    page_lang: Option<String>,
}

impl<'a> Context<'a> {
    fn new(settings: &'a Settings) -> Result<Context<'a>, Error> {
        let doc = el::document()?;
        let page_lang = doc.document_element().and_then(|e| e.get_attribute("lang"));
        Ok(Context { doc, settings, page_lang })
    }

    /// `data-lang`, else the item's or feed's language, else the page's; a tag the browser
    /// refuses is said once and passed over.
    fn locale(&self, content_lang: Option<&str>) -> Locale {
        let (locale, refused) =
            i18n::resolve(&[self.settings.lang.as_deref(), content_lang, self.page_lang.as_deref()], intl::canonical);
        for tag in refused {
            page::error(&Error::BadLanguage { tag: tag.to_owned() });
        }
        locale
    }

    /// The language of a text, as an HTML `lang` attribute: its own if valid, else `locale`'s.
    fn text_lang(content_lang: Option<&str>, locale: &Locale) -> String {
        content_lang.and_then(|t| intl::canonical(&i18n::clean_tag(t))).unwrap_or_else(|| locale.tag.clone())
    }

    /// Formatters for the locale, built once while the locale and time zone stay the same (a
    /// hundred cards share one set: each `Intl.DateTimeFormat` costs far more to build than to
    /// use); an unknown time zone is reported and the reader's own used.
    fn formatters(&self, locale: &Locale) -> Result<Rc<Formatters>, Error> {
        let zone = self.settings.time_zone.as_deref();
        if let Some((key, f)) = FORMATTERS.with(Cell::take).filter(|((tag, tz), _)| *tag == locale.tag && tz.as_deref() == zone) {
            FORMATTERS.with(|c| c.set(Some((key, Rc::clone(&f)))));
            return Ok(f);
        }
        let f = Rc::new(match Formatters::new(locale, zone) {
            Ok(f) => f,
            Err(e) => {
                page::error(&e);
                Formatters::new(locale, None)?
            }
        });
        FORMATTERS.with(|c| c.set(Some(((locale.tag.clone(), zone.map(str::to_owned)), Rc::clone(&f)))));
        Ok(f)
    }

    fn banner_queue(&self, feed: &Feed, now: Millis) -> Vec<Rc<Item>> {
        view::banner_queue(feed, now, self.settings.urgency, &banner::dismissed())
    }

    /// A card mount seen for the first time; an empty mount if it has nothing to show (or
    /// failed to, which is reported: a later update tries again).
    // Not inlined into its one caller: 0.1 KB gzip less (measured with scripts/size.sh).
    #[inline(never)]
    fn new_card(&self, m: &Mount, feed: &Feed, now: Millis) -> Mounted {
        let mut mounted = Mounted {
            host: m.host.clone(),
            kind: Kind::Card,
            article: m.article.clone(),
            card: None,
            banner: None,
            watch: None,
            watched: None,
        };
        match view::card_item(feed, now, m.article.as_deref()) {
            Ok(item) => match self.fill_card(&mut mounted, feed, item) {
                Ok(()) => page::dispatch(&m.host, "depeche:render", "item", &item.id),
                Err(e) => page::error(&e),
            },
            Err(e) => page::error(&e.into()),
        }
        mounted
    }

    /// Builds the card for `item` in the mount's (emptied) shadow root.
    fn fill_card(&self, m: &mut Mounted, feed: &Feed, item: &Rc<Item>) -> Result<(), Error> {
        let content_lang = item.language.as_deref().or(feed.language.as_deref());
        let locale = self.locale(content_lang);
        let fmt = self.formatters(&locale)?;
        let root = mount::root(&m.host)?;
        let id = item.id.clone();
        let on_expand = Rc::new(move || {
            page::report_event(&id, Event::Read);
        });
        let lang = Self::text_lang(content_lang, &locale);
        let card = card::render(&self.doc, &root, &m.host, item, &lang, &locale, fmt, on_expand)?;
        m.card = Some(Rc::new(card));
        self.rewatch(m, Some(&item.id));
        Ok(())
    }

    /// Updates a card mount; returns whether what it shows changed.
    // As `new_card`: 0.03 KB less out of line.
    #[inline(never)]
    fn update_card(&self, m: &mut Mounted, feed: &Feed, now: Millis) -> Result<bool, Error> {
        let item = view::card_item(feed, now, m.article.as_deref()).ok();
        let plan = reconcile::card(m.card.as_ref().map(|c| c.item_id.as_str()), item.map(|i| i.id.as_str()));
        match (plan, item, &m.card) {
            (reconcile::Card::Update, Some(item), Some(card)) => {
                let before = card.snapshot();
                if card.update(&self.doc, item) {
                    return Ok(card.snapshot() != before);
                }
                // Same item, new shape: rebuilt, and open again if the reader had opened it.
                let was_open = card.is_expanded();
                self.fill_card(m, feed, item)?;
                if was_open {
                    m.card.iter().for_each(|c| c.reopen());
                }
            }
            (reconcile::Card::Build, Some(item), _) => self.fill_card(m, feed, item)?,
            (reconcile::Card::Empty, ..) => {
                if let Some(root) = m.host.shadow_root() {
                    el::clear(&root);
                }
                m.card = None;
                self.rewatch(m, None);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A banner mount seen for the first time (or empty until now), in the language of its
    /// first item, else the feed's. A banner that cannot be built is reported; the mount is
    /// kept, empty, for a later update.
    fn new_banner(&self, host: Element, queue: Vec<Rc<Item>>, feed: &Feed) -> Mounted {
        let content_lang = queue.first().and_then(|i| i.language.as_deref()).or(feed.language.as_deref());
        let locale = self.locale(content_lang);
        let banner = mount::root(&host).and_then(|root| Ok(Banner::render(&self.doc, &host, &root, queue, &locale, LINKS)?));
        let banner = banner.map_err(|e| page::error(&e)).ok();
        let current = banner.as_ref().and_then(Banner::current);
        if banner.is_some() {
            page::dispatch(&host, "depeche:render", "item", current.as_deref().unwrap_or(""));
        }
        Mounted { host, kind: Kind::Banner, article: None, card: None, banner, watch: None, watched: None }
    }

    /// Watches a card mount for views of `item`, replacing a watch for another item.
    fn rewatch(&self, m: &mut Mounted, item: Option<&str>) {
        if m.watched.as_deref() == item {
            return;
        }
        m.watch = item.and_then(|id| page::watch(&m.host, id));
        m.watched = item.map(str::to_owned);
    }
}
