//! What each stored event meant, written beside it in the ingest's
//! transaction, and the search index over it.
//!
//! The index (FTS5, external content) holds an event's title, sentence and
//! data. It is written once per event, after its meaning, and the store's
//! trigger takes an event out of it when the event goes: never updated in
//! place, so the index always holds what the row holds.

use rusqlite::{OptionalExtension, Transaction};

use super::FeedId;
use crate::feed::{Action, Change, Level};

/// Writes what the event in `row` of `feed` meant. The record itself is
/// left out: the replica has it, and it can be large. A change the feed's
/// rules ignore is stored read: it is never news.
///
/// A message keeps its sequence, for a later message of it to replace it
/// ([`supersede_after`]). A withdrawal or a clear is no entry of its own: it
/// marks its sequence's message withdrawn or read, and takes that message's
/// title, so that whoever hears of it can say which message it was.
pub(super) fn describe(tx: &Transaction<'_>, feed: FeedId, row: i64, change: &mut Change) -> rusqlite::Result<()> {
    if matches!(change.action, Action::Withdrawn | Action::Cleared) {
        return retract(tx, feed, row, change);
    }
    let stored = Change { record: None, ..change.clone() };
    let json = serde_json::to_string(&stored).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "UPDATE events SET title = ?2, summary = ?3, actor = ?4, action = ?5, change = ?6, record_key = ?7,
                read = read OR ?8, sequence = ?9 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        row,
        change.title,
        change.summary,
        change.actor,
        change.action.as_str(),
        json,
        change.key,
        change.level == Level::Ignore,
        change.sequence(),
    ])
    .map(drop)
}

/// Applies a withdrawal or a clear to the message of its sequence.
fn retract(tx: &Transaction<'_>, feed: FeedId, row: i64, change: &mut Change) -> rusqlite::Result<()> {
    let withdrawn = change.action == Action::Withdrawn;
    if let Some(sequence) = change.extras.sequence.as_deref() {
        let title: Option<String> = tx
            .prepare_cached(
                "SELECT title FROM events WHERE feed_id = ?1 AND sequence = ?2 AND action IS NOT ?3
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![feed.0, sequence, MEANINGLESS], |r| r.get(0))
            .optional()?
            .flatten();
        tx.prepare_cached(
            "UPDATE events SET read = 1, withdrawn = withdrawn OR ?3
             WHERE feed_id = ?1 AND sequence = ?2 AND action IS NOT ?4",
        )?
        .execute(rusqlite::params![feed.0, sequence, withdrawn, MEANINGLESS])?;
        if let Some(title) = title {
            change.title = title;
        }
    }
    change.summary = format!("'{}' {}", change.title, if withdrawn { "was withdrawn" } else { "was cleared" });
    meaningless(tx, row)
}

/// Retires every message that a message stored after row `after` replaces
/// (an earlier one of its sequence): out of the timeline and its index,
/// and read. The newest of a sequence is its only entry.
pub(super) fn supersede_after(tx: &Transaction<'_>, feed: FeedId, after: i64) -> rusqlite::Result<()> {
    let replaced: Vec<i64> = tx
        .prepare_cached(
            "SELECT DISTINCT old.id FROM events new
             JOIN events old ON old.feed_id = new.feed_id AND old.sequence = new.sequence AND old.id < new.id
             WHERE new.feed_id = ?1 AND new.id > ?2 AND new.sequence IS NOT NULL AND new.action IS NOT ?3
               AND old.action IS NOT ?3",
        )?
        .query_map(rusqlite::params![feed.0, after, MEANINGLESS], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut unindex = tx.prepare_cached(
        "INSERT INTO events_search (events_search, rowid, title, summary, data)
         SELECT 'delete', id, title, summary, data FROM events WHERE id = ?1",
    )?;
    for old in replaced {
        unindex.execute([old])?;
        meaningless(tx, old)?;
    }
    Ok(())
}

/// What the `action` of an event that means nothing is.
pub(super) const MEANINGLESS: &str = "none";

/// Marks the event in `row` as meaning nothing: out of the timeline, and read.
pub(super) fn meaningless(tx: &Transaction<'_>, row: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE events SET action = ?2, read = 1 WHERE id = ?1")?
        .execute(rusqlite::params![row, MEANINGLESS])
        .map(drop)
}

/// Adds every event after row `after` to the search index, with its
/// meaning; an event that means nothing stays out of it.
pub(super) fn index_after(tx: &Transaction<'_>, after: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events_search (rowid, title, summary, data)
         SELECT id, title, summary, data FROM events WHERE id > ?1 AND action IS NOT ?2",
    )?
    .execute(rusqlite::params![after, MEANINGLESS])
    .map(drop)
}

#[cfg(test)]
mod tests {
    use crate::feed::Action;
    use crate::sse::Event;
    use crate::store::{Store, TimelinePage, TimelineQuery};

    fn titles(page: &TimelinePage) -> Vec<&str> {
        page.entries.iter().map(|e| e.change.title.as_str()).collect()
    }

    /// ntfy 2.16's updates: a later message of a sequence replaces its
    /// entry (across batches, and in its search); a delete withdraws it
    /// and a clear marks it read, and neither is an entry of its own.
    #[test]
    fn a_sequence_keeps_one_entry_which_a_delete_withdraws_and_a_clear_reads() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("alerts", "http://127.0.0.1/alerts/sse").unwrap();
        let ntfy = crate::feed::MessageMeaning::ntfy();
        let ingest = |store: &mut Store, events: &[(&str, &str, &str)]| {
            let events: Vec<Event> = events
                .iter()
                .map(|(kind, id, data)| Event {
                    event: (*kind).into(),
                    data: (*data).into(),
                    last_event_id: (*id).into(),
                })
                .collect();
            let ctx = crate::feed::meaning::Context { feed: "alerts", me: None, now: 5 };
            store.ingest_with(feed, &events, 5, |_, event, _| Ok(ntfy.read(ctx, event))).unwrap().1
        };
        ingest(
            &mut store,
            &[("message", "m1", r#"{"id":"m1","event":"message","sequence_id":"s1","message":"Backup at 0%"}"#)],
        );
        let told = ingest(
            &mut store,
            &[
                ("message", "m2", r#"{"id":"m2","event":"message","sequence_id":"s1","message":"Backup at 50%"}"#),
                ("message", "m3", r#"{"id":"m3","event":"message","sequence_id":"s1","message":"Backup at 90%"}"#),
                ("message", "p1", r#"{"id":"p1","event":"message","message":"Disk at 91%"}"#),
            ],
        );
        assert_eq!(told.len(), 3, "every update is told, for the notification to follow");
        let page = store.timeline(&TimelineQuery::default()).unwrap();
        assert_eq!((page.total, titles(&page)), (Some(2), vec!["Disk at 91%", "Backup at 90%"]));
        let search = TimelineQuery { text: Some("backup".into()), ..Default::default() };
        assert_eq!(store.timeline(&search).unwrap().total, Some(1), "the replaced ones left the index too");

        let told = ingest(
            &mut store,
            &[
                ("message_delete", "d1", r#"{"id":"d1","event":"message_delete","sequence_id":"s1"}"#),
                ("message_clear", "c1", r#"{"id":"c1","event":"message_clear","sequence_id":"p1"}"#),
                ("message_delete", "d2", r#"{"id":"d2","event":"message_delete"}"#),
            ],
        );
        let said: Vec<(Action, &str)> = told.iter().map(|c| (c.action, c.summary.as_str())).collect();
        assert_eq!(
            said,
            [(Action::Withdrawn, "'Backup at 90%' was withdrawn"), (Action::Cleared, "'Disk at 91%' was cleared")],
            "a delete that names no sequence means nothing"
        );
        let page = store.timeline(&TimelineQuery::default()).unwrap();
        let entries: Vec<(&str, bool, bool)> =
            page.entries.iter().map(|e| (e.change.title.as_str(), e.read, e.withdrawn)).collect();
        assert_eq!(entries, [("Disk at 91%", true, false), ("Backup at 90%", true, true)]);
        assert_eq!(store.unread(feed).unwrap(), 0);
        store.conn.execute("INSERT INTO events_search (events_search) VALUES ('integrity-check')", []).unwrap();
    }
}
