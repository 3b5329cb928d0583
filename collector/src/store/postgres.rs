//! The store in PostgreSQL, shared by every collector instance: what makes them stateless.
//!
//! Hits queue (bounded) to one writer task per instance, which commits a batch in one
//! transaction: the dedupe statements pipelined on one connection in a fixed lock order,
//! then one upsert per (item, event). The dedupe set is an UNLOGGED table (it is worth
//! keeping across a collector restart, not across a database crash), expired periodically.
//!
//! Every path is bounded in time, so that a database that goes away (restarted, or hung)
//! costs readers and beacons an error within seconds, never a wait: pool and connection
//! timeouts, a bound on each read and each batch (whose connection is then closed, and the
//! next one gets a new one), a bound on each beacon's wait, and the change listener
//! reconnecting with a capped backoff.

use crate::metrics::Metrics;
use super::{aggregate, enqueue, lock_order, new_secret, per_minute, rollups, MINUTE_MS, Error, Fut, Bucket, Changes, Hit, Job, Outcome, Queued, Store, DEDUPE_WINDOW_MS, MAX_BATCH, MAX_QUEUE, SCHEMA_VERSION};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The migrations, in order: migration N brings the schema from version N to N + 1.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // A count is split over shards, one per writer (summed when read): a story read by
    // everyone at once would otherwise be one row that every instance's transaction locks
    // until its commit reaches the disk.
    "CREATE TABLE counts (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        shard SMALLINT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (item, event, shard)
    );",
    // No index on `expires`: every hit would pay to keep it; the minutely sweep scans.
    "CREATE UNLOGGED TABLE dedupe (
        visitor BYTEA NOT NULL,
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        expires BIGINT NOT NULL,
        PRIMARY KEY (visitor, item, event)
    );
    CREATE TABLE published (
        id TEXT PRIMARY KEY,
        item TEXT NOT NULL,
        first_published BIGINT NOT NULL,
        seq BIGSERIAL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
    CREATE TABLE feed_version (version BIGINT NOT NULL);
    INSERT INTO feed_version (version) VALUES (0);",
    // The last good items of each feed source, kept across restarts and shared.
    "CREATE TABLE sources (source TEXT PRIMARY KEY, items TEXT NOT NULL);",
    // Counts over time, per item, event, span and origin (sharded like the counts): nothing
    // about the visitor.
    "CREATE TABLE buckets (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        span BIGINT NOT NULL,
        start BIGINT NOT NULL,
        origin TEXT NOT NULL,
        shard SMALLINT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (item, event, span, start, origin, shard)
    );",
];

/// Transactions of beacons in flight at once, per instance.
const WRITERS: usize = 4;
/// Shards of each count.
const SHARDS: u16 = 64;
/// Connections per instance at most (the writers' and the readers').
const POOL_SIZE: usize = 8;

/// A reader or writer waits at most this long for a pooled connection when all are in use.
pub const POOL_WAIT: Duration = Duration::from_secs(1);
/// A new connection (socket, startup, authentication) is made within this, or fails: a
/// database host that hangs is given up on, not waited for.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A pooled connection is checked within this before it is lent again (the check is local:
/// whether it was closed).
pub const RECYCLE_TIMEOUT: Duration = Duration::from_secs(1);
/// Every read and write of the store but the sweep (its connection included) is done
/// within this, or fails, and the connection it was using is closed: a statement may still
/// run on it.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(4);
/// A batch of beacons is committed within this (its connection included), or each of its
/// beacons fails (503) and its connection is closed; the next batch gets a new one.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(4);
/// A beacon is answered within this of being queued, whether the writers are behind or the
/// database is gone: counted and committed, a duplicate, or an error (503). A beacon no
/// longer waited for when a writer takes it is not committed.
pub const COUNT_TIMEOUT: Duration = Duration::from_secs(5);
/// The minutely sweep (expiry over the whole dedupe set, roll-ups) is done within this.
pub const SWEEP_TIMEOUT: Duration = Duration::from_secs(60);
/// The change listener retries this soon after losing its connection, then twice as late
/// after each failure…
pub const LISTEN_RETRY_MIN: Duration = Duration::from_millis(250);
/// …but never later than this: it listens again at most this long (and a connection) after
/// the database is back.
pub const LISTEN_RETRY_MAX: Duration = Duration::from_secs(2);

// A connection's wait and creation fit in a read's bound, and a batch in a beacon's.
const _: () = assert!(POOL_WAIT.as_millis() + CONNECT_TIMEOUT.as_millis() < STORE_TIMEOUT.as_millis());
const _: () = assert!(BATCH_TIMEOUT.as_millis() < COUNT_TIMEOUT.as_millis());

/// An arbitrary key for the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x0064_6570_6563_6865;

/// The channel every publish notifies, in the transaction that raises the feed's version.
const CHANNEL: &str = "depeche_feed";

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    writer: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    changes: watch::Receiver<Changes>,
}

/// The error with its causes ("error connecting to server: Connection refused"), each said
/// once: the operator reading the log learns why the database could not be reached.
fn db_error(e: impl std::error::Error) -> Error {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = c.source();
    }
    Error::Database(text)
}

/// `work`, or an error if it is not done within `bound` (what it was doing is dropped, and
/// its connection closed with it).
async fn within<T>(bound: Duration, what: &str, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::time::timeout(bound, work).await.unwrap_or_else(|_| Err(Error::Database(format!("{what}: no answer from the database within {bound:?}"))))
}

/// A pooled connection, given back to the pool only by `done`, once the work on it has
/// finished. Dropped before (an error, a timeout, a request given up), it is closed instead:
/// a statement may still be running on it, or the database it reached may be gone.
struct Conn(Option<deadpool_postgres::Object>);

impl Conn {
    /// A connection from `pool`, within the pool's timeouts.
    async fn get(pool: &Pool) -> Result<Conn, Error> {
        Ok(Conn(Some(pool.get().await.map_err(db_error)?)))
    }

    /// The client, until `done`.
    fn client(&mut self) -> Result<&mut deadpool_postgres::Object, Error> {
        self.0.as_mut().ok_or_else(|| Error::Database("the connection was given back".into()))
    }

    /// Gives the connection back to the pool.
    fn done(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            // Out of the pool, and dropped: its connection task ends, its socket closes, and
            // the server rolls back whatever it had not committed.
            drop(deadpool_postgres::Object::take(object));
        }
    }
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL or a `host=… dbname=…` string), migrates the
    /// schema, and starts the writer task.
    pub async fn open(url: &str) -> Result<PgStore, Error> {
        PgStore::open_with(url, Arc::default()).await
    }

    /// As `open`, its writer keeping its queue depth and commit times in `metrics`.
    pub async fn open_with(url: &str, metrics: Arc<Metrics>) -> Result<PgStore, Error> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| Error::Database(format!("the database URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(config.clone(), tokio_postgres::NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(RECYCLE_TIMEOUT))
            .build()
            .map_err(db_error)?;
        migrate(&pool).await?;
        let (tx, rx) = mpsc::channel::<Job>(MAX_QUEUE);
        // Several writers, each with its own transaction in flight: while one waits for its
        // commit to reach the disk, the next batch is already being written (PostgreSQL
        // flushes concurrent commits together).
        let jobs = Arc::new(tokio::sync::Mutex::new(rx));
        // Each writer adds to a shard of its own; instances start at a random offset, so that
        // two of them rarely share one.
        let offset = rand::random::<u16>() % SHARDS;
        for w in 0..WRITERS as u16 {
            let shard = ((offset + w) % SHARDS) as i16;
            tokio::spawn(write_loop(pool.clone(), Arc::clone(&jobs), Arc::clone(&metrics), shard));
        }
        let (changes_tx, changes) = watch::channel(Changes::default());
        tokio::spawn(listen(config, changes_tx));
        Ok(PgStore { pool, writer: tx, metrics, changes })
    }

    async fn conn(&self) -> Result<Conn, Error> {
        Conn::get(&self.pool).await
    }
}

/// Brings the schema up to date under an advisory lock: instances starting together wait
/// for the first, then find nothing left to do. Only its connection is bounded in time (the
/// pool's): a migration takes as long as it takes, before anything is served.
async fn migrate(pool: &Pool) -> Result<(), Error> {
    let mut conn = Conn::get(pool).await?;
    let tx = conn.client()?.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db_error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").await.map_err(db_error)?;
    let version: i64 = match tx.query_opt("SELECT version FROM schema_version", &[]).await.map_err(db_error)? {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]).await.map_err(db_error)?;
            0
        }
    };
    if version > SCHEMA_VERSION {
        return Err(Error::Database(format!("the database is at schema version {version}, newer than this collector's {SCHEMA_VERSION}")));
    }
    for migration in &MIGRATIONS[version as usize..] {
        tx.batch_execute(migration).await.map_err(db_error)?;
    }
    tx.execute("UPDATE schema_version SET version = $1", &[&SCHEMA_VERSION]).await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    conn.done();
    Ok(())
}

impl Store for PgStore {
    fn count(&self, hit: Hit) -> Fut<'_, Outcome> {
        let answer = enqueue(hit, &self.metrics, |job| match self.writer.try_send(job) {
            Ok(()) => Queued::Yes,
            Err(mpsc::error::TrySendError::Full(_)) => Queued::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Queued::Closed,
        });
        // Dropped on the timeout, the answer's receiver tells the writer not to commit it.
        Box::pin(within(COUNT_TIMEOUT, "a beacon", answer))
    }

    fn counts(&self, event: &'static str) -> Fut<'_, HashMap<String, u64>> {
        Box::pin(within(STORE_TIMEOUT, "reading the counts", async move {
            let mut conn = self.conn().await?;
            let rows = conn.client()?.query("SELECT item, sum(n)::BIGINT FROM counts WHERE event = $1 GROUP BY item", &[&event]).await.map_err(db_error)?;
            conn.done();
            Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64)).collect())
        }))
    }

    fn publish(&self, id: &str, item_json: &str, now_ms: u64) -> Fut<'_, ()> {
        let (id, item) = (id.to_owned(), item_json.to_owned());
        Box::pin(within(STORE_TIMEOUT, "publishing", async move {
            let mut conn = self.conn().await?;
            let tx = conn.client()?.transaction().await.map_err(db_error)?;
            tx.execute(
                "INSERT INTO published (id, item, first_published) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET item = EXCLUDED.item",
                &[&id, &item, &(now_ms as i64)],
            )
            .await
            .map_err(db_error)?;
            tx.execute("UPDATE feed_version SET version = version + 1", &[]).await.map_err(db_error)?;
            // Delivered to every listening instance when (and only if) the commit succeeds.
            tx.batch_execute(&format!("NOTIFY {CHANNEL}")).await.map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            conn.done();
            Ok(())
        }))
    }

    fn set_source(&self, source: &str, items_json: &str) -> Fut<'_, bool> {
        let (source, items) = (source.to_owned(), items_json.to_owned());
        Box::pin(within(STORE_TIMEOUT, "keeping a source's items", async move {
            let mut conn = self.conn().await?;
            let tx = conn.client()?.transaction().await.map_err(db_error)?;
            // Instances fetching the same source at once: the row lock makes the second one
            // find the items already kept, and change nothing.
            let changed = tx
                .execute(
                    "INSERT INTO sources (source, items) VALUES ($1, $2)
                     ON CONFLICT (source) DO UPDATE SET items = EXCLUDED.items WHERE sources.items IS DISTINCT FROM EXCLUDED.items",
                    &[&source, &items],
                )
                .await
                .map_err(db_error)?
                > 0;
            if changed {
                tx.execute("UPDATE feed_version SET version = version + 1", &[]).await.map_err(db_error)?;
                tx.batch_execute(&format!("NOTIFY {CHANNEL}")).await.map_err(db_error)?;
            }
            tx.commit().await.map_err(db_error)?;
            conn.done();
            Ok(changed)
        }))
    }

    fn sources(&self) -> Fut<'_, Vec<(String, String)>> {
        Box::pin(within(STORE_TIMEOUT, "reading the sources' items", async move {
            let mut conn = self.conn().await?;
            let rows = conn.client()?.query("SELECT source, items FROM sources ORDER BY source", &[]).await.map_err(db_error)?;
            conn.done();
            Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, String>(1))).collect())
        }))
    }

    fn published(&self) -> Fut<'_, Vec<String>> {
        Box::pin(within(STORE_TIMEOUT, "reading the published items", async move {
            let mut conn = self.conn().await?;
            let rows = conn.client()?.query("SELECT item FROM published ORDER BY first_published, seq", &[]).await.map_err(db_error)?;
            conn.done();
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        }))
    }

    fn feed_version(&self) -> Fut<'_, i64> {
        Box::pin(within(STORE_TIMEOUT, "reading the feed's version", async move {
            let mut conn = self.conn().await?;
            let row = conn.client()?.query_one("SELECT version FROM feed_version", &[]).await.map_err(db_error)?;
            conn.done();
            Ok(row.get(0))
        }))
    }

    fn secret(&self) -> Fut<'_, [u8; 32]> {
        Box::pin(within(STORE_TIMEOUT, "reading the secret", async move {
            let mut conn = self.conn().await?;
            let client = conn.client()?;
            let fresh = new_secret().to_vec();
            // Whoever inserts first wins; every instance then reads the same secret.
            client
                .execute("INSERT INTO meta (key, value) VALUES ('salt-secret', $1) ON CONFLICT (key) DO NOTHING", &[&fresh])
                .await
                .map_err(db_error)?;
            let row = client.query_one("SELECT value FROM meta WHERE key = 'salt-secret'", &[]).await.map_err(db_error)?;
            conn.done();
            let value: Vec<u8> = row.get(0);
            let mut secret = [0u8; 32];
            let n = value.len().min(32);
            secret[..n].copy_from_slice(&value[..n]);
            Ok(secret)
        }))
    }

    fn expire(&self, now_ms: u64) -> Fut<'_, u64> {
        Box::pin(within(SWEEP_TIMEOUT, "the sweep", async move {
            let mut conn = self.conn().await?;
            let client = conn.client()?;
            let deleted = client.execute("DELETE FROM dedupe WHERE expires <= $1", &[&(now_ms as i64)]).await.map_err(db_error)?;
            for (from, to, cut) in rollups(now_ms) {
                // One statement: the rows it deletes are the rows it adds up, so that instances
                // rolling up at once never count a row twice (the second waits on the first's
                // row locks, then finds them gone).
                client
                    .execute(
                        "WITH gone AS (DELETE FROM buckets WHERE span = $1 AND start < $3 RETURNING item, event, start, origin, shard, n)
                         INSERT INTO buckets (item, event, span, start, origin, shard, n)
                         SELECT item, event, $2, start - start % $2, origin, shard, sum(n) FROM gone
                         GROUP BY item, event, start - start % $2, origin, shard
                         ON CONFLICT (item, event, span, start, origin, shard) DO UPDATE SET n = buckets.n + EXCLUDED.n",
                        &[&(from as i64), &(to as i64), &(cut as i64)],
                    )
                    .await
                    .map_err(db_error)?;
            }
            conn.done();
            Ok(deleted)
        }))
    }

    fn buckets(&self, since_ms: u64) -> Fut<'_, Vec<Bucket>> {
        Box::pin(within(STORE_TIMEOUT, "reading the counts over time", async move {
            let mut conn = self.conn().await?;
            let rows = conn
                .client()?
                .query(
                    "SELECT item, event, start, span, origin, sum(n)::BIGINT FROM buckets WHERE start + span > $1
                     GROUP BY item, event, start, span, origin ORDER BY start",
                    &[&(since_ms as i64)],
                )
                .await
                .map_err(db_error)?;
            conn.done();
            Ok(rows
                .iter()
                .map(|r| Bucket {
                    item: r.get(0),
                    event: r.get(1),
                    start_ms: r.get::<_, i64>(2).max(0) as u64,
                    span_ms: r.get::<_, i64>(3).max(0) as u64,
                    origin: r.get(4),
                    n: r.get::<_, i64>(5).max(0) as u64,
                })
                .collect())
        }))
    }

    fn schema_version(&self) -> Fut<'_, i64> {
        Box::pin(within(STORE_TIMEOUT, "reading the schema's version", async move {
            let mut conn = self.conn().await?;
            let row = conn.client()?.query_one("SELECT version FROM schema_version", &[]).await.map_err(db_error)?;
            conn.done();
            Ok(row.get(0))
        }))
    }


    fn changes(&self) -> Option<watch::Receiver<Changes>> {
        Some(self.changes.clone())
    }
}

/// Listens on its own connection (a pooled one would be recycled) for publishes by any
/// instance, reconnecting when the connection is lost (`LISTEN_RETRY_MIN`, doubling up to
/// `LISTEN_RETRY_MAX`); ends when the store is dropped.
async fn listen(config: tokio_postgres::Config, changes: watch::Sender<Changes>) {
    use futures_util::StreamExt;
    let mut said = None;
    let mut retry = LISTEN_RETRY_MIN;
    while !changes.is_closed() {
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(tokio_postgres::NoTls)).await;
        let why = match connected {
            Ok(Ok((client, mut connection))) => {
                let (heard, mut notifications) = mpsc::unbounded_channel();
                // The connection's messages (notifications among them) come only while it is
                // polled, which this task does until the connection ends.
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                let _ = heard.send(());
                            }
                            Ok(_) => {}
                            Err(e) => return e.to_string(),
                        }
                    }
                    "the connection closed".to_owned()
                });
                match within(STORE_TIMEOUT, "LISTEN", async { client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(db_error) }).await {
                    Ok(()) => {
                        if said.take().is_some() {
                            eprintln!("depeche-collector: listening for publishes again");
                        }
                        retry = LISTEN_RETRY_MIN;
                        changes.send_modify(|c| *c = Changes { listening: true, seq: c.seq + 1 });
                        loop {
                            tokio::select! {
                                n = notifications.recv() => match n {
                                    Some(()) => changes.send_modify(|c| c.seq += 1),
                                    None => break,
                                },
                                () = changes.closed() => return driver.abort(),
                            }
                        }
                        changes.send_modify(|c| c.listening = false);
                        driver.await.unwrap_or_else(|e| e.to_string())
                    }
                    Err(e) => {
                        driver.abort();
                        e.to_string()
                    }
                }
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no connection within {CONNECT_TIMEOUT:?}"),
        };
        if changes.is_closed() {
            return;
        }
        // Once per outage, not at every retry.
        if said.is_none() {
            eprintln!("depeche-collector: not listening for publishes (polling the feed's version instead), will retry: {why}");
            said = Some(why);
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LISTEN_RETRY_MAX);
    }
}

async fn write_loop(pool: Pool, jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>, metrics: Arc<Metrics>, shard: i16) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Failed batches and their beacons since the last commit, logged once per outage.
    let mut failing: Option<(std::time::Instant, usize, usize)> = None;
    // The queue is held only while taking a batch, not while committing it.
    while jobs.lock().await.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics.queue_depth.fetch_sub(batch.len() as i64, std::sync::atomic::Ordering::Relaxed);
        // A beacon already answered (its wait exceeded COUNT_TIMEOUT: 503) or whose request is
        // gone is not committed: it would count a view its reader was told to send again.
        batch.retain(|j: &Job| !j.done.is_closed());
        if batch.is_empty() {
            continue;
        }
        let hits: Vec<Hit> = batch.iter().map(|j: &Job| j.hit.clone()).collect();
        let started = std::time::Instant::now();
        // On the timeout, the batch's connection is closed with it (`Conn`): the server rolls
        // back what it had not committed, and the next batch gets a new connection.
        let result = within(BATCH_TIMEOUT, "a batch of beacons", commit(&pool, &hits, shard)).await;
        metrics.commit(started.elapsed());
        match (&result, &mut failing) {
            (Err(e), None) => {
                eprintln!("depeche-collector: a batch of {} beacons could not be committed (answered 503), will say when counting resumes: {e}", hits.len());
                failing = Some((started, 1, hits.len()));
            }
            (Err(_), Some((_, batches, beacons))) => {
                *batches += 1;
                *beacons += hits.len();
            }
            (Ok(_), Some((since, batches, beacons))) => {
                eprintln!(
                    "depeche-collector: counting again, after {batches} batches ({beacons} beacons, answered 503) not committed in {} ms",
                    since.elapsed().as_millis()
                );
                failing = None;
            }
            (Ok(_), None) => {}
        }
        for (i, job) in batch.drain(..).enumerate() {
            let _ = job.done.send(result.as_ref().map(|o| o[i]).map_err(Clone::clone));
        }
    }
}

/// One transaction, two statements whatever the batch's size: every hit is checked against
/// the dedupe set and entered in it by one `INSERT … SELECT FROM unnest(…)`, then one upsert
/// of every (item, event) counted.
async fn commit(pool: &Pool, batch: &[Hit], shard: i16) -> Result<Vec<Outcome>, Error> {
    let mut outcomes = vec![Outcome::Duplicate; batch.len()];
    // A statement cannot touch one row twice: within the batch, a hit whose key (under
    // today's or yesterday's id) an earlier hit already has is a duplicate here and now.
    let mut first: Vec<usize> = Vec::with_capacity(batch.len());
    for i in lock_order(batch) {
        let h = &batch[i];
        let seen = first.iter().any(|&j| {
            let e = &batch[j];
            e.item == h.item && e.event == h.event && (e.visitor.0 == h.visitor.0 || Some(e.visitor.0) == h.visitor.1)
        });
        if !seen {
            first.push(i);
        }
    }
    let visitors: Vec<&[u8]> = first.iter().map(|&i| &batch[i].visitor.0[..]).collect();
    // Yesterday's id, or today's again when there is none (it then only finds this hit's own
    // unexpired entry, which the conflict clause would refuse anyway).
    let yesterdays: Vec<&[u8]> = first.iter().map(|&i| batch[i].visitor.1.as_ref().map_or(&batch[i].visitor.0[..], |y| &y[..])).collect();
    let items: Vec<&str> = first.iter().map(|&i| batch[i].item.as_str()).collect();
    let events: Vec<&str> = first.iter().map(|&i| batch[i].event).collect();
    let nows: Vec<i64> = first.iter().map(|&i| batch[i].now_ms as i64).collect();
    let window = DEDUPE_WINDOW_MS as i64;

    let mut conn = Conn::get(pool).await?;
    let tx = conn.client()?.transaction().await.map_err(db_error)?;
    // Counted when no unexpired entry exists under yesterday's id and the entry under
    // today's id is new or had expired; rows are locked in key order (as in every instance),
    // and concurrent instances serialise on each key.
    let entered = tx
        .query(
            "INSERT INTO dedupe (visitor, item, event, expires)
             SELECT h.v, h.i, h.e, h.n + $6
             FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::bigint[]) AS h(v, y, i, e, n)
             WHERE NOT EXISTS (SELECT 1 FROM dedupe d WHERE d.visitor = h.y AND d.item = h.i AND d.event = h.e AND d.expires > h.n)
             ORDER BY h.v, h.i, h.e
             ON CONFLICT (visitor, item, event) DO UPDATE SET expires = EXCLUDED.expires
             WHERE dedupe.expires <= EXCLUDED.expires - $6
             RETURNING visitor, item, event",
            &[&visitors, &yesterdays, &items, &events, &nows, &window],
        )
        .await
        .map_err(db_error)?;
    for row in &entered {
        let (v, item, event): (&[u8], &str, &str) = (row.get(0), row.get(1), row.get(2));
        let hit = first.iter().copied().find(|&i| batch[i].visitor.0[..] == *v && batch[i].item == item && batch[i].event == event);
        if let Some(i) = hit {
            outcomes[i] = Outcome::Counted;
        }
    }
    let counted = batch.iter().zip(&outcomes).filter(|(_, o)| **o == Outcome::Counted).map(|(h, _)| h);
    let sums = aggregate(counted);
    if !sums.is_empty() {
        let items: Vec<&str> = sums.iter().map(|((item, _), _)| *item).collect();
        let events: Vec<&str> = sums.iter().map(|((_, event), _)| *event).collect();
        let ns: Vec<i64> = sums.iter().map(|(_, n)| *n).collect();
        tx.execute(
            "INSERT INTO counts (item, event, shard, n) SELECT h.i, h.e, $4, h.n FROM unnest($1::text[], $2::text[], $3::bigint[]) AS h(i, e, n)
             ON CONFLICT (item, event, shard) DO UPDATE SET n = counts.n + EXCLUDED.n",
            &[&items, &events, &ns, &shard],
        )
        .await
        .map_err(db_error)?;
        let counted = batch.iter().zip(&outcomes).filter(|(_, o)| **o == Outcome::Counted).map(|(h, _)| h);
        let minutes = per_minute(counted);
        let items: Vec<&str> = minutes.iter().map(|((item, ..), _)| *item).collect();
        let events: Vec<&str> = minutes.iter().map(|((_, event, ..), _)| *event).collect();
        let starts: Vec<i64> = minutes.iter().map(|((_, _, start, _), _)| *start).collect();
        let origins: Vec<&str> = minutes.iter().map(|((.., origin), _)| *origin).collect();
        let ns: Vec<i64> = minutes.iter().map(|(_, n)| *n).collect();
        tx.execute(
            "INSERT INTO buckets (item, event, span, start, origin, shard, n)
             SELECT h.i, h.e, $6, h.s, h.o, $7, h.n FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS h(i, e, s, o, n)
             ON CONFLICT (item, event, span, start, origin, shard) DO UPDATE SET n = buckets.n + EXCLUDED.n",
            &[&items, &events, &starts, &origins, &ns, &(MINUTE_MS as i64), &shard],
        )
        .await
        .map_err(db_error)?;
    }
    // Acknowledged (Counted) only from here: the commit is answered.
    tx.commit().await.map_err(db_error)?;
    conn.done();
    Ok(outcomes)
}
