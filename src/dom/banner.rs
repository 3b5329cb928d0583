//! The urgent-news banner.

use crate::dismissals;
use crate::dom::card::Card;
use crate::dom::listener::Listener;
use crate::dom::{el, storage, timer};
use crate::dom::el::Refused;
use crate::feed::Item;
use crate::i18n::{self, Locale};
use crate::url::safe_http_url;
use std::rc::Rc;
use web_sys::{Document, Element, Node, ShadowRoot};

/// The item ids the reader has closed, from localStorage.
pub fn dismissed() -> Vec<String> {
    storage::get(dismissals::STORAGE_KEY).map(|s| dismissals::parse(&s)).unwrap_or_default()
}

/// Renders the banner for `item`; `card` is the card showing the same item, if any.
///
/// The live region is attached empty and filled a moment later, because screen readers
/// announce changes to a live region, not a region that arrives already filled.
pub fn render(
    doc: &Document,
    root: &ShadowRoot,
    item: &Item,
    locale: &Locale,
    card: Option<Rc<Card>>,
) -> Result<Vec<Listener>, Refused> {
    let strings = locale.lang.strings();
    let aside = el::part(doc, "aside", "banner")?;
    el::attr(&aside, "lang", &locale.tag);
    el::attr(&aside, "aria-label", strings.alert_region);
    el::attr(&aside, "data-item", &item.id);

    let live = el::part(doc, "div", "live")?;
    el::attr(&live, "aria-live", if item.urgency <= 1 { "assertive" } else { "polite" });
    el::attr(&live, "aria-atomic", "true");
    el::append(&aside, &live)?;

    let close = el::text(doc, "button", "close", "×")?;
    el::attr(&close, "type", "button");
    el::attr(&close, "aria-label", strings.close_alert);
    el::append(&aside, &close)?;
    el::append(root, &aside)?;

    let mut listeners = Vec::new();
    let id = item.id.clone();
    let root_for_close = root.clone();
    listeners.push(Listener::new(&close, "click", move |_| {
        let mut list = dismissed();
        // If storage is unavailable the banner still closes, for this page only.
        storage::set(dismissals::STORAGE_KEY, &dismissals::add(&mut list, &id));
        el::clear(&root_for_close);
    }));

    let mut content: Vec<Node> = Vec::new();
    if let Some(k) = i18n::kicker(locale.lang, item.urgency, item.kicker.as_deref()) {
        let kicker = el::text(doc, "strong", "kicker", k)?;
        content.push(kicker.into());
        content.push(doc.create_text_node(strings.kicker_separator).into());
    }
    content.push(title_element(doc, item, card, &mut listeners)?.into());
    timer::after(ANNOUNCE_DELAY_MS, move || {
        for node in &content {
            let _ = el::append(&live, node);
        }
    });
    Ok(listeners)
}

/// How long the live region stays empty before its text arrives.
pub const ANNOUNCE_DELAY_MS: i32 = 50;

/// The title: a button that opens the card, else a link to the story, else plain text.
fn title_element(doc: &Document, item: &Item, card: Option<Rc<Card>>, listeners: &mut Vec<Listener>) -> Result<Element, Refused> {
    let url = item.url.as_deref().and_then(safe_http_url);
    let title = match (card, url) {
        (Some(card), _) => {
            let b = el::text(doc, "button", "title", &item.title)?;
            el::attr(&b, "type", "button");
            listeners.push(Listener::new(&b, "click", move |_| card.reveal()));
            b
        }
        (None, Some(url)) => {
            let a = el::text(doc, "a", "title", &item.title)?;
            el::attr(&a, "href", &url);
            a
        }
        (None, None) => el::text(doc, "span", "title", &item.title)?,
    };
    Ok(title)
}
