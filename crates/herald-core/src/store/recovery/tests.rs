//! Stores damaged as disks, copies and people damage them, each opened.

use std::path::Path;

use super::*;
use crate::feed::Preset;

/// A store with two feeds and about 4 MB of history, closed cleanly.
fn store_with_history(path: &Path) {
    let mut store = Store::open(path).unwrap();
    let mut tasks = Feed::new("tasks", "https://tasks.example/events");
    tasks.settings.preset = Some(Preset::TaskList);
    store.import_feeds(&[tasks, Feed::new("alerts", "https://ntfy.example/alerts/sse")]).unwrap();
    let id = store.feed_id("tasks").unwrap();
    let tx = store.conn.transaction().unwrap();
    for n in 0..4_000 {
        tx.execute(
            "INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at) VALUES (?1, ?2, ?2, 'update', ?3, 1)",
            rusqlite::params![id.0, n.to_string(), format!("{{\"id\":{n},\"name\":\"{}\"}}", "x".repeat(900))],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Opens the damaged store at `path` (whose bytes were `damaged`), and
/// checks what every recovery must do: the file moved aside as it was, a
/// new store that is sound, and what it says.
fn recover(path: &Path, damaged: &[u8]) -> (Store, StoreRecovery) {
    let mut store = Store::open_or_recover(path).unwrap();
    let recovery = store.take_recovery().expect("the store was recovered");
    assert!(store.take_recovery().is_none(), "told once");
    let moved = Path::new(&recovery.moved_to);
    assert_eq!(moved.parent(), path.parent());
    let name = moved.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("herald.damaged-20") && name.ends_with(".db"), "dated: {name}");
    assert_eq!(bytes(moved), damaged, "the damaged file is kept as it was");
    let checked: String = store.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(checked, "ok");
    assert_eq!(store.history(None, None).unwrap().len(), 0, "the new store starts from the servers");
    (store, recovery)
}

fn names(store: &Store) -> Vec<String> {
    store.feeds().unwrap().into_iter().map(|f| f.name).collect()
}

#[test]
fn a_file_that_is_not_sqlite_is_moved_aside_and_the_feeds_come_from_their_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    let text = "This is a shopping list, not a database.\n".repeat(200);
    std::fs::write(&path, &text).unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Damaged { .. })), "opening alone refuses it");
    assert_eq!(bytes(&path), text.as_bytes(), "and leaves it untouched");
    let (store, recovery) = recover(&path, text.as_bytes());
    assert_eq!(recovery.feeds_from, FeedsFrom::Backup);
    assert_eq!(recovery.feeds, 2);
    assert!(recovery.reason.contains("not a database"), "{}", recovery.reason);
    assert_eq!(names(&store), ["alerts", "tasks"]);
    assert_eq!(store.feed("tasks").unwrap().settings.preset, Some(Preset::TaskList));
    let line = recovery.to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(
        line.contains("moved aside to") && line.contains("keeping its 2 feeds (restored from their backup)"),
        "{line}"
    );
}

#[test]
fn garbage_in_the_middle_is_found_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    let mut damaged = bytes(&path);
    let middle = damaged.len() / 2 / 4096 * 4096;
    let mut noise = fastrand::Rng::with_seed(7);
    for byte in &mut damaged[middle..middle + 3 * 4096] {
        *byte = noise.u8(..);
    }
    std::fs::write(&path, &damaged).unwrap();
    let (store, recovery) = recover(&path, &damaged);
    assert_eq!(recovery.feeds_from, FeedsFrom::DamagedStore, "the feeds' pages are whole");
    assert_eq!(names(&store), ["alerts", "tasks"]);
}

#[test]
fn a_truncated_store_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    let mut damaged = bytes(&path);
    damaged.truncate(damaged.len() / 3);
    std::fs::write(&path, &damaged).unwrap();
    let (store, recovery) = recover(&path, &damaged);
    assert_eq!(names(&store), ["alerts", "tasks"]);
    assert_ne!(recovery.feeds_from, FeedsFrom::Nowhere);
}

#[test]
fn a_store_cut_to_nothing_gets_its_feeds_back_from_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    std::fs::write(&path, b"").unwrap();
    let mut store = Store::open_or_recover(&path).unwrap();
    let recovery = store.take_recovery().expect("an empty file where there were feeds is damage");
    assert_eq!(recovery.feeds_from, FeedsFrom::Backup);
    assert_eq!(names(&store), ["alerts", "tasks"]);
}

#[test]
fn with_neither_the_feeds_nor_their_backup_readable_it_starts_empty_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    std::fs::write(backup_path(&path), "[[feed]\nname = ").unwrap();
    let garbage: Vec<u8> = (0..64 * 1024).map(|n| (n * 31 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let (store, recovery) = recover(&path, &garbage);
    assert_eq!(recovery.feeds_from, FeedsFrom::Nowhere);
    assert!(names(&store).is_empty());
    assert!(recovery.to_string().contains("with no feeds"), "{recovery}");
    assert_eq!(std::fs::read_to_string(backup_path(&path)).unwrap(), "[[feed]\nname = ", "the bad backup is kept");
}

#[test]
fn a_sound_store_and_one_from_a_newer_herald_are_never_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    store_with_history(&path);
    let mut store = Store::open_or_recover(&path).unwrap();
    assert!(store.take_recovery().is_none());
    assert_eq!(store.history(None, None).unwrap().len(), 4_000);
    drop(store);
    let newer = dir.path().join("newer.db");
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(Store::open_or_recover(&newer), Err(StoreError::Migrate { .. })));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "herald.db, its backup, newer.db: nothing moved");
}

#[test]
fn two_recoveries_in_one_second_get_two_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let first = b"not a store, once".repeat(100);
    let second = b"not a store, twice".repeat(100);
    std::fs::write(&path, &first).unwrap();
    let one = Store::open_or_recover(&path).unwrap().take_recovery().unwrap();
    std::fs::write(&path, &second).unwrap();
    let two = Store::open_or_recover(&path).unwrap().take_recovery().unwrap();
    assert_ne!(one.moved_to, two.moved_to);
    assert_eq!(bytes(Path::new(&one.moved_to)), first);
    assert_eq!(bytes(Path::new(&two.moved_to)), second);
}
