//! What a newsroom already publishes, as JSON Feed items with `_depeche`: the format is told
//! from the content (not only the Content-Type), and each format is mapped by one table, the
//! one in the README ("Feed sources"). Pure: bytes and options in, items out.
//!
//! RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed are read by feed-rs (which honours the XML
//! declaration's encoding, ISO-8859-1 included); IPTC ninjs 1.x–3.x and schema.org JSON-LD
//! are JSON, read with serde_json and mapped here.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The formats a source may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RSS 0.9x, 1.0 or 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.0 or 1.1.
    JsonFeed,
    /// IPTC ninjs 1.x, 2.x or 3.x: one document or an array of them.
    Ninjs,
    /// schema.org `NewsArticle`, `ReportageNewsArticle` or `LiveBlogPosting` in JSON-LD: one
    /// object, an array, or an `@graph`.
    JsonLd,
}

/// How a source's items are mapped.
#[derive(Debug, Clone)]
pub struct Options {
    /// RSS/Atom categories that make an item urgent (urgency 1), compared without case.
    pub urgent_words: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options { urgent_words: ["urgent", "breaking", "alerte", "flash"].map(String::from).to_vec() }
    }
}

/// A source's items, in JSON Feed form, and what could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The format found.
    pub format: Format,
    /// One JSON Feed item per entry, with `_depeche` where the source says more.
    pub items: Vec<Value>,
    /// Entries passed over, and why (one bad item never stops the others).
    pub skipped: Vec<String>,
    /// RSS's `<ttl>`: how many minutes the source may be cached.
    pub ttl: Option<u32>,
}

/// Reads a source's body as of `now`. `content_type` (the HTTP header, if any) only supplies a
/// charset for XML that declares none. An item under embargo at `now` is held back (listed
/// in `skipped`): nothing of it is served until a read after the embargo lifts.
pub fn map(body: &[u8], content_type: Option<&str>, options: &Options, now: Now) -> Result<Mapped, String> {
    let mut mapped = read(body, content_type, options, now)?;
    keep_valid(&mut mapped);
    Ok(mapped)
}

/// Skips the items the widget's own validation refuses, each with its reason.
fn keep_valid(mapped: &mut Mapped) {
    let skipped = &mut mapped.skipped;
    mapped.items.retain(|item| match widget_refuses(item) {
        Some(why) => {
            skipped.push(format!("item {}: {why}", item.get("id").and_then(Value::as_str).unwrap_or("?")));
            false
        }
        None => true,
    });
}

/// Why the widget would refuse `item` (a JSON Feed item), if it would: its own message, with
/// the field's path inside the item.
pub fn widget_refuses(item: &Value) -> Option<String> {
    let feed = serde_json::from_value::<depeche::json::Value>(json!({ "items": [item] })).ok()?;
    let parsed = depeche::feed::parse(&feed).ok()?;
    parsed.skipped.first().map(|e| e.message().replacen("items[0].", "", 1))
}

/// The time a source is read at.
pub type Now = chrono::DateTime<chrono::Utc>;

fn read(body: &[u8], content_type: Option<&str>, options: &Options, now: Now) -> Result<Mapped, String> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF));
    match start.map(|i| body[i]) {
        Some(b'<') => xml(body, content_type, options),
        Some(b'{' | b'[') => {
            let text = std::str::from_utf8(body).map_err(|e| format!("JSON that is not UTF-8 ({e})"))?;
            let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| format!("malformed JSON: {e}"))?;
            json_document(&value, now)
        }
        _ => Err("neither XML nor JSON (empty, or not a feed)".into()),
    }
}

fn xml(body: &[u8], content_type: Option<&str>, options: &Options) -> Result<Mapped, String> {
    let transcoded;
    let mut body = body;
    // An XML declaration's encoding is feed-rs's to read; without one, the HTTP charset says.
    let declares = body.windows(9).take(200).any(|w| w.eq_ignore_ascii_case(b"encoding="));
    if !declares {
        if let Some(encoding) = content_type.and_then(charset).and_then(|c| encoding_for(&c)) {
            transcoded = encoding.decode(body).0;
            body = transcoded.as_bytes();
        }
    }
    // A new parser for each try: one that panicked is left in a bad state.
    let parse = |bytes: &[u8]| {
        let parser = feed_rs::parser::Builder::new().id_generator(|links, title, _| generated_id(links, title)).build();
        parser.parse(bytes).map_err(|e| format!("malformed feed: {e}"))
    };
    let merge = |feed: &mut feed_rs::model::Feed, more: feed_rs::model::Feed| feed.entries.extend(more.entries);
    let (feed, notes) = super::guard::parse_xml(body, &parse, &merge)?;
    let format = match feed.feed_type {
        feed_rs::model::FeedType::Atom => Format::Atom,
        feed_rs::model::FeedType::JSON => Format::JsonFeed,
        _ => Format::Rss,
    };
    if format == Format::JsonFeed {
        return Err("JSON Feed must be JSON".into());
    }
    let language = feed.language.clone();
    let mut mapped = Mapped { format, items: Vec::new(), skipped: notes, ttl: feed.ttl };
    for entry in feed.entries {
        match entry_item(entry, language.as_deref(), options) {
            Ok(item) => mapped.items.push(item),
            Err(why) => mapped.skipped.push(why),
        }
    }
    Ok(mapped)
}

/// A stable id for an entry without one: a hash of its link, else of its title.
fn generated_id(links: &[feed_rs::model::Link], title: &Option<feed_rs::model::Text>) -> String {
    let basis = links.first().map(|l| l.href.clone()).or_else(|| title.as_ref().map(|t| t.content.clone())).unwrap_or_default();
    hashed_id(&basis)
}

/// The id made for an item without one, from its link (else its title): the same for an
/// RSS, Atom, JSON Feed or JSON-LD item with the same link.
fn hashed_id(basis: &str) -> String {
    format!("h-{}", hex(&Sha256::digest(basis.as_bytes())[..12]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn entry_item(entry: feed_rs::model::Entry, feed_language: Option<&str>, options: &Options) -> Result<Value, String> {
    let title = entry.title.map(|t| t.content.trim().to_owned()).filter(|t| !t.is_empty());
    let Some(title) = title else { return Err(format!("entry {}: no title", entry.id)) };
    let mut item = Map::new();
    item.insert("id".into(), entry.id.into());
    item.insert("title".into(), title.into());
    if let Some(link) = entry.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")) {
        item.insert("url".into(), link.href.clone().into());
    }
    if let Some(summary) = entry.summary.map(|s| s.content).filter(|s| !s.trim().is_empty()) {
        item.insert("summary".into(), summary.into());
    }
    // RSS's content:encoded and Atom's content are HTML: the widget's allowlist applies.
    if let Some(body) = entry.content.and_then(|c| c.body).filter(|b| !b.trim().is_empty()) {
        item.insert("content_html".into(), body.into());
    }
    if let Some(published) = entry.published.or(entry.updated) {
        item.insert("date_published".into(), rfc3339(published).into());
    }
    if let Some(updated) = entry.updated.filter(|u| Some(*u) != entry.published) {
        item.insert("date_modified".into(), rfc3339(updated).into());
    }
    let authors: Vec<Value> =
        entry.authors.iter().filter_map(|p| p.name.as_deref()).map(str::trim).filter(|n| !n.is_empty()).map(|n| json!({ "name": n })).collect();
    if !authors.is_empty() {
        item.insert("authors".into(), authors.into());
    }
    if let Some(language) = entry.language.as_deref().or(feed_language) {
        item.insert("language".into(), language.into());
    }
    let urgent = entry.categories.iter().any(|c| {
        let word = c.label.as_deref().unwrap_or(&c.term).trim();
        options.urgent_words.iter().any(|w| w.eq_ignore_ascii_case(word))
    });
    if urgent {
        item.insert("_depeche".into(), json!({ "urgency": 1 }));
    }
    Ok(Value::Object(item))
}

/// A time as the widget and the desk read it: RFC 3339 in UTC, to the second. A leap second
/// (`23:59:60`, which chrono reads and browsers' `Date` does not) is the second before it.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let t = if t.nanosecond() >= 1_000_000_000 { t.with_nanosecond(999_999_999).unwrap_or(t) } else { t };
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Dates with a time zone that are not RFC 3339 but common in feeds.
const ZONED_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"];
/// Dates without a time zone, read as UTC.
const LOCAL_FORMATS: [&str; 4] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];

/// A date as the widget reads it (RFC 3339), read as leniently as feed readers do: RFC 3339,
/// RFC 822/2822 (`Sun, 18 Jun 2017 18:48:00 +0000`), ISO 8601 without the colon in the
/// offset or without a zone (UTC), or a date alone; `None` otherwise.
fn date(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?.trim();
    let zoned = chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(s))
        .ok()
        .or_else(|| ZONED_FORMATS.iter().find_map(|f| chrono::DateTime::parse_from_str(s, f).ok()));
    if let Some(t) = zoned {
        return Some(rfc3339(t.with_timezone(&chrono::Utc)));
    }
    if let Some(t) = LOCAL_FORMATS.iter().find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok()) {
        return Some(rfc3339(t.and_utc()));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(rfc3339(day.and_hms_opt(0, 0, 0)?.and_utc()))
}

fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label(label.as_bytes())
}

fn json_document(value: &Value, now: Now) -> Result<Mapped, String> {
    let is_json_feed = value.get("version").and_then(Value::as_str).is_some_and(|v| v.contains("jsonfeed.org"));
    if is_json_feed || (value.get("items").is_some_and(Value::is_array) && value.get("@context").is_none()) {
        return json_feed(value);
    }
    let mut mapped_ld = Vec::new();
    ld_articles(value, &mut mapped_ld);
    if !mapped_ld.is_empty() || looks_like_ld(value) {
        let mut mapped = Mapped { format: Format::JsonLd, items: Vec::new(), skipped: Vec::new(), ttl: None };
        for article in mapped_ld {
            match ld_item(article) {
                Ok(item) => mapped.items.push(item),
                Err(why) => mapped.skipped.push(why),
            }
        }
        return Ok(mapped);
    }
    let documents: Vec<&Value> = match value {
        Value::Array(all) => all.iter().collect(),
        one => vec![one],
    };
    if documents.iter().all(|d| looks_like_ninjs(d)) && !documents.is_empty() {
        let mut mapped = Mapped { format: Format::Ninjs, items: Vec::new(), skipped: Vec::new(), ttl: None };
        for d in documents {
            match ninjs_item(d, now) {
                Ok(item) => mapped.items.push(item),
                Err(why) => mapped.skipped.push(why),
            }
        }
        return Ok(mapped);
    }
    Err("JSON, but not a JSON Feed, ninjs or schema.org NewsArticle".into())
}

/// JSON Feed 1.0 and 1.1: items are kept as the source wrote them (with any `_depeche`), with
/// 1.0's `author` as `authors`, a title made from the summary if there is none, and dates
/// normalised. (feed-rs refuses numeric ids, which the widget reads as strings.)
fn json_feed(value: &Value) -> Result<Mapped, String> {
    let mut mapped = Mapped { format: Format::JsonFeed, items: Vec::new(), skipped: Vec::new(), ttl: None };
    let language = value.get("language").cloned();
    for (i, item) in value.get("items").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(object) = item.as_object() else {
            mapped.skipped.push(format!("items[{i}]: not an object"));
            continue;
        };
        let mut object = object.clone();
        let text = |key: &str| object.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
        let id = match object.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            // As feed readers do, and as an RSS item without a guid gets one.
            _ => match text("url").or_else(|| text("title")) {
                Some(basis) => hashed_id(basis),
                None => {
                    mapped.skipped.push(format!("items[{i}]: no id, and no url or title to make one from"));
                    continue;
                }
            },
        };
        object.insert("id".into(), id.into());
        // JSON Feed 1.0's `author` (one) is 1.1's `authors`.
        if let Some(author) = object.remove("author").filter(|a| a.is_object()) {
            object.entry("authors").or_insert_with(|| json!([author]));
        }
        if object.get("title").and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()) {
            // A JSON Feed item may have no title; the widget needs one: its summary, cut.
            match object.get("summary").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
                Some(summary) => {
                    let title: String = summary.chars().take(140).collect();
                    object.insert("title".into(), title.into());
                }
                None => {
                    mapped.skipped.push(format!("items[{i}]: no title"));
                    continue;
                }
            }
        }
        for key in ["date_published", "date_modified"] {
            match date(object.get(key)) {
                Some(d) => object.insert(key.into(), d.into()),
                None => object.remove(key),
            };
        }
        if let Some(ext) = object.get_mut("_depeche").and_then(Value::as_object_mut) {
            if ext.contains_key("expires") {
                match date(ext.get("expires")) {
                    Some(d) => ext.insert("expires".into(), d.into()),
                    None => ext.remove("expires"),
                };
            }
        }
        if let (Some(l), false) = (&language, object.contains_key("language")) {
            object.insert("language".into(), l.clone());
        }
        mapped.items.push(Value::Object(object));
    }
    Ok(mapped)
}

fn looks_like_ld(v: &Value) -> bool {
    match v {
        Value::Array(all) => all.iter().any(looks_like_ld),
        Value::Object(o) => o.contains_key("@context") || o.contains_key("@graph") || o.contains_key("@type"),
        _ => false,
    }
}

/// The schema.org articles in a JSON-LD document: one object, an array, or an `@graph`.
fn ld_articles<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(all) => all.iter().for_each(|x| ld_articles(x, out)),
        Value::Object(o) => {
            if let Some(graph) = o.get("@graph") {
                ld_articles(graph, out);
            }
            let types: Vec<&str> = match o.get("@type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if types.iter().any(|t| matches!(t.trim_start_matches("schema:"), "NewsArticle" | "ReportageNewsArticle" | "LiveBlogPosting")) {
                out.push(v);
            }
        }
        _ => {}
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(all) => all.iter().find_map(|x| text_of(Some(x))),
        Value::Object(o) => text_of(o.get("@value").or_else(|| o.get("value")).or_else(|| o.get("name"))),
        _ => None,
    }
}

fn url_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => Some(s.clone()),
        Value::Array(all) => all.iter().find_map(|x| url_of(Some(x))),
        Value::Object(o) => url_of(o.get("url").or_else(|| o.get("@id")).or_else(|| o.get("contentUrl"))),
        _ => None,
    }
}

fn names(v: Option<&Value>) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Some(Value::Array(all)) => all.iter().for_each(|x| out.extend(names(Some(x)))),
        Some(Value::String(s)) if !s.trim().is_empty() => out.push(json!({ "name": s.trim() })),
        Some(Value::Object(o)) => {
            if let Some(n) = text_of(o.get("name")) {
                out.push(json!({ "name": n }));
            }
        }
        _ => {}
    }
    out
}

/// An item with its `id` and `title`, and each of `fields` that has a value.
fn item_with<const N: usize>(id: String, title: String, fields: [(&str, Option<String>); N]) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("id".into(), id.into());
    item.insert("title".into(), title.into());
    for (key, value) in fields {
        if let Some(v) = value {
            item.insert(key.into(), v.into());
        }
    }
    item
}

fn ld_item(article: &Value) -> Result<Value, String> {
    let url = url_of(article.get("url")).or_else(|| url_of(article.get("mainEntityOfPage")));
    let id = text_of(article.get("@id")).or_else(|| text_of(article.get("identifier"))).or_else(|| url.as_deref().map(hashed_id));
    let title = text_of(article.get("headline")).or_else(|| text_of(article.get("name")));
    let (Some(id), Some(title)) = (id, title) else {
        return Err("a schema.org article without an id (@id, identifier or url) or a headline".into());
    };
    let mut item = item_with(id, title, [
        ("url", url),
        ("summary", text_of(article.get("description"))),
        ("content_text", text_of(article.get("articleBody"))),
        ("image", url_of(article.get("image"))),
        ("date_published", date(article.get("datePublished"))),
        ("date_modified", date(article.get("dateModified"))),
        ("language", text_of(article.get("inLanguage"))),
    ]);
    let authors = names(article.get("author"));
    if !authors.is_empty() {
        item.insert("authors".into(), authors.into());
    }
    if let Some(expires) = date(article.get("expires")) {
        item.insert("_depeche".into(), json!({ "expires": expires }));
    }
    Ok(Value::Object(item))
}

/// Whether a JSON object is a ninjs document (a `uri`, and a headline or a version time).
pub fn looks_like_ninjs(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    o.contains_key("uri") && (o.contains_key("headline") || o.contains_key("headlines") || o.contains_key("versioncreated"))
}

/// A ninjs text list (2.x/3.x `headlines`, `descriptions`, `bodies`: `[{role, value,
/// contenttype}]`), the entry with `role` first, else the first.
fn ninjs_text(list: Option<&Value>, role: &str, html: Option<bool>) -> Option<String> {
    let all = list?.as_array()?;
    let fits = |x: &&Value| match html {
        None => true,
        Some(want) => x.get("contenttype").and_then(Value::as_str).map(|c| c.contains("html")).unwrap_or(false) == want,
    };
    let chosen = all.iter().filter(fits).find(|x| x.get("role").and_then(Value::as_str) == Some(role)).or_else(|| all.iter().find(fits))?;
    text_of(chosen.get("value"))
}

/// One ninjs document as a JSON Feed item, unless it is under embargo at `now`.
pub fn ninjs_item(d: &Value, now: Now) -> Result<Value, String> {
    let id = text_of(d.get("uri")).ok_or("a ninjs document without a uri")?;
    // 1.x/2.x `embargoed`, 3.x `embargoedUntil`.
    let embargo = date(d.get("embargoedUntil")).or_else(|| date(d.get("embargoed")));
    if let Some(until) = embargo.filter(|u| chrono::DateTime::parse_from_rfc3339(u).is_ok_and(|u| u > now)) {
        return Err(format!("ninjs {id}: under embargo until {until}, held back"));
    }
    let title = text_of(d.get("headline")).or_else(|| ninjs_text(d.get("headlines"), "main", None));
    let Some(title) = title else { return Err(format!("ninjs {id}: no headline")) };
    let links = d.get("links").and_then(Value::as_array);
    let canonical = links.and_then(|l| l.iter().find(|x| x.get("rel").and_then(Value::as_str).is_some_and(|r| r.ends_with("canonical"))));
    let mut item = item_with(id, title, [
        ("summary", text_of(d.get("description_text")).or_else(|| ninjs_text(d.get("descriptions"), "summary", None))),
        ("content_text", text_of(d.get("body_text")).or_else(|| ninjs_text(d.get("bodies"), "main", Some(false)))),
        ("content_html", text_of(d.get("body_html")).or_else(|| ninjs_text(d.get("bodies"), "main", Some(true)))),
        ("date_published", date(d.get("firstcreated")).or_else(|| date(d.get("versioncreated")))),
        ("date_modified", date(d.get("versioncreated"))),
        ("language", text_of(d.get("language"))),
        ("url", canonical.and_then(|x| url_of(x.get("href")))),
    ]);
    // 1.x `byline`, 2.x `by`, 3.x `bylines: [{byline}]`.
    let mut authors = names(d.get("byline").or_else(|| d.get("by")));
    for b in d.get("bylines").and_then(Value::as_array).into_iter().flatten() {
        authors.extend(names(b.get("byline").or_else(|| b.get("name"))));
    }
    if !authors.is_empty() {
        item.insert("authors".into(), authors.into());
    }
    let mut depeche = Map::new();
    if let Some(u) = d.get("urgency").and_then(Value::as_u64).filter(|u| (1..=9).contains(u)) {
        depeche.insert("urgency".into(), u.into());
    }
    if let Some(located) = text_of(d.get("located")) {
        depeche.insert("dateline".into(), located.into());
    }
    if let Some(expires) = date(d.get("expires")) {
        depeche.insert("expires".into(), expires.into());
    }
    let status = text_of(d.get("pubstatus")).unwrap_or_default().to_ascii_lowercase();
    if status == "withheld" || status == "canceled" || status == "cancelled" {
        depeche.insert("status".into(), "withdrawn".into());
    }
    if !depeche.is_empty() {
        item.insert("_depeche".into(), Value::Object(depeche));
    }
    Ok(Value::Object(item))
}
