//! The beacon body the widget sends, and its validation.

use serde::Deserialize;

/// Bodies over this many bytes are refused before parsing.
pub const MAX_BODY: usize = 1024;

/// What a reader did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// The item was at least half visible for a continuous second.
    View,
    /// The reader expanded the card.
    Read,
}

impl Event {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::View => "view",
            Event::Read => "read",
        }
    }
}

/// A validated beacon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// The item's feed id.
    pub item: String,
    /// What happened.
    pub event: Event,
    /// The feed URL the widget read.
    pub feed: String,
}

#[derive(Deserialize)]
struct Wire {
    v: u32,
    item: String,
    event: Event,
    feed: String,
}

/// Why a beacon was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeaconError {
    /// More than [`MAX_BODY`] bytes.
    TooLarge,
    /// Not JSON, or not the expected fields and types.
    Malformed,
    /// A protocol version this collector does not speak.
    UnknownVersion,
    /// An empty or overlong field.
    BadField(&'static str),
}

impl BeaconError {
    /// A short message for the error response body.
    pub fn message(&self) -> &'static str {
        match self {
            BeaconError::TooLarge => "beacon body over 1024 bytes",
            BeaconError::Malformed => "beacon must be JSON: {\"v\":1,\"item\":…,\"event\":\"view\"|\"read\",\"feed\":…}",
            BeaconError::UnknownVersion => "unknown beacon version (expected v: 1)",
            BeaconError::BadField("item") => "beacon item id is empty or over 256 characters",
            BeaconError::BadField(_) => "beacon feed URL is over 512 characters",
        }
    }
}

/// Parses and validates a beacon body.
pub fn parse(body: &[u8]) -> Result<Beacon, BeaconError> {
    if body.len() > MAX_BODY {
        return Err(BeaconError::TooLarge);
    }
    let wire: Wire = serde_json::from_slice(body).map_err(|_| BeaconError::Malformed)?;
    if wire.v != 1 {
        return Err(BeaconError::UnknownVersion);
    }
    if wire.item.is_empty() || wire.item.chars().count() > 256 {
        return Err(BeaconError::BadField("item"));
    }
    if wire.feed.chars().count() > 512 {
        return Err(BeaconError::BadField("feed"));
    }
    Ok(Beacon { item: wire.item, event: wire.event, feed: wire.feed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_widgets_beacon() {
        let b = parse(br#"{"v":1,"item":"kangaba","event":"view","feed":"http://x/feed.json","extra":true}"#).unwrap();
        assert_eq!(b, Beacon { item: "kangaba".into(), event: Event::View, feed: "http://x/feed.json".into() });
        assert_eq!(parse(r#"{"v":1,"item":"é","event":"read","feed":""}"#.as_bytes()).unwrap().event, Event::Read);
    }

    #[test]
    fn refuses_bad_beacons() {
        let long = format!(r#"{{"v":1,"item":"{}","event":"view","feed":""}}"#, "x".repeat(300));
        let cases: [(&[u8], BeaconError); 8] = [
            (b"", BeaconError::Malformed),
            (b"not json", BeaconError::Malformed),
            (br#"{"v":1,"item":"a","event":"click","feed":""}"#, BeaconError::Malformed),
            (br#"{"v":1,"item":5,"event":"view","feed":""}"#, BeaconError::Malformed),
            (br#"{"v":2,"item":"a","event":"view","feed":""}"#, BeaconError::UnknownVersion),
            (br#"{"v":1,"item":"","event":"view","feed":""}"#, BeaconError::BadField("item")),
            (long.as_bytes(), BeaconError::BadField("item")),
            (&[b' '; 1025], BeaconError::TooLarge),
        ];
        for (body, want) in cases {
            assert_eq!(parse(body), Err(want));
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            match parse(&body) {
                Ok(b) => {
                    prop_assert!(body.len() <= MAX_BODY);
                    prop_assert!(!b.item.is_empty() && b.item.chars().count() <= 256);
                }
                Err(BeaconError::TooLarge) => prop_assert!(body.len() > MAX_BODY),
                Err(e) => prop_assert!(!e.message().is_empty()),
            }
        }

        #[test]
        fn every_well_formed_beacon_is_accepted(item in "\\PC{1,100}", read in any::<bool>(), feed in "\\PC{0,100}") {
            let event = if read { "read" } else { "view" };
            let body = serde_json::json!({ "v": 1, "item": item, "event": event, "feed": feed }).to_string();
            prop_assume!(body.len() <= MAX_BODY);
            let b = parse(body.as_bytes()).unwrap();
            prop_assert_eq!(b.item, item);
            prop_assert_eq!(b.event.as_str(), event);
            prop_assert_eq!(b.feed, feed);
        }

        #[test]
        fn oversized_bodies_are_refused_before_parsing(extra in 1usize..4096) {
            let body = vec![b' '; MAX_BODY + extra];
            prop_assert_eq!(parse(&body), Err(BeaconError::TooLarge));
        }
    }
}
