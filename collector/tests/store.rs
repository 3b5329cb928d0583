//! The store's contract, run against both backends: SQLite in a temporary file, PostgreSQL
//! in a throwaway cluster (tests/support). The same scenario functions run on each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::store::{self, Hit, Outcome, Store, DEDUPE_WINDOW_MS, SCHEMA_VERSION};
use std::sync::Arc;
use support::PgCluster;

const T0: u64 = 1_800_000_000_000;

/// Where a scenario's database lives; `open` may be called again to "restart".
enum Backend {
    Sqlite(tempfile::TempDir),
    /// The cluster lives (and is stopped on drop) as long as the backend.
    Postgres { _cluster: PgCluster, url: String },
}

impl Backend {
    fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres() -> Backend {
        let cluster = PgCluster::start();
        let url = cluster.database("depeche");
        Backend::Postgres { _cluster: cluster, url }
    }

    fn url(&self) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite:{}", dir.path().join("store.db").display()),
            Backend::Postgres { url, .. } => url.clone(),
        }
    }

    async fn open(&self) -> Box<dyn Store> {
        store::open(&self.url()).await.unwrap()
    }
}

fn visitor(n: u8) -> ([u8; 16], Option<[u8; 16]>) {
    ([n; 16], Some([n.wrapping_add(100); 16]))
}

fn hit(v: ([u8; 16], Option<[u8; 16]>), item: &str, event: &'static str, now_ms: u64) -> Hit {
    Hit { visitor: v, item: item.into(), event, now_ms, origin: "http://journal.test".into() }
}

async fn counts_are_stored_and_survive_a_restart(b: Backend) {
    {
        let s = b.open().await;
        for n in 0..3 {
            assert_eq!(s.count(hit(visitor(n), "a", "view", T0)).await.unwrap(), Outcome::Counted);
        }
        assert_eq!(s.count(hit(visitor(0), "a", "read", T0)).await.unwrap(), Outcome::Counted);
    }
    let s = b.open().await;
    assert_eq!(s.counts("view").await.unwrap().get("a"), Some(&3));
    assert_eq!(s.counts("read").await.unwrap().get("a"), Some(&1));
    assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
}

async fn a_visitor_counts_once_per_window_even_across_midnight(b: Backend) {
    let s = b.open().await;
    let (today, _) = visitor(1);
    assert_eq!(s.count(hit((today, None), "a", "view", T0)).await.unwrap(), Outcome::Counted);
    assert_eq!(s.count(hit((today, None), "a", "view", T0 + 1000)).await.unwrap(), Outcome::Duplicate);
    assert_eq!(s.count(hit((today, None), "b", "view", T0 + 1000)).await.unwrap(), Outcome::Counted, "another item");
    assert_eq!(s.count(hit((today, None), "a", "read", T0 + 1000)).await.unwrap(), Outcome::Counted, "another event");
    // After midnight the same reader has a new id; yesterday's id is still recognised.
    let after_midnight = ([9; 16], Some(today));
    assert_eq!(s.count(hit(after_midnight, "a", "view", T0 + 60_000)).await.unwrap(), Outcome::Duplicate);
    // A duplicate does not extend the window: it ends 30 minutes after the counted view.
    assert_eq!(s.count(hit((today, None), "a", "view", T0 + DEDUPE_WINDOW_MS)).await.unwrap(), Outcome::Counted);
    assert_eq!(s.counts("view").await.unwrap().get("a"), Some(&2));
}

async fn concurrent_hits_are_each_counted_once(b: Backend) {
    let s: Arc<dyn Store> = Arc::from(b.open().await);
    let tasks: Vec<_> = (0..600u32)
        .map(|i| {
            let s = Arc::clone(&s);
            // 300 visitors, each twice at once: one of the two is counted.
            let v = ([(i % 300) as u8, (i % 300 / 256) as u8, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7], None);
            tokio::spawn(async move { s.count(hit(v, "hot", "view", T0)).await.unwrap() })
        })
        .collect();
    let mut counted = 0;
    for t in tasks {
        counted += usize::from(t.await.unwrap() == Outcome::Counted);
    }
    assert_eq!(counted, 300);
    assert_eq!(s.counts("view").await.unwrap().get("hot"), Some(&300));
}

async fn published_items_survive_a_restart_and_corrections_replace(b: Backend) {
    {
        let s = b.open().await;
        s.publish("a", r#"{"id":"a","title":"A"}"#, T0).await.unwrap();
        s.publish("b", r#"{"id":"b","title":"B"}"#, T0 + 1).await.unwrap();
        s.publish("a", r#"{"id":"a","title":"A corrigé"}"#, T0 + 2).await.unwrap();
    }
    let s = b.open().await;
    assert_eq!(s.published().await.unwrap(), [r#"{"id":"a","title":"A corrigé"}"#, r#"{"id":"b","title":"B"}"#]);
    assert_eq!(s.feed_version().await.unwrap(), 3, "each publish raised the feed's version");
}

async fn a_sources_items_are_kept_and_only_a_change_raises_the_version(b: Backend) {
    {
        let (one, two) = (b.open().await, b.open().await);
        assert!(one.set_source("https://a.example/rss", r#"[{"id":"1","title":"Un"}]"#).await.unwrap());
        assert_eq!(one.feed_version().await.unwrap(), 1);
        assert!(!two.set_source("https://a.example/rss", r#"[{"id":"1","title":"Un"}]"#).await.unwrap(), "the same items from another instance");
        assert_eq!(two.feed_version().await.unwrap(), 1, "change nothing");
        assert!(two.set_source("https://a.example/rss", r#"[{"id":"1","title":"Un, corrigé"}]"#).await.unwrap());
        assert!(one.set_source("/srv/ninjs.json", "[]").await.unwrap());
        assert_eq!(one.feed_version().await.unwrap(), 3);
    }
    let s = b.open().await;
    assert_eq!(
        s.sources().await.unwrap(),
        [("/srv/ninjs.json".to_owned(), "[]".to_owned()), ("https://a.example/rss".to_owned(), r#"[{"id":"1","title":"Un, corrigé"}]"#.to_owned())],
        "kept across a restart"
    );
}

async fn counts_over_time_are_kept_per_minute_and_origin_then_rolled_up(b: Backend) {
    use store::{HOUR_MS, MINUTE_MS};
    let s = b.open().await;
    let t = T0 / HOUR_MS * HOUR_MS; // on the hour
    let mut partner = hit(visitor(1), "a", "view", t + 30_000);
    partner.origin = "http://partner.test".into();
    s.count(partner).await.unwrap();
    s.count(hit(visitor(2), "a", "view", t + 45_000)).await.unwrap();
    s.count(hit(visitor(2), "a", "view", t + 50_000)).await.unwrap(); // a duplicate: not over time either
    s.count(hit(visitor(3), "a", "view", t + MINUTE_MS + 1)).await.unwrap();
    s.count(hit(visitor(3), "a", "read", t + MINUTE_MS + 2)).await.unwrap();
    let per = |all: &[store::Bucket]| {
        let mut v: Vec<(String, u64, u64, String, u64)> = all.iter().map(|b| (b.event.clone(), b.start_ms - t, b.span_ms, b.origin.clone(), b.n)).collect();
        v.sort();
        v
    };
    let j = "http://journal.test".to_owned();
    assert_eq!(
        per(&s.buckets(t).await.unwrap()),
        [
            ("read".into(), MINUTE_MS, MINUTE_MS, j.clone(), 1),
            ("view".into(), 0, MINUTE_MS, j.clone(), 1),
            ("view".into(), 0, MINUTE_MS, "http://partner.test".into(), 1),
            ("view".into(), MINUTE_MS, MINUTE_MS, j.clone(), 1),
        ]
    );
    // Three hours on, the minutes are one hour each, the totals unchanged; fifteen days on, one day.
    s.expire(t + 3 * HOUR_MS).await.unwrap();
    assert_eq!(
        per(&s.buckets(t).await.unwrap()),
        [("read".into(), 0, HOUR_MS, j.clone(), 1), ("view".into(), 0, HOUR_MS, j.clone(), 2), ("view".into(), 0, HOUR_MS, "http://partner.test".into(), 1)]
    );
    s.expire(t + 15 * store::DAY_MS).await.unwrap();
    let day = t / store::DAY_MS * store::DAY_MS;
    let days = s.buckets(day).await.unwrap();
    assert!(days.iter().all(|b| b.span_ms == store::DAY_MS && b.start_ms == day), "{days:?}");
    assert_eq!(days.iter().filter(|b| b.event == "view").map(|b| b.n).sum::<u64>(), 3);
    s.expire(t + 15 * store::DAY_MS).await.unwrap();
    assert_eq!(s.buckets(day).await.unwrap().len(), days.len(), "rolling up again changes nothing");
}

async fn instances_rolling_up_at_once_never_count_twice(b: Backend) {
    use store::{HOUR_MS, MINUTE_MS};
    let (one, two) = (b.open().await, b.open().await);
    let t = T0 / HOUR_MS * HOUR_MS;
    for n in 0..40u8 {
        one.count(hit(visitor(n), "a", "view", t + u64::from(n) * MINUTE_MS)).await.unwrap();
    }
    let later = t + 5 * HOUR_MS;
    let (x, y) = tokio::join!(one.expire(later), two.expire(later));
    x.unwrap();
    y.unwrap();
    let all = two.buckets(t).await.unwrap();
    assert_eq!(all.iter().map(|b| b.n).sum::<u64>(), 40, "{all:?}");
    assert!(all.iter().all(|b| b.span_ms == HOUR_MS), "{all:?}");
}

async fn the_secret_is_made_once_and_shared(b: Backend) {
    let (one, two) = (b.open().await, b.open().await);
    let secret = one.secret().await.unwrap();
    assert_ne!(secret, [0; 32]);
    assert_eq!(two.secret().await.unwrap(), secret, "a second instance reads the same secret");
    drop((one, two));
    assert_eq!(b.open().await.secret().await.unwrap(), secret, "and so does a restarted one");
}

async fn expired_dedupe_entries_are_deleted(b: Backend) {
    let s = b.open().await;
    for n in 0..5 {
        s.count(hit(visitor(n), "a", "view", T0)).await.unwrap();
    }
    s.count(hit(visitor(9), "a", "view", T0 + 60_000)).await.unwrap();
    assert_eq!(s.expire(T0 + DEDUPE_WINDOW_MS).await.unwrap(), 5);
    assert_eq!(s.expire(T0 + DEDUPE_WINDOW_MS).await.unwrap(), 0);
    assert_eq!(s.count(hit(visitor(0), "a", "view", T0 + DEDUPE_WINDOW_MS)).await.unwrap(), Outcome::Counted);
}

async fn instances_starting_together_migrate_once(b: Backend) {
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = b.url();
            tokio::spawn(async move { store::open(&url).await.map(|_| ()) })
        })
        .collect();
    for o in opens {
        o.await.unwrap().unwrap();
    }
    assert_eq!(b.open().await.schema_version().await.unwrap(), SCHEMA_VERSION);
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::postgres()).await;
                }
            )*
        }
    };
}

on_both_backends!(
    counts_are_stored_and_survive_a_restart,
    a_visitor_counts_once_per_window_even_across_midnight,
    concurrent_hits_are_each_counted_once,
    published_items_survive_a_restart_and_corrections_replace,
    a_sources_items_are_kept_and_only_a_change_raises_the_version,
    counts_over_time_are_kept_per_minute_and_origin_then_rolled_up,
    instances_rolling_up_at_once_never_count_twice,
    the_secret_is_made_once_and_shared,
    expired_dedupe_entries_are_deleted,
    instances_starting_together_migrate_once,
);

#[tokio::test]
async fn an_unknown_database_url_is_refused_with_a_reason() {
    let e = store::open("mysql://x").await.err().unwrap();
    assert!(e.to_string().contains("sqlite: or postgres://"), "{e}");
}

/// The writer's queue is bounded: beacons beyond it are refused at once (`Busy`, answered 503
/// with `Retry-After`) instead of growing memory. On a one-thread runtime the PostgreSQL
/// writers cannot run while the hits are queued, so the bound is reached exactly.
#[test]
fn a_full_writer_queue_refuses_beacons_instead_of_growing() {
    let backend = Backend::postgres();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let s = backend.open().await;
        let pending: Vec<_> = (0..store::MAX_QUEUE as u32 + 5)
            .map(|i| {
                let mut v = [0u8; 16];
                v[..4].copy_from_slice(&i.to_be_bytes());
                s.count(hit((v, None), "a", "view", T0))
            })
            .collect();
        let mut refused = 0;
        let mut counted = 0;
        for p in pending {
            match p.await {
                Err(store::Error::Busy) => refused += 1,
                Ok(Outcome::Counted) => counted += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((counted, refused), (store::MAX_QUEUE, 5));
        assert_eq!(s.counts("view").await.unwrap().get("a"), Some(&(store::MAX_QUEUE as u64)));
    });
}

/// Every PostgreSQL instance hears a publish made by another at once (LISTEN/NOTIFY), and
/// hears it only once it is committed; after losing its connection it listens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_on_one_postgres_instance_is_heard_by_the_others() {
    let b = Backend::postgres();
    let (one, two) = (b.open().await, b.open().await);
    let mut heard = two.changes().expect("PostgreSQL notifies");
    let ten_seconds = std::time::Duration::from_secs(10);
    let before = tokio::time::timeout(ten_seconds, heard.wait_for(|c| c.listening)).await.unwrap().unwrap().seq;
    one.publish("a", r#"{"id":"a","title":"A"}"#, T0).await.unwrap();
    tokio::time::timeout(ten_seconds, heard.wait_for(|c| c.seq > before)).await.expect("heard within 10 s").unwrap();

    // The listener's connection is killed: it reconnects and says so by a new `seq` (a
    // publish may have been missed meanwhile).
    let seq = heard.borrow().seq;
    let admin = tokio_postgres::connect(b.url().trim_start_matches("postgres:"), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(admin.1);
    admin.0.batch_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'").await.unwrap();
    tokio::time::timeout(ten_seconds, heard.wait_for(|c| c.listening && c.seq > seq)).await.expect("listening again within 10 s").unwrap();
    let seq = heard.borrow().seq;
    one.publish("b", r#"{"id":"b","title":"B"}"#, T0 + 1).await.unwrap();
    tokio::time::timeout(ten_seconds, heard.wait_for(|c| c.seq > seq)).await.expect("heard after reconnecting").unwrap();
}

#[tokio::test]
async fn sqlite_has_no_other_instance_to_hear() {
    let b = Backend::sqlite();
    assert!(b.open().await.changes().is_none());
}
