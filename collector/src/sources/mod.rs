//! Feed sources (`--source`): feeds a newsroom already has, fetched in the background at their
//! own pace with conditional requests, mapped to JSON Feed items (`map`), and kept in the
//! store (so that every instance serves them and a restart keeps the last good ones). A
//! source that fails keeps its last good items; each distinct problem is logged once.

pub mod guard;
pub mod map;

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Never fetched more often than this, whatever the source or the configuration says.
pub const MIN_INTERVAL: Duration = Duration::from_secs(15);
/// The pace of a source that says nothing of its own (no `<ttl>`, no `max-age`).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// A failing source is retried after 15 s, doubling up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

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
}

impl Source {
    /// A source with the default options.
    pub fn new(location: &str) -> Source {
        Source { source: location.to_owned(), every: None, urgent_words: None }
    }

    fn options(&self) -> map::Options {
        match &self.urgent_words {
            Some(words) => map::Options { urgent_words: words.clone() },
            None => map::Options::default(),
        }
    }
}

/// Reads a sources file: a JSON array of `{"source": …, "every": 60, "urgent_words": […]}`.
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
    /// More redirects than this are refused (a loop ends here).
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

/// Fetches `source` for ever (until the runtime stops), saving its items through `save` and
/// its status at `statuses[index]`.
pub async fn run(source: Source, limits: Limits, statuses: Statuses, index: usize, save: Save) {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(limits.redirects))
        .timeout(limits.timeout)
        .user_agent(concat!("depeche-collector/", env!("CARGO_PKG_VERSION"), " (feed sources)"))
        .build()
    {
        Ok(c) => c,
        Err(e) => return eprintln!("depeche-collector: source {}: cannot make an HTTP client: {e}", source.source),
    };
    let options = source.options();
    let mut validators = Validators::default();
    // The last body read, mapped again on a 304: an embargo may have lifted since.
    let mut last: Option<(Vec<u8>, Option<String>)> = None;
    let mut failures: u32 = 0;
    let mut said: Option<String> = None;
    let mut said_skipped: Vec<String> = Vec::new();
    loop {
        let now = chrono::Utc::now();
        let fetched = fetch(&client, &source.source, &validators, limits).await;
        let (outcome, max_age) = match fetched {
            Ok(Fetched::NotModified) => match &last {
                Some((bytes, content_type)) => (map::map(bytes, content_type.as_deref(), &options, now), None),
                None => (Err("answered 304 to a first request".to_owned()), None),
            },
            Ok(Fetched::Body { bytes, content_type, validators: v, max_age }) => {
                let mapped = map::map(&bytes, content_type.as_deref(), &options, now);
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
                let ttl = m.ttl.map(|minutes| Duration::from_secs(u64::from(minutes) * 60));
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
        tokio::time::sleep(wait.mul_f64(limits.time_scale)).await;
    }
}

fn update(statuses: &Statuses, index: usize, f: impl FnOnce(&mut Status)) {
    let mut all = statuses.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = all.get_mut(index) {
        f(s);
    }
}

/// The wait before the next fetch of a source that answered: the configured interval, else the
/// source's `max-age`, else its `<ttl>`, else a minute; never under 15 s.
pub fn pace(configured: Option<Duration>, max_age: Option<Duration>, ttl: Option<Duration>) -> Duration {
    configured.or(max_age).or(ttl).unwrap_or(DEFAULT_INTERVAL).max(MIN_INTERVAL)
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
    let max_age = header(reqwest::header::CACHE_CONTROL).and_then(|c| {
        c.split(',').find_map(|d| d.trim().strip_prefix("max-age=").and_then(|n| n.trim().parse::<u64>().ok()))
    });
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
    Ok(Fetched::Body { bytes, content_type, validators, max_age: max_age.map(Duration::from_secs) })
}

fn http_error(e: &reqwest::Error, limits: Limits) -> String {
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
    fn the_pace_is_the_configured_one_else_the_sources_never_under_15_s() {
        let s = Duration::from_secs;
        assert_eq!(pace(Some(s(30)), Some(s(600)), None), s(30));
        assert_eq!(pace(None, Some(s(120)), Some(s(3600))), s(120));
        assert_eq!(pace(None, None, Some(s(3600))), s(3600));
        assert_eq!(pace(None, None, None), DEFAULT_INTERVAL);
        assert_eq!(pace(Some(s(1)), None, None), MIN_INTERVAL);
        assert_eq!(pace(None, Some(s(0)), None), MIN_INTERVAL, "max-age=0 is not a reason to hammer it");
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
    }
}
