//! Getting a feed's runner going: its setup needs the feed's secret, a
//! blocking keyring call made off the runtime's threads ([`Feed::setup`]).
//! A setup that fails stops the feed with the reason, until it is told to
//! try again.

use std::sync::Arc;

use reqwest::header::HeaderMap;
use tokio::sync::mpsc;

use super::api::EngineEvent;
use super::feed_state::StateCell;
use super::runner::{Control, Runner};
use super::writer::Writer;
use crate::error::Error;
use crate::feed::{Feed, Meaning, RecordMeaning, SetupFailure};
use crate::proxy::DesktopProxies;
use crate::secrets::Secrets;
use crate::sse::{Phase, StopReason};
use crate::store::FeedId;

/// What a runner needs before it can run: its secret (a blocking keyring
/// call, so it is fetched off the runtime's threads) and its cursor.
pub(super) struct RunnerStart {
    pub id: FeedId,
    pub feed: Feed,
    pub cursor: Option<String>,
    /// The longest wait for the server's keepalive learned before.
    pub keepalive: Option<std::time::Duration>,
    pub secrets: Arc<dyn Secrets>,
    pub desktop_proxies: Arc<dyn DesktopProxies>,
    pub extra: HeaderMap,
    pub writer: Writer,
    pub sink: mpsc::Sender<EngineEvent>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub state: StateCell,
    pub max_events: Option<u64>,
    pub changes: bool,
    pub repeats: bool,
}

impl RunnerStart {
    pub async fn run(mut self) {
        let setup = loop {
            let (secrets, extra) = (self.secrets.clone(), self.extra.clone());
            let setup = self.feed.setup(self.cursor.clone(), self.keepalive, secrets, &*self.desktop_proxies, extra);
            let reason = match setup.await {
                Ok(setup) => break setup,
                Err(e) => match e.kind {
                    SetupFailure::Secret => StopReason::NeedsSecret { message: e.reason },
                    SetupFailure::Identity => StopReason::IdentityRefused { message: e.reason },
                    SetupFailure::Settings => StopReason::Failed { message: e.reason },
                },
            };
            let stopped = self.state.publish(|state| {
                state.problem = Some(reason.to_string());
                state.connection.phase = Phase::Stopped { reason };
            });
            if stopped.await.is_err() {
                return;
            }
            // Until told to try again (the secret may be in the keyring now).
            loop {
                let not_running = || Error::unavailable(format!("the feed {:?} is not running", self.feed.name));
                match self.control.recv().await.map(|control| control.refuse(not_running)) {
                    Some(Some(Control::ReconnectNow)) => break,
                    Some(Some(Control::Stop)) | None => return,
                    Some(_) => {}
                }
            }
        };
        let route = setup.route.clone();
        if self.state.publish(|state| state.route = Some(route)).await.is_err() {
            return;
        }
        let resolved = self.feed.resolved();
        // The record meaning used to keep records and judge resyncs: the
        // feed's own, or a plain one by its key for a feed with only a snapshot.
        let records = match &resolved.meaning {
            Meaning::Record(record) => record.clone(),
            _ => RecordMeaning { key: resolved.key.clone(), ..RecordMeaning::default() },
        };
        let runner = Runner {
            id: self.id,
            meaning: Arc::new(resolved.meaning.clone()),
            records: Arc::new(records),
            rules: Arc::new(self.feed.settings.rules.clone()),
            unread_at: tokio::time::Instant::now(),
            unread_stale: false,
            resolved,
            feed: self.feed,
            setup,
            writer: self.writer,
            sink: self.sink,
            control: self.control,
            state: self.state,
            me: None,
            viewing: None,
            snapshot_problem: false,
            remaining: self.max_events,
            changes: self.changes,
            repeats: self.repeats,
        };
        runner.run().await;
    }
}
