//! The list of banner items a reader closed, as stored in one localStorage value.

use crate::text::{push_joined, split_byte};

/// The localStorage key, namespaced so it cannot clash with the host page's own keys.
pub const STORAGE_KEY: &str = "depeche:dismissed";

/// Older dismissals are forgotten past this many, to keep the stored value small.
pub const MAX_REMEMBERED: usize = 50;

/// Reads the stored value: one item id a line.
pub fn parse(stored: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for id in split_byte(stored, b'\n').filter(|l| !l.is_empty()) {
        ids.push(id.to_owned());
    }
    ids
}

/// Adds `id` to the list (most recent last) and returns the value to store.
pub fn add(list: &mut Vec<String>, id: &str) -> String {
    list.retain(|d| d != id);
    list.push(id.to_owned());
    // One at a time: the list grows by one id per dismissal.
    while list.len() > MAX_REMEMBERED {
        list.remove(0);
    }
    // An id with a line break cannot be stored one a line; it stays dismissed for this page only.
    let mut out = String::new();
    for id in list.iter().filter(|d| !d.is_empty() && !d.contains(['\n', '\r'])) {
        push_joined(&mut out, "\n", id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_caps() {
        let mut list = parse("a\n\nb\n");
        assert_eq!(list, ["a", "b"]);
        assert_eq!(add(&mut list, "a"), "b\na");
        for i in 0..MAX_REMEMBERED + 5 {
            add(&mut list, &i.to_string());
        }
        assert_eq!(list.len(), MAX_REMEMBERED);
        assert_eq!(list.last().map(String::as_str), Some("54"));
        assert_eq!(parse(&add(&mut list, "x\ny")).len(), MAX_REMEMBERED - 1);
        assert!(list.iter().any(|d| d == "x\ny"));
        // A stored list longer than the cap (from an older version) keeps its newest ids.
        let mut long = parse(&(0..60).map(|i| i.to_string()).collect::<Vec<_>>().join("\n"));
        add(&mut long, "new");
        assert_eq!(long.len(), MAX_REMEMBERED);
        assert_eq!((long[0].as_str(), long[MAX_REMEMBERED - 1].as_str()), ("11", "new"));
    }
}
