//! A full disk: the feed pauses, disconnected, until its events fit again.
//!
//! Why this way: a batch is stored with its cursor in one transaction, so a
//! batch that did not fit left nothing behind, and the cursor still names
//! the last event stored. The connection is closed rather than read on into
//! memory. The batch that did not fit is kept and tried again, with a
//! growing pause (at most [`ROOM_CHECK_MAX`]), since a server that cannot
//! replay would not send it twice. Before each try, the write-ahead log is
//! checkpointed and cut back, which may itself make the room. Once it is stored, the feed follows
//! again from the store's cursor, as after any reconnection: by
//! `Last-Event-ID`, or from its snapshot where the server has no ids.

use std::time::Duration;

use super::{Control, Gone, Halt, Runner};
use crate::error::Error;
use crate::sse::{Event, Phase, StopReason};

/// The longest pause between two tries while the disk is full.
pub(super) const ROOM_CHECK_MAX: Duration = Duration::from_secs(10);

impl Runner {
    /// Waits for room to store `held`, answering the feed's controls as a
    /// paused feed does; then sets the feed to resume from its cursor.
    pub(super) async fn wait_for_room(&mut self, mut held: Vec<Event>) -> Result<(), Gone> {
        tracing::warn!(feed = %self.feed.name, events = held.len(), "the disk is full: waiting for room");
        self.publish(|state| {
            state.disk_full = true;
            state.present.clear();
            state.connection.phase = Phase::Stopped { reason: StopReason::Closed };
        })
        .await?;
        let mut pause = Duration::from_secs(1);
        loop {
            tokio::select! {
                control = self.control.recv() => match control.map(|control| control.refuse(disk_full)) {
                    Some(Some(Control::Stop)) | None => return Err(Gone),
                    // Try again at once.
                    Some(Some(Control::ReconnectNow)) => {}
                    Some(Some(Control::View(key))) => {
                        self.viewing = key;
                        continue;
                    }
                    // Refused: the disk is full.
                    Some(_) => continue,
                },
                _ = tokio::time::sleep(pause) => pause = (pause * 2).min(ROOM_CHECK_MAX),
            }
            if let Err(e) = self.writer.call(|store| store.make_room()).await.map_err(|_| Gone)? {
                tracing::debug!(feed = %self.feed.name, error = %e, "checkpointing the log to make room failed");
            }
            match self.take(std::mem::take(&mut held)).await {
                Ok(()) => break,
                Err(Halt::DiskFull(batch)) => held = batch,
                Err(Halt::Gone) => return Err(Gone),
            }
        }
        let id = self.id;
        match self.writer.call(move |store| store.cursor(id)).await.map_err(|_| Gone)? {
            Ok(cursor) => self.setup.config.last_event_id = cursor.unwrap_or_default(),
            Err(e) => tracing::warn!(feed = %self.feed.name, error = %e, "reading the cursor to resume from failed"),
        }
        tracing::info!(feed = %self.feed.name, "there is room again: following from where it stopped");
        self.publish(|state| {
            state.disk_full = false;
            state.connection.phase = Phase::Connecting;
        })
        .await
    }
}

fn disk_full() -> Error {
    Error::unavailable("the disk is full: Herald cannot store anything until there is room")
}
