//! Where the hub keeps the tasks and the change log: one trait, two homes.
//!
//! [`Storage`] is all the HTTP layer and the event stream know of it. Two
//! implementations stand behind it:
//!
//! - [`sqlite`], the embedded default: one file (or memory), one process;
//! - [`redis`], Redis Streams: several hub processes behind a load balancer
//!   share one Redis, and every hub sees every change.
//!
//! Both keep the same promises, which is what lets the stream replay and
//! follow without a gap or a duplicate whichever is used:
//!
//! - a change and its log entry are written together or not at all, and a
//!   refused write ([`Written::Refused`]) writes neither;
//! - sequence numbers are consecutive integers, handed out in commit order;
//! - a create sent again with the same key makes nothing and logs nothing;
//! - [`Storage::follow`] delivers every change committed after it was
//!   called, in sequence order (it may lag; the stream then reads the log).

#[cfg(feature = "redis")]
pub mod redis;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::model::{Change, CreateKey, Created, IfMatch, Task, TaskPatch, Written};

/// Where the hub keeps its data.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// A SQLite file.
    File(std::path::PathBuf),
    /// SQLite in memory, gone when the hub stops: for tests and the embedded demo.
    Memory,
    /// A Redis server, shared by every hub given the same URL and prefix.
    #[cfg(feature = "redis")]
    Redis(redis::RedisLocation),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store cannot be reached now (Redis is down or restarting); the
    /// request may be tried again shortly.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("the store answered with something the hub cannot read: {0}")]
    Corrupt(String),
    /// The worker running the store call failed (it panicked or was cancelled).
    #[error("a store worker failed")]
    Worker,
}

/// The tasks and the change log, wherever they are kept.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `"sqlite"` or `"redis"`, for the health check and the logs.
    fn kind(&self) -> &'static str;

    /// All tasks by id, and the sequence number of the last change they include.
    async fn snapshot(&self) -> Result<(Vec<Task>, u64), StoreError>;

    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError>;

    /// The sequence number of the last change; 0 before the first.
    async fn current_seq(&self) -> Result<u64, StoreError>;

    /// The oldest change the log still holds (it is bounded by `history`).
    async fn oldest_seq(&self) -> Result<Option<u64>, StoreError>;

    /// Up to `limit` changes with a sequence number above `after`, oldest first.
    async fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError>;

    /// Creates a task, unless `key` made one within [`KEY_HOLDS`]: then
    /// nothing new is made, and the change made then is answered again.
    async fn create(&self, actor: &str, name: &str, key: Option<&CreateKey>) -> Result<Created, StoreError>;

    /// Applies `patch`, when the task exists at a version `if_match` admits.
    async fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError>;

    /// Deletes a task, when it exists at a version `if_match` admits.
    async fn delete(&self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError>;

    /// Every change committed from now on, in sequence order.
    fn follow(&self) -> broadcast::Receiver<Arc<Change>>;
}

/// How many live changes a slow subscriber may fall behind before it is
/// switched back to reading the change log.
pub(crate) const LIVE_BUFFER: usize = 1024;

/// How long a create's key is remembered: each actor's keys are their
/// own, and a key older than this makes a task again.
pub(crate) const KEY_HOLDS: std::time::Duration = std::time::Duration::from_secs(herald_wire::IDEMPOTENCY_HOLDS_SECS);

/// The time a change is stamped with: milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Opens the store at `location`, keeping `history` changes in its log
/// (`None`: all of them).
pub async fn open(location: &StoreLocation, history: Option<u64>) -> Result<Arc<dyn Storage>, StoreError> {
    Ok(match location {
        StoreLocation::File(path) => Arc::new(sqlite::Sqlite::open(Some(path), history)?),
        StoreLocation::Memory => Arc::new(sqlite::Sqlite::open(None, history)?),
        #[cfg(feature = "redis")]
        StoreLocation::Redis(redis) => Arc::new(redis::Redis::open(redis, history).await?),
    })
}
