//! What a board remembers between runs: the task list as it last knew it,
//! kept in the store as the replica of its feed (see [`crate::store`]).
//!
//! Why: when Herald starts, the task list may have changed while it was
//! closed. With a memory, the board compares the fresh snapshot with what it
//! last knew and announces each difference once, as missed, in one digest.
//! Without one, a fresh start can only show the list as it is.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::model::Task;
use crate::sse::{now_ms, EpochMs, Event};
use crate::store::{FeedId, Retention, Snapshot, Store, StoreError};

/// The key of a task in the replica.
const KEY_FIELD: &str = "id";

/// How long a newly seen server's history is kept, unless the user sets
/// otherwise (`herald-cli feeds`): the app runs for months, and its store
/// must not grow without end.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(90 * 24 * 3600);

/// Retention is applied on start and after every this many events.
const PRUNE_EVERY: u32 = 1000;

#[derive(Clone)]
pub struct BoardMemory {
    inner: Arc<Mutex<Inner>>,
    feed: FeedId,
}

struct Inner {
    store: Store,
    /// Events remembered since retention was last applied.
    since_pruned: u32,
}

impl BoardMemory {
    /// Remembers the board of the server at `base_url` in `store`, as the
    /// feed named by its stream's URL.
    pub fn open(mut store: Store, base_url: &str) -> Result<BoardMemory, StoreError> {
        let url = format!("{}/tasks/subscribe", base_url.trim_end_matches('/'));
        let known = store.feed_id(&url).is_ok();
        let feed = store.feed_for(&url, &url)?;
        if !known {
            store.set_retention(feed, Retention { max_count: None, max_age: Some(DEFAULT_KEEP) })?;
        }
        store.prune(feed, now_ms())?;
        Ok(BoardMemory { inner: Arc::new(Mutex::new(Inner { store, since_pruned: 0 })), feed })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tasks as last known; `None` if this server was never seen.
    pub(super) fn known(&self) -> Option<Vec<Task>> {
        let inner = self.inner();
        let store = &inner.store;
        match store.has_replica(self.feed) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "reading what the board last knew failed");
                return None;
            }
        }
        let records = store.records(self.feed).map_err(|e| tracing::warn!(error = %e, "reading tasks failed")).ok()?;
        // Records that are not tasks (a store edited by hand) are left out.
        Some(records.into_values().filter_map(|value| serde_json::from_value(value).ok()).collect())
    }

    /// Keeps the snapshot as what is known now, with its differences in the history.
    pub(super) fn remember_snapshot(&self, tasks: &[Task], seq: Option<&str>, now: EpochMs) {
        let items = tasks
            .iter()
            .filter_map(|task| serde_json::to_value(task).ok().map(|value| (task.id.to_string(), value)))
            .collect();
        let snapshot = Snapshot { items, cursor: seq.map(str::to_owned) };
        if let Err(e) = self.inner().store.resync(self.feed, KEY_FIELD, &snapshot, now) {
            tracing::warn!(error = %e, "remembering the task list failed");
        }
    }

    /// Keeps a live event, which also keeps the known list current.
    pub(super) fn remember(&self, event: &Event, now: EpochMs) {
        let mut inner = self.inner();
        if let Err(e) = inner.store.ingest(self.feed, std::slice::from_ref(event), now) {
            tracing::warn!(error = %e, "remembering an event failed");
        }
        inner.since_pruned += 1;
        if inner.since_pruned >= PRUNE_EVERY {
            inner.since_pruned = 0;
            if let Err(e) = inner.store.prune(self.feed, now) {
                tracing::warn!(error = %e, "applying retention failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str) -> Event {
        Event {
            event: "create".into(),
            data: format!(r#"{{"id":{id},"name":"t","done":false}}"#).into(),
            last_event_id: id.into(),
        }
    }

    #[test]
    fn a_new_server_keeps_90_days_and_retention_is_applied_on_start() {
        let base = "http://127.0.0.1:7878";
        let memory = BoardMemory::open(Store::in_memory().unwrap(), base).unwrap();
        let inner = Arc::into_inner(memory.inner).unwrap().into_inner().unwrap();
        let mut store = inner.store;
        assert_eq!(store.retention(memory.feed).unwrap().max_age, Some(DEFAULT_KEEP));
        // An event from long ago, and a user's own choice of retention: both
        // survive until the next start, which prunes by that choice.
        store.ingest(memory.feed, &[event("1")], 0).unwrap();
        store.ingest(memory.feed, &[event("2")], now_ms()).unwrap();
        store.set_retention(memory.feed, Retention { max_count: Some(10), max_age: Some(DEFAULT_KEEP) }).unwrap();
        let reopened = BoardMemory::open(store, base).unwrap();
        let store = &reopened.inner().store;
        assert_eq!(store.retention(reopened.feed).unwrap().max_count, Some(10), "the user's choice stays");
        let kept: Vec<_> = store.history(None, None).unwrap().into_iter().filter_map(|e| e.event_id).collect();
        assert_eq!(kept, ["2"]);
    }
}
