//! The window's commands for keeping quiet: do not disturb, quiet hours,
//! mutes, and a test notification, forwarded to the [`Desk`]. The
//! decisions are `herald_core::attention`'s.

use std::sync::Arc;

use herald_core::attention::{DoNotDisturbFor, Quiet};
use herald_core::ipc::Request;
use herald_desk::Desk;
use tauri::State;

use crate::commands::ask;

#[tauri::command]
pub async fn quiet(desk: State<'_, Arc<Desk>>) -> Result<Quiet, String> {
    ask(&desk, Request::Quiet).await
}

#[tauri::command]
pub async fn set_quiet(desk: State<'_, Arc<Desk>>, quiet: Quiet) -> Result<(), String> {
    ask(&desk, Request::SetQuiet { quiet }).await
}

/// Turns do not disturb on for `span`, or off; the settings it leaves.
#[tauri::command]
pub async fn do_not_disturb(desk: State<'_, Arc<Desk>>, span: Option<DoNotDisturbFor>) -> Result<Quiet, String> {
    ask(&desk, Request::DoNotDisturb { span }).await
}

/// Shows a test notification at once, whatever is quiet; fails with what is
/// wrong and what to do when there is no notification service.
#[tauri::command]
pub async fn test_notification(desk: State<'_, Arc<Desk>>) -> Result<(), String> {
    ask(&desk, Request::TestNotification).await
}
