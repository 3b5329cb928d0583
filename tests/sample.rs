//! The demo feed carries the reference wire story (../shared/sample) byte for byte.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche::feed;
use depeche::json::Value;
use std::path::Path;

fn sample_paragraphs() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sample/kangaba-attack-2017-06-18.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Runs of empty lines are page-layout artefacts (shared/sample/README.md).
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

#[test]
fn demo_feed_holds_the_sample_story_verbatim() {
    let paras = sample_paragraphs();
    let (header, rest) = paras.split_first().unwrap();
    let (signature, body) = rest.split_last().unwrap();

    let json = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("www/feed.json")).unwrap();
    let parsed = feed::parse(&serde_json::from_str::<Value>(&json).unwrap()).unwrap();
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    let story = parsed.feed.items.iter().find(|i| i.id == "kangaba-attack-2017-06-18").unwrap();

    assert_eq!(
        header,
        &format!("URGENT : {} Rédigé par Massene Diop le 18 Juin 2017 à 18:48 | Lu 376 fois", story.title)
    );
    assert_eq!(story.urgency, 1);
    assert_eq!(story.authors, ["Massene Diop"]);
    assert_eq!(story.views, Some(376));
    assert_eq!(story.date_published, depeche::rfc3339::parse("2017-06-18T18:48:00Z"));
    assert_eq!(story.signature.as_deref(), Some(signature.as_str()));
    assert_eq!(story.summary.as_deref(), Some(body[0].as_str()));
    assert_eq!(story.content_text.as_deref(), Some(body.join("\n\n").as_str()));
}

#[test]
fn demo_feed_has_varied_items_and_one_expired() {
    let json = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("www/feed.json")).unwrap();
    let items = feed::parse(&serde_json::from_str::<Value>(&json).unwrap()).unwrap().feed.items;
    assert!(items.len() >= 5);
    assert!(items.iter().any(|i| i.language.as_deref() == Some("en")));
    assert!(items.iter().filter(|i| i.expires.is_some()).all(|i| i.expires < Some(1_600_000_000_000)));
    let mut urgencies: Vec<u8> = items.iter().map(|i| i.urgency).collect();
    urgencies.sort_unstable();
    urgencies.dedup();
    assert!(urgencies.len() >= 3);
}
