//! Writing events with their cursor, once each, and reading them back.

use rusqlite::{params, OptionalExtension};

use super::cursor::{cursor_of, set_cursor};
use super::{described, FeedId, Store, StoreError};
use crate::feed::Change;
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
    /// Found by a resync, not received live: the change happened while
    /// Herald could not hear it.
    pub missed: bool,
}

/// What one ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ingested {
    /// Events stored.
    pub stored: usize,
    /// Events already stored (replayed by the server), skipped.
    pub repeated: usize,
}

/// The columns every query of events selects, in this order.
const EVENT_COLUMNS: &str = "feeds.name, events.event_id, events.event_type, events.data, events.received_at, \
                             events.read, events.missed";

/// An event from a row of [`EVENT_COLUMNS`].
fn stored_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        feed: row.get(0)?,
        event_id: row.get(1)?,
        event_type: row.get(2)?,
        data: row.get(3)?,
        received_at: row.get(4)?,
        read: row.get(5)?,
        missed: row.get(6)?,
    })
}

/// Rows per multi-row INSERT.
const ROWS_PER_INSERT: usize = 64;

static INSERT_MANY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_sql(ROWS_PER_INSERT));

fn insert_sql(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at) VALUES {values} \
         ON CONFLICT DO NOTHING"
    )
}

/// Binds `rows` to an INSERT of that many rows and runs it; how many were new.
fn insert(
    statement: &mut rusqlite::CachedStatement<'_>,
    feed: FeedId,
    rows: &[(&Event, Option<&str>)],
    now: EpochMs,
) -> rusqlite::Result<usize> {
    for (i, (event, own_id)) in rows.iter().enumerate() {
        let at = i * 6;
        statement.raw_bind_parameter(at + 1, feed.0)?;
        statement.raw_bind_parameter(at + 2, own_id)?;
        statement.raw_bind_parameter(at + 3, &*event.last_event_id)?;
        statement.raw_bind_parameter(at + 4, &*event.event)?;
        statement.raw_bind_parameter(at + 5, &*event.data)?;
        statement.raw_bind_parameter(at + 6, now)?;
    }
    statement.raw_execute()
}

/// Each event's own id, if it carries one: its last event ID, when that
/// differs from the one in force before it (`cursor`, then each event's).
fn own_ids<'e>(cursor: &'e str, events: &'e [Event]) -> Vec<(&'e Event, Option<&'e str>)> {
    let mut previous = cursor;
    events
        .iter()
        .map(|event| {
            let cursor: &str = &event.last_event_id;
            let own_id = (cursor != previous && !cursor.is_empty()).then_some(cursor);
            previous = cursor;
            (event, own_id)
        })
        .collect()
}

/// A feed's records, inside the transaction of an ingest: what the engine
/// reads before interpreting an event, and writes after.
pub struct Records<'t> {
    tx: &'t rusqlite::Transaction<'t>,
    feed: FeedId,
}

impl Records<'_> {
    pub fn get(&self, key: &str) -> rusqlite::Result<Option<serde_json::Value>> {
        let value: Option<String> = self
            .tx
            .prepare_cached("SELECT value FROM records WHERE feed_id = ?1 AND key = ?2")?
            .query_row(params![self.feed.0, key], |r| r.get(0))
            .optional()?;
        Ok(value.map(|v| serde_json::from_str(&v).unwrap_or(serde_json::Value::Null)))
    }

    pub fn put(&self, key: &str, value: &serde_json::Value) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO records (feed_id, key, value) VALUES (?1, ?2, ?3)")?
            .execute(params![self.feed.0, key, value.to_string()])
            .map(drop)
    }

    pub fn remove(&self, key: &str) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached("DELETE FROM records WHERE feed_id = ?1 AND key = ?2")?
            .execute(params![self.feed.0, key])
            .map(drop)
    }
}

impl Store {
    /// The cursor to resume `feed` from: the last event ID its stored history ends at.
    pub fn cursor(&self, feed: FeedId) -> Result<Option<String>, StoreError> {
        Ok(cursor_of(&self.conn, feed)?)
    }

    /// Sets where `feed` resumes, as `tail --last-event-id` does for a new feed.
    pub fn set_cursor(&self, feed: FeedId, cursor: &str) -> Result<(), StoreError> {
        Ok(set_cursor(&self.conn, feed, cursor)?)
    }

    /// Stores a batch of `feed`'s events, in order, and moves its cursor to
    /// the last one, in one transaction.
    ///
    /// An event counts as carrying its own id when its last event ID differs
    /// from the one in force before it; such an event already stored (same
    /// feed and id) is skipped. Events without an id are always stored.
    pub fn ingest(&mut self, feed: FeedId, events: &[Event], now: EpochMs) -> Result<Ingested, StoreError> {
        self.ingest_events(feed, events, now, false, |_, _, _| Ok(None)).map(|(done, _)| done)
    }

    /// [`Store::ingest`], and `each` is called, in order and in the same
    /// transaction, for every event that was new (not a replay), with the
    /// feed's records. The change it returns is stored as the event's
    /// meaning (for the timeline and its search) and handed back: so what
    /// the engine makes of the events is committed with them, or not at all.
    /// An event it finds no change in (ntfy's `open`, a keepalive) is kept
    /// but marked as meaning nothing: the timeline leaves it out, and it is
    /// never unread.
    pub fn ingest_with(
        &mut self,
        feed: FeedId,
        events: &[Event],
        now: EpochMs,
        each: impl FnMut(usize, &Event, &Records<'_>) -> rusqlite::Result<Option<Change>>,
    ) -> Result<(Ingested, Vec<Change>), StoreError> {
        self.ingest_events(feed, events, now, true, each)
    }

    fn ingest_events(
        &mut self,
        feed: FeedId,
        events: &[Event],
        now: EpochMs,
        judged: bool,
        mut each: impl FnMut(usize, &Event, &Records<'_>) -> rusqlite::Result<Option<Change>>,
    ) -> Result<(Ingested, Vec<Change>), StoreError> {
        let Some(last) = events.last() else { return Ok((Ingested::default(), Vec::new())) };
        let tx = self.conn.transaction()?;
        let mut done = Ingested::default();
        let mut changes = Vec::new();
        {
            let newest_before: i64 =
                tx.prepare_cached("SELECT coalesce(max(id), 0) FROM events")?.query_row([], |r| r.get(0))?;
            let stored_cursor = cursor_of(&tx, feed)?.unwrap_or_default();
            let rows = own_ids(&stored_cursor, events);
            // Many rows per statement: SQLite's per-statement cost dominates for small events.
            let mut many = tx.prepare_cached(&INSERT_MANY)?;
            let mut one = tx.prepare_cached(&insert_sql(1))?;
            for group in rows.chunks(ROWS_PER_INSERT) {
                let stored = if group.len() == ROWS_PER_INSERT {
                    insert(&mut many, feed, group, now)?
                } else {
                    group.chunks(1).map(|row| insert(&mut one, feed, row, now)).sum::<Result<usize, _>>()?
                };
                done.stored += stored;
                done.repeated += group.len() - stored;
            }
            set_cursor(&tx, feed, &last.last_event_id)?;
            // New rows take the ids after the newest before this batch, in
            // order. A replayed event is one whose id was stored before this
            // batch (or earlier in it): its row comes before the next new one.
            let mut find = tx.prepare_cached("SELECT id FROM events WHERE feed_id = ?1 AND event_id = ?2")?;
            let records = Records { tx: &tx, feed };
            let mut next_row = newest_before + 1;
            for (at, (event, own_id)) in rows.iter().enumerate() {
                let row = match own_id {
                    Some(id) if done.repeated > 0 => find.query_row(params![feed.0, id], |r| r.get(0))?,
                    _ => next_row,
                };
                if row < next_row {
                    continue;
                }
                next_row = row + 1;
                match each(at, event, &records)? {
                    Some(mut change) => {
                        described::describe(&tx, feed, row, &mut change)?;
                        changes.push(change);
                    }
                    None if judged => described::meaningless(&tx, row)?,
                    None => {}
                }
            }
            described::index_after(&tx, newest_before)?;
            described::supersede_after(&tx, feed, newest_before)?;
        }
        tx.commit()?;
        Ok((done, changes))
    }

    /// Which of `events` an ingest would store as new: not those whose own
    /// id is stored already, nor a repeat of one earlier in the batch. For
    /// a reader that must stop after a number of new events.
    pub fn unseen(&self, feed: FeedId, events: &[Event]) -> Result<Vec<bool>, StoreError> {
        let cursor = cursor_of(&self.conn, feed)?.unwrap_or_default();
        let mut stored = self.conn.prepare_cached("SELECT 1 FROM events WHERE feed_id = ?1 AND event_id = ?2")?;
        let mut seen = std::collections::HashSet::new();
        let mut unseen = Vec::with_capacity(events.len());
        for (_, own_id) in own_ids(&cursor, events) {
            unseen.push(match own_id {
                Some(id) => seen.insert(id) && !stored.exists(params![feed.0, id])?,
                None => true,
            });
        }
        Ok(unseen)
    }

    /// Marks `feed`'s events (or every feed's) as read, up to the event
    /// `up_to` (a row id) or all of them; returns how many changed.
    pub fn mark_read(&self, feed: Option<FeedId>, up_to: Option<i64>) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE events SET read = 1 WHERE read = 0 AND (?1 IS NULL OR feed_id = ?1) AND id <= ?2",
            params![feed.map(|f| f.0), up_to.unwrap_or(i64::MAX)],
        )?)
    }

    /// How many of `feed`'s events are unread.
    pub fn unread(&self, feed: FeedId) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM events WHERE feed_id = ?1 AND read = 0")?
            .query_row([feed.0], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// The `limit` most recent events of `feed`, oldest first.
    pub fn recent(&self, feed: FeedId, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let mut query = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events JOIN feeds ON feeds.id = events.feed_id
             WHERE events.feed_id = ?1 ORDER BY events.id DESC LIMIT ?2"
        ))?;
        let rows = query.query_map(params![feed.0, limit], stored_event)?;
        let mut events = rows.collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        Ok(events)
    }

    /// How many events are stored, in all feeds.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Stored events, oldest first: of one feed or all, received at or after `since`.
    pub fn history(&self, feed: Option<FeedId>, since: Option<EpochMs>) -> Result<Vec<StoredEvent>, StoreError> {
        let mut query = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events JOIN feeds ON feeds.id = events.feed_id
             WHERE (?1 IS NULL OR events.feed_id = ?1) AND events.received_at >= ?2
             ORDER BY events.id"
        ))?;
        let rows = query.query_map(params![feed.map(|f| f.0), since.unwrap_or(i64::MIN)], stored_event)?;
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
    fn what_is_unseen_is_what_an_ingest_would_store() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("tasks", "http://127.0.0.1/tasks/subscribe").unwrap();
        store.ingest(feed, &[event("a", "1"), event("b", "2")], 10).unwrap();
        // The second "c" has no id of its own; "d" comes again under its id.
        let replay = [event("a", "1"), event("b", "2"), event("c", "3"), event("c", "3"), event("d", "4")]
            .into_iter()
            .chain([event("e", "5"), event("d", "4")])
            .collect::<Vec<_>>();
        assert_eq!(store.unseen(feed, &replay).unwrap(), [false, false, true, true, true, true, false]);
        assert_eq!(store.ingest(feed, &replay, 20).unwrap(), Ingested { stored: 4, repeated: 3 });
    }

    #[test]
    fn large_batches_are_stored_once_too() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("big", "http://127.0.0.1/events").unwrap();
        let events = |n: u32| (1..=n).map(|i| event(&format!("e{i}"), &i.to_string())).collect::<Vec<_>>();
        assert_eq!(store.ingest(feed, &events(150), 1).unwrap(), Ingested { stored: 150, repeated: 0 });
        assert_eq!(store.ingest(feed, &events(200), 2).unwrap(), Ingested { stored: 50, repeated: 150 });
        let ids: Vec<String> = store.history(None, None).unwrap().into_iter().map(|e| e.event_id.unwrap()).collect();
        assert_eq!(ids, (1..=200).map(|i| i.to_string()).collect::<Vec<_>>());
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("200"));
    }

    #[test]
    fn only_new_events_are_handed_on_and_read_state_is_kept() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/").unwrap();
        let mut seen = Vec::new();
        let mut note = |_: usize, e: &Event, _: &Records<'_>| {
            seen.push(e.data.to_string());
            let ctx = crate::feed::meaning::Context { feed: "a", me: None, now: 1 };
            Ok(Some(crate::feed::meaning::raw(ctx, e)))
        };
        store.ingest_with(feed, &[event("a", "1"), event("b", "2")], 1, &mut note).unwrap();
        store.ingest_with(feed, &[event("a", "1"), event("b", "2"), event("c", "3")], 2, &mut note).unwrap();
        assert_eq!(seen, ["a", "b", "c"], "a replay is not handed on again");
        assert_eq!(store.unread(feed).unwrap(), 3);
        assert_eq!(store.mark_read(Some(feed), None).unwrap(), 3);
        assert_eq!(store.unread(feed).unwrap(), 0);
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
