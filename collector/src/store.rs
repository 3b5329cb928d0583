//! The counts, in SQLite: one row per item and event, one atomic upsert per counted event.

use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// The count store.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode.
    ///
    /// `synchronous=NORMAL` keeps every acknowledged commit across a process crash (the WAL is
    /// written before the reply); only an OS crash or power loss can lose the last commits,
    /// and it is nine times faster than FULL here (shared/notes/measured-facts.md).
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS counts (
                item TEXT NOT NULL,
                event TEXT NOT NULL,
                n INTEGER NOT NULL,
                PRIMARY KEY (item, event)
            ) WITHOUT ROWID;",
        )?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    /// Adds one `event` to `item`; returns the new count.
    pub fn add(&self, item: &str, event: &str) -> rusqlite::Result<u64> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn.prepare_cached(
            "INSERT INTO counts (item, event, n) VALUES (?1, ?2, 1)
             ON CONFLICT (item, event) DO UPDATE SET n = n + 1 RETURNING n",
        )?;
        let n = stmt.query_row(params![item, event], |row| row.get::<_, i64>(0))?;
        Ok(n.max(0) as u64)
    }

    /// Every item's count of `event`.
    pub fn counts(&self, event: &str) -> rusqlite::Result<HashMap<String, u64>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn.prepare_cached("SELECT item, n FROM counts WHERE event = ?1")?;
        let rows = stmt.query_map(params![event], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        rows.map(|r| r.map(|(item, n)| (item, n.max(0) as u64))).collect()
    }

    /// `PRAGMA integrity_check`'s verdict (`ok` when sound).
    pub fn integrity_check(&self) -> rusqlite::Result<String> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let s = Store::open(&path).unwrap();
            assert_eq!(s.add("a", "view").unwrap(), 1);
            assert_eq!(s.add("a", "view").unwrap(), 2);
            assert_eq!(s.add("a", "read").unwrap(), 1);
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.counts("view").unwrap().get("a"), Some(&2));
        assert_eq!(s.counts("read").unwrap().get("a"), Some(&1));
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }
}
