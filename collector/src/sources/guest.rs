//! Sources are guests in the newsroom's feed: what a source's items may be. Pure: items in,
//! the items served and why the others were not, out.
//!
//! - An item never takes an id that is not its source's to take (`Taken`: the feed file's, the
//!   desk's, another source's): it is skipped, with why. So an untrusted source can neither
//!   replace nor withdraw a story of the newsroom's.
//! - Only the fields the widget and the desk read are kept, each cut to its limit; a URL that
//!   is not `http(s)://` with a host is dropped; `_depeche.views` and `_depeche.signature`
//!   (counts and the newsroom's signatures) only from a source the sources file trusts.
//! - The newest `MAX_ITEMS_PER_SOURCE` items are kept.

use super::{guard, map};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Items kept from one source, the newest by date (undated ones count as oldest).
pub const MAX_ITEMS_PER_SOURCE: usize = 50;
/// An item with a longer id is skipped (an id is a key: cut, two could become one).
pub const MAX_ID_BYTES: usize = 512;
/// A longer title is cut (with "…").
pub const MAX_TITLE_BYTES: usize = 1_000;
/// A longer summary is cut (with "…").
pub const MAX_SUMMARY_BYTES: usize = 4_000;
/// A longer `content_html` or `content_text` is cut (with "…"; the widget's HTML allowlist
/// reads cut markup).
pub const MAX_CONTENT_BYTES: usize = 100_000;
/// A longer URL (`url`, `external_url`, `image`, `banner_image`, an author's `url` or
/// `avatar`) is dropped: a cut URL leads elsewhere.
pub const MAX_URL_BYTES: usize = 2_048;
/// A longer author name, language, dateline, kicker, signature or status is cut (a
/// language or status is dropped).
pub const MAX_SHORT_TEXT_BYTES: usize = 200;
/// Authors kept per item.
pub const MAX_AUTHORS: usize = 10;
/// Lines of `skipped` kept per read (then one saying how many more): a feed of 100,000 items
/// would otherwise make as many lines in `/status` and the log.
pub const MAX_SKIPPED_LINES: usize = 50;

/// Ids a source may not take, and whose they are ("the feed file", "the desk", "another
/// source").
pub type Taken = HashMap<String, &'static str>;

/// A source's body as the collector serves it: mapped (`map::map`, a panic caught and made
/// the source's error), then admitted as a guest (`admit`). The source loop and the fuzz
/// target both read sources through this.
pub fn read(body: &[u8], content_type: Option<&str>, options: &map::Options, now: map::Now, trusted: bool, taken: &Taken) -> Result<map::Mapped, String> {
    guard::catching(|| {
        let mut mapped = map::map(body, content_type, options, now)?;
        let (items, refused) = admit(std::mem::take(&mut mapped.items), trusted, &|id| taken.get(id).copied());
        mapped.items = items;
        mapped.skipped.extend(refused);
        if mapped.skipped.len() > MAX_SKIPPED_LINES {
            let more = mapped.skipped.len() - MAX_SKIPPED_LINES;
            mapped.skipped.truncate(MAX_SKIPPED_LINES);
            mapped.skipped.push(format!("and {more} more"));
        }
        Ok(mapped)
    })
    .unwrap_or_else(|p| Err(guard::failed(&p)))
}

/// The items a source may serve, cut to size, and a line for each one refused. `taken` says
/// whose an id is, if it is not the source's to take.
pub fn admit(items: Vec<Value>, trusted: bool, taken: &dyn Fn(&str) -> Option<&'static str>) -> (Vec<Value>, Vec<String>) {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    let mut seen = HashSet::new();
    for item in items {
        let Some(object) = item.as_object() else {
            refused.push("an item that is not an object".to_owned());
            continue;
        };
        let Some(id) = object.get("id").and_then(id_of) else {
            refused.push("an item without an id".to_owned());
            continue;
        };
        if id.len() > MAX_ID_BYTES {
            refused.push(format!("item {}: an id longer than {MAX_ID_BYTES} bytes", shown(&id)));
            continue;
        }
        if let Some(whose) = taken(&id) {
            refused.push(format!("item {}: this id is {whose}'s, not this source's to take", shown(&id)));
            continue;
        }
        if !seen.insert(id.clone()) {
            refused.push(format!("item {}: a second item with this id", shown(&id)));
            continue;
        }
        kept.push(guest_item(id, object, trusted));
    }
    if kept.len() > MAX_ITEMS_PER_SOURCE {
        let mut newest: Vec<usize> = (0..kept.len()).collect();
        // Stable: among items of the same date (or none), the source's own order.
        newest.sort_by_key(|&i| std::cmp::Reverse(when(&kept[i])));
        let keep: HashSet<usize> = newest.into_iter().take(MAX_ITEMS_PER_SOURCE).collect();
        let mut i = 0;
        kept.retain(|item| {
            let kept_it = keep.contains(&i);
            i += 1;
            if !kept_it {
                let id = item.get("id").and_then(Value::as_str).unwrap_or("?");
                refused.push(format!("item {}: older than this source's {MAX_ITEMS_PER_SOURCE} newest", shown(id)));
            }
            kept_it
        });
    }
    (kept, refused)
}

/// An item id as the widget reads it: a string, or a whole number as its JSON text.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => n.as_f64().filter(|f| f.fract() == 0.0 && (0.0..9.007e15).contains(f)).map(|f| (f as u64).to_string()),
        _ => None,
    }
}

/// An id as a `skipped` line shows it: at most 80 characters, control characters blanked.
fn shown(id: &str) -> String {
    let mut out: String = id.chars().take(80).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if id.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// When an item was published (else modified), in ms since the epoch; `None` if undated.
fn when(item: &Value) -> Option<i64> {
    ["date_published", "date_modified"].iter().find_map(|k| depeche::rfc3339::parse(item.get(*k)?.as_str()?))
}

/// The item with only what the widget and the desk read, each field within its limit.
fn guest_item(id: String, item: &Map<String, Value>, trusted: bool) -> Value {
    let text = |key: &str| item.get(key).and_then(Value::as_str);
    let mut out = Map::new();
    out.insert("id".into(), id.into());
    for (key, max) in [("title", MAX_TITLE_BYTES), ("summary", MAX_SUMMARY_BYTES), ("content_text", MAX_CONTENT_BYTES), ("content_html", MAX_CONTENT_BYTES)] {
        if let Some(s) = text(key) {
            out.insert(key.into(), cut(s, max).into());
        }
    }
    for key in ["url", "external_url", "image", "banner_image"] {
        if let Some(u) = text(key).and_then(http_url) {
            out.insert(key.into(), u.into());
        }
    }
    for key in ["date_published", "date_modified", "language"] {
        if let Some(s) = text(key).filter(|s| s.len() <= MAX_SHORT_TEXT_BYTES) {
            out.insert(key.into(), s.into());
        }
    }
    let authors: Vec<Value> = item
        .get("authors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|a| {
            let mut author = Map::new();
            if let Some(name) = a.get("name").and_then(Value::as_str) {
                author.insert("name".into(), cut(name, MAX_SHORT_TEXT_BYTES).into());
            }
            for key in ["url", "avatar"] {
                if let Some(u) = a.get(key).and_then(Value::as_str).and_then(http_url) {
                    author.insert(key.into(), u.into());
                }
            }
            author
        })
        .filter(|a| !a.is_empty())
        .take(MAX_AUTHORS)
        .map(Value::Object)
        .collect();
    if !authors.is_empty() {
        out.insert("authors".into(), authors.into());
    }
    if let Some(ext) = item.get("_depeche").and_then(Value::as_object) {
        let mut kept = Map::new();
        for key in ["urgency", "views"].into_iter().filter(|k| *k != "views" || trusted) {
            if let Some(n) = ext.get(key).filter(|v| v.is_number()) {
                kept.insert(key.into(), n.clone());
            }
        }
        for key in ["dateline", "kicker", "signature"].into_iter().filter(|k| *k != "signature" || trusted) {
            if let Some(s) = ext.get(key).and_then(Value::as_str) {
                kept.insert(key.into(), cut(s, MAX_SHORT_TEXT_BYTES).into());
            }
        }
        for key in ["expires", "status"] {
            if let Some(s) = ext.get(key).and_then(Value::as_str).filter(|s| s.len() <= MAX_SHORT_TEXT_BYTES) {
                kept.insert(key.into(), s.into());
            }
        }
        if !kept.is_empty() {
            out.insert("_depeche".into(), Value::Object(kept));
        }
    }
    Value::Object(out)
}

/// `s`, or its first `max` bytes at most, ending in "…", cut between two characters.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An `http(s)://` URL with a host, as the widget checks it, within `MAX_URL_BYTES`.
fn http_url(raw: &str) -> Option<String> {
    depeche::url::safe_http_url(raw).filter(|u| u.len() <= MAX_URL_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nobody(_: &str) -> Option<&'static str> {
        None
    }

    #[test]
    fn an_id_that_is_not_the_sources_is_refused_with_whose_it_is() {
        let items = vec![json!({"id": "newsroom-1", "title": "FAUX", "_depeche": {"status": "withdrawn"}}), json!({"id": "own", "title": "T"})];
        let taken = |id: &str| (id == "newsroom-1").then_some("the feed file");
        let (kept, refused) = admit(items, false, &taken);
        assert_eq!(kept, [json!({"id": "own", "title": "T"})]);
        assert_eq!(refused, ["item newsroom-1: this id is the feed file's, not this source's to take"]);
        let (kept, refused) = admit(vec![json!({"id": 7, "title": "A"}), json!({"id": "7", "title": "B"}), json!({"title": "C"}), json!(3)], false, &nobody);
        assert_eq!(kept, [json!({"id": "7", "title": "A"})]);
        assert_eq!(refused, ["item 7: a second item with this id", "an item without an id", "an item that is not an object"]);
        let long = "x".repeat(MAX_ID_BYTES + 1);
        assert!(admit(vec![json!({"id": long, "title": "T"})], false, &nobody).0.is_empty());
        assert_eq!(admit(vec![json!({"id": "x".repeat(MAX_ID_BYTES), "title": "T"})], false, &nobody).0.len(), 1);
    }

    #[test]
    fn counts_and_signatures_only_from_a_trusted_source() {
        let item = json!({"id": "a", "title": "T", "_depeche": {"views": 987654322, "signature": "La rédaction", "urgency": 1, "status": "withdrawn", "kicker": "K", "dateline": "D", "expires": "2030-01-01T00:00:00Z"}});
        let (guest, _) = admit(vec![item.clone()], false, &nobody);
        assert_eq!(guest[0]["_depeche"], json!({"urgency": 1, "status": "withdrawn", "kicker": "K", "dateline": "D", "expires": "2030-01-01T00:00:00Z"}));
        let (trusted, _) = admit(vec![item.clone()], true, &nobody);
        assert_eq!(trusted[0], item);
    }

    #[test]
    fn only_http_urls_pass() {
        let item = json!({"id": "a", "title": "T", "url": "javascript:alert(1)", "external_url": "data:text/html,x", "image": " https://x.example/a.jpg ",
            "banner_image": "http:/nohost", "authors": [{"name": "N", "url": "JAVASCRIPT:x", "avatar": "https://x.example/n.png"}, {"url": "vbscript:x"}, "x"]});
        let (kept, _) = admit(vec![item], false, &nobody);
        assert_eq!(kept[0], json!({"id": "a", "title": "T", "image": "https://x.example/a.jpg", "authors": [{"name": "N", "avatar": "https://x.example/n.png"}]}));
        let long = format!("https://x.example/{}", "a".repeat(MAX_URL_BYTES));
        assert!(admit(vec![json!({"id": "a", "title": "T", "url": long})], false, &nobody).0[0].get("url").is_none());
    }

    #[test]
    fn fields_are_cut_to_their_limits_and_unknown_ones_dropped() {
        let big = "é".repeat(MAX_CONTENT_BYTES);
        let item = json!({"id": "a", "title": big, "summary": big, "content_html": big, "content_text": big, "tags": [big], "_evil": big,
            "language": big, "authors": vec![json!({"name": big}); MAX_AUTHORS + 5], "_depeche": {"dateline": big, "status": big}});
        let (kept, _) = admit(vec![item], false, &nobody);
        let k = &kept[0];
        let len = |key: &str| k[key].as_str().unwrap().len();
        assert!(len("title") <= MAX_TITLE_BYTES && len("title") > MAX_TITLE_BYTES - 4 && k["title"].as_str().unwrap().ends_with("é…"));
        assert!(len("summary") <= MAX_SUMMARY_BYTES && len("content_html") <= MAX_CONTENT_BYTES && len("content_text") <= MAX_CONTENT_BYTES);
        assert!(k.get("tags").is_none() && k.get("_evil").is_none() && k.get("language").is_none());
        assert_eq!(k["authors"].as_array().unwrap().len(), MAX_AUTHORS);
        assert!(k["authors"][0]["name"].as_str().unwrap().len() <= MAX_SHORT_TEXT_BYTES);
        assert_eq!(k["_depeche"], json!({"dateline": cut(&big, MAX_SHORT_TEXT_BYTES)}));
        assert!(serde_json::to_vec(k).unwrap().len() < MAX_TITLE_BYTES + MAX_SUMMARY_BYTES + 2 * MAX_CONTENT_BYTES + MAX_AUTHORS * MAX_SHORT_TEXT_BYTES + 1_000);
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "…");
    }

    #[test]
    fn a_read_says_at_most_so_many_skipped_lines() {
        let items: Vec<Value> = (0..MAX_ITEMS_PER_SOURCE + MAX_SKIPPED_LINES + 7).map(|i| json!({"id": i.to_string(), "title": "T"})).collect();
        let body = serde_json::to_vec(&json!({"version": "https://jsonfeed.org/version/1.1", "items": items})).unwrap();
        let m = read(&body, None, &map::Options::default(), chrono::Utc::now(), false, &Taken::new()).unwrap();
        assert_eq!(m.items.len(), MAX_ITEMS_PER_SOURCE);
        assert_eq!(m.skipped.len(), MAX_SKIPPED_LINES + 1);
        assert_eq!(m.skipped[MAX_SKIPPED_LINES], "and 7 more");
    }

    #[test]
    fn the_newest_items_are_kept() {
        let mut items: Vec<Value> = (0..MAX_ITEMS_PER_SOURCE + 5)
            .map(|i| json!({"id": format!("i{i}"), "title": "T", "date_published": format!("2026-01-01T00:{:02}:00Z", i)}))
            .collect();
        items.insert(3, json!({"id": "undated", "title": "T"}));
        let (kept, refused) = admit(items, false, &nobody);
        assert_eq!(kept.len(), MAX_ITEMS_PER_SOURCE);
        let ids: Vec<&str> = kept.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids[0], "i5", "the five oldest and the undated one go; the order is the source's");
        assert_eq!(ids[MAX_ITEMS_PER_SOURCE - 1], format!("i{}", MAX_ITEMS_PER_SOURCE + 4));
        assert_eq!(refused.len(), 6);
        assert!(refused.contains(&format!("item undated: older than this source's {MAX_ITEMS_PER_SOURCE} newest")));
    }
}
