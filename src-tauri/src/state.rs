//! What the shell keeps while it runs: the engine's handle, and what the
//! window asks for once it opens.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use herald_core::attention::Target;
use herald_core::engine::Engine;
use herald_core::secrets::Secrets;
use serde::Serialize;
use tokio::sync::watch;

pub struct AppState {
    pub engine: Engine,
    /// The keyring the engine reads feeds' secrets from, to store new ones.
    pub secrets: Arc<dyn Secrets>,
    /// Where certificates the user trusts are kept (beside the store).
    pub certs_dir: PathBuf,
    /// Where the user's quiet settings are kept between runs, if anywhere.
    pub quiet_file: Option<PathBuf>,
    /// Certificates a probe was refused, by fingerprint, until the user
    /// decides: "Trust this certificate" names one, never sends one.
    refused: Mutex<HashMap<String, Vec<u8>>>,
    /// What a notification click asked to show, until the window takes it.
    pending_focus: Mutex<Option<Target>>,
    status: watch::Sender<AppStatus>,
}

/// What the window shows about the app as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Why notifications cannot be shown, when they can't.
    pub notifications_error: Option<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(engine: Engine, secrets: Arc<dyn Secrets>, certs_dir: PathBuf) -> Self {
        AppState {
            engine,
            secrets,
            certs_dir,
            quiet_file: None,
            refused: Mutex::new(HashMap::new()),
            pending_focus: Mutex::new(None),
            status: watch::Sender::new(AppStatus::default()),
        }
    }

    /// Keeps the quiet settings in `path` between runs.
    pub fn with_quiet_file(mut self, path: PathBuf) -> Self {
        self.quiet_file = Some(path);
        self
    }

    pub fn remember_refused(&self, fingerprint: String, der: Vec<u8>) {
        lock(&self.refused).insert(fingerprint, der);
    }

    pub fn refused(&self, fingerprint: &str) -> Option<Vec<u8>> {
        lock(&self.refused).get(fingerprint).cloned()
    }

    pub fn request_focus(&self, target: Target) {
        *lock(&self.pending_focus) = Some(target);
    }

    pub fn take_focus(&self) -> Option<Target> {
        lock(&self.pending_focus).take()
    }

    /// Records whether notifications work; true when that changed.
    pub fn set_notifications_error(&self, error: Option<String>) -> bool {
        self.status.send_if_modified(|status| {
            let changed = status.notifications_error != error;
            status.notifications_error = error;
            changed
        })
    }

    pub fn status(&self) -> AppStatus {
        self.status.borrow().clone()
    }

    /// Told whenever the app's status changes (the tray listens).
    pub fn watch_status(&self) -> watch::Receiver<AppStatus> {
        self.status.subscribe()
    }
}
