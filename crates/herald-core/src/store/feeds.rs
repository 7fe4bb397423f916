//! Feeds: what to follow and how, kept in the store and exchanged as TOML.
//!
//! A feeds file is validated whole before anything is written, and every
//! problem is reported with its line, so a bad file is refused and nothing
//! is half-imported. Credentials are refused in it: they belong in the OS
//! keyring, never in the store, an export or a log.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{FeedId, Retention, Store, StoreError};

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
}

/// A feed as stored and exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub name: String,
    pub url: String,
    pub settings: FeedSettings,
    pub retention: Retention,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct FeedsFileError {
    pub line: usize,
    pub reason: String,
}

/// One `[[feed]]` table as written, with where each value is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    headers: Option<Spanned<BTreeMap<String, String>>>,
    ca_cert: Option<Spanned<PathBuf>>,
    resume_query: Option<Spanned<String>>,
    cursor_pointer: Option<Spanned<String>>,
    snapshot_url: Option<Spanned<String>>,
    key_field: Option<Spanned<String>>,
    stall_timeout_secs: Option<Spanned<u64>>,
    keep_count: Option<Spanned<u64>>,
    keep_days: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    feed: Vec<RawFeed>,
}

/// The same shape, for writing.
#[derive(Serialize)]
struct FileOut<'a> {
    feed: Vec<FeedOut<'a>>,
}

#[derive(Serialize)]
struct FeedOut<'a> {
    name: &'a str,
    url: &'a str,
    #[serde(flatten)]
    settings: &'a FeedSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_days: Option<u64>,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Header names that carry credentials, which a feeds file must not hold.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn http_url(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// Reads and checks a feeds file; the first problem is returned with its line.
pub fn parse_feeds(text: &str) -> Result<Vec<Feed>, FeedsFileError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: RawFile = toml::from_str(text).map_err(|e| FeedsFileError {
        line: e.span().map(|s| line_of(s.start)).unwrap_or(1),
        reason: e.message().to_owned(),
    })?;
    let refuse = |span: Range<usize>, reason: String| FeedsFileError { line: line_of(span.start), reason };
    let mut feeds: Vec<Feed> = Vec::new();
    for raw in raw.feed {
        let name = raw.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(refuse(raw.name.span(), "a feed needs a name".into()));
        }
        if feeds.iter().any(|f| f.name == name) {
            return Err(refuse(raw.name.span(), format!("there are two feeds named {name:?}")));
        }
        if !http_url(raw.url.get_ref()) {
            return Err(refuse(raw.url.span(), format!("{:?} is not an http(s) URL", raw.url.get_ref())));
        }
        let mut settings = FeedSettings::default();
        if let Some(headers) = raw.headers {
            for (header, value) in headers.get_ref() {
                let bad = reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(value).is_err();
                if bad {
                    return Err(refuse(headers.span(), format!("the header {header:?} has an invalid name or value")));
                }
                if CREDENTIAL_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
                    let reason =
                        format!("{header} holds a credential, which belongs in the OS keyring, not in this file");
                    return Err(refuse(headers.span(), reason));
                }
            }
            settings.headers = headers.into_inner();
        }
        if let Some(path) = raw.ca_cert {
            let checked = std::fs::read(path.get_ref())
                .map_err(|e| e.to_string())
                .and_then(|pem| crate::tls::ExtraTrust::from_pem(&pem).map_err(|e| e.to_string()));
            if let Err(e) = checked {
                return Err(refuse(path.span(), format!("ca_cert {}: {e}", path.get_ref().display())));
            }
            settings.ca_cert = Some(path.into_inner());
        }
        if let Some(query) = raw.resume_query {
            if query.get_ref().is_empty() {
                return Err(refuse(query.span(), "resume_query needs a parameter name".into()));
            }
            settings.resume_query = Some(query.into_inner());
        }
        if let Some(pointer) = raw.cursor_pointer {
            if !pointer.get_ref().is_empty() && !pointer.get_ref().starts_with('/') {
                return Err(refuse(pointer.span(), "cursor_pointer must be a JSON pointer, such as \"/id\"".into()));
            }
            settings.cursor_pointer = Some(pointer.into_inner());
        }
        if let Some(url) = raw.snapshot_url {
            if !http_url(url.get_ref()) {
                return Err(refuse(url.span(), format!("{:?} is not an http(s) URL", url.get_ref())));
            }
            settings.snapshot_url = Some(url.into_inner());
        }
        if let Some(key) = raw.key_field {
            if key.get_ref().trim().is_empty() {
                return Err(refuse(key.span(), "key_field must name a field".into()));
            }
            settings.key_field = Some(key.into_inner());
        }
        if let Some(secs) = raw.stall_timeout_secs {
            if !(1..=86_400).contains(secs.get_ref()) {
                return Err(refuse(secs.span(), "stall_timeout_secs must be between 1 and 86400".into()));
            }
            settings.stall_timeout_secs = Some(*secs.get_ref());
        }
        let mut retention = Retention::default();
        if let Some(count) = raw.keep_count {
            if *count.get_ref() == 0 {
                return Err(refuse(count.span(), "keep_count must keep at least 1 event".into()));
            }
            retention.max_count = Some(*count.get_ref());
        }
        if let Some(days) = raw.keep_days {
            if !(1..=36_500).contains(days.get_ref()) {
                return Err(refuse(days.span(), "keep_days must be between 1 and 36500".into()));
            }
            retention.max_age = Some(DAY * u32::try_from(*days.get_ref()).unwrap_or(36_500));
        }
        feeds.push(Feed { name, url: raw.url.into_inner(), settings, retention });
    }
    Ok(feeds)
}

/// The feeds as a feeds file that [`parse_feeds`] reads back.
pub fn feeds_to_toml(feeds: &[Feed]) -> String {
    let file = FileOut {
        feed: feeds
            .iter()
            .map(|f| FeedOut {
                name: &f.name,
                url: &f.url,
                settings: &f.settings,
                keep_count: f.retention.max_count,
                keep_days: f.retention.max_age.map(|age| age.as_secs().div_ceil(DAY.as_secs())),
            })
            .collect(),
    };
    toml::to_string(&file).unwrap_or_default()
}

/// Why a stored feed cannot be followed as it is.
#[derive(Debug, thiserror::Error)]
#[error("feed {feed:?}: {reason}")]
pub struct FeedSetupError {
    pub feed: String,
    pub reason: String,
}

impl Feed {
    /// What to subscribe with, resuming after `cursor`, and the HTTP client
    /// that trusts the feed's own certificates.
    pub fn subscription(
        &self,
        cursor: Option<String>,
    ) -> Result<(crate::sse::SubscriptionConfig, reqwest::Client), FeedSetupError> {
        let fail = |reason: String| FeedSetupError { feed: self.name.clone(), reason };
        let mut config = crate::sse::SubscriptionConfig::new(&self.url);
        for (name, value) in &self.settings.headers {
            config = config.header(name, value).map_err(|e| fail(e.to_string()))?;
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
        let mut query = self.conn.prepare_cached("SELECT id, name, url, settings FROM feeds ORDER BY name")?;
        let rows = query.query_map([], |r| {
            Ok((FeedId(r.get(0)?), r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut feeds = Vec::new();
        for row in rows {
            let (id, name, url, settings) = row?;
            let settings = serde_json::from_str(&settings).unwrap_or_default();
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

    const GOOD: &str = r#"
[[feed]]
name = "tasks"
url = "https://tasks.example.com/tasks/subscribe"
snapshot_url = "https://tasks.example.com/tasks"
stall_timeout_secs = 60
keep_days = 30
headers = { "X-Team" = "blue" }

[[feed]]
name = "alerts"
url = "https://ntfy.example.com/alerts/sse"
resume_query = "since"
cursor_pointer = "/id"
keep_count = 1000
"#;

    #[test]
    fn a_good_file_round_trips_through_the_store_and_an_export() {
        let feeds = parse_feeds(GOOD).unwrap();
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[1].settings.cursor_pointer.as_deref(), Some("/id"));
        let mut store = Store::in_memory().unwrap();
        store.import_feeds(&feeds).unwrap();
        let stored = store.feeds().unwrap();
        assert_eq!(stored.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["alerts", "tasks"]);
        let exported = feeds_to_toml(&stored);
        assert_eq!(parse_feeds(&exported).unwrap(), stored, "an export reads back the same:\n{exported}");
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_the_reason() {
        let err = |text: &str| parse_feeds(text).unwrap_err().to_string();
        let feed = |extra: &str| format!("[[feed]]\nname = \"a\"\nurl = \"https://a.example/\"\n{extra}\n");
        assert_eq!(err(&feed("stall_timeout_secs = 0")), "line 4: stall_timeout_secs must be between 1 and 86400");
        assert_eq!(err("[[feed]]\nname = \"a\"\nurl = \"ftp://a/\"\n"), "line 3: \"ftp://a/\" is not an http(s) URL");
        assert_eq!(
            err(&feed("cursor_pointer = \"id\"")),
            "line 4: cursor_pointer must be a JSON pointer, such as \"/id\""
        );
        assert_eq!(
            err(&feed("headers = { Authorization = \"Bearer x\" }")),
            "line 4: Authorization holds a credential, which belongs in the OS keyring, not in this file"
        );
        assert_eq!(err(&format!("{}{}", feed(""), feed(""))), "line 6: there are two feeds named \"a\"");
        assert!(err(&feed("colour = 1")).starts_with("line 4: unknown field `colour`"), "{}", err(&feed("colour = 1")));
        assert!(err(&feed("ca_cert = \"/nonexistent.pem\"")).starts_with("line 4: ca_cert /nonexistent.pem:"));
        assert!(err("[[feed]\n").starts_with("line 1:"));
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
