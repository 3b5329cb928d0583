//! The wasm entry point: settings in, rendered mounts out, errors to the console.

use crate::beacon::Event;
use crate::dom::card;
use crate::dom::intl::Formatters;
use crate::dom::mount::{self, Kind, Mount};
use crate::dom::page::{self, Counting, Mounted};
use crate::dom::track::Watch;
use crate::dom::{banner, el, fetch, report};
use crate::error::Error;
use crate::feed::{self, Feed, Item};
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
    let value = fetch::feed_json(&settings.feed, false).await?;
    let parsed = feed::parse(&value)?;
    for skipped in parsed.skipped {
        report(&Error::Feed(skipped));
    }
    render(&settings, &parsed.feed, js_sys::Date::now() as Millis)
}

/// Renders every unrendered mount of the page from `feed` as of `now`, and keeps what they
/// need to stay interactive (and counted) until they leave the page.
pub fn render(settings: &Settings, feed: &Feed, now: Millis) -> Result<(), Error> {
    let counting = settings.beacon.clone().map(|beacon| Counting { beacon, feed: settings.feed.clone() });
    if let Some(c) = &counting {
        page::start_counting(c.clone());
    }
    page::watch_removals();
    let mounted = render_mounts(settings, feed, now, counting.is_some())?;
    page::adopt(mounted);
    Ok(())
}

fn render_mounts(settings: &Settings, feed: &Feed, now: Millis, counted: bool) -> Result<Vec<Mounted>, Error> {
    let doc = el::document()?;
    let page_lang = doc.document_element().and_then(|e| e.get_attribute("lang"));
    let (mut mounts, errors) = mount::find(&doc);
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
        let root = mount::shadow(&m.host)?;
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
        let root = mount::shadow(&m.host)?;
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
