//! Small string helpers that keep `format!` and its machinery out of the wasm.

/// Appends the decimal digits of `n`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// A whole number written in ASCII digits only (no sign, no spaces); `None` when it does not
/// fit (the last few values below `u64::MAX` are refused too: nothing read comes near them).
/// Smaller in wasm than `str::parse`, which handles signs and any radix.
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        // Checked against the limit first, so that no 128-bit overflow check is needed.
        if !b.is_ascii_digit() || n > (u64::MAX - 9) / 10 {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// Concatenates string parts into one owned string.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// Appends `part`, after `sep` unless `out` is still empty: `join` without a `Vec` (each
/// `[T]::join` instance ships its own copy loop).
pub fn push_joined(out: &mut String, sep: &str, part: &str) {
    if !out.is_empty() {
        out.push_str(sep);
    }
    out.push_str(part);
}

// The splitting helpers below look for one ASCII byte, never a `char`: an ASCII byte never
// occurs inside a multi-byte character, so every cut falls on a char boundary, and core's
// char searchers (memchr, UTF-8 decoding) stay out of the wasm.

/// The index of the first `byte` in `b` at or after `from`.
pub fn find_byte(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    b.get(from..)?.iter().position(|&c| c == byte).map(|i| i + from)
}

/// `s` before and after its first `byte`.
pub fn split_once_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find_byte(s.as_bytes(), 0, byte)?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// The parts of `s` between each `byte`, as `str::split` with an ASCII separator.
pub fn split_byte(s: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_once_byte(r, byte) {
            Some((part, after)) => {
                rest = Some(after);
                Some(part)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Splits plain text into paragraphs on blank lines, trimming each and dropping empty ones.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    // `trim` also drops the `\r` of a CRLF line end.
    for line in split_byte(text, b'\n') {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_integers() {
        for n in [0u64, 7, 10, 376, 12_345, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn splits_paragraphs_on_blank_lines_only() {
        let text = "Un.\nsuite du un.\n\n\n  \nDeux à Bamako.\r\n\r\nTrois\n";
        assert_eq!(paragraphs(text), ["Un. suite du un.", "Deux à Bamako.", "Trois"]);
        assert!(paragraphs(" \n\n").is_empty());
    }

    #[test]
    fn parses_whole_numbers_as_digits_only() {
        for n in [0u64, 7, 376, 100_000_000, u64::MAX / 10 + 5] {
            assert_eq!(parse_u64(&n.to_string()), Some(n));
        }
        for bad in ["", " 1", "1 ", "+1", "-1", "1.5", "1e3", "١٢", "99999999999999999999999"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn splits_at_a_byte_like_str_split() {
        for s in ["", "a", "a\n", "\nb", "a\n\nb é\r\nc", "é\nà"] {
            assert_eq!(split_byte(s, b'\n').collect::<Vec<_>>(), s.split('\n').collect::<Vec<_>>(), "{s:?}");
            assert_eq!(split_once_byte(s, b'\n'), s.split_once('\n'), "{s:?}");
        }
        assert_eq!(find_byte(b"a:b:c", 2, b':'), Some(3));
        assert_eq!(find_byte(b"a", 5, b':'), None);
    }

    #[test]
    fn concatenates() {
        assert_eq!(concat(&["a", "é", "", "c"]), "aéc");
    }
}
