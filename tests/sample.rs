//! The demo feed carries the reference wire story (tests/data/sample, a copy of the project's
//! ../shared/sample kept inside the repository so that a clone alone passes) byte for byte.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche::feed;
use depeche::json::Value;
use std::path::Path;

fn sample_paragraphs() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample/kangaba-attack-2017-06-18.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Runs of empty lines are page-layout artefacts (tests/data/sample/README.md).
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
    // At least one item has expired; none expires in the future by accident.
    let with_expiry: Vec<_> = items.iter().filter_map(|i| i.expires).collect();
    assert!(!with_expiry.is_empty(), "no item has _depeche.expires");
    assert!(with_expiry.iter().all(|&e| e < 1_600_000_000_000), "{with_expiry:?}");
    let mut urgencies: Vec<u8> = items.iter().map(|i| i.urgency).collect();
    urgencies.sort_unstable();
    urgencies.dedup();
    assert!(urgencies.len() >= 3);
}

#[test]
fn the_repository_copy_is_the_original_byte_for_byte() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = std::fs::read(here.join("tests/data/sample/kangaba-attack-2017-06-18.txt")).unwrap();
    // The original's length and first and last lines, so that a clone alone can check its copy.
    assert_eq!(copy.len(), 2539, "the copy's length changed");
    let text = String::from_utf8(copy.clone()).unwrap();
    assert!(text.starts_with("URGENT : Attaque en cours contre un lieu à Bamako"));
    assert!(text.trim_end().ends_with("Kassim Traoré, correspondant à Bamako"));
    // Beside the project (as on the developers' machines and in CI), the copy equals it.
    let original = here.join("../shared/sample/kangaba-attack-2017-06-18.txt");
    if let Ok(original) = std::fs::read(original) {
        assert_eq!(copy, original, "tests/data/sample differs from ../shared/sample");
    }
}
