//! What came of a message's buttons, kept beside the message: the
//! timeline shows each entry with its results, and they go with it.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use super::timeline::TimelineEntry;
use super::{Store, StoreError};
use crate::feed::ActionResult;

/// A timeline entry, by its row or by its feed and event id (as a
/// notification knows it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum EntryRef {
    Row(i64),
    Event { feed: String, event_id: String },
}

impl Store {
    /// The row an entry is, if it is stored.
    pub fn row_of(&self, entry: &EntryRef) -> Result<Option<i64>, StoreError> {
        match entry {
            EntryRef::Row(row) => Ok(Some(*row)),
            EntryRef::Event { feed, event_id } => Ok(self
                .conn
                .prepare_cached(
                    "SELECT events.id FROM events JOIN feeds ON feeds.id = events.feed_id
                     WHERE feeds.name = ?1 AND events.event_id = ?2",
                )?
                .query_row(params![feed, event_id], |r| r.get(0))
                .optional()?),
        }
    }

    /// The timeline entry `entry` names, with its buttons' results.
    pub fn entry(&self, entry: &EntryRef) -> Result<Option<TimelineEntry>, StoreError> {
        match self.row_of(entry)? {
            Some(row) => self.timeline_entry(row),
            None => Ok(None),
        }
    }

    /// Keeps what came of one of the buttons of the message in `row`.
    pub fn keep_action_result(&self, row: i64, result: &ActionResult) -> Result<(), StoreError> {
        let json = serde_json::to_string(result).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.conn
            .prepare_cached("INSERT INTO action_results (event, result) VALUES (?1, ?2)")?
            .execute(params![row, json])?;
        Ok(())
    }

    /// Fills in the results of `entries`' buttons.
    pub(super) fn with_results(&self, entries: &mut [TimelineEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
        let sql = format!("SELECT event, result FROM action_results WHERE event IN ({}) ORDER BY id", rows.join(","));
        let mut statement = self.conn.prepare(&sql)?;
        let mut results: HashMap<i64, Vec<ActionResult>> = HashMap::new();
        let found = statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for found in found {
            let (row, json) = found?;
            if let Ok(result) = serde_json::from_str(&json) {
                results.entry(row).or_default().push(result);
            }
        }
        for entry in entries {
            entry.results = results.remove(&entry.id).unwrap_or_default();
        }
        Ok(())
    }
}
