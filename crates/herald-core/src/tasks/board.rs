//! The board: a live task list that says what changed.
//!
//! It loads the REST snapshot, then follows the SSE stream from exactly the
//! sequence number the snapshot is current to, so nothing between the two is
//! lost. Every event is applied to the replica and, when it changed
//! something, announced as a [`ChangeNotice`] to everyone listening (the
//! window, the notifier). The user's own writes go through REST and come
//! back through the stream like anyone else's, so the stream is the single
//! source of truth. When the server cannot replay (`event: reset`), the board
//! reloads the snapshot and announces each difference once, as missed.
//!
//! With a [`BoardMemory`], it does the same on start: the first snapshot is
//! compared with the list as Herald last knew it, so what changed while
//! Herald was closed is announced too.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::api::{ApiError, TasksApi};
use super::memory::BoardMemory;
use super::model::{ChangeNotice, Task, TaskView};
use super::replica::Replica;
use crate::sse::{backoff, now_ms, ConnectionState, Phase, StopReason, Subscription, SubscriptionConfig};

/// Notices buffered for a slow listener before it starts missing them.
const NOTICE_BUFFER: usize = 256;

/// Which server to follow, as whom, and where to remember it between runs.
#[derive(Clone)]
pub struct BoardConfig {
    pub base_url: String,
    pub token: Option<String>,
    pub memory: Option<BoardMemory>,
}

struct Shared {
    replica: Mutex<Replica>,
    notices: broadcast::Sender<ChangeNotice>,
    /// The changes found by each resync, together.
    missed: broadcast::Sender<Vec<ChangeNotice>>,
    state: watch::Sender<ConnectionState>,
}

impl Shared {
    fn replica(&self) -> MutexGuard<'_, Replica> {
        self.replica.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_phase(&self, phase: Phase) {
        self.state.send_modify(|s| s.phase = phase);
    }
}

pub struct Board {
    api: TasksApi,
    shared: Arc<Shared>,
    /// Receivers made before the board started, so that the first listener
    /// hears everything, the digest of a start-up resync included.
    first_notices: Mutex<Option<broadcast::Receiver<ChangeNotice>>>,
    first_missed: Mutex<Option<broadcast::Receiver<Vec<ChangeNotice>>>>,
    reconnect: mpsc::UnboundedSender<()>,
    task: JoinHandle<()>,
}

/// The receiver kept in `first`, the first time; a new one after that.
fn first_or<T: Clone>(
    first: &Mutex<Option<broadcast::Receiver<T>>>,
    sender: &broadcast::Sender<T>,
) -> broadcast::Receiver<T> {
    let kept = first.lock().unwrap_or_else(|p| p.into_inner()).take();
    kept.unwrap_or_else(|| sender.subscribe())
}

impl Board {
    /// Starts following the server; connection trouble shows in [`Board::state`].
    pub fn start(client: reqwest::Client, config: BoardConfig) -> Board {
        let api = TasksApi::new(client.clone(), &config.base_url, config.token);
        let (notices, first_notices) = broadcast::channel(NOTICE_BUFFER);
        let (missed, first_missed) = broadcast::channel(8);
        let (state, _) = watch::channel(ConnectionState { phase: Phase::Connecting, last_heard: None, opened: 0 });
        let shared = Arc::new(Shared { replica: Mutex::new(Replica::default()), notices, missed, state });
        let (reconnect, commands) = mpsc::unbounded_channel();
        let task = tokio::spawn(follow(client, api.clone(), shared.clone(), config.memory, commands));
        Board {
            api,
            shared,
            first_notices: Mutex::new(Some(first_notices)),
            first_missed: Mutex::new(Some(first_missed)),
            reconnect,
            task,
        }
    }

    pub fn tasks(&self) -> Vec<TaskView> {
        self.shared.replica().tasks()
    }

    pub fn task(&self, id: i64) -> Option<TaskView> {
        self.shared.replica().get(id).cloned()
    }

    /// Every change, own changes included (marked `own`): since the board
    /// started for the first caller, from now on for later ones.
    pub fn notices(&self) -> broadcast::Receiver<ChangeNotice> {
        first_or(&self.first_notices, &self.shared.notices)
    }

    /// What each resync found missed, all together: for one digest
    /// notification rather than one per change (each also comes through
    /// [`Board::notices`], marked `missed`). Like [`Board::notices`], the
    /// first caller also hears what was found before it asked: the digest of
    /// what changed while Herald was closed comes right after the start.
    pub fn missed(&self) -> broadcast::Receiver<Vec<ChangeNotice>> {
        first_or(&self.first_missed, &self.shared.missed)
    }

    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// Skips any wait and reconnects now.
    pub fn reconnect_now(&self) {
        let _ = self.reconnect.send(());
    }

    pub async fn add_task(&self, name: &str) -> Result<Task, ApiError> {
        self.api.create(name).await
    }

    pub async fn set_done(&self, id: i64, done: bool) -> Result<Task, ApiError> {
        self.api.set_done(id, done).await
    }

    pub async fn delete_task(&self, id: i64) -> Result<(), ApiError> {
        self.api.delete(id).await
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow(
    client: reqwest::Client,
    api: TasksApi,
    shared: Arc<Shared>,
    memory: Option<BoardMemory>,
    mut reconnect: mpsc::UnboundedReceiver<()>,
) {
    let mut config = SubscriptionConfig::new(api.subscribe_url());
    let mut failures = 0u32;
    let (me, seq) = loop {
        shared.set_phase(Phase::Connecting);
        let loaded = async { Ok::<_, ApiError>((api.me().await?, api.snapshot().await?)) }.await;
        let reason = match loaded {
            Ok((me, (tasks, seq))) => {
                let now = now_ms();
                let known = memory.as_ref().and_then(BoardMemory::known);
                if let Some(memory) = &memory {
                    memory.remember_snapshot(&tasks, seq.as_deref(), now);
                }
                match known {
                    // What changed while Herald was closed is news.
                    Some(known) => {
                        shared.replica().load(known);
                        let missed = shared.replica().resync(tasks, now);
                        announce_missed(&shared, missed);
                    }
                    None => shared.replica().load(tasks),
                }
                break (me, seq);
            }
            Err(ApiError::Status { status: status @ (401 | 403), .. }) => {
                return shared.set_phase(Phase::Stopped { reason: StopReason::NeedsAuthentication { status } });
            }
            Err(e) => e.to_string(),
        };
        failures += 1;
        // The snapshot is retried on the same schedule as the stream.
        let delay = backoff(config.retry, failures, config.max_backoff);
        tracing::info!(%reason, ?delay, "loading the task list failed; retrying");
        shared.set_phase(Phase::Retrying { attempt: failures, at: now_ms() + delay.as_millis() as i64, reason });
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            command = reconnect.recv() => if command.is_none() { return },
        }
    };

    config = config.last_event_id(seq.unwrap_or_default());
    if let Some(token) = api.token() {
        config = match config.bearer(token) {
            Ok(config) => config,
            Err(e) => {
                return shared.set_phase(Phase::Stopped { reason: StopReason::Failed { message: e.to_string() } })
            }
        };
    }
    let retry = (config.retry, config.max_backoff);
    let mut subscription = Subscription::start(client, config);
    let mut state = subscription.state();
    // After a resync, events up to the snapshot's sequence are already in the replica.
    let mut skip_through = 0u64;
    loop {
        tokio::select! {
            event = subscription.next_event() => {
                let Some(event) = event else { break };
                if &*event.event == "reset" {
                    let Some(seq) = resync(&api, &shared, memory.as_ref(), retry).await else { break };
                    skip_through = seq;
                    continue;
                }
                if event.last_event_id.parse::<u64>().is_ok_and(|id| id <= skip_through) {
                    continue;
                }
                if let Some(memory) = &memory {
                    memory.remember(&event, now_ms());
                }
                let applied = shared.replica().apply(&event, me.as_deref());
                match applied {
                    Ok(Some(notice)) => { let _ = shared.notices.send(notice); }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, id = %event.last_event_id, "skipped an event"),
                }
            }
            Ok(()) = state.changed() => {
                let current = state.borrow_and_update().clone();
                shared.state.send_replace(current);
            }
            command = reconnect.recv() => match command {
                Some(()) => subscription.reconnect_now(),
                None => break,
            },
        }
    }
    let last = state.borrow().clone();
    shared.state.send_replace(last);
}

/// The server could not replay what happened (`event: reset`): reloads the
/// snapshot, announces each difference once as a missed change, and returns
/// the sequence number the snapshot is current to. Retries on the stream's
/// schedule; `None` if the snapshot is refused for good.
async fn resync(
    api: &TasksApi,
    shared: &Shared,
    memory: Option<&BoardMemory>,
    (retry, max_backoff): (Duration, Duration),
) -> Option<u64> {
    let mut failures = 0;
    loop {
        match api.snapshot().await {
            Ok((tasks, seq)) => {
                let now = now_ms();
                if let Some(memory) = memory {
                    memory.remember_snapshot(&tasks, seq.as_deref(), now);
                }
                let missed = shared.replica().resync(tasks, now);
                tracing::info!(missed = missed.len(), "resynced from the snapshot after a reset");
                announce_missed(shared, missed);
                return Some(seq.and_then(|s| s.parse().ok()).unwrap_or(0));
            }
            Err(ApiError::Status { status: status @ (401 | 403), .. }) => {
                shared.set_phase(Phase::Stopped { reason: StopReason::NeedsAuthentication { status } });
                return None;
            }
            Err(e) => {
                failures += 1;
                let delay = backoff(retry, failures, max_backoff);
                tracing::warn!(error = %e, ?delay, "reloading the task list after a reset failed; retrying");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Each missed change as a notice, then all of them together for one digest.
fn announce_missed(shared: &Shared, missed: Vec<ChangeNotice>) {
    for notice in &missed {
        let _ = shared.notices.send(notice.clone());
    }
    if !missed.is_empty() {
        let _ = shared.missed.send(missed);
    }
}
