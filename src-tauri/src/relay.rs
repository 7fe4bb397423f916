//! The app's sink of the engine: it carries each event to the window, the
//! tray and the notifier. It decides nothing itself: what deserves an
//! alert is `herald_core::attention`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use herald_core::attention::driver::{self, AttentionHandle, Input};
use herald_core::attention::{Attention, Notifier};
use herald_core::engine::{EngineEvent, FeedState};
use herald_core::ipc::{Handler, Push};
use herald_core::sse::SystemClock;
use herald_desk::Desk;
use jiff::tz::TimeZone;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::{broadcast, mpsc};

use crate::{tray, window};

/// Sent to the window with each batch of changes: `{feed, count}`. The
/// window reads the changes from the store when it shows them, so a storm
/// of events costs it one small message a batch.
pub const CHANGES_EVENT: &str = "herald://changes";
/// Sent to the window when a feed's state changes (a `FeedState`).
pub const FEED_EVENT: &str = "herald://feed";
/// Sent to the window when a feed is removed (its name).
pub const REMOVED_EVENT: &str = "herald://removed";
/// Sent to the window when a feed's unread count changes (`{feed, unread}`).
pub const UNREAD_EVENT: &str = "herald://unread";
/// How often the tray may be redrawn.
const TRAY_PACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Sent to the window when the app's own status changes (an `AppStatus`).
pub const STATUS_EVENT: &str = "herald://status";

fn news<R: Runtime>(app: &AppHandle<R>, feed: &str, count: usize) {
    let _ = app.emit(CHANGES_EVENT, serde_json::json!({ "feed": feed, "count": count }));
}

/// Starts the task that keeps the user's attention: it decides which
/// notifications `notifier` shows. `quiet_file` keeps the user's quiet
/// settings between runs.
pub fn attention(notifier: Arc<dyn Notifier>, quiet_file: Option<PathBuf>) -> AttentionHandle {
    let quiet = quiet_file.as_deref().map(driver::load).unwrap_or_default();
    let attention = Attention::new(TimeZone::system(), quiet);
    driver::spawn(attention, notifier, Arc::new(SystemClock), quiet_file)
}

/// Relays the engine's events until it stops: to the window, the tray, and
/// `desk`'s attention, which gets what it needs of each event. What the
/// desk pushes (a target to show, its status) goes to the window too.
pub fn spawn<R: Runtime>(app: AppHandle<R>, mut events: mpsc::Receiver<EngineEvent>, desk: Arc<Desk>) {
    let handle = desk.attention().clone();
    let mut status = handle.status();
    let mut app_status = desk.watch_status();
    let mut pushes = desk.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut feeds: BTreeMap<String, FeedState> = BTreeMap::new();
        // The tray is redrawn at most this often: in a storm every batch
        // changes an unread count, and the tray lives on the UI thread.
        let mut tray_pace = tokio::time::interval(TRAY_PACE);
        tray_pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tray_stale = true;
        loop {
            let event = tokio::select! {
                event = events.recv() => match event {
                    Some(event) => event,
                    None => return,
                },
                // Do not disturb on or off, from the tray, the window or its end.
                changed = status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    status.borrow_and_update();
                    tray_stale = true;
                    continue;
                }
                // Notifications stopped or started working.
                changed = app_status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    tray_stale = true;
                    continue;
                }
                push = pushes.recv() => {
                    match push {
                        Ok(Push::Focus { target }) => {
                            let _ = app.emit_to(window::MAIN, window::FOCUS_EVENT, &target);
                        }
                        Ok(Push::Status { status }) => {
                            let _ = app.emit(STATUS_EVENT, status);
                        }
                        Ok(Push::Engine { .. } | Push::Lagged { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                    continue;
                }
                _ = tray_pace.tick(), if tray_stale => {
                    tray_stale = false;
                    tray::show(&app, feeds.values(), &handle.quiet());
                    continue;
                }
            };
            match &event {
                EngineEvent::State { state } => {
                    let _ = app.emit(FEED_EVENT, state);
                    feeds.insert(state.name.clone(), state.clone());
                    tray_stale = true;
                }
                EngineEvent::Changes { changes } => {
                    if let Some(first) = changes.first() {
                        news(&app, &first.feed, changes.len());
                    }
                }
                // What a resync found missed: each change in the window, one digest on the desktop.
                EngineEvent::Missed { digest } => news(&app, &digest.feed, digest.changes.len()),
                EngineEvent::Problem { feed, message } => {
                    tracing::warn!(feed = feed.as_deref().unwrap_or("-"), %message);
                }
                EngineEvent::Removed { feed } => {
                    feeds.remove(feed);
                    let _ = app.emit(REMOVED_EVENT, feed);
                    tray_stale = true;
                }
                EngineEvent::Unread { feed, unread } => {
                    if let Some(state) = feeds.get_mut(feed) {
                        state.unread = *unread;
                        tray_stale = true;
                    }
                    let _ = app.emit(UNREAD_EVENT, serde_json::json!({ "feed": feed, "unread": unread }));
                }
                // Raw events are the CLI's; the window reads changes.
                EngineEvent::Events { .. } => continue,
            }
            handle.send(Input::Engine(event));
        }
    });
}
