//! `GET /feed.json` and `GET /events`: the feed as served, and the stream that says when it
//! changes (from this instance, or held by a GRIP proxy).

use crate::auth::Peer;
use crate::client::rate_key;
use crate::error::ApiError;
use crate::feed_view::VERSION_MAX_AGE_MS;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;

/// The response header of `GET /feed.json` that gives the feed's version, as `/events` says it.
pub const FEED_VERSION: HeaderName = HeaderName::from_static("depeche-version");
/// How long a disconnected reader waits before reconnecting (`retry:`).
const STREAM_RETRY: std::time::Duration = std::time::Duration::from_secs(3);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// `GET /feed.json`: the feed with its counts, its ETag and version; the last good one while
/// the database cannot be read.
pub async fn feed(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let view = s.view(VERSION_MAX_AGE_MS).await?;
    let (body, etag) = (view.body.clone(), view.etag.clone());
    let cache = [(CACHE_CONTROL, "public, max-age=5, must-revalidate")];
    // The version the event stream says: a reader whose stream opens on the version it has
    // fetched does not fetch it again.
    let version = [(FEED_VERSION, HeaderValue::from(view.version))];
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    s.metrics().feed(matches);
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag)], cache, version).into_response());
    }
    Ok(([(CONTENT_TYPE, "application/feed+json; charset=utf-8".to_owned()), (ETAG, etag)], cache, version, body).into_response())
}

/// `GET /events`: a Server-Sent Events stream of the feed's version. An event (`feed`, with
/// the version as its `id` and data) comes when what readers should see changes (a publish,
/// a correction, a withdrawal), not when counts do; on connecting, the current version comes
/// at once unless `Last-Event-ID` is already it. Readers then make their usual conditional
/// feed request, so a stale or repeated event costs a 304 at most.
pub async fn events(State(s): State<AppState>, Peer(peer): Peer, headers: HeaderMap) -> Result<Response, ApiError> {
    let last: Option<i64> = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    // Held by the proxy only when the proxy signed the request with its key: a header's mere
    // presence would let any client open a stream that holds no permit.
    let signed = headers.get(crate::grip::SIGNATURE).and_then(|v| v.to_str().ok());
    if let (Some(key), Some(sig)) = (&s.config().grip_key, signed) {
        if key.verify(sig, s.now()) {
            return held(&s, last).await;
        }
    }
    // Counted per client (behind a trusted proxy, each reader apart), before the shared cap.
    let Some(mine) = s.inner.streams_per_address.try_open(rate_key(s.client(peer, &headers))) else {
        s.metrics().streams_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(ApiError::unavailable(30, "too many open event streams from this address"));
    };
    let Ok(permit) = Arc::clone(&s.inner.streams).try_acquire_owned() else {
        s.metrics().streams_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(ApiError::unavailable(30, "too many open event streams"));
    };
    s.view(VERSION_MAX_AGE_MS).await?;
    let open = OpenStream::new(Arc::clone(s.metrics()), permit, mine);
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
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response())
}

/// `GET /events` through a GRIP proxy: the stream's start (the retry delay, and the current
/// version unless `Last-Event-ID` is already it), for the proxy to hold open on the channel
/// that versions are published to. No permit: the proxy holds the connection, not this
/// instance.
async fn held(s: &AppState, last: Option<i64>) -> Result<Response, ApiError> {
    let view = s.view(VERSION_MAX_AGE_MS).await?;
    let mut body = format!("retry: {}\n\n", STREAM_RETRY.as_millis());
    if last != Some(view.version) {
        body.push_str(&crate::grip::event(view.version));
    }
    let headers = [
        (CONTENT_TYPE, "text/event-stream"),
        (CACHE_CONTROL, "no-cache"),
        (HeaderName::from_static("grip-hold"), "stream"),
        (HeaderName::from_static("grip-channel"), crate::grip::CHANNEL),
        (HeaderName::from_static("grip-keep-alive"), crate::grip::KEEP_ALIVE),
    ];
    Ok((headers, body).into_response())
}

/// An open stream: its permit and its place in the gauge, both given back when it closes.
struct OpenStream {
    metrics: Arc<crate::metrics::Metrics>,
    _permit: tokio::sync::OwnedSemaphorePermit,
    _mine: crate::server::StreamGuard,
}

impl OpenStream {
    fn new(metrics: Arc<crate::metrics::Metrics>, permit: tokio::sync::OwnedSemaphorePermit, mine: crate::server::StreamGuard) -> OpenStream {
        metrics.open_streams.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenStream { metrics, _permit: permit, _mine: mine }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.metrics.open_streams.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}
