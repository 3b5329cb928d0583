//! The wasm entry point: settings in, rendered mounts out, errors to the console.

use crate::beacon::Event;
use crate::dom::card;
use crate::dom::intl::Formatters;
use crate::dom::mount::{self, Kind, Mount};
use crate::dom::page::{self, Counting, Mounted};
use crate::dom::track::Watch;
use crate::dom::console::report_once;
use crate::dom::fetch::{Failure, Limits};
use crate::dom::{banner, el, fetch, report, storage, timer};
use crate::error::Error;
use crate::feed::{self, Feed, Item};
use crate::feed_cache;
use crate::retry;
use crate::i18n::{self, Locale};
use crate::rfc3339::Millis;
use crate::settings::{self, Settings};
use crate::view;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::Element;

/// Starts the widget for the loader's `<script>` element. Never throws: every failure is
/// one console message, and the page is left as it was.
#[wasm_bindgen]
pub async fn start(script: Element) {
    if let Err(e) = run(&script).await {
        report(&e);
    }
}

async fn run(script: &Element) -> Result<(), Error> {
    let (settings, warnings) = settings::read(|name| script.get_attribute(name))?;
    warnings.iter().for_each(report);
    let limits = Limits { timeout_seconds: settings.timeout_seconds, max_bytes: settings.max_bytes };
    let mut shown = false;
    for attempt in 0..=retry::MAX_RETRIES {
        let failure = match fetch::feed_text(&settings.feed, attempt > 0, limits).await {
            Ok(text) => match read_feed(&settings.feed, &text) {
                Ok(Some(feed)) => {
                    remember(&settings.feed, &text);
                    return show(&settings, &feed, shown);
                }
                // Every item was invalid, and each said why: nothing to show, nothing to add.
                Ok(None) => return Ok(()),
                Err(e) => Failure::from(e),
            },
            Err(f) => f,
        };
        report_once(&failure.error);
        if !shown {
            shown = show_last_good_copy(&settings);
        }
        if !failure.error.is_transient() || attempt == retry::MAX_RETRIES {
            break;
        }
        let wait = retry::delay(attempt, js_sys::Math::random(), failure.retry_after);
        timer::sleep(wait.clamp(0, i32::MAX as Millis) as i32).await;
    }
    Ok(())
}

/// Parses and validates feed text; skipped items are reported, a useless feed is an error.
/// `None` when the feed had items but none was valid.
fn read_feed(url: &str, text: &str) -> Result<Option<Feed>, Error> {
    let value = fetch::parse_json(text).ok_or_else(|| Error::NotJson { url: url.to_owned() })?;
    let parsed = feed::parse(&value)?;
    let all_skipped = parsed.feed.items.is_empty() && !parsed.skipped.is_empty();
    parsed.skipped.into_iter().for_each(|e| report_once(&Error::Feed(e)));
    Ok((!all_skipped).then_some(parsed.feed))
}

/// Keeps the feed as the last good copy (if it fits; storage may refuse, harmlessly).
fn remember(url: &str, text: &str) {
    if let Some(value) = feed_cache::encode(url, text) {
        storage::set(feed_cache::STORAGE_KEY, &value);
    }
}

/// Renders the last good copy of the feed, if there is one; returns whether it did.
fn show_last_good_copy(settings: &Settings) -> bool {
    let Some(stored) = storage::get(feed_cache::STORAGE_KEY) else { return false };
    let Some(text) = feed_cache::decode(&stored, &settings.feed) else { return false };
    match read_feed(&settings.feed, text) {
        Ok(Some(feed)) => show(settings, &feed, false).is_ok(),
        _ => false,
    }
}

/// Renders `feed`, replacing what this instance showed before when `again`.
fn show(settings: &Settings, feed: &Feed, again: bool) -> Result<(), Error> {
    let now = js_sys::Date::now() as Millis;
    if again {
        rerender(settings, feed, now)
    } else {
        render(settings, feed, now)
    }
}

/// Renders every unrendered mount of the page from `feed` as of `now`, and keeps what they
/// need to stay interactive (and counted) until they leave the page.
pub fn render(settings: &Settings, feed: &Feed, now: Millis) -> Result<(), Error> {
    let limits = Limits { timeout_seconds: settings.timeout_seconds, max_bytes: settings.max_bytes };
    let counting = settings.beacon.clone().map(|beacon| Counting { beacon, feed: settings.feed.clone(), limits });
    if let Some(c) = &counting {
        page::start_counting(c.clone());
    }
    page::watch_removals();
    let mounted = render_mounts(settings, feed, now, counting.is_some(), &[])?;
    page::adopt(mounted);
    Ok(())
}

/// Renders this instance's mounts again from a newer `feed`, keeping open cards open.
pub fn rerender(settings: &Settings, feed: &Feed, now: Millis) -> Result<(), Error> {
    let previous = page::take_all();
    let hosts: Vec<Element> = previous.iter().map(|m| m.host.clone()).collect();
    let open: Vec<(Element, String)> = previous
        .iter()
        .filter_map(|m| m.card.as_ref().filter(|c| c.is_expanded()).map(|c| (m.host.clone(), c.item_id.clone())))
        .collect();
    drop(previous);
    let mounted = render_mounts(settings, feed, now, settings.beacon.is_some(), &hosts)?;
    for m in &mounted {
        if let Some(card) = &m.card {
            if open.iter().any(|(host, id)| *host == m.host && *id == card.item_id) {
                card.reopen();
            }
        }
    }
    page::adopt(mounted);
    Ok(())
}

fn render_mounts(
    settings: &Settings,
    feed: &Feed,
    now: Millis,
    counted: bool,
    ours: &[Element],
) -> Result<Vec<Mounted>, Error> {
    let doc = el::document()?;
    let page_lang = doc.document_element().and_then(|e| e.get_attribute("lang"));
    let (mut mounts, errors) = mount::find(&doc, ours);
    errors.iter().for_each(report);
    let mut rendered = Vec::new();
    let watch = |host: &Element, item: &Item| {
        let id = item.id.clone();
        counted.then(|| Watch::new(host, Rc::new(move || page::report_event(&id, Event::View)))).flatten()
    };

    for m in mounts.iter().filter(|m| m.kind == Kind::Card) {
        let item = match view::card_item(feed, now, m.article.as_deref()) {
            Ok(item) => item,
            Err(e) => {
                report(&e.into());
                continue;
            }
        };
        let content_lang = item.language.as_deref().or(feed.language.as_deref());
        let locale = locale(settings, content_lang, page_lang.as_deref());
        let fmt = Rc::new(formatters(&locale, settings)?);
        let root = mount::root(&m.host)?;
        let id = item.id.clone();
        let on_expand = Rc::new(move || page::report_event(&id, Event::Read));
        let lang = content_lang.unwrap_or(&locale.tag);
        let card = card::render(&doc, &root, &m.host, item, lang, &locale, fmt, on_expand)?;
        rendered.push(Mounted {
            host: m.host.clone(),
            card: Some(Rc::new(card)),
            watch: watch(&m.host, item),
            listeners: Vec::new(),
        });
    }

    let Some(item) = view::banner_item(feed, now, settings.urgency, &banner::dismissed()) else {
        return Ok(rendered);
    };
    if !mount::has_banner(&doc) {
        let host = mount::insert_banner(&doc)?;
        mounts.push(Mount { host, kind: Kind::Banner, article: None });
    }
    let content_lang = item.language.as_deref().or(feed.language.as_deref());
    let locale = locale(settings, content_lang, page_lang.as_deref());
    let card = rendered.iter().filter_map(|m| m.card.as_ref()).find(|c| c.item_id == item.id).cloned();
    for m in mounts.iter().filter(|m| m.kind == Kind::Banner) {
        let root = mount::root(&m.host)?;
        let listeners = banner::render(&doc, &root, item, &locale, card.clone())?;
        rendered.push(Mounted { host: m.host.clone(), card: None, watch: watch(&m.host, item), listeners });
    }
    Ok(rendered)
}

/// `data-lang`, else the item's or feed's language, else the page's.
fn locale(settings: &Settings, content_lang: Option<&str>, page_lang: Option<&str>) -> Locale {
    i18n::resolve(&[settings.lang.as_deref(), content_lang, page_lang])
}

/// Formatters for the locale; an unknown time zone is reported and the reader's own used.
fn formatters(locale: &Locale, settings: &Settings) -> Result<Formatters, Error> {
    match Formatters::new(&locale.tag, settings.time_zone.as_deref()) {
        Ok(f) => Ok(f),
        Err(e) => {
            report(&e);
            Formatters::new(&locale.tag, None)
        }
    }
}
