//! The one window. It is destroyed when closed, so that with no window open
//! no webview is alive and Herald stays light in the tray; opening builds it again.

use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::state::AppState;

pub const MAIN: &str = "main";

/// Event sent to the window: show this task.
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
        .inner_size(460.0, 660.0)
        .min_inner_size(340.0, 420.0)
        .build()
}

/// Opens the window on one task, as a notification click asks.
pub fn show_task<R: Runtime>(app: &AppHandle<R>, task_id: i64) {
    tracing::debug!(task_id, open = app.get_webview_window(MAIN).is_some(), "showing a task");
    let result = if app.get_webview_window(MAIN).is_some() {
        open(app).and_then(|_| app.emit_to(MAIN, FOCUS_EVENT, task_id))
    } else {
        // A new window asks for this once it has loaded.
        app.state::<AppState>().request_focus(task_id);
        open(app).map(drop)
    };
    match result {
        Ok(()) => tracing::debug!(task_id, "window shown"),
        Err(e) => tracing::warn!(error = %e, task_id, "could not open the window on a task"),
    }
}
