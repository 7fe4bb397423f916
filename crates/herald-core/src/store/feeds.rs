//! Feeds as rows: their settings as JSON, their retention as columns.
//! What a feed is and how its settings are checked is [`crate::feed`].

use std::time::Duration;

use rusqlite::params;

use super::{FeedId, Store, StoreError};
use crate::feed::Feed;

impl Store {
    /// Every feed, by name.
    pub fn feeds(&self) -> Result<Vec<Feed>, StoreError> {
        self.feeds_where(None)
    }

    /// The feed named `name`.
    pub fn feed(&self, name: &str) -> Result<Feed, StoreError> {
        let found = self.feeds_where(Some(name))?.pop();
        found.ok_or_else(|| StoreError::NoSuchFeed(name.to_owned()))
    }

    fn feeds_where(&self, name: Option<&str>) -> Result<Vec<Feed>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT id, name, url, settings FROM feeds WHERE ?1 IS NULL OR name = ?1 ORDER BY name")?;
        let rows = query.query_map([name], |r| {
            Ok((FeedId(r.get(0)?), r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut feeds = Vec::new();
        for row in rows {
            let (id, name, url, settings) = row?;
            // Settings that do not read back are an error, never silently the defaults.
            let settings = serde_json::from_str(&settings)
                .map_err(|e| StoreError::BadSettings { feed: name.clone(), reason: e.to_string() })?;
            feeds.push(Feed { name, url, settings, retention: self.retention(id)? });
        }
        Ok(feeds)
    }

    /// Adds the feeds, or replaces those with the same names, all in one transaction.
    pub fn import_feeds(&mut self, feeds: &[Feed]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for feed in feeds {
            let settings = serde_json::to_string(&feed.settings).unwrap_or_else(|_| "{}".into());
            let count = feed.retention.max_count.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
            let ms = feed.retention.max_age.map(|age| i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            tx.execute(
                "INSERT INTO feeds (name, url, settings, keep_count, keep_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url, settings = excluded.settings,
                     keep_count = excluded.keep_count, keep_ms = excluded.keep_ms",
                params![feed.name, feed.url, settings, count, ms],
            )?;
        }
        tx.commit()?;
        self.back_up_feeds();
        Ok(())
    }

    /// The longest wait for a keepalive seen on `feed` (see
    /// [`crate::sse::stall_timeout`]).
    pub fn keepalive(&self, feed: FeedId) -> Result<Option<Duration>, StoreError> {
        let ms: Option<i64> =
            self.conn.query_row("SELECT keepalive_ms FROM feeds WHERE id = ?1", [feed.0], |r| r.get(0))?;
        Ok(ms.map(|ms| Duration::from_millis(ms.unsigned_abs())))
    }

    /// Keeps `gap` as the longest wait for a keepalive on `feed`, unless a
    /// longer one is kept already.
    pub fn learn_keepalive(&self, feed: FeedId, gap: Duration) -> Result<(), StoreError> {
        let ms = i64::try_from(gap.as_millis()).unwrap_or(i64::MAX);
        self.conn.execute(
            "UPDATE feeds SET keepalive_ms = ?2 WHERE id = ?1 AND coalesce(keepalive_ms, 0) < ?2",
            params![feed.0, ms],
        )?;
        Ok(())
    }

    /// Removes a feed with its history and cursor.
    pub fn remove_feed(&self, name: &str) -> Result<(), StoreError> {
        match self.conn.execute("DELETE FROM feeds WHERE name = ?1", [name])? {
            0 => Err(StoreError::NoSuchFeed(name.to_owned())),
            _ => {
                self.back_up_feeds();
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_is_found_by_name_and_unreadable_settings_are_an_error() {
        let store = Store::in_memory().unwrap();
        store.feed_for("a", "http://127.0.0.1/").unwrap();
        assert_eq!(store.feed("a").unwrap().url, "http://127.0.0.1/");
        assert!(matches!(store.feed("b"), Err(StoreError::NoSuchFeed(_))));
        store.conn.execute("UPDATE feeds SET settings = '{\"colour\": 1}'", []).unwrap();
        let err = store.feeds().unwrap_err().to_string();
        assert!(err.starts_with("the settings of feed \"a\" in the store do not read back: unknown field"), "{err}");
    }

    #[test]
    fn a_learned_keepalive_only_grows() {
        let store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/").unwrap();
        assert_eq!(store.keepalive(feed).unwrap(), None);
        store.learn_keepalive(feed, Duration::from_millis(45_010)).unwrap();
        store.learn_keepalive(feed, Duration::from_secs(5)).unwrap();
        assert_eq!(store.keepalive(feed).unwrap(), Some(Duration::from_millis(45_010)));
    }

    #[test]
    fn removing_a_feed_removes_its_history() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("a", "http://127.0.0.1/").unwrap();
        let event = crate::sse::Event { event: "m".into(), data: "x".into(), last_event_id: "1".into() };
        store.ingest(feed, &[event], 0).unwrap();
        store.remove_feed("a").unwrap();
        assert_eq!(store.event_count().unwrap(), 0);
        assert!(matches!(store.remove_feed("a"), Err(StoreError::NoSuchFeed(_))));
    }
}
