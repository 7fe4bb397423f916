//! What the shell keeps while it runs: the engine's handle, and what the
//! window asks for once it opens.

use std::sync::Mutex;

use herald_core::attention::Target;
use herald_core::engine::Engine;
use serde::Serialize;

pub struct AppState {
    pub engine: Engine,
    /// What a notification click asked to show, until the window takes it.
    pending_focus: Mutex<Option<Target>>,
    notifications_error: Mutex<Option<String>>,
}

/// What the window shows about the app as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Why notifications cannot be shown, when they can't.
    pub notifications_error: Option<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(engine: Engine) -> Self {
        AppState { engine, pending_focus: Mutex::new(None), notifications_error: Mutex::new(None) }
    }

    pub fn request_focus(&self, target: Target) {
        *lock(&self.pending_focus) = Some(target);
    }

    pub fn take_focus(&self) -> Option<Target> {
        lock(&self.pending_focus).take()
    }

    /// Records whether notifications work; true when that changed.
    pub fn set_notifications_error(&self, error: Option<String>) -> bool {
        let mut current = lock(&self.notifications_error);
        let changed = *current != error;
        *current = error;
        changed
    }

    pub fn status(&self) -> AppStatus {
        AppStatus { notifications_error: lock(&self.notifications_error).clone() }
    }
}
