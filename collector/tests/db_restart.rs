//! Two collector instances over one PostgreSQL cluster that goes away under load, restarted
//! (`pg_ctl stop -m fast`, a few seconds down, started again on the same port and data) or
//! frozen (SIGSTOP: its sockets open, nothing answering, as when its host hangs): readers
//! keep the last good feed, each beacon is answered within 10 s (counted and stored, or 503
//! with Retry-After), every instance counts again within 5 s of the database's return, and
//! the count stored is exactly the beacons acknowledged as counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Collector, PgCluster};

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque","_depeche":{"views":376}}]}"#;
/// The views the feed file gives the item, under the stored count.
const BASE_VIEWS: u64 = 376;
/// The requirement: every answer during the outage within this.
const ANSWER_BOUND: Duration = Duration::from_secs(10);
/// The requirement: every instance counts again within this of the database's return.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);
/// How long a restarted database stays down.
const RESTART_OUTAGE: Duration = Duration::from_secs(4);
/// How long a frozen database stays frozen: longer than the answer's bound, so that a
/// beacon or a reader waiting for it would fail.
const FREEZE_OUTAGE: Duration = Duration::from_secs(12);
/// Beacon senders per instance.
const SENDERS: usize = 3;
/// The pause after each of a sender's beacons: 120 beacons a second at most over the two
/// instances, a steady load. Unpaced, the senders took about 600 a second, and the test (with
/// the collectors' debug builds) a core of the machine for its 50 s, slowing every suite that
/// `make test` runs beside it. Around the database's going away, beacons counted are followed
/// by no pause (`BURST` on either side of it), so that commits are in flight when it goes.
const PACE: Duration = Duration::from_millis(50);
const BURST: Duration = Duration::from_millis(500);

/// An HTTP/1.1 exchange on a fresh connection; `None` if there was no answer (closed, or
/// none within twice the bound).
fn http(port: u16, request: &str) -> Option<support::Reply> {
    support::http(port, request, 2 * ANSWER_BOUND)
}

/// One beacon's answer, as the test saw it.
#[derive(Debug, Clone)]
struct Answer {
    instance: usize,
    visitor: u64,
    /// Sent this long after the test's start.
    sent: Duration,
    took: Duration,
    /// `None`: no answer.
    status: Option<u16>,
    counted: bool,
    reason: Option<String>,
    retry_after: Option<String>,
}

fn send(instance: usize, port: u16, visitor: u64, t0: Instant) -> Answer {
    let sent = t0.elapsed();
    let started = Instant::now();
    // A view of the item by a new visitor each time (its own User-Agent and address).
    let answer = http(port, &support::view_beacon(visitor, "kangaba"));
    let took = started.elapsed();
    let header = |name| answer.as_ref().and_then(|r| r.header(name)).map(str::to_owned);
    Answer {
        instance,
        visitor,
        sent,
        took,
        status: answer.as_ref().map(|r| r.status),
        counted: answer.as_ref().is_some_and(support::Reply::counted),
        reason: header("depeche-reason"),
        retry_after: header("retry-after"),
    }
}

/// One `GET /feed.json`, as the test saw it.
#[derive(Debug, Clone)]
struct FeedRead {
    instance: usize,
    sent: Duration,
    took: Duration,
    status: Option<u16>,
    body: String,
}

fn get_feed(port: u16) -> Option<support::Reply> {
    http(port, &support::get("/feed.json", None))
}

/// The item's views in a served feed.
fn views_of(body: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["items"][0]["_depeche"]["views"].as_u64()
}

/// The item's views as `port` serves them now.
fn views(port: u16) -> u64 {
    let reply = get_feed(port).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["items"][0]["_depeche"]["views"].as_u64().unwrap()
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// How the database goes away.
#[derive(Debug, Clone, Copy)]
enum Outage {
    /// `pg_ctl stop -m fast`, then `pg_ctl start` on the same port and data.
    Restart,
    /// Every server process stopped (SIGSTOP), then continued.
    Freeze,
}

/// One test at a time: each loads the machine, and the figures are each test's own.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn a_postgresql_restart_under_load() {
    outage(Outage::Restart);
}

#[test]
fn a_frozen_postgresql_under_load() {
    outage(Outage::Freeze);
}

fn outage(kind: Outage) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let cluster = PgCluster::start();
    let database = cluster.database("depeche");
    let dir = tempfile::tempdir().unwrap();
    let feed_file = dir.path().join("feed.json");
    std::fs::write(&feed_file, FEED).unwrap();
    let args = [OsStr::new("--feed"), feed_file.as_os_str(), OsStr::new("--database"), OsStr::new(&database), OsStr::new("--trust-proxy"), OsStr::new("127.0.0.1")];
    let instances: Vec<Collector> = (0..2).map(|_| Collector::start(&args, &[], Duration::from_secs(20))).collect();
    let ports: Vec<u16> = instances.iter().map(|c| c.port).collect();
    for &port in &ports {
        assert_eq!(views(port), BASE_VIEWS);
    }

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let burst = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(1));
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let reads = Arc::new(Mutex::new(Vec::<FeedRead>::new()));
    let mut threads = Vec::new();
    for (instance, &port) in ports.iter().enumerate() {
        for _ in 0..SENDERS {
            let (stop, burst, next, answers) = (Arc::clone(&stop), Arc::clone(&burst), Arc::clone(&next), Arc::clone(&answers));
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let a = send(instance, port, next.fetch_add(1, Ordering::SeqCst), t0);
                    // A refusal is paced even then: not thousands to send again at the end.
                    let counted = a.counted;
                    answers.lock().unwrap().push(a);
                    if !(counted && burst.load(Ordering::SeqCst)) {
                        std::thread::sleep(PACE);
                    }
                }
            }));
        }
        // A reader polling the feed, as widgets do (more often).
        let (stop, reads) = (Arc::clone(&stop), Arc::clone(&reads));
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let (sent, started) = (t0.elapsed(), Instant::now());
                let answer = get_feed(port);
                let took = started.elapsed();
                let (status, body) = answer.map_or((None, String::new()), |r| (Some(r.status), r.body));
                reads.lock().unwrap().push(FeedRead { instance, sent, took, status, body });
                std::thread::sleep(2 * PACE);
            }
        }));
    }

    std::thread::sleep(Duration::from_secs(2) - BURST);
    burst.store(true, Ordering::SeqCst);
    std::thread::sleep(BURST);
    let stop_issued = t0.elapsed();
    let frozen = match kind {
        Outage::Restart => {
            cluster.stop();
            Vec::new()
        }
        Outage::Freeze => cluster.freeze(),
    };
    let down = t0.elapsed();
    std::thread::sleep(BURST);
    burst.store(false, Ordering::SeqCst);
    std::thread::sleep(match kind {
        Outage::Restart => RESTART_OUTAGE,
        Outage::Freeze => FREEZE_OUTAGE,
    });
    let start_issued = t0.elapsed();
    match kind {
        Outage::Restart => cluster.start_again(),
        Outage::Freeze => cluster.thaw(&frozen),
    }
    let up = t0.elapsed();
    std::thread::sleep(RECOVERY_BOUND + Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    threads.into_iter().for_each(|t| t.join().unwrap());
    println!(
        "{kind:?}: the database going away at {} ms, gone at {} ms; coming back at {} ms, back at {} ms",
        ms(stop_issued),
        ms(down),
        ms(start_issued),
        ms(up)
    );

    let answers = answers.lock().unwrap().clone();
    let reads = reads.lock().unwrap().clone();
    // Every kind of problem is listed, with how often it was seen and its first instance.
    let mut problems = std::collections::BTreeMap::<String, (usize, String)>::new();
    let mut problem = |kind: &str, p: String| problems.entry(kind.to_owned()).or_insert((0, p)).0 += 1;

    // Each beacon: answered within the bound, counted or refused with 503 + Retry-After.
    for a in &answers {
        if a.status.is_none() || a.took >= ANSWER_BOUND {
            problem("beacon slow or unanswered", format!("a beacon sent at {} ms was answered after {} ms ({:?})", ms(a.sent), ms(a.took), a.status));
        } else if !(a.counted || (a.status == Some(503) && a.retry_after.is_some())) {
            problem("beacon neither counted nor 503 + Retry-After", format!("a beacon sent at {} ms got {:?} ({:?}), neither counted nor 503 with Retry-After", ms(a.sent), a.status, a.reason));
        }
    }
    let during = |sent: Duration| sent >= stop_issued && sent < up;
    let refused: Vec<&Answer> = answers.iter().filter(|a| during(a.sent) && a.status == Some(503)).collect();
    let mut refusal_times: Vec<Duration> = refused.iter().map(|a| a.took).collect();
    refusal_times.sort();
    let outage_max = answers.iter().filter(|a| during(a.sent)).map(|a| a.took).max().unwrap_or_default();
    println!(
        "{kind:?}: {} beacons, {} counted, {} refused with 503 during the outage (answered in {} ms median, {} ms at most); slowest answer during the outage {} ms",
        answers.len(),
        answers.iter().filter(|a| a.counted).count(),
        refused.len(),
        refusal_times.get(refusal_times.len() / 2).map_or(0, |d| ms(*d)),
        refusal_times.last().map_or(0, |d| ms(*d)),
        ms(outage_max)
    );
    if refused.is_empty() {
        problem("outage", "no beacon was refused during the outage: was the database down?".into());
    }

    // Readers: the feed, 200 throughout; while the database is down, one body (the last good).
    for r in &reads {
        if r.status != Some(200) || r.took >= ANSWER_BOUND {
            problem("feed not 200 or slow", format!("/feed.json on instance {} at {} ms: {:?} after {} ms", r.instance, ms(r.sent), r.status, ms(r.took)));
        }
    }
    // The last good view: what the instance served last before the outage, or newer (counts
    // read between that request and the outage), never more than what is stored at the end.
    let mut outage_views = Vec::new();
    for instance in 0..ports.len() {
        let mut bodies: Vec<&str> =
            reads.iter().filter(|r| r.instance == instance && r.sent > down && r.sent + r.took < start_issued).map(|r| r.body.as_str()).collect();
        let served = bodies.len();
        bodies.dedup();
        let mut took: Vec<Duration> = reads.iter().filter(|r| r.instance == instance && r.sent > down && r.sent + r.took < start_issued).map(|r| r.took).collect();
        took.sort();
        println!(
            "{kind:?}, instance {instance}: /feed.json answered {served} times while the database was down ({} ms median, {} ms at most), {} distinct bodies",
            took.get(took.len() / 2).map_or(0, |d| ms(*d)),
            took.last().map_or(0, |d| ms(*d)),
            bodies.len()
        );
        if served == 0 || bodies.len() != 1 {
            problem("feed during the outage", format!("instance {instance}: {served} feeds served during the outage, {} distinct bodies", bodies.len()));
            continue;
        }
        let before = reads.iter().rfind(|r| r.instance == instance && r.status == Some(200) && r.sent + r.took < stop_issued).and_then(|r| views_of(&r.body));
        match (before, views_of(bodies[0])) {
            (Some(before), Some(during)) if during >= before => outage_views.push((instance, during)),
            other => problem("feed during the outage", format!("instance {instance}: views before and during the outage {other:?}: {}", bodies[0])),
        }
    }

    // Recovery: on each instance, the first beacon counted after the database's return, and
    // every beacon sent RECOVERY_BOUND after its start counted.
    for instance in 0..ports.len() {
        let mine: Vec<&Answer> = answers.iter().filter(|a| a.instance == instance && a.sent >= start_issued).collect();
        let first = mine.iter().filter(|a| a.counted).map(|a| a.sent + a.took).min();
        let last_refusal = mine.iter().filter(|a| !a.counted).map(|a| a.sent + a.took).max();
        println!(
            "{kind:?}, instance {instance}: first beacon counted {} ms after the database was told to come back ({} ms after it was back); last refused {} ms after it was told",
            first.map_or(-1, |t| ms(t.saturating_sub(start_issued)) as i64),
            first.map_or(-1, |t| ms(t.saturating_sub(up)) as i64),
            last_refusal.map_or(-1, |t| ms(t.saturating_sub(start_issued)) as i64),
        );
        let late: Vec<&&Answer> = mine.iter().filter(|a| a.sent >= up + RECOVERY_BOUND).collect();
        if late.is_empty() {
            problem("recovery", format!("instance {instance}: no beacon sent {RECOVERY_BOUND:?} after the restart"));
        }
        if let Some(a) = late.iter().find(|a| !a.counted) {
            problem("recovery", format!("instance {instance}: a beacon sent {} ms after the database's return was not counted: {:?} {:?}", ms(a.sent - up), a.status, a.reason));
        }
    }

    // The count: what was acknowledged as counted is stored, and nothing else but beacons
    // refused while their commit went through (the acknowledgement of a commit can be lost
    // with the connection): sent again, as the widget would, those are duplicates, and every
    // other refused one is counted now.
    let acknowledged = answers.iter().filter(|a| a.counted).count() as u64;
    std::thread::sleep(Duration::from_millis(1100));
    let stored: Vec<u64> = ports.iter().map(|&p| views(p) - BASE_VIEWS).collect();
    let refused: Vec<&Answer> = answers.iter().filter(|a| !a.counted).collect();
    let chunk = refused.len().div_ceil(2 * SENDERS).max(1);
    let retried: Vec<Answer> = std::thread::scope(|scope| {
        let ports = &ports;
        let workers: Vec<_> = refused
            .chunks(chunk)
            .map(|some| {
                scope.spawn(move || {
                    let again = |a: &Answer| (0..20).map(|_| send(a.instance, ports[a.instance], a.visitor, t0)).find(|r| r.status != Some(503));
                    some.iter().map(|a| again(a).unwrap_or_else(|| panic!("visitor {} refused 20 times after the restart", a.visitor))).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let (mut ambiguous, mut again) = (0, 0);
    for r in &retried {
        match (r.status, r.counted, r.reason.as_deref()) {
            (Some(204), true, _) => again += 1,
            (Some(204), false, Some("duplicate")) => ambiguous += 1,
            other => problem("sent again", format!("visitor {} sent again: {other:?}", r.visitor)),
        }
    }
    std::thread::sleep(Duration::from_millis(1100));
    let after: Vec<u64> = ports.iter().map(|&p| views(p) - BASE_VIEWS).collect();
    println!(
        "{kind:?}: stored {stored:?} for {acknowledged} acknowledged; {} refused, sent again: {again} counted, {ambiguous} duplicates (committed though refused); stored now {after:?}",
        answers.len() as u64 - acknowledged
    );
    for (instance, &s) in stored.iter().enumerate() {
        if s != acknowledged + ambiguous {
            problem("count", format!("instance {instance}: {s} stored, {acknowledged} acknowledged (+{ambiguous} committed though refused)"));
        }
    }
    for &(instance, during) in &outage_views {
        if during > BASE_VIEWS + stored[instance] {
            problem("feed during the outage", format!("instance {instance} served {during} views during the outage, more than stored"));
        }
    }
    for (instance, &s) in after.iter().enumerate() {
        if s != answers.len() as u64 {
            problem("count", format!("instance {instance}: {s} stored after the refused were sent again, for {} distinct visitors", answers.len()));
        }
    }
    let listed: Vec<String> = problems.iter().map(|(kind, (n, first))| format!("{kind}: {n} times, first: {first}")).collect();
    assert!(problems.is_empty(), "{} kinds of problems:\n{}", problems.len(), listed.join("\n"));
}

/// The store's change listener after a restart: it notices the loss, retries with a backoff
/// that reaches its cap while the database is down, and listens again within that cap (and a
/// connection) of the database's return; reads fail within their bound while it is down and
/// work again on the same store after, and publishes are heard again.
#[test]
fn the_change_listener_listens_again_within_its_cap_after_a_restart() {
    use depeche_collector::store::{self, postgres::{LISTEN_RETRY_MAX, STORE_TIMEOUT}};
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Timers made here, outside `block_on`, belong to it too.
    let _in_rt = rt.enter();
    let cluster = PgCluster::start();
    let url = cluster.database("depeche");
    let ten_seconds = Duration::from_secs(10);
    let one = rt.block_on(store::open(&url)).unwrap();
    let mut changes = one.changes().expect("PostgreSQL notifies");
    rt.block_on(tokio::time::timeout(ten_seconds, changes.wait_for(|c| c.listening))).unwrap().unwrap();

    cluster.stop();
    rt.block_on(tokio::time::timeout(ten_seconds, changes.wait_for(|c| !c.listening))).expect("the loss noticed").unwrap();
    let asked = Instant::now();
    let read = rt.block_on(one.feed_version());
    println!("a read while the database is down: {read:?} after {} ms", ms(asked.elapsed()));
    assert!(read.is_err() && asked.elapsed() < STORE_TIMEOUT);
    // Down long enough for the backoff to reach its cap.
    std::thread::sleep(3 * LISTEN_RETRY_MAX);

    cluster.start_again();
    let up = Instant::now();
    rt.block_on(tokio::time::timeout(ten_seconds, changes.wait_for(|c| c.listening))).expect("listening again").unwrap();
    let back = up.elapsed();
    println!("listening again {} ms after the database's return (cap {} ms)", ms(back), ms(LISTEN_RETRY_MAX));
    assert!(back < LISTEN_RETRY_MAX + Duration::from_secs(1), "listening again after {back:?}");
    assert!(rt.block_on(one.feed_version()).is_ok(), "the same store reads again");

    let two = rt.block_on(store::open(&url)).unwrap();
    let seq = changes.borrow().seq;
    rt.block_on(two.publish("a", r#"{"id":"a","title":"A"}"#, 1)).unwrap();
    rt.block_on(tokio::time::timeout(ten_seconds, changes.wait_for(|c| c.seq > seq))).expect("a publish heard after the restart").unwrap();
}
