//! A Herald following one ntfy topic, `alerts`, for the tests of what a
//! message becomes on the desktop: started on a fresh store, with its
//! socket to read its timeline and status, and the notifications it shows.

use std::path::Path;

use herald_core::engine::{Condition, GetFeeds, GetTimeline};
use herald_core::ipc::Client;
use herald_core::store::{TimelineEntry, TimelineQuery};

use crate::eventually;
use crate::herald::Herald;
use crate::notifications::{NotificationServer, Shown};

/// Imports one ntfy feed, `alerts`, following `url`'s topic, with `more`
/// settings (TOML lines).
fn import_alerts(store: &Path, url: &str, more: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let feeds = dir.path().join("feeds.toml");
    let feed = format!("[[feed]]\nname = \"alerts\"\npreset = \"ntfy\"\nurl = \"{url}/alerts/sse\"\n{more}\n");
    std::fs::write(&feeds, feed)?;
    crate::cli::run(store, &["feeds", "import", feeds.to_str().expect("UTF-8")], "")?;
    Ok(())
}

/// Herald, on a fresh store under `dir` following the ntfy server at
/// `url`, once its feed is live; and a client of its socket.
pub async fn herald_following(dir: &Path, url: &str) -> anyhow::Result<(Herald, Client)> {
    herald_following_with(dir, url, "").await
}

/// [`herald_following`], with `more` settings for the feed (TOML lines).
pub async fn herald_following_with(dir: &Path, url: &str, more: &str) -> anyhow::Result<(Herald, Client)> {
    let store = dir.join("herald.db");
    import_alerts(&store, url, more)?;
    let socket = dir.join("herald.sock");
    let herald = Herald::start(&[("HERALD_STORE", store.to_str().expect("UTF-8"))], &socket).await?;
    let client = Client::connect(&socket).await?;
    eventually("the feed to be live", || async {
        let feeds = client.ask(GetFeeds).await?;
        Ok(feeds.iter().all(|f| f.health.condition == Condition::Live).then_some(()))
    })
    .await?;
    Ok((herald, client))
}

/// The timeline's newest entries.
pub async fn timeline(client: &Client) -> anyhow::Result<Vec<TimelineEntry>> {
    Ok(client.ask(GetTimeline { query: TimelineQuery::default() }).await?.entries)
}

/// The first notification after the first `after` whose summary is `summary`.
pub async fn shown_after(notifications: &NotificationServer, after: usize, summary: &str) -> anyhow::Result<Shown> {
    eventually(&format!("a notification '{summary}'"), || async {
        Ok(notifications.shown().into_iter().skip(after).find(|n| n.summary == summary))
    })
    .await
}
