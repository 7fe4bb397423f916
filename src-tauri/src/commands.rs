//! The commands the window may call. Each is a thin forward of a
//! [`Request`] to the tray process, whose desk answers it (tested there
//! without a desktop); errors reach the page as their message.

use herald_core::attention::Target;
use herald_core::engine::{Command, Conflict, FeedState, Record, Reply, Write};
use herald_core::ipc::{Request, Status};
use herald_core::sse::EpochMs;
use herald_core::store::{Activity, TimelinePage, TimelineQuery};
use serde::de::DeserializeOwned;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::Link;

type CommandResult<T> = Result<T, String>;

/// Asks the tray process, and reads its answer as a `T`.
pub async fn ask<T: DeserializeOwned>(link: &Link, request: Request) -> CommandResult<T> {
    link.call_as(request).await.map_err(|e| e.message)
}

async fn engine(link: &Link, command: Command) -> CommandResult<Reply> {
    ask(link, Request::Engine { command }).await
}

fn unexpected<T>(reply: Reply) -> CommandResult<T> {
    Err(format!("unexpected reply {reply:?}"))
}

#[tauri::command]
pub async fn feeds(link: State<'_, Link>) -> CommandResult<Vec<FeedState>> {
    match engine(&link, Command::Feeds).await? {
        Reply::Feeds { feeds } => Ok(feeds),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn records(link: State<'_, Link>, feed: String) -> CommandResult<Vec<Record>> {
    match engine(&link, Command::Records { feed }).await? {
        Reply::Records { records } => Ok(records),
        other => unexpected(other),
    }
}

/// `null` when written; the conflict when the record moved on from the
/// write's base, and nothing was written.
#[tauri::command]
pub async fn write(link: State<'_, Link>, feed: String, write: Write) -> CommandResult<Option<Conflict>> {
    match engine(&link, Command::Write { feed, write }).await? {
        Reply::Done => Ok(None),
        Reply::Conflict { conflict } => Ok(Some(*conflict)),
        other => unexpected(other),
    }
}

/// Tells the feed's server which record the window has open (`null`: none).
#[tauri::command]
pub async fn view(link: State<'_, Link>, feed: String, key: Option<String>) -> CommandResult<()> {
    engine(&link, Command::View { feed, key }).await.map(drop)
}

#[tauri::command]
pub async fn timeline(link: State<'_, Link>, query: TimelineQuery) -> CommandResult<TimelinePage> {
    match engine(&link, Command::Timeline { query }).await? {
        Reply::Timeline { page } => Ok(page),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn activity(link: State<'_, Link>, feed: String, since: EpochMs) -> CommandResult<Activity> {
    match engine(&link, Command::Activity { feed, since }).await? {
        Reply::Activity { activity } => Ok(activity),
        other => unexpected(other),
    }
}

#[tauri::command]
pub async fn mark_read(link: State<'_, Link>, feed: Option<String>, rows: Vec<i64>) -> CommandResult<()> {
    engine(&link, Command::MarkRead { feed, rows }).await.map(drop)
}

#[tauri::command]
pub async fn reconnect_now(link: State<'_, Link>, feed: Option<String>) -> CommandResult<()> {
    engine(&link, Command::ReconnectNow { name: feed }).await.map(drop)
}

#[tauri::command]
pub async fn pause_feed(link: State<'_, Link>, feed: String, paused: bool) -> CommandResult<()> {
    engine(&link, Command::PauseFeed { name: feed, paused }).await.map(drop)
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
pub async fn take_focus(link: State<'_, Link>) -> CommandResult<Option<Target>> {
    ask(&link, Request::TakeFocus).await
}

#[tauri::command]
pub async fn app_status(link: State<'_, Link>) -> CommandResult<Status> {
    ask(&link, Request::Status).await
}
