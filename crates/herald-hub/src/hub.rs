//! The hub's shared state: the store, its config, who is here (and where
//! that is shared with other hubs), and the open streams.
//!
//! Writes and reads go through [`Hub`] to its [`Storage`], which also
//! delivers every committed change in sequence order ([`Hub::follow`]):
//! that order is what makes replay-then-follow in the SSE stream gap-free.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::config::HubConfig;
use crate::limits::Gate;
use crate::metrics::Metrics;
use crate::model::{Change, CreateKey, Created, IfMatch, Task, TaskPatch, Written};
use crate::presence::Room;
#[cfg(feature = "redis")]
use crate::storage::redis::RedisLocation;
use crate::storage::{self, Storage, StoreError, StoreLocation};

pub struct Hub {
    storage: Arc<dyn Storage>,
    config: HubConfig,
    closing: CancellationToken,
    room: Arc<Room>,
    gate: Arc<Gate>,
    metrics: Metrics,
    /// The Redis that other hubs share, to share who is here with them.
    #[cfg(feature = "redis")]
    shared: Option<RedisLocation>,
}

impl Hub {
    /// Opens the store at `location`; a Redis that cannot be reached now is an error.
    pub async fn open(config: HubConfig, location: &StoreLocation) -> Result<Arc<Self>, StoreError> {
        let storage = storage::open(location, config.history).await?;
        let closing = CancellationToken::new();
        let gate = Gate::new(config.max_streams, config.max_streams_per_client);
        #[cfg(feature = "redis")]
        let shared = match location {
            StoreLocation::Redis(redis) => Some(redis.clone()),
            StoreLocation::File(_) | StoreLocation::Memory => None,
        };
        let metrics = Metrics::default();
        Ok(Arc::new(Hub {
            storage,
            config,
            closing,
            room: Room::new(),
            gate,
            metrics,
            #[cfg(feature = "redis")]
            shared,
        }))
    }

    /// Where this hub shares who is here with other hubs, if it does.
    #[cfg(feature = "redis")]
    pub(crate) fn shared(&self) -> Option<&RedisLocation> {
        self.shared.as_ref()
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

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// `"sqlite"` or `"redis"`.
    pub fn store_kind(&self) -> &'static str {
        self.storage.kind()
    }

    /// How many event streams are open now.
    pub fn open_streams(&self) -> usize {
        self.gate.streams()
    }

    /// Receives every change committed from now on.
    pub fn follow(&self) -> broadcast::Receiver<Arc<Change>> {
        self.storage.follow()
    }

    pub async fn snapshot(&self) -> Result<(Vec<Task>, u64), StoreError> {
        self.storage.snapshot().await
    }

    pub async fn current_seq(&self) -> Result<u64, StoreError> {
        self.storage.current_seq().await
    }

    pub async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        self.storage.get(id).await
    }

    /// The oldest change the log still holds (it is bounded by `history`).
    pub async fn oldest_seq(&self) -> Result<Option<u64>, StoreError> {
        self.storage.oldest_seq().await
    }

    pub async fn changes_after(&self, seq: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.metrics.replay_reads.inc();
        self.storage.changes_after(seq, limit).await
    }

    pub async fn create(&self, actor: &str, name: &str) -> Result<Change, StoreError> {
        let created = self.storage.create(actor, name, None).await?;
        created.change().ok_or_else(|| StoreError::Corrupt("a create without a key found its key reused".into()))
    }

    /// Creates a task, once for each `key` of `actor`'s (see [`Created`]).
    pub async fn create_once(&self, actor: &str, name: &str, key: Option<&CreateKey>) -> Result<Created, StoreError> {
        self.storage.create(actor, name, key).await
    }

    pub async fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError> {
        self.storage.update(actor, id, patch, if_match).await
    }

    pub async fn delete(&self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError> {
        self.storage.delete(actor, id, if_match).await
    }
}
