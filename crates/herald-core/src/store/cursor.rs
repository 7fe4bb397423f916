//! A feed's cursor: the last event ID its stored history ends at, which is
//! where the stream resumes. Written with the events it covers (see
//! `history`), or with a snapshot that says where it is current to (see
//! `replica`), and nowhere else.

use rusqlite::{params, OptionalExtension};

use super::FeedId;

pub(super) fn cursor_of(conn: &rusqlite::Connection, feed: FeedId) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT last_event_id FROM cursors WHERE feed_id = ?1", [feed.0], |r| r.get(0)).optional()
}

pub(super) fn set_cursor(conn: &rusqlite::Connection, feed: FeedId, cursor: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO cursors (feed_id, last_event_id) VALUES (?1, ?2)
         ON CONFLICT (feed_id) DO UPDATE SET last_event_id = excluded.last_event_id",
        params![feed.0, cursor],
    )
    .map(drop)
}
