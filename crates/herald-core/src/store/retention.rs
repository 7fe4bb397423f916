//! How much history each feed keeps: at most a count of events, no older
//! than an age, or everything.
//!
//! Pruning deletes in small transactions, so that ingest, which needs the
//! same single SQLite writer, never waits behind one long delete.

use std::time::Duration;

use rusqlite::{params, OptionalExtension};

use super::{FeedId, Store, StoreError};
use crate::feed::Retention;
use crate::sse::EpochMs;

/// Rows deleted per transaction while pruning.
const PRUNE_STEP: i64 = 1000;

impl Store {
    pub fn retention(&self, feed: FeedId) -> Result<Retention, StoreError> {
        let (count, ms): (Option<i64>, Option<i64>) =
            self.conn.query_row("SELECT keep_count, keep_ms FROM feeds WHERE id = ?1", [feed.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(Retention {
            max_count: count.map(i64::unsigned_abs),
            max_age: ms.map(|ms| Duration::from_millis(ms.unsigned_abs())),
        })
    }

    pub fn set_retention(&self, feed: FeedId, retention: Retention) -> Result<(), StoreError> {
        let count = retention.max_count.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let ms = retention.max_age.map(|age| i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
        self.conn
            .execute("UPDATE feeds SET keep_count = ?2, keep_ms = ?3 WHERE id = ?1", params![feed.0, count, ms])?;
        self.back_up_feeds();
        Ok(())
    }

    /// Deletes the events of `feed` that its retention no longer keeps, and
    /// returns how many. The cursor is kept whatever is deleted.
    pub fn prune(&mut self, feed: FeedId, now: EpochMs) -> Result<u64, StoreError> {
        let retention = self.retention(feed)?;
        // The newest event beyond the count; it and everything before it go.
        let last_beyond_count: i64 = match retention.max_count {
            Some(keep) => self
                .conn
                .query_row(
                    "SELECT id FROM events WHERE feed_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                    params![feed.0, i64::try_from(keep).unwrap_or(i64::MAX)],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(i64::MIN),
            None => i64::MIN,
        };
        let oldest_kept_at = match retention.max_age {
            Some(age) => now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX)),
            None => i64::MIN,
        };
        let mut deleted = 0u64;
        loop {
            let step = self.conn.execute(
                "DELETE FROM events WHERE id IN (
                     SELECT id FROM events WHERE feed_id = ?1 AND (id <= ?2 OR received_at < ?3) LIMIT ?4)",
                params![feed.0, last_beyond_count, oldest_kept_at, PRUNE_STEP],
            )?;
            deleted += step as u64;
            if (step as i64) < PRUNE_STEP {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn events(from: u32, to: u32) -> Vec<Event> {
        (from..=to)
            .map(|i| Event { event: "m".into(), data: i.to_string().into(), last_event_id: i.to_string().into() })
            .collect()
    }

    fn kept(store: &Store, feed: FeedId) -> Vec<String> {
        store.history(Some(feed), None).unwrap().into_iter().map(|e| e.data).collect()
    }

    #[test]
    fn a_count_keeps_the_newest_events_and_the_cursor() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/a").unwrap();
        let other = store.feed_for("b", "http://127.0.0.1/b").unwrap();
        store.ingest(feed, &events(1, 2500), 0).unwrap();
        store.ingest(other, &events(1, 10), 0).unwrap();
        store.set_retention(feed, Retention { max_count: Some(3), max_age: None }).unwrap();
        assert_eq!(store.prune(feed, 0).unwrap(), 2497, "in several steps of {PRUNE_STEP}");
        assert_eq!(kept(&store, feed), ["2498", "2499", "2500"]);
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("2500"));
        assert_eq!(kept(&store, other).len(), 10, "other feeds keep theirs");
    }

    #[test]
    fn an_age_keeps_what_is_recent_enough() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/a").unwrap();
        store.ingest(feed, &events(1, 2), 1_000).unwrap();
        store.ingest(feed, &events(3, 4), 60_000).unwrap();
        store.set_retention(feed, Retention { max_count: None, max_age: Some(Duration::from_secs(30)) }).unwrap();
        assert_eq!(store.retention(feed).unwrap().max_age, Some(Duration::from_secs(30)));
        assert_eq!(store.prune(feed, 61_000).unwrap(), 2);
        assert_eq!(kept(&store, feed), ["3", "4"]);
        assert_eq!(store.prune(feed, 61_000).unwrap(), 0, "pruning again deletes nothing");
    }

    #[test]
    fn the_default_keeps_everything() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/a").unwrap();
        store.ingest(feed, &events(1, 5), 0).unwrap();
        assert_eq!(store.prune(feed, i64::MAX).unwrap(), 0);
        assert_eq!(kept(&store, feed).len(), 5);
    }
}
