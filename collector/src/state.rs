//! The collector's shared state: its configuration, the store, the served feed's cache
//! (`feed_view`), the in-memory limiters, and the background loops that keep them current.

use crate::client::Cidr;
use crate::feed::SourceFeed;
use crate::feed_view::FeedView;
use crate::limits::{RateLimiter, UserAgentCap};
use crate::store::{self, Store};
use crate::visitor::Salts;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// What the server serves besides the API, and how it decides whom to trust.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The demo pages and the loader, served at `/`.
    pub www: Option<PathBuf>,
    /// wasm-pack's output, served at `/pkg` (precompressed copies when the client accepts
    /// them); the built loader in it (minified, with the wasm's glue inside), if any, at
    /// `/embed.js`.
    pub pkg: Option<PathBuf>,
    /// The collector's own origins (`https://news.example`): a beacon from a page of one of
    /// these is the publisher's own. From the configuration only, never from a request's `Host`.
    pub own_origins: Vec<String>,
    /// Origins allowed to read the feed and send beacons cross-origin.
    pub allowed_origins: Vec<String>,
    /// Beacons a minute per IP address (0: unlimited).
    pub rate_limit_per_minute: u32,
    /// Bearer token of the desk's endpoints (`/publish`, `/items`, `/stats`, `/status`,
    /// `/metrics`); without one, they are off.
    pub publish_token: Option<String>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` say who the client is.
    pub trusted_proxies: Vec<Cidr>,
    /// Event streams (`GET /events`) open at once at most; beyond, 503 (0: the default, 1000).
    pub max_streams: usize,
    /// Event streams open at once from one client address at most; beyond, 503 (0: the
    /// default, `server::STREAMS_PER_ADDRESS`).
    pub streams_per_address: usize,
    /// A GRIP proxy (Pushpin) holding the event streams: new versions are published to it,
    /// and `/events` requests that it signed are answered for it to hold.
    pub grip: Vec<crate::grip::Publisher>,
    /// The key the GRIP proxy signs its requests with (Pushpin's `sig_key`).
    pub grip_key: Option<crate::grip::SigKey>,
    /// The newsroom's signing key: its items are served signed (`_depeche.sig`).
    pub signing_key: Option<crate::signing::NewsroomKey>,
    /// The keys the newsroom's widget snippets trust (`data-key`'s tokens, `ed25519:…`), if it
    /// said: the desk then publishes only when `signing_key` is one of them.
    pub widget_keys: Option<Vec<String>>,
    /// Feeds to fetch in the background and serve beside the feed file (`start_sources`).
    pub sources: Vec<crate::sources::Source>,
    /// Bounds on each fetch of a source.
    pub source_limits: crate::sources::Limits,
    /// What `/metrics` says: the handlers' counters, and the store's writer's when it was
    /// opened with the same (`store::open_with`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Box<dyn Store>,
    /// The feed file, before published items.
    pub(crate) base: SourceFeed,
    /// What `GET /feed.json` serves now; replaced, never changed in place.
    pub(crate) view: RwLock<Arc<FeedView>>,
    /// One refresh at a time: the others wait for it and serve what it made.
    pub(crate) refreshing: tokio::sync::Mutex<()>,
    /// This instance counted a beacon since the counts were last read.
    pub(crate) counted_since: std::sync::atomic::AtomicBool,
    /// The feed version served, for the event streams.
    pub(crate) versions: tokio::sync::watch::Sender<i64>,
    /// Permits for open event streams.
    pub(crate) streams: Arc<tokio::sync::Semaphore>,
    /// Open event streams per client address, so that one client cannot hold every permit.
    pub(crate) streams_per_address: crate::server::StreamsPerAddress,
    /// What is known of each feed source, for `GET /status`.
    pub(crate) statuses: crate::sources::Statuses,
    pub(crate) salts: Salts,
    pub(crate) limiter: RateLimiter,
    /// Failed token checks, per address.
    pub(crate) failed_auth: RateLimiter,
    /// Distinct User-Agents counted per address and item.
    pub(crate) user_agents: UserAgentCap,
    pub(crate) clock: Box<dyn Fn() -> u64 + Send + Sync>,
    pub(crate) config: Config,
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn system_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Streams open at once by default.
pub const DEFAULT_MAX_STREAMS: usize = 1000;
/// Failed token checks allowed per address and minute; beyond, 429 (the right token still works).
pub const FAILED_AUTH_PER_MINUTE: u32 = 10;

impl AppState {
    /// State over a store and the source feed, with the items published before (kept in the
    /// store) applied to it; `clock` gives the time in ms (tests move it by hand).
    pub async fn open(
        store: Box<dyn Store>,
        base: SourceFeed,
        config: Config,
        clock: impl Fn() -> u64 + Send + Sync + 'static,
    ) -> Result<Self, store::Error> {
        let salts = Salts::new(store.secret().await?);
        let limiter = RateLimiter::new(config.rate_limit_per_minute);
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                view: RwLock::new(Arc::new(FeedView::empty(&base))),
                base,
                refreshing: tokio::sync::Mutex::new(()),
                counted_since: std::sync::atomic::AtomicBool::new(false),
                versions: tokio::sync::watch::Sender::new(-1),
                streams: Arc::new(tokio::sync::Semaphore::new(if config.max_streams == 0 { DEFAULT_MAX_STREAMS } else { config.max_streams })),
                streams_per_address: crate::server::StreamsPerAddress::new(match config.streams_per_address {
                    0 => crate::server::STREAMS_PER_ADDRESS,
                    n => n,
                }),
                statuses: Arc::new(std::sync::Mutex::new(
                    config.sources.iter().map(|s| crate::sources::Status { source: s.source.clone(), ..Default::default() }).collect(),
                )),
                salts,
                limiter,
                failed_auth: RateLimiter::new(FAILED_AUTH_PER_MINUTE),
                user_agents: UserAgentCap::default(),
                clock: Box::new(clock),
                config,
            }),
        };
        state.view(0).await?;
        Ok(state)
    }

    /// The time now, in ms since the epoch (the state's clock).
    pub fn now(&self) -> u64 {
        (self.inner.clock)()
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store, for checks after a run.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The collector's metrics.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.inner.config.metrics
    }

    /// Keeps this instance's event streams current with publishes made on any instance: at
    /// once on the store's notification (PostgreSQL's LISTEN/NOTIFY), else by reading the
    /// version every `VERSION_MAX_AGE_MS` (also while the listener is reconnecting), and every
    /// `LISTENING_POLL_MS` even while it listens, in case a notification is lost. Runs until
    /// the state is dropped (`main` starts it).
    pub async fn watch_versions(self) {
        use crate::feed_view::{release_due, LISTENING_POLL_MS, VERSION_MAX_AGE_MS};
        let mut changes = self.inner.store.changes();
        let weak = Arc::downgrade(&self.inner);
        drop(self);
        loop {
            let listening = changes.as_ref().is_some_and(|c| c.borrow().listening);
            // A scheduled item is released on time even if no reader asks for the feed then.
            let release_in = weak.upgrade().and_then(|inner| {
                let at = inner.view.read().unwrap_or_else(|p| p.into_inner()).scheduled.first().map(|(at, ..)| *at)?;
                Some(at.saturating_sub((inner.clock)()))
            });
            let poll_ms = if listening { LISTENING_POLL_MS } else { VERSION_MAX_AGE_MS };
            let poll = std::time::Duration::from_millis(release_in.map_or(poll_ms, |ms| ms.min(poll_ms)));
            let heard = match changes.as_mut() {
                Some(c) => tokio::select! {
                    r = c.changed() => r.is_ok(),
                    () = tokio::time::sleep(poll) => false,
                },
                None => {
                    tokio::time::sleep(poll).await;
                    false
                }
            };
            let Some(inner) = weak.upgrade() else { return };
            let due = release_due(&inner.view.read().unwrap_or_else(|p| p.into_inner()), (inner.clock)());
            if due || inner.versions.receiver_count() > 0 || !inner.config.grip.is_empty() {
                // A notification means the version has changed: read it now, whatever its age.
                let max_age = if heard { 0 } else { VERSION_MAX_AGE_MS };
                if let Err(e) = (AppState { inner }).view(max_age).await {
                    eprintln!("depeche-collector: cannot read the feed's version for the event streams, will retry: {e}");
                }
            }
        }
    }

    /// Fetches every configured source in the background, for as long as the runtime runs;
    /// their items are kept in the store (`main` calls this once).
    pub fn start_sources(&self) {
        for (index, source) in self.inner.config.sources.iter().enumerate() {
            let state = self.clone();
            let save: crate::sources::Save = Arc::new(move |source, items| {
                let state = state.clone();
                Box::pin(async move {
                    let changed = state.inner.store.set_source(&source, &items).await.map_err(|e| e.to_string())?;
                    if changed {
                        // Served (and pushed) at once here; the other instances hear of it.
                        state.view(0).await.map_err(|e| e.to_string())?;
                    }
                    Ok(changed)
                })
            });
            // The ids the source may not take, read afresh before each of its reads.
            let state = self.clone();
            let taken: crate::sources::TakenIds = Arc::new(move |me| {
                let state = state.clone();
                Box::pin(async move {
                    let published = state.inner.store.published().await.map_err(|e| e.to_string())?;
                    let stored = state.inner.store.sources().await.map_err(|e| e.to_string())?;
                    Ok(crate::sources::taken(&state.inner.base, &published, &stored, &state.inner.config.sources, &me))
                })
            });
            let (limits, statuses) = (self.inner.config.source_limits, Arc::clone(&self.inner.statuses));
            tokio::spawn(crate::sources::run_with(source.clone(), limits, statuses, index, save, taken));
        }
    }

    /// Each source's status, for `GET /status`.
    pub fn source_statuses(&self) -> Vec<crate::sources::Status> {
        self.inner.statuses.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The counts of `event` as the store has them.
    pub(crate) async fn counts(&self, event: &'static str) -> Result<HashMap<String, u64>, store::Error> {
        self.inner.store.counts(event).await
    }
}
