//! The window's commands for keeping quiet and making sounds: do not
//! disturb, quiet hours, mutes, the sounds chosen, and a test notification,
//! forwarded to the tray process. The decisions are
//! `herald_core::attention`'s.

use herald_core::attention::{DoNotDisturbFor, Quiet, SoundName, Sounds};
use herald_core::ipc::{GetQuiet, GetSounds, SetDoNotDisturb, SetQuiet, SetSounds, ShowTestNotification};
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

#[tauri::command]
pub async fn sounds(link: State<'_, Link>) -> CommandResult<Sounds> {
    link.ask(GetSounds).await
}

#[tauri::command]
pub async fn set_sounds(link: State<'_, Link>, sounds: Sounds) -> CommandResult<()> {
    link.ask(SetSounds { sounds }).await
}

/// Shows a test notification at once, whatever is quiet, making `sound`;
/// fails (needs you) with what is wrong and what to do when there is no
/// notification service.
#[tauri::command]
pub async fn test_notification(link: State<'_, Link>, sound: Option<SoundName>) -> CommandResult<()> {
    link.ask(ShowTestNotification { sound }).await
}
