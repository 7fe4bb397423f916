//! The task-list model as Herald sees it, shared with the UI through generated
//! TypeScript bindings so that the two cannot drift.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::sse::EpochMs;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Task {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub done: bool,
}

/// What a change did to a task, as a person would say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Action {
    Created,
    Renamed,
    Completed,
    Reopened,
    Updated,
    Deleted,
}

/// One change to the shared list, attributed and timed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChangeNotice {
    /// The SSE event id that carried the change (empty when the server sends none).
    pub event_id: String,
    #[ts(type = "number")]
    pub task_id: i64,
    /// The task's name after the change (before it, for a delete).
    pub task_name: String,
    pub action: Action,
    pub previous_name: Option<String>,
    /// Who made the change, when the server says.
    pub actor: Option<String>,
    /// The change was made by this user.
    pub own: bool,
    /// When the change happened: the server's time when it sends one.
    #[ts(type = "number")]
    pub at: EpochMs,
    /// The sentence shown in the window and in the notification.
    pub summary: String,
    /// Found by comparing with a fresh snapshot, after the stream could not
    /// replay what happened (so who and exactly when are unknown).
    pub missed: bool,
}

/// A task with the last change that touched it, for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TaskView {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub done: bool,
    pub last_change: Option<ChangeNotice>,
}

/// Longest task name shown in a summary before it is shortened.
const SUMMARY_NAME_CHARS: usize = 60;

fn quoted(name: &str) -> String {
    let mut short: String = name.chars().take(SUMMARY_NAME_CHARS).collect();
    if short.len() < name.len() {
        short.push('…');
    }
    format!("'{short}'")
}

/// The one sentence that describes a change: "Ana completed 'Buy milk'".
pub fn summarize(actor: Option<&str>, own: bool, action: Action, name: &str, previous: Option<&str>) -> String {
    let who = if own { "You" } else { actor.unwrap_or("Someone") };
    let what = quoted(name);
    match action {
        Action::Created => format!("{who} added {what}"),
        Action::Renamed => format!("{who} renamed {} to {what}", quoted(previous.unwrap_or(""))),
        Action::Completed => format!("{who} completed {what}"),
        Action::Reopened => format!("{who} reopened {what}"),
        Action::Updated => format!("{who} changed {what}"),
        Action::Deleted => format!("{who} deleted {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_as_sentences() {
        assert_eq!(summarize(Some("Ana"), false, Action::Completed, "Buy milk", None), "Ana completed 'Buy milk'");
        assert_eq!(summarize(Some("Ana"), true, Action::Created, "Buy milk", None), "You added 'Buy milk'");
        assert_eq!(summarize(None, false, Action::Renamed, "B", Some("A")), "Someone renamed 'A' to 'B'");
        let long = "x".repeat(100);
        assert_eq!(
            summarize(Some("Bo"), false, Action::Deleted, &long, None),
            format!("Bo deleted '{}…'", "x".repeat(60))
        );
    }
}
