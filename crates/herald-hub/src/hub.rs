//! The hub's shared state: the store, its config, and the live fan-out of changes.
//!
//! Writes go through [`Hub`] so that the change log and the live broadcast
//! happen under one lock: subscribers therefore see changes in exactly the
//! order of their sequence numbers, which is what makes replay-then-follow
//! in the SSE stream gap-free.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::config::HubConfig;
use crate::limits::Gate;
use crate::model::{Change, IfMatch, Task, TaskPatch, Written};
use crate::presence::Room;
use crate::store::{Store, StoreError, StoreLocation};

/// How many live changes a slow subscriber may fall behind before it is
/// switched back to reading the change log.
const LIVE_BUFFER: usize = 1024;

pub struct Hub {
    store: Mutex<Store>,
    live: broadcast::Sender<Arc<Change>>,
    config: HubConfig,
    closing: CancellationToken,
    room: Arc<Room>,
    gate: Arc<Gate>,
}

impl Hub {
    pub fn open(config: HubConfig, location: &StoreLocation) -> Result<Arc<Self>, StoreError> {
        let store = Store::open(location)?.with_history(config.history);
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let closing = CancellationToken::new();
        let gate = Gate::new(config.max_streams, config.max_streams_per_client);
        Ok(Arc::new(Hub { store: Mutex::new(store), live, config, closing, room: Room::new(), gate }))
    }

    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Cancelled when the hub shuts down, so that open streams end.
    pub(crate) fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    /// Who is here.
    pub(crate) fn room(&self) -> &Arc<Room> {
        &self.room
    }

    /// The open streams, counted.
    pub(crate) fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    /// How many event streams are open now.
    pub fn open_streams(&self) -> usize {
        self.gate.streams()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (every write is one transaction), so the data is still sound.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Receives every change committed from now on.
    pub fn follow(&self) -> broadcast::Receiver<Arc<Change>> {
        self.live.subscribe()
    }

    pub fn snapshot(&self) -> Result<(Vec<Task>, u64), StoreError> {
        self.store().snapshot()
    }

    pub fn current_seq(&self) -> Result<u64, StoreError> {
        self.store().current_seq()
    }

    pub fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        self.store().get(id)
    }

    /// The oldest change the log still holds (it is bounded by `history`).
    pub fn oldest_seq(&self) -> Result<Option<u64>, StoreError> {
        self.store().oldest_seq()
    }

    pub fn changes_after(&self, seq: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.store().changes_after(seq, limit)
    }

    pub fn create(&self, actor: &str, name: &str) -> Result<Change, StoreError> {
        let mut store = self.store();
        let change = store.create(actor, name)?;
        self.publish(&change);
        Ok(change)
    }

    pub fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError> {
        let mut store = self.store();
        let written = store.update(actor, id, patch, if_match)?;
        self.publish_written(&written);
        Ok(written)
    }

    pub fn delete(&self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError> {
        let mut store = self.store();
        let written = store.delete(actor, id, if_match)?;
        self.publish_written(&written);
        Ok(written)
    }

    fn publish_written(&self, written: &Written) {
        if let Written::Changed(change) = written {
            self.publish(change);
        }
    }

    /// Called with the store lock held, so broadcast order is sequence order.
    fn publish(&self, change: &Change) {
        // No receivers is fine: nobody is listening right now.
        let _ = self.live.send(Arc::new(change.clone()));
    }
}
