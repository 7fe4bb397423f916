//! The one window. It is destroyed when closed, so that with no window open
//! no webview is alive and Herald stays light in the tray; opening builds it again.

use herald_core::attention::Target;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::state::AppState;

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

/// Opens the window on a feed and its record, as a notification click asks.
pub fn show_target<R: Runtime>(app: &AppHandle<R>, target: Target) {
    tracing::debug!(?target, open = app.get_webview_window(MAIN).is_some(), "showing a target");
    let result = if app.get_webview_window(MAIN).is_some() {
        open(app).and_then(|_| app.emit_to(MAIN, FOCUS_EVENT, &target))
    } else {
        // A new window asks for this once it has loaded.
        app.state::<AppState>().request_focus(target);
        open(app).map(drop)
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not open the window on a target");
    }
}
