//! The store's schema, as numbered migrations: opening an older store
//! upgrades it, and a store from a newer Herald is refused, not damaged.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(
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
    )])
}

pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    migrations().to_latest(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
