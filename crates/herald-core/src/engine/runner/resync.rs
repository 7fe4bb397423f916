//! The runner's resync: the snapshot read, and what it shows was missed.

use super::*;

impl Runner {
    /// Fetches the snapshot and records what it shows was missed; the stream
    /// then resumes from its cursor, if it has one (and then this is true).
    /// A snapshot that cannot be fetched or read is the feed's problem,
    /// shown with its reason, and the feed goes on with its stream.
    pub(super) async fn resync(&mut self) -> Result<bool, Gone> {
        let Some(url) = self.resolved.snapshot_url.clone() else { return Ok(false) };
        let key = self.resolved.key.clone();
        let fetched = fetch_snapshot(&self.setup.client, &url, &self.setup.rest.now().await, &key).await;
        let snapshot = match fetched {
            Ok(snapshot) => snapshot,
            Err(e) => {
                let message = format!("cannot resync, so changes may have been missed: {e}");
                tracing::warn!(feed = %self.feed.name, %message);
                self.tell(EngineEvent::Problem { feed: Some(self.feed.name.clone()), message: message.clone() })
                    .await?;
                self.snapshot_problem = true;
                self.publish(|state| state.problem = Some(message)).await?;
                return Ok(false);
            }
        };
        let resumes = snapshot.cursor.clone();
        let (id, judge, name, me) = (self.id, self.records.clone(), self.feed.name.clone(), self.me.clone());
        let rules = self.rules.clone();
        let resynced = self
            .writer
            .call(move |store| {
                let ctx = Context { feed: &name, me: me.as_deref(), now: now_ms() };
                let resynced = store.resync(
                    id,
                    &key,
                    &snapshot,
                    ctx.now,
                    &|known: &Value, now: &Value| judge.unchanged(known, now),
                    &|m: &MissedChange| {
                        let mut change = judge.missed(ctx, &m.key, m.before.as_ref(), m.after.as_ref())?;
                        rules::judge_value(&rules, judge.event_type_of(m.kind), Some(m.value()), &mut change);
                        Some(change)
                    },
                );
                let unread =
                    resynced.as_ref().ok().filter(|r| !r.missed.is_empty()).and_then(|_| store.unread(id).ok());
                resynced.map(|resynced| (resynced, unread))
            })
            .await
            .map_err(|_| Gone)?;
        let (resynced, unread) = match resynced {
            Ok(resynced) => resynced,
            Err(e) => return self.stop_failed(format!("storing its snapshot failed: {e}")).await,
        };
        if let Some(cursor) = &resumes {
            self.setup.config.last_event_id = cursor.clone();
        }
        if std::mem::take(&mut self.snapshot_problem) {
            self.publish(|state| state.problem = None).await?;
        }
        if self.me.is_none() {
            self.find_me().await?;
        }
        // What the rules ignore is stored read, and is no news in the digest.
        let changes: Vec<Change> = resynced.changes.into_iter().filter(|c| c.level != Level::Ignore).collect();
        if !changes.is_empty() {
            tracing::info!(feed = %self.feed.name, missed = changes.len(), "resynced from the snapshot");
            self.tell(EngineEvent::Missed { digest: Digest::new(&self.feed.name, changes) }).await?;
        }
        if let Some(unread) = unread {
            self.publish(|state| state.unread = unread).await?;
        }
        Ok(resumes.is_some())
    }
}
