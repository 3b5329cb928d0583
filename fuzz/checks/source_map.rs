//! Any bytes as a feed source, read as the collector reads one (`guest::read`: the mapper
//! under its panic guard, then the guest rules), the first byte choosing the Content-Type and
//! whether the source is trusted: no panic escapes the guard, none caught is the collector's
//! own (only feed-rs's are guarded, not fixed), and every item served passes the widget's
//! validation and keeps within the guest rules.
//! Shared by the fuzz target of the same name and the native replay of the committed seeds
//! (`collector/tests/fuzz_seeds.rs`, run by `make test`).
use serde_json::Value;

// The collector's mapper modules, as the including crate provides them: compiled in by path
// in the fuzz target (the collector's server crates would triple its build), the collector's
// own in its native replay of the seeds (collector/tests/fuzz_seeds.rs).
use crate::sources::{guard, guest, map};

/// What the HTTP header may say, or nothing (a file source).
const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/rss+xml; charset=ISO-8859-1"),
    Some("application/feed+json"),
    Some("text/xml; charset=utf-8"),
    Some("application/atom+xml; charset=windows-1251"),
    Some("text/xml; charset=UTF-16"),
    Some("application/xml; charset=\"shift_jis\""),
    Some("application/ld+json; charset=bogus"),
];

/// Runs one input through the target; panics on a broken promise.
pub fn check(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else { return };
    let content_type = CONTENT_TYPES[usize::from(choice) % CONTENT_TYPES.len()];
    let trusted = choice & 0x80 != 0;
    let taken: guest::Taken = [("piege-1", "the feed file"), ("kangaba", "the desk"), ("2017061801", "another source")].map(|(id, who)| (id.to_owned(), who)).into();
    let now = chrono::DateTime::from_timestamp(1_796_198_400, 0).unwrap_or_default();
    // Counted, not read from the messages: a feed's own text may say anything.
    let own = guard::own_panics();
    let read = guest::read(body, content_type, &map::Options::default(), now, trusted, &taken);
    assert_eq!(guard::own_panics(), own, "a panic in the collector's own code: {read:?}");
    let Ok(mapped) = read else { return };
    assert!(mapped.items.len() <= guest::MAX_ITEMS_PER_SOURCE);
    for item in &mapped.items {
        assert_eq!(map::widget_refuses(item), None, "{item}");
        let id = item["id"].as_str().unwrap_or_default();
        assert!(!id.trim().is_empty() && id.len() <= guest::MAX_ID_BYTES && !taken.contains_key(id), "{id:?}");
        let len = |key: &str| item.get(key).and_then(Value::as_str).map_or(0, str::len);
        assert!(len("title") <= guest::MAX_TITLE_BYTES && len("summary") <= guest::MAX_SUMMARY_BYTES);
        assert!(len("content_html") <= guest::MAX_CONTENT_BYTES && len("content_text") <= guest::MAX_CONTENT_BYTES);
        let urls = ["url", "external_url", "image", "banner_image"].map(|k| item.get(k));
        let authors = item.get("authors").and_then(Value::as_array).into_iter().flatten().flat_map(|a| [a.get("url"), a.get("avatar")]);
        for url in urls.into_iter().chain(authors).flatten() {
            let u = url.as_str().unwrap_or_default().to_ascii_lowercase();
            assert!((u.starts_with("http://") || u.starts_with("https://")) && u.len() <= guest::MAX_URL_BYTES, "{u:?}");
        }
        for key in ["date_published", "date_modified"] {
            if let Some(d) = item.get(key) {
                let d = d.as_str().unwrap_or_default();
                assert!(!d.contains(":60"), "a leap second the desk cannot read: {d}");
            }
        }
        if !trusted {
            let ext = item.get("_depeche");
            assert!(ext.is_none_or(|x| x.get("views").is_none() && x.get("signature").is_none()), "{item}");
        }
    }
}
