//! Feed sources (`--source`): feeds a newsroom already has, fetched in the background at their
//! own pace with conditional requests, mapped to JSON Feed items (`map`), and kept in the
//! store (so that every instance serves them and a restart keeps the last good ones). A
//! source that fails keeps its last good items; each distinct problem is logged once.
//!
//! A source is a guest (`guest`): its items never take another's id nor speak for the
//! newsroom; a panic while reading it is its own error (`guard`); its pace has a floor and a
//! ceiling; its redirects stay on its origin.

pub mod guard;
pub mod guest;
pub mod map;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Never fetched more often than this, whatever the source or the configuration says.
pub const MIN_INTERVAL: Duration = Duration::from_secs(15);
/// The pace of a source that says nothing of its own (no `<ttl>`, no `max-age`).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// A failing source is retried after 15 s, doubling up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Never fetched less often than this, whatever the source says (`max-age`, `<ttl>`) or the
/// sources file (`every`): a source that asks to be left for a year is read again in 15
/// minutes.
pub const MAX_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// One configured source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// An `http(s)://` URL, or a file's path.
    pub source: String,
    /// Seconds between fetches, instead of the source's own pace (15 at least).
    #[serde(default)]
    pub every: Option<u64>,
    /// Categories that make an RSS/Atom item urgent, instead of the default words.
    #[serde(default)]
    pub urgent_words: Option<Vec<String>>,
    /// The newsroom's own: its items may take the ids of the feed file and of the desk
    /// (correct or withdraw them) and carry `_depeche.views` and `_depeche.signature`.
    #[serde(default)]
    pub trusted: bool,
}

impl Source {
    /// A source with the default options (a guest: not trusted).
    pub fn new(location: &str) -> Source {
        Source { source: location.to_owned(), every: None, urgent_words: None, trusted: false }
    }

    fn options(&self) -> map::Options {
        match &self.urgent_words {
            Some(words) => map::Options { urgent_words: words.clone() },
            None => map::Options::default(),
        }
    }
}

/// Reads a sources file: a JSON array of `{"source": …, "every": 60, "urgent_words": […],
/// "trusted": false}`.
pub fn read_config(text: &str) -> Result<Vec<Source>, String> {
    serde_json::from_str(text).map_err(|e| format!("the sources file: {e}"))
}

/// Bounds on every fetch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A fetch that takes longer is abandoned.
    pub timeout: Duration,
    /// A larger body is refused.
    pub max_bytes: usize,
    /// More redirects than this are refused (a loop ends here). Only redirects within the
    /// source's origin are followed.
    pub redirects: usize,
    /// Every wait of the schedule is multiplied by this: 1 in service; tests run the same
    /// schedule faster.
    pub time_scale: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { timeout: Duration::from_secs(10), max_bytes: 5_000_000, redirects: 5, time_scale: 1.0 }
    }
}

/// What the collector knows of a source, as `GET /status` shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Status {
    /// The source as configured.
    pub source: String,
    /// The format last read (`rss`, `atom`, `jsonfeed`, `ninjs`, `jsonld`).
    pub format: Option<String>,
    /// Items served from it now.
    pub items: usize,
    /// Entries passed over at the last read, with why.
    pub skipped: Vec<String>,
    /// When it last answered well (ms since the epoch).
    pub last_success_ms: Option<u64>,
    /// Since when it has been failing, if it is (ms since the epoch).
    pub failing_since_ms: Option<u64>,
    /// Why it is failing.
    pub error: Option<String>,
}

/// Every source's status, in configuration order.
pub type Statuses = Arc<Mutex<Vec<Status>>>;

/// What a fetch brought.
enum Fetched {
    NotModified,
    Body { bytes: Vec<u8>, content_type: Option<String>, validators: Validators, max_age: Option<Duration> },
}

/// What makes the next request conditional.
#[derive(Debug, Clone, Default)]
struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// Where a source's items go: the store, which says whether they changed.
pub type Save = Arc<dyn Fn(String, String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, String>> + Send>> + Send + Sync>;

/// The ids a source may not take (`taken`), asked before each read: given the source's
/// location.
pub type TakenIds = Arc<dyn Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<guest::Taken, String>> + Send>> + Send + Sync>;

/// Fetches `source` for ever (until the runtime stops), saving its items through `save` and
/// its status at `statuses[index]`; no id is taken by others.
pub async fn run(source: Source, limits: Limits, statuses: Statuses, index: usize, save: Save) {
    let nothing: TakenIds = Arc::new(|_| Box::pin(async { Ok(guest::Taken::new()) }));
    run_with(source, limits, statuses, index, save, nothing).await
}

/// As `run`, the ids others hold asked of `taken` before each read.
pub async fn run_with(source: Source, limits: Limits, statuses: Statuses, index: usize, save: Save, taken: TakenIds) {
    let client = match reqwest::Client::builder()
        .redirect(same_origin_redirects(limits.redirects))
        .timeout(limits.timeout)
        .user_agent(concat!("depeche-collector/", env!("CARGO_PKG_VERSION"), " (feed sources)"))
        .build()
    {
        Ok(c) => c,
        Err(e) => return eprintln!("depeche-collector: source {}: cannot make an HTTP client: {e}", source.source),
    };
    let options = Arc::new(source.options());
    let mut validators = Validators::default();
    // The last body read, mapped again on a 304: an embargo may have lifted since.
    let mut last: Option<(Arc<Vec<u8>>, Option<String>)> = None;
    let mut failures: u32 = 0;
    let mut said: Option<String> = None;
    let mut said_skipped: Vec<String> = Vec::new();
    loop {
        let now = chrono::Utc::now();
        let fetched = fetch(&client, &source.source, &validators, limits).await;
        let read = |bytes: Arc<Vec<u8>>, content_type: Option<String>| {
            let (options, taken, location, trusted) = (Arc::clone(&options), Arc::clone(&taken), source.source.clone(), source.trusted);
            async move {
                let taken = taken(location).await.map_err(|e| format!("cannot tell which ids are taken: {e}"))?;
                // Off the async workers (a large feed takes a while); a panic is caught inside.
                tokio::task::spawn_blocking(move || guest::read(&bytes, content_type.as_deref(), &options, now, trusted, &taken))
                    .await
                    .unwrap_or_else(|e| Err(format!("reading this feed failed (a bug in depeche-collector): {e}")))
            }
        };
        let (outcome, max_age) = match fetched {
            Ok(Fetched::NotModified) => match &last {
                Some((bytes, content_type)) => (read(Arc::clone(bytes), content_type.clone()).await, None),
                None => (Err("answered 304 to a first request".to_owned()), None),
            },
            Ok(Fetched::Body { bytes, content_type, validators: v, max_age }) => {
                let bytes = Arc::new(bytes);
                let mapped = read(Arc::clone(&bytes), content_type.clone()).await;
                if mapped.is_ok() {
                    validators = v;
                    last = Some((bytes, content_type));
                }
                (mapped, max_age)
            }
            Err(why) => (Err(why), None),
        };
        let saved = match outcome.and_then(|m| serde_json::to_string(&m.items).map(|items| (m, items)).map_err(|e| e.to_string())) {
            Ok((m, items)) => match save(source.source.clone(), items).await {
                Ok(_) => Ok(m),
                Err(e) => Err(format!("could not keep its items: {e}")),
            },
            Err(why) => Err(why),
        };
        let now_ms = now.timestamp_millis().max(0) as u64;
        let wait = match saved {
            Ok(m) => {
                if said.take().is_some() {
                    eprintln!("depeche-collector: source {}: working again", source.source);
                }
                for why in m.skipped.iter().filter(|w| !said_skipped.contains(w)) {
                    eprintln!("depeche-collector: source {}: skipped {why}", source.source);
                }
                said_skipped = m.skipped.clone();
                failures = 0;
                let ttl = m.ttl.map(|minutes| Duration::from_secs(u64::from(minutes).saturating_mul(60)));
                update(&statuses, index, |s| {
                    s.format = Some(format!("{:?}", m.format).to_lowercase());
                    s.items = m.items.len();
                    s.skipped = m.skipped.clone();
                    s.last_success_ms = Some(now_ms);
                    s.failing_since_ms = None;
                    s.error = None;
                });
                pace(source.every.map(Duration::from_secs), max_age, ttl)
            }
            Err(why) => {
                failures = failures.saturating_add(1);
                if said.as_deref() != Some(why.as_str()) {
                    eprintln!("depeche-collector: source {}: {why}; its last good items are still served, retrying", source.source);
                    said = Some(why.clone());
                }
                update(&statuses, index, |s| {
                    s.failing_since_ms.get_or_insert(now_ms);
                    s.error = Some(why);
                });
                backoff(failures)
            }
        };
        tokio::time::sleep(scaled(wait, limits.time_scale)).await;
    }
}

/// `wait` times `scale` (tests run the schedule faster); `wait` itself if that is no duration.
pub fn scaled(wait: Duration, scale: f64) -> Duration {
    Duration::try_from_secs_f64(wait.as_secs_f64() * scale).unwrap_or(wait)
}

/// Where `location` ranks among the configured sources (one no longer configured, after
/// them all): of two sources with an item of the same id, the first configured has it.
fn rank(config: &[Source], location: &str) -> usize {
    config.iter().position(|s| s.source == location).unwrap_or(usize::MAX)
}

fn is_trusted(config: &[Source], location: &str) -> bool {
    config.iter().any(|s| s.source == location && s.trusted)
}

/// The ids of a JSON array of items (as the store keeps a source's, or one published item).
fn ids_in(json: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(items)) => items.iter().filter_map(|i| crate::feed::SourceFeed::check_item(i).ok()).collect(),
        Ok(item) => crate::feed::SourceFeed::check_item(&item).ok().into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// The ids the source at `me` may not take, and whose they are: the feed file's and the
/// desk's (published, scheduled too) unless `me` is trusted, and those of the sources
/// configured before it (whichever was read first: the configuration's order decides, the
/// same on every instance and at every start). An id the source holds already stays its
/// own against the desk: the desk corrects a source's item by publishing with its id.
pub fn taken(base: &crate::feed::SourceFeed, published: &[String], stored: &[(String, String)], config: &[Source], me: &str) -> guest::Taken {
    let mine: HashSet<String> = stored.iter().filter(|(l, _)| l == me).flat_map(|(_, items)| ids_in(items)).collect();
    let mut taken = guest::Taken::new();
    for (_, items) in stored.iter().filter(|(l, _)| l != me && rank(config, l) < rank(config, me)) {
        taken.extend(ids_in(items).into_iter().map(|id| (id, "another source")));
    }
    if !is_trusted(config, me) {
        taken.extend(published.iter().flat_map(|p| ids_in(p)).filter(|id| !mine.contains(id)).map(|id| (id, "the desk")));
        taken.extend(base.ids().map(|id| (id.to_owned(), "the feed file")));
    }
    taken
}

/// The feed file with every stored source's items applied as guests (`guest::admit` again,
/// for items stored before these rules or by another instance): in configuration order, an
/// id already the feed file's (unless the source is trusted) or an earlier source's is not
/// applied (as `taken` says). The desk's items are applied after these, so that a publish with a source
/// item's id corrects it.
pub fn apply(feed: &mut crate::feed::SourceFeed, mut stored: Vec<(String, String)>, config: &[Source]) {
    stored.sort_by_key(|(location, _)| rank(config, location));
    let base: HashSet<String> = feed.ids().map(str::to_owned).collect();
    let mut claimed: HashSet<String> = HashSet::new();
    for (location, items) in stored {
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&items) else { continue };
        let trusted = is_trusted(config, &location);
        let whose = |id: &str| {
            if claimed.contains(id) {
                Some("another source")
            } else if !trusted && base.contains(id) {
                Some("the feed file")
            } else {
                None
            }
        };
        let (items, _) = guest::admit(items, trusted, &whose);
        claimed.extend(items.iter().filter_map(|i| i.get("id").and_then(Value::as_str)).map(str::to_owned));
        // New items go first: the source's own first item is applied last. A trusted
        // source's items are the newsroom's own (it vouches for them: they are signed).
        for item in items.into_iter().rev() {
            let applied = if trusted { feed.upsert(item) } else { feed.upsert_guest(item) };
            if let Err(why) = applied {
                eprintln!("depeche-collector: an item of {location} was not applied: {why}");
            }
        }
    }
}

fn update(statuses: &Statuses, index: usize, f: impl FnOnce(&mut Status)) {
    let mut all = statuses.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = all.get_mut(index) {
        f(s);
    }
}

/// The wait before the next fetch of a source that answered: the configured interval, else the
/// source's `max-age`, else its `<ttl>`, else a minute; never under 15 s nor over 15 minutes.
pub fn pace(configured: Option<Duration>, max_age: Option<Duration>, ttl: Option<Duration>) -> Duration {
    configured.or(max_age).or(ttl).unwrap_or(DEFAULT_INTERVAL).clamp(MIN_INTERVAL, MAX_INTERVAL)
}

/// A `Cache-Control` header's `max-age`; a number too large for any duration is the longest
/// (`pace` then applies its ceiling).
pub fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(value.parse::<u64>().map_or(Duration::MAX, Duration::from_secs))
    })
}

/// Why a redirect was not followed: it led off the source's origin.
#[derive(Debug)]
struct OffOrigin(String);

impl std::fmt::Display for OffOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "redirected to another origin ({}), not followed: a source is read only from its own scheme, host and port; configure that URL if it is right", self.0)
    }
}

impl std::error::Error for OffOrigin {}

/// Redirects are followed within the origin (scheme, host and port) of the configured URL
/// only, at most `limit` of them. Another port is another origin: a service the source's
/// host keeps to itself (an admin port, a database) listens on one, and so does one on
/// another host.
fn same_origin_redirects(limit: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let from = attempt.previous().first().map(reqwest::Url::origin);
        let to = attempt.url().origin();
        if from.as_ref().is_some_and(|from| *from != to) {
            let shown = to.ascii_serialization();
            attempt.error(OffOrigin(shown))
        } else if attempt.previous().len() > limit {
            attempt.error(format!("more than {limit} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// The wait after `failures` failures in a row (1 or more): 15 s, doubling, up to 10 minutes.
pub fn backoff(failures: u32) -> Duration {
    MIN_INTERVAL.saturating_mul(1 << failures.saturating_sub(1).min(10)).min(MAX_BACKOFF)
}

async fn fetch(client: &reqwest::Client, location: &str, validators: &Validators, limits: Limits) -> Result<Fetched, String> {
    if !(location.starts_with("http://") || location.starts_with("https://")) {
        let bytes = tokio::fs::read(location).await.map_err(|e| format!("cannot read the file: {e}"))?;
        if bytes.len() > limits.max_bytes {
            return Err(format!("larger than {} bytes; not read", limits.max_bytes));
        }
        return Ok(Fetched::Body { bytes, content_type: None, validators: Validators::default(), max_age: None });
    }
    let mut request = client.get(location);
    if let Some(etag) = &validators.etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &validators.last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
    }
    let mut response = request.send().await.map_err(|e| http_error(&e, limits))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(format!("answered HTTP {}", status.as_u16()));
    }
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let validators = Validators { etag: header(reqwest::header::ETAG), last_modified: header(reqwest::header::LAST_MODIFIED) };
    let max_age = header(reqwest::header::CACHE_CONTROL).and_then(|c| max_age(&c));
    if response.content_length().is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(format!("larger than {} bytes; not read", limits.max_bytes));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| http_error(&e, limits))? {
        if bytes.len() + chunk.len() > limits.max_bytes {
            return Err(format!("larger than {} bytes; not read", limits.max_bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body { bytes, content_type, validators, max_age })
}

fn http_error(e: &reqwest::Error, limits: Limits) -> String {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(off) = c.downcast_ref::<OffOrigin>() {
            return off.to_string();
        }
        cause = c.source();
    }
    if e.is_timeout() {
        format!("no answer within {} s", limits.timeout.as_secs())
    } else if e.is_redirect() {
        format!("more than {} redirects (a loop?)", limits.redirects)
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the body was cut short".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_is_the_configured_one_else_the_sources_from_15_s_to_15_minutes() {
        let s = Duration::from_secs;
        assert_eq!(pace(Some(s(30)), Some(s(600)), None), s(30));
        assert_eq!(pace(None, Some(s(120)), Some(s(3600))), s(120));
        assert_eq!(pace(None, None, Some(s(600))), s(600));
        assert_eq!(pace(None, None, None), DEFAULT_INTERVAL);
        assert_eq!(pace(Some(s(1)), None, None), MIN_INTERVAL);
        assert_eq!(pace(None, Some(s(0)), None), MIN_INTERVAL, "max-age=0 is not a reason to hammer it");
        assert_eq!(pace(None, None, Some(s(3600))), MAX_INTERVAL, "a <ttl> of an hour");
        assert_eq!(pace(None, Some(s(31_536_000)), None), MAX_INTERVAL, "max-age of a year");
        assert_eq!(pace(Some(s(u64::MAX)), None, None), MAX_INTERVAL);
        assert_eq!(pace(None, Some(Duration::MAX), None), MAX_INTERVAL);
    }

    #[test]
    fn max_age_is_read_and_saturates() {
        let s = Duration::from_secs;
        assert_eq!(max_age("public, max-age=300"), Some(s(300)));
        assert_eq!(max_age("MAX-AGE = \"60\", no-cache"), Some(s(60)));
        assert_eq!(max_age("max-age=18446744073709551615"), Some(s(u64::MAX)));
        assert_eq!(max_age("max-age=99999999999999999999999"), Some(Duration::MAX));
        assert_eq!(max_age("max-age=-1"), None);
        assert_eq!(max_age("max-age=1e9"), None);
        assert_eq!(max_age("s-maxage=5, no-store"), None);
    }

    #[test]
    fn the_schedule_scales_without_overflow() {
        assert_eq!(scaled(Duration::from_secs(100), 0.5), Duration::from_secs(50));
        assert_eq!(scaled(Duration::MAX, 1.0), Duration::MAX, "too large for a float's product: as it is");
        assert_eq!(scaled(Duration::from_secs(u64::MAX), 2.0), Duration::from_secs(u64::MAX));
        assert_eq!(scaled(Duration::from_secs(10), f64::NAN), Duration::from_secs(10));
        assert_eq!(scaled(Duration::from_secs(10), -1.0), Duration::from_secs(10));
    }

    fn feed_file() -> crate::feed::SourceFeed {
        crate::feed::SourceFeed::from_json(r#"{"items":[{"id":"own","title":"Le journal"}]}"#).unwrap()
    }

    #[test]
    fn ids_taken_by_the_file_the_desk_and_other_sources() {
        let config = [Source::new("a"), Source::new("b"), Source { trusted: true, ..Source::new("cms") }];
        let stored = [
            ("a".to_owned(), r#"[{"id":"a1","title":"T"},{"id":"both","title":"T"}]"#.to_owned()),
            ("b".to_owned(), r#"[{"id":"b1","title":"T"},{"id":"both","title":"T"},{"id":"corrected","title":"T"}]"#.to_owned()),
        ];
        let published = [r#"{"id":"desk","title":"T"}"#.to_owned(), r#"{"id":"corrected","title":"T"}"#.to_owned()];
        let t = taken(&feed_file(), &published, &stored, &config, "b");
        assert_eq!(t.get("own"), Some(&"the feed file"));
        assert_eq!(t.get("desk"), Some(&"the desk"));
        assert_eq!(t.get("corrected"), None, "b's own item, which the desk corrected, stays b's");
        assert_eq!(t.get("a1"), Some(&"another source"));
        assert_eq!(t.get("both"), Some(&"another source"), "held by both: the first configured has it");
        assert_eq!(t.get("b1"), None);
        let t = taken(&feed_file(), &published, &stored, &config, "a");
        assert_eq!(t.get("both"), None);
        assert_eq!(t.get("b1"), None, "a later source's id: the first configured may take it");
        assert!(t.contains_key("corrected"), "b's, which the desk corrected");
        let t = taken(&feed_file(), &published, &stored, &config, "cms");
        assert!(!t.contains_key("own") && !t.contains_key("desk"), "trusted: may correct the newsroom's items");
        assert_eq!(t.get("a1"), Some(&"another source"));
    }

    #[test]
    fn stored_items_are_applied_as_guests() {
        let config = [Source::new("a"), Source::new("b"), Source { trusted: true, ..Source::new("cms") }];
        let stored = vec![
            ("b".to_owned(), r#"[{"id":"shared","title":"B"},{"id":"own","title":"FAUX","_depeche":{"status":"withdrawn","views":987654322}}]"#.to_owned()),
            ("a".to_owned(), r#"[{"id":"shared","title":"A","url":"javascript:x","_depeche":{"views":9,"signature":"La rédaction"}}]"#.to_owned()),
            ("gone".to_owned(), r#"[{"id":"old","title":"O","_depeche":{"views":5}}]"#.to_owned()),
            ("cms".to_owned(), r#"[{"id":"own","title":"Corrigé","_depeche":{"views":376}}]"#.to_owned()),
        ];
        let mut feed = feed_file();
        apply(&mut feed, stored, &config);
        let v: Value = serde_json::from_slice(&feed.render(&std::collections::HashMap::new()).0).unwrap();
        let item = |id: &str| v["items"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned().unwrap();
        assert_eq!(item("shared"), serde_json::json!({"id":"shared","title":"A"}), "a's (configured first), without its URL, count or signature");
        assert_eq!(item("own"), serde_json::json!({"id":"own","title":"Corrigé","_depeche":{"views":376}}), "only the trusted source corrects the file");
        assert_eq!(item("old"), serde_json::json!({"id":"old","title":"O"}), "a source no longer configured is a guest");
        assert_eq!(v["items"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn failures_back_off_from_15_s_to_10_minutes() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn a_sources_file_with_per_source_options() {
        let all = read_config(r#"[{"source":"https://a.example/rss","every":30},{"source":"/srv/agence.json","urgent_words":["flash"]}]"#).unwrap_or_default();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].every, Some(30));
        assert_eq!(all[1].options().urgent_words, ["flash"]);
        assert!(read_config(r#"[{"source":"x","evry":3}]"#).unwrap_err().contains("unknown field"));
        let trusted = read_config(r#"[{"source":"/srv/cms.json","trusted":true},{"source":"x"}]"#).unwrap_or_default();
        assert!(trusted[0].trusted && !trusted[1].trusted);
    }
}
