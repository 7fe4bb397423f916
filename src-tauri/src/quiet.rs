//! The window's commands for keeping quiet: do not disturb, quiet hours,
//! mutes, and a test notification. The decisions are
//! `herald_core::attention`'s; these only read and set what the user chose.

use herald_core::attention::driver::{AttentionHandle, Input};
use herald_core::attention::{DoNotDisturbFor, Quiet};
use tauri::State;

use crate::notify;

#[tauri::command]
pub fn quiet(attention: State<'_, AttentionHandle>) -> Quiet {
    attention.quiet()
}

#[tauri::command]
pub fn set_quiet(attention: State<'_, AttentionHandle>, quiet: Quiet) {
    attention.send(Input::SetQuiet(quiet));
}

/// Turns do not disturb on for `span`, or off; the settings it leaves.
#[tauri::command]
pub fn do_not_disturb(attention: State<'_, AttentionHandle>, span: Option<DoNotDisturbFor>) -> Quiet {
    attention.do_not_disturb(span)
}

/// Shows a test notification at once, whatever is quiet; fails with what is
/// wrong and what to do when there is no notification service.
#[tauri::command]
pub async fn test_notification() -> Result<(), String> {
    notify::test().await
}
