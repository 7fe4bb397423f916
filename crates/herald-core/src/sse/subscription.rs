//! One SSE subscription: a task that owns the HTTP connection and keeps it alive.
//!
//! The owner talks to the task through a [`Subscription`] handle: commands go
//! in over a channel, events come out over a bounded channel (so a slow
//! consumer slows the reader instead of losing events), and the connection
//! state is published on a watch channel that always holds the latest value.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{mpsc, watch};

use super::clock::{Clock, SystemClock};
use super::connection::{Command, Connection};
use super::decoder::{Decoder, Event, DEFAULT_MAX_EVENT_BYTES};
use super::state::{ConnectionState, Phase};
use super::transport::{HttpTransport, Transport};

/// How to reach a feed and how patient to be with it.
#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    pub url: String,
    /// Extra request headers, such as `Authorization`.
    pub headers: HeaderMap,
    /// Resume after this event (sent as `Last-Event-ID`); empty for none.
    pub last_event_id: String,
    /// The reconnection delay until the server sends `retry:`.
    pub retry: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Reconnect when no byte arrives for this long.
    pub stall_timeout: Duration,
    pub max_event_bytes: usize,
    /// How the server is told where to resume.
    pub resume: Resume,
    /// A JSON pointer to the cursor inside each event's data, for servers
    /// that send no `id:` lines (ntfy: `/id`); it then is the last event ID.
    pub cursor_pointer: Option<String>,
}

/// How a feed tells the server where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    /// The `Last-Event-ID` header, as the standard has it.
    #[default]
    Header,
    /// A query parameter of this name: Nchan's `last_event_id`, older
    /// Mercure hubs' `lastEventID`, ntfy's `since`.
    Query(String),
}

impl SubscriptionConfig {
    pub fn new(url: impl Into<String>) -> Self {
        SubscriptionConfig {
            url: url.into(),
            headers: HeaderMap::new(),
            last_event_id: String::new(),
            retry: Duration::from_secs(3),
            max_backoff: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(45),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            resume: Resume::Header,
            cursor_pointer: None,
        }
    }

    pub fn bearer(mut self, token: &str) -> Result<Self, InvalidHeader> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| InvalidHeader("Authorization".into()))?;
        value.set_sensitive(true);
        self.headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(self)
    }

    /// HTTP Basic authentication (RFC 7617), marked sensitive like [`Self::bearer`].
    pub fn basic(mut self, username: &str, password: &str) -> Result<Self, InvalidHeader> {
        use base64::Engine as _;
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let mut value = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| InvalidHeader("Authorization".into()))?;
        value.set_sensitive(true);
        self.headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(self)
    }

    pub fn header(mut self, name: &str, value: &str) -> Result<Self, InvalidHeader> {
        let bad = || InvalidHeader(name.to_owned());
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        self.headers.insert(name, HeaderValue::from_str(value).map_err(|_| bad())?);
        Ok(self)
    }

    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the header {0} has an invalid name or value")]
pub struct InvalidHeader(pub String);

/// The handle to a running subscription. Dropping it ends the subscription.
pub struct Subscription {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Vec<Event>>,
    /// The rest of the batch being handed out.
    pending: std::collections::VecDeque<Event>,
    state: watch::Receiver<ConnectionState>,
}

/// Batches of events (one per chunk read) buffered between the connection task and a busy consumer.
const EVENT_BUFFER: usize = 32;

/// `next_batch` takes queued batches together up to about this many events.
const MAX_TAKEN: usize = 8192;

impl Subscription {
    /// Starts the connection task on the current tokio runtime, over HTTP.
    pub fn start(client: reqwest::Client, config: SubscriptionConfig) -> Subscription {
        Subscription::start_with(Arc::new(HttpTransport(client)), Arc::new(SystemClock), config)
    }

    /// Starts the connection task with a given transport and clock.
    pub fn start_with(
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: SubscriptionConfig,
    ) -> Subscription {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::channel(EVENT_BUFFER);
        let (state_tx, state) =
            watch::channel(ConnectionState { phase: Phase::Connecting, last_heard: None, opened: 0 });
        let connection = Connection {
            decoder: Decoder::new(config.max_event_bytes).with_last_event_id(config.last_event_id.clone()),
            retry: config.retry,
            transport,
            clock,
            config,
            commands: command_rx,
            events: event_tx,
            state: state_tx,
            last_heard: None,
            opened: 0,
        };
        tokio::spawn(connection.run());
        Subscription { commands, events, pending: Default::default(), state }
    }

    /// The next event; `None` once the subscription has stopped.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            self.pending = self.events.recv().await?.into();
        }
    }

    /// Every event that has arrived and not been taken yet (at least one),
    /// in order; `None` once the subscription has stopped. For consumers that
    /// handle events in bulk, such as writing them to the store.
    pub async fn next_batch(&mut self) -> Option<Vec<Event>> {
        let mut batch: Vec<Event> =
            if self.pending.is_empty() { self.events.recv().await? } else { self.pending.drain(..).collect() };
        // A reader slower than the connection (one writing to disk, say)
        // finds batches queued: taking them together lets it commit once.
        while batch.len() < MAX_TAKEN {
            match self.events.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// A receiver of the connection state.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Skips any wait and reconnects now (e.g. on resume from sleep).
    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }

    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}
