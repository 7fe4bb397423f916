//! The durable replica of a feed's collection, and resync.
//!
//! Why it is kept: when continuity is broken (a server that cannot replay,
//! a cursor older than the server's history, Herald closed while the data
//! changed under the server), the only way to know what was missed is to
//! fetch the whole collection (the snapshot) and compare it with what Herald
//! last knew. So a record feed keeps its records here, by key, updated by
//! every live event (see [`super::Records`]), and a resync records each
//! difference exactly once, as a *missed* create, update or delete.
//!
//! The first resync of a feed is its baseline: it fills the replica and
//! reports nothing, since nothing was known to be missed.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use super::{FeedId, Store, StoreError};
use crate::feed::values::key_at;
use crate::feed::Change;
use crate::sse::EpochMs;

/// A feed's whole collection at one moment, by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub items: BTreeMap<String, Value>,
    /// The stream position the snapshot is current to, when the server says
    /// (the hub's `herald-sequence` header): the stream resumes from there.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("the snapshot is not JSON: {0}")]
    NotJson(String),
    #[error("the snapshot is not a JSON array of objects")]
    NotAnArray,
    #[error("item {index} of the snapshot has no key at {key} (a string or a number) to know it by")]
    NoKey { index: usize, key: String },
}

impl Snapshot {
    /// Reads a snapshot body: a JSON array of objects, each known by the
    /// key at the JSON pointer `key`.
    pub fn parse(body: &[u8], key: &str, cursor: Option<String>) -> Result<Snapshot, SnapshotError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
        let Value::Array(list) = value else { return Err(SnapshotError::NotAnArray) };
        let mut items = BTreeMap::new();
        for (index, item) in list.into_iter().enumerate() {
            if !item.is_object() {
                return Err(SnapshotError::NotAnArray);
            }
            let found = key_at(&item, key).ok_or_else(|| SnapshotError::NoKey { index, key: key.into() })?;
            items.insert(found, item);
        }
        Ok(Snapshot { items, cursor })
    }
}

pub use herald_wire::ChangeKind;

/// One difference a resync found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedChange {
    pub kind: ChangeKind,
    pub key: String,
    /// The record as Herald knew it; `None` for a create.
    pub before: Option<Value>,
    /// The record now; `None` for a delete.
    pub after: Option<Value>,
}

impl MissedChange {
    /// The record now, or as it was last known for a delete.
    pub fn value(&self) -> &Value {
        self.after.as_ref().or(self.before.as_ref()).unwrap_or(&Value::Null)
    }
}

/// What a resync did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resynced {
    pub missed: Vec<MissedChange>,
    /// What they mean, as the caller's `describe` told it: stored with them.
    pub changes: Vec<Change>,
    /// The feed had no replica yet: this snapshot is where it starts.
    pub baseline: bool,
}

/// The differences from `known` to `snapshot`; `unchanged(known, now)`
/// says whether what Herald knew of an item still holds.
fn diff(
    known: &BTreeMap<String, Value>,
    snapshot: &Snapshot,
    unchanged: &dyn Fn(&Value, &Value) -> bool,
) -> Vec<MissedChange> {
    let mut changes = Vec::new();
    for (key, value) in &snapshot.items {
        let kind = match known.get(key) {
            None => ChangeKind::Create,
            Some(old) if !unchanged(old, value) => ChangeKind::Update,
            Some(_) => continue,
        };
        let before = known.get(key).cloned();
        changes.push(MissedChange { kind, key: key.clone(), before, after: Some(value.clone()) });
    }
    for (key, old) in known {
        if !snapshot.items.contains_key(key) {
            changes.push(MissedChange {
                kind: ChangeKind::Delete,
                key: key.clone(),
                before: Some(old.clone()),
                after: None,
            });
        }
    }
    changes
}

/// Replicas written before keys were JSON pointers name a field: `id` is `/id`.
fn as_pointer(key: &str) -> String {
    if key.starts_with('/') {
        key.to_owned()
    } else {
        format!("/{key}")
    }
}

impl Store {
    /// Compares `snapshot` with the feed's replica and, in one transaction,
    /// records each difference once as a missed event, brings the replica
    /// up to date, and moves the cursor to the snapshot's, if it has one.
    /// `unchanged(known, now)` judges whether a known record still holds,
    /// and `describe` says what a missed change means, to be stored with it.
    pub fn resync(
        &mut self,
        feed: FeedId,
        key: &str,
        snapshot: &Snapshot,
        now: EpochMs,
        unchanged: &dyn Fn(&Value, &Value) -> bool,
        describe: &dyn Fn(&MissedChange) -> Option<Change>,
    ) -> Result<Resynced, StoreError> {
        let tx = self.conn.transaction()?;
        let kept_by: Option<String> =
            tx.query_row("SELECT key_field FROM replicas WHERE feed_id = ?1", [feed.0], |r| r.get(0)).optional()?;
        // A replica kept by another key cannot be compared: start again.
        let baseline = kept_by.map(|k| as_pointer(&k)) != Some(as_pointer(key));
        if baseline {
            tx.execute("DELETE FROM records WHERE feed_id = ?1", [feed.0])?;
        }
        let known = records_of(&tx, feed)?;
        let newest_before: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
        let mut described = Vec::new();
        let changes = diff(&known, snapshot, unchanged);
        let cursor: String = match &snapshot.cursor {
            Some(cursor) => cursor.clone(),
            None => super::cursor::cursor_of(&tx, feed)?.unwrap_or_default(),
        };
        for change in &changes {
            match &change.after {
                None => {
                    tx.execute("DELETE FROM records WHERE feed_id = ?1 AND key = ?2", params![feed.0, change.key])?
                }
                Some(after) => tx.execute(
                    "INSERT OR REPLACE INTO records (feed_id, key, value) VALUES (?1, ?2, ?3)",
                    params![feed.0, change.key, after.to_string()],
                )?,
            };
            if !baseline {
                tx.execute(
                    "INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at, missed)
                     VALUES (?1, NULL, ?2, ?3, ?4, ?5, 1)",
                    params![feed.0, cursor, change.kind.as_str(), change.value().to_string(), now],
                )?;
                if let Some(mut meaning) = describe(change) {
                    super::described::describe(&tx, feed, tx.last_insert_rowid(), &mut meaning)?;
                    described.push(meaning);
                }
            }
        }
        super::described::index_after(&tx, newest_before)?;
        tx.execute(
            "INSERT INTO replicas (feed_id, key_field, synced_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (feed_id) DO UPDATE SET key_field = excluded.key_field, synced_at = excluded.synced_at",
            params![feed.0, key, now],
        )?;
        if snapshot.cursor.is_some() {
            super::cursor::set_cursor(&tx, feed, &cursor)?;
        }
        tx.commit()?;
        Ok(Resynced { missed: if baseline { Vec::new() } else { changes }, changes: described, baseline })
    }

    /// The feed's records, by key: what Herald last knew of its collection.
    pub fn records(&self, feed: FeedId) -> Result<BTreeMap<String, Value>, StoreError> {
        Ok(records_of(&self.conn, feed)?)
    }
}

fn records_of(conn: &rusqlite::Connection, feed: FeedId) -> rusqlite::Result<BTreeMap<String, Value>> {
    let mut query = conn.prepare_cached("SELECT key, value FROM records WHERE feed_id = ?1")?;
    let rows = query.query_map([feed.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut records = BTreeMap::new();
    for row in rows {
        let (key, value) = row?;
        records.insert(key, serde_json::from_str(&value).unwrap_or(Value::Null));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::values::unchanged;
    use serde_json::json;

    fn snapshot(items: Value, cursor: Option<&str>) -> Snapshot {
        Snapshot::parse(items.to_string().as_bytes(), "/id", cursor.map(str::to_owned)).unwrap()
    }

    #[test]
    fn the_first_snapshot_is_a_baseline_and_later_ones_record_each_difference_once() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        let first =
            snapshot(json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]), Some("3"));
        let baseline = store.resync(feed, "/id", &first, 1, &unchanged, &|_| None).unwrap();
        assert!(baseline.baseline && baseline.missed.is_empty());
        assert_eq!(store.event_count().unwrap(), 0);
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("3"));

        let later =
            snapshot(json!([{"id": 1, "name": "a"}, {"id": 2, "name": "B"}, {"id": 4, "name": "d"}]), Some("7"));
        let resynced = store.resync(feed, "/id", &later, 2, &unchanged, &|_| None).unwrap();
        let kinds: Vec<(ChangeKind, &str)> = resynced.missed.iter().map(|c| (c.kind, c.key.as_str())).collect();
        assert_eq!(kinds, [(ChangeKind::Update, "2"), (ChangeKind::Create, "4"), (ChangeKind::Delete, "3")]);
        assert_eq!(resynced.missed[0].before, Some(json!({"id": 2, "name": "b"})));
        let history = store.history(Some(feed), None).unwrap();
        assert!(history.iter().all(|e| e.missed && e.event_id.is_none()));
        assert_eq!(history[2].data, r#"{"id":3,"name":"c"}"#, "a delete shows the item as it was");
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("7"));

        // The same snapshot again: nothing more was missed.
        assert!(store.resync(feed, "/id", &later, 3, &unchanged, &|_| None).unwrap().missed.is_empty());
        assert_eq!(store.records(feed).unwrap().len(), 3);
    }

    #[test]
    fn a_replica_kept_by_a_field_name_is_still_compared_by_its_pointer() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        // As the app's board memory kept it before keys were pointers.
        store.resync(feed, "id", &snapshot(json!([{"id": 1, "name": "a"}]), None), 1, &unchanged, &|_| None).unwrap();
        let later = store
            .resync(feed, "/id", &snapshot(json!([{"id": 1, "name": "b"}]), None), 2, &unchanged, &|_| None)
            .unwrap();
        assert!(!later.baseline);
        assert_eq!(later.missed.len(), 1);
    }

    #[test]
    fn bad_snapshots_are_refused_with_the_reason() {
        assert_eq!(Snapshot::parse(b"{}", "/id", None), Err(SnapshotError::NotAnArray));
        assert_eq!(Snapshot::parse(b"[1]", "/id", None), Err(SnapshotError::NotAnArray));
        assert!(matches!(Snapshot::parse(b"[", "/id", None), Err(SnapshotError::NotJson(_))));
        assert_eq!(
            Snapshot::parse(br#"[{"isbn": "x"}, {"title": "y"}]"#, "/isbn", None),
            Err(SnapshotError::NoKey { index: 1, key: "/isbn".into() })
        );
        let mixed = Snapshot::parse(br#"[{"id": 26}, {"id": "27"}]"#, "/id", None).unwrap();
        assert_eq!(mixed.items.keys().collect::<Vec<_>>(), ["26", "27"], "keys are normalised to text");
    }
}
