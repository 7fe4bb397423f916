//! What the store holds about one feed, for the window: its activity (for
//! its health) and the last change to each of its records.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{FeedId, Store, StoreError};
use crate::feed::Change;
use crate::sse::EpochMs;

impl Store {
    /// The last change to each record of `keys` that the store holds.
    pub fn last_changes(&self, feed: FeedId, keys: &[&str]) -> Result<Vec<Option<Change>>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT change FROM events WHERE feed_id = ?1 AND record_key = ?2 AND change IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?;
        let mut changes = Vec::with_capacity(keys.len());
        for key in keys {
            let json: Option<String> = rusqlite::OptionalExtension::optional(
                statement.query_row(rusqlite::params![feed.0, key], |r| r.get(0)),
            )?;
            changes.push(json.and_then(|json| serde_json::from_str(&json).ok()));
        }
        Ok(changes)
    }

    /// How many of a feed's events arrived at or after `since`, and the last
    /// event id it holds: for the feed's health.
    pub fn activity(&self, feed: FeedId, since: EpochMs) -> Result<Activity, StoreError> {
        let since_count: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM events WHERE feed_id = ?1 AND received_at >= ?2")?
            .query_row(rusqlite::params![feed.0, since], |r| r.get(0))?;
        let (stored, last_at): (i64, Option<EpochMs>) = self
            .conn
            .prepare_cached("SELECT count(*), max(received_at) FROM events WHERE feed_id = ?1")?
            .query_row([feed.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(Activity {
            since: since_count.unsigned_abs(),
            stored: stored.unsigned_abs(),
            last_event_at: last_at,
            last_event_id: self.cursor(feed)?.filter(|c| !c.is_empty()),
        })
    }
}

/// What a feed's store holds, for its health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Activity {
    /// Events that arrived since the time asked about (today, for the window).
    #[ts(type = "number")]
    pub since: u64,
    #[ts(type = "number")]
    pub stored: u64,
    #[ts(type = "number | null")]
    pub last_event_at: Option<EpochMs>,
    /// The cursor it resumes from.
    pub last_event_id: Option<String>,
}
