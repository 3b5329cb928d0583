//! Everything the collector keeps: counts, the dedupe set, published items and the secret
//! behind the daily salts. One [`Store`] trait, one implementation per backend (SQLite,
//! embedded, the default; PostgreSQL, shared by several instances), and the same tests run
//! against both (`tests/store.rs`).
//!
//! A beacon is acknowledged only once its transaction is committed, on either backend: both
//! batch what has queued up into one transaction, aggregated by (item, event), so that a
//! story read by everyone at once is one row updated per batch, not one lock per beacon.

pub mod postgres;
pub mod sqlite;

use crate::metrics::Metrics;
use crate::visitor::VisitorId;
use std::sync::Arc;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

/// Events committed together at most.
pub const MAX_BATCH: usize = 512;
/// Beacons waiting for the writer at most; beyond, the collector answers 503.
pub const MAX_QUEUE: usize = 8192;
/// A view counts at most once per visitor, item and event in this window.
pub const DEDUPE_WINDOW_MS: u64 = 30 * 60 * 1000;

/// A future returned by the store.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Why the store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The writer's queue is full: the store is falling behind. Retry later.
    Busy,
    /// The database refused or could not be reached; the text says why.
    Database(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Error::Busy => write!(f, "the store's writer is behind (queue full)"),
            Error::Database(why) => write!(f, "{why}"),
        }
    }
}

/// One reader event to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The visitor under today's salt, and under yesterday's (a visitor seen before midnight
    /// is the same one after it).
    pub visitor: (VisitorId, Option<VisitorId>),
    /// The item's feed id.
    pub item: String,
    /// `view` or `read`.
    pub event: &'static str,
    /// When, in ms since the Unix epoch.
    pub now_ms: u64,
    /// The origin of the page it was read on (the publisher's or a partner's); empty if
    /// unknown. Kept, per minute, in the counts over time: never the visitor.
    pub origin: String,
}

/// Counts over time: views or reads of one item from one origin in one span of time. Nothing
/// else is kept over time: no visitor, address or User-Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The item's feed id.
    pub item: String,
    /// `view` or `read`.
    pub event: String,
    /// Where the span starts, in ms since the Unix epoch.
    pub start_ms: u64,
    /// A minute, an hour or a day, in ms.
    pub span_ms: u64,
    /// The page's origin.
    pub origin: String,
    /// How many were counted.
    pub n: u64,
}

/// A minute, in ms: counts over time are first kept per minute…
pub const MINUTE_MS: u64 = 60_000;
/// …rolled up into hours once they are this old…
pub const MINUTES_KEPT_MS: u64 = 2 * 3_600_000;
/// An hour, in ms.
pub const HOUR_MS: u64 = 3_600_000;
/// …and into days once they are this old, so that the store does not grow without bound.
pub const HOURS_KEPT_MS: u64 = 14 * 86_400_000;
/// A day, in ms.
pub const DAY_MS: u64 = 86_400_000;

/// The spans rolled up by `expire` at `now_ms`: (from, to, older than this start).
pub fn rollups(now_ms: u64) -> [(u64, u64, u64); 2] {
    let cut = |kept: u64, to: u64| now_ms.saturating_sub(kept) / to * to;
    [(MINUTE_MS, HOUR_MS, cut(MINUTES_KEPT_MS, HOUR_MS)), (HOUR_MS, DAY_MS, cut(HOURS_KEPT_MS, DAY_MS))]
}

/// A per-minute bucket's key: (item, event, minute's start in ms, origin).
pub type MinuteKey<'a> = (&'a str, &'static str, i64, &'a str);

/// The counted hits of a batch as per-minute buckets to add, each with its count.
pub fn per_minute<'a>(counted: impl Iterator<Item = &'a Hit>) -> Vec<(MinuteKey<'a>, i64)> {
    let mut sums = std::collections::BTreeMap::new();
    for hit in counted {
        let minute = (hit.now_ms / MINUTE_MS * MINUTE_MS) as i64;
        *sums.entry((hit.item.as_str(), hit.event, minute, hit.origin.as_str())).or_insert(0) += 1;
    }
    sums.into_iter().collect()
}

/// What became of a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted, and committed.
    Counted,
    /// The visitor had this event for this item within the window: not counted, and the
    /// window is not extended.
    Duplicate,
}

/// The collector's storage.
pub trait Store: Send + Sync {
    /// Counts `hit` unless it is a duplicate; answers once the decision is committed. The
    /// dedupe entry is written in the same transaction as the count, never without it.
    fn count(&self, hit: Hit) -> Fut<'_, Outcome>;
    /// Every item's count of `event`.
    fn counts(&self, event: &'static str) -> Fut<'_, HashMap<String, u64>>;
    /// Stores a published item (a JSON Feed item as JSON text), or replaces the one with its
    /// id, and raises the feed's version in the same transaction; an item keeps the time it
    /// was first published, which orders the feed.
    fn publish(&self, id: &str, item_json: &str, now_ms: u64) -> Fut<'_, ()>;
    /// Every published item as JSON text, first published first.
    fn published(&self) -> Fut<'_, Vec<String>>;
    /// Keeps a feed source's items (a JSON array as text) and raises the feed's version in the
    /// same transaction, unless they are the ones kept already; returns whether they changed.
    /// Every instance fetches its sources, and the first to see a change stores it.
    fn set_source(&self, source: &str, items_json: &str) -> Fut<'_, bool>;
    /// Every source's items, as `(source, JSON array)`, by source.
    fn sources(&self) -> Fut<'_, Vec<(String, String)>>;
    /// The feed's version: raised by every publish, so that each instance knows when to
    /// read the published items again.
    fn feed_version(&self) -> Fut<'_, i64>;
    /// The secret the daily salts are derived from: made once, then the same for every
    /// instance sharing the database.
    fn secret(&self) -> Fut<'_, [u8; 32]>;
    /// Deletes dedupe entries expired at `now_ms` (returns how many), and rolls counts over
    /// time up (`rollups`): minutes into hours, hours into days, the totals unchanged.
    fn expire(&self, now_ms: u64) -> Fut<'_, u64>;
    /// Counts over time whose span ends after `since_ms`, for every item.
    fn buckets(&self, since_ms: u64) -> Fut<'_, Vec<Bucket>>;
    /// The schema version the database is at.
    fn schema_version(&self) -> Fut<'_, i64>;
    /// Where a publish by any instance is heard at once, if the backend can tell (PostgreSQL's
    /// LISTEN/NOTIFY); `None` when the version must be polled (SQLite: one process, whose own
    /// publishes are applied as they are made).
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<Changes>> {
        None
    }
}

/// What a store's change listener has heard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// Whether it is listening now: while it is not, publishes elsewhere go unheard and the
    /// version must be polled.
    pub listening: bool,
    /// Raised on each publish heard, and on each (re)connection, since a publish may have
    /// been missed while it was away.
    pub seq: u64,
}

/// The schema, one migration per version, applied in order at start (each backend has its
/// own text for them).
pub const SCHEMA_VERSION: i64 = 4;

/// Opens the store named by `url`: `sqlite:PATH` or `postgres://…` (also `postgresql://`,
/// and tokio-postgres's `host=… dbname=…` form after `postgres:`).
pub async fn open(url: &str) -> Result<Box<dyn Store>, Error> {
    open_with(url, Arc::default()).await
}

/// As `open`, the store's writer keeping its queue depth and commit times in `metrics` (the
/// collector's: the store has no metrics of its own to show).
pub async fn open_with(url: &str, metrics: Arc<Metrics>) -> Result<Box<dyn Store>, Error> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = std::path::PathBuf::from(path);
        let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open_with(&path, metrics))
            .await
            .map_err(|e| Error::Database(e.to_string()))??;
        return Ok(Box::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PgStore::open_with(url, metrics).await?));
    }
    if let Some(conninfo) = url.strip_prefix("postgres:") {
        return Ok(Box::new(postgres::PgStore::open_with(conninfo, metrics).await?));
    }
    Err(Error::Database(format!("{url}: the database URL must start with sqlite: or postgres://")))
}

/// Copies the database named by `url` (`sqlite:PATH`) into the new file `out` while a
/// collector may be using it (see [`sqlite::backup`]). PostgreSQL is refused: its own tools
/// (`pg_dump`, base backups) are the ones that take a consistent copy there.
pub fn backup(url: &str, out: &std::path::Path) -> Result<sqlite::BackupReport, Error> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return sqlite::backup(std::path::Path::new(path), out);
    }
    if url.starts_with("postgres") {
        return Err(Error::Database(
            "backup copies a SQLite database; for PostgreSQL use its own tools (pg_dump -Fc, or a base backup with pg_basebackup)".into(),
        ));
    }
    Err(Error::Database("the database URL must start with sqlite: (backup copies a SQLite database)".into()))
}

/// A hit waiting for a writer, and where its outcome goes.
pub(crate) struct Job {
    pub hit: Hit,
    pub done: tokio::sync::oneshot::Sender<Result<Outcome, Error>>,
}

/// Whether a job got into a writer's queue.
pub(crate) enum Queued {
    Yes,
    /// The queue is at its bound.
    Full,
    /// The writer has stopped.
    Closed,
}

/// Queues `hit` through `send` (each backend's channel) and answers once its writer has
/// committed it; a full queue answers `Busy` at once.
pub(crate) fn enqueue<'a>(hit: Hit, metrics: &Metrics, send: impl FnOnce(Job) -> Queued) -> Fut<'a, Outcome> {
    let (done, answer) = tokio::sync::oneshot::channel();
    let queued = send(Job { hit, done });
    if matches!(queued, Queued::Yes) {
        metrics.queue_depth.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let stopped = || Error::Database("the store's writer has stopped".into());
    Box::pin(async move {
        match queued {
            Queued::Yes => answer.await.map_err(|_| stopped())?,
            Queued::Full => Err(Error::Busy),
            Queued::Closed => Err(stopped()),
        }
    })
}

/// A random secret for a new database.
pub fn new_secret() -> [u8; 32] {
    use rand::RngCore;
    let mut s = [0u8; 32];
    rand::rng().fill_bytes(&mut s);
    s
}

/// Hits grouped for one transaction: the order in which rows are locked is the same in every
/// instance (sorted by key), so that two instances' batches never deadlock.
pub fn lock_order(batch: &[Hit]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&batch[a], &batch[b]);
        (&x.visitor.0, &x.item, x.event).cmp(&(&y.visitor.0, &y.item, y.event)).then(a.cmp(&b))
    });
    order
}

/// The counts to add, one per (item, event), in a stable order.
pub fn aggregate<'a>(counted: impl Iterator<Item = &'a Hit>) -> Vec<((&'a str, &'static str), i64)> {
    let mut sums = std::collections::BTreeMap::new();
    for hit in counted {
        *sums.entry((hit.item.as_str(), hit.event)).or_insert(0) += 1;
    }
    sums.into_iter().collect()
}
