//! The commands the window may call. Each is a thin forward of a
//! [`Request`] to the [`Desk`], whose answers are tested without a desktop;
//! errors reach the window as their message.

use std::sync::Arc;

use herald_core::attention::Target;
use herald_core::engine::{Command, FeedState, Record, Reply, Write};
use herald_core::ipc::{Handler, Request, Status};
use herald_core::sse::EpochMs;
use herald_core::store::{Activity, TimelinePage, TimelineQuery};
use herald_desk::Desk;
use serde::de::DeserializeOwned;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

type CommandResult<T> = Result<T, String>;

/// Asks the desk, and reads its answer as a `T`.
pub async fn ask<T: DeserializeOwned>(desk: &Desk, request: Request) -> CommandResult<T> {
    let answer = desk.handle(request).await.map_err(|e| e.message)?;
    serde_json::from_value(answer).map_err(|e| e.to_string())
}

async fn engine(desk: &Desk, command: Command) -> CommandResult<Reply> {
    ask(desk, Request::Engine { command }).await
}

fn unexpected<T>(reply: Reply) -> CommandResult<T> {
    Err(format!("unexpected reply {reply:?}"))
}

#[tauri::command]
pub async fn feeds(desk: State<'_, Arc<Desk>>) -> CommandResult<Vec<FeedState>> {
    match engine(&desk, Command::Feeds).await? {
        Reply::Feeds { feeds } => Ok(feeds),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn records(desk: State<'_, Arc<Desk>>, feed: String) -> CommandResult<Vec<Record>> {
    match engine(&desk, Command::Records { feed }).await? {
        Reply::Records { records } => Ok(records),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn write(desk: State<'_, Arc<Desk>>, feed: String, write: Write) -> CommandResult<()> {
    engine(&desk, Command::Write { feed, write }).await.map(drop)
}

#[tauri::command]
pub async fn timeline(desk: State<'_, Arc<Desk>>, query: TimelineQuery) -> CommandResult<TimelinePage> {
    match engine(&desk, Command::Timeline { query }).await? {
        Reply::Timeline { page } => Ok(page),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn activity(desk: State<'_, Arc<Desk>>, feed: String, since: EpochMs) -> CommandResult<Activity> {
    match engine(&desk, Command::Activity { feed, since }).await? {
        Reply::Activity { activity } => Ok(activity),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn mark_read(desk: State<'_, Arc<Desk>>, feed: Option<String>, rows: Vec<i64>) -> CommandResult<()> {
    engine(&desk, Command::MarkRead { feed, rows }).await.map(drop)
}

#[tauri::command]
pub async fn reconnect_now(desk: State<'_, Arc<Desk>>, feed: Option<String>) -> CommandResult<()> {
    engine(&desk, Command::ReconnectNow { name: feed }).await.map(drop)
}

#[tauri::command]
pub async fn pause_feed(desk: State<'_, Arc<Desk>>, feed: String, paused: bool) -> CommandResult<()> {
    engine(&desk, Command::PauseFeed { name: feed, paused }).await.map(drop)
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
pub async fn take_focus(desk: State<'_, Arc<Desk>>) -> CommandResult<Option<Target>> {
    ask(&desk, Request::TakeFocus).await
}

#[tauri::command]
pub async fn app_status(desk: State<'_, Arc<Desk>>) -> CommandResult<Status> {
    ask(&desk, Request::Status).await
}
