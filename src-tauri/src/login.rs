//! The window's commands for starting Herald at login, forwarded to the
//! tray process, which writes the autostart entry (`herald_desk::autostart`).

use herald_core::ipc::{GetAutostart, SetAutostart};
use tauri::State;

use crate::commands::CommandResult;
use crate::Link;

/// Whether Herald starts at login.
#[tauri::command]
pub async fn autostart(link: State<'_, Link>) -> CommandResult<bool> {
    link.ask(GetAutostart).await
}

/// Starts Herald at login, or stops; the setting now in force.
#[tauri::command]
pub async fn set_autostart(link: State<'_, Link>, on: bool) -> CommandResult<bool> {
    link.ask(SetAutostart { on }).await
}
