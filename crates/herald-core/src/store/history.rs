//! Writing events with their cursor, once each, and reading them back.

use rusqlite::{params, OptionalExtension};

use super::{FeedId, Store, StoreError};
use crate::sse::{EpochMs, Event};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub feed: String,
    /// The event's own id, if it carried one.
    pub event_id: Option<String>,
    pub event_type: String,
    pub data: String,
    pub received_at: EpochMs,
    pub read: bool,
}

/// What one ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ingested {
    /// Events stored.
    pub stored: usize,
    /// Events already stored (replayed by the server), skipped.
    pub repeated: usize,
}

impl Store {
    /// The cursor to resume `feed` from: the last event ID its stored history ends at.
    pub fn cursor(&self, feed: FeedId) -> Result<Option<String>, StoreError> {
        let cursor =
            self.conn.query_row("SELECT last_event_id FROM cursors WHERE feed_id = ?1", [feed.0], |r| r.get(0));
        Ok(cursor.optional()?)
    }

    /// Stores a batch of `feed`'s events, in order, and moves its cursor to
    /// the last one, in one transaction.
    ///
    /// An event counts as carrying its own id when its last event ID differs
    /// from the one in force before it; such an event already stored (same
    /// feed and id) is skipped. Events without an id are always stored.
    pub fn ingest(&mut self, feed: FeedId, events: &[Event], now: EpochMs) -> Result<Ingested, StoreError> {
        let Some(last) = events.last() else { return Ok(Ingested::default()) };
        let tx = self.conn.transaction()?;
        let mut done = Ingested::default();
        {
            let mut previous: String = tx
                .query_row("SELECT last_event_id FROM cursors WHERE feed_id = ?1", [feed.0], |r| r.get(0))
                .optional()?
                .unwrap_or_default();
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?;
            for event in events {
                let cursor: &str = &event.last_event_id;
                let own_id = (cursor != previous && !cursor.is_empty()).then_some(cursor);
                let inserted = insert.execute(params![feed.0, own_id, cursor, &*event.event, &*event.data, now])?;
                if inserted == 1 {
                    done.stored += 1;
                } else {
                    done.repeated += 1;
                }
                if cursor != previous {
                    previous = cursor.to_owned();
                }
            }
            tx.execute(
                "INSERT INTO cursors (feed_id, last_event_id) VALUES (?1, ?2)
                 ON CONFLICT (feed_id) DO UPDATE SET last_event_id = excluded.last_event_id",
                params![feed.0, &*last.last_event_id],
            )?;
        }
        tx.commit()?;
        Ok(done)
    }

    /// How many events are stored, in all feeds.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Stored events, oldest first: of one feed or all, received at or after `since`.
    pub fn history(&self, feed: Option<FeedId>, since: Option<EpochMs>) -> Result<Vec<StoredEvent>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT feeds.name, events.event_id, events.event_type, events.data, events.received_at, events.read
             FROM events JOIN feeds ON feeds.id = events.feed_id
             WHERE (?1 IS NULL OR events.feed_id = ?1) AND events.received_at >= ?2
             ORDER BY events.id",
        )?;
        let rows = query.query_map(params![feed.map(|f| f.0), since.unwrap_or(i64::MIN)], |row| {
            Ok(StoredEvent {
                feed: row.get(0)?,
                event_id: row.get(1)?,
                event_type: row.get(2)?,
                data: row.get(3)?,
                received_at: row.get(4)?,
                read: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: &str, id: &str) -> Event {
        Event { event: "message".into(), data: data.into(), last_event_id: id.into() }
    }

    #[test]
    fn events_and_cursor_are_stored_together_and_a_replay_is_stored_once() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        assert_eq!(store.cursor(feed).unwrap(), None);
        let first = [event("a", "1"), event("b", "2"), event("no id of its own", "2")];
        assert_eq!(store.ingest(feed, &first, 10).unwrap(), Ingested { stored: 3, repeated: 0 });
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("2"));

        // The server ignores Last-Event-ID and replays from the start: only the new event is stored.
        let replay = [event("a", "1"), event("b", "2"), event("c", "3")];
        assert_eq!(store.ingest(feed, &replay, 20).unwrap(), Ingested { stored: 1, repeated: 2 });
        let data: Vec<String> = store.history(Some(feed), None).unwrap().into_iter().map(|e| e.data).collect();
        assert_eq!(data, ["a", "b", "no id of its own", "c"]);
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("3"));
        assert_eq!(store.history(None, Some(20)).unwrap().len(), 1, "since filters by arrival");
    }

    #[test]
    fn events_without_ids_are_all_kept() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("plain", "http://127.0.0.1/events").unwrap();
        let events = [event("x", ""), event("x", ""), event("x", "")];
        assert_eq!(store.ingest(feed, &events, 1).unwrap().stored, 3);
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some(""));
    }

    #[test]
    fn a_store_file_is_reopened_where_it_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/herald.db");
        {
            let mut store = Store::open(&path).unwrap();
            let feed = store.feed_for("tasks", "http://127.0.0.1/").unwrap();
            store.ingest(feed, &[event("a", "7")], 1).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let feed = store.feed_id("tasks").unwrap();
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("7"));
        assert!(matches!(store.feed_id("other"), Err(StoreError::NoSuchFeed(_))));
    }
}
