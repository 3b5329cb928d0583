//! The source JSON Feed, served with live read counts.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest feed served, in bytes: what the widget reads at most (its `data-max-bytes`
/// default). Larger, every widget on every page would refuse it and go blank.
pub const MAX_FEED_BYTES: usize = depeche::settings::DEFAULT_MAX_BYTES as usize;

/// How many items the last render left out to fit `MAX_FEED_BYTES`: said once, when it changes.
static LEFT_OUT: AtomicUsize = AtomicUsize::new(0);

/// The feed file as loaded, and the ids it knows.
#[derive(Clone)]
pub struct SourceFeed {
    doc: Value,
    ids: HashSet<String>,
    /// The ids of the items a feed source gave (not the newsroom's own).
    guests: HashSet<String>,
}

/// Why a feed file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The file is not a JSON Feed with an `items` array.
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the feed file: {e}"),
            LoadError::Invalid(why) => write!(f, "the feed file is not a usable JSON Feed: {why}"),
        }
    }
}

impl SourceFeed {
    /// Reads and checks the feed file.
    pub fn load(path: &Path) -> Result<SourceFeed, LoadError> {
        let text = std::fs::read_to_string(path).map_err(LoadError::Io)?;
        SourceFeed::from_json(&text)
    }

    /// Parses a feed document.
    pub fn from_json(text: &str) -> Result<SourceFeed, LoadError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| LoadError::Invalid(e.to_string()))?;
        let items = doc
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| LoadError::Invalid("no items array".into()))?;
        let ids = items.iter().filter_map(|i| i.get("id").and_then(id_of)).collect();
        Ok(SourceFeed { doc, ids, guests: HashSet::new() })
    }

    /// Adds a published item, or replaces the item with the same id (a correction, or a
    /// withdrawal with `_depeche.status: "withdrawn"`). New items go first.
    pub fn upsert(&mut self, item: Value) -> Result<(), String> {
        let id = self.put(item)?;
        // A source's item the desk corrected is the desk's.
        self.guests.remove(&id);
        Ok(())
    }

    /// As `upsert`, for an item of a feed source (`sources::apply` says which it may add):
    /// `render` drops these first when the feed would be too large.
    pub fn upsert_guest(&mut self, item: Value) -> Result<(), String> {
        let id = self.put(item)?;
        self.guests.insert(id);
        Ok(())
    }

    fn put(&mut self, item: Value) -> Result<String, String> {
        let id = SourceFeed::check_item(&item)?;
        let Some(items) = self.doc.get_mut("items").and_then(Value::as_array_mut) else {
            return Err("the feed has no items array".into());
        };
        match items.iter_mut().find(|i| i.get("id").and_then(id_of).as_deref() == Some(id.as_str())) {
            Some(existing) => *existing = item,
            None => items.insert(0, item),
        }
        self.ids.insert(id.clone());
        Ok(id)
    }

    /// The id of a publishable item (a non-empty string, or a number as the widget reads it),
    /// or why it is refused.
    pub fn check_item(item: &Value) -> Result<String, String> {
        if !item.is_object() {
            return Err("the body must be one JSON Feed item (an object)".into());
        }
        let id = item.get("id").and_then(id_of);
        let Some(id) = id else { return Err("the item needs a non-empty id (a string or a number)".into()) };
        if !item.get("title").is_some_and(Value::is_string) {
            return Err("the item needs a string title".into());
        }
        Ok(id)
    }

    /// Whether the feed has an item with this id.
    pub fn has_item(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The item with this id, as served (before counts).
    pub fn item(&self, id: &str) -> Option<&Value> {
        if !self.ids.contains(id) {
            return None;
        }
        let items = self.doc.get("items").and_then(Value::as_array)?;
        items.iter().find(|i| i.get("id").and_then(id_of).as_deref() == Some(id))
    }

    /// Signs every item that is the newsroom's own (the feed file's, the desk's, a trusted
    /// source's) with `key`; a guest's item is served unsigned, and a signature it carried
    /// was taken away when it was admitted.
    pub fn sign(&mut self, key: &crate::signing::NewsroomKey) {
        let Some(items) = self.doc.get_mut("items").and_then(Value::as_array_mut) else { return };
        for item in items.iter_mut() {
            let guest = item.get("id").and_then(id_of).is_some_and(|id| self.guests.contains(&id));
            if !guest {
                *item = key.signed(std::mem::take(item));
            }
        }
    }

    /// The ids of its items.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// The feed with each item's `_depeche.views` raised by its counted views, and its ETag;
    /// never more than `MAX_FEED_BYTES` (`fit`).
    pub fn render(&self, counted: &HashMap<String, u64>) -> (Vec<u8>, String) {
        let mut doc = self.doc.clone();
        if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let Some(id) = item.get("id").and_then(id_of) else { continue };
                let Some(&extra) = counted.get(&id) else { continue };
                let Some(obj) = item.as_object_mut() else { continue };
                let ext = obj.entry("_depeche").or_insert_with(|| Value::Object(Default::default()));
                if let Some(ext) = ext.as_object_mut() {
                    // The widget reads any non-negative number as a count (376.0 too).
                    let base = ext.get("views").and_then(Value::as_f64).filter(|v| *v >= 0.0).map_or(0, |v| v as u64);
                    ext.insert("views".into(), Value::from(base.saturating_add(extra)));
                }
            }
        }
        let body = self.fit(doc);
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
        (body, etag)
    }
}

impl SourceFeed {
    /// `doc` serialised within `MAX_FEED_BYTES`: if it is larger, items are left out, feed
    /// sources' before the newsroom's own, the oldest first (undated ones count as oldest),
    /// as few as fit.
    fn fit(&self, mut doc: Value) -> Vec<u8> {
        let mut body = serde_json::to_vec(&doc).unwrap_or_default();
        let mut left_out = 0;
        while body.len() > MAX_FEED_BYTES {
            let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut).filter(|i| !i.is_empty()) else {
                // Nothing left to leave out but the feed's own fields: an empty feed, not a blank widget.
                body = serde_json::to_vec(&serde_json::json!({ "version": doc.get("version"), "items": [] })).unwrap_or_default();
                break;
            };
            let guest = |item: &Value| item.get("id").and_then(id_of).is_some_and(|id| self.guests.contains(&id));
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_by_key(|&i| (!guest(&items[i]), when(&items[i]), std::cmp::Reverse(i)));
            // Each item takes its own bytes and a comma: leave out just enough.
            let mut excess = body.len() - MAX_FEED_BYTES;
            let mut out = HashSet::new();
            for i in order {
                if excess == 0 {
                    break;
                }
                excess = excess.saturating_sub(serde_json::to_vec(&items[i]).map_or(0, |b| b.len()) + 1);
                out.insert(i);
            }
            left_out += out.len();
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                !out.contains(&(i - 1))
            });
            body = serde_json::to_vec(&doc).unwrap_or_default();
        }
        if LEFT_OUT.swap(left_out, Ordering::Relaxed) != left_out && left_out > 0 {
            eprintln!(
                "depeche-collector: the feed would be larger than the widget reads ({MAX_FEED_BYTES} bytes): its {left_out} oldest \
                 items are left out, feed sources' first"
            );
        }
        body
    }
}

/// When an item was published (else modified), in ms since the epoch; `None` if undated.
fn when(item: &Value) -> Option<i64> {
    ["date_published", "date_modified"].iter().find_map(|k| depeche::rfc3339::parse(item.get(*k)?.as_str()?))
}

/// An item id as the widget reads it (`depeche::feed::item_id`, the one rule): a non-blank
/// string, or a whole number turned into its decimal text (`42` and `42.0` alike).
fn id_of(v: &Value) -> Option<String> {
    let v = match v {
        Value::String(s) => depeche::json::Value::String(s.clone()),
        Value::Number(n) => depeche::json::Value::Number(n.as_f64()?),
        _ => return None,
    };
    depeche::feed::item_id(&&v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_counted_views_to_the_base_count() {
        let f = SourceFeed::from_json(r#"{"items":[{"id":"a","_depeche":{"views":376}},{"id":"b"},{"id":"c"}]}"#).unwrap();
        assert!(f.has_item("a") && !f.has_item("z"));
        let counted = HashMap::from([("a".to_owned(), 2u64), ("b".to_owned(), 5)]);
        let (body, etag) = f.render(&counted);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["items"][0]["_depeche"]["views"], 378);
        assert_eq!(v["items"][1]["_depeche"]["views"], 5);
        assert!(v["items"][2].get("_depeche").is_none());
        assert_ne!(etag, f.render(&HashMap::new()).1);
        assert_eq!(etag, f.render(&counted).1);
    }

    #[test]
    fn published_items_go_first_and_replace_by_id() {
        let mut f = SourceFeed::from_json(r#"{"items":[{"id":"a","title":"A"}]}"#).unwrap();
        f.upsert(serde_json::json!({"id":"b","title":"B"})).unwrap();
        f.upsert(serde_json::json!({"id":"a","title":"A2","_depeche":{"status":"withdrawn"}})).unwrap();
        assert!(f.has_item("b"));
        let v: Value = serde_json::from_slice(&f.render(&HashMap::new()).0).unwrap();
        assert_eq!(v["items"][0]["id"], "b");
        assert_eq!(v["items"][1]["title"], "A2");
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
        assert!(f.upsert(serde_json::json!({"title":"no id"})).is_err());
        assert!(f.upsert(serde_json::json!({"id":"c"})).is_err());
    }

    /// Items of `bytes` each, dated a minute apart from `first_minute`, newest first.
    fn big_items(prefix: &str, n: usize, bytes: usize, first_minute: usize) -> Vec<Value> {
        (0..n)
            .rev()
            .map(|i| serde_json::json!({"id": format!("{prefix}{i}"), "title": "T", "content_text": "x".repeat(bytes),
                "date_published": format!("2026-12-02T{:02}:{:02}:00Z", (first_minute + i) / 60, (first_minute + i) % 60)}))
            .collect()
    }

    #[test]
    fn the_served_feed_never_exceeds_what_the_widget_reads() {
        // The newsroom's 40 items of 10 KB, and a source's 2.5 MB: the source's oldest go first.
        let mut f = SourceFeed::from_json(&serde_json::json!({"title": "J", "items": big_items("own-", 40, 10_000, 0)}).to_string()).unwrap();
        for item in big_items("src-", 250, 10_000, 100).into_iter().rev() {
            f.upsert_guest(item).unwrap();
        }
        let (body, _) = f.render(&HashMap::from([("own-0".to_owned(), 5u64)]));
        assert!(body.len() <= depeche::settings::DEFAULT_MAX_BYTES as usize, "{} bytes", body.len());
        assert!(body.len() > depeche::settings::DEFAULT_MAX_BYTES as usize - 20_000, "no more dropped than needed: {}", body.len());
        let v: Value = serde_json::from_slice(&body).unwrap();
        let ids: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids.iter().filter(|i| i.starts_with("own-")).count(), 40, "the newsroom's own items all stay");
        assert!(ids.contains(&"src-249") && !ids.contains(&"src-0"), "the source's newest stay, its oldest go");
        assert_eq!(v["title"], "J");
        assert_eq!(v["items"].as_array().unwrap().iter().find(|i| i["id"] == "own-0").unwrap()["_depeche"]["views"], 5);
        // A desk correction of a source's item makes it the desk's: it stays.
        f.upsert(serde_json::json!({"id": "src-0", "title": "Corrigé", "date_published": "2026-12-02T01:40:00Z"})).unwrap();
        let v: Value = serde_json::from_slice(&f.render(&HashMap::new()).0).unwrap();
        assert!(v["items"].as_array().unwrap().iter().any(|i| i["id"] == "src-0"));
        // The newsroom's own beyond the limit: its oldest go too, rather than every widget blank.
        let f = SourceFeed::from_json(&serde_json::json!({"items": big_items("own-", 250, 10_000, 0)}).to_string()).unwrap();
        let (body, _) = f.render(&HashMap::new());
        assert!(body.len() <= depeche::settings::DEFAULT_MAX_BYTES as usize);
        assert!(String::from_utf8(body).unwrap().contains("\"own-249\""));
    }

    #[test]
    fn refuses_files_that_are_not_feeds() {
        assert!(matches!(SourceFeed::from_json("{}"), Err(LoadError::Invalid(_))));
        assert!(matches!(SourceFeed::from_json("nope"), Err(LoadError::Invalid(_))));
    }

    #[test]
    fn numeric_ids_and_float_counts_are_read_as_the_widget_reads_them() {
        let mut f = SourceFeed::from_json(r#"{"items":[{"id":42,"title":"A","_depeche":{"views":376.0}}]}"#).unwrap();
        assert!(f.has_item("42"));
        let counted = HashMap::from([("42".to_owned(), 2u64)]);
        let v: Value = serde_json::from_slice(&f.render(&counted).0).unwrap();
        assert_eq!(v["items"][0]["_depeche"]["views"], 378);
        f.upsert(serde_json::json!({"id": 42, "title": "A corrigé"})).unwrap();
        let v: Value = serde_json::from_slice(&f.render(&counted).0).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1, "a correction of item 42, not a new item");
        assert_eq!(SourceFeed::check_item(&serde_json::json!({"id": 7, "title": "T"})), Ok("7".into()));
        assert_eq!(SourceFeed::check_item(&serde_json::json!({"id": 7.0, "title": "T"})), Ok("7".into()));
        assert!(SourceFeed::check_item(&serde_json::json!({"id": 7.5, "title": "T"})).is_err());
    }

    #[test]
    fn only_the_newsrooms_own_items_are_signed() {
        let key = crate::signing::NewsroomKey::generate();
        let mut f = SourceFeed::from_json(r#"{"items":[{"id":"own","title":"A"}]}"#).unwrap();
        f.upsert_guest(serde_json::json!({"id":"guest","title":"G"})).unwrap();
        f.upsert(serde_json::json!({"id":"desk","title":"D"})).unwrap();
        f.sign(&key);
        let v: Value = serde_json::from_slice(&f.render(&HashMap::new()).0).unwrap();
        let sig = |id: &str| v["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap()["_depeche"]["sig"].as_str().map(str::to_owned);
        assert!(sig("own").is_some_and(|s| s.starts_with(key.public())));
        assert!(sig("desk").is_some());
        assert_eq!(sig("guest"), None, "a source the newsroom does not vouch for is served unsigned");
    }
}
