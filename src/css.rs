//! Minifying the widget's stylesheet at compile time, so that it stays readable in the source
//! and ships small inside the wasm (0.14 KB gzip less, measured with scripts/size.sh).
//!
//! Enough for a hand-written sheet: comments go, runs of whitespace become one space, and
//! that space goes too next to punctuation that needs none. Quoted strings are kept as
//! written. A space before `:` stays (`a :hover` is not `a:hover`), as does one before `(`
//! (`and (color)` is not the function `and(`).

/// The length of `css` minified, to size the array [`minify`] fills.
pub const fn minified_len(css: &str) -> usize {
    let mut scratch = [0u8; 0];
    write(css.as_bytes(), &mut scratch, false)
}

/// `css` minified, in an array of exactly [`minified_len`] bytes.
pub const fn minify<const N: usize>(css: &str) -> [u8; N] {
    let mut out = [0u8; N];
    write(css.as_bytes(), &mut out, true);
    out
}

/// Punctuation that needs no space on either side.
const fn tight(c: u8) -> bool {
    matches!(c, b'{' | b'}' | b';' | b',' | b'>')
}

/// Writes the minified bytes of `src` to `out` when `store` (else only counts them);
/// returns how many there are.
const fn write(src: &[u8], out: &mut [u8], store: bool) -> usize {
    let mut n = 0;
    let mut i = 0;
    // The last byte written, and whether a space came since.
    let mut prev = 0u8;
    let mut space = false;
    while i < src.len() {
        let c = src[i];
        if c == b'/' && i + 1 < src.len() && src[i + 1] == b'*' {
            i += 2;
            while i + 1 < src.len() && !(src[i] == b'*' && src[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        if c.is_ascii_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        // A `;` right before `}` is dropped.
        if c == b';' && next_is_close(src, i + 1) {
            i += 1;
            continue;
        }
        // A space survives only between bytes that both need it.
        if space && n > 0 && !tight(prev) && !matches!(prev, b':' | b'(') && !tight(c) && !matches!(c, b')' | b'!') {
            if store {
                out[n] = b' ';
            }
            n += 1;
        }
        space = false;
        // A quoted string is copied whole; the loop below ends on its closing quote.
        let mut end = i;
        if c == b'"' || c == b'\'' {
            end += 1;
            while end < src.len() && src[end] != c {
                end += 1;
            }
        }
        while i <= end && i < src.len() {
            if store {
                out[n] = src[i];
            }
            prev = src[i];
            n += 1;
            i += 1;
        }
    }
    n
}

/// Whether the next byte from `at` that is not whitespace is `}`.
const fn next_is_close(src: &[u8], mut at: usize) -> bool {
    while at < src.len() && src[at].is_ascii_whitespace() {
        at += 1;
    }
    at < src.len() && src[at] == b'}'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(css: &str) -> String {
        let mut out = vec![0u8; minified_len(css)];
        let n = write(css.as_bytes(), &mut out, true);
        assert_eq!(n, out.len(), "the counting pass and the writing pass agree");
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    #[test]
    fn drops_comments_and_the_space_punctuation_does_not_need() {
        assert_eq!(
            min("/* why */\n:host {\n  color: red;\n  --x: a, b;\n}\n[part~=\"card\"] > p , h2 { margin: 0 0 1rem; }\n"),
            ":host{color:red;--x:a,b}[part~=\"card\"]>p,h2{margin:0 0 1rem}"
        );
    }

    #[test]
    fn keeps_strings_and_the_spaces_that_change_meaning() {
        assert_eq!(min("a { font: 1rem \"Segoe  UI\", x; }"), "a{font:1rem \"Segoe  UI\",x}");
        assert_eq!(min("a :hover { b: c }"), "a :hover{b:c}");
        assert_eq!(min("@media screen and (color) { a { b: c !important; } }"), "@media screen and (color){a{b:c!important}}");
        assert_eq!(min("@media (prefers-color-scheme: dark) {}"), "@media (prefers-color-scheme:dark){}");
    }

    #[test]
    fn minifying_twice_changes_nothing() {
        let sheet = include_str!("dom/widget.css");
        let once = min(sheet);
        assert!(once.len() < sheet.len());
        assert_eq!(min(&once), once);
    }
}
