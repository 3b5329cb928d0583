//! The newsroom's endpoints, all behind the publisher token (`auth::Publisher`): publish,
//! the item list, the counts over time, the sources' status and the metrics.

use crate::auth::Publisher;
use crate::error::ApiError;
use crate::feed::SourceFeed;
use crate::feed_view::VERSION_MAX_AGE_MS;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use depeche::beacon::Event;

/// The `item` query parameter of the stats endpoints.
#[derive(serde::Deserialize)]
pub struct StatsQuery {
    item: Option<String>,
}

/// `GET /stats?item=ID`: views and reads over time, read rate, origins (`stats`).
pub async fn stats(_: Publisher, State(s): State<AppState>, Query(q): Query<StatsQuery>) -> Result<Response, ApiError> {
    let buckets = s.store().buckets(0).await?;
    Ok(Json(crate::stats::report(&buckets, q.item.as_deref(), s.now())).into_response())
}

/// `GET /stats.csv?item=ID`: the counts over time as CSV.
pub async fn stats_csv(_: Publisher, State(s): State<AppState>, Query(q): Query<StatsQuery>) -> Result<Response, ApiError> {
    let buckets = s.store().buckets(0).await?;
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], crate::stats::csv(&buckets, q.item.as_deref())).into_response())
}

/// `GET /items`: every item, live, scheduled, expired or withdrawn, with its source, views
/// and reads (`listing`).
pub async fn items(_: Publisher, State(s): State<AppState>) -> Result<Response, ApiError> {
    let view = s.view(VERSION_MAX_AGE_MS).await?;
    let (published, sources) = (s.store().published().await?, s.store().sources().await?);
    let reads = s.counts(Event::Read.name()).await?;
    let known = crate::listing::Known { served: &view.body, scheduled: &view.scheduled, published: &published, sources: &sources, reads: &reads };
    Ok(Json(crate::listing::list(&known, s.now())).into_response())
}

/// `GET /status`: each feed source, whether it is failing and since when (its URL may hold a
/// key: the token's holder only).
pub async fn status(_: Publisher, State(s): State<AppState>) -> Response {
    let sources = s.source_statuses();
    let failing = sources.iter().filter(|s| s.failing_since_ms.is_some()).count();
    Json(serde_json::json!({ "sources": sources, "failing": failing })).into_response()
}

/// `GET /metrics`: the Prometheus text exposition.
pub async fn metrics(_: Publisher, State(s): State<AppState>) -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics().render()).into_response()
}

/// Whether readers would be shown what the desk publishes now: `None` if so, else why not.
/// Only when the newsroom said which keys its widget snippets trust (`--widget-keys`).
pub fn unpublishable(config: &crate::state::Config) -> Option<String> {
    let trusted = config.widget_keys.as_ref()?;
    let Some(key) = &config.signing_key else {
        return Some("the newsroom's widgets ask for signatures (--widget-keys) but the collector has no signing key (--signing-key-file): readers would not see this alert".into());
    };
    (!trusted.iter().any(|k| k == key.public())).then(|| {
        format!("the collector signs with {}, which the newsroom's widgets do not trust (--widget-keys): readers would not see this alert", key.public())
    })
}

/// `GET /signing`: the key items are signed with, the keys the widgets trust, and whether
/// the desk may publish (the desk shows it).
pub async fn signing(_: Publisher, State(s): State<AppState>) -> Response {
    let c = s.config();
    let why = unpublishable(c);
    Json(serde_json::json!({
        "key": c.signing_key.as_ref().map(|k| k.public().to_owned()),
        "widget_keys": c.widget_keys,
        "publishable": why.is_none(),
        "why": why,
    }))
    .into_response()
}

/// `POST /publish` with a JSON Feed item (or a ninjs document): the item is stored (it
/// survives a restart) and added to the served feed, or replaces the one with its id.
pub async fn publish(_: Publisher, State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    if let Some(why) = unpublishable(s.config()) {
        return Err(ApiError::Conflict(why.into()));
    }
    let item: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return Err(ApiError::bad_request("the body must be one JSON Feed item or one ninjs document (an object)")),
    };
    // An agency's ninjs document is mapped as a ninjs source's would be (docs/feed.md, "Mapping tables").
    let item = if crate::sources::map::looks_like_ninjs(&item) {
        let now = chrono::DateTime::from_timestamp_millis(i64::try_from(s.now()).unwrap_or(i64::MAX)).unwrap_or_default();
        crate::sources::map::ninjs_item(&item, now).map_err(ApiError::bad_request)?
    } else {
        item
    };
    let id = SourceFeed::check_item(&item).map_err(ApiError::bad_request)?;
    // What the widget would skip is refused here, with the widget's own reason.
    if let Some(why) = crate::sources::map::widget_refuses(&item) {
        return Err(ApiError::bad_request(format!("the widget would not show this item: {why}")));
    }
    // Stored first: an item the store did not keep is not served either.
    if let Err(e) = s.store().publish(&id, &item.to_string(), s.now()).await {
        eprintln!("depeche-collector: could not store the published item {id:?}: {e}");
        return Err(ApiError::unavailable(1, "could not store the item; retry"));
    }
    // Served at once here; the other instances see the new version within a second.
    if let Err(e) = s.view(0).await {
        eprintln!("depeche-collector: published {id:?}, but could not read the feed again: {e}");
    }
    Ok((StatusCode::CREATED, "published").into_response())
}
