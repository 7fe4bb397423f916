//! The desk: one value holding what every request needs, and the dispatch
//! of each [`Request`] to its body. Answers are JSON values, so the window
//! can hand them to its page as they are, and the CLI can read them as the
//! types they are.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use herald_core::attention::driver::{AttentionHandle, Input};
use herald_core::attention::{Routed, Target};
use herald_core::engine::{Command, Engine, Reply, Write};
use herald_core::feed::FieldError;
use herald_core::ipc::{failure, Handler, Push, Request, Status};
use herald_core::secrets::Secrets;
use herald_core::sse::now_ms;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::autostart::Autostart;
use crate::feed_setup;
use crate::notify::{Action, Heard};
use crate::wake::Wake;

/// What the desk asks of the desktop it runs on.
pub trait Ports: Send + Sync + 'static {
    /// Opens the window, on `target` if given.
    fn open_window(&self, target: Option<Target>);
    /// Whether a window is open now.
    fn window_open(&self) -> bool;
    /// Shows a test notification at once; what is wrong, and the fix, if it can't.
    fn test_notification(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// What a desk is made of.
pub struct DeskParts {
    pub engine: Engine,
    pub secrets: Arc<dyn Secrets>,
    pub attention: AttentionHandle,
    /// Where trusted certificates are kept (beside the store).
    pub certs_dir: PathBuf,
    pub ports: Arc<dyn Ports>,
    /// Starting at login.
    pub autostart: Autostart,
    /// The store's file, if it has one.
    pub store: Option<PathBuf>,
}

/// "Mute 1 h".
const MUTE_MS: i64 = 3_600_000;

/// How many pushes a slow client may fall behind before it is told it lagged.
const PUSHES: usize = 1024;

/// See the module's documentation.
pub struct Desk {
    pub(crate) engine: Engine,
    pub(crate) secrets: Arc<dyn Secrets>,
    attention: AttentionHandle,
    pub(crate) certs_dir: PathBuf,
    ports: Arc<dyn Ports>,
    autostart: Autostart,
    store: Option<PathBuf>,
    /// Certificates a probe was refused, by fingerprint, until trusted.
    refused: Mutex<HashMap<String, Vec<u8>>>,
    /// What a notification click asked a window not yet open to show.
    focus: Mutex<Option<Target>>,
    status: watch::Sender<Status>,
    pushes: broadcast::Sender<Push>,
    /// Held by each window subscribed over the socket.
    windows: Arc<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn json<T: serde::Serialize>(value: T) -> Result<Value, FieldError> {
    serde_json::to_value(value).map_err(|e| failure(e.to_string()))
}

impl Desk {
    pub fn new(parts: DeskParts) -> Desk {
        Desk {
            engine: parts.engine,
            secrets: parts.secrets,
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
        let changed = self.status.send_if_modified(|status| {
            let changed = status.notifications_error != error;
            status.notifications_error = error;
            changed
        });
        if changed {
            self.push(Push::Status { status: self.status() });
        }
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
                    desk.engine.send(Command::MarkRead { feed: Some(feed), rows: Vec::new() }).await;
                });
            }
            Heard::Clicked { action: Action::Mute, routed: Routed { feed: Some(feed), .. } } => {
                self.attention.send(Input::Mute { feed, until: now_ms() + MUTE_MS });
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
        self.engine.send(Command::ReconnectNow { name: None }).await;
    }

    pub(crate) fn remember_refused(&self, fingerprint: String, der: Vec<u8>) {
        lock(&self.refused).insert(fingerprint, der);
    }

    pub(crate) fn refused(&self, fingerprint: &str) -> Option<Vec<u8>> {
        lock(&self.refused).get(fingerprint).cloned()
    }

    async fn engine_command(&self, command: Command) -> Result<Value, FieldError> {
        if let Command::Write { write: Write::Create { fields }, .. } = &command {
            let named = fields.get("name").and_then(|n| n.as_str()).is_some_and(|n| !n.trim().is_empty());
            if !named {
                return Err(FieldError { field: "name".into(), message: "Give it a name.".into() });
            }
        }
        match self.engine.send(command).await {
            Reply::Error { message } => Err(failure(message)),
            reply => json(reply),
        }
    }
}

impl Handler for Desk {
    async fn handle(&self, request: Request) -> Result<Value, FieldError> {
        match request {
            Request::Engine { command } => self.engine_command(command).await,
            // The socket's server answers this itself.
            Request::Subscribe { .. } => Ok(Value::Null),
            Request::FeedForm { name } => json(feed_setup::form(self, &name).await?),
            Request::ValidateFeed { form } => form.to_feed().map(|_| Value::Null),
            Request::ProbeFeed { form, secret } => json(feed_setup::probe(self, form, secret).await?),
            Request::TrustCertificate { fingerprint } => json(feed_setup::trust(self, &fingerprint).await?),
            Request::SaveFeed { form, secret } => feed_setup::save(self, form, secret).await.map(|()| Value::Null),
            Request::RemoveFeed { name } => {
                self.engine_command(Command::RemoveFeed { name }).await.map(|_| Value::Null)
            }
            Request::ImportFeeds { path } => json(feed_setup::import(self, &path).await?),
            Request::ExportFeeds { path } => feed_setup::export(self, &path).await.map(|()| Value::Null),
            Request::Quiet => json(self.attention.quiet()),
            Request::SetQuiet { quiet } => {
                self.attention.send(Input::SetQuiet(quiet));
                Ok(Value::Null)
            }
            Request::DoNotDisturb { span } => json(self.attention.do_not_disturb(span)),
            Request::TestNotification => {
                let tested = self.ports.test_notification().await;
                self.set_notifications_error(tested.as_ref().err().cloned());
                tested.map(|()| Value::Null).map_err(failure)
            }
            Request::Status => json(self.status()),
            Request::Store => json(&self.store),
            Request::Autostart => json(self.autostart.enabled()),
            Request::SetAutostart { on } => {
                self.autostart.set(on).map_err(|e| failure(format!("Could not change starting at login: {e}")))?;
                json(self.autostart.enabled())
            }
            Request::TakeFocus => json(lock(&self.focus).take()),
            Request::OpenWindow { target } => {
                match target {
                    Some(target) => self.show(target),
                    None => self.open_window(),
                }
                Ok(Value::Null)
            }
        }
    }

    fn subscribe(&self, window: bool) -> (broadcast::Receiver<Push>, Option<Box<dyn Send>>) {
        let presence: Option<Box<dyn Send>> = if window { Some(Box::new(self.windows.clone())) } else { None };
        (self.pushes.subscribe(), presence)
    }
}
