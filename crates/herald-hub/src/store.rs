//! The hub's durable state: the tasks and the log of every change, in SQLite.
//!
//! Every mutation writes the task and its change record in one transaction,
//! so the change log and the task table can never disagree, and a sequence
//! number is never handed out for a change that did not happen.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::model::{Change, ChangeKind, Task, TaskPatch};

/// Where the hub keeps its data.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    File(PathBuf),
    /// Gone when the hub stops: for tests and the embedded demo.
    Memory,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the change log holds an unknown kind {0:?}")]
    Corrupt(String),
}

pub struct Store {
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

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Store {
    pub fn open(location: &StoreLocation) -> Result<Self, StoreError> {
        let conn = match location {
            StoreLocation::File(path) => {
                let conn = Connection::open(path)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn
            }
            StoreLocation::Memory => Connection::open_in_memory()?,
        };
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn, history: None })
    }

    /// All tasks, and the sequence number of the last change they include.
    pub fn snapshot(&mut self) -> Result<(Vec<Task>, u64), StoreError> {
        let tx = self.conn.transaction()?;
        let tasks = {
            let mut stmt = tx.prepare_cached("SELECT id, name, done FROM tasks ORDER BY id")?;
            let rows = stmt.query_map([], task_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let seq = last_seq(&tx)?;
        tx.commit()?;
        Ok((tasks, seq))
    }

    pub fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        get_in(&self.conn, id)
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

    pub fn create(&mut self, actor: &str, name: &str) -> Result<Change, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("INSERT INTO tasks (name, done) VALUES (?1, 0)", [name])?;
        let task = Task { id: tx.last_insert_rowid(), name: name.to_owned(), done: false };
        let change = log(&tx, ChangeKind::Create, task, actor, self.history)?;
        tx.commit()?;
        Ok(change)
    }

    /// Applies `patch`; `None` when there is no such task.
    pub fn update(&mut self, actor: &str, id: i64, patch: &TaskPatch) -> Result<Option<Change>, StoreError> {
        let tx = self.conn.transaction()?;
        let Some(mut task) = get_in(&tx, id)? else { return Ok(None) };
        if let Some(name) = &patch.name {
            task.name = name.clone();
        }
        if let Some(done) = patch.done {
            task.done = done;
        }
        tx.execute("UPDATE tasks SET name = ?1, done = ?2 WHERE id = ?3", params![task.name, task.done, id])?;
        let change = log(&tx, ChangeKind::Update, task, actor, self.history)?;
        tx.commit()?;
        Ok(Some(change))
    }

    /// Deletes a task; `None` when there is no such task.
    pub fn delete(&mut self, actor: &str, id: i64) -> Result<Option<Change>, StoreError> {
        let tx = self.conn.transaction()?;
        let Some(task) = get_in(&tx, id)? else { return Ok(None) };
        tx.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
        let change = log(&tx, ChangeKind::Delete, task, actor, self.history)?;
        tx.commit()?;
        Ok(Some(change))
    }

    /// Up to `limit` changes with a sequence number above `after`, oldest first.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, task_id, name, done, actor, at FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                Task { id: r.get(2)?, name: r.get(3)?, done: r.get(4)? },
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, kind, task, actor, at) = row?;
            let kind = ChangeKind::parse(&kind).ok_or(StoreError::Corrupt(kind))?;
            Ok(Change { seq, kind, task, actor, at })
        })
        .collect()
    }
}

fn last_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: Option<i64> = conn.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
    Ok(seq.unwrap_or(0) as u64)
}

/// A `Task` from a row of `SELECT id, name, done`.
fn task_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task { id: row.get(0)?, name: row.get(1)?, done: row.get(2)? })
}

fn get_in(conn: &Connection, id: i64) -> Result<Option<Task>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, name, done FROM tasks WHERE id = ?1")?;
    Ok(stmt.query_row([id], task_row).optional()?)
}

/// Records a change, and forgets the oldest beyond `history`, in the caller's transaction.
fn log(
    conn: &Connection,
    kind: ChangeKind,
    task: Task,
    actor: &str,
    history: Option<u64>,
) -> Result<Change, StoreError> {
    let at = now_ms();
    conn.execute(
        "INSERT INTO changes (kind, task_id, name, done, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kind.as_str(), task.id, task.name, task.done, actor, at],
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
    fn every_mutation_gets_the_next_sequence_number() {
        let mut s = Store::open(&StoreLocation::Memory).unwrap();
        let a = s.create("Ana", "Buy milk").unwrap();
        let b = s.update("Bob", a.task.id, &TaskPatch { done: Some(true), ..Default::default() }).unwrap().unwrap();
        let c = s.delete("Ana", a.task.id).unwrap().unwrap();
        assert_eq!((a.seq, b.seq, c.seq), (1, 2, 3));
        assert!(b.task.done);
        assert_eq!(c.task.name, "Buy milk");
        let log = s.changes_after(1, 10).unwrap();
        assert_eq!(log, vec![b, c]);
        assert_eq!(s.snapshot().unwrap(), (vec![], 3));
    }

    #[test]
    fn missing_tasks_change_nothing() {
        let mut s = Store::open(&StoreLocation::Memory).unwrap();
        assert!(s.update("Ana", 9, &TaskPatch::default()).unwrap().is_none());
        assert!(s.delete("Ana", 9).unwrap().is_none());
        assert_eq!(s.current_seq().unwrap(), 0);
    }

    #[test]
    fn a_file_store_keeps_its_data_across_opens() {
        let dir = std::env::temp_dir().join(format!("herald-hub-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tasks.db");
        let _ = std::fs::remove_file(&path);
        {
            let mut s = Store::open(&StoreLocation::File(path.clone())).unwrap();
            s.create("Ana", "Water plants").unwrap();
        }
        let mut s = Store::open(&StoreLocation::File(path.clone())).unwrap();
        let (tasks, seq) = s.snapshot().unwrap();
        assert_eq!(tasks[0].name, "Water plants");
        assert_eq!(seq, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
