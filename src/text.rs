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

/// Splits plain text into paragraphs on blank lines, trimming each and dropping empty ones.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
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
