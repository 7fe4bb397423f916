//! The engine: Herald's one feed runner. It follows every stored feed, owns
//! the single store writer, resyncs, and tells its sinks what happened.
//!
//! Its shape is ripgrep's: one engine, many consumers. `herald-cli tail`,
//! `sync` and the app's relay are all sinks of the same [`EngineEvent`]
//! stream, and they steer it with the same serde [`Command`]s. Nothing else
//! in Herald reads a subscription, so a rule about staying connected, or
//! about what counts as missed, lives here once.
//!
//! - one task per feed ([`runner`]) owns that feed's connection;
//! - one thread ([`writer`]) owns the store, and every write goes through it;
//! - the supervisor (this module's task) starts and stops runners as
//!   commands say, answers queries, and applies retention.
//!
//! Because the API is messages, the engine can later move into a process of
//! its own behind a local socket without its sinks changing.

mod api;
mod rest;
mod runner;
mod snapshot;
mod writer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use api::{Command, EngineEvent, FeedKind, FeedState, Record, Reply, Write};
pub use snapshot::{fetch_snapshot, FetchError, GapWatch, MAX_SNAPSHOT_BYTES, SEQUENCE_HEADER};
pub use writer::{Writer, WriterGone};

use crate::feed::meaning::{self, truthy};
use crate::feed::{feeds_to_toml, parse_feeds, Feed, Meaning};
use crate::secrets::Secrets;
use crate::sse::{now_ms, ConnectionState, Event, Phase, StopReason};
use crate::store::{FeedId, Store, StoreError};
use runner::{Control, Runner};

/// Where the engine keeps its history.
pub enum StoreAt {
    Path(PathBuf),
    /// Nothing outlives the engine: `tail` without `--store`, tests.
    Memory,
    Open(Store),
}

/// Which stored feeds to follow from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    All,
    Only(Vec<String>),
}

pub struct EngineConfig {
    pub store: StoreAt,
    pub secrets: Arc<dyn Secrets>,
    pub follow: Follow,
    /// Headers sent with a feed's requests and never stored, by feed name:
    /// `herald-cli tail -H` passes its own this way.
    pub extra_headers: BTreeMap<String, HeaderMap>,
    /// How often each feed's retention is applied (and once at the start).
    pub prune_every: Duration,
    /// Each feed stops after storing this many events: `tail --max-events`
    /// keeps exactly what it shows.
    pub max_events: Option<u64>,
    /// Whether the sinks read [`EngineEvent::Changes`]. The CLI prints the
    /// events themselves, so it is spared making a change of every message
    /// (records are kept either way: they are state, not news).
    pub changes: bool,
}

impl EngineConfig {
    pub fn new(store: StoreAt, secrets: Arc<dyn Secrets>) -> EngineConfig {
        EngineConfig {
            store,
            secrets,
            follow: Follow::All,
            extra_headers: BTreeMap::new(),
            prune_every: Duration::from_secs(600),
            max_events: None,
            changes: true,
        }
    }

    pub fn follow(mut self, follow: Follow) -> EngineConfig {
        self.follow = follow;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the store writer: {0}")]
    Writer(std::io::Error),
    #[error(transparent)]
    Gone(#[from] WriterGone),
}

/// Events buffered for a slow sink before the feeds wait for it: a slow
/// sink slows the engine rather than lose what it should have shown.
const SINK_BUFFER: usize = 256;

/// The handle to a running engine: commands in, one reply each. The engine
/// stops (and with it every feed) when the last handle is dropped.
#[derive(Clone)]
pub struct Engine {
    commands: mpsc::UnboundedSender<(Command, oneshot::Sender<Reply>)>,
}

impl Engine {
    /// Opens the store, starts following the feeds, and returns the handle
    /// and the sink's stream of events. Everything from the very start is
    /// on that stream, the first resync's digest included.
    pub async fn start(config: EngineConfig) -> Result<(Engine, mpsc::Receiver<EngineEvent>), EngineError> {
        let store = match config.store {
            StoreAt::Open(store) => store,
            StoreAt::Memory => Store::in_memory()?,
            StoreAt::Path(path) => tokio::task::spawn_blocking(move || Store::open(&path))
                .await
                .map_err(|e| EngineError::Writer(std::io::Error::other(e)))??,
        };
        let writer = Writer::start(store).map_err(EngineError::Writer)?;
        let feeds = writer.call(|store| store.feeds()).await??;
        if let Follow::Only(names) = &config.follow {
            if let Some(missing) = names.iter().find(|name| !feeds.iter().any(|f| &f.name == *name)) {
                return Err(StoreError::NoSuchFeed(missing.clone()).into());
            }
        }
        let (sink, events) = mpsc::channel(SINK_BUFFER);
        let (commands, incoming) = mpsc::unbounded_channel();
        let mut supervisor = Supervisor {
            writer,
            sink,
            secrets: config.secrets,
            extra_headers: config.extra_headers,
            max_events: config.max_events,
            changes: config.changes,
            runners: BTreeMap::new(),
        };
        for feed in feeds {
            let follow = match &config.follow {
                Follow::All => true,
                Follow::Only(names) => names.contains(&feed.name),
            };
            if follow {
                supervisor.start(feed).await?;
            }
        }
        tokio::spawn(supervisor.run(incoming, config.prune_every));
        Ok((Engine { commands }, events))
    }

    /// Sends a command and waits for its reply.
    pub async fn send(&self, command: Command) -> Reply {
        let (reply, answer) = oneshot::channel();
        if self.commands.send((command, reply)).is_err() {
            return Reply::Error { message: "the engine has stopped".into() };
        }
        answer.await.unwrap_or_else(|_| Reply::Error { message: "the engine has stopped".into() })
    }
}

/// A feed the supervisor knows, running or not.
struct Running {
    id: FeedId,
    feed: Feed,
    control: mpsc::UnboundedSender<Control>,
    state: watch::Receiver<FeedState>,
    task: JoinHandle<()>,
}

struct Supervisor {
    writer: Writer,
    sink: mpsc::Sender<EngineEvent>,
    secrets: Arc<dyn Secrets>,
    extra_headers: BTreeMap<String, HeaderMap>,
    max_events: Option<u64>,
    changes: bool,
    runners: BTreeMap<String, Running>,
}

/// A feed's state before anything is known of its connection.
fn first_state(feed: &Feed) -> FeedState {
    let resolved = feed.resolved();
    FeedState {
        name: feed.name.clone(),
        url: feed.url.clone(),
        preset: feed.settings.preset.unwrap_or_default(),
        kind: match resolved.meaning {
            Meaning::Record(_) => FeedKind::Record,
            Meaning::Message(_) => FeedKind::Message,
            Meaning::Raw => FeedKind::Raw,
        },
        connection: ConnectionState {
            phase: if feed.settings.paused { Phase::Stopped { reason: StopReason::Closed } } else { Phase::Connecting },
            last_heard: None,
            opened: 0,
        },
        paused: feed.settings.paused,
        writable: resolved.write_url.is_some(),
        problem: None,
        recycled: 0,
        unread: 0,
    }
}

impl Supervisor {
    async fn run(
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
    async fn start(&mut self, feed: Feed) -> Result<(), EngineError> {
        let name = feed.name.clone();
        let fetched = self.writer.call(move |store| store.feed_id(&name).and_then(|id| Ok((id, store.cursor(id)?))));
        let (id, cursor) = fetched.await??;
        let (state_tx, state) = watch::channel(first_state(&feed));
        let (control, control_rx) = mpsc::unbounded_channel();
        let first = state.borrow().clone();
        let _ = self.sink.send(EngineEvent::State { state: first }).await;
        let task = if feed.settings.paused {
            tokio::spawn(async {})
        } else {
            let runner = RunnerStart {
                id,
                feed: feed.clone(),
                cursor,
                secrets: self.secrets.clone(),
                extra: self.extra_headers.get(&feed.name).cloned().unwrap_or_default(),
                writer: self.writer.clone(),
                sink: self.sink.clone(),
                control: control_rx,
                state: state_tx,
                max_events: self.max_events,
                changes: self.changes,
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
            Command::AddFeed { feed } => {
                // The same checks as a feeds file, so what the window adds
                // exports and imports cleanly.
                let checked = parse_feeds(&feeds_to_toml(std::slice::from_ref(&*feed))).map_err(|e| e.reason)?;
                let feed = checked.into_iter().next().ok_or("the feed did not read back")?;
                let stored = feed.clone();
                self.writer
                    .call(move |store| store.import_feeds(&[stored]))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                if let Some(old) = self.stop(&feed.name) {
                    let _ = old.task.await;
                }
                self.start(feed).await.map_err(|e| e.to_string())?;
                Ok(Reply::Done)
            }
            Command::RemoveFeed { name } => {
                if let Some(old) = self.stop(&name) {
                    let _ = old.task.await;
                }
                let removed = name.clone();
                self.writer
                    .call(move |store| store.remove_feed(&removed))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                let _ = self.sink.send(EngineEvent::Removed { feed: name }).await;
                Ok(Reply::Done)
            }
            Command::PauseFeed { name, paused } => {
                let mut feed = self
                    .runners
                    .get(&name)
                    .map(|r| r.feed.clone())
                    .ok_or_else(|| format!("there is no feed named {name:?}"))?;
                if feed.settings.paused == paused {
                    return Ok(Reply::Done);
                }
                feed.settings.paused = paused;
                Box::pin(self.command(Command::AddFeed { feed: Box::new(feed) })).await
            }
            Command::ReconnectNow { name } => {
                let names: Vec<String> = match name {
                    Some(name) if self.runners.contains_key(&name) => vec![name],
                    Some(name) => return Err(format!("there is no feed named {name:?}")),
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
            Command::MarkRead { feed } => {
                let id = match &feed {
                    Some(name) => Some(
                        self.runners
                            .get(name)
                            .map(|r| r.id)
                            .ok_or_else(|| format!("there is no feed named {name:?}"))?,
                    ),
                    None => None,
                };
                self.writer
                    .call(move |store| store.mark_read(id, None))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                Ok(Reply::Done)
            }
            Command::Feeds => {
                let ids: Vec<FeedId> = self.runners.values().map(|r| r.id).collect();
                let unread = self
                    .writer
                    .call(move |store| ids.iter().map(|&id| store.unread(id).unwrap_or(0)).collect::<Vec<_>>())
                    .await
                    .map_err(|e| e.to_string())?;
                let feeds = self
                    .runners
                    .values()
                    .zip(unread)
                    .map(|(running, unread)| FeedState { unread, ..running.state.borrow().clone() })
                    .collect();
                Ok(Reply::Feeds { feeds })
            }
            Command::Records { feed } => {
                let running = self.runners.get(&feed).ok_or_else(|| format!("there is no feed named {feed:?}"))?;
                let Meaning::Record(meaning) = running.feed.resolved().meaning else {
                    return Err(format!("the feed {feed:?} carries no records"));
                };
                let id = running.id;
                let records = self
                    .writer
                    .call(move |store| store.records(id))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                let records = records
                    .into_iter()
                    .map(|(key, value)| Record {
                        title: meaning.title_of(&value, &key),
                        flag: meaning.verbs.first().and_then(|v| value.pointer(&v.field)).and_then(truthy),
                        key,
                        value,
                    })
                    .collect();
                Ok(Reply::Records { records })
            }
            Command::Recent { feed, limit } => {
                let running = self.runners.get(&feed).ok_or_else(|| format!("there is no feed named {feed:?}"))?;
                let meaning = running.feed.resolved().meaning;
                if matches!(meaning, Meaning::Record(_)) {
                    return Err(format!("the feed {feed:?} carries records: ask for its records"));
                }
                let id = running.id;
                let stored = self
                    .writer
                    .call(move |store| store.recent(id, limit))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
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
                let running = self.runners.get(&feed).ok_or_else(|| format!("there is no feed named {feed:?}"))?;
                let (reply, answer) = oneshot::channel();
                running
                    .control
                    .send(Control::Write(write, reply))
                    .map_err(|_| format!("the feed {feed:?} is not running"))?;
                Ok(answer.await.unwrap_or_else(|_| Reply::Error { message: format!("the feed {feed:?} stopped") }))
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

/// What a runner needs before it can run: its secret (a blocking keyring
/// call, so it is fetched off the runtime's threads) and its cursor.
struct RunnerStart {
    id: FeedId,
    feed: Feed,
    cursor: Option<String>,
    secrets: Arc<dyn Secrets>,
    extra: HeaderMap,
    writer: Writer,
    sink: mpsc::Sender<EngineEvent>,
    control: mpsc::UnboundedReceiver<Control>,
    state: watch::Sender<FeedState>,
    max_events: Option<u64>,
    changes: bool,
}

impl RunnerStart {
    async fn run(mut self) {
        let setup = loop {
            let (feed, cursor, secrets, extra) =
                (self.feed.clone(), self.cursor.clone(), self.secrets.clone(), self.extra.clone());
            let message = match tokio::task::spawn_blocking(move || feed.setup(cursor, &*secrets, &extra)).await {
                Ok(Ok(setup)) => break setup,
                Ok(Err(e)) => e.reason,
                Err(_) => "setting the feed up failed".into(),
            };
            self.state.send_modify(|state| {
                state.connection.phase = Phase::Stopped { reason: StopReason::Failed { message: message.clone() } };
                state.problem = Some(message);
            });
            let state = self.state.borrow().clone();
            let _ = self.sink.send(EngineEvent::State { state }).await;
            // Until told to try again (the secret may be in the keyring now).
            loop {
                match self.control.recv().await {
                    Some(Control::ReconnectNow) => break,
                    Some(Control::Write(_, reply)) => {
                        let message = format!("the feed {:?} is not running", self.feed.name);
                        let _ = reply.send(Reply::Error { message });
                    }
                    Some(Control::Stop) | None => return,
                }
            }
        };
        let runner = Runner {
            id: self.id,
            resolved: self.feed.resolved(),
            feed: self.feed,
            setup,
            writer: self.writer,
            sink: self.sink,
            control: self.control,
            state: self.state,
            me: None,
            snapshot_problem: false,
            remaining: self.max_events,
            changes: self.changes,
        };
        runner.run().await;
    }
}
