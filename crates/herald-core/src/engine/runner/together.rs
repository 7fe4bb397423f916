//! What a feed does with the people on it: who the user is (own changes
//! are not news), who else is here, the record the user has open, and the
//! user's writes.

use super::*;

impl Runner {
    /// Asks the feed's "me" who the user is, when it says; a failure only
    /// means own changes are not recognised, and is reported as such.
    pub(super) async fn find_me(&mut self) -> Result<(), Gone> {
        let Some(me) = self.resolved.me.clone() else { return Ok(()) };
        match rest::me(&self.setup.client, &self.setup.rest.now().await, &me).await {
            Ok(found) => {
                self.me = found.clone();
                self.publish(|state| state.me = found).await?;
            }
            Err(e) => {
                let message = format!("cannot tell your own changes from others': {e}");
                self.tell(EngineEvent::Problem { feed: Some(self.feed.name.clone()), message }).await?;
            }
        }
        Ok(())
    }

    /// Takes who is here out of a batch: it is told on the feed's state,
    /// never stored, and never a change. The last one in the batch holds.
    pub(super) async fn hear_presence(&mut self, batch: &mut Vec<Event>) -> Result<(), Gone> {
        let Some(api) = &self.resolved.presence else { return Ok(()) };
        let mut heard = None;
        batch.retain(|event| {
            let is_presence = *event.event == *api.event;
            if is_presence {
                heard = Some(presence::read(&event.data));
            }
            !is_presence
        });
        match heard {
            Some(Ok(present)) => self.publish(|state| state.present = present).await,
            Some(Err(e)) => {
                tracing::warn!(feed = %self.feed.name, error = %e, "a presence event could not be read");
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Tells the server which record the user has open. Presence is
    /// ambient: a failure is logged, and the next renewal tries again.
    pub(super) fn view(&self) {
        let Some(api) = &self.resolved.presence else { return };
        let key = self.viewing.clone();
        let (client, headers, url) = (self.setup.client.clone(), self.setup.rest.clone(), api.url.clone());
        let feed = self.feed.name.clone();
        tokio::spawn(async move {
            if let Err(e) = rest::view(&client, &headers.now().await, &url, key.as_deref()).await {
                tracing::info!(%feed, error = %e, "telling which record is open failed");
            }
        });
    }

    pub(super) fn write(&self, write: Write, reply: oneshot::Sender<Result<(), Error>>) {
        let Some(collection) = self.resolved.write_url.clone() else {
            let message = format!("the feed {:?} takes no writes: it has no write_url", self.feed.name);
            let _ = reply.send(Err(Error::invalid(message)));
            return;
        };
        let (client, headers, records) = (self.setup.client.clone(), self.setup.rest.clone(), self.records.clone());
        let resend = if self.resolved.idempotent_creates { Resend::CreatesWithKey } else { Resend::Never };
        tokio::spawn(async move {
            let done = conditional::write(&client, &headers.now().await, &collection, write, &records, resend).await;
            let _ = reply.send(match done {
                Ok(Written::Done) => Ok(()),
                Ok(Written::Refused(conflict)) => Err(Error::Conflict { conflict: Box::new(conflict) }),
                Err(error) => Err(error),
            });
        });
    }

    /// Sends a message's http action with this feed's client, and keeps
    /// what came of it beside the message. Unconfirmed, only to a host the
    /// feed allows, as its settings are now.
    pub(super) fn act(
        &self,
        action: MessageAction,
        row: i64,
        confirmed: bool,
        reply: oneshot::Sender<Result<ActionResult, Error>>,
    ) {
        let MessageAction::Http { url, .. } = &action else {
            let _ = reply.send(Err(Error::invalid("only an http action is sent")));
            return;
        };
        if !confirmed && !self.feed.settings.allows_action_to(url) {
            let message = format!("a request to {url} is sent only once you have confirmed it in the window");
            let _ = reply.send(Err(Error::invalid(message)));
            return;
        }
        let (client, credentials, url) = (self.setup.client.clone(), self.setup.rest.clone(), self.feed.url.clone());
        let writer = self.writer.clone();
        tokio::spawn(async move {
            let result = crate::engine::act::send(&action, &url, &client, &credentials.now().await).await;
            let kept = result.clone();
            let stored = writer.call(move |store| store.keep_action_result(row, &kept)).await;
            if let Ok(Err(e)) = stored {
                tracing::warn!(error = %e, "keeping what came of an action failed");
            }
            let _ = reply.send(Ok(result));
        });
    }

    /// Asks an ntfy server for the topic's scheduled messages.
    pub(super) fn upcoming(&self, reply: oneshot::Sender<Result<Vec<Change>, Error>>) {
        let Meaning::Message(meaning) = &*self.meaning else {
            let _ = reply.send(Err(Error::invalid(format!("{:?} is not a feed of messages", self.feed.name))));
            return;
        };
        let (client, headers, url) = (self.setup.client.clone(), self.setup.rest.clone(), self.feed.url.clone());
        let (meaning, name) = (meaning.clone(), self.feed.name.clone());
        tokio::spawn(async move {
            let headers = headers.now().await;
            let _ = reply.send(crate::engine::upcoming::fetch(&client, &headers, &url, &name, &meaning).await);
        });
    }
}
