//! `POST /beacon`: gathers what is known of a beacon, lets `admission::admit` decide, and
//! applies the decision (limits, the store, the metric).

use crate::admission::{admit, origin_of, Admission, Facts, ItemState};
use crate::auth::Peer;
use crate::client::rate_key;
use crate::error::ApiError;
use crate::feed_view::{UNKNOWN_ITEM_MAX_AGE_MS, VERSION_MAX_AGE_MS};
use crate::state::AppState;
use crate::store::{self, Hit, Outcome};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use depeche::beacon::{BeaconError, MAX_BODY};

/// `POST /beacon`: one reader event, counted once its commit is done.
pub async fn beacon(State(s): State<AppState>, Peer(peer): Peer, headers: HeaderMap, body: Bytes) -> Response {
    let (why, response) = match count(&s, peer, &headers, &body).await {
        Ok((counted, why)) => {
            let answer = [("depeche-counted", if counted { "1" } else { "0" }), ("depeche-reason", why)];
            (why, (StatusCode::NO_CONTENT, answer).into_response())
        }
        Err((why, e)) => (why, e.into_response()),
    };
    s.metrics().beacon(why);
    response
}

/// Reads a beacon's body as the protocol says (`depeche::beacon`).
fn read(body: &[u8]) -> Result<depeche::beacon::Beacon, BeaconError> {
    if body.len() > MAX_BODY {
        return Err(BeaconError::TooLarge);
    }
    let value: depeche::json::Value = serde_json::from_slice(body).map_err(|_| BeaconError::Malformed)?;
    depeche::beacon::parse(&&value)
}

/// Whether the beacon counted and why (the metric's label), or the refusal with its label.
async fn count(s: &AppState, peer: std::net::IpAddr, headers: &HeaderMap, body: &[u8]) -> Result<(bool, &'static str), (&'static str, ApiError)> {
    let now = s.now();
    let ip = s.client(peer, headers);
    if !s.inner.limiter.allow(rate_key(ip), now) {
        return Err(("rate_limited", ApiError::TooMany { retry_after: 60, why: "too many beacons from this address" }));
    }
    let beacon = read(body);
    let mut view = s.view(VERSION_MAX_AGE_MS).await.map_err(|e| ("store_error", ApiError::from(e)))?;
    // An item published on another instance a moment ago: read the feed's version again.
    if let Ok(b) = &beacon {
        if !view.feed.has_item(&b.item) {
            view = s.view(UNKNOWN_ITEM_MAX_AGE_MS).await.map_err(|e| ("store_error", ApiError::from(e)))?;
        }
    }
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let user_agent = text(USER_AGENT).unwrap_or("");
    let prefetch = ["sec-purpose", "purpose", "x-moz", "x-purpose"]
        .iter()
        .any(|h| headers.get(*h).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("prefetch") || v.contains("preview")));
    let page_origin = match text(axum::http::header::ORIGIN).filter(|o| *o != "null") {
        Some(o) => Some(o.to_owned()),
        None => text(axum::http::header::REFERER).and_then(origin_of),
    };
    let item = beacon.as_ref().map_or(ItemState::Unknown, |b| view.item_state(&b.item, now));
    let facts = Facts {
        beacon,
        item,
        user_agent,
        prefetch,
        page_origin: page_origin.as_deref(),
        own_origins: &s.config().own_origins,
        allowed_origins: &s.config().allowed_origins,
    };
    let (beacon, origin) = match admit(facts) {
        Admission::Invalid(BeaconError::TooLarge) => return Err(("bad_request", ApiError::TooLarge(BeaconError::TooLarge.message()))),
        Admission::Invalid(e) => return Err(("bad_request", ApiError::bad_request(e.message()))),
        Admission::UnknownItem => return Err(("unknown_item", ApiError::NotFound("unknown item id"))),
        Admission::Ignored(why) => return Ok((false, why)),
        Admission::Count { beacon, origin } => (beacon, origin),
    };
    let visitor = s.inner.salts.ids(now, ip, user_agent);
    if !s.inner.user_agents.allow(rate_key(ip), &beacon.item, agent_hash(user_agent), now) {
        return Ok((false, "user_agents"));
    }
    let hit = Hit { visitor, item: beacon.item, event: beacon.event.name(), now_ms: now, origin };
    match s.store().count(hit).await {
        Ok(Outcome::Counted) => {
            s.inner.counted_since.store(true, std::sync::atomic::Ordering::Relaxed);
            Ok((true, "counted"))
        }
        Ok(Outcome::Duplicate) => Ok((false, "duplicate")),
        Err(store::Error::Busy) => Err(("busy", ApiError::from(store::Error::Busy))),
        Err(e) => Err(("store_error", ApiError::from(e))),
    }
}

/// A User-Agent's hash, for the per-address cap (never kept beyond the dedupe window).
fn agent_hash(user_agent: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(user_agent.as_bytes());
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}
