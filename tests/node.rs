//! The pure logic and the JSON bridge compiled to wasm32 and run in Node
//! (`wasm-pack test --node`): 32-bit `usize`, the browser-side `JSON.parse` walk.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche::dom::fetch::parse_json;
use depeche::json::{Value, MAX_DEPTH};
use depeche::{feed, html, rfc3339, text, view};
use wasm_bindgen_test::*;

const SAMPLE_FEED: &str = include_str!("../www/feed.json");

#[wasm_bindgen_test]
fn json_parse_walk_reads_every_kind_of_value() {
    let v = parse_json(r#"{"s":"Traoré ✓","n":-1.5,"i":9007199254740991,"b":false,"z":null,"a":[1,"x"],"o":{}}"#).unwrap();
    assert_eq!(v.get("s"), Some(&Value::String("Traoré ✓".into())));
    assert_eq!(v.get("n"), Some(&Value::Number(-1.5)));
    assert_eq!(v.get("i"), Some(&Value::Number(9_007_199_254_740_991.0)));
    assert_eq!(v.get("b"), Some(&Value::Bool(false)));
    assert_eq!(v.get("z"), Some(&Value::Null));
    assert_eq!(v.get("a"), Some(&Value::Array(vec![Value::Number(1.0), Value::String("x".into())])));
    assert_eq!(v.get("o"), Some(&Value::Object(vec![])));
}

#[wasm_bindgen_test]
fn json_parse_walk_refuses_non_json_and_cuts_deep_nesting() {
    assert!(parse_json("{\"items\": [").is_none());
    assert!(parse_json("").is_none());
    let depth = 200;
    let deep = "[".repeat(depth) + &"]".repeat(depth);
    let mut v = &parse_json(&deep).unwrap();
    let mut levels = 0;
    while let Value::Array(items) = v {
        levels += 1;
        v = &items[0];
    }
    assert_eq!(v, &Value::TooDeep);
    assert_eq!(levels, MAX_DEPTH + 1);
}

#[wasm_bindgen_test]
fn the_sample_feed_validates_in_wasm_with_its_text_intact() {
    let parsed = feed::parse(&parse_json(SAMPLE_FEED).unwrap()).unwrap();
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
