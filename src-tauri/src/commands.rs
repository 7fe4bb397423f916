//! The commands the window may call. Each is a thin forward of a typed
//! call to the tray process, whose desk answers it (tested there without a
//! desktop): the answer is the call's own type, and an error reaches the
//! page as a `HeraldError`, by its kind.

use herald_core::attention::Target;
use herald_core::engine::{
    FeedState, GetActivity, GetFeeds, GetRecords, GetTimeline, GetUpcoming, MarkRead, PauseFeed, ReconnectNow, Record,
    ViewRecord, WriteRecord,
};
use herald_core::feed::{ActionResult, Change, Write};
use herald_core::ipc::{GetPicture, GetStatus, Picture, PressButton, SignIn, SignOut, Status, TakeFocus};
use herald_core::sse::EpochMs;
use herald_core::store::{Activity, EntryRef, TimelinePage, TimelineQuery};
use herald_core::Error;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::Link;

pub type CommandResult<T> = Result<T, Error>;

#[tauri::command]
pub async fn feeds(link: State<'_, Link>) -> CommandResult<Vec<FeedState>> {
    link.ask(GetFeeds).await
}

#[tauri::command]
pub async fn records(link: State<'_, Link>, feed: String) -> CommandResult<Vec<Record>> {
    link.ask(GetRecords { feed }).await
}

/// Writes the roles the user set; fails with a conflict when the record
/// moved on from the write's base, and then nothing was written.
#[tauri::command]
pub async fn write(link: State<'_, Link>, feed: String, write: Write) -> CommandResult<()> {
    link.ask(WriteRecord { feed, write }).await
}

/// Tells the feed's server which record the window has open (`null`: none).
#[tauri::command]
pub async fn view(link: State<'_, Link>, feed: String, key: Option<String>) -> CommandResult<()> {
    link.ask(ViewRecord { feed, key }).await
}

#[tauri::command]
pub async fn timeline(link: State<'_, Link>, query: TimelineQuery) -> CommandResult<TimelinePage> {
    link.ask(GetTimeline { query }).await
}

#[tauri::command]
pub async fn activity(link: State<'_, Link>, feed: String, since: EpochMs) -> CommandResult<Activity> {
    link.ask(GetActivity { feed, since }).await
}

#[tauri::command]
pub async fn mark_read(link: State<'_, Link>, feed: Option<String>, rows: Vec<i64>) -> CommandResult<()> {
    link.ask(MarkRead { feed, rows }).await
}

#[tauri::command]
pub async fn reconnect_now(link: State<'_, Link>, feed: Option<String>) -> CommandResult<()> {
    link.ask(ReconnectNow { name: feed }).await
}

/// Signs the feed in through the user's browser (the tray process opens
/// it and waits for the provider's redirect); who signed in.
#[tauri::command]
pub async fn sign_in(link: State<'_, Link>, feed: String) -> CommandResult<String> {
    link.ask(SignIn { feed }).await
}

/// Signs the feed out: its sign-in is revoked and forgotten.
#[tauri::command]
pub async fn sign_out(link: State<'_, Link>, feed: String) -> CommandResult<()> {
    link.ask(SignOut { feed }).await
}

#[tauri::command]
pub async fn pause_feed(link: State<'_, Link>, feed: String, paused: bool) -> CommandResult<()> {
    link.ask(PauseFeed { name: feed, paused }).await
}

/// Presses a message's button (by its row in the timeline): the tray
/// process opens the link, copies the value, or sends the http request
/// the user has just confirmed; what came of it is answered and kept.
#[tauri::command]
pub async fn press_button(link: State<'_, Link>, row: i64, at: usize) -> CommandResult<ActionResult> {
    // The window shows an http request before it asks: it is confirmed.
    link.ask(PressButton { entry: EntryRef::Row(row), at, confirmed: true }).await
}

/// A message's picture, from the tray process's bounded cache, or why it
/// is not shown.
#[tauri::command]
pub async fn picture(link: State<'_, Link>, url: String, size: Option<u64>) -> CommandResult<Picture> {
    link.ask(GetPicture { url, size }).await
}

/// An ntfy feed's scheduled messages, soonest first.
#[tauri::command]
pub async fn upcoming(link: State<'_, Link>, feed: String) -> CommandResult<Vec<Change>> {
    link.ask(GetUpcoming { feed }).await
}

/// Opens a message's link in the system browser: http(s) only, whatever
/// the webview asks (a payload chose the link).
#[tauri::command]
pub fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> CommandResult<()> {
    if !herald_core::is_http_url(&url) {
        return Err(Error::invalid(format!("Herald opens only http and https links, not {url:?}")));
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| Error::unavailable(e.to_string()))
}

/// What a notification click asked to show, once.
#[tauri::command]
pub async fn take_focus(link: State<'_, Link>) -> CommandResult<Option<Target>> {
    link.ask(TakeFocus).await
}

#[tauri::command]
pub async fn app_status(link: State<'_, Link>) -> CommandResult<Status> {
    link.ask(GetStatus).await
}
