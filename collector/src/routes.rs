//! The HTTP surface: feed, beacon, and the demo's static files.

use crate::beacon::{self, BeaconError, Event};
use crate::client::{client_ip, rate_key, Cidr};
use crate::feed::SourceFeed;
use crate::limits::RateLimiter;
use crate::store::{self, Hit, Outcome, Store};
use crate::visitor::{is_bot, Salts};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// What the server serves besides the API.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The demo pages and the loader, served at `/`.
    pub www: Option<PathBuf>,
    /// wasm-pack's output, served at `/pkg` (precompressed copies when the client accepts
    /// them); the built loader in it (minified, with the wasm's glue inside), if any, at
    /// `/embed.js`.
    pub pkg: Option<PathBuf>,
    /// Origins allowed to read the feed and send beacons cross-origin.
    pub allowed_origins: Vec<String>,
    /// Beacons a minute per IP address (0: unlimited).
    pub rate_limit_per_minute: u32,
    /// Bearer token of `POST /publish`; without one, publishing is off.
    pub publish_token: Option<String>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` say who the client is.
    pub trusted_proxies: Vec<Cidr>,
    /// Event streams (`GET /events`) open at once at most; beyond, 503 (0: the default, 1000).
    pub max_streams: usize,
    /// A GRIP proxy (Pushpin) holding the event streams: new versions are published to it,
    /// and `/events` requests that come through it are answered for it to hold.
    pub grip: Vec<crate::grip::Publisher>,
    /// Feeds to fetch in the background and serve beside the feed file (`start_sources`).
    pub sources: Vec<crate::sources::Source>,
    /// Bounds on each fetch of a source.
    pub source_limits: crate::sources::Limits,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Box<dyn Store>,
    /// The feed file, before published items.
    base: SourceFeed,
    /// What `GET /feed.json` serves now; replaced, never changed in place.
    view: RwLock<Arc<FeedView>>,
    /// One refresh at a time: the others wait for it and serve what it made.
    refreshing: tokio::sync::Mutex<()>,
    /// This instance counted a beacon since the counts were last read.
    counted_since: std::sync::atomic::AtomicBool,
    /// The feed version served, for the event streams.
    versions: tokio::sync::watch::Sender<i64>,
    /// Permits for open event streams.
    streams: Arc<tokio::sync::Semaphore>,
    /// What is known of each feed source, for `GET /status`.
    statuses: crate::sources::Statuses,
    salts: Salts,
    limiter: RateLimiter,
    /// Failed token checks, per address.
    failed_auth: RateLimiter,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
    config: Config,
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn system_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Counts served are at most this old: each instance reads them again, and renders the feed
/// again if anything changed, at most once a second, however many readers ask.
pub const COUNTS_MAX_AGE_MS: u64 = 1000;
/// Each instance reads the feed's version (one row) again at most this often, so that an
/// item published on another instance is served here within this much, plus a request.
pub const VERSION_MAX_AGE_MS: u64 = 250;
/// While the store's change listener is up, the version is still read this often, in case a
/// notification is lost.
const LISTENING_POLL_MS: u64 = 5_000;
/// After this instance counted a beacon, its counts are read again once they are this old, so
/// that a reader's own view shows in the refresh that follows it (the widget asks 1.5 s after).
const COUNTED_MAX_AGE_MS: u64 = 100;
/// A beacon for an item this instance does not know yet (published on another instance a
/// moment ago) reads the version again if it is older than this.
const UNKNOWN_ITEM_MAX_AGE_MS: u64 = 50;

/// The feed as served: the file with the published items, its version, the counts it shows,
/// and its bytes and ETag, made once per change. Every instance sharing a database makes the
/// same bytes for the same version and counts (serde_json writes keys in order).
struct FeedView {
    feed: Arc<SourceFeed>,
    version: i64,
    counts: HashMap<String, u64>,
    body: Bytes,
    etag: String,
    /// When the version was read (the instance's clock).
    version_at: u64,
    /// When the counts were read.
    counts_at: u64,
    /// Published items held until their `date_published` (ms), soonest first, with their id
    /// and JSON: the first view made after that time serves them.
    scheduled: Vec<(u64, String, String)>,
}

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
        let empty = FeedView { feed: Arc::new(base.clone()), version: -1, counts: HashMap::new(), body: Bytes::new(), etag: String::new(), version_at: 0, counts_at: 0, scheduled: Vec::new() };
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                base,
                view: RwLock::new(Arc::new(empty)),
                refreshing: tokio::sync::Mutex::new(()),
                counted_since: std::sync::atomic::AtomicBool::new(false),
                versions: tokio::sync::watch::Sender::new(-1),
                streams: Arc::new(tokio::sync::Semaphore::new(if config.max_streams == 0 { DEFAULT_MAX_STREAMS } else { config.max_streams })),
                statuses: Arc::new(std::sync::Mutex::new(
                    config.sources.iter().map(|s| crate::sources::Status { source: s.source.clone(), ..Default::default() }).collect(),
                )),
                salts,
                limiter,
                failed_auth: RateLimiter::new(FAILED_AUTH_PER_MINUTE),
                clock: Box::new(clock),
                config,
            }),
        };
        state.view(0).await?;
        Ok(state)
    }

    /// The feed as served: its version read again if that is `version_max_age` ms old or
    /// older (0: always, after a publish here), its counts if they are a second old, and the
    /// feed rendered again only if either changed.
    async fn view(&self, version_max_age: u64) -> Result<Arc<FeedView>, store::Error> {
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
            if stale { (s.store.counts(Event::View.as_str()).await?, now) } else { (current.counts.clone(), current.counts_at) };
        let (body, etag) = if version == current.version && counts == current.counts {
            (current.body.clone(), current.etag.clone())
        } else {
            let (body, etag) = feed.render(&counts);
            (Bytes::from(body), etag)
        };
        s.store.metrics().feed_version.store(version, std::sync::atomic::Ordering::Relaxed);
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

    /// Keeps this instance's event streams current with publishes made on any instance: at
    /// once on the store's notification (PostgreSQL's LISTEN/NOTIFY), else by reading the
    /// version every `VERSION_MAX_AGE_MS` (also while the listener is reconnecting), and every
    /// `LISTENING_POLL_MS` even while it listens, in case a notification is lost. Runs until
    /// the state is dropped (`main` starts it).
    pub async fn watch_versions(self) {
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
        Ok((feed, scheduled))
    }

    /// The store, for checks after a run.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }
}

/// Whether a scheduled item of `view` is due at `now_ms`.
fn release_due(view: &FeedView, now_ms: u64) -> bool {
    view.scheduled.first().is_some_and(|(at, ..)| *at <= now_ms)
}

/// When a published item is scheduled: its `date_published` (read as the widget reads it, as
/// `/publish` checked it), if later than `now_ms`.
fn scheduled_at(item: &serde_json::Value, now_ms: u64) -> Option<u64> {
    let at = depeche::rfc3339::parse(item.get("date_published")?.as_str()?)?;
    u64::try_from(at).ok().filter(|at| *at > now_ms)
}

/// The response header of `GET /feed.json` that gives the feed's version, as `/events` says it.
pub const FEED_VERSION: HeaderName = HeaderName::from_static("depeche-version");

/// The collector's router: `GET /feed.json`, `POST /beacon`, `GET /healthz`, static files.
pub fn app(state: AppState) -> Router {
    let config = state.inner.config.clone();
    let origins: Vec<HeaderValue> = config.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([CONTENT_TYPE, IF_NONE_MATCH])
        .expose_headers([ETAG, RETRY_AFTER, FEED_VERSION])
        // Refreshes send If-None-Match, which needs a preflight cross-origin: cache it.
        .max_age(std::time::Duration::from_secs(600));
    let mut router = Router::new()
        .route("/feed.json", get(feed))
        .route("/beacon", post(beacon).layer(DefaultBodyLimit::max(beacon::MAX_BODY)))
        .route("/publish", post(publish).layer(DefaultBodyLimit::max(64 * 1024)))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/stats", get(stats))
        .route("/stats.csv", get(stats_csv))
        .route("/items", get(items))
        .route("/events", get(events));
    if let Some(pkg) = &config.pkg {
        // The build writes each file precompressed beside it (Brotli .br, Zopfli .gz);
        // a browser gets the best one it accepts, unless a copy is older than its file.
        let precompressed = precompressed_fresh(pkg);
        if !precompressed {
            eprintln!("depeche-collector: {} has precompressed copies older than their files; serving the files uncompressed (run scripts/build.sh)", pkg.display());
        }
        let mut dir = ServeDir::new(pkg);
        // The release build writes the loader (minified, with the glue inside) beside the
        // wasm; pages load it as /embed.js, so that it resolves pkg/ from the same place as
        // the readable one.
        let loader = pkg.join("embed.js");
        let mut loader_file = loader.is_file().then(|| ServeFile::new(&loader));
        if precompressed {
            dir = dir.precompressed_br().precompressed_gzip();
            loader_file = loader_file.map(|f| f.precompressed_br().precompressed_gzip());
        }
        router = router.nest_service("/pkg", dir);
        if let Some(file) = loader_file {
            router = router.route_service("/embed.js", file);
        }
    }
    if let Some(www) = &config.www {
        for (path, file, csp) in STRICT_PAGES.into_iter().chain(DESK_PAGES) {
            let file = www.join(file);
            router = router.route(path, get(move || html_with_csp(file.clone(), csp)));
        }
        router = router.fallback_service(ServeDir::new(www));
    }
    router.layer(cors).with_state(state)
}

/// `strict.html`, served under the strictest policy a host may set, with and without the
/// `'wasm-unsafe-eval'` the widget needs, to show it works, or fails quietly, there.
const STRICT_PAGES: [(&str, &str, &str); 2] = [
    (
        "/strict.html",
        "strict.html",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         require-trusted-types-for 'script'; connect-src 'self'",
    ),
    (
        "/strict-no-wasm.html",
        "strict.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'; \
         connect-src 'self'",
    ),
];

/// The desk's pages, under a policy as strict as `strict.html`'s: no inline script or style,
/// no HTML from strings, nothing from elsewhere, and not framed by other sites. The preview
/// runs the widget on a draft (a blob: feed) and shows its image from wherever it is.
const DESK_PAGES: [(&str, &str, &str); 3] = [
    (
        "/console.html",
        "console.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'; \
         require-trusted-types-for 'script'; frame-ancestors 'none'",
    ),
    (
        "/dashboard.html",
        "dashboard.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         require-trusted-types-for 'script'; frame-ancestors 'none'",
    ),
    (
        "/preview.html",
        "preview.html",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' blob:; \
         img-src 'self' https: http:; require-trusted-types-for 'script'; frame-ancestors 'self'",
    ),
];

/// Whether every precompressed copy (`.gz`, `.br`) in `dir` is at least as new as its
/// file: a copy left from an older build must never be served for a newer file.
fn precompressed_fresh(dir: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Ok(entries) = std::fs::read_dir(dir) else { return true };
    entries.flatten().map(|e| e.path()).filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("gz" | "br"))).all(|copy| {
        matches!((modified(&copy), modified(&copy.with_extension(""))), (Some(c), Some(f)) if c >= f)
    })
}

async fn html_with_csp(file: PathBuf, csp: &'static str) -> Response {
    match tokio::fs::read_to_string(&file).await {
        Ok(page) => (
            [(CONTENT_TYPE, "text/html; charset=utf-8"), (axum::http::header::CONTENT_SECURITY_POLICY, csp)],
            page,
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

/// The partner site of the demo: its pages, with `%PUBLISHER_ORIGIN%` filled in.
pub fn partner_app(dir: PathBuf, publisher_origin: String) -> Router {
    let index = dir.join("index.html");
    Router::new()
        .route(
            "/",
            get(move || {
                let index = index.clone();
                let origin = publisher_origin.clone();
                async move {
                    match tokio::fs::read_to_string(&index).await {
                        Ok(page) => {
                            ([(CONTENT_TYPE, "text/html; charset=utf-8")], page.replace("%PUBLISHER_ORIGIN%", &origin))
                                .into_response()
                        }
                        Err(_) => (StatusCode::NOT_FOUND, "no partner page").into_response(),
                    }
                }
            }),
        )
        .fallback_service(ServeDir::new(dir))
}

async fn feed(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let view = match s.view(VERSION_MAX_AGE_MS).await {
        Ok(view) => view,
        Err(e) => {
            eprintln!("depeche-collector: cannot read the feed's version or counts: {e}");
            return (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], "cannot read the counts").into_response();
        }
    };
    let (body, etag) = (view.body.clone(), view.etag.clone());
    let cache = [(CACHE_CONTROL, "public, max-age=5, must-revalidate")];
    // The version the event stream says: a reader whose stream opens on the version it has
    // fetched does not fetch it again.
    let version = [(FEED_VERSION, HeaderValue::from(view.version))];
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    s.inner.store.metrics().feed(matches);
    if matches {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag)], cache, version).into_response();
    }
    (
        [(CONTENT_TYPE, "application/feed+json; charset=utf-8".to_owned()), (ETAG, etag)],
        cache,
        version,
        body,
    )
        .into_response()
}

/// `GET /status`: each feed source, whether it is failing and since when, as JSON.
async fn status(State(s): State<AppState>) -> Response {
    let sources = s.inner.statuses.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let failing = sources.iter().filter(|s| s.failing_since_ms.is_some()).count();
    axum::Json(serde_json::json!({ "sources": sources, "failing": failing })).into_response()
}

/// `GET /events`: a Server-Sent Events stream of the feed's version. An event (`feed`, with
/// the version as its `id` and data) comes when what readers should see changes (a publish,
/// a correction, a withdrawal), not when counts do; on connecting, the current version comes
/// at once unless `Last-Event-ID` is already it. Readers then make their usual conditional
/// feed request, so a stale or repeated event costs a 304 at most.
async fn events(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let last: Option<i64> = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    if !s.inner.config.grip.is_empty() && headers.contains_key(crate::grip::SIGNATURE) {
        return held(&s, last).await;
    }
    let Ok(permit) = Arc::clone(&s.inner.streams).try_acquire_owned() else {
        s.inner.store.metrics().streams_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "30")], "too many open event streams").into_response();
    };
    if s.view(VERSION_MAX_AGE_MS).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], "cannot read the feed's version").into_response();
    }
    let metrics = Arc::clone(s.inner.store.metrics());
    let open = OpenStream::new(metrics, permit);
    let versions = s.inner.versions.subscribe();
    let stream = futures_util::stream::unfold((versions, last, open), |(mut versions, mut last, open)| async move {
        loop {
            let version = *versions.borrow_and_update();
            if version >= 0 && last != Some(version) {
                last = Some(version);
                let event = SseEvent::default().event("feed").id(version.to_string()).data(version.to_string()).retry(STREAM_RETRY);
                return Some((Ok::<_, Infallible>(event), (versions, last, open)));
            }
            versions.changed().await.ok()?;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}

/// `GET /events` through a GRIP proxy: the stream's start (the retry delay, and the current
/// version unless `Last-Event-ID` is already it), for the proxy to hold open on the channel
/// that versions are published to. No permit: the proxy holds the connection, not this
/// instance.
async fn held(s: &AppState, last: Option<i64>) -> Response {
    let Ok(view) = s.view(VERSION_MAX_AGE_MS).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], "cannot read the feed's version").into_response();
    };
    let mut body = format!("retry: {}\n\n", STREAM_RETRY.as_millis());
    if last != Some(view.version) {
        body.push_str(&crate::grip::event(view.version));
    }
    let headers = [
        (CONTENT_TYPE, "text/event-stream"),
        (CACHE_CONTROL, "no-cache"),
        (axum::http::HeaderName::from_static("grip-hold"), "stream"),
        (axum::http::HeaderName::from_static("grip-channel"), crate::grip::CHANNEL),
        (axum::http::HeaderName::from_static("grip-keep-alive"), crate::grip::KEEP_ALIVE),
    ];
    (headers, body).into_response()
}

/// Streams open at once by default.
const DEFAULT_MAX_STREAMS: usize = 1000;
/// How long a disconnected reader waits before reconnecting (`retry:`).
const STREAM_RETRY: std::time::Duration = std::time::Duration::from_secs(3);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// An open stream: its permit and its place in the gauge, both given back when it closes.
struct OpenStream {
    metrics: Arc<crate::metrics::Metrics>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl OpenStream {
    fn new(metrics: Arc<crate::metrics::Metrics>, permit: tokio::sync::OwnedSemaphorePermit) -> OpenStream {
        metrics.open_streams.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenStream { metrics, _permit: permit }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.metrics.open_streams.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `GET /metrics`: the Prometheus text exposition.
async fn metrics(State(s): State<AppState>) -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.inner.store.metrics().render()).into_response()
}

/// The client's address, from the connection (the demo runs without a proxy).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(ip))
    }
}

/// The answer to a request without the publisher token (`None`: it has it). Failed attempts
/// are limited per address (`FAILED_AUTH_PER_MINUTE`), so that the token cannot be guessed
/// at speed: beyond, `429` until the budget refills, whatever is sent.
fn refusal(s: &AppState, peer: IpAddr, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &s.inner.config.publish_token else {
        return Some((StatusCode::NOT_FOUND, "publishing is off (start with --publish-token)").into_response());
    };
    let (ip, now) = (rate_key(client_ip(peer, headers, &s.inner.config.trusted_proxies)), (s.inner.clock)());
    if s.inner.failed_auth.spent(ip, now) {
        return Some((StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, "60")], "too many failed attempts from this address; wait a minute").into_response());
    }
    // The scheme's name is case-insensitive (RFC 9110, 11.1).
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        return None;
    }
    s.inner.failed_auth.allow(ip, now);
    Some((StatusCode::UNAUTHORIZED, "a valid publish token is needed").into_response())
}

/// Failed token checks allowed per address and minute.
const FAILED_AUTH_PER_MINUTE: u32 = 10;

/// The `item` query parameter of the stats endpoints.
#[derive(serde::Deserialize)]
struct StatsQuery {
    item: Option<String>,
}

/// `GET /stats?item=ID` (token): views and reads over time, read rate, origins (`stats`).
async fn stats(State(s): State<AppState>, ClientIp(peer): ClientIp, headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<StatsQuery>) -> Response {
    let now = (s.inner.clock)();
    with_buckets(&s, peer, &headers, |b| axum::Json(crate::stats::report(&b, q.item.as_deref(), now)).into_response()).await
}

/// `GET /stats.csv?item=ID` (token): the counts over time as CSV.
async fn stats_csv(State(s): State<AppState>, ClientIp(peer): ClientIp, headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<StatsQuery>) -> Response {
    with_buckets(&s, peer, &headers, |b| ([(CONTENT_TYPE, "text/csv; charset=utf-8")], crate::stats::csv(&b, q.item.as_deref())).into_response()).await
}

/// `GET /items` (token): every item, live, scheduled, expired or withdrawn, with its source,
/// views and reads (`listing`).
async fn items(State(s): State<AppState>, ClientIp(peer): ClientIp, headers: HeaderMap) -> Response {
    if let Some(r) = refusal(&s, peer, &headers) {
        return r;
    }
    let read = async {
        let view = s.view(VERSION_MAX_AGE_MS).await?;
        let (published, sources) = (s.inner.store.published().await?, s.inner.store.sources().await?);
        let reads = s.inner.store.counts(Event::Read.as_str()).await?;
        let known = crate::listing::Known { served: &view.body, scheduled: &view.scheduled, published: &published, sources: &sources, reads: &reads };
        Ok::<_, store::Error>(crate::listing::list(&known, (s.inner.clock)()))
    };
    match read.await {
        Ok(list) => axum::Json(list).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], format!("cannot read the items: {e}")).into_response(),
    }
}

/// The stats endpoints' common part: the token, then every bucket, given to `answer`.
async fn with_buckets(s: &AppState, peer: IpAddr, headers: &HeaderMap, answer: impl FnOnce(Vec<store::Bucket>) -> Response) -> Response {
    if let Some(r) = refusal(s, peer, headers) {
        return r;
    }
    match s.inner.store.buckets(0).await {
        Ok(buckets) => answer(buckets),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], format!("cannot read the counts: {e}")).into_response(),
    }
}

/// `POST /publish` with `Authorization: Bearer TOKEN` and a JSON Feed item (or a ninjs document): the item is
/// stored (it survives a restart) and added to the served feed, or replaces the one with its
/// id.
async fn publish(State(s): State<AppState>, ClientIp(peer): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refusal(&s, peer, &headers) {
        return r;
    }
    let item: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return (StatusCode::BAD_REQUEST, "the body must be one JSON Feed item or one ninjs document (an object)").into_response(),
    };
    // An agency's ninjs document is mapped as a ninjs source's would be (README, "Feed sources").
    let item = if crate::sources::map::looks_like_ninjs(&item) {
        let now = chrono::DateTime::from_timestamp_millis((s.inner.clock)() as i64).unwrap_or_default();
        match crate::sources::map::ninjs_item(&item, now) {
            Ok(mapped) => mapped,
            Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
        }
    } else {
        item
    };
    let id = match SourceFeed::check_item(&item) {
        Ok(id) => id,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    // What the widget would skip is refused here, with the widget's own reason.
    if let Some(why) = crate::sources::map::widget_refuses(&item) {
        return (StatusCode::BAD_REQUEST, format!("the widget would not show this item: {why}")).into_response();
    }
    // Stored first: an item the store did not keep is not served either.
    if let Err(e) = s.inner.store.publish(&id, &item.to_string(), (s.inner.clock)()).await {
        eprintln!("depeche-collector: could not store the published item {id:?}: {e}");
        return (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "1")], "could not store the item; retry").into_response();
    }
    // Served at once here; the other instances see the new version within a second.
    if let Err(e) = s.view(0).await {
        eprintln!("depeche-collector: published {id:?}, but could not read the feed again: {e}");
    }
    (StatusCode::CREATED, "published").into_response()
}

/// Whether a beacon comes from a page the publisher allows: its `Origin` (else the origin of
/// its `Referer`) is one of `allowed`, or the collector's own (the `Host` it was sent to).
fn admitted(headers: &HeaderMap, allowed: &[String]) -> bool {
    page_origin(headers, allowed).is_some_and(|(_, known)| known)
}

/// The origin of the page a request came from (its `Origin`, else its `Referer`'s), and
/// whether it is known: the collector's own (the `Host` it was sent to) or one of `allowed`.
fn page_origin(headers: &HeaderMap, allowed: &[String]) -> Option<(String, bool)> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let origin = match text(axum::http::header::ORIGIN).filter(|o| *o != "null") {
        Some(o) => o.to_owned(),
        None => text(axum::http::header::REFERER).and_then(origin_of)?,
    };
    let same_host = origin.split_once("://").map(|(_, authority)| authority) == text(axum::http::header::HOST);
    let known = same_host || allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin));
    Some((origin, known))
}

/// `https://example.org:8443` of `https://example.org:8443/path?q`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Compares secrets without an early exit that would tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A valid beacon's answer, with `why` both in it and as the metric's label.
fn outcome(counted: bool, why: &'static str) -> (&'static str, Response) {
    let response = (StatusCode::NO_CONTENT, [("depeche-counted", if counted { "1" } else { "0" }), ("depeche-reason", why)]);
    (why, response.into_response())
}

async fn beacon(State(s): State<AppState>, ClientIp(peer): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let (why, response) = admit_and_count(&s, peer, &headers, &body).await;
    s.inner.store.metrics().beacon(why);
    response
}

/// What becomes of a beacon: the reason (a metric's label) and the answer.
async fn admit_and_count(s: &AppState, peer: IpAddr, headers: &HeaderMap, body: &[u8]) -> (&'static str, Response) {
    let now = (s.inner.clock)();
    let ip = client_ip(peer, headers, &s.inner.config.trusted_proxies);
    if !s.inner.limiter.allow(rate_key(ip), now) {
        let r = (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, "60")], "too many beacons from this address");
        return ("rate_limited", r.into_response());
    }
    let b = match beacon::parse(body) {
        Ok(b) => b,
        Err(e) => {
            let status = if e == BeaconError::TooLarge { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            return ("bad_request", (status, e.message()).into_response());
        }
    };
    let known = |v: &FeedView| v.feed.has_item(&b.item);
    let view = s.view(VERSION_MAX_AGE_MS).await;
    // An item published on another instance a moment ago: read the feed's version again.
    let known = match view {
        Ok(v) if known(&v) => true,
        Ok(_) => s.view(UNKNOWN_ITEM_MAX_AGE_MS).await.is_ok_and(|v| known(&v)),
        Err(_) => false,
    };
    if !known {
        return ("unknown_item", (StatusCode::NOT_FOUND, "unknown item id").into_response());
    }
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if is_bot(ua) {
        return outcome(false, "bot");
    }
    let prefetch = ["sec-purpose", "purpose", "x-moz", "x-purpose"]
        .iter()
        .any(|h| headers.get(*h).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("prefetch") || v.contains("preview")));
    if prefetch {
        return outcome(false, "prefetch");
    }
    if !s.inner.config.allowed_origins.is_empty() && !admitted(headers, &s.inner.config.allowed_origins) {
        return outcome(false, "origin");
    }
    // Kept in the counts over time: an origin not known is `other`, so that the set of
    // origins stays bounded whatever a client sends; none is "".
    let origin = match page_origin(headers, &s.inner.config.allowed_origins) {
        Some((origin, true)) => origin,
        Some((_, false)) => "other".to_owned(),
        None => String::new(),
    };
    let hit = Hit { visitor: s.inner.salts.ids(now, ip, ua), item: b.item, event: b.event.as_str(), now_ms: now, origin };
    match s.inner.store.count(hit).await {
        Ok(Outcome::Counted) => {
            s.inner.counted_since.store(true, std::sync::atomic::Ordering::Relaxed);
            outcome(true, "counted")
        }
        Ok(Outcome::Duplicate) => outcome(false, "duplicate"),
        Err(store::Error::Busy) => {
            let r = (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "1")], "the collector is behind; retry later");
            ("busy", r.into_response())
        }
        Err(e) => {
            eprintln!("depeche-collector: a beacon could not be stored: {e}");
            let r = (StatusCode::SERVICE_UNAVAILABLE, [(RETRY_AFTER, "5")], "could not store the beacon; retry later");
            ("store_error", r.into_response())
        }
    }
}
