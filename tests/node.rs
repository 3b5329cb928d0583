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
    // Only objects have fields; a string's or an array's properties are not read.
    assert!(v.get("s").unwrap().get("length").is_none());
    assert!(v.get("a").unwrap().get("length").is_none());
    assert!(v.get("n").unwrap().elements().is_none());
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
