//! Feeds: what to follow and how, kept in the store. The TOML form is in
//! `feeds_file`; a feed's secret is only named here, and lives in the OS
//! keyring (see [`crate::secrets`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Auth, FeedId, Retention, Store, StoreError};
use crate::secrets::Secrets;

/// How to follow one feed, beyond its name and URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A PEM file of extra certificates to trust (see `tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Send the cursor in this query parameter rather than `Last-Event-ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_query: Option<String>,
    /// Take the cursor from each event's JSON data at this pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_pointer: Option<String>,
    /// A REST `GET` of the whole collection, for resyncing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_url: Option<String>,
    /// The field that identifies an item in the snapshot (default `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_timeout_secs: Option<u64>,
    /// The stream's ids are consecutive integers, so an id that skips ahead
    /// is a gap: what lies between was lost, and the feed resyncs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sequential_ids: bool,
    /// How to authenticate; the secret itself is in the OS keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
}

/// A feed as stored and exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub name: String,
    pub url: String,
    pub settings: FeedSettings,
    pub retention: Retention,
}

/// Why a stored feed cannot be followed as it is.
#[derive(Debug, thiserror::Error)]
#[error("feed {feed:?}: {reason}")]
pub struct FeedSetupError {
    pub feed: String,
    pub reason: String,
}

impl Feed {
    /// The field that identifies an item of the feed's snapshot.
    pub fn key_field(&self) -> &str {
        self.settings.key_field.as_deref().unwrap_or("id")
    }

    /// What to subscribe with, resuming after `cursor`, and the HTTP client
    /// that trusts the feed's own certificates. A feed with `auth` takes its
    /// secret from `secrets` (a blocking call for the OS keyring).
    pub fn subscription(
        &self,
        cursor: Option<String>,
        secrets: &dyn Secrets,
    ) -> Result<(crate::sse::SubscriptionConfig, reqwest::Client), FeedSetupError> {
        let fail = |reason: String| FeedSetupError { feed: self.name.clone(), reason };
        let mut config = crate::sse::SubscriptionConfig::new(&self.url);
        for (name, value) in &self.settings.headers {
            config = config.header(name, value).map_err(|e| fail(e.to_string()))?;
        }
        if let Some(auth) = &self.settings.auth {
            config = auth.apply(config, secrets).map_err(|e| fail(e.to_string()))?;
        }
        if let Some(cursor) = cursor {
            config = config.last_event_id(cursor);
        }
        if let Some(name) = &self.settings.resume_query {
            config.resume = crate::sse::Resume::Query(name.clone());
        }
        config.cursor_pointer.clone_from(&self.settings.cursor_pointer);
        if let Some(secs) = self.settings.stall_timeout_secs {
            config.stall_timeout = Duration::from_secs(secs);
        }
        let trust = match &self.settings.ca_cert {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| fail(format!("ca_cert {}: {e}", path.display())))?;
                crate::tls::ExtraTrust::from_pem(&pem).map_err(|e| fail(format!("ca_cert {}: {e}", path.display())))?
            }
            None => crate::tls::ExtraTrust::default(),
        };
        let client = crate::http_client_trusting(&trust).map_err(|e| fail(e.to_string()))?;
        Ok((config, client))
    }
}

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
        Ok(())
    }

    /// Removes a feed with its history and cursor.
    pub fn remove_feed(&self, name: &str) -> Result<(), StoreError> {
        match self.conn.execute("DELETE FROM feeds WHERE name = ?1", [name])? {
            0 => Err(StoreError::NoSuchFeed(name.to_owned())),
            _ => Ok(()),
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
