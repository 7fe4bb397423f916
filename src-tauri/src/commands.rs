//! The commands the window may call. Each is a thin forward to the engine,
//! whose commands are tested without a desktop; errors reach the window as
//! their message.

use herald_core::attention::Target;
use herald_core::engine::{Command, FeedState, Record, Reply, Write};
use herald_core::sse::EpochMs;
use herald_core::store::{Activity, TimelinePage, TimelineQuery};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::state::{AppState, AppStatus};

type CommandResult<T> = Result<T, String>;

async fn ask(state: &AppState, command: Command) -> CommandResult<Reply> {
    state.engine.send(command).await.ok()
}

#[tauri::command]
pub async fn feeds(state: State<'_, AppState>) -> CommandResult<Vec<FeedState>> {
    match ask(&state, Command::Feeds).await? {
        Reply::Feeds { feeds } => Ok(feeds),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn records(state: State<'_, AppState>, feed: String) -> CommandResult<Vec<Record>> {
    match ask(&state, Command::Records { feed }).await? {
        Reply::Records { records } => Ok(records),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn write(state: State<'_, AppState>, feed: String, write: Write) -> CommandResult<()> {
    if let Write::Create { fields } = &write {
        let named = fields.get("name").and_then(|n| n.as_str()).is_some_and(|n| !n.trim().is_empty());
        if !named {
            return Err("Give it a name.".into());
        }
    }
    ask(&state, Command::Write { feed, write }).await.map(drop)
}

#[tauri::command]
pub async fn timeline(state: State<'_, AppState>, query: TimelineQuery) -> CommandResult<TimelinePage> {
    match ask(&state, Command::Timeline { query }).await? {
        Reply::Timeline { page } => Ok(page),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>, feed: String, since: EpochMs) -> CommandResult<Activity> {
    match ask(&state, Command::Activity { feed, since }).await? {
        Reply::Activity { activity } => Ok(activity),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, feed: Option<String>, rows: Vec<i64>) -> CommandResult<()> {
    ask(&state, Command::MarkRead { feed, rows }).await.map(drop)
}

#[tauri::command]
pub async fn reconnect_now(state: State<'_, AppState>, feed: Option<String>) -> CommandResult<()> {
    ask(&state, Command::ReconnectNow { name: feed }).await.map(drop)
}

#[tauri::command]
pub async fn pause_feed(state: State<'_, AppState>, feed: String, paused: bool) -> CommandResult<()> {
    ask(&state, Command::PauseFeed { name: feed, paused }).await.map(drop)
}

/// Opens a message's link in the system browser: http(s) only, whatever
/// the webview asks (a payload chose the link).
#[tauri::command]
pub fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> CommandResult<()> {
    if !herald_core::is_http_url(&url) {
        return Err(format!("Herald opens only http and https links, not {url:?}"));
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| e.to_string())
}

/// What a notification click asked to show, once.
#[tauri::command]
pub fn take_focus(state: State<'_, AppState>) -> Option<Target> {
    state.take_focus()
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}
