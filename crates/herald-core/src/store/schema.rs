//! The store's schema, as numbered migrations: opening an older store
//! upgrades it, and a store from a newer Herald is refused, not damaged.

use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE feeds (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url  TEXT NOT NULL
        );
        -- Every event received, in the order it arrived (id).
        CREATE TABLE events (
            id          INTEGER PRIMARY KEY,
            feed_id     INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
            -- The event's own id; NULL when it carried none, and then it is never merged.
            event_id    TEXT,
            -- The last event ID in force after it (the cursor it leaves behind).
            cursor      TEXT NOT NULL,
            event_type  TEXT NOT NULL,
            data        TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            read        INTEGER NOT NULL DEFAULT 0
        );
        -- Events without an id of their own cost this index nothing.
        CREATE UNIQUE INDEX events_once ON events (feed_id, event_id) WHERE event_id IS NOT NULL;
        CREATE TABLE cursors (
            feed_id       INTEGER PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
            last_event_id TEXT NOT NULL
        );",
        ),
        // Retention per feed: NULL keeps everything.
        M::up(
            "ALTER TABLE feeds ADD COLUMN keep_count INTEGER;
             ALTER TABLE feeds ADD COLUMN keep_ms INTEGER;",
        ),
        // How to follow each feed (headers, resume mode, snapshot, ...), as JSON.
        M::up("ALTER TABLE feeds ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';"),
        // The replica of a feed's collection, for diffing against a snapshot
        // when continuity is broken; and which events were found that way.
        M::up(
            "CREATE TABLE replicas (
            feed_id   INTEGER PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
            key_field TEXT NOT NULL,
            synced_at INTEGER NOT NULL
        );
        CREATE TABLE records (
            feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
            key     TEXT NOT NULL,
            value   TEXT NOT NULL,
            PRIMARY KEY (feed_id, key)
        ) WITHOUT ROWID;
        ALTER TABLE events ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;",
        ),
        // What each event meant, for the timeline and its search: the
        // change's title, sentence, actor and action, and the change itself
        // (JSON, without the record) and the key of the record it changed.
        // NULL for an event that meant nothing.
        // The search index holds the title, the sentence and the data; it is
        // written once per event (by the store, after the meaning), and the
        // trigger takes an event out of it when the event goes.
        M::up(
            "ALTER TABLE events ADD COLUMN title TEXT;
        ALTER TABLE events ADD COLUMN summary TEXT;
        ALTER TABLE events ADD COLUMN actor TEXT;
        ALTER TABLE events ADD COLUMN action TEXT;
        ALTER TABLE events ADD COLUMN change TEXT;
        ALTER TABLE events ADD COLUMN record_key TEXT;
        CREATE INDEX events_by_feed ON events (feed_id, id);
        CREATE INDEX events_by_record ON events (feed_id, record_key, id) WHERE record_key IS NOT NULL;
        CREATE INDEX events_unread ON events (feed_id, id) WHERE read = 0;
        CREATE VIRTUAL TABLE events_search USING fts5 (
            title, summary, data,
            content = 'events', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER events_unindexed AFTER DELETE ON events BEGIN
            INSERT INTO events_search (events_search, rowid, title, summary, data)
                VALUES ('delete', old.id, old.title, old.summary, old.data);
        END;
        INSERT INTO events_search (events_search) VALUES ('rebuild');",
        ),
        // The search index leaves out events that mean nothing (they are
        // never in the timeline), so a search's matches can be counted in
        // the index alone, without a look at each event.
        M::up(
            "DROP TRIGGER events_unindexed;
        CREATE TRIGGER events_unindexed AFTER DELETE ON events WHEN old.action IS NOT 'none' BEGIN
            INSERT INTO events_search (events_search, rowid, title, summary, data)
                VALUES ('delete', old.id, old.title, old.summary, old.data);
        END;
        INSERT INTO events_search (events_search, rowid, title, summary, data)
            SELECT 'delete', id, title, summary, data FROM events WHERE action = 'none';",
        ),
        // The longest wait for a feed's keepalive, learned on the stream, so
        // that a restart keeps a stall timeout long enough for it.
        // And ntfy's `open` and `keepalive` events, which older Herald kept
        // as events: they are not news, and a cursor on one of them sends
        // ntfy back to its whole cache. The cursor goes back to the last
        // message (or to none, which asks ntfy for new messages only).
        M::up(
            "ALTER TABLE feeds ADD COLUMN keepalive_ms INTEGER;
        CREATE TEMP TABLE ntfy_feeds AS
            SELECT id FROM feeds WHERE json_extract(settings, '$.preset') = 'ntfy';
        DELETE FROM events WHERE action = 'none' AND event_type IN ('open', 'keepalive', 'poll_request')
            AND feed_id IN (SELECT id FROM ntfy_feeds);
        UPDATE cursors SET last_event_id = coalesce(
            (SELECT cursor FROM events WHERE events.feed_id = cursors.feed_id ORDER BY id DESC LIMIT 1), '')
            WHERE feed_id IN (SELECT id FROM ntfy_feeds);
        DROP TABLE ntfy_feeds;",
        ),
        // The sequence a message belongs to (ntfy's `sequence_id`, or else
        // its own id), which a later message of it replaces, and whether
        // its sender withdrew it; and what came of its buttons (JSON), kept
        // beside it and gone with it.
        M::up(
            "ALTER TABLE events ADD COLUMN sequence TEXT;
        ALTER TABLE events ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX events_by_sequence ON events (feed_id, sequence) WHERE sequence IS NOT NULL;
        CREATE TABLE action_results (
            id     INTEGER PRIMARY KEY,
            event  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            result TEXT NOT NULL
        );
        CREATE INDEX action_results_by_event ON action_results (event);",
        ),
    ])
}

/// Brings the store to the latest schema. Two processes may open a new store
/// at once (`sync` starting while `history` reads): both see the old
/// version, one upgrades it, and the other's attempt fails on tables that
/// now exist. That is success, not an error, when the store is now current.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    let migrations = migrations();
    // Immediate: the upgrade takes the write lock before it reads anything,
    // so the loser waits for the winner instead of working on a stale view.
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let result = migrations.to_latest(conn);
    conn.set_transaction_behavior(TransactionBehavior::Deferred);
    match result {
        Err(_) if migrations.pending_migrations(conn).is_ok_and(|pending| pending == 0) => Ok(()),
        result => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Retention;
    use crate::store::{Store, StoreError};

    #[test]
    fn the_migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn a_store_of_the_first_version_is_upgraded_with_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrations().to_version(&mut conn, 1).unwrap();
            conn.execute_batch(
                "INSERT INTO feeds (id, name, url) VALUES (1, 'tasks', 'http://127.0.0.1/');
                 INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at)
                     VALUES (1, '7', '7', 'create', '{}', 5);
                 INSERT INTO cursors (feed_id, last_event_id) VALUES (1, '7');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let feed = store.feed_id("tasks").unwrap();
        assert_eq!(store.cursor(feed).unwrap().as_deref(), Some("7"));
        assert_eq!(store.history(Some(feed), None).unwrap().len(), 1);
        assert_eq!(store.retention(feed).unwrap(), Retention::default(), "an old feed keeps everything");
    }

    /// A store from before control events: its ntfy feed kept `open` and
    /// `keepalive` events, and its cursor was a keepalive's id.
    #[test]
    fn an_ntfy_feeds_control_events_go_and_its_cursor_returns_to_its_last_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrations().to_version(&mut conn, 6).unwrap();
            conn.execute_batch(
                r#"INSERT INTO feeds (id, name, url, settings) VALUES
                       (1, 'alerts', 'http://127.0.0.1/alerts/sse', '{"preset":"ntfy"}'),
                       (2, 'plain', 'http://127.0.0.1/events', '{}');
                 INSERT INTO events (feed_id, event_id, cursor, event_type, data, received_at, action) VALUES
                     (1, 'o1', 'o1', 'open', '{}', 1, 'none'),
                     (1, 'm1', 'm1', 'message', '{}', 2, 'message'),
                     (1, 'k1', 'k1', 'keepalive', '{}', 3, 'none'),
                     (2, 'k9', 'k9', 'keepalive', '{}', 3, 'message');
                 INSERT INTO cursors (feed_id, last_event_id) VALUES (1, 'k1'), (2, 'k9');"#,
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let alerts = store.feed_id("alerts").unwrap();
        let kept: Vec<String> = store.history(Some(alerts), None).unwrap().into_iter().map(|e| e.event_type).collect();
        assert_eq!(kept, ["message"]);
        assert_eq!(store.cursor(alerts).unwrap().as_deref(), Some("m1"));
        let plain = store.feed_id("plain").unwrap();
        assert_eq!(store.history(Some(plain), None).unwrap().len(), 1, "another preset's events are its own");
        assert_eq!(store.cursor(plain).unwrap().as_deref(), Some("k9"));
        assert_eq!(store.keepalive(alerts).unwrap(), None);
    }

    #[test]
    fn a_store_from_a_newer_herald_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::Migrate { .. })));
        let version: i64 =
            Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 99);
    }

    /// Several processes creating one store at the same moment all get it:
    /// the race that once made `tail --store` exit while a reader opened the
    /// new file.
    #[test]
    fn opening_a_new_store_from_many_connections_at_once_succeeds_for_all() {
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("herald.db");
            let start = std::sync::Barrier::new(6);
            std::thread::scope(|scope| {
                let openers: Vec<_> = (0..6)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            Store::open(&path).map(|_| ())
                        })
                    })
                    .collect();
                for opener in openers {
                    let opened = opener.join().unwrap();
                    assert!(opened.is_ok(), "round {round}: {opened:?}");
                }
            });
            assert_eq!(migrations().pending_migrations(&Connection::open(&path).unwrap()).unwrap(), 0);
        }
    }
}
