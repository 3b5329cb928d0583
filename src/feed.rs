//! The JSON Feed 1.1 model with Dépêche's `_depeche` extension, and its validation.

use crate::json::{Json, Kind};
use crate::rfc3339::{self, Millis};
use crate::text::{concat, push_u64};
use std::rc::Rc;

/// Urgency when an item does not say (IPTC ninjs: 1 is most urgent, 9 least).
pub const DEFAULT_URGENCY: u8 = 5;

/// A validated feed: only the items that passed validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feed {
    /// Feed-level `title`.
    pub title: Option<String>,
    /// Feed-level `language` (a BCP 47 tag).
    pub language: Option<String>,
    /// The valid items, in feed order; shared, not copied, by the banner queue and cards.
    pub items: Vec<Rc<Item>>,
}

/// One validated story.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// Unique id (JSON Feed `id`; numbers are turned into strings as the spec asks).
    pub id: String,
    /// The story's page.
    pub url: Option<String>,
    /// Headline.
    pub title: String,
    /// Short summary, used as the lede.
    pub summary: Option<String>,
    /// Plain-text body, paragraphs separated by blank lines.
    pub content_text: Option<String>,
    /// HTML body, shown through the allowlist in `html`.
    pub content_html: Option<String>,
    /// Publication time.
    pub date_published: Option<Millis>,
    /// Last modification time.
    pub date_modified: Option<Millis>,
    /// Author names.
    pub authors: Vec<String>,
    /// Main image URL.
    pub image: Option<String>,
    /// Item language (BCP 47).
    pub language: Option<String>,
    /// 1 (flash) to 9.
    pub urgency: u8,
    /// Read count, if the feed gives one.
    pub views: Option<u64>,
    /// Correspondent's signature, shown at the end of the body.
    pub signature: Option<String>,
    /// Where the story was filed from.
    pub dateline: Option<String>,
    /// After this time the item is never shown.
    pub expires: Option<Millis>,
    /// A label that replaces the urgency's kicker.
    pub kicker: Option<String>,
    /// `_depeche.status: "withdrawn"`: a retracted story, never shown.
    pub withdrawn: bool,
    /// `_depeche.sig`: the newsroom's signature of the item (`signed`), never itself signed.
    pub sig: Option<String>,
}

/// Why a part of the feed was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The field is required.
    Missing,
    /// The field has the wrong JSON type.
    WrongType { expected: &'static str, found: &'static str },
    /// A date that is not RFC 3339.
    NotRfc3339,
    /// `_depeche.urgency` outside 1–9.
    UrgencyOutOfRange,
    /// A count that is not a whole number from 0 to 2^53.
    NotACount,
}

/// One validation error, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedError {
    /// JSON path, such as `items[2].date_published`.
    pub path: String,
    /// What is wrong there.
    pub reason: Reason,
}

impl FeedError {
    /// `items[2].date_published: not an RFC 3339 date`.
    pub fn message(&self) -> String {
        let mut out = concat(&[&self.path, ": "]);
        match &self.reason {
            Reason::Missing => out.push_str("missing"),
            Reason::WrongType { expected, found } => {
                out.push_str(&concat(&["expected ", expected, ", found ", found]))
            }
            Reason::NotRfc3339 => out.push_str("not an RFC 3339 date"),
            Reason::UrgencyOutOfRange => out.push_str("urgency must be a whole number from 1 to 9"),
            Reason::NotACount => out.push_str("not a whole number of views"),
        }
        out
    }
}

/// The result of reading a feed: what could be used, and what was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The usable part of the feed.
    pub feed: Feed,
    /// One error per skipped item.
    pub skipped: Vec<FeedError>,
}

/// Validates a JSON value as a feed; fails only when the feed as a whole is unusable.
pub fn parse<J: Json>(root: J) -> Result<Parsed, FeedError> {
    if root.kind() != Kind::Object {
        return Err(wrong_type("(feed)".into(), "an object", root.kind()));
    }
    let at_root = Fields { obj: &root, path: String::new() };
    let title = at_root.opt_str("title")?;
    let language = at_root.opt_str("language")?;
    let items = match root.get("items") {
        Some(v) => v.elements().ok_or_else(|| wrong_type("items".into(), "an array", v.kind()))?,
        None => return Err(FeedError { path: "items".into(), reason: Reason::Missing }),
    };
    let mut feed = Feed { title, language, items: Vec::new() };
    let mut skipped = Vec::new();
    for (i, value) in items.iter().enumerate() {
        let mut path = String::from("items[");
        push_u64(&mut path, i as u64);
        path.push(']');
        match parse_item(value, path) {
            Ok(item) => feed.items.push(Rc::new(item)),
            Err(e) => skipped.push(e),
        }
    }
    Ok(Parsed { feed, skipped })
}

/// The item-id rule, the same for the widget and the collector: a non-blank string, or a
/// whole number in the range a double holds exactly, as its decimal text (`42` and `42.0`
/// alike). Otherwise the type found (`String` for a blank one).
pub fn item_id<J: Json>(v: &J) -> Result<String, Kind> {
    match (v.string(), v.number()) {
        (Some(s), _) if !s.trim().is_empty() => Ok(s),
        (Some(_), _) => Err(Kind::String),
        (_, Some(n)) if n.fract() == 0.0 && (0.0..9.007e15).contains(&n) => {
            let mut s = String::new();
            push_u64(&mut s, n as u64);
            Ok(s)
        }
        _ => Err(v.kind()),
    }
}

fn parse_item<J: Json>(value: &J, path: String) -> Result<Item, FeedError> {
    if value.kind() != Kind::Object {
        return Err(wrong_type(path, "an object", value.kind()));
    }
    let f = Fields { obj: value, path };
    let id = match value.present("id") {
        None => return Err(f.error("id", Reason::Missing)),
        Some(v) => match item_id(&v) {
            Ok(id) => id,
            Err(Kind::String) => return Err(f.error("id", Reason::Missing)),
            Err(kind) => return Err(wrong_type(f.path_of("id"), "a string", kind)),
        },
    };
    let title = f.opt_str("title")?.filter(|t| !t.trim().is_empty()).ok_or_else(|| f.error("title", Reason::Missing))?;
    let mut authors = Vec::new();
    if let Some(v) = value.present("authors") {
        let list = v.elements().ok_or_else(|| wrong_type(f.path_of("authors"), "an array", v.kind()))?;
        for (i, author) in list.iter().enumerate() {
            let mut path = f.path_of("authors[");
            push_u64(&mut path, i as u64);
            path.push(']');
            if author.kind() != Kind::Object {
                return Err(wrong_type(path, "an object", author.kind()));
            }
            if let Some(name) = (Fields { obj: author, path }).opt_str("name")? {
                authors.push(name);
            }
        }
    }
    // Filled one field at a time from tables rather than in one struct literal: the reads
    // share one loop, and each `?` drops one `Item` instead of every field built so far.
    let mut item = Item { id, title, authors, urgency: DEFAULT_URGENCY, ..Item::default() };
    f.read_strings(&mut item, &ITEM_STRINGS)?;
    f.read_dates(&mut item, &ITEM_DATES)?;
    if let Some(ext) = value.present("_depeche") {
        if ext.kind() != Kind::Object {
            return Err(wrong_type(f.path_of("_depeche"), "an object", ext.kind()));
        }
        let x = Fields { obj: &ext, path: f.path_of("_depeche") };
        if let Some(u) = x.opt_number("urgency")? {
            if u.fract() != 0.0 || !(1.0..=9.0).contains(&u) {
                return Err(x.error("urgency", Reason::UrgencyOutOfRange));
            }
            item.urgency = u as u8;
        }
        if let Some(v) = x.opt_number("views")? {
            if v.fract() != 0.0 || !(0.0..=9_007_199_254_740_992.0).contains(&v) {
                return Err(x.error("views", Reason::NotACount));
            }
            item.views = Some(v as u64);
        }
        x.read_strings(&mut item, &DEPECHE_STRINGS)?;
        x.read_strings(&mut item, &DEPECHE_SIG)?;
        x.read_dates(&mut item, &DEPECHE_DATES)?;
        item.withdrawn = x.opt_str("status")?.is_some_and(|s| s.trim().eq_ignore_ascii_case("withdrawn"));
    }
    Ok(item)
}

/// Where a read field goes in an `Item`.
type Slot<T> = fn(&mut Item) -> &mut Option<T>;

/// The item's optional string fields, in the order they are checked.
const ITEM_STRINGS: [(&str, Slot<String>); 6] = [
    ("url", |i| &mut i.url),
    ("summary", |i| &mut i.summary),
    ("content_text", |i| &mut i.content_text),
    ("content_html", |i| &mut i.content_html),
    ("image", |i| &mut i.image),
    ("language", |i| &mut i.language),
];
const ITEM_DATES: [(&str, Slot<Millis>); 2] =
    [("date_published", |i| &mut i.date_published), ("date_modified", |i| &mut i.date_modified)];
/// The `_depeche` extension's string and date fields.
const DEPECHE_STRINGS: [(&str, Slot<String>); 3] =
    [("signature", |i| &mut i.signature), ("dateline", |i| &mut i.dateline), ("kicker", |i| &mut i.kicker)];
/// The newsroom's signature of the item: read like the others, never itself signed.
const DEPECHE_SIG: [(&str, Slot<String>); 1] = [("sig", |i| &mut i.sig)];
const DEPECHE_DATES: [(&str, Slot<Millis>); 1] = [("expires", |i| &mut i.expires)];

/// Typed reads of an object's optional fields, with errors that carry the path.
struct Fields<'a, J> {
    obj: &'a J,
    path: String,
}

impl<J: Json> Fields<'_, J> {
    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            concat(&[&self.path, ".", key])
        }
    }

    fn error(&self, key: &str, reason: Reason) -> FeedError {
        FeedError { path: self.path_of(key), reason }
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, FeedError> {
        self.obj.string_at(key).map_err(|found| wrong_type(self.path_of(key), "a string", found))
    }

    fn read_strings(&self, item: &mut Item, fields: &[(&str, Slot<String>)]) -> Result<(), FeedError> {
        for (key, slot) in fields {
            *slot(item) = self.opt_str(key)?;
        }
        Ok(())
    }

    fn read_dates(&self, item: &mut Item, fields: &[(&str, Slot<Millis>)]) -> Result<(), FeedError> {
        for (key, slot) in fields {
            *slot(item) = self.opt_date(key)?;
        }
        Ok(())
    }

    fn opt_number(&self, key: &str) -> Result<Option<f64>, FeedError> {
        match self.obj.present(key) {
            None => Ok(None),
            Some(v) => v.number().map(Some).ok_or_else(|| wrong_type(self.path_of(key), "a number", v.kind())),
        }
    }

    fn opt_date(&self, key: &str) -> Result<Option<Millis>, FeedError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => rfc3339::parse(&s).map(Some).ok_or_else(|| self.error(key, Reason::NotRfc3339)),
        }
    }
}

fn wrong_type(path: String, expected: &'static str, found: Kind) -> FeedError {
    FeedError { path, reason: Reason::WrongType { expected, found: found.name() } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Value;

    fn parse_str(s: &str) -> Result<Parsed, FeedError> {
        parse(&serde_json::from_str::<Value>(s).expect("test JSON"))
    }

    fn messages(p: &Parsed) -> Vec<String> {
        p.skipped.iter().map(FeedError::message).collect()
    }

    #[test]
    fn reads_a_full_item() {
        let p = parse_str(
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"Journal","language":"fr",
            "items":[{"id":"k1","url":"https://x.org/k1","title":"Attaque à Bamako","summary":"Une attaque.",
            "content_text":"A\n\nB","date_published":"2017-06-18T18:48:00Z","authors":[{"name":"Massene Diop"}],
            "language":"fr","unknown":{"deep":[1]},
            "_depeche":{"urgency":1,"views":376,"signature":"Kassim Traoré, correspondant à Bamako",
            "dateline":"Bamako","expires":"2017-06-19T18:48:00Z","kicker":"FLASH"}}]}"#,
        )
        .expect("valid feed");
        assert!(p.skipped.is_empty());
        assert_eq!(p.feed.title.as_deref(), Some("Journal"));
        let item = &p.feed.items[0];
        assert_eq!(item.id, "k1");
        assert_eq!(item.title, "Attaque à Bamako");
        assert_eq!(item.authors, ["Massene Diop"]);
        assert_eq!(item.date_published, Some(1_497_811_680_000));
        assert_eq!(item.urgency, 1);
        assert_eq!(item.views, Some(376));
        assert_eq!(item.signature.as_deref(), Some("Kassim Traoré, correspondant à Bamako"));
        assert_eq!(item.expires, Some(1_497_811_680_000 + 86_400_000));
        assert_eq!(item.kicker.as_deref(), Some("FLASH"));
        assert!(!item.withdrawn);
    }

    #[test]
    fn reads_withdrawals() {
        let p = parse_str(r#"{"items":[{"id":"a","title":"T","_depeche":{"status":"withdrawn"}},{"id":"b","title":"T","_depeche":{"status":"live"}}]}"#)
            .expect("valid");
        assert!(p.feed.items[0].withdrawn);
        assert!(!p.feed.items[1].withdrawn);
    }

    #[test]
    fn defaults_urgency_and_coerces_numeric_ids() {
        let p = parse_str(r#"{"items":[{"id":42,"title":"T"}]}"#).expect("valid");
        assert_eq!(p.feed.items[0].id, "42");
        assert_eq!(p.feed.items[0].urgency, DEFAULT_URGENCY);
        assert_eq!(p.feed.items[0].views, None);
    }

    #[test]
    fn skips_invalid_items_and_names_their_path() {
        let p = parse_str(
            r#"{"items":[
              {"id":"ok","title":"Fine"},
              {"title":"no id"},
              {"id":"d","title":"T","date_published":"18 juin 2017"},
              {"id":"t","title":5},
              {"id":"u","title":"T","_depeche":{"urgency":0}},
              {"id":"v","title":"T","_depeche":{"views":-1}},
              {"id":"a","title":"T","authors":[{"name":"A"},{"name":["B"]}]},
              "not an item",
              {"id":"x","title":"   "},
              {"id":"ok2","title":"Fine too","_depeche":null}
            ]}"#,
        )
        .expect("usable feed");
        let ids: Vec<_> = p.feed.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["ok", "ok2"]);
        assert_eq!(
            messages(&p),
            [
                "items[1].id: missing",
                "items[2].date_published: not an RFC 3339 date",
                "items[3].title: expected a string, found a number",
                "items[4]._depeche.urgency: urgency must be a whole number from 1 to 9",
                "items[5]._depeche.views: not a whole number of views",
                "items[6].authors[1].name: expected a string, found an array",
                "items[7]: expected an object, found a string",
                "items[8].title: missing",
            ]
        );
    }

    #[test]
    fn refuses_a_feed_without_items() {
        let e = parse_str(r#"{"title":"x"}"#).expect_err("no items");
        assert_eq!(e.message(), "items: missing");
        let e = parse_str(r#"{"items":{}}"#).expect_err("items not an array");
        assert_eq!(e.message(), "items: expected an array, found an object");
        let e = parse_str(r#"[1,2]"#).expect_err("not an object");
        assert_eq!(e.message(), "(feed): expected an object, found an array");
        let e = parse_str(r#"{"title":3,"items":[]}"#).expect_err("bad title");
        assert_eq!(e.message(), "title: expected a string, found a number");
    }
}
