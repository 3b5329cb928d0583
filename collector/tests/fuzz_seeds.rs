//! Every committed fuzz seed (`fuzz/seeds/<target>/`) through its target's checks, natively:
//! the same checks the fuzz targets run (`fuzz/checks/`), without building them under a
//! nightly and a sanitizer (`scripts/fuzz.sh` does, to fuzz). A seed that once found a bug
//! fails here if the bug comes back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The collector's mapper modules, where `fuzz/checks/source_map.rs` looks for them.
mod sources {
    pub use depeche_collector::sources::{guard, guest, map};
}

#[path = "../../fuzz/checks/feed_to_view.rs"]
mod feed_to_view;
#[path = "../../fuzz/checks/html_allowlist.rs"]
mod html_allowlist;
#[path = "../../fuzz/checks/source_map.rs"]
mod source_map;

use std::path::Path;

/// Runs each seed of `target` through `check`; the seeds that failed, with what they broke.
fn replay(target: &str, check: fn(&[u8])) -> (usize, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds").join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    seeds.sort();
    let mut failed = Vec::new();
    for seed in &seeds {
        let data = std::fs::read(seed).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
            let said = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            failed.push(format!("{}: {said}", seed.display()));
        }
    }
    (seeds.len(), failed)
}

#[test]
fn every_committed_seed_passes_its_targets_checks() {
    for (target, check, at_least) in [
        ("feed_to_view", feed_to_view::check as fn(&[u8]), 6),
        ("html_allowlist", html_allowlist::check, 7),
        ("source_map", source_map::check, 21),
    ] {
        let (ran, failed) = replay(target, check);
        println!("{target}: {ran} seeds");
        assert!(ran >= at_least, "{target}: {ran} seeds, fewer than the {at_least} committed");
        assert!(failed.is_empty(), "{target}:\n{}", failed.join("\n"));
    }
}

/// The positive control: the replay sees a broken promise, and names the seed.
#[test]
fn a_seed_that_breaks_a_check_is_reported_with_its_name() {
    let (ran, failed) = replay("html_allowlist", |data| assert!(data.is_empty(), "not empty"));
    assert!(ran > 0);
    assert_eq!(failed.len(), ran, "{failed:?}");
    assert!(failed[0].contains("html_allowlist/") && failed[0].ends_with("not empty"), "{failed:?}");
}
