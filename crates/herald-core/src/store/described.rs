//! What each stored event meant, written beside it in the ingest's
//! transaction, and the search index over it.
//!
//! The index (FTS5, external content) holds an event's title, sentence and
//! data. It is written once per event, after its meaning, and the store's
//! trigger takes an event out of it when the event goes: never updated in
//! place, so the index always holds what the row holds.

use rusqlite::Transaction;

use crate::feed::{Change, Level};

/// Writes what the event in `row` meant. The record itself is left out: the
/// replica has it, and it can be large. A change the feed's rules ignore is
/// stored read: it is never news.
pub(super) fn describe(tx: &Transaction<'_>, row: i64, change: &Change) -> rusqlite::Result<()> {
    let stored = Change { record: None, ..change.clone() };
    let json = serde_json::to_string(&stored).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "UPDATE events SET title = ?2, summary = ?3, actor = ?4, action = ?5, change = ?6, record_key = ?7,
                read = read OR ?8 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        row,
        change.title,
        change.summary,
        change.actor,
        change.action.as_str(),
        json,
        change.key,
        change.level == Level::Ignore
    ])
    .map(drop)
}

/// What the `action` of an event that means nothing is.
pub(super) const MEANINGLESS: &str = "none";

/// Marks the event in `row` as meaning nothing: out of the timeline, and read.
pub(super) fn meaningless(tx: &Transaction<'_>, row: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE events SET action = ?2, read = 1 WHERE id = ?1")?
        .execute(rusqlite::params![row, MEANINGLESS])
        .map(drop)
}

/// Adds every event after row `after` to the search index, with its
/// meaning; an event that means nothing stays out of it.
pub(super) fn index_after(tx: &Transaction<'_>, after: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events_search (rowid, title, summary, data)
         SELECT id, title, summary, data FROM events WHERE id > ?1 AND action IS NOT ?2",
    )?
    .execute(rusqlite::params![after, MEANINGLESS])
    .map(drop)
}
