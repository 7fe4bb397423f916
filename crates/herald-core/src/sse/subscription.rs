//! One SSE subscription: a task that owns the HTTP connection and keeps it alive.
//!
//! The owner talks to the task through a [`Subscription`] handle: commands go
//! in over a channel, events come out over a bounded channel (so a slow
//! consumer slows the reader instead of losing events), and the connection
//! state is published on a watch channel that always holds the latest value.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::clock::{Clock, SystemClock};
use super::config::SubscriptionConfig;
use super::connection::{Command, Connection};
use super::decoder::{Decoder, Event};
use super::state::{ConnectionState, Phase};
use super::transport::{HttpTransport, Transport};

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
        let first = ConnectionState::new(Phase::Connecting, config.stall_timeout, config.keepalive);
        let (state_tx, state) = watch::channel(first);
        let keepalive = config.keepalive;
        let connection = Connection {
            keepalive,
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
            refused: None,
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
