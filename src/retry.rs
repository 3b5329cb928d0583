//! When to try the feed again: exponential backoff with full jitter, a cap, and the
//! server's `Retry-After`.

use crate::rfc3339::Millis;

/// The first retry waits up to this long.
pub const BASE_MS: Millis = 1_000;
/// No wait is longer than this, whatever the attempt or the server says.
pub const CAP_MS: Millis = 5 * 60_000;
/// Attempts after the first one before giving up until the next refresh.
pub const MAX_RETRIES: u32 = 5;

/// The wait before retry number `attempt` (0 for the first retry), given a uniform
/// `random` in [0, 1) and the server's `Retry-After` wait if it sent one.
///
/// Full jitter (a uniform wait up to the exponential bound) spreads the retries of many
/// readers hit by the same outage; `Retry-After` is a floor, since the server knows best.
pub fn delay(attempt: u32, random: f64, retry_after: Option<Millis>) -> Millis {
    let bound = BASE_MS.saturating_mul(1 << attempt.min(20)).min(CAP_MS);
    let jittered = (random.clamp(0.0, 1.0) * bound as f64) as Millis;
    retry_after.map_or(jittered, |r| r.max(jittered)).min(CAP_MS)
}

/// Reads a `Retry-After` value, delta-seconds or an HTTP date, as a wait from `now`.
/// `http_date` reads the date form; the widget hands it the browser's `Date.parse`, which
/// reads the IMF-fixdate servers send (and the obsolete forms recipients should accept).
pub fn parse_retry_after(value: &str, now: Millis, http_date: impl Fn(&str) -> Option<Millis>) -> Option<Millis> {
    let v = value.trim();
    // Digits only is delta-seconds; more digits than a u64 holds is still a number of
    // seconds, far beyond the cap. An empty value is no value.
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = crate::text::parse_u64(v).unwrap_or(u64::MAX);
        return Some(i64::try_from(seconds).unwrap_or(i64::MAX).saturating_mul(1000).min(CAP_MS));
    }
    http_date(v).map(|at| (at - now).clamp(0, CAP_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_full_jitter_and_a_cap() {
        assert_eq!(delay(0, 0.0, None), 0);
        assert_eq!(delay(0, 0.999_999, None), 999);
        assert_eq!(delay(3, 0.5, None), 4_000);
        assert_eq!(delay(30, 0.999_999, None), CAP_MS - 1);
        assert!((0..1000).all(|i| delay(2, f64::from(i) / 1000.0, None) < 4_000));
    }

    #[test]
    fn retry_after_is_a_floor_under_the_cap() {
        assert_eq!(delay(0, 0.5, Some(30_000)), 30_000);
        assert_eq!(delay(5, 0.99, Some(1_000)), 31_680);
        assert_eq!(delay(0, 0.1, Some(24 * 3_600_000)), CAP_MS);
    }

    #[test]
    fn reads_both_forms_of_retry_after() {
        let now = crate::rfc3339::parse("2026-11-24T10:00:00Z").unwrap();
        // Stands in for `Date.parse`: the two dates below, and nothing else.
        let date = |v: &str| match v {
            "Tue, 24 Nov 2026 10:00:30 GMT" => Some(now + 30_000),
            "Tue, 24 Nov 2026 09:00:00 GMT" => Some(now - 3_600_000),
            "Sun, 24 Nov 2030 10:00:00 GMT" => Some(now + 4 * 365 * 86_400_000),
            _ => None,
        };
        assert_eq!(parse_retry_after("120", now, date), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", now, date), Some(0));
        assert_eq!(parse_retry_after("Tue, 24 Nov 2026 10:00:30 GMT", now, date), Some(30_000));
        assert_eq!(parse_retry_after(" Tue, 24 Nov 2026 10:00:30 GMT ", now, date), Some(30_000), "trimmed");
        assert_eq!(parse_retry_after("Tue, 24 Nov 2026 09:00:00 GMT", now, date), Some(0), "a date past is now");
        assert_eq!(parse_retry_after("Sun, 24 Nov 2030 10:00:00 GMT", now, date), Some(CAP_MS), "capped");
        // Too large to read is longer than the cap: the cap, not "no Retry-After" (issue 12).
        assert_eq!(parse_retry_after("99999999999999999999", now, date), Some(CAP_MS));
        assert_eq!(parse_retry_after("18446744073709551616", now, date), Some(CAP_MS));
        for bad in ["", "  ", "-5", "1.5", "soon"] {
            assert_eq!(parse_retry_after(bad, now, date), None, "{bad}");
        }
    }
}
