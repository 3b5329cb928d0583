//! Which item each mount shows, and what its card is made of.

use crate::feed::{Feed, Item};
use crate::i18n::{self, Lang};
use crate::url::safe_http_url;
use crate::html::{self, Node};
use crate::rfc3339::Millis;
use crate::text::paragraphs;
use std::rc::Rc;

/// Banner threshold when `data-urgency` is not given: flashes and alerts only.
pub const DEFAULT_BANNER_URGENCY: u8 = 2;

/// An item is current until its `_depeche.expires` time, unless it was withdrawn.
pub fn is_current(item: &Item, now: Millis) -> bool {
    !item.withdrawn && item.expires.is_none_or(|e| now < e)
}

/// When the shown set next changes by itself: the earliest expiry still to come.
pub fn next_expiry(feed: &Feed, now: Millis) -> Option<Millis> {
    feed.items.iter().filter_map(|i| i.expires).filter(|&e| e > now).min()
}

/// How long after an expiry the feed is shown again: the item is gone by then, whatever the
/// timer's rounding.
pub const RESHOW_AFTER_EXPIRY_MS: Millis = 10;

/// How long to wait before showing the feed again because an item expires: none if no item
/// expires from now on.
pub fn reshow_in(feed: &Feed, now: Millis) -> Option<Millis> {
    next_expiry(feed, now).map(|at| at - now + RESHOW_AFTER_EXPIRY_MS)
}

/// Every item the banner may show, most urgent first (ties: most recent first).
pub fn banner_queue(feed: &Feed, now: Millis, threshold: u8, dismissed: &[String]) -> Vec<Rc<Item>> {
    // An insertion into a short list: a feed has a handful of urgent items, and the
    // standard library's sort would cost 3 KB of wasm.
    let mut queue: Vec<Rc<Item>> = Vec::new();
    for item in feed.items.iter().filter(|i| is_current(i, now) && i.urgency <= threshold && !dismissed.contains(&i.id)) {
        let at = queue.iter().position(|q| more_urgent(item, q)).unwrap_or(queue.len());
        queue.insert(at, Rc::clone(item));
    }
    queue
}

/// Whether `a` goes before `b`: more urgent, or as urgent and published later.
fn more_urgent(a: &Item, b: &Item) -> bool {
    (a.urgency, std::cmp::Reverse(a.date_published)) < (b.urgency, std::cmp::Reverse(b.date_published))
}

/// The most urgent current item; among equals, the most recently published.
fn most_urgent<'a>(items: impl Iterator<Item = &'a Rc<Item>>) -> Option<&'a Rc<Item>> {
    items.fold(None, |best: Option<&Rc<Item>>, i| match best {
        Some(b) if !more_urgent(i, b) => Some(b),
        _ => Some(i),
    })
}

/// Why a card has nothing to show.
#[derive(Debug, Clone, PartialEq)]
pub enum NoCard {
    /// `data-article` names an id the feed does not have.
    UnknownArticle(String),
    /// The named item has expired.
    Expired(String),
    /// The feed has no current item at all.
    Empty,
}

/// The card's item: the one named by `data-article`, else the most urgent current one.
pub fn card_item<'a>(feed: &'a Feed, now: Millis, article: Option<&str>) -> Result<&'a Rc<Item>, NoCard> {
    match article {
        Some(id) => match feed.items.iter().find(|i| i.id == id) {
            Some(item) if is_current(item, now) => Ok(item),
            Some(_) => Err(NoCard::Expired(id.to_owned())),
            None => Err(NoCard::UnknownArticle(id.to_owned())),
        },
        None => most_urgent(feed.items.iter().filter(|i| is_current(i, now))).ok_or(NoCard::Empty),
    }
}

/// The part of the card shown on expand.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Paragraphs of plain text.
    Paragraphs(Vec<String>),
    /// Sanitised HTML nodes.
    Html(Vec<Node>),
}

impl Body {
    /// Whether there is anything to expand to.
    pub fn is_empty(&self) -> bool {
        match self {
            Body::Paragraphs(p) => p.is_empty(),
            Body::Html(n) => n.is_empty(),
        }
    }
}

/// The text content of a card, before dates and counts are formatted.
#[derive(Debug, Clone, PartialEq)]
pub struct CardText {
    /// Always-visible first paragraph.
    pub lede: Option<String>,
    /// Revealed by "Lire la suite".
    pub body: Body,
}

/// Splits an item's text into lede and body: the lede is `summary`, else the first paragraph.
pub fn card_text(item: &Item) -> CardText {
    let summary = item.summary.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(text) = item.content_text.as_deref() {
        let mut paras = paragraphs(text);
        let lede = match summary {
            Some(s) => {
                // A summary that repeats the first paragraph is not shown twice.
                if paras.first().is_some_and(|p| p == s) {
                    paras.remove(0);
                }
                Some(s.to_owned())
            }
            None if paras.is_empty() => None,
            None => Some(paras.remove(0)),
        };
        return CardText { lede, body: Body::Paragraphs(paras) };
    }
    if let Some(h) = item.content_html.as_deref() {
        let mut nodes = html::sanitize(h);
        let lede = match summary {
            Some(s) => Some(s.to_owned()),
            None => {
                let first_block = nodes.iter().position(|n| !n.text().trim().is_empty());
                first_block.map(|i| nodes.remove(i).text().trim().to_owned())
            }
        };
        return CardText { lede, body: Body::Html(nodes) };
    }
    CardText { lede: summary.map(str::to_owned), body: Body::Paragraphs(Vec::new()) }
}

/// The parts a card is built with. An update that needs other parts rebuilds the card; one
/// that needs the same parts writes the new texts into them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// A kicker above the title.
    pub kicker: bool,
    /// A lede paragraph.
    pub lede: bool,
    /// A body behind the expand button.
    pub more: bool,
    /// The image's URL.
    pub image: Option<String>,
}

impl Shape {
    /// The shape of a card for `item`, whose text is `text`, in `lang`.
    pub fn of(item: &Item, text: &CardText, lang: Lang) -> Shape {
        Shape {
            kicker: i18n::kicker(lang, item.urgency, item.kicker.as_deref()).is_some(),
            lede: text.lede.is_some(),
            more: !text.body.is_empty() || item.signature.is_some(),
            image: item.image.as_deref().and_then(safe_http_url),
        }
    }
}

/// How a card built as `built` for `old` takes `new`, whose shape is `shape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardPlan {
    /// Build it anew (and open it again if the reader had opened it).
    Rebuild,
    /// Write the texts in place; the body too when what it is made from changed.
    InPlace {
        /// Whether the body is rebuilt.
        body: bool,
    },
}

/// The update plan of a card (what changes, so that focus, the open body and unchanged nodes
/// survive an update).
pub fn card_plan(built: &Shape, old: &Item, new: &Item, shape: &Shape) -> CardPlan {
    if built != shape {
        return CardPlan::Rebuild;
    }
    CardPlan::InPlace { body: body_source(old) != body_source(new) }
}

/// What the body is made from: when none of it changed, neither did the body (cheaper to
/// compare than the two bodies node by node).
fn body_source(i: &Item) -> [Option<&str>; 4] {
    [i.summary.as_deref(), i.content_text.as_deref(), i.content_html.as_deref(), i.signature.as_deref()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::Tag;

    fn item(id: &str, urgency: u8, published: Option<Millis>, expires: Option<Millis>) -> Rc<Item> {
        Rc::new(Item { id: id.into(), title: id.into(), urgency, date_published: published, expires, ..Item::default() })
    }

    fn feed() -> Feed {
        Feed {
            items: vec![
                item("calm", 5, Some(300), None),
                item("alert-old", 2, Some(100), None),
                item("alert-new", 2, Some(200), None),
                item("flash-expired", 1, Some(400), Some(1_000)),
            ],
            ..Feed::default()
        }
    }

    #[test]
    fn banner_takes_the_most_urgent_current_item() {
        let f = feed();
        fn banner_item(f: &Feed, now: Millis, threshold: u8, dismissed: &[String]) -> Option<Rc<Item>> {
            banner_queue(f, now, threshold, dismissed).into_iter().next()
        }
        assert_eq!(banner_item(&f, 999, 2, &[]).map(|i| i.id.clone()).as_deref(), Some("flash-expired"));
        assert_eq!(banner_item(&f, 1_000, 2, &[]).map(|i| i.id.clone()).as_deref(), Some("alert-new"));
        assert_eq!(banner_item(&f, 1_000, 2, &["alert-new".into()]).map(|i| i.id.clone()).as_deref(), Some("alert-old"));
        assert_eq!(banner_item(&f, 1_000, 1, &[]), None);
    }

    #[test]
    fn the_banner_queue_is_ordered_and_withdrawn_items_vanish() {
        let mut f = feed();
        let ids = |q: Vec<Rc<Item>>| q.into_iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(banner_queue(&f, 999, 2, &[])), ["flash-expired", "alert-new", "alert-old"]);
        Rc::make_mut(&mut f.items[2]).withdrawn = true;
        assert_eq!(ids(banner_queue(&f, 999, 2, &[])), ["flash-expired", "alert-old"]);
        assert_eq!(card_item(&f, 999, Some("alert-new")), Err(NoCard::Expired("alert-new".into())));
        assert_eq!(next_expiry(&f, 999), Some(1_000));
        assert_eq!(next_expiry(&f, 1_000), None);
        assert_eq!(reshow_in(&f, 400), Some(600 + RESHOW_AFTER_EXPIRY_MS), "shown again just after it expires");
        assert_eq!(reshow_in(&f, 1_000), None);
    }

    #[test]
    fn card_takes_the_named_item_or_the_most_urgent() {
        let f = feed();
        assert_eq!(card_item(&f, 2_000, None).map(|i| i.id.as_str()), Ok("alert-new"));
        assert_eq!(card_item(&f, 2_000, Some("calm")).map(|i| i.id.as_str()), Ok("calm"));
        assert_eq!(card_item(&f, 2_000, Some("flash-expired")), Err(NoCard::Expired("flash-expired".into())));
        assert_eq!(card_item(&f, 2_000, Some("nope")), Err(NoCard::UnknownArticle("nope".into())));
        assert_eq!(card_item(&Feed::default(), 0, None), Err(NoCard::Empty));
    }

    #[test]
    fn lede_is_the_summary_or_the_first_paragraph() {
        let mut it = Item { content_text: Some("Un.\n\nDeux.\n\nTrois.".into()), ..Item::default() };
        assert_eq!(card_text(&it), CardText { lede: Some("Un.".into()), body: Body::Paragraphs(vec!["Deux.".into(), "Trois.".into()]) });
        it.summary = Some("Un.".into());
        assert_eq!(card_text(&it).body, Body::Paragraphs(vec!["Deux.".into(), "Trois.".into()]));
        it.summary = Some("Résumé.".into());
        assert_eq!(card_text(&it).lede.as_deref(), Some("Résumé."));
        assert_eq!(card_text(&it).body, Body::Paragraphs(vec!["Un.".into(), "Deux.".into(), "Trois.".into()]));
    }

    #[test]
    fn html_only_items_take_their_lede_from_the_first_block() {
        let it = Item { content_html: Some("<p> </p><p>Premier <b>bloc</b></p><p>Second</p>".into()), ..Item::default() };
        let text = card_text(&it);
        assert_eq!(text.lede.as_deref(), Some("Premier bloc"));
        match text.body {
            Body::Html(nodes) => {
                assert_eq!(nodes.len(), 2);
                assert!(matches!(&nodes[1], Node::Element { tag: Tag::P, .. }));
            }
            other => panic!("expected HTML body, got {other:?}"),
        }
    }

    #[test]
    fn an_item_with_no_text_has_an_empty_body() {
        let t = card_text(&Item::default());
        assert_eq!(t.lede, None);
        assert!(t.body.is_empty());
    }

    #[test]
    fn a_card_is_rebuilt_only_when_its_parts_change() {
        let old = Item { id: "a".into(), title: "T".into(), summary: Some("Lede.".into()), content_text: Some("Un.\n\nDeux.".into()), ..Item::default() };
        let built = Shape::of(&old, &card_text(&old), Lang::of("fr"));
        assert_eq!(built, Shape { kicker: false, lede: true, more: true, image: None });
        let plan = |new: &Item| card_plan(&built, &old, new, &Shape::of(new, &card_text(new), Lang::of("fr")));
        assert_eq!(plan(&Item { title: "Corrigé".into(), views: Some(3), ..old.clone() }), CardPlan::InPlace { body: false });
        assert_eq!(plan(&Item { content_text: Some("Un.\n\nTrois.".into()), ..old.clone() }), CardPlan::InPlace { body: true });
        assert_eq!(plan(&Item { urgency: 1, ..old.clone() }), CardPlan::Rebuild, "a kicker appears");
        assert_eq!(plan(&Item { content_text: None, ..old.clone() }), CardPlan::Rebuild, "nothing more to read");
        assert_eq!(plan(&Item { image: Some("https://example.org/i.jpg".into()), ..old.clone() }), CardPlan::Rebuild);
        assert_eq!(plan(&Item { image: Some("javascript:alert(1)".into()), ..old.clone() }), CardPlan::InPlace { body: false }, "an unsafe image is no image");
    }
}
