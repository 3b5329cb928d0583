//! What the widget tells the collector: the beacon body, and which events a page sends.

use crate::json::{Json, Kind};
use crate::text::concat;

/// Bodies larger than this are not sent (the collector refuses them too).
pub const MAX_BODY: usize = 1024;

/// A reader event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The item was seen (see `viewability`).
    View,
    /// The reader expanded the card.
    Read,
}

impl Event {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Event::View => "view",
            Event::Read => "read",
        }
    }
}

/// The JSON body `{"v":1,"item":…,"event":…,"feed":…}`, or `None` if it would exceed [`MAX_BODY`].
pub fn body(item: &str, event: Event, feed_url: &str) -> Option<String> {
    let mut out = String::from("{\"v\":1,\"item\":");
    push_json_string(&mut out, item);
    out.push_str(&concat(&[",\"event\":\"", event.name(), "\",\"feed\":"]));
    push_json_string(&mut out, feed_url);
    out.push('}');
    (out.len() <= MAX_BODY).then_some(out)
}

fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An item id in a beacon is at most this many characters (the collector refuses longer).
pub const MAX_ITEM_CHARS: usize = 256;
/// A beacon's feed URL is at most this many characters.
pub const MAX_FEED_CHARS: usize = 512;

/// A beacon as the collector reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// The item's feed id.
    pub item: String,
    /// What happened.
    pub event: Event,
    /// The feed URL the widget read.
    pub feed: String,
}

/// Why a beacon was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeaconError {
    /// More than [`MAX_BODY`] bytes.
    TooLarge,
    /// Not JSON, or not the expected fields and types.
    Malformed,
    /// A protocol version this collector does not speak.
    UnknownVersion,
    /// The item id is empty or longer than [`MAX_ITEM_CHARS`].
    BadItem,
    /// The feed URL is longer than [`MAX_FEED_CHARS`].
    BadFeed,
}

impl BeaconError {
    /// A short message for the error response body.
    pub fn message(self) -> &'static str {
        match self {
            BeaconError::TooLarge => "beacon body over 1024 bytes",
            BeaconError::Malformed => "beacon must be JSON: {\"v\":1,\"item\":…,\"event\":\"view\"|\"read\",\"feed\":…}",
            BeaconError::UnknownVersion => "unknown beacon version (expected v: 1)",
            BeaconError::BadItem => "beacon item id is empty or over 256 characters",
            BeaconError::BadFeed => "beacon feed URL is over 512 characters",
        }
    }
}

/// Reads a beacon body that [`body`] wrote (parsed as JSON by the caller, whose body was at
/// most [`MAX_BODY`] bytes): the one definition of the protocol for both sides.
pub fn parse<J: Json>(v: &J) -> Result<Beacon, BeaconError> {
    if v.kind() != Kind::Object {
        return Err(BeaconError::Malformed);
    }
    let text = |key| v.get(key).and_then(|x| x.string()).ok_or(BeaconError::Malformed);
    let version = v.get("v").and_then(|x| x.number()).ok_or(BeaconError::Malformed)?;
    let (item, event, feed) = (text("item")?, text("event")?, text("feed")?);
    let event = match event.as_str() {
        "view" => Event::View,
        "read" => Event::Read,
        _ => return Err(BeaconError::Malformed),
    };
    if version != 1.0 {
        return Err(BeaconError::UnknownVersion);
    }
    if item.is_empty() || item.chars().count() > MAX_ITEM_CHARS {
        return Err(BeaconError::BadItem);
    }
    if feed.chars().count() > MAX_FEED_CHARS {
        return Err(BeaconError::BadFeed);
    }
    Ok(Beacon { item, event, feed })
}

/// The events this page has already sent: at most one of each kind per item per page load.
#[derive(Debug, Default)]
pub struct Sent {
    seen: Vec<(String, Event)>,
}

impl Sent {
    /// Nothing sent yet.
    pub const fn new() -> Sent {
        Sent { seen: Vec::new() }
    }

    /// Records the event; `false` if this page already sent it.
    pub fn first(&mut self, item: &str, event: Event) -> bool {
        if self.seen.iter().any(|(i, e)| i == item && *e == event) {
            return false;
        }
        self.seen.push((item.to_owned(), event));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_small_json_body() {
        let b = body("kangaba-attack", Event::View, "http://localhost:8080/feed.json").unwrap();
        assert_eq!(b, r#"{"v":1,"item":"kangaba-attack","event":"view","feed":"http://localhost:8080/feed.json"}"#);
        let v: serde_json::Value = serde_json::from_str(&body("é\"\\\n\u{1}", Event::Read, "").unwrap()).unwrap();
        assert_eq!(v["item"], "é\"\\\n\u{1}");
        assert_eq!(v["event"], "read");
    }

    #[test]
    fn refuses_bodies_over_the_limit() {
        assert!(body(&"x".repeat(1000), Event::View, "").is_none());
        assert!(body(&"x".repeat(900), Event::View, "").is_some());
    }

    fn read(body: &str) -> Result<Beacon, BeaconError> {
        let v: crate::json::Value = serde_json::from_str(body).map_err(|_| BeaconError::Malformed)?;
        parse(&&v)
    }

    #[test]
    fn reads_what_it_writes_and_refuses_the_rest() {
        let b = body("k\"1", Event::Read, "http://x/feed.json").unwrap();
        assert_eq!(read(&b), Ok(Beacon { item: "k\"1".into(), event: Event::Read, feed: "http://x/feed.json".into() }));
        assert_eq!(read(r#"{"v":2,"item":"a","event":"view","feed":""}"#), Err(BeaconError::UnknownVersion));
        assert_eq!(read(r#"{"v":1,"item":"","event":"view","feed":""}"#), Err(BeaconError::BadItem));
        assert_eq!(read(&format!(r#"{{"v":1,"item":"{}","event":"view","feed":""}}"#, "é".repeat(257))), Err(BeaconError::BadItem));
        assert_eq!(read(&format!(r#"{{"v":1,"item":"a","event":"view","feed":"{}"}}"#, "f".repeat(513))), Err(BeaconError::BadFeed));
        for bad in [r#"{"v":1,"item":"a","event":"click","feed":""}"#, r#"{"v":1,"item":5,"event":"view","feed":""}"#, "[]", r#"{"item":"a"}"#] {
            assert_eq!(read(bad), Err(BeaconError::Malformed), "{bad}");
        }
    }

    #[test]
    fn each_event_once_per_item() {
        let mut s = Sent::default();
        assert!(s.first("a", Event::View));
        assert!(!s.first("a", Event::View));
        assert!(s.first("a", Event::Read));
        assert!(s.first("b", Event::View));
    }
}
