//! The desk's list of items (`GET /items`): every item the collector knows, live, scheduled,
//! expired or withdrawn, with where it came from and how it is read. Pure: what the store
//! holds and the time in, JSON out. Expiry is read as the widget reads it (its own RFC 3339
//! parser), since the widget is what hides an expired item.

use serde_json::{json, Value};
use std::collections::HashMap;

/// What the listing is made of.
pub struct Known<'a> {
    /// The feed as served (its items carry their view counts).
    pub served: &'a [u8],
    /// Published items held until their time: (ms, id, JSON).
    pub scheduled: &'a [(u64, String, String)],
    /// The JSON of every item published here.
    pub published: &'a [String],
    /// Each feed source and its items' JSON array.
    pub sources: &'a [(String, String)],
    /// Reads counted per item.
    pub reads: &'a HashMap<String, u64>,
}

/// Every item, scheduled ones first (soonest first), then as the feed serves them.
pub fn list(k: &Known, now_ms: u64) -> Value {
    let id = |item: &Value| crate::feed::SourceFeed::check_item(item).ok();
    let mut source_of: HashMap<String, &str> = HashMap::new();
    for (source, items) in k.sources {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(items) {
            source_of.extend(items.iter().filter_map(id).map(|i| (i, source.as_str())));
        }
    }
    for item in k.published.iter().filter_map(|p| serde_json::from_str::<Value>(p).ok()) {
        source_of.extend(id(&item).map(|i| (i, "desk")));
    }
    let served: Value = serde_json::from_slice(k.served).unwrap_or(Value::Null);
    let scheduled = k.scheduled.iter().filter_map(|(_, _, item)| serde_json::from_str::<Value>(item).ok()).map(|item| (item, true));
    let items = served.get("items").and_then(Value::as_array).into_iter().flatten().cloned().map(|item| (item, false));
    let rows: Vec<Value> = scheduled
        .chain(items)
        .filter_map(|(item, held)| {
            let id = id(&item)?;
            let ext = item.get("_depeche").cloned().unwrap_or(Value::Null);
            let expires = ext.get("expires").and_then(Value::as_str);
            let state = if ext.get("status").and_then(Value::as_str) == Some("withdrawn") {
                "withdrawn"
            } else if held {
                "scheduled"
            } else if expires.and_then(depeche::rfc3339::parse).is_some_and(|at| at <= now_ms as i64) {
                "expired"
            } else {
                "live"
            };
            Some(json!({
                "id": id,
                "title": item.get("title"),
                "urgency": ext.get("urgency"),
                "state": state,
                "date_published": item.get("date_published"),
                "expires": expires,
                "source": source_of.get(&id).copied().unwrap_or("file"),
                "views": ext.get("views").and_then(Value::as_f64).map_or(0, |v| v.max(0.0) as u64),
                "reads": k.reads.get(&id).copied().unwrap_or(0),
                "item": item,
            }))
        })
        .collect();
    json!({ "generated_ms": now_ms, "items": rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_sources_and_counts() {
        let served = br#"{"items":[
            {"id":"desk-1","title":"D","_depeche":{"urgency":1,"views":3}},
            {"id":"rss-1","title":"R","_depeche":{"expires":"2020-01-01T00:00:00Z"}},
            {"id":"file-1","title":"F","_depeche":{"status":"withdrawn","views":376}}]}"#;
        let scheduled = [(2_000_000_000_000, "later".to_owned(), r#"{"id":"later","title":"L","date_published":"2033-05-18T03:33:20Z"}"#.to_owned())];
        let published = [r#"{"id":"desk-1","title":"D"}"#.to_owned(), scheduled[0].2.clone()];
        let sources = [("https://agency.test/rss".to_owned(), r#"[{"id":"rss-1","title":"R"}]"#.to_owned())];
        let reads = HashMap::from([("desk-1".to_owned(), 2)]);
        let k = Known { served, scheduled: &scheduled, published: &published, sources: &sources, reads: &reads };
        let v = list(&k, 1_800_000_000_000);
        let rows: Vec<(&str, &str, &str, u64, u64)> = v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| (r["id"].as_str().unwrap_or(""), r["state"].as_str().unwrap_or(""), r["source"].as_str().unwrap_or(""), r["views"].as_u64().unwrap_or(9), r["reads"].as_u64().unwrap_or(9)))
            .collect();
        assert_eq!(
            rows,
            [
                ("later", "scheduled", "desk", 0, 0),
                ("desk-1", "live", "desk", 3, 2),
                ("rss-1", "expired", "https://agency.test/rss", 0, 0),
                ("file-1", "withdrawn", "file", 376, 0),
            ]
        );
        assert_eq!(v["items"][1]["urgency"], 1);
        assert_eq!(v["items"][1]["item"]["title"], "D", "the whole item, to correct it");
    }
}
