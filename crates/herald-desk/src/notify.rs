//! Native notifications through the freedesktop notification service.
//!
//! notify-rust sends them. Clicks come back as `ActionInvoked` signals, which
//! one listener, subscribed before the first notification goes out, routes
//! to the right feed and record. (Waiting on each notification's own handle would
//! subscribe only after it is shown, and miss a click that comes first.)
//!
//! What the desktop says back (a click, an action, whether notifications
//! work at all) is [`Heard`], for [`Desk::heard`](crate::Desk::heard) to act on.
//!
//! Every notification carries the hints a desktop files it by: the
//! `desktop-entry` (so Herald has a row in the desktop's per-app settings),
//! a `category`, the urgency, and its sound: `sound-name` when the user
//! chose one for its feed and priority, `suppress-sound` when it broke
//! through a quiet. A message's own buttons (ntfy's `view` and `copy`) come first,
//! then "Mark read" and "Mute 1 h" as room allows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use herald_core::attention::{
    Alert, AlertKind, ClickRouter, Notifier, NotifyError, Routed, Slot, Sound, SoundName, Target, Urgency,
};
use herald_core::feed::MessageAction;
use herald_core::media::MediaCache;
use herald_core::store::EntryRef;
use notify_rust::{Hint, Notification, Timeout};
use tokio::sync::{mpsc, watch};
use zbus::message::Type as MessageType;
use zbus::{Connection, MatchRule, MessageStream};

/// The action key servers report when the notification itself is clicked.
const DEFAULT_ACTION: &str = "default";
const READ_ACTION: &str = "read";
const MUTE_ACTION: &str = "mute";
/// "Sign in", on the notification that a feed needs it.
const SIGN_IN_ACTION: &str = "sign-in";
/// A message's own button N is `act-N`.
const MESSAGE_ACTION: &str = "act-";
/// The buttons a notification offers at most: desktops show about three.
const BUTTONS: usize = 3;

/// What the user did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Clicked it: open what it is about.
    Open,
    /// "Mark read": its feed.
    Read,
    /// "Mute 1 h": its feed.
    Mute,
    /// The message's own button, by its place among its actions.
    Message(usize),
    /// "Sign in": its feed.
    SignIn,
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

/// What the one showing task is asked.
enum Ask {
    Show(Slot, Box<Alert>),
    Close(Slot),
}

pub struct DesktopNotifier {
    queue: mpsc::Sender<Ask>,
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
    /// A message's picture and icon come from `media`.
    pub fn start(media: Arc<MediaCache>) -> (Self, mpsc::UnboundedReceiver<Heard>) {
        let router = Arc::new(Mutex::new(ClickRouter::default()));
        let (told, heard) = mpsc::unbounded_channel();
        let (ready, listening) = watch::channel(false);
        tokio::spawn(listen(told.clone(), router.clone(), ready));
        let (queue, shows) = mpsc::channel(QUEUE);
        let overflow = Arc::new(AtomicUsize::new(0));
        tokio::spawn(show_in_order((told, router, media), listening, shows, overflow.clone()));
        (DesktopNotifier { queue, overflow }, heard)
    }
}

impl Notifier for DesktopNotifier {
    fn close(&self, slot: Slot) {
        if self.queue.try_send(Ask::Close(slot)).is_err() {
            tracing::warn!(slot, "could not close a withdrawn notification: the queue is full");
        }
    }

    fn show(&self, slot: Slot, alert: Alert) -> Result<(), NotifyError> {
        match self.queue.try_send(Ask::Show(slot, Box::new(alert))) {
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

/// What the showing task works with.
struct Showing {
    told: Told,
    router: Arc<Mutex<ClickRouter>>,
    media: Arc<MediaCache>,
    /// The server reads the body's markup subset (its `body-markup`
    /// capability); else bodies go as plain text.
    markup: bool,
}

/// Whether the notification server announces `body-markup` (asked once;
/// a server that does not answer is taken to read it, as most do).
async fn reads_markup() -> bool {
    let asked = async {
        let connection = Connection::session().await?;
        let reply = connection.call_method(Some(INTERFACE), PATH, Some(INTERFACE), "GetCapabilities", &()).await?;
        reply.body().deserialize::<Vec<String>>()
    };
    match asked.await {
        Ok(capabilities) => capabilities.iter().any(|c| c == "body-markup"),
        Err(_) => true,
    }
}

/// How long a notification waits for its picture before it shows without.
const PICTURE_WAIT: std::time::Duration = std::time::Duration::from_secs(4);

async fn show_in_order(
    (told, router, media): (Told, Arc<Mutex<ClickRouter>>, Arc<MediaCache>),
    mut listening: watch::Receiver<bool>,
    mut shows: mpsc::Receiver<Ask>,
    overflow: Arc<AtomicUsize>,
) {
    let _ = listening.wait_for(|ready| *ready).await;
    let showing = Showing { told, router, media, markup: reads_markup().await };
    let mut ids: VecDeque<(Slot, u32)> = VecDeque::new();
    while let Some(ask) = shows.recv().await {
        let (slot, alert) = match ask {
            Ask::Show(slot, alert) => (slot, *alert),
            Ask::Close(slot) => {
                if let Some(at) = ids.iter().position(|(s, _)| *s == slot) {
                    let (_, id) = ids.remove(at).unwrap_or_default();
                    close(id).await;
                }
                continue;
            }
        };
        show_one(&showing, &mut ids, slot, alert).await;
        let skipped = overflow.swap(0, Ordering::Relaxed);
        if skipped > 0 && shows.is_empty() {
            let more = Alert {
                summary: format!("{skipped} more change{}", if skipped == 1 { "" } else { "s" }),
                body: "Herald could not show them one by one; they are in its timeline.".into(),
                target: Target { feed: String::new(), key: None, click: None, since: None },
                urgency: Urgency::Normal,
                feed: None,
                kind: AlertKind::Digest,
                extras: Default::default(),
                event_id: None,
                sound: Sound::Desktop,
            };
            show_one(&showing, &mut ids, OVERFLOW_SLOT, more).await;
        } else if skipped > 0 {
            overflow.fetch_add(skipped, Ordering::Relaxed);
        }
    }
}

/// The notification for an alert, with its hints and buttons.
fn notification_of(alert: &Alert) -> Notification {
    let mut notification = Notification::new();
    notification
        .appname("Herald")
        .summary(&alert.summary)
        .body(&alert.body)
        .icon(crate::ICON)
        .hint(Hint::DesktopEntry(crate::DESKTOP_ENTRY.into()))
        .hint(Hint::Category(alert.kind.category().into()))
        .action(DEFAULT_ACTION, "Open")
        .urgency(match alert.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        })
        .timeout(Timeout::Default);
    match &alert.sound {
        Sound::Desktop => {}
        Sound::Named(name) => {
            notification.hint(Hint::SoundName(name.as_str().into()));
        }
        Sound::Silent => {
            notification.hint(Hint::SuppressSound(true));
        }
    }
    let mut buttons = 0;
    if alert.kind == AlertKind::SignIn && alert.feed.is_some() {
        notification.action(SIGN_IN_ACTION, "Sign in");
        buttons += 1;
    }
    for (at, action) in alert.extras.actions.iter().enumerate() {
        let offered = matches!(
            action,
            MessageAction::View { .. } | MessageAction::Copy { .. } | MessageAction::Http { allowed: true, .. }
        );
        if offered && buttons < BUTTONS {
            notification.action(&format!("{MESSAGE_ACTION}{at}"), action.label());
            buttons += 1;
        }
    }
    if alert.feed.is_some() {
        for (key, label) in [(READ_ACTION, "Mark read"), (MUTE_ACTION, "Mute 1 h")] {
            if buttons < BUTTONS {
                notification.action(key, label);
                buttons += 1;
            }
        }
    }
    notification
}

/// A picture from the cache, as the `file://` URI the hints take; none
/// when it is refused, or does not come in time.
async fn picture(media: &MediaCache, url: &str, size: Option<u64>) -> Option<String> {
    match tokio::time::timeout(PICTURE_WAIT, media.get(url, size)).await {
        Ok(Ok(cached)) => Some(format!("file://{}", cached.path.display())),
        Ok(Err(refusal)) => {
            tracing::info!(url, %refusal, "a message's picture is not shown");
            None
        }
        Err(_) => None,
    }
}

async fn show_one(showing: &Showing, ids: &mut VecDeque<(Slot, u32)>, slot: Slot, alert: Alert) {
    let Showing { told, router, media, markup } = showing;
    let mut notification = notification_of(&alert);
    if !markup {
        notification.body(&herald_core::markup::markup_to_text(&alert.body));
    }
    if let Some(attachment) = alert.extras.attachment.as_ref().filter(|a| a.looks_like_image()) {
        if let Some(image) = picture(media, &attachment.url, attachment.size).await {
            notification.hint(Hint::ImagePath(image));
        }
    }
    if let Some(icon) = &alert.extras.icon {
        if let Some(icon) = picture(media, icon, None).await {
            notification.icon(&icon);
        }
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
            let entry = match (&alert.feed, alert.event_id) {
                (Some(feed), Some(event_id)) => Some(EntryRef::Event { feed: feed.clone(), event_id }),
                _ => None,
            };
            let routed = Routed { target: alert.target, feed: alert.feed, actions: alert.extras.actions, entry };
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
        SIGN_IN_ACTION => Action::SignIn,
        _ => match key.strip_prefix(MESSAGE_ACTION).and_then(|n| n.parse().ok()) {
            Some(at) => Action::Message(at),
            None => Action::Open,
        },
    };
    let _ = told.send(Heard::Clicked { action, routed });
}

/// Whether an action key is one of Herald's.
fn ours(key: &str) -> bool {
    [DEFAULT_ACTION, READ_ACTION, MUTE_ACTION, SIGN_IN_ACTION].contains(&key) || key.starts_with(MESSAGE_ACTION)
}

/// Takes notification `id` off the screen (`CloseNotification`).
async fn close(id: u32) {
    let closed = async {
        let connection = Connection::session().await?;
        connection.call_method(Some(INTERFACE), PATH, Some(INTERFACE), "CloseNotification", &(id,)).await
    };
    if let Err(e) = closed.await {
        tracing::warn!(id, error = %e, "could not close a notification");
    }
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
                if !ours(&key) {
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
pub async fn test(sound: Option<SoundName>) -> Result<(), String> {
    let mut notification = Notification::new();
    notification
        .appname("Herald")
        .hint(Hint::DesktopEntry(crate::DESKTOP_ENTRY.into()))
        .summary("Herald can notify you")
        .body("This is a test notification. Changes by others will look like this.")
        .icon(crate::ICON)
        .timeout(Timeout::Default);
    if let Some(sound) = sound {
        notification.hint(Hint::SoundName(sound.into()));
    }
    notification.show_async().await.map(drop).map_err(|e| explain(&e.to_string()))
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
