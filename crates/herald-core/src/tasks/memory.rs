//! What a board remembers between runs: the task list as it last knew it,
//! kept in the store as the replica of its feed (see [`crate::store`]).
//!
//! Why: when Herald starts, the task list may have changed while it was
//! closed. With a memory, the board compares the fresh snapshot with what it
//! last knew and announces each difference once, as missed, in one digest.
//! Without one, a fresh start can only show the list as it is.

use std::sync::{Arc, Mutex, MutexGuard};

use super::model::Task;
use crate::sse::{EpochMs, Event};
use crate::store::{FeedId, Snapshot, Store, StoreError};

/// The key of a task in the replica.
const KEY_FIELD: &str = "id";

#[derive(Clone)]
pub struct BoardMemory {
    store: Arc<Mutex<Store>>,
    feed: FeedId,
}

impl BoardMemory {
    /// Remembers the board of the server at `base_url` in `store`, as the
    /// feed named by its stream's URL.
    pub fn open(store: Store, base_url: &str) -> Result<BoardMemory, StoreError> {
        let url = format!("{}/tasks/subscribe", base_url.trim_end_matches('/'));
        let feed = store.feed_for(&url, &url)?;
        Ok(BoardMemory { store: Arc::new(Mutex::new(store)), feed })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tasks as last known; `None` if this server was never seen.
    pub(super) fn known(&self) -> Option<Vec<Task>> {
        let store = self.store();
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
        if let Err(e) = self.store().resync(self.feed, KEY_FIELD, &snapshot, now) {
            tracing::warn!(error = %e, "remembering the task list failed");
        }
    }

    /// Keeps a live event, which also keeps the known list current.
    pub(super) fn remember(&self, event: &Event, now: EpochMs) {
        if let Err(e) = self.store().ingest(self.feed, std::slice::from_ref(event), now) {
            tracing::warn!(error = %e, "remembering an event failed");
        }
    }
}
