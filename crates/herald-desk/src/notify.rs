//! Native notifications through the freedesktop notification service.
//!
//! notify-rust sends them. Clicks come back as `ActionInvoked` signals, which
//! one listener, subscribed before the first notification goes out, routes
//! to the right feed and record. (Waiting on each notification's own handle would
//! subscribe only after it is shown, and miss a click that comes first.)
//!
//! What the desktop says back (a click, an action, whether notifications
//! work at all) is [`Heard`], for [`Desk::heard`](crate::Desk::heard) to act on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use herald_core::attention::{Alert, ClickRouter, Notifier, NotifyError, Routed, Slot, Target, Urgency};
use notify_rust::{Notification, Timeout};
use tokio::sync::{mpsc, watch};
use zbus::message::Type as MessageType;
use zbus::{Connection, MatchRule, MessageStream};

/// The action key servers report when the notification itself is clicked.
const DEFAULT_ACTION: &str = "default";
const READ_ACTION: &str = "read";
const MUTE_ACTION: &str = "mute";

/// What the user did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Clicked it: open what it is about.
    Open,
    /// "Mark read": its feed.
    Read,
    /// "Mute 1 h": its feed.
    Mute,
}

/// What the desktop says back.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Clicked {
        action: Action,
        routed: Routed,
    },
    /// Whether notifications work: `None` when one was shown, else why not.
    Works(Option<String>),
}

type Told = mpsc::UnboundedSender<Heard>;
const INTERFACE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

pub struct DesktopNotifier {
    queue: mpsc::Sender<(Slot, Alert)>,
    /// Alerts the queue had no room for, told as one "N more" notification.
    overflow: Arc<AtomicUsize>,
}

/// How many alerts may wait to be shown. Attention already coalesces, so a
/// full queue means the notification service is stuck, not busy.
const QUEUE: usize = 64;
/// How many slots' notification ids are remembered, for replacing in place.
const SLOTS: usize = 256;

fn lock(router: &Mutex<ClickRouter>) -> MutexGuard<'_, ClickRouter> {
    router.lock().unwrap_or_else(|p| p.into_inner())
}

impl DesktopNotifier {
    /// Starts listening for clicks and actions, and the one task that shows
    /// notifications in order (a replacement needs the id of what it
    /// replaces). What the desktop says back comes on the receiver.
    pub fn start() -> (Self, mpsc::UnboundedReceiver<Heard>) {
        let router = Arc::new(Mutex::new(ClickRouter::default()));
        let (told, heard) = mpsc::unbounded_channel();
        let (ready, listening) = watch::channel(false);
        tokio::spawn(listen(told.clone(), router.clone(), ready));
        let (queue, shows) = mpsc::channel(QUEUE);
        let overflow = Arc::new(AtomicUsize::new(0));
        tokio::spawn(show_in_order(told, router, listening, shows, overflow.clone()));
        (DesktopNotifier { queue, overflow }, heard)
    }
}

impl Notifier for DesktopNotifier {
    fn show(&self, slot: Slot, alert: Alert) -> Result<(), NotifyError> {
        match self.queue.try_send((slot, alert)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(NotifyError("the notifier has stopped".into())),
        }
    }
}

/// The slot of the "N more" notification.
const OVERFLOW_SLOT: Slot = Slot::MAX;

async fn show_in_order(
    told: Told,
    router: Arc<Mutex<ClickRouter>>,
    mut listening: watch::Receiver<bool>,
    mut shows: mpsc::Receiver<(Slot, Alert)>,
    overflow: Arc<AtomicUsize>,
) {
    let _ = listening.wait_for(|ready| *ready).await;
    let mut ids: VecDeque<(Slot, u32)> = VecDeque::new();
    while let Some((slot, alert)) = shows.recv().await {
        show_one(&told, &router, &mut ids, slot, alert).await;
        let skipped = overflow.swap(0, Ordering::Relaxed);
        if skipped > 0 && shows.is_empty() {
            let more = Alert {
                summary: format!("{skipped} more change{}", if skipped == 1 { "" } else { "s" }),
                body: "Herald could not show them one by one; they are in its timeline.".into(),
                target: Target { feed: String::new(), key: None, click: None, since: None },
                urgency: Urgency::Normal,
                feed: None,
            };
            show_one(&told, &router, &mut ids, OVERFLOW_SLOT, more).await;
        } else if skipped > 0 {
            overflow.fetch_add(skipped, Ordering::Relaxed);
        }
    }
}

async fn show_one(told: &Told, router: &Mutex<ClickRouter>, ids: &mut VecDeque<(Slot, u32)>, slot: Slot, alert: Alert) {
    let mut notification = Notification::new();
    notification
        .appname("Herald")
        .summary(&alert.summary)
        .body(&alert.body)
        .icon(crate::ICON)
        .action(DEFAULT_ACTION, "Open")
        .urgency(match alert.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        })
        .timeout(Timeout::Default);
    if alert.feed.is_some() {
        notification.action(READ_ACTION, "Mark read").action(MUTE_ACTION, "Mute 1 h");
    }
    if let Some(&(_, id)) = ids.iter().find(|(s, _)| *s == slot) {
        notification.id(id);
    }
    match notification.show_async().await {
        Ok(handle) => {
            let _ = told.send(Heard::Works(None));
            let id = handle.id();
            tracing::debug!(id, slot, summary = %alert.summary, "notification shown");
            ids.retain(|(s, _)| *s != slot);
            if ids.len() == SLOTS {
                ids.pop_front();
            }
            ids.push_back((slot, id));
            let routed = Routed { target: alert.target, feed: alert.feed };
            let clicked_already = lock(router).shown(id, routed);
            if let Some((action, routed)) = clicked_already {
                act(told, &action, routed);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not show a notification");
            let _ = told.send(Heard::Works(Some(explain(&e.to_string()))));
        }
    }
}

/// Tells what a click or an action on a notification asks.
fn act(told: &Told, key: &str, routed: Routed) {
    let action = match key {
        READ_ACTION => Action::Read,
        MUTE_ACTION => Action::Mute,
        _ => Action::Open,
    };
    let _ = told.send(Heard::Clicked { action, routed });
}

fn rule(member: &'static str) -> zbus::Result<MatchRule<'static>> {
    Ok(MatchRule::builder().msg_type(MessageType::Signal).interface(INTERFACE)?.path(PATH)?.member(member)?.build())
}

/// Routes clicks and actions until the session bus goes away.
async fn listen(told: Told, router: Arc<Mutex<ClickRouter>>, ready: watch::Sender<bool>) {
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
                if ![DEFAULT_ACTION, READ_ACTION, MUTE_ACTION].contains(&key.as_str()) {
                    continue;
                }
                let routed = lock(&router).clicked(id, &key);
                tracing::debug!(id, key, ?routed, "notification clicked");
                if let Some(routed) = routed {
                    act(&told, &key, routed);
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

/// Shows a test notification straight away; the error says what is wrong
/// and how to fix it.
pub async fn test() -> Result<(), String> {
    Notification::new()
        .appname("Herald")
        .summary("Herald can notify you")
        .body("This is a test notification. Changes by others will look like this.")
        .icon(crate::ICON)
        .timeout(Timeout::Default)
        .show_async()
        .await
        .map(drop)
        .map_err(|e| explain(&e.to_string()))
}

/// A sentence for the user about why notifications fail, and the fix.
fn explain(error: &str) -> String {
    if error.contains("ServiceUnknown") {
        "No notification service is running on this desktop, so changes show only in Herald's window. \
         Start your desktop's notification daemon (on a minimal desktop, install one such as dunst or mako)."
            .into()
    } else {
        format!("Notifications are not available ({error}). Changes still show here.")
    }
}
