//! The window is a process of its own, started on demand: when the user
//! opens Herald, clicks a notification or follows a deep link, and gone
//! when it is closed. This starts it, beside this binary, and knows whether
//! the one it started still runs.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command};
use std::sync::Mutex;

use herald_core::attention::{SoundName, Target};

use crate::{notify, Ports};

/// The window's binary, beside this one.
pub const WINDOW_BINARY: &str = "herald-window";

/// Starts windows, and shows test notifications, for the tray process.
pub struct Launcher {
    /// The window binary; `None` where windows are started by someone else
    /// (`HERALD_WINDOW=none`, as the end-to-end tests do).
    binary: Option<PathBuf>,
    socket: PathBuf,
    child: Mutex<Option<Child>>,
}

impl Launcher {
    /// `HERALD_WINDOW` names the window binary; by default it is
    /// [`WINDOW_BINARY`] beside this executable.
    pub fn new(socket: PathBuf) -> Launcher {
        let binary = match std::env::var_os("HERALD_WINDOW") {
            Some(none) if none == "none" => None,
            Some(path) => Some(PathBuf::from(path)),
            None => std::env::current_exe().ok().map(|exe| exe.with_file_name(WINDOW_BINARY)),
        };
        Launcher { binary, socket, child: Mutex::new(None) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Ports for Launcher {
    fn open_window(&self, _target: Option<Target>) {
        // The target waits in the desk until the window asks for it.
        if self.window_open() {
            return;
        }
        let Some(binary) = &self.binary else { return };
        match Command::new(binary).env("HERALD_SOCKET", &self.socket).spawn() {
            Ok(child) => *self.lock() = Some(child),
            Err(e) => tracing::warn!(binary = %binary.display(), error = %e, "could not start the window"),
        }
    }

    fn window_open(&self) -> bool {
        let mut child = self.lock();
        match child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(_) => {
                // It exited (the window was closed): reaped here.
                *child = None;
                false
            }
            None => false,
        }
    }

    fn test_notification(
        &self,
        sound: Option<SoundName>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(notify::test(sound))
    }
}
