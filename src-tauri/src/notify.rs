//! Native notifications through the freedesktop notification service
//! (notify-rust). A click on a notification opens the window on its task.

use herald_core::attention::{Alert, Notifier, NotifyError};
use notify_rust::{Notification, NotificationResponse, Timeout};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::relay::STATUS_EVENT;
use crate::state::AppState;
use crate::window;

/// The action key freedesktop servers invoke when the notification itself is clicked.
const DEFAULT_ACTION: &str = "default";

pub struct DesktopNotifier<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> DesktopNotifier<R> {
    pub fn new(app: AppHandle<R>) -> Self {
        DesktopNotifier { app }
    }
}

impl<R: Runtime> Notifier for DesktopNotifier<R> {
    fn show(&self, alert: Alert) -> Result<(), NotifyError> {
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move {
            let shown = Notification::new()
                .appname("Herald")
                .summary(&alert.summary)
                .body(&alert.body)
                .icon("herald")
                .action(DEFAULT_ACTION, "Open")
                .timeout(Timeout::Default)
                .show_async()
                .await;
            match shown {
                Ok(handle) => {
                    record(&app, None);
                    let task_id = alert.task_id;
                    let clicked = app.clone();
                    // Ends when the user acts on the notification or it closes.
                    handle
                        .wait_for_action_async(move |response: &NotificationResponse| {
                            if response.is_default_action() {
                                window::show_task(&clicked, task_id);
                            }
                        })
                        .await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not show a notification");
                    record(&app, Some(explain(&e.to_string())));
                }
            }
        });
        Ok(())
    }
}

/// A sentence for the user about why notifications fail.
fn explain(error: &str) -> String {
    if error.contains("ServiceUnknown") {
        "No notification service is running on this desktop, so changes show only here.".into()
    } else {
        format!("Notifications are not available ({error}). Changes still show here.")
    }
}

/// Tells the window when notifications start or stop working.
fn record<R: Runtime>(app: &AppHandle<R>, error: Option<String>) {
    let state = app.state::<AppState>();
    if state.set_notifications_error(error) {
        let _ = app.emit(STATUS_EVENT, state.status());
    }
}
