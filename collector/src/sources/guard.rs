//! Panics from reading a source stay with that source. feed-rs 3.0.0 panics on some ordinary
//! input (a byline's address in «guillemets», an `<itunes:duration>` or a Media RSS `time`
//! beyond `u64` or in non-ASCII digits, issue 25); a panic in the collector's own mapping would
//! be a bug, but still only that source's. `catching` turns a panic into an error; `parse_xml`
//! keeps the rest of a feed when feed-rs panics on part of it.
//!
//! Caught panics print nothing (a hook set once keeps quiet about them): their message becomes
//! the source's error or one of its `skipped` lines, which the source loop logs once. Every
//! other panic goes to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// A caught panic's message is cut to this many characters: it may quote the feed itself, and
/// it is shown in `/status` and logged.
pub const MAX_PANIC_MESSAGE_CHARS: usize = 300;

/// A panic caught by `catching`.
#[derive(Debug, Clone, PartialEq)]
pub struct Panic {
    /// What it said, cut to `MAX_PANIC_MESSAGE_CHARS`, control characters blanked.
    pub message: String,
    /// Where: the crate's file and line (`feed-rs-3.0.0/src/parser/util/mod.rs:155`).
    pub location: String,
}

impl Panic {
    /// The dependency it happened in (`feed-rs`, `quick-xml`), from its location's crate
    /// folder; `None` for the collector's own code, and for the standard library's checks
    /// (which fail on a call of the collector's, as far as anyone can tell from here).
    pub fn dependency(&self) -> Option<&str> {
        let folder = self.location.split('/').next()?;
        // A registry crate's folder: its name, a dash, its version (`1.2.3`, `0.8.35-rc.1`).
        let at = folder.match_indices('-').map(|(i, _)| i).find(|i| folder[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?;
        let (name, version) = (&folder[..at], &folder[at + 1..]);
        let numeric = version.split(['.', '-', '+']).take(3).filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).count() == 3;
        (numeric && !name.is_empty()).then_some(name)
    }
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} (at {})", self.message, self.location)
    }
}

thread_local! {
    /// How many `catching` calls this thread is inside: the hook keeps quiet when above 0.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// The last caught panic's description, left by the hook for `catching`.
    static CAUGHT: RefCell<Option<Panic>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Panics caught in the collector's own code since the start (a bug each; the fuzz target
/// checks that none happen, whatever a feed's text says).
static OWN_PANICS: AtomicUsize = AtomicUsize::new(0);

/// How many panics `catching` has caught in the collector's own code (not a dependency's).
pub fn own_panics() -> usize {
    OWN_PANICS.load(Ordering::Relaxed)
}

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) > 0 {
                let location = info.location().map_or_else(|| "an unknown place".to_owned(), |l| format!("{}:{}", short_path(l.file()), l.line()));
                let message = info.payload_as_str().unwrap_or("a panic without a message");
                CAUGHT.with(|c| *c.borrow_mut() = Some(Panic { message: clean_message(message), location }));
            } else {
                previous(info);
            }
        }));
    });
}

/// The part of a source path from the crate's folder on (`feed-rs-3.0.0/src/…`,
/// `collector/src/…`), without the machine's own folders.
fn short_path(file: &str) -> String {
    let parts: Vec<&str> = file.split(['/', '\\']).collect();
    let from = parts.iter().rposition(|p| *p == "src").map_or(0, |i| i.saturating_sub(1));
    parts[from..].join("/")
}

fn clean_message(message: &str) -> String {
    let mut out: String = message.chars().take(MAX_PANIC_MESSAGE_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if message.chars().nth(MAX_PANIC_MESSAGE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Runs `f`; a panic inside it is caught (quietly) and returned as `Err`. The collector's
/// release profile unwinds (Cargo.toml), which this needs.
pub fn catching<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    install_hook();
    GUARDED.with(|g| g.set(g.get().saturating_add(1)));
    let result = panic::catch_unwind(panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    result.map_err(|payload| {
        let p = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_else(|| {
            // A panic hook set after ours: the payload still says what happened.
            let message = payload.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| payload.downcast_ref::<String>().cloned());
            Panic { message: clean_message(message.as_deref().unwrap_or("a panic without a message")), location: "an unknown place".into() }
        });
        if p.dependency().is_none() {
            OWN_PANICS.fetch_add(1, Ordering::Relaxed);
        }
        p
    })
}

/// Whose bug a panic is, as the messages say it: `a bug in feed-rs`, or in another
/// dependency, or `a bug in depeche-collector`.
fn whose(p: &Panic) -> String {
    format!("a bug in {}", p.dependency().unwrap_or("depeche-collector"))
}

/// The error of a source whose reading panicked.
pub fn failed(p: &Panic) -> String {
    format!("the feed parser failed on this feed ({}): {p}", whose(p))
}

/// Parses an XML feed with `parse` (a fresh feed-rs parser each call: a panic leaves one in a
/// bad state). If it panics, the feed is parsed again with what is known to make feed-rs 3.0.0
/// panic taken out (`without_known_triggers`), then, if it still panics, item by item, each in
/// the feed's own envelope: an item that panics is skipped, with why, and the others are read.
/// Returns the feed and lines for `skipped` saying what was done.
pub fn parse_xml<F>(body: &[u8], parse: &dyn Fn(&[u8]) -> Result<F, String>, merge: &dyn Fn(&mut F, F)) -> Result<(F, Vec<String>), String> {
    let first = match catching(|| parse(body)) {
        Ok(result) => return result.map(|feed| (feed, Vec::new())),
        Err(p) => p,
    };
    let text = as_utf8(body);
    let cleaned = without_known_triggers(&text);
    let note = format!(
        "the feed parser failed on this feed ({}: {first}); read again without its media and duration elements, \
         without the e-mail addresses in its bylines and without misplaced XML declarations",
        whose(&first)
    );
    match catching(|| parse(cleaned.as_bytes())) {
        Ok(Ok(feed)) => return Ok((feed, vec![note])),
        Ok(Err(e)) => return Err(e),
        Err(_) => {}
    }
    let spans = item_spans(&cleaned);
    let (Some(&(head_end, _)), Some(&(_, tail_start))) = (spans.first(), spans.last()) else { return Err(failed(&first)) };
    let (head, tail) = (&cleaned[..head_end], &cleaned[tail_start..]);
    let Ok(Ok(mut feed)) = catching(|| parse(format!("{head}{tail}").as_bytes())) else { return Err(failed(&first)) };
    let mut notes = Vec::new();
    for (n, &(start, end)) in spans.iter().enumerate() {
        let one = format!("{head}{}{tail}", &cleaned[start..end]);
        match catching(|| parse(one.as_bytes())) {
            Ok(Ok(alone)) => merge(&mut feed, alone),
            Ok(Err(e)) => notes.push(format!("item {} of the feed: {e}", n + 1)),
            Err(p) => notes.push(format!("item {} of the feed: the feed parser failed on it ({}: {p}); skipped", n + 1, whose(&p))),
        }
    }
    Ok((feed, notes))
}

/// The feed as UTF-8 text without its XML declaration (so that feed-rs reads it as UTF-8): a
/// byte-order mark or the declaration's encoding says how to decode it, else UTF-8.
fn as_utf8(body: &[u8]) -> String {
    let declared = declaration(body).and_then(|d| {
        let at = find(d, b"encoding")?;
        let rest = d.get(at + 8..)?;
        let quote_at = rest.iter().position(|b| *b == b'"' || *b == b'\'')?;
        let quote = rest[quote_at];
        let value = rest.get(quote_at + 1..)?;
        let len = value.iter().position(|b| *b == quote)?;
        encoding_rs::Encoding::for_label(&value[..len])
    });
    let (encoding, bom) = encoding_rs::Encoding::for_bom(body).unwrap_or((declared.unwrap_or(encoding_rs::UTF_8), 0));
    let text = encoding.decode_without_bom_handling(body.get(bom..).unwrap_or_default()).0;
    match declaration(text.as_bytes()).map(<[u8]>::len) {
        Some(len) => {
            let start = text.len() - text.trim_start().len();
            format!("{}{}", &text[..start], text.get(start + len..).unwrap_or_default())
        }
        None => text.into_owned(),
    }
}

/// The XML declaration (`<?xml … ?>`) the body starts with, after any whitespace.
fn declaration(body: &[u8]) -> Option<&[u8]> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &body[start..];
    if !(rest.starts_with(b"<?xml") && rest.get(5).is_some_and(u8::is_ascii_whitespace)) {
        return None;
    }
    let end = find(rest, b"?>")?;
    Some(&rest[..end + 2])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How an element is treated by `without_known_triggers`.
enum Trigger {
    /// Left as it is.
    None,
    /// Taken out with all it holds.
    Drop,
    /// Its text is kept without e-mail addresses.
    Person,
}

fn trigger(name: &str) -> Trigger {
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    // feed-rs parses NPT times (`<itunes:duration>`, Media RSS `time`, `start`, `end`) with a
    // Unicode `\d` and unwraps the u64; the mapping reads none of them.
    if local == "duration" || prefix == "media" {
        return Trigger::Drop;
    }
    // feed-rs slices a byline around its address by bytes: a multi-byte character next to it
    // (« ») panics.
    if matches!(local, "creator" | "author" | "managingEditor" | "webMaster" | "name") {
        return Trigger::Person;
    }
    Trigger::None
}

/// The feed without the elements known to make feed-rs 3.0.0 panic, and with bylines
/// without their e-mail addresses. Malformed XML is returned as far as it could be read, the
/// rest unchanged (feed-rs then says what is wrong with it).
pub fn without_known_triggers(doc: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    loop {
        let before = position(&reader);
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e,
        };
        match event {
            Event::Empty(e) if matches!(trigger(e.name().as_ref()), Trigger::Drop) => edits.push((before, position(&reader), String::new())),
            // The text has no declaration of its own any more (`as_utf8`): one inside the
            // document is misplaced, and makes quick-xml 0.42.0 panic under feed-rs.
            Event::Decl(_) => edits.push((before, position(&reader), String::new())),
            Event::Start(e) => match trigger(e.name().as_ref()) {
                Trigger::Drop => {
                    if reader.read_to_end(e.name()).is_err() {
                        break;
                    }
                    edits.push((before, position(&reader), String::new()));
                }
                Trigger::Person => {
                    let inner_start = position(&reader);
                    match person_text(&mut reader) {
                        Some(Some((text, inner_end))) => edits.push((inner_start, inner_end, quick_xml::escape::escape(without_addresses(&text)).into_owned())),
                        Some(None) => {}
                        None => break,
                    }
                }
                Trigger::None => {}
            },
            _ => {}
        }
    }
    let mut out = String::with_capacity(doc.len());
    let mut at = 0;
    for (start, end, replacement) in edits {
        out.push_str(doc.get(at..start).unwrap_or_default());
        out.push_str(&replacement);
        at = end;
    }
    out.push_str(doc.get(at..).unwrap_or_default());
    out
}

fn position(reader: &quick_xml::Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// The text of the element just opened, and where its content ends, read to its end; `None`
/// if the XML ends or breaks first, `Some(None)` for an element with elements inside (Atom's
/// `<author><name>`), which has no text of its own.
fn person_text(reader: &mut quick_xml::Reader<&[u8]>) -> Option<Option<(String, usize)>> {
    use quick_xml::events::Event;
    let mut text = String::new();
    let mut depth = 0usize;
    let mut nested = false;
    loop {
        let before = position(reader);
        match reader.read_event().ok()? {
            Event::Eof => return None,
            Event::Start(_) => {
                depth += 1;
                nested = true;
            }
            Event::Empty(_) => nested = true,
            Event::End(_) if depth == 0 => return Some((!nested).then_some((text, before))),
            Event::End(_) => depth -= 1,
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.into_inner()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => {
                    let name = r.into_inner();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => text.push_str(&format!("&{name};")),
                    }
                }
            },
            _ => {}
        }
    }
}

/// A byline without its e-mail addresses (words with an `@`) and the brackets around what is
/// left: `La rédaction «redaction@journal.example»` is `La rédaction`.
pub fn without_addresses(byline: &str) -> String {
    let words: Vec<&str> = byline.split_whitespace().filter(|w| !w.contains('@') && !w.eq_ignore_ascii_case("mailto:")).collect();
    let joined = words.join(" ");
    for (open, close) in [('(', ')'), ('[', ']'), ('<', '>'), ('«', '»')] {
        if let Some(inner) = joined.strip_prefix(open).and_then(|s| s.strip_suffix(close)) {
            return inner.trim().to_owned();
        }
    }
    joined
}

/// The byte spans of the feed's items (`<item>`, `<entry>`), outermost only.
fn item_spans(doc: &str) -> Vec<(usize, usize)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut spans = Vec::new();
    loop {
        let before = position(&reader);
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) if matches!(e.local_name().as_ref(), "item" | "entry") => {
                if reader.read_to_end(e.name()).is_err() {
                    break;
                }
                spans.push((before, position(&reader)));
            }
            Ok(Event::Empty(e)) if matches!(e.local_name().as_ref(), "item" | "entry") => spans.push((before, position(&reader))),
            Ok(_) => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_says_what_and_where_and_nothing_escapes() {
        let p = catching(|| -> u8 { panic!("boom {}", "\u{7}x".repeat(400)) }).unwrap_err();
        assert!(p.message.starts_with("boom  x x"), "{p:?}");
        assert_eq!(p.message.chars().count(), MAX_PANIC_MESSAGE_CHARS + 1, "cut, with an ellipsis");
        assert!(p.location.starts_with("collector/src/sources/guard.rs:"), "{p:?}");
        assert_eq!(p.dependency(), None);
        let before = own_panics();
        let _ = catching(|| -> u8 { panic!("ours") });
        assert!(own_panics() > before, "counted");
        assert!(failed(&p).contains("a bug in depeche-collector"));
        assert_eq!(catching(|| 7), Ok(7));
        let nested = catching(|| catching(|| -> u8 { panic!("inner") }).map_err(|p| p.message));
        assert_eq!(nested, Ok(Err("inner".to_owned())));
    }

    #[test]
    fn a_panic_is_a_dependencys_if_it_happened_in_a_registry_crate() {
        let at = |location: &str| Panic { message: String::new(), location: location.to_owned() };
        assert_eq!(at("feed-rs-3.0.0/src/parser/util/mod.rs:155").dependency(), Some("feed-rs"));
        assert_eq!(at("quick-xml-0.42.0/src/encoding.rs:380").dependency(), Some("quick-xml"));
        assert_eq!(at("encoding_rs-0.8.35-rc.1/src/lib.rs:1").dependency(), Some("encoding_rs"));
        assert_eq!(at("collector/src/sources/map.rs:12").dependency(), None);
        assert_eq!(at("library/core/src/time.rs:962").dependency(), None, "std's checks fail on our calls");
        assert_eq!(at("an unknown place").dependency(), None);
        assert!(failed(&at("quick-xml-0.42.0/src/encoding.rs:380")).contains("(a bug in quick-xml)"));
    }

    #[test]
    fn short_paths_start_at_the_crate() {
        assert_eq!(short_path("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/feed-rs-3.0.0/src/parser/util/mod.rs"), "feed-rs-3.0.0/src/parser/util/mod.rs");
        assert_eq!(short_path("collector/src/sources/map.rs"), "collector/src/sources/map.rs");
        assert_eq!(short_path("lib.rs"), "lib.rs");
    }

    #[test]
    fn addresses_leave_bylines() {
        assert_eq!(without_addresses("La rédaction «redaction@journal.example»"), "La rédaction");
        assert_eq!(without_addresses("jean@x.example (Jean Dupont)"), "Jean Dupont");
        assert_eq!(without_addresses("Jean Dupont <mailto:jean@x.example>"), "Jean Dupont");
        assert_eq!(without_addresses("«redaction@journal.example»"), "");
        assert_eq!(without_addresses("Aïssata Maïga"), "Aïssata Maïga");
    }

    #[test]
    fn known_triggers_are_taken_out_and_the_rest_is_kept_byte_for_byte() {
        let doc = "<rss><channel><item><title>T &amp; «x»</title><itunes:duration>١٢</itunes:duration><?xml version=\"1.0\"?>\
                   <media:group><media:thumbnail time=\"9\"/></media:group><media:thumbnail url=\"u\" time=\"99\"/>\
                   <dc:creator>La r&#233;daction «r@j.example»</dc:creator><author><name>A</name></author></item></channel></rss>";
        assert_eq!(
            without_known_triggers(doc),
            "<rss><channel><item><title>T &amp; «x»</title><dc:creator>La rédaction</dc:creator><author><name>A</name></author></item></channel></rss>"
        );
        let broken = "<rss><item><dc:creator>a@b.example</dc";
        assert_eq!(without_known_triggers(broken), broken);
    }

    #[test]
    fn text_is_decoded_by_its_bom_or_declaration_and_loses_the_declaration() {
        assert_eq!(as_utf8(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a>\xe9</a>"), "\n<a>é</a>");
        assert_eq!(as_utf8(b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><a>\xc3\xa9</a>"), "<a>é</a>");
        assert_eq!(as_utf8(b"\xff\xfe<\0a\0>\0"), "<a>");
        assert_eq!(as_utf8(b"<?xml-stylesheet href=\"s\"?><a/>"), "<?xml-stylesheet href=\"s\"?><a/>");
    }

    #[test]
    fn an_item_that_still_panics_is_skipped_and_the_others_read() {
        // A parser that panics on one item whatever is cleaned: items are read one by one.
        let parse = |b: &[u8]| -> Result<Vec<String>, String> {
            let text = String::from_utf8_lossy(b);
            assert!(!text.contains("BOOM"), "a bug");
            Ok(text.match_indices("<item><title>").map(|(i, _)| text[i + 13..].split('<').next().unwrap_or("").to_owned()).collect())
        };
        let merge = |all: &mut Vec<String>, more: Vec<String>| all.extend(more);
        let doc = b"<?xml version=\"1.0\"?><rss><channel><title>C</title><item><title>A</title></item>\
                    <item><title>BOOM</title></item><item><title>B</title></item></channel></rss>";
        let (titles, notes) = parse_xml(doc, &parse, &merge).unwrap();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("item 2 of the feed: the feed parser failed on it (a bug in depeche-collector: a bug (at collector/src/sources/guard.rs:"), "{notes:?}");
        // The channel itself panics: the whole source fails, with why.
        let channel = b"<rss><channel><title>BOOM</title><item><title>A</title></item></channel></rss>";
        assert!(parse_xml(b"<rss><channel><title>BOOM</title></channel></rss>", &parse, &merge).is_err(), "no items to read apart");
        let e = parse_xml(channel, &parse, &merge).unwrap_err();
        assert!(e.starts_with("the feed parser failed on this feed (a bug in depeche-collector): a bug (at "), "{e}");
    }
}
