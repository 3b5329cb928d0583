//! The one decision on which URLs from a feed may become a link or an image source.

/// Returns the URL cleaned as a browser's URL parser would, if its scheme is http or https.
///
/// Leading and trailing C0 controls and spaces are trimmed and ASCII tabs and newlines removed
/// anywhere, because browsers do the same before reading the scheme (`java\tscript:` is a
/// `javascript:` URL). Everything else, other Unicode spaces included, is kept, so a URL
/// starting with U+2028 or NBSP has no valid scheme and is refused. Relative URLs are refused
/// too: they would resolve against the host page, not the feed.
pub fn safe_http_url(raw: &str) -> Option<String> {
    let trimmed = raw.trim_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    // Other control characters inside a URL are no part of a real link (found by fuzzing:
    // an unterminated attribute swallowed NUL bytes into an href).
    if cleaned.chars().any(|c| c.is_ascii_control()) {
        return None;
    }
    let (scheme, rest) = crate::text::split_once_byte(&cleaned, b':')?;
    let ok = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    // `http:foo` is relative to the page's own origin in browsers; require an authority.
    let has_host = rest.starts_with("//") && rest.len() > 2;
    if ok && has_host {
        Some(cleaned)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::safe_http_url;

    #[test]
    fn keeps_http_and_https() {
        assert_eq!(safe_http_url("https://example.org/a?b#c").as_deref(), Some("https://example.org/a?b#c"));
        assert_eq!(safe_http_url("  HTTP://example.org/\n").as_deref(), Some("HTTP://example.org/"));
        assert_eq!(safe_http_url("ht\ttp\ns://x.org").as_deref(), Some("https://x.org"));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "\u{2028}https://x.org",
            "\u{a0}https://x.org",
            "/relative",
            "//evil.example",
            "https:evil",
            "https://",
            "",
            "https://x.org/?a=1&b\0\0ko",
            "https://x.org/\u{7f}",
        ] {
            assert_eq!(safe_http_url(bad), None, "{bad:?}");
        }
    }
}
