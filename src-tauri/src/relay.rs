//! The app's sink of the engine: it carries each event to the window, the
//! tray and the notifier. It decides nothing itself: what deserves an
//! alert is `herald_core::attention`.

use std::collections::BTreeMap;
use std::sync::Arc;

use herald_core::attention::{alert_for, digest_alert, Alert, Notifier};
use herald_core::engine::{EngineEvent, FeedState};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::mpsc;

use crate::tray;

/// Sent to the window with each batch of changes (a `Change[]`).
pub const CHANGES_EVENT: &str = "herald://changes";
/// Sent to the window when a feed's state changes (a `FeedState`).
pub const FEED_EVENT: &str = "herald://feed";
/// Sent to the window when a feed is removed (its name).
pub const REMOVED_EVENT: &str = "herald://removed";
/// Sent to the window when a feed's unread count changes (`{feed, unread}`).
pub const UNREAD_EVENT: &str = "herald://unread";
/// Sent to the window when the app's own status changes (an `AppStatus`).
pub const STATUS_EVENT: &str = "herald://status";

/// Where a feed's changes come from, as people read it: its name, or the
/// host of its URL when it is named by its URL.
fn source(state: Option<&FeedState>, feed: &str) -> String {
    let Some(state) = state else { return feed.to_owned() };
    if state.name != state.url {
        return state.name.clone();
    }
    reqwest_host(&state.url).unwrap_or_else(|| state.name.clone())
}

fn reqwest_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

fn show(notifier: &dyn Notifier, alert: Option<Alert>) {
    if let Some(alert) = alert {
        if let Err(e) = notifier.show(alert) {
            tracing::warn!(error = %e, "notification failed");
        }
    }
}

pub fn spawn<R: Runtime>(app: AppHandle<R>, mut events: mpsc::Receiver<EngineEvent>, notifier: Arc<dyn Notifier>) {
    tauri::async_runtime::spawn(async move {
        let mut feeds: BTreeMap<String, FeedState> = BTreeMap::new();
        while let Some(event) = events.recv().await {
            match event {
                EngineEvent::State { state } => {
                    let _ = app.emit(FEED_EVENT, &state);
                    feeds.insert(state.name.clone(), state);
                    tray::show_feeds(&app, feeds.values());
                }
                EngineEvent::Changes { changes } => {
                    let _ = app.emit(CHANGES_EVENT, &changes);
                    for change in &changes {
                        let source = source(feeds.get(&change.feed), &change.feed);
                        show(&*notifier, alert_for(change, &source));
                    }
                }
                // What a resync found missed: each change in the window, one digest on the desktop.
                EngineEvent::Missed { digest } => {
                    let _ = app.emit(CHANGES_EVENT, &digest.changes);
                    let source = source(feeds.get(&digest.feed), &digest.feed);
                    show(&*notifier, digest_alert(&digest, &source));
                }
                EngineEvent::Problem { feed, message } => {
                    tracing::warn!(feed = feed.as_deref().unwrap_or("-"), %message);
                }
                EngineEvent::Removed { feed } => {
                    feeds.remove(&feed);
                    let _ = app.emit(REMOVED_EVENT, &feed);
                    tray::show_feeds(&app, feeds.values());
                }
                EngineEvent::Unread { feed, unread } => {
                    let _ = app.emit(UNREAD_EVENT, serde_json::json!({ "feed": feed, "unread": unread }));
                }
                EngineEvent::Events { .. } => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::reqwest_host;

    #[test]
    fn the_source_is_the_host() {
        assert_eq!(reqwest_host("https://tasks.example.com/api").as_deref(), Some("tasks.example.com"));
        assert_eq!(reqwest_host("http://user:pw@127.0.0.1:8080/x").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(reqwest_host("tasks.example.com"), None);
    }
}
