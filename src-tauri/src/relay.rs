//! Carries what the board learns to the window, the tray and the notifier.

use std::sync::Arc;

use herald_core::attention::{alert_for, digest_alert, Notifier};
use herald_core::sse::ConnectionState;
use herald_core::tasks::ChangeNotice;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{broadcast, watch};

use crate::state::AppState;
use crate::tray;

/// Event sent to the window for every change (a [`ChangeNotice`]).
pub const CHANGE_EVENT: &str = "herald://change";
/// Event sent to the window when the feed's status changes (a `FeedStatus`).
pub const STATUS_EVENT: &str = "herald://status";

pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    mut notices: broadcast::Receiver<ChangeNotice>,
    mut missed: broadcast::Receiver<Vec<ChangeNotice>>,
    mut state: watch::Receiver<ConnectionState>,
    notifier: Arc<dyn Notifier>,
) {
    tauri::async_runtime::spawn(async move {
        let source = app.state::<AppState>().source.clone();
        loop {
            tokio::select! {
                notice = notices.recv() => match notice {
                    Ok(notice) => {
                        let _ = app.emit(CHANGE_EVENT, &notice);
                        if let Some(alert) = alert_for(&notice, &source) {
                            if let Err(e) = notifier.show(alert) {
                                tracing::warn!(error = %e, "notification failed");
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the relay fell behind and skipped notices; the list itself stays current");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                // What a resync found missed: one digest, not a notification each.
                Ok(missed) = missed.recv() => {
                    if let Some(alert) = digest_alert(&missed, &source) {
                        if let Err(e) = notifier.show(alert) {
                            tracing::warn!(error = %e, "notification failed");
                        }
                    }
                }
                changed = state.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let current = state.borrow_and_update().clone();
                    tray::show_state(&app, &current);
                    let _ = app.emit(STATUS_EVENT, app.state::<AppState>().status());
                }
            }
        }
    });
}
