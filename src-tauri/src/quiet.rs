//! The window's commands for keeping quiet: do not disturb, quiet hours,
//! mutes, and a test notification, forwarded to the tray process. The
//! decisions are `herald_core::attention`'s.

use herald_core::attention::{DoNotDisturbFor, Quiet};
use herald_core::ipc::Request;
use tauri::State;

use crate::commands::ask;
use crate::Link;

#[tauri::command]
pub async fn quiet(link: State<'_, Link>) -> Result<Quiet, String> {
    ask(&link, Request::Quiet).await
}

#[tauri::command]
pub async fn set_quiet(link: State<'_, Link>, quiet: Quiet) -> Result<(), String> {
    ask(&link, Request::SetQuiet { quiet }).await
}

/// Turns do not disturb on for `span`, or off; the settings it leaves.
#[tauri::command]
pub async fn do_not_disturb(link: State<'_, Link>, span: Option<DoNotDisturbFor>) -> Result<Quiet, String> {
    ask(&link, Request::DoNotDisturb { span }).await
}

/// Shows a test notification at once, whatever is quiet; fails with what is
/// wrong and what to do when there is no notification service.
#[tauri::command]
pub async fn test_notification(link: State<'_, Link>) -> Result<(), String> {
    ask(&link, Request::TestNotification).await
}
