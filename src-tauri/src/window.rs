//! The one window. When it closes, this process ends: the tray process
//! stays, light, and starts a window again when one is wanted.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Event sent to the window: show this target (a feed, and its record).
pub const FOCUS_EVENT: &str = "herald://focus";

/// Shows the window, building it if it is closed.
pub fn open<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.unminimize()?;
        window.show()?;
        window.set_focus()?;
        return Ok(window);
    }
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Herald")
        .inner_size(960.0, 680.0)
        .min_inner_size(640.0, 420.0)
        .build()
}
