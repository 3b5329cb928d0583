//! kill -9 under load: no acknowledged beacon is lost, and the database stays sound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::store::sqlite::SqliteStore;
use depeche_collector::store::Store;
use std::io::{Read, Write};
use std::ffi::OsStr;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::Collector;

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque"}]}"#;

/// One beacon over a fresh connection; true when the collector acknowledged it as counted.
fn beacon(port: u16, visitor: u64) -> Option<bool> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = r#"{"v":1,"item":"kangaba","event":"view","feed":"/feed.json"}"#;
    let req = format!(
        "POST /beacon HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0 Chrome/156.0 visitor-{visitor}\r\nX-Forwarded-For: {}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        support::visitor_address(visitor),
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    if reply.is_empty() {
        return None; // closed without an answer: killed mid-request
    }
    Some(reply.starts_with("HTTP/1.1 204") && reply.to_ascii_lowercase().contains("depeche-counted: 1"))
}

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

    let acknowledged = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let next_visitor = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (ack, stop, next) = (Arc::clone(&acknowledged), Arc::clone(&stop), Arc::clone(&next_visitor));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match beacon(port, next.fetch_add(1, Ordering::SeqCst)) {
                        Some(true) => {
                            ack.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(false) => panic!("a valid beacon from a new visitor was not counted"),
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    collector.kill();
    stop.store(true, Ordering::SeqCst);
    workers.into_iter().for_each(|w| w.join().unwrap());

    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored = runtime.block_on(store.counts("view")).unwrap().get("kangaba").copied().unwrap_or(0);
    println!("kill -9 after 1.5 s of load: {acknowledged} acknowledged, {stored} stored");
    assert!(acknowledged > 100, "the load ran ({acknowledged} acknowledged)");
    assert!(stored >= acknowledged, "lost acknowledged beacons: {acknowledged} acknowledged, {stored} stored");
    assert!(stored <= acknowledged + 8, "at most one unacknowledged commit per connection in flight");
}
