//! Beacon admission, decided without effects: what the handler learnt of a beacon (its body,
//! the item it names as served now, its headers) in, what becomes of it out. The handler
//! applies the answer (rate limits, the store, metrics): `handlers::beacon`.

use depeche::beacon::{Beacon, BeaconError};
use serde_json::Value;

/// Origins kept in the counts over time are at most this long; longer ones are `other`.
pub const MAX_ORIGIN_CHARS: usize = 200;

/// Where an item a beacon names stands at the time of the beacon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Served now: its views count.
    Live,
    /// Withdrawn by the newsroom: no view counts any more.
    Withdrawn,
    /// Past its `_depeche.expires`: no view counts any more.
    Expired,
    /// Not in the feed.
    Unknown,
}

/// Where a served item stands at `now_ms`, as the widget would read it.
pub fn item_state(item: &Value, now_ms: u64) -> ItemState {
    let ext = item.get("_depeche");
    if ext.and_then(|e| e.get("status")).and_then(Value::as_str) == Some("withdrawn") {
        return ItemState::Withdrawn;
    }
    let expires = ext.and_then(|e| e.get("expires")).and_then(Value::as_str).and_then(depeche::rfc3339::parse);
    match expires {
        Some(at) if at <= i64::try_from(now_ms).unwrap_or(i64::MAX) => ItemState::Expired,
        _ => ItemState::Live,
    }
}

/// What the handler knows of one beacon.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The body as read: a beacon, or why not.
    pub beacon: Result<Beacon, BeaconError>,
    /// The named item's state in the served feed.
    pub item: ItemState,
    /// The `User-Agent` header ("" without one).
    pub user_agent: &'a str,
    /// Whether a `Sec-Purpose`/`Purpose` header says prefetch or preview.
    pub prefetch: bool,
    /// The page's origin: `Origin`, else the origin of `Referer`.
    pub page_origin: Option<&'a str>,
    /// The collector's own origins (configuration).
    pub own_origins: &'a [String],
    /// The partner origins allowed (configuration); empty: every origin is admitted.
    pub allowed_origins: &'a [String],
}

/// What becomes of a beacon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Refused as a bad request (400, or 413 for `TooLarge`).
    Invalid(BeaconError),
    /// The item is not in the feed (404).
    UnknownItem,
    /// A valid beacon that does not count (204, `Depeche-Counted: 0`), with the reason.
    Ignored(&'static str),
    /// To count: the item, the event, and the origin kept with it (`""` when unknown).
    Count { beacon: Beacon, origin: String },
}

/// Decides what becomes of a beacon. The reasons are the metric's labels.
pub fn admit(f: Facts) -> Admission {
    let beacon = match f.beacon {
        Ok(b) => b,
        Err(e) => return Admission::Invalid(e),
    };
    match f.item {
        ItemState::Unknown => return Admission::UnknownItem,
        ItemState::Withdrawn | ItemState::Expired => return Admission::Ignored("not_live"),
        ItemState::Live => {}
    }
    if crate::visitor::is_bot(f.user_agent) {
        return Admission::Ignored("bot");
    }
    if f.prefetch {
        return Admission::Ignored("prefetch");
    }
    let same = |list: &[String], o: &str| list.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(o));
    let known = f.page_origin.filter(|o| same(f.own_origins, o) || same(f.allowed_origins, o));
    if !f.allowed_origins.is_empty() && known.is_none() {
        return Admission::Ignored("origin");
    }
    // Kept in the counts over time: an origin not configured is `other`, so that the set of
    // origins stays bounded whatever a client sends; none is "".
    let origin = match (known, f.page_origin) {
        (Some(o), _) if o.chars().count() <= MAX_ORIGIN_CHARS => o.to_ascii_lowercase(),
        (_, Some(_)) => "other".to_owned(),
        (_, None) => String::new(),
    };
    Admission::Count { beacon, origin }
}

/// `https://example.org:8443` of `https://example.org:8443/path?q`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use depeche::beacon::Event;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36";

    fn facts<'a>(page: Option<&'a str>, own: &'a [String], allowed: &'a [String]) -> Facts<'a> {
        Facts {
            beacon: Ok(Beacon { item: "a".into(), event: Event::View, feed: "/feed.json".into() }),
            item: ItemState::Live,
            user_agent: CHROME,
            prefetch: false,
            page_origin: page,
            own_origins: own,
            allowed_origins: allowed,
        }
    }

    fn origin(a: Admission) -> Option<String> {
        match a {
            Admission::Count { origin, .. } => Some(origin),
            _ => None,
        }
    }

    #[test]
    fn the_own_origin_comes_from_the_configuration_not_the_request() {
        let own = ["https://news.example".to_owned()];
        let allowed = ["https://partner.example".to_owned()];
        assert_eq!(origin(admit(facts(Some("https://news.example"), &own, &allowed))), Some("https://news.example".into()));
        assert_eq!(origin(admit(facts(Some("https://partner.example"), &own, &allowed))), Some("https://partner.example".into()));
        // Whatever Host says, an origin that is neither is refused when partners are listed…
        assert_eq!(admit(facts(Some("https://evil.example"), &own, &allowed)), Admission::Ignored("origin"));
        // …and kept as `other`, never as sent, when every origin is admitted.
        assert_eq!(origin(admit(facts(Some(&"https://x".repeat(20_000)), &own, &[]))), Some("other".into()));
        assert_eq!(origin(admit(facts(None, &own, &[]))), Some(String::new()));
    }

    #[test]
    fn withdrawn_expired_and_unknown_items_do_not_count() {
        let mut f = facts(None, &[], &[]);
        f.item = ItemState::Withdrawn;
        assert_eq!(admit(f.clone()), Admission::Ignored("not_live"));
        f.item = ItemState::Expired;
        assert_eq!(admit(f.clone()), Admission::Ignored("not_live"));
        f.item = ItemState::Unknown;
        assert_eq!(admit(f), Admission::UnknownItem);
    }

    #[test]
    fn bad_bodies_bots_and_prefetches() {
        let mut f = facts(None, &[], &[]);
        f.beacon = Err(BeaconError::TooLarge);
        assert_eq!(admit(f), Admission::Invalid(BeaconError::TooLarge));
        let mut f = facts(None, &[], &[]);
        f.user_agent = "curl/8";
        assert_eq!(admit(f), Admission::Ignored("bot"));
        let mut f = facts(None, &[], &[]);
        f.prefetch = true;
        assert_eq!(admit(f), Admission::Ignored("prefetch"));
    }

    #[test]
    fn an_item_is_live_until_withdrawn_or_expired() {
        let item = |ext: &str| serde_json::from_str::<Value>(&format!(r#"{{"id":"a","title":"T","_depeche":{ext}}}"#)).unwrap_or_default();
        assert_eq!(item_state(&item(r#"{"status":"withdrawn"}"#), 0), ItemState::Withdrawn);
        let expiring = item(r#"{"expires":"2026-12-03T12:00:00Z"}"#);
        let noon = 1_796_299_200_000;
        assert_eq!(item_state(&expiring, noon - 1), ItemState::Live);
        assert_eq!(item_state(&expiring, noon), ItemState::Expired);
        assert_eq!(item_state(&item(r#"{"expires":"not a date"}"#), noon), ItemState::Live);
        assert_eq!(origin_of("https://a.example:8443/p?q#f"), Some("https://a.example:8443".into()));
        assert_eq!(origin_of("nope"), None);
    }
}
