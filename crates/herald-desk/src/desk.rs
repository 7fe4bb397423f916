//! The desk: one value holding what every request needs. How it answers
//! each request, with the request's own answer type, is in `answers.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use herald_core::attention::driver::{AttentionHandle, Input};
use herald_core::attention::{DesktopQuiet, Routed, SoundName, Target};
use herald_core::engine::{Engine, MarkRead, ReconnectNow};
use herald_core::feed::MessageAction;
use herald_core::ipc::{Push, Status};
use herald_core::media::MediaCache;
use herald_core::proxy::DesktopProxies;
use herald_core::secrets::Secrets;
use herald_core::sse::now_ms;
use herald_core::store::StoreRecovery;
use tokio::sync::{broadcast, watch};

use crate::autostart::Autostart;
use crate::notify::{Action, Heard};
use crate::wake::Wake;

/// What the desk asks of the desktop it runs on.
pub trait Ports: Send + Sync + 'static {
    /// Opens the window, on `target` if given.
    fn open_window(&self, target: Option<Target>);
    /// Whether a window is open now.
    fn window_open(&self) -> bool;
    /// Shows a test notification at once, making `sound`; what is wrong,
    /// and the fix, if it can't.
    fn test_notification(
        &self,
        sound: Option<SoundName>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// What a desk is made of.
pub struct DeskParts {
    pub engine: Engine,
    pub secrets: Arc<dyn Secrets>,
    /// The desktop's proxy setting, the engine's too: Test connection
    /// goes the way the feed will.
    pub desktop_proxies: Arc<dyn DesktopProxies>,
    pub attention: AttentionHandle,
    /// Where trusted certificates are kept (beside the store).
    pub certs_dir: PathBuf,
    pub ports: Arc<dyn Ports>,
    /// Starting at login.
    pub autostart: Autostart,
    /// The store's file, if it has one.
    pub store: Option<PathBuf>,
    /// Messages' pictures, shared with the notifier.
    pub media: Arc<MediaCache>,
}

/// "Mute 1 h".
const MUTE_MS: i64 = 3_600_000;

/// How many pushes a slow client may fall behind before it is told it lagged.
const PUSHES: usize = 1024;

/// See the module's documentation.
pub struct Desk {
    pub(crate) engine: Engine,
    pub(crate) secrets: Arc<dyn Secrets>,
    pub(crate) desktop_proxies: Arc<dyn DesktopProxies>,
    pub(crate) attention: AttentionHandle,
    pub(crate) certs_dir: PathBuf,
    pub(crate) ports: Arc<dyn Ports>,
    pub(crate) autostart: Autostart,
    pub(crate) store: Option<PathBuf>,
    pub(crate) media: Arc<MediaCache>,
    /// Certificates a probe was refused, by fingerprint, until trusted.
    refused: Mutex<HashMap<String, Vec<u8>>>,
    /// What a notification click asked a window not yet open to show.
    pub(crate) focus: Mutex<Option<Target>>,
    status: watch::Sender<Status>,
    pub(crate) pushes: broadcast::Sender<Push>,
    /// Held by each window subscribed over the socket.
    pub(crate) windows: Arc<()>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Desk {
    pub fn new(parts: DeskParts) -> Desk {
        Desk {
            engine: parts.engine,
            media: parts.media,
            secrets: parts.secrets,
            desktop_proxies: parts.desktop_proxies,
            attention: parts.attention,
            certs_dir: parts.certs_dir,
            ports: parts.ports,
            autostart: parts.autostart,
            store: parts.store,
            refused: Mutex::new(HashMap::new()),
            focus: Mutex::new(None),
            status: watch::Sender::new(Status::default()),
            pushes: broadcast::channel(PUSHES).0,
            windows: Arc::new(()),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn attention(&self) -> &AttentionHandle {
        &self.attention
    }

    /// Tells every subscribed client.
    pub fn push(&self, push: Push) {
        // No subscriber is no error: nobody is listening yet.
        let _ = self.pushes.send(push);
    }

    /// Records whether notifications work, and tells the clients when that changed.
    pub fn set_notifications_error(&self, error: Option<String>) {
        self.update_status(|status| std::mem::replace(&mut status.notifications_error, error.clone()) != error);
    }

    /// Changes Herald's status with `change`, which says whether it changed
    /// anything, and then tells the clients.
    fn update_status(&self, change: impl FnOnce(&mut Status) -> bool) {
        if self.status.send_if_modified(change) {
            self.push(Push::Status { status: self.status() });
        }
    }

    /// The store was damaged and started afresh: the window says so, for
    /// as long as this Herald runs.
    pub fn set_store_recovery(&self, recovery: StoreRecovery) {
        self.update_status(|status| status.store_recovery.replace(recovery.clone()) != Some(recovery));
    }

    /// The desktop's own do not disturb turned on or off: Herald keeps it
    /// (attention decides), and Settings says which quiet is in force.
    pub fn set_desktop_quiet(&self, quiet: Option<DesktopQuiet>) {
        self.attention.send(Input::Desktop(quiet));
        self.update_status(|status| std::mem::replace(&mut status.desktop_quiet, quiet) != quiet);
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Heard whenever Herald's status changes.
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    /// Whether a window is open: one of this process's, or one subscribed
    /// over the socket.
    pub fn window_open(&self) -> bool {
        Arc::strong_count(&self.windows) > 1 || self.ports.window_open()
    }

    /// Opens the window, or brings the one open to the front.
    pub fn open_window(&self) {
        if Arc::strong_count(&self.windows) > 1 {
            self.push(Push::Raise);
        } else {
            self.ports.open_window(None);
        }
    }

    /// Shows `target` in the window: a window already open is told at once;
    /// one still to open asks for it when it has loaded.
    pub fn show(&self, target: Target) {
        if Arc::strong_count(&self.windows) > 1 {
            self.push(Push::Focus { target });
            self.push(Push::Raise);
            return;
        }
        if self.ports.window_open() {
            self.push(Push::Focus { target: target.clone() });
        } else {
            *lock(&self.focus) = Some(target.clone());
        }
        self.ports.open_window(Some(target));
    }

    /// Does what the desktop said of a notification: open what was
    /// clicked, mark its feed read, mute it for an hour, or note whether
    /// notifications work.
    pub fn heard(self: &Arc<Self>, heard: Heard) {
        match heard {
            Heard::Works(error) => self.set_notifications_error(error),
            Heard::Clicked { action: Action::Read, routed: Routed { feed: Some(feed), .. } } => {
                let desk = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = desk.engine.ask(MarkRead { feed: Some(feed), rows: Vec::new() }).await {
                        tracing::warn!(error = %e, "marking a feed read from its notification failed");
                    }
                });
            }
            Heard::Clicked { action: Action::SignIn, routed: Routed { feed: Some(feed), .. } } => {
                crate::sign_in::sign_in_later(self, feed);
            }
            Heard::Clicked { action: Action::Mute, routed: Routed { feed: Some(feed), .. } } => {
                self.attention.send(Input::Mute { feed, until: now_ms() + MUTE_MS });
            }
            Heard::Clicked { action: Action::Message(at), routed } => {
                let Some(entry) = routed.entry.clone() else { return self.show(routed.target) };
                let offered = matches!(
                    routed.actions.get(at),
                    Some(
                        MessageAction::View { .. }
                            | MessageAction::Copy { .. }
                            | MessageAction::Http { allowed: true, .. }
                    )
                );
                if !offered {
                    // Anything else is done in the window, where it is seen first.
                    return self.show(routed.target);
                }
                let desk = self.clone();
                tokio::spawn(async move {
                    // Not confirmed: an http action goes only where the feed allows.
                    match crate::buttons::press(&desk, entry, at, false).await {
                        Ok(result) if !result.ok => {
                            tracing::warn!(outcome = %result.outcome, "a notification's button failed")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "a notification's button failed"),
                    }
                });
            }
            Heard::Clicked { routed, .. } => self.show(routed.target),
        }
    }

    /// After a resume or a network change, every feed reconnects at once.
    /// A resume also holds what comes in for one digest: told before the
    /// reconnects, so what they replay is held too.
    pub async fn woke(&self, wake: Wake) {
        tracing::info!(?wake, "reconnecting every feed");
        if wake == Wake::Resumed {
            self.attention.send(Input::Woke);
        }
        if let Err(e) = self.engine.ask(ReconnectNow { name: None }).await {
            tracing::warn!(error = %e, "reconnecting every feed failed");
        }
    }

    pub(crate) fn remember_refused(&self, fingerprint: String, der: Vec<u8>) {
        lock(&self.refused).insert(fingerprint, der);
    }

    pub(crate) fn refused(&self, fingerprint: &str) -> Option<Vec<u8>> {
        lock(&self.refused).get(fingerprint).cloned()
    }
}
