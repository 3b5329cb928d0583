//! `content_html` to a tree of allowed nodes, without any browser HTML parser.
//!
//! Host pages may enforce Trusted Types, and a feed is untrusted: so the HTML is read here,
//! in Rust, and only an allowlist of elements survives. Every other tag is dropped but its
//! text kept, except the contents of elements whose text is code or markup (`script`,
//! `style`, …), which are dropped whole. The DOM side builds the tree with `createElement`.

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

impl Tag {
    fn from_name(name: &str) -> Option<Tag> {
        Some(match name {
            "p" => Tag::P,
            "br" => Tag::Br,
            "a" => Tag::A,
            "em" => Tag::Em,
            "strong" => Tag::Strong,
            "b" => Tag::B,
            "i" => Tag::I,
            "blockquote" => Tag::Blockquote,
            "ul" => Tag::Ul,
            "ol" => Tag::Ol,
            "li" => Tag::Li,
            _ => return None,
        })
    }

    /// The element name to create.
    pub fn name(self) -> &'static str {
        match self {
            Tag::P => "p",
            Tag::Br => "br",
            Tag::A => "a",
            Tag::Em => "em",
            Tag::Strong => "strong",
            Tag::B => "b",
            Tag::I => "i",
            Tag::Blockquote => "blockquote",
            Tag::Ul => "ul",
            Tag::Ol => "ol",
            Tag::Li => "li",
        }
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
    matches!(
        name,
        "script" | "style" | "template" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes"
            | "noscript" | "object" | "svg" | "math" | "select" | "head"
    )
}

/// Parses `content_html` into allowed nodes.
pub fn sanitize(input: &str) -> Vec<Node> {
    let mut builder = Builder { root: Vec::new(), stack: Vec::new(), ignored_depth: 0 };
    let mut rest = input;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            builder.text(&decode_entities(rest));
            break;
        };
        if lt > 0 {
            builder.text(&decode_entities(&rest[..lt]));
        }
        rest = &rest[lt..];
        match read_markup(rest) {
            Markup::Text => {
                builder.text("<");
                rest = &rest[1..];
            }
            Markup::Skip(len) => rest = &rest[len..],
            Markup::Tag { name, closing, href, len } => {
                rest = &rest[len..];
                if closing {
                    builder.close(&name);
                } else if is_opaque(&name) {
                    rest = skip_past_end_tag(rest, &name);
                } else {
                    builder.open(&name, href);
                }
            }
        }
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
            self.children().push(Node::Element { tag, href: None, children: Vec::new() });
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

enum Markup {
    /// A `<` that starts no tag: plain text.
    Text,
    /// A comment, doctype or processing instruction of this many bytes.
    Skip(usize),
    /// A start or end tag of this many bytes, its lower-case name, and an `href` if any.
    Tag { name: String, closing: bool, href: Option<String>, len: usize },
}

fn read_markup(s: &str) -> Markup {
    let b = s.as_bytes();
    if let Some(comment) = s.strip_prefix("<!--") {
        return Markup::Skip(comment.find("-->").map(|i| i + 7).unwrap_or(s.len()));
    }
    if matches!(b.get(1), Some(b'!' | b'?')) {
        return Markup::Skip(s.find('>').map(|i| i + 1).unwrap_or(s.len()));
    }
    let closing = b.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return if closing { Markup::Skip(s.find('>').map(|i| i + 1).unwrap_or(s.len())) } else { Markup::Text };
    }
    let name_end = s[name_start..]
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .map(|i| i + name_start)
        .unwrap_or(s.len());
    let name = s[name_start..name_end].to_ascii_lowercase();
    let (href, len) = read_attributes(s, name_end);
    Markup::Tag { name, closing, href, len }
}

/// Reads attributes from `at` to the end of the tag; returns the `href` value and the tag's length.
fn read_attributes(s: &str, mut at: usize) -> (Option<String>, usize) {
    let b = s.as_bytes();
    let mut href = None;
    loop {
        while b.get(at).is_some_and(|c| c.is_ascii_whitespace() || *c == b'/') {
            at += 1;
        }
        match b.get(at) {
            None => return (href, s.len()),
            Some(b'>') => return (href, at + 1),
            _ => {}
        }
        let name_start = at;
        while b.get(at).is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/')) {
            at += 1;
        }
        // An attribute name may start with `=`; take it as part of the name like browsers do.
        if at == name_start {
            at += 1;
        }
        let name = &s[name_start..at];
        while b.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if b.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let value = match b.get(at) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = at + 1;
                let end = s[start..].find(char::from(q)).map(|i| i + start).unwrap_or(s.len());
                at = (end + 1).min(s.len());
                &s[start..end]
            }
            _ => {
                let start = at;
                while b.get(at).is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>') {
                    at += 1;
                }
                &s[start..at]
            }
        };
        if name.eq_ignore_ascii_case("href") && href.is_none() {
            href = Some(decode_entities(value));
        }
    }
}

/// Skips an opaque element's content up to and including `</name>`.
fn skip_past_end_tag<'a>(s: &'a str, name: &str) -> &'a str {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("</") {
        let at = from + i + 2;
        if lower[at..].starts_with(name) {
            let after = at + name.len();
            if lower.as_bytes().get(after).is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'>' | b'/')) {
                let end = lower[after..].find('>').map(|j| after + j + 1).unwrap_or(s.len());
                return &s[end..];
            }
        }
        from = at;
    }
    ""
}

/// Decodes character references: numeric ones and the named ones news text uses.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_one(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One character reference at the start of `s` (which begins with `&`): the char and bytes used.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let body_end = s[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '#')).map(|i| i + 1).unwrap_or(s.len());
    let body = &s[1..body_end];
    let len = if s.as_bytes().get(body_end) == Some(&b';') { body_end + 1 } else { body_end };
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        let c = char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        return Some((c, len));
    }
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "colon" => ':',
        "Tab" => '\t',
        "NewLine" => '\n',
        "laquo" => '«',
        "raquo" => '»',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "ecirc" => 'ê',
        "ocirc" => 'ô',
        "euro" => '€',
        _ => return None,
    };
    Some((c, len))
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
