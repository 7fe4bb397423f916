//! The feeds' backup: a feeds file beside the store (`herald.feeds.toml`
//! beside `herald.db`), written whenever the feeds change.
//!
//! Why: the feeds are the one thing in the store that only the user can
//! make again. Everything else (history, records, cursors) comes back from
//! the servers. So when a store is damaged past reading, Herald starts a new
//! one from this file (see `recovery.rs`), and the user keeps every feed.
//!
//! It is a feeds file like any other, so `herald-cli feeds import` reads it
//! too. It holds no secrets: they live in the keyring, and a feed names its
//! entry. It is written to a temporary file and renamed over the old one,
//! so a full disk or a crash leaves the last good backup whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Store;
use crate::feed::{feeds_to_toml, parse_feeds, Feed};

const HEADER: &str = "\
# Herald's backup of its feeds, written whenever they change. Herald reads it
# only to start again after its store was damaged; `herald-cli feeds import`
# reads it as well. Changes made here are overwritten.

";

/// Where the backup of the store at `store` is: beside it, named after it.
pub fn backup_path(store: &Path) -> PathBuf {
    let stem = store.file_stem().unwrap_or_else(|| "herald".as_ref()).to_string_lossy();
    store.with_file_name(format!("{stem}.feeds.toml"))
}

/// Reads a backup: its feeds, or why it cannot be read.
pub fn read_backup(path: &Path) -> Result<Vec<Feed>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_feeds(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl Store {
    /// Writes the backup of the feeds as they are now. A backup that cannot
    /// be written costs the change nothing: the change is made, the last
    /// backup stays, and the log says why.
    pub(super) fn back_up_feeds(&self) {
        let Some(path) = &self.backup else { return };
        if let Err(e) = self.feeds().map_err(|e| e.to_string()).and_then(|feeds| write_backup(path, &feeds)) {
            tracing::warn!(backup = %path.display(), error = %e, "the feeds' backup was not written");
        }
    }
}

fn write_backup(path: &Path, feeds: &[Feed]) -> Result<(), String> {
    let temporary = path.with_extension("toml.new");
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(HEADER.as_bytes())?;
        file.write_all(feeds_to_toml(feeds).as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        e.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Preset;

    fn feed(name: &str) -> Feed {
        let mut feed = Feed::new(name, format!("https://tasks.example/{name}/events"));
        feed.settings.preset = Some(Preset::TaskList);
        feed
    }

    #[test]
    fn every_change_of_the_feeds_is_backed_up_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let backup = dir.path().join("herald.feeds.toml");
        let mut store = Store::open(&path).unwrap();
        assert!(!backup.exists(), "no feeds, nothing to keep");
        store.import_feeds(&[feed("tasks"), feed("tickets")]).unwrap();
        assert_eq!(read_backup(&backup).unwrap(), store.feeds().unwrap());
        store.remove_feed("tickets").unwrap();
        let kept = read_backup(&backup).unwrap();
        assert_eq!(kept.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["tasks"]);
        let id = store.feed_id("tasks").unwrap();
        let retention = crate::feed::Retention { max_count: Some(10), max_age: None };
        store.set_retention(id, retention).unwrap();
        assert_eq!(read_backup(&backup).unwrap()[0].retention, retention);
        assert!(std::fs::read_to_string(&backup).unwrap().starts_with("# Herald's backup"));
    }

    #[test]
    fn a_store_opened_without_a_backup_writes_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        Store::open(&path).unwrap().import_feeds(&[feed("tasks")]).unwrap();
        let backup = backup_path(&path);
        std::fs::remove_file(&backup).unwrap();
        Store::open(&path).unwrap();
        assert_eq!(read_backup(&backup).unwrap().len(), 1);
    }

    #[test]
    fn a_backup_that_cannot_be_written_keeps_the_last_and_costs_the_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let mut store = Store::open(&path).unwrap();
        store.import_feeds(&[feed("tasks")]).unwrap();
        // The temporary file's place is taken by a folder: writing it fails.
        std::fs::create_dir(backup_path(&path).with_extension("toml.new")).unwrap();
        store.import_feeds(&[feed("tickets")]).unwrap();
        assert_eq!(store.feeds().unwrap().len(), 2, "the change was made");
        assert_eq!(read_backup(&backup_path(&path)).unwrap().len(), 1, "the last backup stays whole");
    }
}
