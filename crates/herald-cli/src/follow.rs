//! One feed's task in `sync`: it reads the feed's subscription and tells
//! the writer what arrived, and it resyncs from the feed's snapshot whenever
//! continuity is broken:
//!
//! - on start, since the data may have changed while Herald was closed
//!   (and then the stream resumes from the snapshot's own cursor);
//! - on `event: reset`, the hub's word that the cursor is older than its
//!   history (the subscription is restarted from the snapshot's cursor);
//! - on every reconnection of a stream that carries no ids, since such a
//!   server cannot replay what was sent while Herald was away;
//! - on a gap, for a feed whose ids are consecutive integers
//!   (`sequential_ids`): an id that skips ahead means events were lost.

use herald_core::resync::{fetch_snapshot, GapWatch};
use herald_core::sse::{Event, Phase, Subscription, SubscriptionConfig};
use herald_core::store::{Feed, FeedId, Snapshot};
use tokio::sync::mpsc;

/// What a feed's task tells the writer.
pub enum News {
    Events(FeedId, String, Vec<Event>),
    Phase(String, Phase),
    Snapshot { id: FeedId, name: String, key_field: String, snapshot: Snapshot },
    Warning(String),
}

/// The event type by which the hub says it cannot replay from the cursor.
const RESET: &str = "reset";

pub struct Follow {
    pub id: FeedId,
    pub feed: Feed,
    pub client: reqwest::Client,
    pub config: SubscriptionConfig,
    pub news: mpsc::Sender<News>,
}

impl Follow {
    /// Runs until the writer goes away or the subscription ends for good.
    pub async fn run(mut self) {
        let resyncs = self.feed.settings.snapshot_url.is_some();
        if resyncs {
            self.resync_from_snapshot().await;
        }
        let mut subscription = Subscription::start(self.client.clone(), self.config.clone());
        let mut state = subscription.state();
        let mut shown: Option<std::mem::Discriminant<Phase>> = None;
        // The first connection follows a snapshot already.
        let mut synced_at_opening = 1u32;
        let mut gaps = self.feed.settings.sequential_ids.then(|| GapWatch::new(&self.config.last_event_id));
        // A feed with a cursor resumes by it; only one without is resynced on reconnection.
        let mut heard_ids = !self.config.last_event_id.is_empty();
        loop {
            tokio::select! {
                biased;
                changed = state.changed() => {
                    let (phase, opened) = {
                        let now = state.borrow_and_update();
                        (now.phase.clone(), now.opened)
                    };
                    // A new connection, even if its phases went by unseen.
                    if resyncs && !heard_ids && opened > synced_at_opening {
                        synced_at_opening = opened;
                        self.resync_from_snapshot().await;
                    }
                    let kind = std::mem::discriminant(&phase);
                    if shown != Some(kind) {
                        shown = Some(kind);
                        if !self.tell(News::Phase(self.feed.name.clone(), phase)).await {
                            return;
                        }
                    }
                    if changed.is_err() {
                        return;
                    }
                }
                batch = subscription.next_batch() => {
                    let Some(mut batch) = batch else { return };
                    heard_ids |= batch.iter().any(|e| !e.last_event_id.is_empty());
                    let reset = resyncs && batch.iter().any(|e| &*e.event == RESET);
                    let gap = gaps.as_mut().and_then(|gaps| gaps.find(&batch)).is_some();
                    // Everything that arrived is kept; the reset itself is only a signal.
                    let last = batch.last().map(|e| e.last_event_id.to_string()).unwrap_or_default();
                    if reset {
                        batch.retain(|e| &*e.event != RESET);
                    }
                    if !batch.is_empty() && !self.tell(News::Events(self.id, self.feed.name.clone(), batch)).await {
                        return;
                    }
                    if reset || gap {
                        // The snapshot, taken after these arrived, covers what was lost.
                        // With its own cursor, the stream starts again from exactly there.
                        self.config = self.config.clone().last_event_id(last);
                        if self.resync_from_snapshot().await {
                            subscription.close();
                            subscription = Subscription::start(self.client.clone(), self.config.clone());
                            state = subscription.state();
                            shown = None;
                            synced_at_opening = 1;
                        }
                        if let Some(gaps) = gaps.as_mut() {
                            *gaps = GapWatch::new(&self.config.last_event_id);
                        }
                    }
                }
            }
        }
    }

    /// Fetches the snapshot and hands it to the writer; the stream then
    /// resumes from its cursor, if it has one (and then this is true). A
    /// snapshot that cannot be fetched is reported, and the feed goes on
    /// with its stream.
    async fn resync_from_snapshot(&mut self) -> bool {
        let Some(url) = self.feed.settings.snapshot_url.clone() else { return false };
        let key_field = self.feed.key_field().to_owned();
        match fetch_snapshot(&self.client, &url, &self.config.headers, &key_field).await {
            Ok(snapshot) => {
                let resumes = snapshot.cursor.is_some();
                if let Some(cursor) = &snapshot.cursor {
                    self.config = self.config.clone().last_event_id(cursor.clone());
                }
                let news = News::Snapshot { id: self.id, name: self.feed.name.clone(), key_field, snapshot };
                self.tell(news).await;
                resumes
            }
            Err(e) => {
                let warning = format!("feed {:?}: cannot resync, so changes may have been missed: {e}", self.feed.name);
                self.tell(News::Warning(warning)).await;
                false
            }
        }
    }

    async fn tell(&self, news: News) -> bool {
        self.news.send(news).await.is_ok()
    }
}
