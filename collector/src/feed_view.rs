//! The feed as served: made once per change (a new version or new counts), not per request,
//! and the same bytes on every instance for the same version and counts.

use crate::admission::ItemState;
use crate::feed::SourceFeed;
use crate::state::AppState;
use crate::store;
use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// Counts served are at most this old: each instance reads them again, and renders the feed
/// again if anything changed, at most once a second, however many readers ask.
pub const COUNTS_MAX_AGE_MS: u64 = 1000;
/// Each instance reads the feed's version (one row) again at most this often, so that an
/// item published on another instance is served here within this much, plus a request.
pub const VERSION_MAX_AGE_MS: u64 = 250;
/// While the store's change listener is up, the version is still read this often, in case a
/// notification is lost.
pub(crate) const LISTENING_POLL_MS: u64 = 5_000;
/// After this instance counted a beacon, its counts are read again once they are this old, so
/// that a reader's own view shows in the refresh that follows it (the widget asks 1.5 s after).
const COUNTED_MAX_AGE_MS: u64 = 100;
/// A request waits at most this long for the feed to be read again (its own read, or the one
/// it waits for) once a view was made; beyond, or when the store fails, the last good view is
/// served. With the store's bound on a beacon's commit, a beacon is answered within 10 s.
pub const VIEW_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
const _: () = assert!(VIEW_TIMEOUT.as_millis() + store::postgres::COUNT_TIMEOUT.as_millis() < 10_000);
/// While the last good view is served, that is logged at most this often.
const LAST_GOOD_LOG_MS: u64 = 5_000;
/// A beacon for an item this instance does not know yet (published on another instance a
/// moment ago) reads the version again if it is older than this.
pub(crate) const UNKNOWN_ITEM_MAX_AGE_MS: u64 = 50;

/// The feed as served: the file with the published items, its version, the counts it shows,
/// and its bytes and ETag, made once per change. Every instance sharing a database makes the
/// same bytes for the same version and counts (serde_json writes keys in order).
pub(crate) struct FeedView {
    pub(crate) feed: Arc<SourceFeed>,
    /// `-1` until the store has been read once.
    pub(crate) version: i64,
    pub(crate) counts: HashMap<String, u64>,
    pub(crate) body: Bytes,
    pub(crate) etag: String,
    /// When the version was read (the instance's clock).
    pub(crate) version_at: u64,
    /// When the counts were read.
    pub(crate) counts_at: u64,
    /// Published items held until their `date_published` (ms), soonest first, with their id
    /// and JSON: the first view made after that time serves them.
    pub(crate) scheduled: Vec<(u64, String, String)>,
}

impl FeedView {
    /// The view before the store has been read.
    pub(crate) fn empty(base: &SourceFeed) -> FeedView {
        FeedView {
            feed: Arc::new(base.clone()),
            version: -1,
            counts: HashMap::new(),
            body: Bytes::new(),
            etag: String::new(),
            version_at: 0,
            counts_at: 0,
            scheduled: Vec::new(),
        }
    }

    /// What a beacon for `id` counts towards at `now_ms`: an item served now, a withdrawn or
    /// expired one, or none.
    pub(crate) fn item_state(&self, id: &str, now_ms: u64) -> ItemState {
        match self.feed.item(id) {
            Some(item) => crate::admission::item_state(item, now_ms),
            None => ItemState::Unknown,
        }
    }
}

/// Whether a scheduled item of `view` is due at `now_ms`.
pub(crate) fn release_due(view: &FeedView, now_ms: u64) -> bool {
    view.scheduled.first().is_some_and(|(at, ..)| *at <= now_ms)
}

/// When a published item is scheduled: its `date_published` (read as the widget reads it, as
/// `/publish` checked it), if later than `now_ms`.
fn scheduled_at(item: &serde_json::Value, now_ms: u64) -> Option<u64> {
    let at = depeche::rfc3339::parse(item.get("date_published")?.as_str()?)?;
    u64::try_from(at).ok().filter(|at| *at > now_ms)
}

impl AppState {
    /// The feed as served (`refresh`), or the last good view when the store fails or takes
    /// longer than `VIEW_TIMEOUT`: readers keep the feed, and beacons the items it knows (503
    /// from the store then, not 404), while the database is away. An error only before any
    /// view was made.
    pub(crate) async fn view(&self, version_max_age: u64) -> Result<Arc<FeedView>, store::Error> {
        let made = self.inner.view.read().unwrap_or_else(|p| p.into_inner()).version >= 0;
        if !made {
            return self.refresh(version_max_age).await;
        }
        let why = match tokio::time::timeout(VIEW_TIMEOUT, self.refresh(version_max_age)).await {
            Ok(Ok(view)) => return Ok(view),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {VIEW_TIMEOUT:?}"),
        };
        let last = Arc::clone(&self.inner.view.read().unwrap_or_else(|p| p.into_inner()));
        // Said every few seconds while it lasts, not at every request.
        static SAID_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = (self.inner.clock)();
        if now.saturating_sub(SAID_AT.load(std::sync::atomic::Ordering::Relaxed)) >= LAST_GOOD_LOG_MS {
            SAID_AT.store(now, std::sync::atomic::Ordering::Relaxed);
            eprintln!("depeche-collector: serving the last good feed (version {}), the store failed: {why}", last.version);
        }
        Ok(last)
    }

    /// The feed as made now: its version read again if that is `version_max_age` ms old or
    /// older (0: always, after a publish here), its counts if they are a second old, and the
    /// feed rendered again only if either changed.
    async fn refresh(&self, version_max_age: u64) -> Result<Arc<FeedView>, store::Error> {
        let s = &self.inner;
        // Counts are due a second after they were read, or 100 ms after if this instance
        // counted a beacon since.
        let counts_due = |v: &FeedView, now: u64| {
            let counted = s.counted_since.load(std::sync::atomic::Ordering::Relaxed);
            now.saturating_sub(v.counts_at) >= if counted { COUNTED_MAX_AGE_MS } else { COUNTS_MAX_AGE_MS }
        };
        let fresh = |v: &FeedView| {
            let now = (s.clock)();
            v.version >= 0 && now.saturating_sub(v.version_at) < version_max_age && !counts_due(v, now) && !release_due(v, now)
        };
        let current = Arc::clone(&s.view.read().unwrap_or_else(|p| p.into_inner()));
        if fresh(&current) {
            return Ok(current);
        }
        let _one_at_a_time = s.refreshing.lock().await;
        let current = Arc::clone(&s.view.read().unwrap_or_else(|p| p.into_inner()));
        if fresh(&current) {
            return Ok(current);
        }
        let now = (s.clock)();
        // A scheduled item due now is published again as it is: the version it raises tells
        // every instance and every event stream (another instance may do so too: one more
        // event, answered by a 304).
        for (_, id, item) in current.scheduled.iter().take_while(|(at, ..)| *at <= now) {
            s.store.publish(id, item, now).await?;
        }
        let version = s.store.feed_version().await?;
        let changed = version != current.version;
        let (feed, scheduled) = if changed {
            let (feed, scheduled) = self.with_published(now).await?;
            (Arc::new(feed), scheduled)
        } else {
            (Arc::clone(&current.feed), current.scheduled.clone())
        };
        // A new version (a publish, here or elsewhere) reads the counts with it.
        let stale = changed || counts_due(&current, now);
        if stale {
            // Cleared before reading: a beacon counted during the read marks them again.
            s.counted_since.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        let (counts, counts_at) =
            if stale { (self.counts(depeche::beacon::Event::View.name()).await?, now) } else { (current.counts.clone(), current.counts_at) };
        let (body, etag) = if version == current.version && counts == current.counts {
            (current.body.clone(), current.etag.clone())
        } else {
            let (body, etag) = feed.render(&counts);
            (Bytes::from(body), etag)
        };
        self.metrics().feed_version.store(version, std::sync::atomic::Ordering::Relaxed);
        let view = Arc::new(FeedView { feed, version, counts, body, etag, version_at: now, counts_at, scheduled });
        // Served before it is announced: a reader that hears of a version and asks for the
        // feed at once must get it. Announced first, a reader could be answered from the view
        // being replaced, a 304 of the version before, and keep it (seen in push.test under
        // load: the alert missed its second).
        *s.view.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&view);
        // Readers connected to this instance's event stream hear of a new version, and so do
        // those a GRIP proxy holds.
        s.versions.send_if_modified(|v| std::mem::replace(v, version) != version);
        for grip in s.config.grip.iter().filter(|_| changed && current.version >= 0) {
            let grip = grip.clone();
            tokio::spawn(async move {
                if let Err(e) = grip.publish(version).await {
                    eprintln!("depeche-collector: could not publish version {version} to the GRIP proxy ({grip:?}); its readers will poll: {e}");
                }
            });
        }
        Ok(view)
    }

    /// The feed file with every source's items, then every published item (both kept in the
    /// store), applied in order: a publish with a source item's id corrects it. Published
    /// items dated after `now_ms` are held back, and returned apart, soonest first.
    async fn with_published(&self, now_ms: u64) -> Result<(SourceFeed, Vec<(u64, String, String)>), store::Error> {
        let mut feed = self.inner.base.clone();
        crate::sources::apply(&mut feed, self.inner.store.sources().await?, &self.inner.config.sources);
        let mut scheduled = Vec::new();
        for item in self.inner.store.published().await? {
            // Each was checked when it was published; one the feed refuses now is skipped.
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&item) else { continue };
            if let Some(at) = scheduled_at(&value, now_ms) {
                let id = SourceFeed::check_item(&value).unwrap_or_default();
                scheduled.push((at, id, item));
            } else if let Err(why) = feed.upsert(value) {
                eprintln!("depeche-collector: a published item was not applied: {why}");
            }
        }
        scheduled.sort();
        if let Some(key) = &self.inner.config.signing_key {
            feed.sign(key);
        }
        Ok((feed, scheduled))
    }
}
