//! The widget's settings, read from the script tag's `data-*` attributes.

use crate::error::Error;
use crate::view::DEFAULT_BANNER_URGENCY;

/// Everything the publisher can set on the script tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `data-feed`: URL of the JSON Feed.
    pub feed: String,
    /// `data-beacon`: URL of the view collector; no counting without it.
    pub beacon: Option<String>,
    /// `data-lang`: interface language, before the feed's and the page's.
    pub lang: Option<String>,
    /// `data-time-zone`: IANA zone for dates; the reader's own when absent.
    pub time_zone: Option<String>,
    /// `data-urgency`: the banner shows items at or under this urgency (1–9).
    pub urgency: u8,
    /// `data-timeout`: seconds before a feed request is abandoned.
    pub timeout_seconds: u32,
    /// `data-max-bytes`: larger feeds are refused before parsing.
    pub max_bytes: u64,
    /// `data-refresh`: seconds between feed refreshes; 0 turns refreshing off.
    pub refresh_seconds: u32,
    /// `data-events`: URL of the collector's event stream; alerts come at once with it.
    pub events: Option<String>,
    /// `data-key`: the newsroom's public keys (`ed25519:…`, separated by spaces); with it,
    /// only items signed by one of them are shown (`signed`). `None`: not asked for.
    pub keys: Option<String>,
}

/// Default `data-refresh`, in seconds.
pub const DEFAULT_REFRESH_SECONDS: u32 = 60;

/// Default `data-timeout`, in seconds.
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 8;
/// Default `data-max-bytes`: 2 MB.
pub const DEFAULT_MAX_BYTES: u64 = 2_000_000;

/// A whole number within `range`, or the default with a warning. One type for every
/// setting (each range fits the field it fills): each instance of a generic one cost wasm.
fn number(
    value: Option<String>,
    name: &'static str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
    expected: &'static str,
    warnings: &mut Vec<Error>,
) -> u64 {
    let Some(v) = value else { return default };
    match crate::text::parse_u64(&v) {
        Some(n) if range.contains(&n) => n,
        _ => {
            warnings.push(Error::BadSetting { name, value: v, expected });
            default
        }
    }
}

/// Reads settings through `attr`, which returns a `data-*` attribute's value by full name.
///
/// A missing feed is fatal; a bad optional value is reported and replaced by its default.
pub fn read(attr: impl Fn(&str) -> Option<String>) -> Result<(Settings, Vec<Error>), Error> {
    let nonempty = |name: &str| attr(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let feed = nonempty("data-feed").ok_or(Error::MissingSetting("data-feed"))?;
    let mut w = Vec::new();
    let urgency =
        number(nonempty("data-urgency"), "data-urgency", 1..=9, DEFAULT_BANNER_URGENCY.into(), "a whole number from 1 to 9", &mut w) as u8;
    let timeout_seconds = number(
        nonempty("data-timeout"),
        "data-timeout",
        1..=120,
        DEFAULT_TIMEOUT_SECONDS.into(),
        "a whole number of seconds from 1 to 120",
        &mut w,
    ) as u32;
    let max_bytes = number(
        nonempty("data-max-bytes"),
        "data-max-bytes",
        1_000..=100_000_000,
        DEFAULT_MAX_BYTES,
        "a whole number of bytes from 1000 to 100000000",
        &mut w,
    );
    // 0 turns refreshing off; otherwise no more often than every 15 s.
    let refresh_seconds = match nonempty("data-refresh").as_deref() {
        Some("0") => 0,
        v => number(
            v.map(str::to_owned),
            "data-refresh",
            15..=86_400,
            DEFAULT_REFRESH_SECONDS.into(),
            "0 (off) or a whole number of seconds from 15 to 86400",
            &mut w,
        ) as u32,
    };
    let settings = Settings {
        feed,
        beacon: nonempty("data-beacon"),
        lang: nonempty("data-lang"),
        time_zone: nonempty("data-time-zone"),
        urgency,
        timeout_seconds,
        max_bytes,
        refresh_seconds,
        events: nonempty("data-events"),
        keys: nonempty("data-key"),
    };
    let warnings = w;
    Ok((settings, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<(Settings, Vec<Error>), Error> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        read(|name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn reads_every_attribute() {
        let (s, warnings) = from(&[
            ("data-feed", " /feed.json "),
            ("data-beacon", "/beacon"),
            ("data-lang", "fr"),
            ("data-time-zone", "Africa/Bamako"),
            ("data-urgency", "3"),
            ("data-timeout", "20"),
            ("data-max-bytes", "50000"),
            ("data-refresh", "0"),
            ("data-events", "/events"),
            ("data-key", "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA  ed25519:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
        ])
        .expect("valid");
        assert!(warnings.is_empty());
        assert_eq!(
            s,
            Settings {
                feed: "/feed.json".into(),
                beacon: Some("/beacon".into()),
                lang: Some("fr".into()),
                time_zone: Some("Africa/Bamako".into()),
                urgency: 3,
                timeout_seconds: 20,
                max_bytes: 50_000,
                refresh_seconds: 0,
                events: Some("/events".into()),
                keys: Some("ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA  ed25519:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB".into()),
            }
        );
        assert_eq!(from(&[("data-feed", "/f")]).expect("valid").0.keys, None);
    }

    #[test]
    fn defaults_and_warnings() {
        let (s, warnings) = from(&[("data-feed", "f.json"), ("data-urgency", "0"), ("data-lang", " "), ("data-timeout", "8s"), ("data-refresh", "5")])
            .expect("valid");
        assert_eq!(s.urgency, DEFAULT_BANNER_URGENCY);
        assert_eq!(s.timeout_seconds, DEFAULT_TIMEOUT_SECONDS);
        assert_eq!(s.max_bytes, DEFAULT_MAX_BYTES);
        assert_eq!(s.refresh_seconds, DEFAULT_REFRESH_SECONDS);
        assert_eq!(s.lang, None);
        assert_eq!(s.beacon, None);
        assert_eq!(s.events, None);
        let messages: Vec<String> = warnings.iter().map(Error::message).collect();
        assert_eq!(
            messages,
            [
                "data-urgency: \"0\" is not a whole number from 1 to 9; using the default",
                "data-timeout: \"8s\" is not a whole number of seconds from 1 to 120; using the default",
                "data-refresh: \"5\" is not 0 (off) or a whole number of seconds from 15 to 86400; using the default",
            ]
        );
    }

    #[test]
    fn the_feed_is_required() {
        let e = from(&[("data-feed", "  ")]).expect_err("no feed");
        assert_eq!(e.message(), "data-feed: missing on the script tag; nothing to show");
    }
}
