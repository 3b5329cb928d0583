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
    fn concatenates() {
        assert_eq!(concat(&["a", "é", "", "c"]), "aéc");
    }
}
