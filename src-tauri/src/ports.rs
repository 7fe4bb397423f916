//! What the desk asks of this desktop: the window, and a test notification.

use std::future::Future;
use std::pin::Pin;

use herald_core::attention::Target;
use herald_desk::{notify, Ports};
use tauri::{AppHandle, Manager, Runtime};

use crate::window;

/// What the desk asks of this desktop: the window, and a test notification.
pub struct TauriPorts<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Ports for TauriPorts<R> {
    fn open_window(&self, _target: Option<Target>) {
        // The target reaches the page through the desk (a push, or TakeFocus).
        if let Err(e) = window::open(&self.0) {
            tracing::warn!(error = %e, "could not open the window");
        }
    }

    fn window_open(&self) -> bool {
        self.0.get_webview_window(window::MAIN).is_some()
    }

    fn test_notification(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(notify::test())
    }
}
