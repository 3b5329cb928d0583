//! `content_html` to a tree of allowed nodes, without any browser HTML parser.
//!
//! Host pages may enforce Trusted Types, and a feed is untrusted: so the HTML is read here,
//! in Rust, and only an allowlist of elements survives. Every other tag is dropped but its
//! text kept, except the contents of elements whose text is code or markup (`script`,
//! `style`, …), which are dropped whole. The DOM side builds the tree with `createElement`.

use crate::text::find_byte;
use crate::url::safe_http_url;

/// Deeper nesting is flattened: its tags are dropped, its text kept.
const MAX_DEPTH: usize = 32;

/// An element the widget lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `p`
    P,
    /// `br`
    Br,
    /// `a`, with an http(s) `href` only.
    A,
    /// `em`
    Em,
    /// `strong`
    Strong,
    /// `b`
    B,
    /// `i`
    I,
    /// `blockquote`
    Blockquote,
    /// `ul`
    Ul,
    /// `ol`
    Ol,
    /// `li`
    Li,
}

/// Every tag name the sanitiser knows, lower case: first the allowed ones, in the order of
/// [`Tag`]'s variants, then the elements whose content is code or markup, dropped with their
/// content. One table rather than `match`es on names: smaller wasm.
const NAMES: [&str; 26] = [
    "p", "br", "a", "em", "strong", "b", "i", "blockquote", "ul", "ol", "li", // allowed
    "script", "style", "template", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
    "object", "svg", "math", "select", "head",
];
const ALLOWED: [Tag; 11] =
    [Tag::P, Tag::Br, Tag::A, Tag::Em, Tag::Strong, Tag::B, Tag::I, Tag::Blockquote, Tag::Ul, Tag::Ol, Tag::Li];

/// The index of `name` in [`NAMES`], in any case.
fn known(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| n.eq_ignore_ascii_case(name))
}

impl Tag {
    fn from_name(name: &str) -> Option<Tag> {
        ALLOWED.get(known(name)?).copied()
    }

    /// The element name to create.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }
}

/// A node of sanitised content.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text, entities decoded.
    Text(String),
    /// An allowed element; `href` is set only on `a`, and only to an http(s) URL.
    Element { tag: Tag, href: Option<String>, children: Vec<Node> },
}

impl Node {
    /// All the text below this node, for a lede taken from HTML.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.push_text(&mut out);
        out
    }

    fn push_text(&self, out: &mut String) {
        match self {
            Node::Text(t) => out.push_str(t),
            Node::Element { tag: Tag::Br, .. } => out.push(' '),
            Node::Element { children, .. } => children.iter().for_each(|c| c.push_text(out)),
        }
    }
}

/// Elements whose content is code or markup, dropped with their content.
fn is_opaque(name: &str) -> bool {
    known(name).is_some_and(|i| i >= ALLOWED.len())
}

/// Parses `content_html` into allowed nodes.
pub fn sanitize(input: &str) -> Vec<Node> {
    let mut builder = Builder { root: Vec::new(), stack: Vec::new(), ignored_depth: 0 };
    let b = input.as_bytes();
    let mut at = 0;
    while at < b.len() {
        let lt = find_byte(b, at, b'<').unwrap_or(b.len());
        if lt > at {
            builder.text(&decode_entities(slice(input, at, lt)));
        }
        if lt >= b.len() {
            break;
        }
        at = match read_markup(input, lt) {
            Markup::Text => {
                builder.text("<");
                lt + 1
            }
            Markup::Skip(end) => end,
            Markup::Tag { name, closing, href, end } => {
                if closing {
                    builder.close(name);
                    end
                } else if is_opaque(name) {
                    skip_past_end_tag(b, end, name.as_bytes())
                } else {
                    builder.open(name, href);
                    end
                }
            }
        };
    }
    builder.finish()
}

/// One open allowed element: its tag, its `href`, and its children so far.
type Frame = (Tag, Option<String>, Vec<Node>);

struct Builder {
    root: Vec<Node>,
    stack: Vec<Frame>,
    /// Allowed tags opened past `MAX_DEPTH`, treated as text-only.
    ignored_depth: usize,
}

impl Builder {
    fn children(&mut self) -> &mut Vec<Node> {
        match self.stack.last_mut() {
            Some((_, _, children)) => children,
            None => &mut self.root,
        }
    }

    fn text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        let children = self.children();
        if let Some(Node::Text(prev)) = children.last_mut() {
            prev.push_str(t);
        } else {
            children.push(Node::Text(t.to_owned()));
        }
    }

    fn open(&mut self, name: &str, href: Option<String>) {
        let Some(tag) = Tag::from_name(name) else { return };
        if tag == Tag::Br {
            // A line break is an element too: past the depth limit it is dropped like the rest
            // (found by fuzzing: a <br> inside 32 open elements sat at depth 33).
            if self.stack.len() < MAX_DEPTH {
                self.children().push(Node::Element { tag, href: None, children: Vec::new() });
            }
            return;
        }
        // A new paragraph or list item closes the open one, as browsers do.
        if matches!(tag, Tag::P | Tag::Li) && self.stack.last().map(|f| f.0) == Some(tag) {
            self.pop();
        }
        if self.stack.len() >= MAX_DEPTH {
            self.ignored_depth += 1;
            return;
        }
        let href = if tag == Tag::A { href.as_deref().and_then(safe_http_url) } else { None };
        self.stack.push((tag, href, Vec::new()));
    }

    fn close(&mut self, name: &str) {
        let Some(tag) = Tag::from_name(name) else { return };
        if self.ignored_depth > 0 {
            self.ignored_depth -= 1;
            return;
        }
        if let Some(at) = self.stack.iter().rposition(|f| f.0 == tag) {
            while self.stack.len() > at {
                self.pop();
            }
        }
    }

    fn pop(&mut self) {
        if let Some((tag, href, children)) = self.stack.pop() {
            self.children().push(Node::Element { tag, href, children });
        }
    }

    fn finish(mut self) -> Vec<Node> {
        while !self.stack.is_empty() {
            self.pop();
        }
        self.root
    }
}

enum Markup<'a> {
    /// A `<` that starts no tag: plain text.
    Text,
    /// A comment, doctype or processing instruction, ending at this offset.
    Skip(usize),
    /// A start or end tag ending at `end`, its name as written, and an `href` if any.
    Tag { name: &'a str, closing: bool, href: Option<String>, end: usize },
}

// The tokenizer works on byte offsets and only ever splits at ASCII bytes, so every
// `slice` below falls on a char boundary; `get` keeps even a mistake panic-free.

fn slice(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or_default()
}

fn find_seq(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(pat.len()).position(|w| w == pat).map(|i| i + from)
}

fn is_space(c: u8) -> bool {
    c.is_ascii_whitespace()
}

fn past(b: &[u8], from: usize, byte: u8) -> usize {
    find_byte(b, from, byte).map_or(b.len(), |i| i + 1)
}

fn read_markup(s: &str, at: usize) -> Markup<'_> {
    let b = s.as_bytes();
    if b.get(at..at + 4) == Some(b"<!--") {
        return Markup::Skip(find_seq(b, at + 4, b"-->").map_or(b.len(), |i| i + 3));
    }
    if matches!(b.get(at + 1), Some(b'!' | b'?')) {
        return Markup::Skip(past(b, at, b'>'));
    }
    let closing = b.get(at + 1) == Some(&b'/');
    let name_start = at + if closing { 2 } else { 1 };
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return if closing { Markup::Skip(past(b, at, b'>')) } else { Markup::Text };
    }
    let mut name_end = name_start;
    while b.get(name_end).is_some_and(|&c| !is_space(c) && c != b'/' && c != b'>') {
        name_end += 1;
    }
    let name = slice(s, name_start, name_end);
    let (href, end) = read_attributes(s, name_end);
    Markup::Tag { name, closing, href, end }
}

/// Reads attributes from `at` to the end of the tag; returns the `href` value and the end.
fn read_attributes(s: &str, mut at: usize) -> (Option<String>, usize) {
    let b = s.as_bytes();
    let mut href = None;
    let skip_spaces = |mut i: usize| {
        while b.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        i
    };
    loop {
        while b.get(at).is_some_and(|&c| is_space(c) || c == b'/') {
            at += 1;
        }
        match b.get(at) {
            None => return (href, b.len()),
            Some(b'>') => return (href, at + 1),
            _ => {}
        }
        let name_start = at;
        // A name may start with `=`, as in browsers; it always takes at least one byte.
        at += 1;
        while b.get(at).is_some_and(|&c| !is_space(c) && !matches!(c, b'=' | b'>' | b'/')) {
            at += 1;
        }
        let name = slice(s, name_start, at);
        at = skip_spaces(at);
        if b.get(at) != Some(&b'=') {
            continue;
        }
        at = skip_spaces(at + 1);
        let (from, to) = match b.get(at) {
            Some(&q @ (b'"' | b'\'')) => {
                let close = find_byte(b, at + 1, q).unwrap_or(b.len());
                let span = (at + 1, close);
                at = (close + 1).min(b.len());
                span
            }
            _ => {
                let from = at;
                while b.get(at).is_some_and(|&c| !is_space(c) && c != b'>') {
                    at += 1;
                }
                (from, at)
            }
        };
        if href.is_none() && name.eq_ignore_ascii_case("href") {
            href = Some(decode_entities(slice(s, from, to)));
        }
    }
}

/// The offset just past an opaque element's `</name>`, or the end of the input.
fn skip_past_end_tag(b: &[u8], mut from: usize, name: &[u8]) -> usize {
    while let Some(i) = find_seq(b, from, b"</") {
        let at = i + 2;
        let after = at + name.len();
        let same_name = b.get(at..after).is_some_and(|n| n.eq_ignore_ascii_case(name));
        if same_name && b.get(after).is_none_or(|&c| is_space(c) || c == b'>' || c == b'/') {
            return past(b, after, b'>');
        }
        from = at;
    }
    b.len()
}

/// Decodes character references: numeric ones and the named ones news text uses.
pub fn decode_entities(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(amp) = find_byte(b, at, b'&') {
        at = amp + 1;
        if let Some((c, end)) = decode_one(b, at) {
            out.push_str(slice(s, copied, amp));
            out.push(c);
            at = end;
            copied = end;
        }
    }
    out.push_str(slice(s, copied, b.len()));
    out
}

/// The named references a feed is likely to use (the HTML basics, French letters and
/// typography); any other is kept as written. A table rather than a `match`: smaller wasm.
const NAMED: [(&[u8], char); 25] = [
    (b"amp", '&'), (b"lt", '<'), (b"gt", '>'), (b"quot", '"'), (b"apos", '\''), (b"nbsp", '\u{a0}'),
    (b"colon", ':'), (b"Tab", '\t'), (b"NewLine", '\n'), (b"laquo", '«'), (b"raquo", '»'),
    (b"rsquo", '’'), (b"lsquo", '‘'), (b"rdquo", '”'), (b"ldquo", '“'), (b"hellip", '…'),
    (b"ndash", '–'), (b"mdash", '—'), (b"eacute", 'é'), (b"egrave", 'è'), (b"agrave", 'à'),
    (b"ccedil", 'ç'), (b"ecirc", 'ê'), (b"ocirc", 'ô'), (b"euro", '€'),
];

/// One character reference whose body starts at `at` (just past `&`): the char and its end.
fn decode_one(b: &[u8], at: usize) -> Option<(char, usize)> {
    let mut end = at;
    while b.get(end).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'#') {
        end += 1;
    }
    let body = b.get(at..end)?;
    let end = if b.get(end) == Some(&b';') { end + 1 } else { end };
    if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num {
            [b'x' | b'X', hex @ ..] => (hex, 16),
            _ => (num, 10),
        };
        if digits.is_empty() {
            return None;
        }
        let mut code: u32 = 0;
        for &d in digits {
            let v = char::from(d).to_digit(radix)?;
            code = code.saturating_mul(radix).saturating_add(v);
        }
        let c = char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        return Some((c, end));
    }
    let c = NAMED.iter().find(|(name, _)| *name == body)?.1;
    Some((c, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Node {
        Node::Text(s.into())
    }
    fn el(tag: Tag, children: Vec<Node>) -> Node {
        Node::Element { tag, href: None, children }
    }

    #[test]
    fn every_allowed_tag_has_its_own_name() {
        for tag in ALLOWED {
            assert_eq!(Tag::from_name(tag.name()), Some(tag));
            assert_eq!(Tag::from_name(&tag.name().to_ascii_uppercase()), Some(tag));
            assert!(!is_opaque(tag.name()));
        }
        assert!(is_opaque("SCRIPT") && is_opaque("svg"));
        assert_eq!(Tag::from_name("script"), None);
        assert_eq!(Tag::from_name("div"), None);
    }

    #[test]
    fn keeps_allowed_elements() {
        assert_eq!(
            sanitize("<p>Une <em>attaque</em> à <STRONG>Bamako</STRONG>.</p><p>Deux<br>lignes</p>"),
            vec![
                el(Tag::P, vec![t("Une "), el(Tag::Em, vec![t("attaque")]), t(" à "), el(Tag::Strong, vec![t("Bamako")]), t(".")]),
                el(Tag::P, vec![t("Deux"), el(Tag::Br, vec![]), t("lignes")]),
            ]
        );
    }

    #[test]
    fn links_keep_only_http_hrefs() {
        let nodes = sanitize(r#"<a href="https://x.org/a?b=1&amp;c=2" onclick="x()">ok</a><a href="javascript:alert(1)">bad</a><a href=" jav&#x09;ascript&colon;alert(1)">bad2</a>"#);
        assert_eq!(
            nodes,
            vec![
                Node::Element { tag: Tag::A, href: Some("https://x.org/a?b=1&c=2".into()), children: vec![t("ok")] },
                Node::Element { tag: Tag::A, href: None, children: vec![t("bad")] },
                Node::Element { tag: Tag::A, href: None, children: vec![t("bad2")] },
            ]
        );
    }

    #[test]
    fn an_unterminated_href_with_control_characters_is_no_link() {
        // Found by fuzzing (fuzz/seeds/html_allowlist/regress-nul-in-href.html).
        let nodes = sanitize("<a href=\"https://x.org/?a=1&amp;b\0\0ko</a>");
        assert!(matches!(&nodes[..], [Node::Element { tag: Tag::A, href: None, .. }]), "{nodes:?}");
    }

    #[test]
    fn drops_unknown_tags_but_keeps_their_text() {
        assert_eq!(
            sanitize(r#"<div class="x"><span style="color:red">Texte</span> <img src=x onerror=alert(1)>fin</div>"#),
            vec![t("Texte fin")]
        );
    }

    #[test]
    fn drops_code_and_markup_containers_whole() {
        assert_eq!(
            sanitize("a<script>alert('</p>')</script>b<STYLE>p{}</style >c<svg><script>x</script></svg>d<!-- <p>hidden</p> -->e"),
            vec![t("abcde")]
        );
        assert_eq!(sanitize("x<script>never closed"), vec![t("x")]);
    }

    #[test]
    fn decodes_entities_and_stray_brackets() {
        assert_eq!(sanitize("L&#39;arm&eacute;e &amp; 3 &lt; 4 &unknown; a<3 &#0;"), vec![t("L'armée & 3 < 4 &unknown; a<3 \u{FFFD}")]);
    }

    #[test]
    fn closes_open_paragraphs_and_stray_end_tags() {
        assert_eq!(
            sanitize("<p>un<p>deux</em></p></ul><ul><li>a<li>b</ul>"),
            vec![
                el(Tag::P, vec![t("un")]),
                el(Tag::P, vec![t("deux")]),
                el(Tag::Ul, vec![el(Tag::Li, vec![t("a")]), el(Tag::Li, vec![t("b")])]),
            ]
        );
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let html = "<blockquote>".repeat(100) + "fond" + &"</blockquote>".repeat(100);
        let nodes = sanitize(&html);
        let mut depth = 0;
        let mut n = &nodes[0];
        while let Node::Element { children, .. } = n {
            depth += 1;
            n = &children[0];
        }
        assert_eq!(n, &t("fond"));
        assert!(depth <= MAX_DEPTH);
    }

    #[test]
    fn a_line_break_at_the_depth_limit_is_dropped() {
        fn depth(nodes: &[Node]) -> usize {
            nodes
                .iter()
                .map(|n| match n {
                    Node::Text(_) => 0,
                    Node::Element { children, .. } => 1 + depth(children),
                })
                .max()
                .unwrap_or(0)
        }
        let html = "<em>".repeat(40) + "a<br>b";
        let nodes = sanitize(&html);
        assert_eq!(depth(&nodes), MAX_DEPTH);
        assert_eq!(nodes[0].text(), "ab");
    }

    #[test]
    fn truncated_markup_does_not_panic() {
        for s in ["<", "<a", "<a href", "<a href=\"x", "</", "</p", "<!--", "<!", "&#", "&#x;", "&#99999999999;", "<p é=1>é</p>"] {
            let _ = sanitize(s);
        }
        assert_eq!(sanitize("<p é=1>é</p>"), vec![el(Tag::P, vec![t("é")])]);
    }

    #[test]
    fn text_of_a_node() {
        assert_eq!(el(Tag::P, vec![t("a"), el(Tag::Br, vec![]), el(Tag::Em, vec![t("b")])]).text(), "a b");
    }
}
