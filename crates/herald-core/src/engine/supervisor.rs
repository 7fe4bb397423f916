//! The supervisor: the engine's own task. It starts and stops a runner per
//! feed as calls say, answers queries through the store writer, and
//! applies retention. Each call is answered in a method of its own
//! (`answers.rs`); here is what they share, and how a call reaches them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::api::{EngineEvent, FeedKind, FeedState};
use super::feed_state::StateCell;
use super::health::Health;
use super::runner::Control;
use super::start::RunnerStart;
use super::writer::Writer;
use super::EngineError;
use crate::call::{Answer, Call};
use crate::error::Error;
use crate::feed::{check, Feed, Meaning};
use crate::proxy::DesktopProxies;
use crate::secrets::Secrets;
use crate::sse::{now_ms, ConnectionState, Phase, StopReason};
use crate::store::{FeedId, Store, StoreError};

/// A feed the supervisor knows, running or not.
pub(super) struct Running {
    pub id: FeedId,
    pub feed: Feed,
    pub control: mpsc::UnboundedSender<Control>,
    pub state: StateCell,
    pub task: JoinHandle<()>,
}

pub(super) struct Supervisor {
    pub(super) writer: Writer,
    pub(super) sink: mpsc::Sender<EngineEvent>,
    pub(super) secrets: Arc<dyn Secrets>,
    pub(super) desktop_proxies: Arc<dyn DesktopProxies>,
    pub(super) extra_headers: BTreeMap<String, HeaderMap>,
    pub(super) max_events: Option<u64>,
    pub(super) changes: bool,
    pub(super) repeats: bool,
    pub(super) runners: BTreeMap<String, Running>,
}

/// A feed's state before anything is known of its connection, but what the
/// store knows: the keepalive learned on it before, and its unread count.
fn first_state(feed: &Feed, keepalive: Option<Duration>, unread: u64) -> FeedState {
    let resolved = feed.resolved();
    let phase = if feed.settings.paused { Phase::Stopped { reason: StopReason::Closed } } else { Phase::Connecting };
    let mut state = FeedState {
        name: feed.name.clone(),
        url: feed.url.clone(),
        preset: feed.settings.preset.unwrap_or_default(),
        kind: match resolved.meaning {
            Meaning::Record(_) => FeedKind::Record,
            Meaning::Message(_) => FeedKind::Message,
            Meaning::Raw => FeedKind::Raw,
        },
        connection: ConnectionState::new(phase, resolved.stall_timeout, keepalive),
        paused: feed.settings.paused,
        writable: resolved.write_url.is_some(),
        signs_in: feed.signs_in(),
        problem: None,
        disk_full: false,
        unreadable: None,
        recycled: 0,
        route: None,
        last_error: None,
        unread,
        coalesce: feed.settings.coalesce.unwrap_or_default(),
        me: None,
        present: Vec::new(),
        health: Health::default(),
    };
    state.health = state.health_now();
    state
}

impl Supervisor {
    /// Store work for a call; a failure is the call's error.
    pub(super) async fn store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Error> {
        let done = self.writer.call(work).await.map_err(|e| Error::unavailable(e.to_string()))?;
        Ok(done?)
    }

    pub(super) fn running(&self, name: &str) -> Result<&Running, Error> {
        self.runners.get(name).ok_or_else(|| Error::not_found(format!("there is no feed named {name:?}")))
    }

    /// Stores `feed` (added, or replacing one of its name) after the feeds
    /// file's checks, and follows it afresh.
    pub(super) async fn put(&mut self, feed: Feed) -> Result<(), Error> {
        // The same check as a feeds file's and the form's, so what any
        // client adds exports and imports cleanly.
        let feed = crate::blocking::run(move || check(&feed).map(|()| feed))
            .await
            .map_err(|refusal| Error::invalid_field(refusal.setting.key(), refusal.reason))?;
        let stored = feed.clone();
        self.store(move |store| store.import_feeds(&[stored])).await?;
        if let Some(old) = self.stop(&feed.name) {
            let _ = old.task.await;
        }
        self.start(feed).await.map_err(|e| Error::internal(e.to_string()))?;
        Ok(())
    }

    pub async fn run(mut self, mut incoming: mpsc::UnboundedReceiver<Job>, prune_every: Duration) {
        let mut prune = tokio::time::interval(prune_every);
        loop {
            tokio::select! {
                job = incoming.recv() => match job {
                    Some(job) => (job.0)(&mut self).await,
                    None => break,
                },
                _ = prune.tick() => self.prune().await,
            }
        }
        for running in self.runners.values() {
            let _ = running.control.send(Control::Stop);
        }
    }

    /// Starts following `feed` (or only announces it, when paused).
    pub async fn start(&mut self, feed: Feed) -> Result<(), EngineError> {
        let name = feed.name.clone();
        let fetched = self.writer.call(move |store| {
            let id = store.feed_id(&name)?;
            Ok::<_, StoreError>((id, store.cursor(id)?, store.keepalive(id)?, store.unread(id)?))
        });
        let (id, cursor, keepalive, unread) = fetched.await??;
        let state = StateCell::new(first_state(&feed, keepalive, unread), self.sink.clone());
        let (control, control_rx) = mpsc::unbounded_channel();
        let _ = state.announce().await;
        let task = if feed.settings.paused {
            tokio::spawn(async {})
        } else {
            let runner = RunnerStart {
                id,
                feed: feed.clone(),
                cursor,
                keepalive,
                secrets: self.secrets.clone(),
                desktop_proxies: self.desktop_proxies.clone(),
                extra: self.extra_headers.get(&feed.name).cloned().unwrap_or_default(),
                writer: self.writer.clone(),
                sink: self.sink.clone(),
                control: control_rx,
                state: state.clone(),
                max_events: self.max_events,
                changes: self.changes,
                repeats: self.repeats,
            };
            tokio::spawn(runner.run())
        };
        self.runners.insert(feed.name.clone(), Running { id, feed, control, state, task });
        Ok(())
    }

    pub(super) fn stop(&mut self, name: &str) -> Option<Running> {
        let running = self.runners.remove(name)?;
        let _ = running.control.send(Control::Stop);
        Some(running)
    }

    /// Applies every feed's retention.
    async fn prune(&self) {
        let ids: Vec<FeedId> = self.runners.values().map(|r| r.id).collect();
        let pruned = self
            .writer
            .call(move |store| {
                for id in ids {
                    if let Err(e) = store.prune(id, now_ms()) {
                        tracing::warn!(error = %e, "applying retention failed");
                    }
                }
            })
            .await;
        if pruned.is_err() {
            tracing::warn!("the store writer has stopped; retention was not applied");
        }
    }
}

/// How the supervisor answers a call of type `C`. It has `&mut self`: it
/// answers one call at a time, in the order they came.
pub(super) trait Answers<C: Call>: Send {
    fn answer(&mut self, call: C) -> impl Future<Output = Answer<C>> + Send;

    /// Takes the call with where its answer goes. By default it is answered
    /// here; a call answered elsewhere (a write, by its feed's runner, once
    /// the server has answered) hands its answer on, so the supervisor
    /// goes on with the next call rather than wait for a server.
    fn take(&mut self, call: C, reply: oneshot::Sender<Answer<C>>) -> impl Future<Output = ()> + Send {
        async move {
            // The caller may have stopped waiting: that is no error.
            let _ = reply.send(self.answer(call).await);
        }
    }
}

type Pending<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One call on its way to the supervisor, with where its answer goes.
pub struct Job(Box<dyn for<'a> FnOnce(&'a mut Supervisor) -> Pending<'a> + Send>);

fn job(run: impl for<'a> FnOnce(&'a mut Supervisor) -> Pending<'a> + Send + 'static) -> Job {
    Job(Box::new(run))
}

/// A call the engine answers: any [`Call`] the supervisor has an answer for.
pub trait EngineCall: Call {
    #[doc(hidden)]
    fn job(self, answer: oneshot::Sender<Answer<Self>>) -> Job;
}

impl<C: Call> EngineCall for C
where
    Supervisor: Answers<C>,
{
    fn job(self, answer: oneshot::Sender<Answer<C>>) -> Job {
        job(move |supervisor| Box::pin(supervisor.take(self, answer)))
    }
}
