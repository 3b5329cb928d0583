//! What the widget tells the collector: the beacon body, and which events a page sends.

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

    #[test]
    fn each_event_once_per_item() {
        let mut s = Sent::default();
        assert!(s.first("a", Event::View));
        assert!(!s.first("a", Event::View));
        assert!(s.first("a", Event::Read));
        assert!(s.first("b", Event::View));
    }
}
