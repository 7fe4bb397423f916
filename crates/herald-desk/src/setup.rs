//! Which feeds the app follows when it starts: every stored feed, the
//! embedded demo when there is none, and the `--server` shortcut.
//!
//! The store is the one `herald-cli` uses, so feeds imported, edited or
//! given secrets there are followed here exactly the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use herald_core::blocking;
use herald_core::feed::{Auth, Feed, Preset, Retention};
use herald_core::secrets::{OsKeyring, Secrets, SessionSecrets};
use herald_core::store::{Store, StoreError};
use herald_hub::demo::DemoHub;

/// The demo's feed, found again by its name.
pub const DEMO_FEED: &str = "Demo";

/// How long a feed added by the app keeps its history, unless the user
/// says otherwise (`herald-cli feeds`): the app runs for months, and its
/// store must not grow without end.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(90 * 24 * 3600);

/// What the app starts with.
pub struct Start {
    pub store: PathBuf,
    /// The store, open: a damaged one was moved aside and a new one
    /// started, and it says so ([`Store::take_recovery`]).
    pub opened: Store,
    pub secrets: SessionSecrets,
    /// The embedded demo hub, running while this lives.
    pub demo: Option<DemoHub>,
}

/// The feed `--server URL` stands for: Herald's hub at that root, named by
/// its stream's URL, as the app named it before feeds were stored. An older
/// app's memory of that server is that feed, so its history carries on.
pub fn server_feed(root: &str) -> anyhow::Result<Feed> {
    let root = root.trim_end_matches('/');
    anyhow::ensure!(herald_core::is_http_url(root), "--server {root} is not an http(s) URL");
    let url = format!("{root}/tasks/subscribe");
    Ok(Feed::new(url.clone(), url).with_preset(Preset::HeraldHub))
}

/// Adds `feed` unless a feed of that name is stored, keeping a stored
/// one's history and choices; either way it gets `preset` and `auth` if
/// it has none. Returns the feed as stored. A stored feed that cannot be
/// read is an error, never a reason to write a new one over it.
fn ensure(store: &mut Store, mut feed: Feed, auth: Option<Auth>) -> anyhow::Result<Feed> {
    match store.feed(&feed.name) {
        Ok(stored) => {
            let mut stored = stored;
            stored.url = feed.url;
            stored.settings.preset = stored.settings.preset.or(feed.settings.preset);
            if auth.is_some() {
                stored.settings.auth = auth;
            }
            feed = stored;
        }
        Err(StoreError::NoSuchFeed(_)) => {
            feed.settings.auth = auth;
            feed.retention = Retention { max_count: None, max_age: Some(DEFAULT_KEEP) };
        }
        Err(e) => return Err(e.into()),
    }
    store.import_feeds(std::slice::from_ref(&feed))?;
    Ok(feed)
}

/// Opens the store, adds what the options ask for, and starts the demo
/// when there is nothing else to follow.
pub async fn prepare(
    store_path: &Path,
    server: Option<&str>,
    token: Option<String>,
    demo_every: Duration,
) -> anyhow::Result<Start> {
    let path = store_path.to_owned();
    let store = blocking::run(move || Store::open_or_recover(&path)).await;
    let mut store = store.with_context(|| format!("opening the store {}", store_path.display()))?;
    let secrets = SessionSecrets::over(OsKeyring);
    if let Some(root) = server {
        let feed = server_feed(root)?;
        // The token goes into the keyring once, and from then on comes from there.
        let auth = match token {
            Some(token) => {
                let entry = feed.name.clone();
                let kept = blocking::run({
                    let entry = entry.clone();
                    move || OsKeyring.set(&entry, &token)
                })
                .await;
                kept.with_context(|| "keeping HERALD_TOKEN in the OS keyring")?;
                Some(Auth::bearer(entry))
            }
            None => None,
        };
        ensure(&mut store, feed, auth)?;
    }
    // The demo starts afresh every run: its hub is new, so it remembers nothing.
    if store.feed(DEMO_FEED).is_ok() {
        store.remove_feed(DEMO_FEED)?;
    }
    let demo = if store.feeds()?.is_empty() {
        let demo = DemoHub::start(demo_every).await.context("starting the demo hub")?;
        tracing::info!(url = %demo.server.url, "started the demo hub");
        let feed = Feed::new(DEMO_FEED, format!("{}/tasks/subscribe", demo.server.url)).with_preset(Preset::HeraldHub);
        let entry = format!("{DEMO_FEED}-{}", demo.server.addr.port());
        secrets.session.set(&entry, &demo.token)?;
        ensure(&mut store, feed, Some(Auth::bearer(entry)))?;
        Some(demo)
    } else {
        None
    };
    Ok(Start { store: store_path.to_owned(), opened: store, secrets, demo })
}

/// The demo's own folder (`--demo`), removed when Herald exits.
pub struct DemoDir(pub PathBuf);

impl DemoDir {
    pub fn new() -> anyhow::Result<DemoDir> {
        let dir = std::env::temp_dir().join(format!("herald-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(DemoDir(dir))
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_shortcut_is_a_hub_feed_named_by_its_stream() {
        let feed = server_feed("https://tasks.example.com/").unwrap();
        assert_eq!(feed.name, "https://tasks.example.com/tasks/subscribe");
        assert_eq!(feed.settings.preset, Some(Preset::HeraldHub));
        assert_eq!(server_feed("ftp://x").unwrap_err().to_string(), "--server ftp://x is not an http(s) URL");
    }

    #[test]
    fn an_older_apps_memory_of_a_server_is_kept_and_becomes_its_feed() {
        let mut store = Store::in_memory().unwrap();
        // As the app's board memory left it: a feed named by the stream, no settings.
        let url = "http://127.0.0.1:7878/tasks/subscribe";
        let id = store.feed_for(url, url).unwrap();
        store
            .ingest(
                id,
                &[herald_core::sse::Event { event: "create".into(), data: "{}".into(), last_event_id: "7".into() }],
                1,
            )
            .unwrap();
        let feed = ensure(&mut store, server_feed("http://127.0.0.1:7878").unwrap(), Some(Auth::bearer(url))).unwrap();
        assert_eq!(feed.settings.preset, Some(Preset::HeraldHub));
        assert_eq!(store.feed_id(url).unwrap(), id, "the same feed");
        assert_eq!(store.cursor(id).unwrap().as_deref(), Some("7"), "its cursor stays");
        assert_eq!(store.history(Some(id), None).unwrap().len(), 1, "and its history");
    }

    #[test]
    fn a_stored_feed_that_does_not_read_back_is_an_error_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("herald.db");
        let feed = server_feed("http://127.0.0.1:7878").unwrap();
        let mut store = Store::open(&path).unwrap();
        ensure(&mut store, feed.clone(), None).unwrap();
        let spoiled = "UPDATE feeds SET settings = '{not json' WHERE name = ?1";
        rusqlite::Connection::open(&path).unwrap().execute(spoiled, [&feed.name]).unwrap();
        let mut store = Store::open(&path).unwrap();
        let error = ensure(&mut store, feed.clone(), None).unwrap_err();
        assert!(
            matches!(error.downcast_ref::<StoreError>(), Some(StoreError::BadSettings { .. })),
            "its kind, kept: {error:?}"
        );
        let settings: String = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT settings FROM feeds WHERE name = ?1", [&feed.name], |r| r.get(0))
            .unwrap();
        assert_eq!(settings, "{not json", "left as it was, for the user to see");
    }
}
