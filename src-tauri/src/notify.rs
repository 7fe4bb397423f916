//! Native notifications through the freedesktop notification service.
//!
//! notify-rust sends them. Clicks come back as `ActionInvoked` signals, which
//! one listener, subscribed before the first notification goes out, routes
//! to the right feed and record. (Waiting on each notification's own handle would
//! subscribe only after it is shown, and miss a click that comes first.)

use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use herald_core::attention::{Alert, ClickRouter, Notifier, NotifyError};
use notify_rust::Urgency;
use notify_rust::{Notification, Timeout};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::watch;
use zbus::message::Type as MessageType;
use zbus::{Connection, MatchRule, MessageStream};

use crate::relay::STATUS_EVENT;
use crate::state::AppState;
use crate::window;

/// The action key servers report when the notification itself is clicked.
const DEFAULT_ACTION: &str = "default";
const INTERFACE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

pub struct DesktopNotifier<R: Runtime> {
    app: AppHandle<R>,
    router: Arc<Mutex<ClickRouter>>,
    /// True once the click listener is subscribed, or has given up.
    listening: watch::Receiver<bool>,
}

fn lock(router: &Mutex<ClickRouter>) -> MutexGuard<'_, ClickRouter> {
    router.lock().unwrap_or_else(|p| p.into_inner())
}

impl<R: Runtime> DesktopNotifier<R> {
    /// Starts listening for clicks; notifications wait until it listens.
    pub fn start(app: AppHandle<R>) -> Self {
        let router = Arc::new(Mutex::new(ClickRouter::default()));
        let (ready, listening) = watch::channel(false);
        tauri::async_runtime::spawn(listen(app.clone(), router.clone(), ready));
        DesktopNotifier { app, router, listening }
    }
}

impl<R: Runtime> Notifier for DesktopNotifier<R> {
    fn show(&self, alert: Alert) -> Result<(), NotifyError> {
        let (app, router, mut listening) = (self.app.clone(), self.router.clone(), self.listening.clone());
        tauri::async_runtime::spawn(async move {
            let _ = listening.wait_for(|ready| *ready).await;
            // ntfy's priorities: 1-2 low, 3 default, 4-5 urgent.
            let urgency = match alert.priority {
                Some(1 | 2) => Urgency::Low,
                Some(5) => Urgency::Critical,
                _ => Urgency::Normal,
            };
            let shown = Notification::new()
                .appname("Herald")
                .summary(&alert.summary)
                .body(&alert.body)
                .icon("herald")
                .action(DEFAULT_ACTION, "Open")
                .urgency(urgency)
                .timeout(Timeout::Default)
                .show_async()
                .await;
            match shown {
                Ok(handle) => {
                    record(&app, None);
                    tracing::debug!(id = handle.id(), summary = %alert.summary, "notification shown");
                    let clicked_already = lock(&router).shown(handle.id(), alert.target);
                    if let Some(target) = clicked_already {
                        window::show_target(&app, target);
                    }
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

fn rule(member: &'static str) -> zbus::Result<MatchRule<'static>> {
    MatchRule::builder().msg_type(MessageType::Signal).interface(INTERFACE).path(PATH).member(member).build()
}

/// Routes clicks to tasks until the session bus goes away.
async fn listen<R: Runtime>(app: AppHandle<R>, router: Arc<Mutex<ClickRouter>>, ready: watch::Sender<bool>) {
    let subscribed = async {
        let connection = Connection::session().await?;
        let actions = MessageStream::for_match_rule(rule("ActionInvoked")?, &connection, None).await?;
        let closed = MessageStream::for_match_rule(rule("NotificationClosed")?, &connection, None).await?;
        Ok::<_, zbus::Error>((actions, closed))
    }
    .await;
    ready.send_replace(true);
    let (mut actions, mut closed) = match subscribed {
        Ok(streams) => streams,
        Err(e) => {
            // Showing will fail too, and say why; clicks just can't work.
            tracing::warn!(error = %e, "cannot listen for notification clicks");
            return;
        }
    };
    loop {
        tokio::select! {
            Some(Ok(message)) = actions.next() => {
                let Ok((id, key)) = message.body().deserialize::<(u32, String)>() else { continue };
                if key != DEFAULT_ACTION {
                    continue;
                }
                let target = lock(&router).clicked(id);
                tracing::debug!(id, ?target, "notification clicked");
                if let Some(target) = target {
                    window::show_target(&app, target);
                }
            }
            Some(Ok(message)) = closed.next() => {
                if let Ok((id, _reason)) = message.body().deserialize::<(u32, u32)>() {
                    lock(&router).closed(id);
                }
            }
            else => return,
        }
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
