//! `depeche-collector backup`: a copy of the SQLite database taken while the collector runs
//! under a flow of beacons is one snapshot (every beacon acknowledged before it started, none
//! committed after it ended), sound, and a second collector started on it serves its counts,
//! published items and sources' items; taken once the flow stops, it serves exactly the
//! counts of the first. Refusals: PostgreSQL, an existing file, a missing database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::store::sqlite::SqliteStore;
use depeche_collector::store::Store;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::Collector;

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque"}]}"#;
const TOKEN: &str = "backup-test-token";
/// The beacon workers: each has at most one beacon in flight, so at most this many beacons
/// are committed and not yet acknowledged at any moment.
const WORKERS: u64 = 8;

fn start(database: &str, feed: &Path, source: &Path) -> Collector {
    let args = [
        OsStr::new("--feed"),
        feed.as_os_str(),
        OsStr::new("--database"),
        OsStr::new(database),
        OsStr::new("--trust-proxy"),
        OsStr::new("127.0.0.1"),
        OsStr::new("--source"),
        source.as_os_str(),
    ];
    Collector::start(&args, &[("DEPECHE_PUBLISH_TOKEN", TOKEN)], Duration::from_secs(20))
}

/// How long the test waits for any one answer.
const WAIT: Duration = Duration::from_secs(10);

fn feed(port: u16) -> serde_json::Value {
    let reply = support::http(port, &support::get("/feed.json", None), WAIT).unwrap();
    assert_eq!(reply.status, 200);
    reply.json()
}

fn views(port: u16) -> u64 {
    support::views_in(&feed(port), "kangaba")
}

fn titles(port: u16) -> Vec<String> {
    feed(port)["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Polls `f` until it holds, for at most 10 s (the feed's counts are up to a second old).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: not within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn publish(port: u16, item: &str) {
    assert_eq!(support::http(port, &support::publish(TOKEN, item), WAIT).unwrap().status, 201);
}

/// Runs `depeche-collector backup`, with its output.
fn backup(database: &str, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_depeche-collector")).args(["backup", "--database", database]).arg(out).output().unwrap()
}

/// The copy's count of `kangaba`, published items and sources, read by the store itself.
fn read_copy(path: &Path) -> (u64, Vec<String>, Vec<(String, String)>) {
    let store = SqliteStore::open(path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let count = runtime.block_on(store.counts("view")).unwrap().get("kangaba").copied().unwrap_or(0);
    (count, runtime.block_on(store.published()).unwrap(), runtime.block_on(store.sources()).unwrap())
}

#[test]
fn a_backup_under_load_is_one_snapshot_that_a_second_collector_serves() {
    let dir = tempfile::tempdir().unwrap();
    let feed_file = dir.path().join("feed.json");
    std::fs::write(&feed_file, FEED).unwrap();
    let source = dir.path().join("source.json");
    std::fs::write(
        &source,
        r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"wire-1","title":"Dépêche d'agence","date_published":"2026-12-02T08:00:00Z"}]}"#,
    )
    .unwrap();
    let db = dir.path().join("live.db");
    let database = format!("sqlite:{}", db.display());
    let first = start(&database, &feed_file, &source);
    let port = first.port;
    publish(port, r#"{"id":"flash","title":"Alerte publiée","_depeche":{"urgency":1}}"#);
    eventually("the source's item is served", || titles(port).iter().any(|t| t == "Dépêche d'agence"));

    let load = support::Load::start(port, WORKERS, "kangaba");
    load.until_more_than(100);
    let copy = dir.path().join("copy.db");
    let before = load.acknowledged();
    let started = Instant::now();
    let out = backup(&database, &copy);
    let took = started.elapsed();
    let after = load.acknowledged();
    // Past what the copy may hold, so that the load demonstrably went on after it.
    load.until_more_than(after + WORKERS);
    let total = load.stop();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("integrity_check ok"), "{said}");

    let (copied, published, sources) = read_copy(&copy);
    println!("backup under load in {took:?} ({said:?}): {before} acknowledged before it, {copied} in the copy, {after} acknowledged after it, {total} in all");
    assert!(before > 100, "the load ran ({before} acknowledged before the backup)");
    assert!(copied >= before, "the copy lost acknowledged beacons: {before} acknowledged before the backup, {copied} copied");
    assert!(copied <= after + WORKERS, "the copy holds beacons committed after it ended: {copied} copied, {after} acknowledged by then");
    assert!(copied < total, "the load went on after the backup ({copied} copied, {total} in all)");
    assert!(published.iter().any(|p| p.contains("Alerte publiée")), "{published:?}");
    assert!(sources.iter().any(|(_, items)| items.contains("Dépêche d'agence")), "{sources:?}");

    // A second collector on the copy serves what the copy holds.
    let restored = start(&format!("sqlite:{}", copy.display()), &feed_file, &source);
    eventually("the restored collector's count", || views(restored.port) == copied);
    assert!(titles(restored.port).iter().any(|t| t == "Alerte publiée"));
    drop(restored);

    // Once the flow has stopped, a copy serves exactly what the first collector serves.
    // Settled: every acknowledged beacon shows, and two reads in a row agree (a count read
    // once, before the last commits showed, would never be seen again: failed under load).
    let mut served = views(port);
    eventually("the first collector's count settles", || {
        let now = views(port);
        let settled = now >= total && now == served;
        served = now;
        settled
    });
    let quiet = dir.path().join("quiet.db");
    let out = backup(&database, &quiet);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = start(&format!("sqlite:{}", quiet.display()), &feed_file, &source);
    eventually("the quiet copy's count", || views(restored.port) == views(port));
    assert_eq!(views(restored.port), served);
}

#[test]
fn a_backup_refuses_postgresql_an_existing_file_and_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.db");

    let refused = backup("postgres://depeche:secret-password@db.internal/depeche", &out);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("pg_dump"), "{said}");
    assert!(!said.contains("secret-password"), "{said}");
    assert!(!out.exists());

    let missing = dir.path().join("missing.db");
    let refused = backup(&format!("sqlite:{}", missing.display()), &out);
    assert!(!refused.status.success());
    assert!(!missing.exists(), "a mistyped path became a database");
    assert!(!out.exists());

    // A database to copy, and a file already where the copy would go.
    let db = dir.path().join("live.db");
    drop(SqliteStore::open(&db).unwrap());
    std::fs::write(&out, "an older backup").unwrap();
    let refused = backup(&format!("sqlite:{}", db.display()), &out);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "an older backup");
    // Nothing left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().ends_with(".partial")), "{left:?}");

    // Another program's SQLite database.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (text TEXT)").unwrap();
    let other_copy = dir.path().join("other-copy.db");
    let refused = backup(&format!("sqlite:{}", other.display()), &other_copy);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a collector's database"));
    assert!(!other_copy.exists());
}

#[test]
fn a_backup_gives_up_on_a_lock_held_longer_than_its_bound() {
    use depeche_collector::store::sqlite::{backup_within, BACKUP_BUSY_TIMEOUT};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    drop(SqliteStore::open(&db).unwrap());
    // Another process's exclusive lock on the database (as a migration or a VACUUM takes).
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE feed_version SET version = version + 1;").unwrap();
    let bound = Duration::from_millis(300);
    let started = Instant::now();
    let refused = backup_within(&db, &dir.path().join("copy.db"), bound).unwrap_err();
    let waited = started.elapsed();
    assert!(refused.to_string().contains("locked"), "{refused}");
    assert!(waited >= bound && waited < bound + Duration::from_secs(2), "gave up after {waited:?}");
    assert!(!dir.path().join("copy.db").exists());
    // The positive control: once the lock is gone, the same backup goes through.
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    let report = backup_within(&db, &dir.path().join("copy.db"), bound).unwrap();
    assert_eq!(report.schema_version, depeche_collector::store::SCHEMA_VERSION);
    assert_eq!(BACKUP_BUSY_TIMEOUT, Duration::from_secs(10), "the bound docs/collector.md states");
}
