//! The pure logic and the JSON bridge compiled to wasm32 and run in Node
//! (`wasm-pack test --node`): 32-bit `usize`, reading `JSON.parse`'s result in place.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche::dom::json::parse as parse_json;
use depeche::json::{Json, Kind};
use depeche::{feed, html, rfc3339, text, view};
use wasm_bindgen_test::*;

const SAMPLE_FEED: &str = include_str!("../www/feed.json");

#[wasm_bindgen_test]
fn json_parse_results_are_read_in_place_for_every_kind_of_value() {
    let v = parse_json(r#"{"s":"Traoré ✓","n":-1.5,"i":9007199254740991,"b":false,"z":null,"a":[1,"x"],"o":{}}"#).unwrap();
    let kind = |key: &str| v.get(key).map(|x| x.kind());
    assert_eq!(kind("s"), Some(Kind::String));
    assert_eq!(v.get("s").and_then(|x| x.string()).as_deref(), Some("Traoré ✓"));
    assert_eq!(v.get("n").and_then(|x| x.number()), Some(-1.5));
    assert_eq!(v.get("i").and_then(|x| x.number()), Some(9_007_199_254_740_991.0));
    assert_eq!(kind("b"), Some(Kind::Bool));
    assert!(v.get("z").is_some_and(|x| x.is_null() && x.kind() == Kind::Null));
    let a = v.get("a").and_then(|x| x.elements()).unwrap();
    assert_eq!((a[0].number(), a[1].string().as_deref()), (Some(1.0), Some("x")));
    assert_eq!(kind("o"), Some(Kind::Object));
    assert_eq!(kind("missing"), None);
    assert!(v.get("n").unwrap().elements().is_none());
}

#[wasm_bindgen_test]
fn a_string_field_is_read_in_one_question_with_the_same_answers_as_field_by_field() {
    let text = r#"{"s":"Traoré ✓","e":"","n":-1.5,"b":false,"z":null,"a":[1],"o":{}}"#;
    let v = parse_json(text).unwrap();
    let tree: depeche::json::Value = serde_json::from_str(text).unwrap();
    for key in ["s", "e", "n", "b", "z", "a", "o", "missing", "toString", "__proto__"] {
        assert_eq!(v.string_at(key), (&tree).string_at(key), "{key}");
    }
    assert_eq!(v.string_at("s"), Ok(Some("Traoré ✓".to_owned())));
    assert_eq!(v.string_at("n"), Err(Kind::Number));
    assert_eq!(v.string_at("z"), Ok(None));
    assert_eq!(v.string_at("toString"), Ok(None), "inherited, so not a field");
}

#[wasm_bindgen_test]
fn only_objects_are_asked_for_fields() {
    // `get` checks nothing (two calls into JS a field, not six): validation asks fields of
    // objects only, so a string's or an array's `length` is never read as a field (`get`
    // asserts it in this debug build).
    let parsed = feed::parse(parse_json(r#"{"items":["x",[1],5,null,{"id":"a","title":"T","authors":["Diop"],"_depeche":[2]}]}"#).unwrap()).unwrap();
    assert!(parsed.feed.items.is_empty());
    let messages: Vec<String> = parsed.skipped.iter().map(|e| e.message()).collect();
    assert_eq!(messages.len(), 5, "{messages:?}");
    assert!(messages[..4].iter().all(|m| m.contains("expected an object")), "{messages:?}");
    assert!(messages[4].starts_with("items[4]."), "{messages:?}");
    assert!(feed::parse(parse_json("[]").unwrap()).is_err(), "the feed itself must be an object");
}

#[wasm_bindgen_test]
fn json_parse_refuses_non_json_and_deep_nesting_is_never_walked() {
    assert!(parse_json("{\"items\": [").is_none());
    assert!(parse_json("").is_none());
    // Validation reads only the fields it knows: a deeply nested unknown field is not walked.
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let text = format!(r#"{{"items":[{{"id":"a","title":"T","extra":{deep}}}]}}"#);
    let parsed = feed::parse(parse_json(&text).unwrap()).unwrap();
    assert_eq!(parsed.feed.items.len(), 1);
}

#[wasm_bindgen_test]
fn inherited_properties_are_not_feed_fields() {
    // A host page that adds to Object.prototype does not give items a title.
    let proto = js_sys::Object::get_prototype_of(&js_sys::Object::new().into());
    js_sys::Reflect::set(&proto, &"title".into(), &"polluted".into()).unwrap();
    let parsed = feed::parse(parse_json(r#"{"items":[{"id":"a"}]}"#).unwrap());
    js_sys::Reflect::delete_property(&proto, &"title".into()).unwrap();
    let parsed = parsed.unwrap();
    assert!(parsed.feed.items.is_empty());
    assert_eq!(parsed.skipped[0].message(), "items[0].title: missing");
}

#[wasm_bindgen_test]
fn the_sample_feed_validates_in_wasm_with_its_text_intact() {
    let parsed = feed::parse(parse_json(SAMPLE_FEED).unwrap()).unwrap();
    assert!(parsed.skipped.is_empty());
    assert_eq!(parsed.feed.items.len(), 5);
    let story = &parsed.feed.items[0];
    assert_eq!(story.title, "Attaque en cours contre un lieu à Bamako fréquenté par des expatriés");
    assert_eq!(story.date_published, rfc3339::parse("2017-06-18T18:48:00Z"));
    assert_eq!(story.views, Some(376));
    let card = view::card_text(story);
    match card.body {
        view::Body::Paragraphs(p) => assert_eq!(p.len(), 12),
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test]
fn integers_and_dates_do_not_overflow_on_32_bit() {
    let mut s = String::new();
    text::push_u64(&mut s, u64::MAX);
    assert_eq!(s, "18446744073709551615");
    assert_eq!(rfc3339::parse("2999-12-31T23:59:59Z"), Some(32_503_679_999_000));
    let nodes = html::sanitize(&"<p>x".repeat(10_000));
    assert_eq!(nodes.len(), 10_000);
}

/// Every committed seed of the `feed_to_view` fuzz target.
const SEEDS: [&str; 6] = [
    include_str!("../fuzz/seeds/feed_to_view/bad-urgency.json"),
    include_str!("../fuzz/seeds/feed_to_view/dates.json"),
    include_str!("../fuzz/seeds/feed_to_view/demo-feed.json"),
    include_str!("../fuzz/seeds/feed_to_view/nested.json"),
    include_str!("../fuzz/seeds/feed_to_view/summary.json"),
    include_str!("../fuzz/seeds/feed_to_view/wrong-type.json"),
];

/// A small deterministic generator (xorshift), so that a failure names a reproducible feed.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// A JSON value of a random kind, sometimes of the kind a feed field wants.
    fn value(&mut self, depth: u32) -> String {
        let strings = ["\"a\"", "\"\"", "\" Titre \\u00e9 \"", "\"2017-06-18T18:48:00Z\"", "\"2017-13-01T00:00:00Z\"", "\"https://example.org/x\"", "\"javascript:alert(1)\"", "\"<p>Un <b>deux</b></p>\"", "\"fr_FR.UTF-8\""];
        let numbers = ["0", "1", "2", "9", "10", "-1", "1.5", "376.0", "1e308", "9007199254740993"];
        match self.next(if depth > 2 { 4 } else { 6 }) {
            0 => strings[self.next(strings.len() as u64) as usize].into(),
            1 => numbers[self.next(numbers.len() as u64) as usize].into(),
            2 => ["true", "false", "null"][self.next(3) as usize].into(),
            3 => "\"Massene Diop\"".into(),
            4 => format!("[{}]", (0..self.next(3)).map(|_| self.value(depth + 1)).collect::<Vec<_>>().join(",")),
            _ => self.object(depth + 1),
        }
    }

    fn object(&mut self, depth: u32) -> String {
        let keys = ["id", "title", "url", "summary", "content_text", "content_html", "date_published", "authors", "name", "image", "language", "_depeche", "urgency", "views", "expires", "status", "kicker", "signature"];
        let fields: Vec<String> = (0..self.next(8)).map(|_| format!("\"{}\":{}", keys[self.next(keys.len() as u64) as usize], self.value(depth))).collect();
        format!("{{{}}}", fields.join(","))
    }

    /// An item: mostly with an id and a title a feed accepts, then random fields.
    fn item(&mut self) -> String {
        let ids = ["\"a\"", "\"b\"", "42", "\"\"", "null"];
        let id = if self.next(4) == 0 { self.value(2) } else { ids[self.next(ids.len() as u64) as usize].to_owned() };
        let title = if self.next(4) == 0 { self.value(2) } else { "\"Titre\"".to_owned() };
        let rest = self.object(1);
        let rest = &rest[1..rest.len() - 1];
        format!("{{\"id\":{id},\"title\":{title}{}{rest}}}", if rest.is_empty() { "" } else { "," })
    }

    fn feed(&mut self) -> String {
        let items: Vec<String> = (0..self.next(5)).map(|_| if self.next(5) == 0 { self.value(1) } else { self.item() }).collect();
        format!("{{\"version\":\"https://jsonfeed.org/version/1.1\",\"language\":{},\"items\":[{}]}}", self.value(2), items.join(","))
    }
}

/// The feed read in place from `JSON.parse`'s result, and read through serde-wasm-bindgen
/// into the native value tree: the two must agree on everything, errors included.
fn both_readings(text: &str) -> (String, String) {
    let js = parse_json(text).unwrap_or_else(|| panic!("not JSON: {text}"));
    let oracle: depeche::json::Value = serde_wasm_bindgen::from_value(js.clone()).expect("serde-wasm-bindgen reads it");
    (format!("{:?}", feed::parse(js)), format!("{:?}", feed::parse(&oracle)))
}

#[wasm_bindgen_test]
fn reading_json_parse_in_place_agrees_with_serde_wasm_bindgen() {
    let mut compared = 0;
    for seed in SEEDS {
        let (in_place, oracle) = both_readings(seed);
        assert_eq!(in_place, oracle, "seed {seed}");
        compared += 1;
    }
    let mut gen = Gen(0x9E37_79B9_7F4A_7C15);
    let mut with_items = 0;
    for n in 0..400 {
        let text = gen.feed();
        let (in_place, oracle) = both_readings(&text);
        assert_eq!(in_place, oracle, "generated feed {n}: {text}");
        with_items += usize::from(in_place.contains("Item {"));
        compared += 1;
    }
    assert_eq!(compared, 406);
    // The generator reaches valid items, not only errors.
    assert!(with_items > 20, "only {with_items} generated feeds had a valid item");
}
