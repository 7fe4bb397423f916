//! Herald's local store: feeds, the history of every event received, each
//! feed's cursor and its records, in one SQLite file (WAL) in the XDG data
//! directory. This module is SQL only: what a feed is lives in
//! [`crate::feed`], and what an event means is decided there too.
//!
//! Why one transaction per batch: a feed's cursor is committed together with
//! the events it covers, so after a crash Herald resumes exactly where its
//! durable history ends, never past an event it did not keep and never
//! before one it did (a replayed event is stored once).

mod actions;
mod activity;
mod backup;
mod cursor;
mod described;
mod feeds;
mod history;
mod recovery;
mod replica;
mod retention;
mod schema;
mod timeline;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

pub use actions::EntryRef;
pub use activity::Activity;
pub use backup::{backup_path, read_backup};
pub use history::{Ingested, Records, StoredEvent};
pub use recovery::{FeedsFrom, StoreRecovery};
pub use replica::{ChangeKind, MissedChange, Resynced, Snapshot, SnapshotError};
pub use timeline::{TimelineEntry, TimelinePage, TimelineQuery, MARK_END, MARK_START};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder {path} for the store: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("the store at {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    /// The file is not a database, or a damaged one: see
    /// [`Store::open_or_recover`].
    #[error("the store at {path} is damaged ({reason}): Herald moves it aside, and starts a new one, when it next follows its feeds")]
    Damaged { path: PathBuf, reason: String },
    #[error("the damaged store at {path} cannot be moved aside: {source}")]
    MoveAside { path: PathBuf, source: std::io::Error },
    #[error("the store at {path} cannot be upgraded: {reason}")]
    Migrate { path: PathBuf, reason: String },
    #[error("the store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("there is no feed named {0:?}")]
    NoSuchFeed(String),
    #[error("the settings of feed {feed:?} in the store do not read back: {reason}")]
    BadSettings { feed: String, reason: String },
}

impl StoreError {
    /// Whether it says the store is damaged, or not a database at all.
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Damaged { .. } => true,
            StoreError::Open { source, .. } | StoreError::Sqlite(source) => recovery::is_damage(source),
            _ => false,
        }
    }

    /// What was found damaged, or the error itself when it is no damage.
    fn into_damage(self) -> Result<String, StoreError> {
        match self {
            StoreError::Damaged { reason, .. } => Ok(reason),
            e if e.is_damage() => Ok(e.to_string()),
            e => Err(e),
        }
    }

    /// Whether it failed for want of room on the disk: SQLite's
    /// `SQLITE_FULL`, or its shared-memory file that could not grow.
    pub fn is_disk_full(&self) -> bool {
        let StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) = self else { return false };
        e.code == rusqlite::ErrorCode::DiskFull || e.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE
    }
}

/// A feed's id in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeedId(pub i64);

/// How long a statement waits for another process's write to finish.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `step` again while SQLite reports the database busy without having
/// waited: switching a new file to WAL needs an exclusive lock, and when two
/// connections both hold a read lock and want it, SQLite fails one at once
/// rather than let them deadlock. The busy timeout cannot help there.
fn retry_while_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

pub struct Store {
    conn: Connection,
    /// Where the feeds' backup is written (`backup.rs`); none in memory.
    backup: Option<PathBuf>,
    /// What opening it did about a damaged store, until taken.
    recovered: Option<StoreRecovery>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, upgrading an older
    /// schema. A file that is not a database is refused untouched
    /// ([`StoreError::Damaged`]), and so is damage that SQLite meets on its
    /// way; [`Store::open_or_recover`], which Herald follows its feeds with,
    /// reads every page first, and starts a new store in place of a damaged
    /// one.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source: rusqlite::Error| match recovery::is_damage(&source) {
            true => StoreError::Damaged { path: path.to_owned(), reason: source.to_string() },
            false => StoreError::Open { path: path.to_owned(), source },
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
        }
        let conn = Connection::open(path).map_err(open_error)?;
        // Before anything else, so that switching to WAL and migrating wait
        // for another process (a `history` beside a running `sync`) instead
        // of failing at once.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // WAL: readers never block the writer. NORMAL: a committed batch
        // survives a crash of Herald; only a power loss can take back the
        // last batches, and then the cursor goes back with them.
        retry_while_busy(|| conn.pragma_update(None, "journal_mode", "WAL")).map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_error)?;
        // Checkpoint every 10,000 pages (about 40 MB of WAL) instead of 1,000:
        // each checkpoint syncs, and at the default they cost a fifth of a
        // burst's ingest. The WAL file is cut back to 64 MiB afterwards.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000).map_err(open_error)?;
        conn.pragma_update(None, "journal_size_limit", 64 << 20).map_err(open_error)?;
        let mut store = Store::setup(conn, path)?;
        store.backup = Some(backup::backup_path(path));
        // A store from before the backup gets one. Feeds that do not read
        // are no reason to refuse the store: they say so when followed.
        if !store.backup.as_ref().is_some_and(|b| b.exists()) && store.feeds().is_ok_and(|f| !f.is_empty()) {
            store.back_up_feeds();
        }
        Ok(store)
    }

    /// A store that lives only as long as this value: for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::setup(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::migrate(&mut conn).map_err(|e| match &e {
            rusqlite_migration::Error::RusqliteError { err, .. } if recovery::is_damage(err) => {
                StoreError::Damaged { path: path.to_owned(), reason: err.to_string() }
            }
            _ => StoreError::Migrate { path: path.to_owned(), reason: e.to_string() },
        })?;
        Ok(Store { conn, backup: None, recovered: None })
    }

    /// Gives back what the write-ahead log holds once it is in the store:
    /// on a full disk, the log (up to 40 MB between checkpoints) may be
    /// most of what can be freed. A reader holding the log back makes it
    /// give back less, which is no error.
    pub fn make_room(&self) -> Result<(), StoreError> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The default location: `$XDG_DATA_HOME/herald/herald.db`.
    pub fn default_path() -> Option<PathBuf> {
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
        Some(data.join("herald").join("herald.db"))
    }

    /// The feed named `name`, added with `url` if there is none.
    pub fn feed_for(&self, name: &str, url: &str) -> Result<FeedId, StoreError> {
        let added = self
            .conn
            .execute("INSERT INTO feeds (name, url) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING", (name, url))?;
        if added > 0 {
            self.back_up_feeds();
        }
        self.feed_id(name)
    }

    pub fn feed_id(&self, name: &str) -> Result<FeedId, StoreError> {
        self.conn
            .query_row("SELECT id FROM feeds WHERE name = ?1", [name], |row| row.get(0))
            .optional()?
            .map(FeedId)
            .ok_or_else(|| StoreError::NoSuchFeed(name.to_owned()))
    }
}
