//! The commands the window may call. Each is a thin forward to the engine,
//! whose commands are tested without a desktop; errors reach the window as
//! their message.

use herald_core::attention::Target;
use herald_core::engine::{Command, FeedState, Record, Reply, Write};
use herald_core::feed::Change;
use tauri::State;

use crate::state::{AppState, AppStatus};

type CommandResult<T> = Result<T, String>;

/// The most messages a message feed's list shows.
const RECENT: u32 = 200;

async fn ask(state: &AppState, command: Command) -> CommandResult<Reply> {
    state.engine.send(command).await.ok()
}

#[tauri::command]
pub async fn feeds(state: State<'_, AppState>) -> CommandResult<Vec<FeedState>> {
    match ask(&state, Command::Feeds).await? {
        Reply::Feeds { feeds } => Ok(feeds),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn records(state: State<'_, AppState>, feed: String) -> CommandResult<Vec<Record>> {
    match ask(&state, Command::Records { feed }).await? {
        Reply::Records { records } => Ok(records),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn recent(state: State<'_, AppState>, feed: String) -> CommandResult<Vec<Change>> {
    match ask(&state, Command::Recent { feed, limit: RECENT }).await? {
        Reply::Changes { changes } => Ok(changes),
        other => Err(format!("unexpected reply {other:?}")),
    }
}

#[tauri::command]
pub async fn write(state: State<'_, AppState>, feed: String, write: Write) -> CommandResult<()> {
    if let Write::Create { fields } = &write {
        let named = fields.get("name").and_then(|n| n.as_str()).is_some_and(|n| !n.trim().is_empty());
        if !named {
            return Err("Give it a name.".into());
        }
    }
    ask(&state, Command::Write { feed, write }).await.map(drop)
}

#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, feed: Option<String>) -> CommandResult<()> {
    ask(&state, Command::MarkRead { feed }).await.map(drop)
}

/// What a notification click asked to show, once.
#[tauri::command]
pub fn take_focus(state: State<'_, AppState>) -> Option<Target> {
    state.take_focus()
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}
