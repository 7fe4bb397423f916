//! How the supervisor answers each call ([`super::calls`]): one method per
//! call, each with its own answer type.

use tokio::sync::{mpsc, oneshot};

use super::api::{EngineEvent, Record};
use super::calls::*;
use super::runner::Control;
use super::supervisor::{Answers, Running, Supervisor};
use crate::call::Answer;
use crate::error::Error;
use crate::feed::meaning;
use crate::feed::values::truthy;
use crate::feed::{Meaning, MessageAction};
use crate::proxy::RouteSource;
use crate::sse::Event;
use crate::store::{EntryRef, FeedId, StoreError};

impl Answers<AddFeed> for Supervisor {
    async fn answer(&mut self, call: AddFeed) -> Answer<AddFeed> {
        self.put(*call.feed).await
    }
}

impl Answers<RemoveFeed> for Supervisor {
    async fn answer(&mut self, RemoveFeed { name }: RemoveFeed) -> Answer<RemoveFeed> {
        if let Some(old) = self.stop(&name) {
            let _ = old.task.await;
        }
        let removed = name.clone();
        self.store(move |store| store.remove_feed(&removed)).await?;
        let _ = self.sink.send(EngineEvent::Removed { feed: name }).await;
        Ok(())
    }
}

impl Answers<PauseFeed> for Supervisor {
    async fn answer(&mut self, PauseFeed { name, paused }: PauseFeed) -> Answer<PauseFeed> {
        let mut feed = self.running(&name)?.feed.clone();
        if feed.settings.paused == paused {
            return Ok(());
        }
        feed.settings.paused = paused;
        self.put(feed).await
    }
}

impl Answers<ReconnectNow> for Supervisor {
    async fn answer(&mut self, ReconnectNow { name }: ReconnectNow) -> Answer<ReconnectNow> {
        let names: Vec<String> = match name {
            Some(name) => vec![self.running(&name)?.feed.name.clone()],
            None => self.runners.keys().cloned().collect(),
        };
        for name in names {
            let Some(running) = self.runners.get(&name) else { continue };
            if running.feed.settings.paused {
                continue;
            }
            // A feed going the desktop's way asks it again: the user may
            // have changed the setting, or the laptop the network. One that
            // signs in asks the keyring again: the user signed in or out.
            let desktops = running.state.borrow().route.as_ref().is_some_and(|r| r.source == RouteSource::Desktop);
            let afresh = desktops || running.feed.signs_in();
            if running.task.is_finished() || afresh {
                // Stopped for good (a refused secret, say), or its way or
                // sign-in may have changed: start it afresh, from its cursor.
                let feed = running.feed.clone();
                if let Some(old) = self.stop(&name) {
                    let _ = old.task.await;
                }
                self.start(feed).await.map_err(|e| Error::internal(e.to_string()))?;
            } else {
                let _ = running.control.send(Control::ReconnectNow);
            }
        }
        Ok(())
    }
}

impl Answers<MarkRead> for Supervisor {
    async fn answer(&mut self, MarkRead { feed, rows }: MarkRead) -> Answer<MarkRead> {
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
                ids.iter().map(|&id| Ok((id, store.unread(id)?))).collect::<Result<Vec<(FeedId, u64)>, StoreError>>()
            })
            .await?;
        for (id, unread) in counts {
            let Some(running) = self.runners.values().find(|r| r.id == id) else { continue };
            let _ = running.state.publish(|state| state.unread = unread).await;
        }
        Ok(())
    }
}

impl Answers<GetTimeline> for Supervisor {
    async fn answer(&mut self, GetTimeline { query }: GetTimeline) -> Answer<GetTimeline> {
        self.store(move |store| store.timeline(&query)).await
    }
}

impl Answers<GetActivity> for Supervisor {
    async fn answer(&mut self, GetActivity { feed, since }: GetActivity) -> Answer<GetActivity> {
        let id = self.running(&feed)?.id;
        self.store(move |store| store.activity(id, since)).await
    }
}

impl Answers<GetFeeds> for Supervisor {
    async fn answer(&mut self, _: GetFeeds) -> Answer<GetFeeds> {
        Ok(self.runners.values().map(|r| r.state.get()).collect())
    }
}

impl Answers<GetDefinitions> for Supervisor {
    async fn answer(&mut self, _: GetDefinitions) -> Answer<GetDefinitions> {
        Ok(self.runners.values().map(|r| r.feed.clone()).collect())
    }
}

impl Answers<GetRecords> for Supervisor {
    async fn answer(&mut self, GetRecords { feed }: GetRecords) -> Answer<GetRecords> {
        let running = self.running(&feed)?;
        let Meaning::Record(meaning) = running.feed.resolved().meaning else {
            return Err(Error::invalid(format!("the feed {feed:?} carries no records")));
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
        Ok(records)
    }
}

impl Answers<GetRecent> for Supervisor {
    async fn answer(&mut self, GetRecent { feed, limit }: GetRecent) -> Answer<GetRecent> {
        let running = self.running(&feed)?;
        let meaning = running.feed.resolved().meaning;
        if matches!(meaning, Meaning::Record(_)) {
            return Err(Error::invalid(format!("the feed {feed:?} carries records: ask for its records")));
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
        Ok(changes)
    }
}

/// A write is the feed's runner's to make: the supervisor hands it on with
/// where its answer goes, and takes the next call while the server answers.
impl Answers<WriteRecord> for Supervisor {
    async fn answer(&mut self, call: WriteRecord) -> Answer<WriteRecord> {
        let (reply, answer) = oneshot::channel();
        let feed = call.feed.clone();
        self.take(call, reply).await;
        answer.await.map_err(|_| Error::unavailable(format!("the feed {feed:?} is not running")))?
    }

    async fn take(&mut self, WriteRecord { feed, write }: WriteRecord, reply: oneshot::Sender<Answer<WriteRecord>>) {
        let not_running = || Error::unavailable(format!("the feed {feed:?} is not running"));
        let running = match self.running(&feed) {
            Ok(running) => running,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        if let Err(mpsc::error::SendError(Control::Write(_, reply))) =
            running.control.send(Control::Write(write, reply))
        {
            let _ = reply.send(Err(not_running()));
        }
    }
}

impl Answers<ViewRecord> for Supervisor {
    async fn answer(&mut self, ViewRecord { feed, key }: ViewRecord) -> Answer<ViewRecord> {
        let running = self.running(&feed)?;
        running
            .control
            .send(Control::View(key))
            .map_err(|_| Error::unavailable(format!("the feed {feed:?} is not running")))
    }
}

impl Answers<GetEntry> for Supervisor {
    async fn answer(&mut self, GetEntry { entry }: GetEntry) -> Answer<GetEntry> {
        self.store(move |store| store.entry(&entry)).await
    }
}

impl Answers<KeepActionResult> for Supervisor {
    async fn answer(&mut self, KeepActionResult { entry, result }: KeepActionResult) -> Answer<KeepActionResult> {
        let row = self.store(move |store| store.row_of(&entry)).await?;
        let row = row.ok_or_else(|| Error::not_found("there is no such entry in the timeline"))?;
        self.store(move |store| store.keep_action_result(row, &result)).await
    }
}

/// An action is the feed's runner's to send, with the feed's client: the
/// supervisor hands it on, and takes the next call while it is sent.
impl Answers<SendHttpAction> for Supervisor {
    async fn answer(&mut self, call: SendHttpAction) -> Answer<SendHttpAction> {
        let (reply, answer) = oneshot::channel();
        self.take(call, reply).await;
        answer.await.map_err(|_| Error::unavailable("the feed stopped before its action was sent"))?
    }

    async fn take(
        &mut self,
        SendHttpAction { entry, at, confirmed }: SendHttpAction,
        reply: oneshot::Sender<Answer<SendHttpAction>>,
    ) {
        let handed = match self.http_action(entry, at).await {
            Ok((running, action, row)) => running
                .control
                .send(Control::Act { action, row, confirmed, reply })
                .map_err(|mpsc::error::SendError(control)| control),
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        if let Err(Control::Act { reply, .. }) = handed {
            let _ = reply.send(Err(Error::unavailable("the feed is not running")));
        }
    }
}

impl Supervisor {
    /// The http action at `at` of the message `entry`, its row, and the
    /// runner of its feed, which sends it.
    async fn http_action(&self, entry: EntryRef, at: usize) -> Result<(&Running, MessageAction, i64), Error> {
        let found = self.store(move |store| store.entry(&entry)).await?;
        let found = found.ok_or_else(|| Error::not_found("there is no such entry in the timeline"))?;
        let action = match found.change.extras.actions.get(at) {
            Some(action @ MessageAction::Http { .. }) => action.clone(),
            _ => return Err(Error::invalid(format!("the message has no http action at {at}"))),
        };
        Ok((self.running(&found.change.feed)?, action, found.id))
    }
}

/// A poll is the feed's runner's, with the feed's client: handed on, so
/// the supervisor takes the next call while the server answers.
impl Answers<GetUpcoming> for Supervisor {
    async fn answer(&mut self, call: GetUpcoming) -> Answer<GetUpcoming> {
        let (reply, answer) = oneshot::channel();
        self.take(call, reply).await;
        answer.await.map_err(|_| Error::unavailable("the feed stopped before its server answered"))?
    }

    async fn take(&mut self, GetUpcoming { feed }: GetUpcoming, reply: oneshot::Sender<Answer<GetUpcoming>>) {
        let running = match self.running(&feed) {
            Ok(running) => running,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        if let Err(mpsc::error::SendError(Control::Upcoming(reply))) = running.control.send(Control::Upcoming(reply)) {
            let _ = reply.send(Err(Error::unavailable(format!("the feed {feed:?} is not running"))));
        }
    }
}
