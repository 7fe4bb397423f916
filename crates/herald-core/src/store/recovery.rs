//! A damaged store: found on opening, moved aside, never used, never deleted.
//!
//! Why here: Herald runs for weeks, and a store can be damaged under it: a
//! disk that failed, a sync tool that copied half a file, a file that is not
//! SQLite at all. Starting on a store it cannot trust would lose events
//! silently, and deleting it would lose the user's history for good. So the
//! damaged file is moved aside under a dated name, for the user (or SQLite's
//! `.recover`) to have, and Herald starts a new store. What only the user
//! can make again, the feeds, is read from the damaged file if it still
//! reads, or else from the backup written on every change of the feeds
//! (`backup.rs`). Everything else comes back from the servers: each feed
//! starts as a new one does, from its server's snapshot or its stream.

use std::path::{Path, PathBuf};

use rusqlite::{ErrorCode, OpenFlags};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::backup::{backup_path, read_backup};
use super::{Store, StoreError};
use crate::feed::Feed;

/// What Herald did about a damaged store: told once, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StoreRecovery {
    /// What was wrong with it, as SQLite or Herald found it.
    pub reason: String,
    /// Where the damaged file is now.
    pub moved_to: String,
    /// The feeds the new store has.
    pub feeds: u32,
    pub feeds_from: FeedsFrom,
}

/// Where a new store's feeds came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum FeedsFrom {
    /// The damaged store still read back its feeds.
    DamagedStore,
    /// The backup written on every change of the feeds.
    Backup,
    /// Neither could be read: the new store has no feeds.
    Nowhere,
}

impl std::fmt::Display for StoreRecovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let feeds = match (self.feeds, self.feeds_from) {
            (_, FeedsFrom::Nowhere) => "with no feeds, since neither it nor their backup could be read".to_owned(),
            (1, from) => format!("keeping its one feed ({})", from.place()),
            (n, from) => format!("keeping its {n} feeds ({})", from.place()),
        };
        write!(
            f,
            "Herald's store was damaged ({}): it was moved aside to {}, and Herald started a new one from the servers, {feeds}.",
            self.reason, self.moved_to
        )
    }
}

impl FeedsFrom {
    fn place(self) -> &'static str {
        match self {
            FeedsFrom::DamagedStore => "read from the damaged store",
            FeedsFrom::Backup => "restored from their backup",
            FeedsFrom::Nowhere => "none",
        }
    }
}

/// Whether SQLite found that a file is not a database, or a damaged one.
pub(super) fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt))
}

impl Store {
    /// Opens the store at `path` as [`Store::open`] does, but a damaged one
    /// is moved aside and a new one started in its place, with the feeds
    /// kept (see the module's documentation). [`Store::take_recovery`] then
    /// says what was done. Any other failure (a store from a newer Herald,
    /// a folder that cannot be written) is returned, and nothing is moved.
    pub fn open_or_recover(path: &Path) -> Result<Store, StoreError> {
        let opened = Store::open(path).and_then(Store::checked).and_then(|store| Ok((store.lost_its_feeds()?, store)));
        let reason = match opened {
            Ok((false, store)) => return Ok(store),
            Ok((true, _)) => "the file is empty, but its feeds' backup has feeds".to_owned(),
            Err(e) => e.into_damage()?,
        };
        let moved_to = move_aside(path)?;
        let (feeds, feeds_from) = match salvage_feeds(&moved_to) {
            Ok(feeds) if !feeds.is_empty() => (feeds, FeedsFrom::DamagedStore),
            salvaged => {
                if let Err(e) = salvaged {
                    tracing::warn!(store = %moved_to.display(), error = %e, "the damaged store's feeds do not read");
                }
                match read_backup(&backup_path(path)) {
                    Ok(feeds) => (feeds, FeedsFrom::Backup),
                    Err(e) => {
                        tracing::warn!(error = %e, "the feeds' backup does not read");
                        (Vec::new(), FeedsFrom::Nowhere)
                    }
                }
            }
        };
        let mut store = Store::open(path)?;
        if !feeds.is_empty() {
            store.import_feeds(&feeds)?;
        }
        let recovery = StoreRecovery {
            reason,
            moved_to: moved_to.display().to_string(),
            feeds: u32::try_from(feeds.len()).unwrap_or(u32::MAX),
            feeds_from,
        };
        tracing::error!("{recovery}");
        store.recovered = Some(recovery);
        Ok(store)
    }

    /// The store, once SQLite's quick check has read every page of it
    /// (BENCHMARKS.md, "What checking the store costs at start"), or
    /// [`StoreError::Damaged`] with its first finding.
    fn checked(self) -> Result<Store, StoreError> {
        let found: String = self.conn.query_row("PRAGMA quick_check(1)", [], |row| row.get(0))?;
        match found.as_str() {
            "ok" => Ok(self),
            _ => Err(StoreError::Damaged { path: PathBuf::from(self.conn.path().unwrap_or_default()), reason: found }),
        }
    }

    /// What [`Store::open_or_recover`] did about a damaged store, once.
    pub fn take_recovery(&mut self) -> Option<StoreRecovery> {
        self.recovered.take()
    }

    /// Whether this store is empty where its backup says it had feeds: the
    /// file was cut to nothing (SQLite reads an empty file as a new store).
    fn lost_its_feeds(&self) -> Result<bool, StoreError> {
        let Some(backup) = self.backup.as_deref().filter(|b| b.exists()) else { return Ok(false) };
        if !self.feeds()?.is_empty() {
            return Ok(false);
        }
        Ok(read_backup(backup).is_ok_and(|feeds| !feeds.is_empty()))
    }
}

/// Moves the store and its WAL and shared-memory files to a dated name
/// beside it (`herald.damaged-2026-12-08-023105.db`), and returns where.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stem = path.file_stem().unwrap_or_else(|| "herald".as_ref()).to_string_lossy().into_owned();
    let extension = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let stamp =
        jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d-%H%M%S").to_string();
    let mut moved = path.with_file_name(format!("{stem}.damaged-{stamp}{extension}"));
    let mut n = 1;
    while moved.exists() {
        n += 1;
        moved = path.with_file_name(format!("{stem}.damaged-{stamp}-{n}{extension}"));
    }
    let failed = |source| StoreError::MoveAside { path: path.to_owned(), source };
    // The WAL first: a store moved without it would be read without it.
    for suffix in ["-wal", "-shm"] {
        let (from, to) = (with_suffix(path, suffix), with_suffix(&moved, suffix));
        if from.exists() {
            std::fs::rename(&from, &to).map_err(failed)?;
        }
    }
    std::fs::rename(path, &moved).map_err(failed)?;
    Ok(moved)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The feeds of a damaged store, read without writing to it.
fn salvage_feeds(path: &Path) -> Result<Vec<Feed>, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let store = Store { conn, backup: None, recovered: None };
    store.feeds()
}

#[cfg(test)]
mod tests;
