//! The collector's router: which handler answers which path, and the layers over them all.

use crate::handlers::{beacon, desk, feed, pages};
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use axum::http::{HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use crate::handlers::feed::FEED_VERSION;
pub use crate::handlers::pages::partner_app;

/// A published item's body is at most this large.
pub const MAX_PUBLISH_BODY: usize = 64 * 1024;

/// The collector's router: the feed, the beacon, the event stream, the desk's endpoints
/// (behind the token), and the static files.
pub fn app(state: AppState) -> Router {
    let config = state.config().clone();
    let origins: Vec<HeaderValue> = config.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([CONTENT_TYPE, IF_NONE_MATCH])
        .expose_headers([ETAG, RETRY_AFTER, FEED_VERSION])
        // Refreshes send If-None-Match, which needs a preflight cross-origin: cache it.
        .max_age(std::time::Duration::from_secs(600));
    let router = Router::new()
        .route("/feed.json", get(feed::feed))
        .route("/events", get(feed::events))
        .route("/beacon", post(beacon::beacon).layer(DefaultBodyLimit::max(depeche::beacon::MAX_BODY)))
        .route("/publish", post(desk::publish).layer(DefaultBodyLimit::max(MAX_PUBLISH_BODY)))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(desk::metrics))
        .route("/status", get(desk::status))
        .route("/stats", get(desk::stats))
        .route("/stats.csv", get(desk::stats_csv))
        .route("/items", get(desk::items))
        .route("/signing", get(desk::signing));
    pages::add(router, &config)
        .layer(axum::middleware::from_fn(pages::plain_paths_only))
        .layer(cors)
        .with_state(state)
}
