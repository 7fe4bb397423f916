//! The embedded store: the tasks and the log of every change, in SQLite.
//!
//! Every mutation writes the task and its change record in one transaction,
//! so the change log and the task table can never disagree, and a sequence
//! number is never handed out for a change that did not happen.
//!
//! Each task has a version, raised by every change and kept with who made
//! it and when, so that a write made against an older version is refused
//! with what is there now ([`Written::Refused`]), in the same transaction
//! that would have made it.
//!
//! [`Sqlite`] is the [`Storage`] over it: calls run off the async threads,
//! and a change is broadcast while the lock that wrote it is held, so the
//! broadcast is in sequence order.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::broadcast;

use super::{now_ms, Storage, StoreError, KEY_HOLDS, LIVE_BUFFER};
use crate::model::{Change, ChangeKind, CreateKey, Created, IfMatch, Stale, Task, TaskPatch, Written};

/// The SQLite store, shared by the hub's requests and streams.
pub struct Sqlite {
    shared: Arc<Shared>,
}

struct Shared {
    store: Mutex<Store>,
    live: broadcast::Sender<Arc<Change>>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (every write is one transaction), so the data is still sound.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called with the store lock held, so broadcast order is sequence order.
    fn publish(&self, change: &Change) {
        // No receivers is fine: nobody is listening right now.
        let _ = self.live.send(Arc::new(change.clone()));
    }
}

impl Sqlite {
    /// Opens the file at `path`, or a store in memory.
    pub fn open(path: Option<&Path>, history: Option<u64>) -> Result<Self, StoreError> {
        let store = Store::open(path)?.with_history(history);
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        Ok(Sqlite { shared: Arc::new(Shared { store: Mutex::new(store), live }) })
    }

    /// Runs `work` on the store, off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Shared) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || work(&shared)).await.map_err(|join| {
            tracing::error!(error = %join, "a store task failed");
            StoreError::Worker
        })?
    }
}

#[async_trait]
impl Storage for Sqlite {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn snapshot(&self) -> Result<(Vec<Task>, u64), StoreError> {
        self.with(|s| s.store().snapshot()).await
    }

    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        self.with(move |s| s.store().get(id)).await
    }

    async fn current_seq(&self) -> Result<u64, StoreError> {
        self.with(|s| s.store().current_seq()).await
    }

    async fn oldest_seq(&self) -> Result<Option<u64>, StoreError> {
        self.with(|s| s.store().oldest_seq()).await
    }

    async fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.with(move |s| s.store().changes_after(after, limit)).await
    }

    async fn create(&self, actor: &str, name: &str, key: Option<&CreateKey>) -> Result<Created, StoreError> {
        let (actor, name, key) = (actor.to_owned(), name.to_owned(), key.cloned());
        self.with(move |s| {
            let created = s.store().create(&actor, &name, key.as_ref())?;
            if let Created::Made(change) = &created {
                s.publish(change);
            }
            Ok(created)
        })
        .await
    }

    async fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError> {
        let (actor, patch, if_match) = (actor.to_owned(), patch.clone(), if_match.cloned());
        self.with(move |s| {
            let mut store = s.store();
            let written = store.update(&actor, id, &patch, if_match.as_ref())?;
            if let Written::Changed(change) = &written {
                s.publish(change);
            }
            Ok(written)
        })
        .await
    }

    async fn delete(&self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError> {
        let (actor, if_match) = (actor.to_owned(), if_match.cloned());
        self.with(move |s| {
            let mut store = s.store();
            let written = store.delete(&actor, id, if_match.as_ref())?;
            if let Written::Changed(change) = &written {
                s.publish(change);
            }
            Ok(written)
        })
        .await
    }

    fn follow(&self) -> broadcast::Receiver<Arc<Change>> {
        self.shared.live.subscribe()
    }
}

/// The store itself, used by one caller at a time.
struct Store {
    conn: Connection,
    /// How many changes the log keeps; `None` keeps all.
    history: Option<u64>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tasks (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS create_keys (
    actor   TEXT NOT NULL,
    key     TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    name    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (actor, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS create_keys_by_age ON create_keys (at);
CREATE TABLE IF NOT EXISTS changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name    TEXT NOT NULL,
    done    INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    at      INTEGER NOT NULL
);
";

/// Columns added since the first schema, so that a hub's existing file
/// opens: (table, column, definition). A task from before versions is at
/// version 1, changed by nobody known.
const ADDED: [(&str, &str, &str); 4] = [
    ("tasks", "version", "INTEGER NOT NULL DEFAULT 1"),
    ("tasks", "updated_by", "TEXT NOT NULL DEFAULT ''"),
    ("tasks", "updated_at", "INTEGER NOT NULL DEFAULT 0"),
    ("changes", "version", "INTEGER NOT NULL DEFAULT 0"),
];

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA)?;
    for (table, column, definition) in ADDED {
        let has: bool = conn.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1)"),
            [column],
            |r| r.get(0),
        )?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"))?;
        }
    }
    Ok(())
}

/// A task with who changed it last and when.
struct Row {
    task: Task,
    actor: String,
    at: i64,
}

impl Row {
    fn stale(self) -> Stale {
        let known = !self.actor.is_empty();
        Stale { current: Some(self.task), actor: known.then_some(self.actor), at: known.then_some(self.at) }
    }
}

impl Store {
    pub fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        let conn = match path {
            Some(path) => {
                let conn = Connection::open(path)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn
            }
            None => Connection::open_in_memory()?,
        };
        migrate(&conn)?;
        Ok(Store { conn, history: None })
    }

    /// All tasks, and the sequence number of the last change they include.
    pub fn snapshot(&mut self) -> Result<(Vec<Task>, u64), StoreError> {
        let tx = self.conn.transaction()?;
        let tasks = {
            let mut stmt = tx.prepare_cached("SELECT id, name, done, version FROM tasks ORDER BY id")?;
            let rows = stmt.query_map([], task_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let seq = last_seq(&tx)?;
        tx.commit()?;
        Ok((tasks, seq))
    }

    pub fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        Ok(get_in(&self.conn, id)?.map(|row| row.task))
    }

    pub fn current_seq(&self) -> Result<u64, StoreError> {
        last_seq(&self.conn)
    }

    /// Keeps only the last `history` changes in the log from now on.
    pub fn with_history(mut self, history: Option<u64>) -> Self {
        self.history = history;
        self
    }

    /// The sequence number of the oldest change still in the log.
    pub fn oldest_seq(&self) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = self.conn.query_row("SELECT MIN(seq) FROM changes", [], |r| r.get(0))?;
        Ok(seq.map(i64::unsigned_abs))
    }

    /// Creates a task, unless `key` made one within [`KEY_HOLDS`]. The key
    /// is kept in the same transaction as the task and its change.
    pub fn create(&mut self, actor: &str, name: &str, key: Option<&CreateKey>) -> Result<Created, StoreError> {
        let tx = self.conn.transaction()?;
        let at = now_ms();
        if let Some(key) = key {
            let forget_before = at.saturating_sub(KEY_HOLDS.as_millis() as i64);
            tx.execute("DELETE FROM create_keys WHERE at < ?1", [forget_before])?;
            let before = tx
                .query_row(
                    "SELECT seq, task_id, name, at FROM create_keys WHERE actor = ?1 AND key = ?2",
                    params![actor, key.as_str()],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?)),
                )
                .optional()?;
            if let Some((seq, id, made, at)) = before {
                tx.commit()?;
                if made != name {
                    return Ok(Created::KeyReused);
                }
                let task = Task { id, name: made, done: false, version: 1 };
                let change =
                    Change { seq: seq.unsigned_abs(), kind: ChangeKind::Create, task, actor: actor.to_owned(), at };
                return Ok(Created::Again(change));
            }
        }
        tx.execute(
            "INSERT INTO tasks (name, done, version, updated_by, updated_at) VALUES (?1, 0, 1, ?2, ?3)",
            params![name, actor, at],
        )?;
        let task = Task { id: tx.last_insert_rowid(), name: name.to_owned(), done: false, version: 1 };
        let change = log(&tx, ChangeKind::Create, task, actor, at, self.history)?;
        if let Some(key) = key {
            tx.execute(
                "INSERT INTO create_keys (actor, key, seq, task_id, name, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![actor, key.as_str(), change.seq as i64, change.task.id, name, at],
            )?;
        }
        tx.commit()?;
        Ok(Created::Made(change))
    }

    /// Applies `patch`, when the task exists at a version `if_match` admits.
    pub fn update(
        &mut self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError> {
        let tx = self.conn.transaction()?;
        let mut task = match checked(&tx, id, if_match)? {
            Ok(row) => row.task,
            Err(refused) => return Ok(refused),
        };
        if let Some(name) = &patch.name {
            task.name = name.clone();
        }
        if let Some(done) = patch.done {
            task.done = done;
        }
        task.version += 1;
        let at = now_ms();
        tx.execute(
            "UPDATE tasks SET name = ?1, done = ?2, version = ?3, updated_by = ?4, updated_at = ?5 WHERE id = ?6",
            params![task.name, task.done, task.version as i64, actor, at, id],
        )?;
        let change = log(&tx, ChangeKind::Update, task, actor, at, self.history)?;
        tx.commit()?;
        Ok(Written::Changed(change))
    }

    /// Deletes a task, when it exists at a version `if_match` admits.
    pub fn delete(&mut self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError> {
        let tx = self.conn.transaction()?;
        let mut task = match checked(&tx, id, if_match)? {
            Ok(row) => row.task,
            Err(refused) => return Ok(refused),
        };
        tx.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
        task.version += 1;
        let change = log(&tx, ChangeKind::Delete, task, actor, now_ms(), self.history)?;
        tx.commit()?;
        Ok(Written::Changed(change))
    }

    /// Up to `limit` changes with a sequence number above `after`, oldest first.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, task_id, name, done, version, actor, at FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                Task { id: r.get(2)?, name: r.get(3)?, done: r.get(4)?, version: r.get::<_, i64>(5)? as u64 },
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, kind, task, actor, at) = row?;
            let kind =
                ChangeKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("a change of kind {kind:?}")))?;
            Ok(Change { seq, kind, task, actor, at })
        })
        .collect()
    }
}

fn last_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: Option<i64> = conn.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
    Ok(seq.unwrap_or(0) as u64)
}

/// A `Task` from a row of `SELECT id, name, done, version`.
fn task_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task { id: row.get(0)?, name: row.get(1)?, done: row.get(2)?, version: row.get::<_, i64>(3)? as u64 })
}

fn get_in(conn: &Connection, id: i64) -> Result<Option<Row>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, done, version, updated_by, updated_at FROM tasks WHERE id = ?1")?;
    let row = stmt.query_row([id], |r| Ok(Row { task: task_row(r)?, actor: r.get(4)?, at: r.get(5)? }));
    Ok(row.optional()?)
}

/// The task to write, or why the write is refused: there is none (a
/// conditional write is told who deleted it, when the log still knows), or
/// it is not at a version `if_match` admits.
fn checked(conn: &Connection, id: i64, if_match: Option<&IfMatch>) -> Result<Result<Row, Written>, StoreError> {
    match (get_in(conn, id)?, if_match) {
        (None, None) => Ok(Err(Written::Missing)),
        (None, Some(_)) => {
            let deleted = conn
                .query_row(
                    "SELECT actor, at FROM changes WHERE task_id = ?1 AND kind = 'delete' ORDER BY seq DESC LIMIT 1",
                    [id],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()?;
            let (actor, at) = deleted.unzip();
            Ok(Err(Written::Refused(Stale { current: None, actor, at })))
        }
        (Some(row), Some(m)) if !m.admits(row.task.version) => Ok(Err(Written::Refused(row.stale()))),
        (Some(row), _) => Ok(Ok(row)),
    }
}

/// Records a change, and forgets the oldest beyond `history`, in the caller's transaction.
fn log(
    conn: &Connection,
    kind: ChangeKind,
    task: Task,
    actor: &str,
    at: i64,
    history: Option<u64>,
) -> Result<Change, StoreError> {
    conn.execute(
        "INSERT INTO changes (kind, task_id, name, done, version, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![kind.as_str(), task.id, task.name, task.done, task.version as i64, actor, at],
    )?;
    let seq = conn.last_insert_rowid() as u64;
    if let Some(keep) = history {
        let forget_through = i64::try_from(seq.saturating_sub(keep)).unwrap_or(i64::MAX);
        conn.execute("DELETE FROM changes WHERE seq <= ?1", [forget_through])?;
    }
    Ok(Change { seq, kind, task, actor: actor.to_owned(), at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_sent_again_with_its_key_makes_nothing_new() {
        let mut s = Store::open(None).unwrap();
        let key = CreateKey::parse("k-1").unwrap();
        let Created::Made(first) = s.create("Ana", "Buy milk", Some(&key)).unwrap() else { panic!() };
        assert_eq!(s.create("Ana", "Buy milk", Some(&key)).unwrap(), Created::Again(first.clone()));
        assert_eq!(s.create("Ana", "Buy eggs", Some(&key)).unwrap(), Created::KeyReused);
        assert_eq!(s.current_seq().unwrap(), 1, "nothing more was logged");
        let Created::Made(bobs) = s.create("Bob", "Buy milk", Some(&key)).unwrap() else {
            panic!("keys are per actor")
        };
        assert_ne!(bobs.task.id, first.task.id);

        // A key older than KEY_HOLDS is forgotten.
        let long_ago = now_ms() - KEY_HOLDS.as_millis() as i64 - 1;
        s.conn.execute("UPDATE create_keys SET at = ?1 WHERE actor = 'Ana'", [long_ago]).unwrap();
        assert!(matches!(s.create("Ana", "Buy milk", Some(&key)).unwrap(), Created::Made(_)));
    }

    #[test]
    fn every_mutation_gets_the_next_sequence_number() {
        let mut s = Store::open(None).unwrap();
        let a = s.create("Ana", "Buy milk", None).unwrap().change().unwrap();
        let done = TaskPatch { done: Some(true), ..Default::default() };
        let Written::Changed(b) = s.update("Bob", a.task.id, &done, None).unwrap() else { panic!() };
        let Written::Changed(c) = s.delete("Ana", a.task.id, None).unwrap() else { panic!() };
        assert_eq!((a.seq, b.seq, c.seq), (1, 2, 3));
        assert_eq!((a.task.version, b.task.version, c.task.version), (1, 2, 3));
        assert!(b.task.done);
        assert_eq!(c.task.name, "Buy milk");
        let log = s.changes_after(1, 10).unwrap();
        assert_eq!(log, vec![b, c]);
        assert_eq!(s.snapshot().unwrap(), (vec![], 3));
    }

    #[test]
    fn missing_tasks_change_nothing() {
        let mut s = Store::open(None).unwrap();
        assert_eq!(s.update("Ana", 9, &TaskPatch::default(), None).unwrap(), Written::Missing);
        assert_eq!(s.delete("Ana", 9, None).unwrap(), Written::Missing);
        assert_eq!(s.current_seq().unwrap(), 0);
    }

    #[test]
    fn a_write_against_an_old_version_is_refused_with_what_is_there_now() {
        let mut s = Store::open(None).unwrap();
        let id = s.create("Ana", "Buy milk", None).unwrap().change().unwrap().task.id;
        let done = TaskPatch { done: Some(true), ..Default::default() };
        assert!(matches!(s.update("Bob", id, &done, Some(&IfMatch::Versions(vec![1]))).unwrap(), Written::Changed(_)));
        let Written::Refused(stale) = s.update("Ana", id, &done, Some(&IfMatch::Versions(vec![1]))).unwrap() else {
            panic!("a stale write went through")
        };
        assert_eq!(stale.current.as_ref().map(|t| (t.version, t.done)), Some((2, true)));
        assert_eq!(stale.actor.as_deref(), Some("Bob"));
        assert!(matches!(s.delete("Ana", id, Some(&IfMatch::Versions(vec![1]))).unwrap(), Written::Refused(_)));
        assert_eq!(s.current_seq().unwrap(), 2, "a refused write logs nothing");

        assert!(matches!(s.delete("Bob", id, Some(&IfMatch::Any)).unwrap(), Written::Changed(_)));
        let Written::Refused(gone) = s.update("Ana", id, &done, Some(&IfMatch::Versions(vec![3]))).unwrap() else {
            panic!("a write after a delete went through")
        };
        assert_eq!((gone.current, gone.actor.as_deref()), (None, Some("Bob")));
    }

    #[test]
    fn a_store_from_before_versions_opens_with_every_task_at_version_1() {
        let dir = std::env::temp_dir().join(format!("herald-hub-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tasks.db");
        let _ = std::fs::remove_file(&path);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute("INSERT INTO tasks (name, done) VALUES ('Old', 1)", []).unwrap();
        }
        let mut s = Store::open(Some(&path)).unwrap();
        let (tasks, _) = s.snapshot().unwrap();
        assert_eq!(tasks, vec![Task { id: 1, name: "Old".into(), done: true, version: 1 }]);
        let Written::Refused(stale) = s.delete("Ana", 1, Some(&IfMatch::Versions(vec![0]))).unwrap() else { panic!() };
        assert_eq!((stale.actor, stale.at), (None, None), "nobody is known to have changed it");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_store_keeps_its_data_across_opens() {
        let dir = std::env::temp_dir().join(format!("herald-hub-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tasks.db");
        let _ = std::fs::remove_file(&path);
        {
            let mut s = Store::open(Some(&path)).unwrap();
            s.create("Ana", "Water plants", None).unwrap();
        }
        let mut s = Store::open(Some(&path)).unwrap();
        let (tasks, seq) = s.snapshot().unwrap();
        assert_eq!(tasks[0].name, "Water plants");
        assert_eq!(seq, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
