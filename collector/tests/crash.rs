//! kill -9 under load: no acknowledged beacon is lost, and the database stays sound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::store::sqlite::SqliteStore;
use depeche_collector::store::Store;
use std::ffi::OsStr;
use std::time::Duration;
use support::Collector;

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque"}]}"#;

#[test]
fn kill_9_under_load_loses_no_acknowledged_beacon() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.json");
    std::fs::write(&feed, FEED).unwrap();
    let db = dir.path().join("crash.db");
    let database = format!("sqlite:{}", db.display());
    let args = [OsStr::new("--feed"), feed.as_os_str(), OsStr::new("--database"), OsStr::new(&database), OsStr::new("--trust-proxy"), OsStr::new("127.0.0.1")];
    let collector = Collector::start(&args, &[], Duration::from_secs(10));
    let port = collector.port;

    let load = support::Load::until_gone(port, 8, "kangaba");
    load.until_more_than(100);
    collector.kill();
    let acknowledged = load.stop();
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored = runtime.block_on(store.counts("view")).unwrap().get("kangaba").copied().unwrap_or(0);
    println!("kill -9 under load: {acknowledged} acknowledged, {stored} stored");
    assert!(acknowledged > 100, "the load ran ({acknowledged} acknowledged)");
    assert!(stored >= acknowledged, "lost acknowledged beacons: {acknowledged} acknowledged, {stored} stored");
    assert!(stored <= acknowledged + 8, "at most one unacknowledged commit per connection in flight");
}
