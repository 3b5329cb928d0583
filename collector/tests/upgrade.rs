//! Upgrades: a database written by the last release opens in this collector (its migrations
//! run) with every count, published item, source item, count over time, dedupe entry and the
//! salts' secret in it, on SQLite and on PostgreSQL, and the collector serves them.
//!
//! The databases are dumps of what the collector of commit d59368f (the last release, schema
//! version 4) wrote when fed by `data/upgrade/make-fixtures.sh`, which says what it was given;
//! the figures below are those. Since then SCHEMA_VERSION has not changed, so the schemas of
//! before (versions 3, 2 and, on SQLite, the unversioned one of the first release) are
//! derived from the same dumps by dropping the tables their versions did not have yet: the
//! other tables' definitions are the same text in every version since (checked with
//! `git show COMMIT:collector/src/store/{sqlite,postgres}.rs` at cf56a9b, the last commit at
//! version 3, 5c814ae, the last at version 2, and 3ec9628, the last before versions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::store::{self, Hit, Outcome, Store, SCHEMA_VERSION};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::{Collector, PgCluster};

const SQLITE_DUMP: &str = include_str!("data/upgrade/sqlite-d59368f.sql");
const POSTGRES_DUMP: &str = include_str!("data/upgrade/postgres-d59368f.sql");
const FEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/upgrade/feed.json");

/// The version the dumps were written at.
const RELEASED: i64 = 4;

/// The tables each schema version added, in order; a database of version N has those of
/// versions 1 to N.
const ADDED_IN: [(i64, &[&str]); 4] =
    [(1, &["counts"]), (2, &["dedupe", "published", "meta", "feed_version"]), (3, &["sources"]), (4, &["buckets"])];

/// The published items' titles, first published first (`flash` was published again with a
/// new title: it keeps its place).
const PUBLISHED: [&str; 2] = ["Alerte : l’attaque de Kangaba est terminée", "Correction : le bilan est de deux blessés"];
/// The source's items.
const SOURCE_ITEMS: [&str; 2] = ["radio-sahel-mopti-crue", "radio-sahel-segou-festival"];

fn expected_counts(event: &str) -> HashMap<String, u64> {
    let pairs: &[(&str, u64)] = match event {
        "view" => &[("kangaba", 40), ("flash", 12)],
        _ => &[("kangaba", 7)],
    };
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

/// SQL that takes a freshly loaded dump back to schema `version` (`sqlite` or not).
fn back_to(version: i64, sqlite: bool) -> String {
    // pg_dump's own session names every table with its schema (its search path is empty).
    let schema = if sqlite { "" } else { "public." };
    let mut sql = String::new();
    for (_, tables) in ADDED_IN.iter().filter(|(v, _)| *v > version) {
        for table in *tables {
            sql += &format!("DROP TABLE {schema}{table};\n");
        }
    }
    // The first release (SQLite only) kept no version at all.
    let marked = if version == 1 { 0 } else { version };
    sql += &if sqlite { format!("PRAGMA user_version = {marked};") } else { format!("UPDATE public.schema_version SET version = {marked};") };
    sql
}

/// What a database of `version` held before its upgrade, read without the collector: the
/// salts' secret, and a dedupe entry (visitor, item, event, expiry).
struct Before {
    secret: Option<Vec<u8>>,
    dedupe: Option<([u8; 16], String, String, i64)>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A database of schema `version` in SQLite, at `path`.
fn sqlite_at(version: i64, path: &std::path::Path) -> Before {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(SQLITE_DUMP).unwrap();
    conn.execute_batch(&back_to(version, true)).unwrap();
    if version < 2 {
        return Before { secret: None, dedupe: None };
    }
    let secret = conn.query_row("SELECT value FROM meta WHERE key = 'salt-secret'", [], |r| r.get(0)).unwrap();
    let dedupe = conn
        .query_row("SELECT visitor, item, event, expires FROM dedupe ORDER BY expires LIMIT 1", [], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?.try_into().unwrap(), r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    Before { secret: Some(secret), dedupe: Some(dedupe) }
}

/// A database of schema `version` in PostgreSQL, at `url` (`postgres:host=…`).
async fn postgres_at(version: i64, url: &str) -> Before {
    let (client, connection) = tokio_postgres::connect(url.strip_prefix("postgres:").unwrap(), tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    client.batch_execute(POSTGRES_DUMP).await.unwrap();
    client.batch_execute(&back_to(version, false)).await.unwrap();
    let secret = client.query_one("SELECT value FROM public.meta WHERE key = 'salt-secret'", &[]).await.unwrap().get(0);
    let row = client.query_one("SELECT visitor, item, event, expires FROM public.dedupe ORDER BY expires LIMIT 1", &[]).await.unwrap();
    let visitor: Vec<u8> = row.get(0);
    drop(client);
    connection.await.unwrap().unwrap();
    Before { secret: Some(secret), dedupe: Some((visitor.try_into().unwrap(), row.get(1), row.get(2), row.get(3))) }
}

/// Everything the old collector wrote is there, read through the store, after its
/// migrations. Before any collector process runs on it: its sweep would expire the dedupe
/// entries by the clock.
async fn finds_everything(store: &dyn Store, version: i64, before: &Before) {
    let at = format!("from schema version {version}");
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION, "{at}");
    assert_eq!(store.counts("view").await.unwrap(), expected_counts("view"), "{at}");
    assert_eq!(store.counts("read").await.unwrap(), expected_counts("read"), "{at}");
    let titles = |items: Vec<String>| -> Vec<String> {
        items.iter().map(|i| serde_json::from_str::<serde_json::Value>(i).unwrap()["title"].as_str().unwrap().to_owned()).collect()
    };
    let published = titles(store.published().await.unwrap());
    let sources = store.sources().await.unwrap();
    let buckets = store.buckets(0).await.unwrap();
    if version >= 2 {
        assert_eq!(published, PUBLISHED, "{at}");
        // Three publishes and one source's items (from version 3) raised it.
        assert_eq!(store.feed_version().await.unwrap(), 4, "{at}");
        assert_eq!(store.secret().await.unwrap().to_vec(), before.secret.clone().unwrap(), "{at}: the daily salts would change");
        // A visitor counted before the upgrade is still a duplicate within its window.
        let (visitor, item, event, expires) = before.dedupe.clone().unwrap();
        let event: &'static str = if event == "read" { "read" } else { "view" };
        let again = Hit { visitor: (visitor, None), item: item.clone(), event, now_ms: (expires - 1000) as u64, origin: String::new() };
        assert_eq!(store.count(again).await.unwrap(), Outcome::Duplicate, "{at}: the dedupe set");
    } else {
        assert!(published.is_empty());
    }
    if version >= 3 {
        assert_eq!(sources.len(), 1, "{at}: {sources:?}");
        assert_eq!(sources[0].0, "source.rss");
        let items: Vec<serde_json::Value> = serde_json::from_str(&sources[0].1).unwrap();
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, SOURCE_ITEMS, "{at}");
    } else {
        assert!(sources.is_empty());
    }
    if version >= 4 {
        // The counts over time add up to the counts, the partner's page apart.
        let mut sums: HashMap<(String, String), u64> = HashMap::new();
        for b in &buckets {
            *sums.entry((b.item.clone(), b.event.clone())).or_default() += b.n;
        }
        assert_eq!(sums.get(&("kangaba".into(), "view".into())), Some(&40), "{at}: {buckets:?}");
        assert_eq!(sums.get(&("kangaba".into(), "read".into())), Some(&7), "{at}");
        assert_eq!(sums.get(&("flash".into(), "view".into())), Some(&12), "{at}");
        let partner: u64 = buckets.iter().filter(|b| b.origin == "https://partenaire.example").map(|b| b.n).sum();
        assert_eq!(partner, 20, "{at}");
    } else {
        assert!(buckets.is_empty(), "{at}: no counts over time before version 4");
    }

}

/// The upgraded database takes new writes.
async fn takes_writes(store: &dyn Store, version: i64) {
    let at = format!("from schema version {version}");
    let titles = |items: Vec<String>| -> Vec<String> {
        items.iter().map(|i| serde_json::from_str::<serde_json::Value>(i).unwrap()["title"].as_str().unwrap().to_owned()).collect()
    };
    let now = 1_900_000_000_000;
    let new = Hit { visitor: ([7; 16], None), item: "kangaba".into(), event: "view", now_ms: now, origin: "https://partenaire.example".into() };
    assert_eq!(store.count(new).await.unwrap(), Outcome::Counted, "{at}");
    assert_eq!(store.counts("view").await.unwrap().get("kangaba"), Some(&41), "{at}");
    assert!(store.buckets(now - 1).await.unwrap().iter().any(|b| b.item == "kangaba" && b.n == 1), "{at}");
    store.publish("suite", r#"{"id":"suite","title":"La suite"}"#, now).await.unwrap();
    assert_eq!(titles(store.published().await.unwrap()).last().map(String::as_str), Some("La suite"), "{at}");
    assert!(store.set_source("source.rss", "[]").await.unwrap(), "{at}");
}

/// An HTTP/1.1 GET on a fresh connection: the body of a 200.
fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// This collector, started on the old database, serves its counts, published items and
/// source items in /feed.json.
fn serves_everything(database: &str, version: i64) {
    let at = format!("from schema version {version}");
    let args = [OsStr::new("--feed"), OsStr::new(FEED), OsStr::new("--database"), OsStr::new(database)];
    let collector = Collector::start(&args, &[], Duration::from_secs(20));
    let feed: serde_json::Value = serde_json::from_str(&get(collector.port, "/feed.json")).unwrap();
    let items = feed["items"].as_array().unwrap();
    let by_id = |id: &str| items.iter().find(|i| i["id"] == id);
    let views = |id: &str| by_id(id).and_then(|i| i["_depeche"]["views"].as_u64());
    assert_eq!(views("kangaba"), Some(40), "{at}: {feed}");
    assert!(by_id("marche").is_some(), "{at}");
    if version >= 2 {
        assert_eq!(by_id("flash").map(|i| i["title"].clone()), Some(PUBLISHED[0].into()), "{at}: {feed}");
        assert_eq!(views("flash"), Some(12), "{at}");
        assert!(by_id("correction").is_some(), "{at}");
    }
    for id in SOURCE_ITEMS {
        assert_eq!(by_id(id).is_some(), version >= 3, "{at}: {id} in {feed}");
    }
}

/// The database at `database`, written by release `version` as `before` says, opened by this
/// collector: the store finds everything, the collector process serves it, and the store
/// takes new writes. The same for every backend.
fn upgrades_with_everything(runtime: &tokio::runtime::Runtime, database: &str, version: i64, before: &Before) {
    let store = runtime.block_on(store::open(database)).unwrap();
    runtime.block_on(finds_everything(store.as_ref(), version, before));
    drop(store);
    serves_everything(database, version);
    let store = runtime.block_on(store::open(database)).unwrap();
    runtime.block_on(takes_writes(store.as_ref(), version));
}

#[test]
fn sqlite_databases_of_the_last_release_and_before_upgrade_with_everything_in_them() {
    let runtime = runtime();
    for version in (1..=RELEASED).rev() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let before = sqlite_at(version, &path);
        upgrades_with_everything(&runtime, &format!("sqlite:{}", path.display()), version, &before);
    }
}

#[test]
fn postgresql_databases_of_the_last_release_and_before_upgrade_with_everything_in_them() {
    let runtime = runtime();
    let cluster = PgCluster::start();
    for version in (2..=RELEASED).rev() {
        let database = cluster.database(&format!("upgrade_v{version}"));
        let before = runtime.block_on(postgres_at(version, &database));
        upgrades_with_everything(&runtime, &database, version, &before);
    }
}

// A release's database is never newer than this collector.
const _: () = assert!(RELEASED <= SCHEMA_VERSION);

/// The fixtures are what the test believes they are: a database at the released version.
#[test]
fn the_dumps_are_of_the_released_schema() {
    assert!(SQLITE_DUMP.contains(&format!("PRAGMA user_version = {RELEASED};")));
    assert!(POSTGRES_DUMP.contains(&format!("INSERT INTO public.schema_version VALUES ({RELEASED});")));
}
