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
}

/// Reads settings through `attr`, which returns a `data-*` attribute's value by full name.
///
/// A missing feed is fatal; a bad optional value is reported and replaced by its default.
pub fn read(attr: impl Fn(&str) -> Option<String>) -> Result<(Settings, Vec<Error>), Error> {
    let nonempty = |name: &str| attr(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let feed = nonempty("data-feed").ok_or(Error::MissingSetting("data-feed"))?;
    let mut warnings = Vec::new();
    let urgency = match nonempty("data-urgency") {
        None => DEFAULT_BANNER_URGENCY,
        Some(v) => match v.parse::<u8>() {
            Ok(u @ 1..=9) => u,
            _ => {
                warnings.push(Error::BadSetting { name: "data-urgency", value: v, expected: "a whole number from 1 to 9" });
                DEFAULT_BANNER_URGENCY
            }
        },
    };
    let settings = Settings {
        feed,
        beacon: nonempty("data-beacon"),
        lang: nonempty("data-lang"),
        time_zone: nonempty("data-time-zone"),
        urgency,
    };
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
            }
        );
    }

    #[test]
    fn defaults_and_warnings() {
        let (s, warnings) = from(&[("data-feed", "f.json"), ("data-urgency", "0"), ("data-lang", " ")]).expect("valid");
        assert_eq!(s.urgency, DEFAULT_BANNER_URGENCY);
        assert_eq!(s.lang, None);
        assert_eq!(s.beacon, None);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].message(), "data-urgency: \"0\" is not a whole number from 1 to 9; using the default");
    }

    #[test]
    fn the_feed_is_required() {
        let e = from(&[("data-feed", "  ")]).expect_err("no feed");
        assert_eq!(e.message(), "data-feed: missing on the script tag; nothing to show");
    }
}
