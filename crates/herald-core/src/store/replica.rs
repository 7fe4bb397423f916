//! The durable replica of a feed's collection, and resync.
//!
//! Why it is kept: when continuity is broken (a server that cannot replay,
//! a cursor older than the server's history, Herald closed while the data
//! changed under the server), the only way to know what was missed is to
//! fetch the whole collection (the snapshot) and compare it with what Herald
//! last knew. So each feed that names a snapshot keeps its items here, by
//! key, updated by every live event, and a resync records each difference
//! exactly once, as a *missed* create, update or delete in the history.
//!
//! The first resync of a feed is its baseline: it fills the replica and
//! reports nothing, since nothing was known to be missed.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::Value;

use super::{FeedId, Store, StoreError};
use crate::sse::{EpochMs, Event};

/// A feed's whole collection at one moment, by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub items: BTreeMap<String, Value>,
    /// The stream position the snapshot is current to, when the server says
    /// (the hub's `herald-sequence` header): the stream resumes from there.
    pub cursor: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("the snapshot is not JSON: {0}")]
    NotJson(String),
    #[error("the snapshot is not a JSON array of objects")]
    NotAnArray,
    #[error("item {index} of the snapshot has no {key_field:?} (a string or a number) to know it by")]
    NoKey { index: usize, key_field: String },
}

impl Snapshot {
    /// Reads a snapshot body: a JSON array of objects, each known by `key_field`.
    pub fn parse(body: &[u8], key_field: &str, cursor: Option<String>) -> Result<Snapshot, SnapshotError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
        let Value::Array(list) = value else { return Err(SnapshotError::NotAnArray) };
        let mut items = BTreeMap::new();
        for (index, item) in list.into_iter().enumerate() {
            if !item.is_object() {
                return Err(SnapshotError::NotAnArray);
            }
            let key =
                key_of(&item, key_field).ok_or_else(|| SnapshotError::NoKey { index, key_field: key_field.into() })?;
            items.insert(key, item);
        }
        Ok(Snapshot { items, cursor })
    }
}

/// An item's key: its `key_field`, if that is a string or a number.
pub fn key_of(item: &Value, key_field: &str) -> Option<String> {
    item.get(key_field).and_then(scalar_key)
}

fn scalar_key(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

impl ChangeKind {
    /// The event type it is stored under, as the reference model names them.
    pub fn event_type(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }
}

/// One difference a resync found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedChange {
    pub kind: ChangeKind,
    pub key: String,
    /// The item now; for a delete, as it was last known.
    pub value: Value,
}

/// What a resync did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resynced {
    pub missed: Vec<MissedChange>,
    /// The feed had no replica yet: this snapshot is where it starts.
    pub baseline: bool,
}

/// Whether what Herald knew of an item still holds: every field of the
/// snapshot's item has the same value. Fields only Herald knew are ignored,
/// since a live event may carry more than the REST item (an actor, a time).
fn still_holds(known: &str, now: &Value) -> bool {
    let Ok(known) = serde_json::from_str::<Value>(known) else { return false };
    match (known.as_object(), now.as_object()) {
        (Some(known), Some(now)) => now.iter().all(|(field, value)| known.get(field) == Some(value)),
        _ => &known == now,
    }
}

/// The differences from `known` (key to JSON text) to `snapshot`.
fn diff(known: &BTreeMap<String, String>, snapshot: &Snapshot) -> Vec<MissedChange> {
    let mut changes = Vec::new();
    for (key, value) in &snapshot.items {
        let kind = match known.get(key) {
            None => ChangeKind::Create,
            Some(old) if !still_holds(old, value) => ChangeKind::Update,
            Some(_) => continue,
        };
        changes.push(MissedChange { kind, key: key.clone(), value: value.clone() });
    }
    for (key, old) in known {
        if !snapshot.items.contains_key(key) {
            let value = serde_json::from_str(old).unwrap_or(Value::Null);
            changes.push(MissedChange { kind: ChangeKind::Delete, key: key.clone(), value });
        }
    }
    changes
}

impl Store {
    /// Compares `snapshot` with the feed's replica and, in one transaction,
    /// records each difference once as a missed event, brings the replica
    /// up to date, and moves the cursor to the snapshot's, if it has one.
    pub fn resync(
        &mut self,
        feed: FeedId,
        key_field: &str,
        snapshot: &Snapshot,
        now: EpochMs,
    ) -> Result<Resynced, StoreError> {
        let tx = self.conn.transaction()?;
        let kept_by: Option<String> =
            tx.query_row("SELECT key_field FROM replicas WHERE feed_id = ?1", [feed.0], |r| r.get(0)).optional()?;
        // A replica kept by another key cannot be compared: start again.
        let baseline = kept_by.as_deref() != Some(key_field);
        if baseline {
            tx.execute("DELETE FROM records WHERE feed_id = ?1", [feed.0])?;
        }
        let known: BTreeMap<String, String> = {
            let mut query = tx.prepare_cached("SELECT key, value FROM records WHERE feed_id = ?1")?;
            let rows = query.query_map([feed.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let changes = diff(&known, snapshot);
        let cursor: String = match &snapshot.cursor {
            Some(cursor) => cursor.clone(),
            None => super::history::cursor_of(&tx, feed)?.unwrap_or_default(),
        };
        for change in &changes {
            if change.kind == ChangeKind::Delete {
                tx.execute("DELETE FROM records WHERE feed_id = ?1 AND key = ?2", params![feed.0, change.key])?;
            } else {
                tx.execute(
                    "INSERT OR REPLACE INTO records (feed_id, key, value) VALUES (?1, ?2, ?3)",
                    params![feed.0, change.key, change.value.to_string()],
                )?;
            }
            if !baseline {
                tx.execute(
                    "INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at, missed)
                     VALUES (?1, NULL, ?2, ?3, ?4, ?5, 1)",
                    params![feed.0, cursor, change.kind.event_type(), change.value.to_string(), now],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO replicas (feed_id, key_field, synced_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (feed_id) DO UPDATE SET key_field = excluded.key_field, synced_at = excluded.synced_at",
            params![feed.0, key_field, now],
        )?;
        if snapshot.cursor.is_some() {
            super::history::set_cursor(&tx, feed, &cursor)?;
        }
        tx.commit()?;
        Ok(Resynced { missed: if baseline { Vec::new() } else { changes }, baseline })
    }

    /// Whether the feed has a replica yet (a first snapshot was taken).
    pub fn has_replica(&self, feed: FeedId) -> Result<bool, StoreError> {
        let found =
            self.conn.query_row("SELECT 1 FROM replicas WHERE feed_id = ?1", [feed.0], |_| Ok(())).optional()?;
        Ok(found.is_some())
    }

    /// The feed's replica, by key: what Herald last knew of its collection.
    pub fn records(&self, feed: FeedId) -> Result<BTreeMap<String, Value>, StoreError> {
        let mut query = self.conn.prepare_cached("SELECT key, value FROM records WHERE feed_id = ?1")?;
        let rows = query.query_map([feed.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut records = BTreeMap::new();
        for row in rows {
            let (key, value) = row?;
            records.insert(key, serde_json::from_str(&value).unwrap_or(Value::Null));
        }
        Ok(records)
    }
}

/// Keeps the feed's replica current with live events, inside the ingest's
/// transaction; a feed with no replica costs one indexed lookup per batch.
///
/// An event whose data is an object with the key field puts that item; a
/// `delete` event removes the item its data names (the key itself, or an
/// object holding it). Anything else leaves the replica alone.
pub(super) fn apply_live(tx: &Transaction<'_>, feed: FeedId, events: &[Event]) -> rusqlite::Result<()> {
    let key_field: Option<String> = tx
        .prepare_cached("SELECT key_field FROM replicas WHERE feed_id = ?1")?
        .query_row([feed.0], |r| r.get(0))
        .optional()?;
    let Some(key_field) = key_field else { return Ok(()) };
    let mut put = tx.prepare_cached("INSERT OR REPLACE INTO records (feed_id, key, value) VALUES (?1, ?2, ?3)")?;
    let mut remove = tx.prepare_cached("DELETE FROM records WHERE feed_id = ?1 AND key = ?2")?;
    for event in events {
        let Ok(value) = serde_json::from_str::<Value>(&event.data) else { continue };
        if &*event.event == "delete" {
            if let Some(key) = scalar_key(&value).or_else(|| key_of(&value, &key_field)) {
                remove.execute(params![feed.0, key])?;
            }
        } else if let Some(key) = value.is_object().then(|| key_of(&value, &key_field)).flatten() {
            put.execute(params![feed.0, key, value.to_string()])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(items: Value, cursor: Option<&str>) -> Snapshot {
        Snapshot::parse(items.to_string().as_bytes(), "id", cursor.map(str::to_owned)).unwrap()
    }

    fn event(kind: &str, data: Value, id: &str) -> Event {
        Event { event: kind.into(), data: data.to_string().into(), last_event_id: id.into() }
    }

    #[test]
    fn the_first_snapshot_is_a_baseline_and_later_ones_record_each_difference_once() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        let first =
            snapshot(json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]), Some("3"));
        let baseline = store.resync(feed, "id", &first, 1).unwrap();
        assert!(baseline.baseline && baseline.missed.is_empty());
        assert_eq!(store.event_count().unwrap(), 0);
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("3"));

        let later =
            snapshot(json!([{"id": 1, "name": "a"}, {"id": 2, "name": "B"}, {"id": 4, "name": "d"}]), Some("7"));
        let resynced = store.resync(feed, "id", &later, 2).unwrap();
        let kinds: Vec<(ChangeKind, &str)> = resynced.missed.iter().map(|c| (c.kind, c.key.as_str())).collect();
        assert_eq!(kinds, [(ChangeKind::Update, "2"), (ChangeKind::Create, "4"), (ChangeKind::Delete, "3")]);
        let history = store.history(Some(feed), None).unwrap();
        assert!(history.iter().all(|e| e.missed && e.event_id.is_none()));
        assert_eq!(history[2].data, r#"{"id":3,"name":"c"}"#, "a delete shows the item as it was");
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("7"));

        // The same snapshot again: nothing more was missed.
        assert!(store.resync(feed, "id", &later, 3).unwrap().missed.is_empty());
        assert_eq!(store.records(feed).unwrap().len(), 3);
    }

    #[test]
    fn live_events_keep_the_replica_current_so_they_are_not_reported_again() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        store.resync(feed, "id", &snapshot(json!([{"id": 1, "name": "a"}]), None), 1).unwrap();
        let live = [
            // Live events may say more than the REST item: an actor, say.
            event("create", json!({"id": 2, "name": "b", "actor": "Ana"}), "2"),
            event("update", json!({"id": 1, "name": "A"}), "3"),
            event("delete", json!(2), "4"),
            event("note", json!("not an item"), "5"),
        ];
        store.ingest(feed, &live, 2).unwrap();
        assert_eq!(store.records(feed).unwrap(), BTreeMap::from([("1".into(), json!({"id": 1, "name": "A"}))]));
        let unchanged = snapshot(json!([{"id": 1, "name": "A"}]), None);
        assert!(store.resync(feed, "id", &unchanged, 3).unwrap().missed.is_empty());
        store.ingest(feed, &[event("create", json!({"id": 3, "name": "c", "actor": "Ana"}), "7")], 4).unwrap();
        let same = snapshot(json!([{"id": 1, "name": "A"}, {"id": 3, "name": "c"}]), None);
        assert!(store.resync(feed, "id", &same, 3).unwrap().missed.is_empty(), "the actor is not a change");
        // A delete may also carry the whole item.
        store
            .ingest(feed, &[event("delete", json!({"id": 1}), "8"), event("delete", json!({"id": 3}), "9")], 4)
            .unwrap();
        assert!(store.records(feed).unwrap().is_empty());
    }

    #[test]
    fn bad_snapshots_are_refused_with_the_reason() {
        assert_eq!(Snapshot::parse(b"{}", "id", None), Err(SnapshotError::NotAnArray));
        assert_eq!(Snapshot::parse(b"[1]", "id", None), Err(SnapshotError::NotAnArray));
        assert!(matches!(Snapshot::parse(b"[", "id", None), Err(SnapshotError::NotJson(_))));
        assert_eq!(
            Snapshot::parse(br#"[{"isbn": "x"}, {"title": "y"}]"#, "isbn", None),
            Err(SnapshotError::NoKey { index: 1, key_field: "isbn".into() })
        );
    }
}
