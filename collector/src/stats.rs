//! The audience figures of `GET /stats`: views and reads over time (per minute for the last
//! hour, per hour for the last three days), the read rate, and each origin's share, from the
//! store's counts over time (which hold no visitor). Pure: buckets and the time in, JSON out.

use crate::store::{Bucket, HOUR_MS, MINUTE_MS};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Minutes in the per-minute series.
pub const MINUTES: u64 = 60;
/// Hours in the per-hour series.
pub const HOURS: u64 = 72;

/// The figures for `item` (every item if `None`) as of `now_ms`.
pub fn report(buckets: &[Bucket], item: Option<&str>, now_ms: u64) -> Value {
    let mine: Vec<&Bucket> = buckets.iter().filter(|b| item.is_none_or(|i| b.item == i)).collect();
    let (views, reads) = totals(mine.iter().copied());
    let mut origins: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for b in &mine {
        let e = origins.entry(b.origin.as_str()).or_default();
        if b.event == "view" {
            e.0 += b.n;
        } else {
            e.1 += b.n;
        }
    }
    let origins: Vec<Value> = origins
        .into_iter()
        .map(|(origin, (v, r))| json!({ "origin": origin, "views": v, "reads": r, "share": ratio(v, views) }))
        .collect();
    json!({
        "generated_ms": now_ms,
        "item": item,
        "totals": { "views": views, "reads": reads, "read_rate": ratio(reads, views) },
        "origins": origins,
        "minutes": series(&mine, now_ms, MINUTE_MS, MINUTES),
        "hours": series(&mine, now_ms, HOUR_MS, HOURS),
    })
}

fn totals<'a>(all: impl Iterator<Item = &'a Bucket>) -> (u64, u64) {
    all.fold((0, 0), |(v, r), b| if b.event == "view" { (v + b.n, r) } else { (v, r + b.n) })
}

fn ratio(part: u64, whole: u64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        json!((part as f64 / whole as f64 * 1000.0).round() / 1000.0)
    }
}

/// `count` spans of `span` ms up to the one holding `now_ms`, oldest first, zero-filled; a
/// bucket counts in the span its start falls in, if it is no longer than the span.
fn series(buckets: &[&Bucket], now_ms: u64, span: u64, count: u64) -> Vec<Value> {
    let last = now_ms / span * span;
    let first = last.saturating_sub((count - 1) * span);
    let mut sums = vec![(0u64, 0u64); count as usize];
    for b in buckets.iter().filter(|b| b.span_ms <= span && b.start_ms >= first && b.start_ms < last + span) {
        let slot = &mut sums[((b.start_ms - first) / span) as usize];
        if b.event == "view" {
            slot.0 += b.n;
        } else {
            slot.1 += b.n;
        }
    }
    sums.iter().enumerate().map(|(i, (v, r))| json!({ "start_ms": first + i as u64 * span, "views": v, "reads": r })).collect()
}

/// The buckets of `item` (every item if `None`) as CSV: one row per span, origin and event.
pub fn csv(buckets: &[Bucket], item: Option<&str>) -> String {
    let mut out = String::from("start_utc,span_seconds,item,event,origin,n\n");
    for b in buckets.iter().filter(|b| item.is_none_or(|i| b.item == i)) {
        let start = chrono::DateTime::from_timestamp_millis(b.start_ms as i64).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default();
        out.push_str(&format!("{start},{},{},{},{},{}\n", b.span_ms / 1000, field(&b.item), b.event, field(&b.origin), b.n));
    }
    out
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is escaped so that a
/// spreadsheet does not take an item id for a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(item: &str, event: &str, start_ms: u64, span_ms: u64, origin: &str, n: u64) -> Bucket {
        Bucket { item: item.into(), event: event.into(), start_ms, span_ms, origin: origin.into(), n }
    }

    #[test]
    fn totals_read_rate_origins_and_zero_filled_series() {
        let now = 100 * HOUR_MS + 30 * MINUTE_MS + 5_000;
        let all = [
            b("a", "view", now / MINUTE_MS * MINUTE_MS, MINUTE_MS, "https://j.test", 3),
            b("a", "read", now / MINUTE_MS * MINUTE_MS, MINUTE_MS, "https://j.test", 1),
            b("a", "view", 92 * HOUR_MS, HOUR_MS, "https://partner.test", 1),
            b("b", "view", 92 * HOUR_MS, HOUR_MS, "https://j.test", 7),
        ];
        let r = report(&all, Some("a"), now);
        assert_eq!(r["totals"], json!({ "views": 4, "reads": 1, "read_rate": 0.25 }));
        assert_eq!(r["origins"], json!([
            { "origin": "https://j.test", "views": 3, "reads": 1, "share": 0.75 },
            { "origin": "https://partner.test", "views": 1, "reads": 0, "share": 0.25 },
        ]));
        let minutes = r["minutes"].as_array().unwrap_or(&Vec::new()).clone();
        assert_eq!(minutes.len(), 60);
        assert_eq!(minutes[59], json!({ "start_ms": now / MINUTE_MS * MINUTE_MS, "views": 3, "reads": 1 }));
        assert_eq!(minutes[0]["views"], 0);
        let hours = r["hours"].as_array().unwrap_or(&Vec::new()).clone();
        assert_eq!(hours.len(), 72);
        assert_eq!(hours[71], json!({ "start_ms": 100 * HOUR_MS, "views": 3, "reads": 1 }), "this hour's minutes");
        assert_eq!(hours[63], json!({ "start_ms": 92 * HOUR_MS, "views": 1, "reads": 0 }));
        assert_eq!(report(&all, None, now)["totals"]["views"], 11);
        assert_eq!(report(&[], None, now)["totals"]["read_rate"], Value::Null);
    }

    #[test]
    fn csv_rows_are_quoted_and_never_formulas() {
        let all = [b("=cmd|x", "view", 0, MINUTE_MS, "https://a.test,b", 2)];
        assert_eq!(csv(&all, None), "start_utc,span_seconds,item,event,origin,n\n1970-01-01T00:00:00Z,60,'=cmd|x,view,\"https://a.test,b\",2\n");
    }
}
