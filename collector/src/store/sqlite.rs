//! The store in SQLite, embedded: the default, and what `make demo` uses.
//!
//! Writes go through one writer thread that commits whatever has queued up since its last
//! commit in a single transaction (group commit), and answers each hit only once its
//! transaction is committed. Reads use their own connection; WAL lets them run beside the
//! writer.

use crate::metrics::Metrics;
use super::{aggregate, enqueue, lock_order, new_secret, per_minute, rollups, Bucket, Error, Fut, Hit, Job, Outcome, Queued, Store, DEDUPE_WINDOW_MS, MAX_BATCH, MAX_QUEUE, MINUTE_MS, SCHEMA_VERSION};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The migrations, in order: migration N brings the schema from version N to N + 1.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    "CREATE TABLE IF NOT EXISTS counts (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (item, event)
    ) WITHOUT ROWID;",
    "CREATE TABLE dedupe (
        visitor BLOB NOT NULL,
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (visitor, item, event)
    ) WITHOUT ROWID;
    CREATE INDEX dedupe_expires ON dedupe (expires);
    CREATE TABLE published (
        id TEXT PRIMARY KEY,
        item TEXT NOT NULL,
        first_published INTEGER NOT NULL,
        seq INTEGER NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE feed_version (version INTEGER NOT NULL);
    INSERT INTO feed_version (version) VALUES (0);",
    // The last good items of each feed source, kept across restarts and shared.
    "CREATE TABLE sources (source TEXT PRIMARY KEY, items TEXT NOT NULL);",
    // Counts over time, per item, event, span and origin: nothing about the visitor.
    "CREATE TABLE buckets (
        item TEXT NOT NULL,
        event TEXT NOT NULL,
        span INTEGER NOT NULL,
        start INTEGER NOT NULL,
        origin TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (item, event, span, start, origin)
    ) WITHOUT ROWID;",
];

/// The SQLite store.
pub struct SqliteStore {
    reader: Arc<Mutex<Connection>>,
    writer: mpsc::SyncSender<Job>,
    metrics: Arc<Metrics>,
    /// The checkpoint thread runs while this lives.
    _alive: Arc<()>,
}

fn db_error(e: impl std::fmt::Display) -> Error {
    Error::Database(e.to_string())
}

fn open_connection(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path).map_err(db_error)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(db_error)?;
    // NORMAL keeps every commit across a process crash (the WAL is written before the
    // reply); only an OS crash or power loss can lose the last ones. FULL measured nine
    // times slower here (shared/notes/measured-facts.md).
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_error)?;
    Ok(conn)
}

/// Brings the schema up to date, in one immediate transaction: a second process starting
/// at the same time waits for it, then finds nothing left to do.
fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_error)?;
    let mut version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(db_error)?;
    if version == 0 {
        // A database of the first release has `counts` but no version: that is version 1.
        let has_counts: bool = tx
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'counts'", [], |r| r.get::<_, i64>(0))
            .map_err(db_error)?
            > 0;
        if has_counts {
            version = 1;
        }
    }
    if version > SCHEMA_VERSION {
        return Err(Error::Database(format!("the database is at schema version {version}, newer than this collector's {SCHEMA_VERSION}")));
    }
    for migration in &MIGRATIONS[version as usize..] {
        tx.execute_batch(migration).map_err(db_error)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(db_error)?;
    tx.commit().map_err(db_error)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts its
    /// writer and checkpoint threads.
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        SqliteStore::open_with(path, Arc::default())
    }

    /// As `open`, its writer keeping its queue depth and commit times in `metrics`.
    pub fn open_with(path: &Path, metrics: Arc<Metrics>) -> Result<SqliteStore, Error> {
        let mut writer_conn = open_connection(path)?;
        migrate(&mut writer_conn)?;
        // Checkpoints run beside the writer, not in it: an automatic checkpoint inside a
        // commit stalled every beacon queued behind it (p99 110 ms under load, 4 ms without).
        writer_conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(db_error)?;
        let checkpointer = open_connection(path)?;
        let alive = Arc::new(());
        let store_alive = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("depeche-store-checkpoint".into())
            .spawn(move || {
                while store_alive.upgrade().is_some() {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    // A failed checkpoint (a reader holding the WAL, a full disk) is said
                    // and tried again next time: it never ends checkpointing.
                    if let Err(e) = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                        eprintln!("depeche-collector: WAL checkpoint failed, will retry: {e}");
                    }
                }
            })
            .map_err(db_error)?;
        let reader = open_connection(path)?;
        let (tx, rx) = mpsc::sync_channel::<Job>(MAX_QUEUE);
        let m = Arc::clone(&metrics);
        std::thread::Builder::new()
            .name("depeche-store-writer".into())
            .spawn(move || write_loop(writer_conn, rx, &m))
            .map_err(db_error)?;
        Ok(SqliteStore { reader: Arc::new(Mutex::new(reader)), writer: tx, metrics, _alive: alive })
    }

    /// `PRAGMA integrity_check`'s verdict (`ok` when sound).
    pub fn integrity_check(&self) -> Result<String, Error> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).map_err(db_error)
    }

    /// Runs `f` on the reader connection (reads, and the writes that are not beacons:
    /// publishing, the secret, expiry), on the blocking pool.
    fn on_reader<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static) -> Fut<'_, T> {
        let reader = Arc::clone(&self.reader);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
                f(&conn).map_err(db_error)
            })
            .await
            .map_err(db_error)?
        })
    }
}

impl Store for SqliteStore {
    fn count(&self, hit: Hit) -> Fut<'_, Outcome> {
        enqueue(hit, &self.metrics, |job| match self.writer.try_send(job) {
            Ok(()) => Queued::Yes,
            Err(mpsc::TrySendError::Full(_)) => Queued::Full,
            Err(mpsc::TrySendError::Disconnected(_)) => Queued::Closed,
        })
    }

    fn counts(&self, event: &'static str) -> Fut<'_, HashMap<String, u64>> {
        self.on_reader(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT item, n FROM counts WHERE event = ?1")?;
            let rows = stmt.query_map(params![event], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
            rows.map(|r| r.map(|(item, n)| (item, n.max(0) as u64))).collect()
        })
    }

    fn publish(&self, id: &str, item_json: &str, now_ms: u64) -> Fut<'_, ()> {
        let (id, item) = (id.to_owned(), item_json.to_owned());
        self.on_reader(move |conn| {
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO published (id, item, first_published, seq)
                 VALUES (?1, ?2, ?3, (SELECT coalesce(max(seq), 0) + 1 FROM published))
                 ON CONFLICT (id) DO UPDATE SET item = excluded.item",
                params![id, item, now_ms as i64],
            )?;
            tx.execute("UPDATE feed_version SET version = version + 1", [])?;
            tx.commit()
        })
    }

    fn published(&self) -> Fut<'_, Vec<String>> {
        self.on_reader(|conn| {
            let mut stmt = conn.prepare_cached("SELECT item FROM published ORDER BY first_published, seq")?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect()
        })
    }

    fn set_source(&self, source: &str, items_json: &str) -> Fut<'_, bool> {
        let (source, items) = (source.to_owned(), items_json.to_owned());
        self.on_reader(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let kept: Option<String> = tx.query_row("SELECT items FROM sources WHERE source = ?1", params![source], |r| r.get(0)).optional()?;
            if kept.as_deref() == Some(items.as_str()) {
                return Ok(false);
            }
            tx.execute("INSERT INTO sources (source, items) VALUES (?1, ?2) ON CONFLICT (source) DO UPDATE SET items = excluded.items", params![source, items])?;
            tx.execute("UPDATE feed_version SET version = version + 1", [])?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn sources(&self) -> Fut<'_, Vec<(String, String)>> {
        self.on_reader(|conn| {
            let mut stmt = conn.prepare_cached("SELECT source, items FROM sources ORDER BY source")?;
            let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            rows.collect()
        })
    }

    fn feed_version(&self) -> Fut<'_, i64> {
        self.on_reader(|conn| conn.query_row("SELECT version FROM feed_version", [], |r| r.get(0)))
    }

    fn secret(&self) -> Fut<'_, [u8; 32]> {
        let fresh = new_secret();
        self.on_reader(move |conn| {
            conn.execute("INSERT INTO meta (key, value) VALUES ('salt-secret', ?1) ON CONFLICT (key) DO NOTHING", params![fresh.to_vec()])?;
            let value: Vec<u8> = conn.query_row("SELECT value FROM meta WHERE key = 'salt-secret'", [], |r| r.get(0))?;
            let mut secret = [0u8; 32];
            let n = value.len().min(32);
            secret[..n].copy_from_slice(&value[..n]);
            Ok(secret)
        })
    }

    fn expire(&self, now_ms: u64) -> Fut<'_, u64> {
        self.on_reader(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let deleted = tx.execute("DELETE FROM dedupe WHERE expires <= ?1", params![now_ms as i64])? as u64;
            for (from, to, cut) in rollups(now_ms) {
                tx.execute(
                    "INSERT INTO buckets (item, event, span, start, origin, n)
                     SELECT item, event, ?2, start - start % ?2, origin, sum(n) FROM buckets
                     WHERE span = ?1 AND start < ?3 GROUP BY item, event, start - start % ?2, origin
                     ON CONFLICT (item, event, span, start, origin) DO UPDATE SET n = n + excluded.n",
                    params![from as i64, to as i64, cut as i64],
                )?;
                tx.execute("DELETE FROM buckets WHERE span = ?1 AND start < ?2", params![from as i64, cut as i64])?;
            }
            tx.commit()?;
            Ok(deleted)
        })
    }

    fn buckets(&self, since_ms: u64) -> Fut<'_, Vec<Bucket>> {
        self.on_reader(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT item, event, start, span, origin, n FROM buckets WHERE start + span > ?1 ORDER BY start")?;
            let rows = stmt.query_map(params![since_ms as i64], |r| {
                Ok(Bucket {
                    item: r.get(0)?,
                    event: r.get(1)?,
                    start_ms: r.get::<_, i64>(2)?.max(0) as u64,
                    span_ms: r.get::<_, i64>(3)?.max(0) as u64,
                    origin: r.get(4)?,
                    n: r.get::<_, i64>(5)?.max(0) as u64,
                })
            })?;
            rows.collect()
        })
    }

    fn schema_version(&self) -> Fut<'_, i64> {
        self.on_reader(|conn| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))
    }
}

fn write_loop(mut conn: Connection, jobs: mpsc::Receiver<Job>, metrics: &Metrics) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics.queue_depth.fetch_sub(batch.len() as i64, std::sync::atomic::Ordering::Relaxed);
        let hits: Vec<Hit> = batch.iter().map(|j| j.hit.clone()).collect();
        let started = std::time::Instant::now();
        let result = commit(&mut conn, &hits);
        metrics.commit(started.elapsed());
        match result {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.done.send(Ok(outcome));
                }
            }
            Err(e) => {
                for job in batch {
                    let _ = job.done.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One transaction: each hit checked against the dedupe set (and entered in it), then one
/// upsert per (item, event) counted. All or nothing.
fn commit(conn: &mut Connection, batch: &[Hit]) -> Result<Vec<Outcome>, Error> {
    let tx = conn.transaction().map_err(db_error)?;
    let mut outcomes = vec![Outcome::Duplicate; batch.len()];
    {
        let mut seen = tx
            .prepare_cached("SELECT 1 FROM dedupe WHERE visitor IN (?1, ?2) AND item = ?3 AND event = ?4 AND expires > ?5")
            .map_err(db_error)?;
        let mut enter = tx
            .prepare_cached(
                "INSERT INTO dedupe (visitor, item, event, expires) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (visitor, item, event) DO UPDATE SET expires = excluded.expires",
            )
            .map_err(db_error)?;
        for i in lock_order(batch) {
            let hit = &batch[i];
            let (today, yesterday) = (&hit.visitor.0[..], hit.visitor.1.as_ref().map_or(&hit.visitor.0[..], |y| &y[..]));
            let now = hit.now_ms as i64;
            let duplicate = seen.query_row(params![today, yesterday, hit.item, hit.event, now], |_| Ok(())).optional().map_err(db_error)?;
            if duplicate.is_none() {
                enter.execute(params![today, hit.item, hit.event, now + DEDUPE_WINDOW_MS as i64]).map_err(db_error)?;
                outcomes[i] = Outcome::Counted;
            }
        }
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO counts (item, event, n) VALUES (?1, ?2, ?3)
                 ON CONFLICT (item, event) DO UPDATE SET n = n + excluded.n",
            )
            .map_err(db_error)?;
        let counted = || batch.iter().zip(&outcomes).filter(|(_, o)| **o == Outcome::Counted).map(|(h, _)| h);
        for ((item, event), n) in aggregate(counted()) {
            upsert.execute(params![item, event, n]).map_err(db_error)?;
        }
        let mut bucket = tx
            .prepare_cached(
                "INSERT INTO buckets (item, event, span, start, origin, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (item, event, span, start, origin) DO UPDATE SET n = n + excluded.n",
            )
            .map_err(db_error)?;
        for ((item, event, minute, origin), n) in per_minute(counted()) {
            bucket.execute(params![item, event, MINUTE_MS as i64, minute, origin, n]).map_err(db_error)?;
        }
    }
    tx.commit().map_err(db_error)?;
    Ok(outcomes)
}

/// A backup waits at most this long for a lock on the database (a writer's commit, a
/// checkpoint) before it gives up.
pub const BACKUP_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// Database pages copied.
    pub pages: u64,
    /// The copy's size in bytes.
    pub bytes: u64,
    /// The schema version of the copy (that of the database when it was taken).
    pub schema_version: i64,
    /// How long the copy took, its checks included.
    pub took: std::time::Duration,
}

/// Copies the database at `source` into a new file `out` with SQLite's online backup, while
/// a collector may be writing to it: the copy is one snapshot (every transaction committed
/// before it, none after), passes `PRAGMA integrity_check`, and `out` appears whole or not at
/// all. An existing `out` is never overwritten, and a missing `source` is never created.
///
/// The copy is taken in one step, not page by page: SQLite restarts a stepped backup each
/// time another connection writes to the source, which under a steady flow of beacons means
/// never finishing. In WAL mode the one step is a read transaction, which writers do not
/// wait for (the WAL only grows until it ends).
pub fn backup(source: &Path, out: &Path) -> Result<BackupReport, Error> {
    backup_within(source, out, BACKUP_BUSY_TIMEOUT)
}

/// [`backup`], giving up when a lock on the database is held longer than `busy`.
pub fn backup_within(source: &Path, out: &Path, busy: std::time::Duration) -> Result<BackupReport, Error> {
    use rusqlite::backup::{Backup, StepResult};
    use rusqlite::OpenFlags;
    let started = std::time::Instant::now();
    let said = |p: &Path, e: &dyn std::fmt::Display| Error::Database(format!("{}: {e}", p.display()));
    if out.symlink_metadata().is_ok() {
        return Err(Error::Database(format!("{}: already exists (a backup never overwrites a file)", out.display())));
    }
    // Read-write without create: reading a WAL database needs its shared-memory file, and a
    // mistyped path must not become an empty database.
    let from = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| said(source, &e))?;
    from.busy_timeout(busy).map_err(|e| said(source, &e))?;
    // Written beside `out` under another name, and linked to `out` only once checked.
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = out.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let copy = (|| {
        std::fs::OpenOptions::new().write(true).create_new(true).open(&partial).map_err(|e| said(&partial, &e))?;
        let mut to = Connection::open(&partial).map_err(|e| said(&partial, &e))?;
        let pages = {
            let backup = Backup::new(&from, &mut to).map_err(|e| said(source, &e))?;
            match backup.step(-1).map_err(|e| said(source, &e))? {
                StepResult::Done => {}
                StepResult::Busy | StepResult::Locked => {
                    return Err(said(source, &format!("still locked after {busy:?}; try again")));
                }
                _ => return Err(said(source, &"the backup did not finish in one step")),
            }
            backup.progress().pagecount.max(0) as u64
        };
        let verdict: String = to.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| said(&partial, &e))?;
        if verdict != "ok" {
            return Err(said(source, &format!("the copy fails PRAGMA integrity_check: {verdict}")));
        }
        let schema_version: i64 = to.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| said(&partial, &e))?;
        let has_counts = to
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'counts'", [], |r| r.get::<_, i64>(0))
            .map_err(|e| said(&partial, &e))?
            > 0;
        if !has_counts {
            return Err(said(source, &"not a collector's database (no counts table)"));
        }
        to.close().map_err(|(_, e)| said(&partial, &e))?;
        // A hard link fails if `out` appeared meanwhile: never overwritten, even then.
        std::fs::hard_link(&partial, out).map_err(|e| said(out, &e))?;
        Ok((pages, schema_version))
    })();
    let _ = std::fs::remove_file(&partial);
    let (pages, schema_version) = copy?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The new name survives a power loss once its folder is synced.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    let bytes = std::fs::metadata(out).map_err(|e| said(out, &e))?.len();
    Ok(BackupReport { pages, bytes, schema_version, took: started.elapsed() })
}
