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
    Hit { visitor: v, item: item.into(), event, now_ms }
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
