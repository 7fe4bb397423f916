//! The supervisor: the engine's own task. It starts and stops a runner per
//! feed as commands say, answers queries through the store writer, and
//! applies retention.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::api::{Command, EngineEvent, FeedKind, FeedState, Record, Reply};
use super::feed_state::StateCell;
use super::health::Health;
use super::runner::Control;
use super::start::RunnerStart;
use super::writer::Writer;
use super::EngineError;
use crate::feed::meaning::{self, truthy};
use crate::feed::{feeds_to_toml, parse_feeds, Feed, Meaning};
use crate::secrets::Secrets;
use crate::sse::{now_ms, ConnectionState, Event, Phase, StopReason};
use crate::store::{FeedId, Store, StoreError};

/// A feed the supervisor knows, running or not.
pub(super) struct Running {
    id: FeedId,
    feed: Feed,
    control: mpsc::UnboundedSender<Control>,
    state: StateCell,
    task: JoinHandle<()>,
}

pub(super) struct Supervisor {
    pub writer: Writer,
    pub sink: mpsc::Sender<EngineEvent>,
    pub secrets: Arc<dyn Secrets>,
    pub extra_headers: BTreeMap<String, HeaderMap>,
    pub max_events: Option<u64>,
    pub changes: bool,
    pub repeats: bool,
    pub runners: BTreeMap<String, Running>,
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
        problem: None,
        unreadable: None,
        recycled: 0,
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
    /// Store work for a command; a failure is the command's error.
    async fn store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        self.writer.call(work).await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())
    }

    fn running(&self, name: &str) -> Result<&Running, String> {
        self.runners.get(name).ok_or_else(|| format!("there is no feed named {name:?}"))
    }

    /// Stores `feed` (added, or replacing one of its name) after the feeds
    /// file's checks, and follows it afresh.
    async fn put(&mut self, feed: Feed) -> Result<Reply, String> {
        // The same checks as a feeds file, so what the window adds
        // exports and imports cleanly.
        let checked = parse_feeds(&feeds_to_toml(std::slice::from_ref(&feed))).map_err(|e| e.reason)?;
        let feed = checked.into_iter().next().ok_or("the feed did not read back")?;
        let stored = feed.clone();
        self.store(move |store| store.import_feeds(&[stored])).await?;
        if let Some(old) = self.stop(&feed.name) {
            let _ = old.task.await;
        }
        self.start(feed).await.map_err(|e| e.to_string())?;
        Ok(Reply::Done)
    }

    pub async fn run(
        mut self,
        mut incoming: mpsc::UnboundedReceiver<(Command, oneshot::Sender<Reply>)>,
        prune_every: Duration,
    ) {
        let mut prune = tokio::time::interval(prune_every);
        loop {
            tokio::select! {
                command = incoming.recv() => match command {
                    Some((command, reply)) => {
                        let answer = self.handle(command).await;
                        let _ = reply.send(answer);
                    }
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

    fn stop(&mut self, name: &str) -> Option<Running> {
        let running = self.runners.remove(name)?;
        let _ = running.control.send(Control::Stop);
        Some(running)
    }

    async fn handle(&mut self, command: Command) -> Reply {
        match self.command(command).await {
            Ok(reply) => reply,
            Err(message) => Reply::Error { message },
        }
    }

    async fn command(&mut self, command: Command) -> Result<Reply, String> {
        match command {
            Command::AddFeed { feed } => self.put(*feed).await,
            Command::RemoveFeed { name } => {
                if let Some(old) = self.stop(&name) {
                    let _ = old.task.await;
                }
                let removed = name.clone();
                self.store(move |store| store.remove_feed(&removed)).await?;
                let _ = self.sink.send(EngineEvent::Removed { feed: name }).await;
                Ok(Reply::Done)
            }
            Command::PauseFeed { name, paused } => {
                let mut feed = self.running(&name)?.feed.clone();
                if feed.settings.paused == paused {
                    return Ok(Reply::Done);
                }
                feed.settings.paused = paused;
                self.put(feed).await
            }
            Command::ReconnectNow { name } => {
                let names: Vec<String> = match name {
                    Some(name) => vec![self.running(&name)?.feed.name.clone()],
                    None => self.runners.keys().cloned().collect(),
                };
                for name in names {
                    let Some(running) = self.runners.get(&name) else { continue };
                    if running.feed.settings.paused {
                        continue;
                    }
                    if running.task.is_finished() {
                        // Stopped for good (a refused secret, say): start it afresh.
                        let feed = running.feed.clone();
                        self.runners.remove(&name);
                        self.start(feed).await.map_err(|e| e.to_string())?;
                    } else {
                        let _ = running.control.send(Control::ReconnectNow);
                    }
                }
                Ok(Reply::Done)
            }
            Command::MarkRead { feed, rows } => {
                let ids: Vec<FeedId> = match &feed {
                    Some(name) => vec![self.running(name)?.id],
                    None => self.runners.values().map(|r| r.id).collect(),
                };
                let one = feed.is_some().then(|| ids[0]);
                let counts = self
                    .store(move |store| {
                        if rows.is_empty() {
                            store.mark_read(one, None)?;
                        } else {
                            store.mark_rows_read(&rows)?;
                        }
                        ids.iter()
                            .map(|&id| Ok((id, store.unread(id)?)))
                            .collect::<Result<Vec<(FeedId, u64)>, StoreError>>()
                    })
                    .await?;
                for (id, unread) in counts {
                    let Some(running) = self.runners.values().find(|r| r.id == id) else { continue };
                    let _ = running.state.publish(|state| state.unread = unread).await;
                }
                Ok(Reply::Done)
            }
            Command::Timeline { query } => {
                let page = self.store(move |store| store.timeline(&query)).await?;
                Ok(Reply::Timeline { page })
            }
            Command::Activity { feed, since } => {
                let id = self.running(&feed)?.id;
                let activity = self.store(move |store| store.activity(id, since)).await?;
                Ok(Reply::Activity { activity })
            }
            Command::Definitions => {
                Ok(Reply::Definitions { feeds: self.runners.values().map(|r| r.feed.clone()).collect() })
            }
            Command::Feeds => Ok(Reply::Feeds { feeds: self.runners.values().map(|r| r.state.get()).collect() }),
            Command::Records { feed } => {
                let running = self.running(&feed)?;
                let Meaning::Record(meaning) = running.feed.resolved().meaning else {
                    return Err(format!("the feed {feed:?} carries no records"));
                };
                let id = running.id;
                let (records, last) = self
                    .store(move |store| {
                        let records = store.records(id)?;
                        let keys: Vec<&str> = records.keys().map(String::as_str).collect();
                        let last = store.last_changes(id, &keys)?;
                        Ok((records, last))
                    })
                    .await?;
                let records = records
                    .into_iter()
                    .zip(last)
                    .map(|((key, value), last_change)| Record {
                        title: meaning.title_of(&value, &key),
                        flag: meaning.verbs.first().and_then(|v| value.pointer(&v.field)).and_then(truthy),
                        key,
                        value,
                        last_change,
                    })
                    .collect();
                Ok(Reply::Records { records })
            }
            Command::Recent { feed, limit } => {
                let running = self.running(&feed)?;
                let meaning = running.feed.resolved().meaning;
                if matches!(meaning, Meaning::Record(_)) {
                    return Err(format!("the feed {feed:?} carries records: ask for its records"));
                }
                let id = running.id;
                let stored = self.store(move |store| store.recent(id, limit)).await?;
                let changes = stored
                    .into_iter()
                    .filter_map(|stored| {
                        let event = Event {
                            event: stored.event_type.as_str().into(),
                            data: stored.data.as_str().into(),
                            last_event_id: stored.event_id.as_deref().unwrap_or("").into(),
                        };
                        let ctx = meaning::Context { feed: &feed, me: None, now: stored.received_at };
                        match &meaning {
                            Meaning::Message(message) => message.read(ctx, &event),
                            _ => Some(meaning::raw(ctx, &event)),
                        }
                    })
                    .collect();
                Ok(Reply::Changes { changes })
            }
            Command::Write { feed, write } => {
                let running = self.running(&feed)?;
                let (reply, answer) = oneshot::channel();
                running
                    .control
                    .send(Control::Write(write, reply))
                    .map_err(|_| format!("the feed {feed:?} is not running"))?;
                Ok(answer.await.unwrap_or_else(|_| Reply::Error { message: format!("the feed {feed:?} stopped") }))
            }
            Command::View { feed, key } => {
                let running = self.running(&feed)?;
                running.control.send(Control::View(key)).map_err(|_| format!("the feed {feed:?} is not running"))?;
                Ok(Reply::Done)
            }
        }
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
