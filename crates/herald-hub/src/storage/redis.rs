//! The shared store: the tasks and the change log in Redis, so that several
//! hub processes behind a load balancer serve one task list.
//!
//! The keys, under a prefix (`herald` unless told otherwise):
//!
//! | key | type | what |
//! |---|---|---|
//! | `{prefix}:seq` | string | the last sequence number handed out |
//! | `{prefix}:changes` | stream | the change log; entry `{seq}-0` is change `seq` |
//! | `{prefix}:tasks` | hash | task id → the task as JSON, with who changed it last |
//! | `{prefix}:deleted` | hash | task id → who deleted it and when |
//! | `{prefix}:ids` | string | the last task id handed out |
//! | `{prefix}:create:{len}:{actor}:{key}` | string | what a create's key made, for a day |
//!
//! Every write is one Lua script (`redis/*.lua`): the task, the `INCR` of
//! the sequence and the `XADD` of its log entry happen together or not at
//! all, and Redis runs one script at a time, so the stream's order is the
//! sequence's. The stream is trimmed with `MAXLEN ~ history`.
//!
//! Replay reads the stream with `XRANGE`. The live side is one `XREAD BLOCK`
//! per hub process ([`tail`]), fanned out in memory to every subscriber.
//!
//! When Redis cannot be reached, every call fails with
//! [`StoreError::Unavailable`] (a `503` with `Retry-After`), and the
//! connection manager reconnects in the background. The tail resumes from
//! the last entry it read, so live streams lose nothing once Redis is back.
//! That holds across a Redis restart only if Redis persisted what it
//! acknowledged: run it with `appendonly yes` and `appendfsync always`.
//! A Redis that comes back without its data starts the sequence again; the
//! tail notices and reads the new log from its start, and subscribers ahead
//! of it are told `event: reset` (see `crate::stream`).
//!
//! Who is here is shared through the same Redis too, under
//! `{prefix}:presence`, apart from the store (`presence/exchange.rs`).
//!
//! A read that finds its connection dropped (Redis restarted since the last
//! call) is tried once more; a write is not, since Redis may have run it.

mod tail;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisError, Script};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{now_ms, Storage, StoreError, KEY_HOLDS, LIVE_BUFFER};
use crate::model::{Change, ChangeKind, CreateKey, Created, IfMatch, Stale, Task, TaskPatch, Written};

/// A Redis server and the prefix of the hub's keys on it.
#[derive(Clone)]
pub struct RedisLocation {
    /// `redis://[:password@]host:port[/db]`.
    pub url: String,
    pub prefix: String,
}

impl RedisLocation {
    pub fn new(url: impl Into<String>) -> Self {
        RedisLocation { url: url.into(), prefix: "herald".into() }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The URL without its password, for logs and errors.
    pub fn shown(&self) -> String {
        match (self.url.split_once("://"), self.url.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
            _ => self.url.clone(),
        }
    }
}

impl std::fmt::Debug for RedisLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLocation").field("url", &self.shown()).field("prefix", &self.prefix).finish()
    }
}

/// How long a request waits on Redis before it is told the store is unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

struct Keys {
    seq: String,
    changes: String,
    tasks: String,
    deleted: String,
    ids: String,
    /// A create's key is kept at `{create}{len}:{actor}:{key}`.
    create: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        let key = |name: &str| format!("{prefix}:{name}");
        Keys {
            seq: key("seq"),
            changes: key("changes"),
            tasks: key("tasks"),
            deleted: key("deleted"),
            ids: key("ids"),
            create: key("create:"),
        }
    }
}

struct Scripts {
    create: Script,
    update: Script,
    delete: Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            create: Script::new(concat!(include_str!("redis/log.lua"), include_str!("redis/create.lua"))),
            update: Script::new(concat!(include_str!("redis/log.lua"), include_str!("redis/update.lua"))),
            delete: Script::new(concat!(include_str!("redis/log.lua"), include_str!("redis/delete.lua"))),
        }
    }
}

pub struct Redis {
    conn: ConnectionManager,
    keys: Keys,
    scripts: Scripts,
    /// `MAXLEN ~` of the change stream; 0 keeps every change.
    keep: u64,
    live: broadcast::Sender<Arc<Change>>,
    /// Ends the tail when the store is dropped.
    _tail: DropGuard,
}

impl Redis {
    /// Connects to Redis, and starts the one reader of the change stream
    /// this process has. Fails when Redis cannot be reached now.
    pub async fn open(location: &RedisLocation, history: Option<u64>) -> Result<Self, StoreError> {
        let unreachable =
            |e: RedisError| StoreError::Unavailable(format!("cannot reach Redis at {}: {e}", location.shown()));
        let client = redis::Client::open(location.url.as_str())
            .map_err(|e| StoreError::Unavailable(format!("{} is not a Redis URL: {e}", location.shown())))?;
        let config = |response: Duration| {
            ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(response))
                .set_number_of_retries(2)
                .set_max_delay(Duration::from_secs(1))
        };
        let mut conn =
            ConnectionManager::new_with_config(client.clone(), config(RESPONSE_TIMEOUT)).await.map_err(unreachable)?;
        let reader = ConnectionManager::new_with_config(client, config(tail::BLOCK + RESPONSE_TIMEOUT))
            .await
            .map_err(unreachable)?;
        let keys = Keys::new(&location.prefix);
        let from: Option<u64> = redis::cmd("GET").arg(&keys.seq).query_async(&mut conn).await.map_err(unreachable)?;
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let stop = CancellationToken::new();
        let log = tail::Log { changes: keys.changes.clone(), seq: keys.seq.clone() };
        tokio::spawn(tail::run(reader, log, from.unwrap_or(0), live.clone(), stop.clone()));
        tracing::info!(redis = %location.shown(), prefix = %location.prefix, "the store is Redis");
        Ok(Redis { conn, keys, scripts: Scripts::new(), keep: history.unwrap_or(0), live, _tail: stop.drop_guard() })
    }

    /// The arguments every write script takes: the keys, then the actor,
    /// the time and how much of the log to keep.
    fn write<'a>(&self, script: &'a Script, actor: &str, at: i64) -> redis::ScriptInvocation<'a> {
        let mut call = script.prepare_invoke();
        call.key(&self.keys.seq)
            .key(&self.keys.changes)
            .key(&self.keys.tasks)
            .key(&self.keys.deleted)
            .key(&self.keys.ids);
        call.arg(actor).arg(at).arg(self.keep);
        call
    }

    /// Runs a write that returns `{'changed', seq, task}`, `{'missing'}` or
    /// `{'refused', task, deleted}`.
    async fn written(
        &self,
        call: redis::ScriptInvocation<'_>,
        kind: ChangeKind,
        id: i64,
    ) -> Result<Written, StoreError> {
        let reply: Vec<String> = call.invoke_async(&mut self.conn.clone()).await.map_err(failed)?;
        match reply.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["changed", seq, task] => {
                let record = Record::read(task)?;
                let (actor, at) = (record.by.clone(), record.at()?);
                Ok(Written::Changed(Change { seq: number(seq)?, kind, task: record.task(id)?, actor, at }))
            }
            ["missing"] => Ok(Written::Missing),
            ["refused", "", deleted] => {
                let gone = (!deleted.is_empty()).then(|| Tombstone::read(deleted)).transpose()?;
                let (actor, at) = gone.map(|g| Ok::<_, StoreError>((g.by, number(&g.at)?))).transpose()?.unzip();
                Ok(Written::Refused(Stale { current: None, actor, at }))
            }
            ["refused", task, _] => {
                let record = Record::read(task)?;
                let known = !record.by.is_empty();
                let at = record.at()?;
                let actor = known.then(|| record.by.clone());
                Ok(Written::Refused(Stale { current: Some(record.task(id)?), actor, at: known.then_some(at) }))
            }
            _ => Err(StoreError::Corrupt(format!("a write answered {reply:?}"))),
        }
    }

    /// Runs a read, and runs it once more if it found its connection
    /// dropped (Redis restarted since the last call): by then the manager
    /// is reconnecting, and a read is safe to repeat. A write is not, since
    /// the connection may have dropped after Redis ran it, so it fails.
    async fn read<T, F>(&self, query: impl Fn(ConnectionManager) -> F) -> Result<T, StoreError>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match query(self.conn.clone()).await {
            Err(e) if e.is_connection_dropped() => {
                tracing::debug!(error = %e, "a read found its connection to Redis dropped; reading again");
                query(self.conn.clone()).await.map_err(failed)
            }
            read => read.map_err(failed),
        }
    }

    async fn range(&self, from: &str, count: usize) -> Result<Vec<tail::Entry>, StoreError> {
        self.read(|mut conn| async move {
            let mut range = redis::cmd("XRANGE");
            range.arg(&self.keys.changes).arg(from).arg("+").arg("COUNT").arg(count);
            range.query_async(&mut conn).await
        })
        .await
    }
}

#[async_trait]
impl Storage for Redis {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn snapshot(&self) -> Result<(Vec<Task>, u64), StoreError> {
        let (seq, tasks): (Option<u64>, HashMap<String, String>) = self
            .read(|mut conn| async move {
                redis::pipe().atomic().get(&self.keys.seq).hgetall(&self.keys.tasks).query_async(&mut conn).await
            })
            .await?;
        let mut tasks =
            tasks.iter().map(|(id, record)| Record::read(record)?.task(number(id)?)).collect::<Result<Vec<_>, _>>()?;
        tasks.sort_by_key(|t| t.id);
        Ok((tasks, seq.unwrap_or(0)))
    }

    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        let record: Option<String> = self
            .read(
                |mut conn| async move { redis::cmd("HGET").arg(&self.keys.tasks).arg(id).query_async(&mut conn).await },
            )
            .await?;
        record.map(|r| Record::read(&r)?.task(id)).transpose()
    }

    async fn current_seq(&self) -> Result<u64, StoreError> {
        let seq: Option<u64> = self
            .read(|mut conn| async move { redis::cmd("GET").arg(&self.keys.seq).query_async(&mut conn).await })
            .await?;
        Ok(seq.unwrap_or(0))
    }

    async fn oldest_seq(&self) -> Result<Option<u64>, StoreError> {
        let first = self.range("-", 1).await?;
        first.first().map(|entry| tail::seq_of(&entry.0)).transpose()
    }

    async fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let entries = self.range(&format!("{}-0", after.saturating_add(1)), limit).await?;
        entries.iter().map(tail::change_of).collect()
    }

    async fn create(&self, actor: &str, name: &str, key: Option<&CreateKey>) -> Result<Created, StoreError> {
        let at = now_ms();
        let mut call = self.write(&self.scripts.create, actor, at);
        let key = key.map(CreateKey::as_str).unwrap_or("");
        call.arg(name).arg(key).arg(KEY_HOLDS.as_millis() as u64);
        // Each actor's keys are their own; the lengths keep `a:b` + `c` apart from `a` + `b:c`.
        call.key(format!("{}{}:{actor}:{key}", self.keys.create, actor.len()));
        let reply: Vec<String> = call.invoke_async(&mut self.conn.clone()).await.map_err(failed)?;
        let created = |seq: u64, id: i64, name: String, at: i64| {
            let task = Task { id, name, done: false, version: 1 };
            Change { seq, kind: ChangeKind::Create, task, actor: actor.to_owned(), at }
        };
        match reply.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["made", seq, id] => Ok(Created::Made(created(number(seq)?, number(id)?, name.to_owned(), at))),
            ["again", before] => {
                let before: KeyRecord =
                    serde_json::from_str(before).map_err(|e| StoreError::Corrupt(format!("a create's key ({e})")))?;
                if before.name != name {
                    return Ok(Created::KeyReused);
                }
                Ok(Created::Again(created(number(&before.seq)?, number(&before.id)?, before.name, number(&before.at)?)))
            }
            _ => Err(StoreError::Corrupt(format!("a create answered {reply:?}"))),
        }
    }

    async fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &TaskPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Written, StoreError> {
        let mut call = self.write(&self.scripts.update, actor, now_ms());
        call.arg(id).arg(condition(if_match));
        match &patch.name {
            Some(name) => call.arg("1").arg(name),
            None => call.arg("0").arg(""),
        };
        call.arg(patch.done.map(|d| if d { "true" } else { "false" }).unwrap_or(""));
        self.written(call, ChangeKind::Update, id).await
    }

    async fn delete(&self, actor: &str, id: i64, if_match: Option<&IfMatch>) -> Result<Written, StoreError> {
        let mut call = self.write(&self.scripts.delete, actor, now_ms());
        call.arg(id).arg(condition(if_match));
        self.written(call, ChangeKind::Delete, id).await
    }

    fn follow(&self) -> broadcast::Receiver<Arc<Change>> {
        self.live.subscribe()
    }
}

/// `If-Match` as the scripts read it: '' none, '*' any, or ',3,5,'.
fn condition(if_match: Option<&IfMatch>) -> String {
    match if_match {
        None => String::new(),
        Some(IfMatch::Any) => "*".into(),
        Some(IfMatch::Versions(versions)) => versions.iter().fold(",".to_string(), |list, v| format!("{list}{v},")),
    }
}

/// What a create's key made, as `create.lua` keeps it.
#[derive(Deserialize)]
struct KeyRecord {
    seq: String,
    id: String,
    name: String,
    at: String,
}

/// A task as the `tasks` hash keeps it.
#[derive(Deserialize)]
struct Record {
    name: String,
    done: bool,
    version: String,
    by: String,
    at: String,
}

impl Record {
    fn read(json: &str) -> Result<Record, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("a task record ({e})")))
    }

    fn task(&self, id: i64) -> Result<Task, StoreError> {
        Ok(Task { id, name: self.name.clone(), done: self.done, version: number(&self.version)? })
    }

    fn at(&self) -> Result<i64, StoreError> {
        number(&self.at)
    }
}

/// Who deleted a task, and when.
#[derive(Deserialize)]
struct Tombstone {
    by: String,
    at: String,
}

impl Tombstone {
    fn read(json: &str) -> Result<Tombstone, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("a deletion record ({e})")))
    }
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("{text:?} where a number belongs")))
}

/// What a failed Redis call means for the request: an answer the hub cannot
/// read is a fault; anything else (no connection, a timeout, Redis loading
/// its data after a restart) passes, and the client may try again.
fn failed(e: RedisError) -> StoreError {
    match e.kind() {
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}
