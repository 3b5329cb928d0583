//! The last good copy of the feed, kept in one localStorage value to show when the
//! network fails.

/// The localStorage key.
pub const STORAGE_KEY: &str = "depeche:last-feed";

/// Larger feeds are not kept: localStorage is small (about 5 MB per origin) and shared
/// with the host page.
pub const MAX_STORED: usize = 256 * 1024;

/// What goes before a feed text of `len` units fetched from `url` in the stored value (the
/// URL and a newline; the text follows as it came, joined on the JS side), or `None` when
/// it may not be kept: too large, or a URL with a newline.
pub fn prefix(url: &str, len: usize) -> Option<String> {
    if url.bytes().any(|b| b == b'\n') || url.len() + 1 + len > MAX_STORED {
        return None;
    }
    let mut out = url.to_owned();
    out.push('\n');
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

    /// The value stored for `text` from `url`, as the widget joins it.
    fn encode(url: &str, text: &str) -> Option<String> {
        prefix(url, text.len()).map(|p| p + text)
    }

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
