//! What the desk asks of this desktop: the window, and a test notification.

use std::future::Future;
use std::pin::Pin;

use herald_core::attention::Target;
use herald_desk::Ports;
use tauri::{AppHandle, Runtime};

use crate::{notify, window};

/// What the desk asks of this desktop: the window, and a test notification.
pub struct TauriPorts<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Ports for TauriPorts<R> {
    fn open_window(&self, _target: Option<Target>) {
        // The target reaches the page through the desk (a push, or TakeFocus).
        if let Err(e) = window::open(&self.0) {
            tracing::warn!(error = %e, "could not open the window");
        }
    }

    fn test_notification(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(notify::test())
    }
}
