//! The commands the window may call. Each is a thin call into the core's
//! [`Board`](herald_core::tasks::Board), which is tested without a desktop.

use herald_core::status::FeedStatus;
use herald_core::tasks::TaskView;
use tauri::State;

use crate::state::AppState;

/// Errors reach the window as their message.
type CommandResult<T> = Result<T, String>;

#[tauri::command]
pub fn list_tasks(state: State<'_, AppState>) -> Vec<TaskView> {
    state.board.tasks()
}

#[tauri::command]
pub async fn add_task(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the task a name.".into());
    }
    state.board.add_task(name).await.map(drop).map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn set_task_done(state: State<'_, AppState>, id: i64, done: bool) -> CommandResult<()> {
    state.board.set_done(id, done).await.map(drop).map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn delete_task(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    state.board.delete_task(id).await.map_err(|e| e.to_string())
}

/// The task a notification click asked to show, once.
#[tauri::command]
pub fn take_focus(state: State<'_, AppState>) -> Option<i64> {
    state.take_focus()
}

#[tauri::command]
pub fn feed_status(state: State<'_, AppState>) -> FeedStatus {
    state.status()
}
