//! A feed's state has one home: the [`StateCell`] its runner and the
//! supervisor share. Whoever learns something of the feed writes it there
//! through [`StateCell::publish`], which tells the sinks the whole state
//! once, if anything changed. So every `EngineEvent::State` is the feed as
//! it is, its unread count included, and no sink has to patch one fact
//! from another event (as the tray once did not, and lost the count on
//! every reconnect).
//!
//! The runner writes the connection, problems and presence, and the unread
//! count as events arrive; the supervisor writes the unread count when the
//! user reads, since a feed's runner may not be running then.

use tokio::sync::{mpsc, watch};

use super::api::{EngineEvent, FeedState};

/// The sinks are gone: the engine is shutting down.
#[derive(Debug)]
pub(super) struct Gone;

/// A feed's state, and the sinks to tell of its changes.
#[derive(Clone)]
pub(super) struct StateCell {
    state: watch::Sender<FeedState>,
    sink: mpsc::Sender<EngineEvent>,
}

impl StateCell {
    pub fn new(first: FeedState, sink: mpsc::Sender<EngineEvent>) -> StateCell {
        StateCell { state: watch::Sender::new(first), sink }
    }

    /// The state as it is now.
    pub fn get(&self) -> FeedState {
        self.state.borrow().clone()
    }

    /// Reads the state without cloning it.
    pub fn borrow(&self) -> watch::Ref<'_, FeedState> {
        self.state.borrow()
    }

    /// Tells the sinks the state as it is.
    pub async fn announce(&self) -> Result<(), Gone> {
        let state = Box::new(self.get());
        self.sink.send(EngineEvent::State { state }).await.map_err(|_| Gone)
    }

    /// Applies `change`, and tells the sinks if it changed anything.
    pub async fn publish(&self, change: impl FnOnce(&mut FeedState)) -> Result<(), Gone> {
        let changed = self.state.send_if_modified(|state| {
            let before = state.clone();
            change(state);
            state.health = state.health_now();
            *state != before
        });
        if changed {
            self.announce().await?;
        }
        Ok(())
    }

    /// Applies `change` without telling anyone: for what is read when
    /// asked, never news (when the feed was last heard).
    pub fn quietly(&self, change: impl FnOnce(&mut FeedState)) {
        self.state.send_modify(change);
    }
}
