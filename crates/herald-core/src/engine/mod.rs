//! The engine: Herald's one feed runner. It follows every stored feed, owns
//! the single store writer, resyncs, and tells its sinks what happened.
//!
//! Its shape is ripgrep's: one engine, many consumers. `herald-cli tail`,
//! `sync` and the app's relay are all sinks of the same [`EngineEvent`]
//! stream, and they steer it with the same typed calls ([`calls`]), each
//! answered with its own type by [`Engine::ask`]. Nothing else
//! in Herald reads a subscription, so a rule about staying connected, or
//! about what counts as missed, lives here once.
//!
//! - one task per feed ([`runner`]) owns that feed's connection;
//! - one thread ([`writer`]) owns the store, and every write goes through it;
//! - the supervisor (this module's task) starts and stops runners as
//!   calls say, answers queries, and applies retention.
//!
//! Because the calls are serde messages, the tray process's socket carries
//! them as they are, and `herald-cli` asks a Herald running elsewhere just
//! as it asks an engine of its own.

mod act;
mod answers;
mod api;
pub mod calls;
mod feed_state;
mod health;
mod rest;
mod runner;
mod snapshot;
mod start;
mod supervisor;
mod upcoming;
mod write;
mod writer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{mpsc, oneshot};

pub use act::same_origin;
pub use api::{EngineEvent, FeedKind, FeedState, Record};
pub use calls::*;
pub use health::{Condition, Health};
pub use snapshot::{fetch_snapshot, FetchError, GapWatch, MAX_SNAPSHOT_BYTES, SEQUENCE_HEADER};
pub use supervisor::{EngineCall, Job};
pub use writer::{Writer, WriterGone};

use crate::error::Error;
use crate::proxy::{DesktopProxies, NoDesktop};
use crate::secrets::Secrets;
use crate::store::{Store, StoreError};
use supervisor::Supervisor;

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
    /// The desktop's proxy setting, for feeds that name no proxy of their
    /// own where the environment names none (see [`crate::proxy`]).
    pub desktop_proxies: Arc<dyn DesktopProxies>,
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
    /// Whether [`EngineEvent::Events`] carries events the store had
    /// already, which a server sent again. Only `tail` without a store
    /// wants them (it prints what the server sends); every other sink is
    /// told each event once.
    pub repeats: bool,
}

impl EngineConfig {
    pub fn new(store: StoreAt, secrets: Arc<dyn Secrets>) -> EngineConfig {
        EngineConfig {
            store,
            secrets,
            desktop_proxies: Arc::new(NoDesktop),
            follow: Follow::All,
            extra_headers: BTreeMap::new(),
            prune_every: Duration::from_secs(600),
            max_events: None,
            changes: true,
            repeats: false,
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

/// The handle to a running engine: calls in, each answered with its own
/// type. The engine stops (and with it every feed) when the last handle is
/// dropped.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Engine {
    /// Opens the store, starts following the feeds, and returns the handle
    /// and the sink's stream of events. Everything from the very start is
    /// on that stream, the first resync's digest included.
    pub async fn start(config: EngineConfig) -> Result<(Engine, mpsc::Receiver<EngineEvent>), EngineError> {
        let mut store = match config.store {
            StoreAt::Open(store) => store,
            StoreAt::Memory => Store::in_memory()?,
            StoreAt::Path(path) => crate::blocking::run(move || Store::open_or_recover(&path)).await?,
        };
        let recovered = store.take_recovery();
        let writer = Writer::start(store).map_err(EngineError::Writer)?;
        let feeds = writer.call(|store| store.feeds()).await??;
        if let Follow::Only(names) = &config.follow {
            if let Some(missing) = names.iter().find(|name| !feeds.iter().any(|f| &f.name == *name)) {
                return Err(StoreError::NoSuchFeed(missing.clone()).into());
            }
        }
        let (sink, events) = mpsc::channel(SINK_BUFFER);
        if let Some(recovery) = recovered {
            // The channel is new and empty: this cannot find it full.
            let _ = sink.try_send(EngineEvent::StoreRecovered { recovery });
        }
        let (jobs, incoming) = mpsc::unbounded_channel();
        let mut supervisor = Supervisor {
            writer,
            sink,
            secrets: config.secrets,
            desktop_proxies: config.desktop_proxies,
            extra_headers: config.extra_headers,
            max_events: config.max_events,
            changes: config.changes,
            repeats: config.repeats,
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
        Ok((Engine { jobs }, events))
    }

    /// Asks the engine, and waits for the answer.
    pub async fn ask<C: EngineCall>(&self, call: C) -> crate::call::Answer<C> {
        let (answer, answered) = oneshot::channel();
        self.jobs.send(call.job(answer)).map_err(|_| Error::stopped())?;
        answered.await.map_err(|_| Error::stopped())?
    }
}
