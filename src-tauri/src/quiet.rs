//! The window's commands for keeping quiet: do not disturb, quiet hours,
//! mutes, and a test notification, forwarded to the tray process. The
//! decisions are `herald_core::attention`'s.

use herald_core::attention::{DoNotDisturbFor, Quiet};
use herald_core::ipc::{GetQuiet, SetDoNotDisturb, SetQuiet, ShowTestNotification};
use tauri::State;

use crate::commands::CommandResult;
use crate::Link;

#[tauri::command]
pub async fn quiet(link: State<'_, Link>) -> CommandResult<Quiet> {
    link.ask(GetQuiet).await
}

#[tauri::command]
pub async fn set_quiet(link: State<'_, Link>, quiet: Quiet) -> CommandResult<()> {
    link.ask(SetQuiet { quiet }).await
}

/// Turns do not disturb on for `span`, or off; the settings it leaves.
#[tauri::command]
pub async fn do_not_disturb(link: State<'_, Link>, span: Option<DoNotDisturbFor>) -> CommandResult<Quiet> {
    link.ask(SetDoNotDisturb { span }).await
}

/// Shows a test notification at once, whatever is quiet; fails (needs you)
/// with what is wrong and what to do when there is no notification service.
#[tauri::command]
pub async fn test_notification(link: State<'_, Link>) -> CommandResult<()> {
    link.ask(ShowTestNotification).await
}
