//! `content_html` through the allowlist: never a panic, and the output keeps its promises.
//! Shared by the fuzz target of the same name and the native replay of the committed seeds
//! (`collector/tests/fuzz_seeds.rs`, run by `make test`).
use depeche::html::{sanitize, Node, Tag};

/// Checks one node at `depth` (1 for the top level) and returns (text bytes, element depth).
fn check_node(node: &Node, depth: usize) -> (usize, usize) {
    match node {
        // Text is not an element: its nesting is the number of elements around it.
        Node::Text(t) => (t.len(), depth - 1),
        Node::Element { tag, href, children } => {
            if let Some(h) = href {
                assert_eq!(*tag, Tag::A, "href only on links");
                let lower = h.to_ascii_lowercase();
                assert!(lower.starts_with("http://") || lower.starts_with("https://"), "href {h:?}");
                assert!(!h.chars().any(|c| c < ' '), "no control characters in {h:?}");
            }
            if *tag == Tag::Br {
                assert!(children.is_empty());
            }
            children.iter().map(|c| check_node(c, depth + 1)).fold((0, depth), |(t, d), (ct, cd)| (t + ct, d.max(cd)))
        }
    }
}

/// Runs one input through the target; panics on a broken promise.
pub fn check(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let nodes = sanitize(input);
    let (text, depth) = nodes.iter().map(|n| check_node(n, 1)).fold((0, 0), |(t, d), (nt, nd)| (t + nt, d.max(nd)));
    // Decoding references only ever shortens text; nothing is invented.
    assert!(text <= input.len(), "text {text} > input {}", input.len());
    assert!(depth <= 32, "nesting is bounded: {depth}");
}
