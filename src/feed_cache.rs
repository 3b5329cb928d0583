//! The last good copy of the feed, kept in one localStorage value to show when the
//! network fails.

/// The localStorage key.
pub const STORAGE_KEY: &str = "depeche:last-feed";

/// Larger feeds are not kept: localStorage is small (about 5 MB per origin) and shared
/// with the host page.
pub const MAX_STORED: usize = 256 * 1024;

/// Whether a feed text of `len` units fetched from `url` may be kept (`url`, a newline, the
/// text).
pub fn storable(url: &str, len: usize) -> bool {
    !url.bytes().any(|b| b == b'\n') && url.len() + 1 + len <= MAX_STORED
}

/// The value to store for `text` fetched from `url`, or `None` when too large.
pub fn encode(url: &str, text: &str) -> Option<String> {
    if !storable(url, text.len()) {
        return None;
    }
    let mut out = String::with_capacity(url.len() + 1 + text.len());
    out.push_str(url);
    out.push('\n');
    out.push_str(text);
    Some(out)
}

/// The stored feed text, if it was fetched from `url`.
pub fn decode<'a>(stored: &'a str, url: &str) -> Option<&'a str> {
    let (stored_url, text) = crate::text::split_once_byte(stored, b'\n')?;
    (stored_url == url).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_for_the_same_feed_only() {
        let v = encode("/feed.json", "{\"items\":[]}\n").unwrap();
        assert_eq!(decode(&v, "/feed.json"), Some("{\"items\":[]}\n"));
        assert_eq!(decode(&v, "/other.json"), None);
        assert_eq!(decode("garbage", "/feed.json"), None);
    }

    #[test]
    fn refuses_what_is_too_large() {
        assert!(encode("/f", &"x".repeat(MAX_STORED)).is_none());
        assert!(encode("/f", &"x".repeat(MAX_STORED - 3)).is_some());
        assert!(encode("/f\n", "{}").is_none());
    }
}
