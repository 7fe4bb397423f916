//! One feed's task: it owns the feed's subscription, hands what arrives to
//! the store writer (with what it means, in the same transaction), tells the
//! sinks, and resyncs from the feed's snapshot whenever continuity is broken:
//!
//! - on start, since the data may have changed while Herald was closed
//!   (and then the stream resumes from the snapshot's own cursor);
//! - on `event: reset`, the hub's word that the cursor is older than its
//!   history (the subscription is restarted from the snapshot's cursor);
//! - on every reconnection of a stream that carries no ids, since such a
//!   server cannot replay what was sent while Herald was away (a task-list
//!   server's first connection included: its snapshot is taken once the
//!   stream is open, so nothing falls between the two);
//! - on a gap, for a feed whose ids are consecutive integers
//!   (`sequential_ids`): an id that skips ahead means events were lost.
//!
//! A batch that does not fit on a full disk pauses the feed, disconnected,
//! until it does (`room.rs`): nothing is acknowledged that was not stored,
//! and the feed resumes from its durable cursor.
//!
//! The resync itself is in `resync.rs`; what the feed does with others
//! (who the user is, who is here, the record open, writes) in `together.rs`.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::api::{EngineEvent, FeedState};
use super::feed_state::{Gone, StateCell};
use super::rest;
use super::snapshot::{fetch_snapshot, GapWatch};
use super::write::{self as conditional, Resend, Written};
use super::writer::Writer;
use crate::error::Error;
use crate::feed::meaning::{self, Context, Read, RecordOp};
use crate::feed::presence;
use crate::feed::rules;
use crate::feed::{
    ActionResult, Change, Digest, Feed, Level, Meaning, MessageAction, RecordMeaning, Resolved, Rule, Setup, Write,
};
use crate::sse::{now_ms, ConnectionState, Event, Failure, Phase, StopReason, Subscription};
use crate::store::{FeedId, MissedChange};

// The event type by which the hub says it cannot replay from the cursor.
use herald_wire::RESET_EVENT as RESET;

/// What the engine may tell a running feed.
pub(super) enum Control {
    ReconnectNow,
    Stop,
    Write(Write, oneshot::Sender<Result<(), Error>>),
    /// The record the user has open, to tell the server (presence).
    View(Option<String>),
    /// Send a message's http action (confirmed by the user, or to a host
    /// the feed allows); keep what came of it beside the message in `row`.
    Act {
        action: MessageAction,
        row: i64,
        confirmed: bool,
        reply: oneshot::Sender<Result<ActionResult, Error>>,
    },
    /// Ask an ntfy server for the topic's scheduled messages.
    Upcoming(oneshot::Sender<Result<Vec<Change>, Error>>),
}

impl Control {
    /// Answers a call that needs the feed following (a write, an action,
    /// the upcoming messages) with `error`, and gives back any other.
    pub(super) fn refuse(self, error: impl FnOnce() -> Error) -> Option<Control> {
        match self {
            Control::Write(_, reply) => drop(reply.send(Err(error()))),
            Control::Act { reply, .. } => drop(reply.send(Err(error()))),
            Control::Upcoming(reply) => drop(reply.send(Err(error()))),
            other => return Some(other),
        }
        None
    }
}

pub(super) struct Runner {
    pub id: FeedId,
    pub feed: Feed,
    pub resolved: Resolved,
    pub setup: Setup,
    pub writer: Writer,
    pub sink: mpsc::Sender<EngineEvent>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub state: StateCell,
    /// The user's actor name on this feed, once known.
    pub me: Option<String>,
    /// The record the user has open, told again on every new connection:
    /// a restarted server has forgotten it.
    pub viewing: Option<String>,
    /// The feed's problem is its snapshot's, which a good resync clears.
    pub snapshot_problem: bool,
    /// New events still to take before stopping, when limited.
    pub remaining: Option<u64>,
    /// Whether the sinks are told events the store had already (see
    /// `EngineConfig::repeats`).
    pub repeats: bool,
    /// Whether the sinks want changes (see `EngineConfig::changes`).
    pub changes: bool,
    /// What the feed's events mean, and the record meaning that keeps its
    /// records and judges its resyncs: made once, shared with the writer.
    pub meaning: Arc<Meaning>,
    pub records: Arc<RecordMeaning>,
    /// The feed's rules, judged on each change where its data is at hand.
    pub rules: Arc<Vec<Rule>>,
    /// The unread count is told at most every [`UNREAD_PACE`]: counting it
    /// is a walk of the unread events, too much for every batch of a storm.
    /// When a batch goes untold, it is told once the pace allows.
    pub unread_at: tokio::time::Instant,
    pub unread_stale: bool,
}

/// How often a feed's unread count may be counted and told.
const UNREAD_PACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Why following stopped short.
pub(super) enum Halt {
    /// The sinks are gone, or the feed was told to stop.
    Gone,
    /// This batch did not fit on the disk: nothing of it was stored.
    DiskFull(Vec<Event>),
}

impl From<Gone> for Halt {
    fn from(_: Gone) -> Halt {
        Halt::Gone
    }
}

impl Runner {
    /// Runs until told to stop, or until the subscription ends for good.
    /// A full disk pauses it, and it follows again once there is room.
    pub async fn run(mut self) {
        while let Err(Halt::DiskFull(held)) = self.follow().await {
            if self.wait_for_room(held).await.is_err() {
                return;
            }
        }
    }

    async fn follow(&mut self) -> Result<(), Halt> {
        self.find_me().await?;
        let resyncs = self.resolved.snapshot_url.is_some();
        let no_ids = self.resolved.no_ids;
        if resyncs && !no_ids {
            self.resync().await?;
        }
        let mut subscription = Subscription::start(self.setup.client.clone(), self.setup.config.clone());
        let mut state = subscription.state();
        // The first connection follows a snapshot already, unless the
        // stream has no ids: then every opening is followed by one.
        let mut synced_at_opening = if no_ids { 0 } else { 1 };
        let mut gaps = self.resolved.sequential_ids.then(|| GapWatch::new(&self.setup.config.last_event_id));
        // A feed with a cursor resumes by it; only one without is resynced on reconnection.
        let mut heard_ids = !no_ids && !self.setup.config.last_event_id.is_empty();
        loop {
            tokio::select! {
                biased;
                control = self.control.recv() => match control {
                    Some(Control::ReconnectNow) => subscription.reconnect_now(),
                    Some(Control::Write(write, reply)) => self.write(write, reply),
                    Some(Control::Act { action, row, confirmed, reply }) => self.act(action, row, confirmed, reply),
                    Some(Control::Upcoming(reply)) => self.upcoming(reply),
                    Some(Control::View(key)) => {
                        self.viewing = key;
                        self.view();
                    }
                    Some(Control::Stop) | None => {
                        subscription.close();
                        return Ok(());
                    }
                },
                changed = state.changed() => {
                    let now = state.borrow_and_update().clone();
                    if matches!(now.phase, Phase::Stopped { .. }) {
                        // What arrived before the end is handed on before the end is told.
                        while let Some(batch) = subscription.next_batch().await {
                            self.take(batch).await?;
                        }
                    }
                    // A new connection, even if its phases went by unseen.
                    if resyncs && !heard_ids && now.opened > synced_at_opening {
                        synced_at_opening = now.opened;
                        self.resync().await?;
                    }
                    self.connection(now).await?;
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                _ = tokio::time::sleep_until(self.unread_at), if self.unread_stale => {
                    self.tell_unread().await?;
                }
                batch = subscription.next_batch() => {
                    let Some(mut batch) = batch else {
                        let last = state.borrow().clone();
                        return Ok(self.connection(last).await?);
                    };
                    self.hear_presence(&mut batch).await?;
                    heard_ids |= !no_ids && batch.iter().any(|e| !e.last_event_id.is_empty());
                    let reset = resyncs && batch.iter().any(|e| &*e.event == RESET);
                    let gap = gaps.as_mut().and_then(|gaps| gaps.find(&batch)).is_some();
                    // Everything that arrived is kept; the reset itself is only a signal.
                    let last = batch.last().map(|e| e.last_event_id.to_string()).unwrap_or_default();
                    if reset {
                        batch.retain(|e| &*e.event != RESET);
                    }
                    self.take(batch).await?;
                    if self.remaining == Some(0) {
                        subscription.close();
                        return Ok(());
                    }
                    if reset || gap {
                        // The snapshot, taken after these arrived, covers what was lost.
                        // With its own cursor, the stream starts again from exactly there.
                        self.setup.config.last_event_id = last;
                        if self.resync().await? {
                            subscription.close();
                            subscription = Subscription::start(self.setup.client.clone(), self.setup.config.clone());
                            state = subscription.state();
                            synced_at_opening = 1;
                        }
                        if let Some(gaps) = gaps.as_mut() {
                            *gaps = GapWatch::new(&self.setup.config.last_event_id);
                        }
                    }
                }
            }
        }
    }

    /// Stores and tells a batch, as far as a limit on events allows.
    async fn take(&mut self, mut batch: Vec<Event>) -> Result<(), Halt> {
        if let Some(remaining) = self.remaining {
            batch = self.up_to(batch, remaining).await?;
        }
        if batch.is_empty() {
            return Ok(());
        }
        let told = self.ingest(batch).await?;
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining = remaining.saturating_sub(told);
        }
        Ok(())
    }

    /// The events of `batch` up to the `limit`-th that the sinks will be
    /// told: a replay of what the store holds does not count.
    async fn up_to(&self, mut batch: Vec<Event>, limit: u64) -> Result<Vec<Event>, Gone> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        if self.repeats {
            batch.truncate(limit);
            return Ok(batch);
        }
        let id = self.id;
        let (unseen, mut batch) =
            self.writer.call(move |store| (store.unseen(id, &batch), batch)).await.map_err(|_| Gone)?;
        // A store that cannot answer keeps the batch whole: the ingest will say why.
        if let Ok(unseen) = unseen {
            let last = unseen.iter().enumerate().filter(|(_, new)| **new).nth(limit - 1).map(|(at, _)| at + 1);
            batch.truncate(last.unwrap_or(batch.len()));
        }
        Ok(batch)
    }

    /// Counts the unread events, onto the feed's state.
    async fn tell_unread(&mut self) -> Result<(), Gone> {
        let id = self.id;
        let unread = self.writer.call(move |store| store.unread(id)).await.map_err(|_| Gone)?;
        self.unread_at = tokio::time::Instant::now() + UNREAD_PACE;
        self.unread_stale = false;
        match unread {
            Ok(unread) => self.publish(|state| state.unread = unread).await,
            Err(e) => {
                tracing::warn!(feed = %self.feed.name, error = %e, "counting unread events failed");
                Ok(())
            }
        }
    }

    async fn tell(&self, event: EngineEvent) -> Result<(), Gone> {
        self.sink.send(event).await.map_err(|_| Gone)
    }

    /// Publishes the feed's state if `change` altered it.
    async fn publish(&self, change: impl FnOnce(&mut FeedState)) -> Result<(), Gone> {
        self.state.publish(change).await
    }

    /// A new connection state: news when its phase changed (every failed
    /// attempt is, with its reason), not when only `last_heard` ticked.
    async fn connection(&self, now: ConnectionState) -> Result<(), Gone> {
        let (old_phase, old_opened, old_keepalive) = {
            let state = self.state.borrow();
            (state.connection.phase.clone(), state.connection.opened, state.connection.keepalive_ms)
        };
        let learned = now.keepalive_ms.filter(|ms| old_keepalive.is_none_or(|old| *ms > old));
        if let Some(ms) = learned {
            self.keep_keepalive(ms).await?;
        }
        if old_phase == now.phase && old_opened == now.opened {
            if learned.is_some() {
                return self.publish(|state| state.connection = now).await;
            }
            self.state.quietly(|state| state.connection.last_heard = now.last_heard);
            return Ok(());
        }
        let recycled = matches!(&now.phase, Phase::Retrying { reason: Failure::Stalled { .. }, .. });
        let error = match &now.phase {
            Phase::Retrying { reason, .. } => Some(reason.to_string()),
            Phase::Stopped { reason } if !matches!(reason, StopReason::NoContent | StopReason::Closed) => {
                Some(reason.to_string())
            }
            _ => None,
        };
        // Who is here is known only while connected; the server says it
        // again on the next connection, and is told again what is open.
        let open = matches!(now.phase, Phase::Open { .. });
        let new_connection = old_opened != now.opened || !matches!(old_phase, Phase::Open { .. });
        if open && new_connection && self.viewing.is_some() {
            self.view();
        }
        self.publish(|state| {
            if !open {
                state.present.clear();
            }
            state.connection = now;
            state.recycled += u32::from(recycled);
            if error.is_some() {
                state.last_error = error;
            }
        })
        .await
    }

    /// Keeps the longest wait for the server's keepalive seen on this feed,
    /// so that the next start allows for it from the first byte.
    async fn keep_keepalive(&self, ms: u64) -> Result<(), Gone> {
        let id = self.id;
        let gap = std::time::Duration::from_millis(ms);
        tracing::info!(feed = %self.feed.name, keepalive_ms = ms, "learned the server's keepalive");
        let kept = self.writer.call(move |store| store.learn_keepalive(id, gap)).await.map_err(|_| Gone)?;
        if let Err(e) = kept {
            tracing::warn!(feed = %self.feed.name, error = %e, "keeping the learned keepalive failed");
        }
        Ok(())
    }

    /// Stores a batch with what it means, then tells the sinks: whatever
    /// they show is already durable. A replay of events the store holds is
    /// stored and told once. Returns how many events the sinks were told.
    async fn ingest(&mut self, events: Vec<Event>) -> Result<u64, Halt> {
        let (meaning, plain_records, rules) = (self.meaning.clone(), self.records.clone(), self.rules.clone());
        let settings = self.feed.settings.clone();
        let keeps_records = self.resolved.snapshot_url.is_some();
        let (id, name, me) = (self.id, self.feed.name.clone(), self.me.clone());
        let count_unread = tokio::time::Instant::now() >= self.unread_at;
        let repeats = self.repeats;
        let done = self
            .writer
            .call(move |store| {
                let ctx = Context { feed: &name, me: me.as_deref(), now: now_ms() };
                let mut unreadable = None;
                let mut fresh = Vec::new();
                let stored = store.ingest_with(id, &events, ctx.now, |at, event, records| {
                    fresh.push(at);
                    // What the event means, and the records it keeps: a
                    // message or plain feed with a snapshot keeps its
                    // records too, to resync, but means its messages.
                    let (said, record) = match &*meaning {
                        Meaning::Record(record) => (None, record),
                        Meaning::Message(message) => (Some(message.read(ctx, event)), &*plain_records),
                        Meaning::Raw => (Some(Some(meaning::raw(ctx, event))), &*plain_records),
                    };
                    let judged = |change: Option<Change>| {
                        change.map(|mut change| {
                            rules::judge(&rules, &event.event, &event.data, &mut change);
                            allow_actions(&settings, &mut change);
                            change
                        })
                    };
                    if said.is_some() && !keeps_records {
                        return Ok(judged(said.flatten()));
                    }
                    let change = match record.read(event) {
                        Read::Ignored => None,
                        Read::Unreadable(reason) => {
                            let change = meaning::unreadable(ctx, event, &reason);
                            unreadable = Some(change.summary.clone());
                            Some(change)
                        }
                        Read::Keyed { kind, key, data } => {
                            let before = records.get(&key)?;
                            let (change, op) = record.apply(ctx, event, kind, key, data, before.as_ref());
                            match op {
                                RecordOp::Put(key, value) => records.put(&key, &value)?,
                                RecordOp::Remove(key) => records.remove(&key)?,
                                RecordOp::Keep => {}
                            }
                            change
                        }
                    };
                    Ok(judged(match said {
                        Some(said) => said,
                        None => change,
                    }))
                });
                let news = stored.as_ref().is_ok_and(|(done, _)| done.stored > 0);
                let unread = (news && count_unread).then(|| store.unread(id).ok()).flatten();
                // The sinks hear each event once, however often the server
                // sends it. A batch that was not stored is kept whole.
                let events = if stored.is_err() || repeats || fresh.len() == events.len() {
                    events
                } else {
                    fresh.iter().map(|&at| events[at].clone()).collect()
                };
                (stored, events, unreadable, (news, unread))
            })
            .await
            .map_err(|_| Gone)?;
        let (stored, events, mut unreadable, (news, unread)) = done;
        let changes = match stored {
            Ok((_, changes)) => changes,
            Err(e) if e.is_disk_full() => return Err(Halt::DiskFull(events)),
            Err(e) => {
                let message = format!("storing its events failed: {e}");
                tracing::error!(feed = %self.feed.name, %message);
                return Ok(self.stop_failed(message).await?);
            }
        };
        if !matches!(&*self.meaning, Meaning::Record(_)) {
            // Only a record feed's records are its own to judge.
            unreadable = None;
        }
        let told = events.len() as u64;
        if !events.is_empty() {
            self.tell(EngineEvent::Events { feed: self.feed.name.clone(), events }).await?;
        }
        if self.changes && !changes.is_empty() {
            self.tell(EngineEvent::Changes { changes }).await?;
        }
        if let Some(unread) = unread {
            self.unread_at = tokio::time::Instant::now() + UNREAD_PACE;
            self.unread_stale = false;
            self.publish(|state| state.unread = unread).await?;
        } else if news {
            self.unread_stale = true;
        }
        if unreadable.is_some() {
            // The feed's health says so; the event itself is in the timeline.
            self.publish(|state| state.unreadable = unreadable).await?;
        }
        Ok(told)
    }

    /// Stops following after a failure no retry can fix, and says why.
    async fn stop_failed<T>(&self, message: String) -> Result<T, Gone> {
        self.publish(|state| {
            state.connection.phase = Phase::Stopped { reason: StopReason::Failed { message: message.clone() } };
            state.problem = Some(message);
        })
        .await?;
        Err(Gone)
    }
}

/// Marks the `http` actions the feed allows to be sent without asking.
fn allow_actions(settings: &crate::feed::FeedSettings, change: &mut Change) {
    for action in &mut change.extras.actions {
        if let MessageAction::Http { url, allowed, .. } = action {
            *allowed = settings.allows_action_to(url);
        }
    }
}

mod resync;
mod room;
mod together;
