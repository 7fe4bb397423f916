//! What the tray process pushes, carried to the page as events. The page
//! reads changes from the store when it shows them, so a storm of events
//! costs it one small message a batch.

use herald_core::engine::EngineEvent;
use herald_core::ipc::Push;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::mpsc;

use crate::window;

/// Sent with each batch of changes: `{feed, count}`.
pub const CHANGES_EVENT: &str = "herald://changes";
/// Sent when a feed's state changes, its unread count included (a `FeedState`).
pub const FEED_EVENT: &str = "herald://feed";
/// Sent when a feed is removed (its name).
pub const REMOVED_EVENT: &str = "herald://removed";
/// Sent when Herald's own status changes (a `Status`).
pub const STATUS_EVENT: &str = "herald://status";
/// Sent when this window fell behind and lost pushes (how many): the page
/// reads everything it shows afresh.
pub const LAGGED_EVENT: &str = "herald://lagged";

fn news<R: Runtime>(app: &AppHandle<R>, feed: &str, count: usize) {
    let _ = app.emit(CHANGES_EVENT, serde_json::json!({ "feed": feed, "count": count }));
}

/// Carries the pushes until the tray process goes; then the window goes too.
pub fn spawn<R: Runtime>(app: AppHandle<R>, mut pushes: mpsc::Receiver<Push>) {
    tauri::async_runtime::spawn(async move {
        while let Some(push) = pushes.recv().await {
            match push {
                Push::Engine { event } => match event {
                    EngineEvent::State { state } => {
                        let _ = app.emit(FEED_EVENT, state);
                    }
                    EngineEvent::Changes { changes } => {
                        if let Some(first) = changes.first() {
                            news(&app, &first.feed, changes.len());
                        }
                    }
                    EngineEvent::Missed { digest } => news(&app, &digest.feed, digest.changes.len()),
                    EngineEvent::Removed { feed } => {
                        let _ = app.emit(REMOVED_EVENT, feed);
                    }
                    // A recovered store reaches the page in Herald's status.
                    EngineEvent::Problem { .. } | EngineEvent::Events { .. } | EngineEvent::StoreRecovered { .. } => {}
                },
                Push::Status { status } => {
                    let _ = app.emit(STATUS_EVENT, status);
                }
                Push::Focus { target } => {
                    let _ = app.emit_to(window::MAIN, window::FOCUS_EVENT, &target);
                }
                Push::Raise => {
                    if let Err(e) = window::open(&app) {
                        tracing::warn!(error = %e, "could not raise the window");
                    }
                }
                Push::Lagged { missed } => {
                    tracing::warn!(missed, "fell behind the tray process; the page reads everything afresh");
                    let _ = app.emit(LAGGED_EVENT, missed);
                }
            }
        }
        tracing::info!("the tray process has gone; so does the window");
        app.exit(0);
    });
}
